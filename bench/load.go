package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// client sends requests to one server with one credential.
type client struct {
	base, key string
	http      *http.Client
}

func newClient(base, key string) *client {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	return &client{base: base, key: key, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// request is one HTTP request of a load.
type request struct {
	method, path, body string
}

// do sends r and returns the status, draining the body.
func (c *client) do(r request) (int, []byte, error) {
	status, _, body, err := c.send(r)
	return status, body, err
}

// send sends r and returns the status, headers and body.
func (c *client) send(r request) (int, http.Header, []byte, error) {
	var body io.Reader
	if r.body != "" {
		body = bytes.NewBufferString(r.body)
	}
	req, err := http.NewRequest(r.method, c.base+r.path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

// throughput is what a closed loop measured: answers per second and the
// median of the server's own time (its Server-Timing header; 0 when the
// server sends none).
type throughput struct {
	perSecond float64
	server    time.Duration
}

// closedLoop runs clients that each send the next request as soon as the
// previous one is answered, for d.
func (c *client) closedLoop(clients int, d time.Duration, next func(i int64) request) (throughput, error) {
	var done, failed atomic.Int64
	var seq atomic.Int64
	var firstErr atomic.Value
	var mu sync.Mutex
	var server []time.Duration
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				status, header, body, err := c.send(next(seq.Add(1)))
				if err != nil || status >= 300 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %v %.200s", status, err, body))
					continue
				}
				done.Add(1)
				if st, err := serverTime(header); err == nil {
					mine = append(mine, st)
				}
			}
			mu.Lock()
			server = append(server, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return throughput{}, fmt.Errorf("%d of %d requests failed, first: %v", f, f+done.Load(), firstErr.Load())
	}
	return throughput{perSecond: float64(done.Load()) / time.Since(start).Seconds(), server: percentile(server, 50)}, nil
}

// trial is a measurement of throughput that lasts d.
type trial func(d time.Duration) (throughput, error)

// loop is the trial of a closed loop of clients sending next's requests.
func (c *client) loop(clients int, next func(i int64) request) trial {
	return func(d time.Duration) (throughput, error) { return c.closedLoop(clients, d, next) }
}

// turns is how many turns a measurement side by side takes.
const turns = 3

// sideBySide measures trials that are compared with each other in turns:
// each runs for d/turns in every turn, one after the other, so that the
// shared host's speed, which drifts by 20 % within minutes, moves each of
// them alike. Each one's figure is its mean over its turns (of answers per
// second, and of each turn's median server time).
func sideBySide(d time.Duration, trials ...trial) ([]throughput, error) {
	sums := make([]throughput, len(trials))
	for range turns {
		for i, tr := range trials {
			t, err := tr(d / turns)
			if err != nil {
				return nil, err
			}
			sums[i].perSecond += t.perSecond / turns
			sums[i].server += t.server / turns
		}
	}
	return sums, nil
}

// openLoop sends requests at a fixed rate, whatever the answers' speed, and
// returns each latency measured from when the request was due, and each
// answer's server time (its Server-Timing header).
func (c *client) openLoop(rate float64, d time.Duration, workers int, next func(i int64) request) (lat, server []time.Duration, err error) {
	n := int(rate * d.Seconds())
	due := make(chan time.Time, n)
	lat = make([]time.Duration, 0, n)
	server = make([]time.Duration, 0, n)
	var mu sync.Mutex
	var failed atomic.Int64
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range due {
				if wait := time.Until(t); wait > 0 {
					time.Sleep(wait)
				}
				status, header, _, err := c.send(next(seq.Add(1)))
				l := time.Since(t)
				st, stErr := serverTime(header)
				if err != nil || status >= 300 || stErr != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				lat, server = append(lat, l), append(server, st)
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := range n {
		due <- start.Add(time.Duration(i) * interval)
	}
	close(due)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return lat, server, failures{f}
	}
	return lat, server, nil
}

// failures is the error of an open loop some of whose requests failed (or
// answered an error); the loop's other figures come with it.
type failures struct{ n int64 }

func (f failures) Error() string { return fmt.Sprintf("%d requests failed", f.n) }

// serverTime reads the server's own time from an answer's Server-Timing
// header.
func serverTime(h http.Header) (time.Duration, error) {
	var ms float64
	if _, err := fmt.Sscanf(h.Get("Server-Timing"), "app;dur=%f", &ms); err != nil {
		return 0, fmt.Errorf("no Server-Timing: %w", err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// probe is a request that one client sends one at a time.
type probe struct {
	c *client
	r request
}

// serverTime sends the probe's request and returns the server's own time
// of its answer (its Server-Timing header).
func (p probe) serverTime() (time.Duration, error) {
	status, header, body, err := p.c.send(p.r)
	if err != nil || status != 200 {
		return 0, fmt.Errorf("%s %s: %d %v %.200s", p.r.method, p.r.path, status, err, body)
	}
	st, err := serverTime(header)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", p.r.method, p.r.path, err)
	}
	return st, nil
}

// timed sends each probe times times, one request at a time, after 20
// warm-up requests each, and returns the median of each one's server
// times. The probes take turns, one request of each after the other, so
// that the shared host's drift moves each of them alike.
func timed(times int, probes ...probe) ([]time.Duration, error) {
	for _, p := range probes {
		for range 20 {
			if _, _, err := p.c.do(p.r); err != nil {
				return nil, err
			}
		}
	}
	lat := make([][]time.Duration, len(probes))
	for range times {
		for i, p := range probes {
			st, err := p.serverTime()
			if err != nil {
				return nil, err
			}
			lat[i] = append(lat[i], st)
		}
	}
	medians := make([]time.Duration, len(probes))
	for i := range lat {
		medians[i] = percentile(lat[i], 50)
	}
	return medians, nil
}

// percentile returns the p-th percentile of the latencies.
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}
