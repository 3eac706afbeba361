package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// hookReceiver is the bench's webhook endpoint: HTTPS on loopback (live
// endpoints are https), answering its status at once, noting when each
// delivery arrived after its event was written.
type hookReceiver struct {
	srv      *httptest.Server
	certFile string // its certificate, for the server's SSL_CERT_FILE
	status   atomic.Int32

	mu           sync.Mutex
	delays       []time.Duration // from the event's created_at to the arrival
	first, last  time.Time
	seen, unread int
}

// startHookReceiver starts a receiver and writes its certificate into tmp.
func startHookReceiver(tmp string) (*hookReceiver, error) {
	r := &hookReceiver{}
	r.status.Store(http.StatusOK)
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	r.certFile = filepath.Join(tmp, "webhook-receiver.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	if err := os.WriteFile(r.certFile, cert, 0o600); err != nil {
		r.srv.Close()
		return nil, err
	}
	return r, nil
}

// serve notes one delivery and answers it.
func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(req.Body)
	var e struct {
		CreatedAt time.Time `json:"created_at"`
	}
	r.mu.Lock()
	if json.Unmarshal(body, &e) == nil {
		r.delays = append(r.delays, at.Sub(e.CreatedAt))
	} else {
		r.unread++
	}
	if r.seen == 0 {
		r.first = at
	}
	r.seen++
	r.last = at
	r.mu.Unlock()
	w.WriteHeader(int(r.status.Load()))
}

// reset forgets what was received.
func (r *hookReceiver) reset() {
	r.mu.Lock()
	r.delays, r.seen, r.unread = nil, 0, 0
	r.mu.Unlock()
}

// measureWebhooksOnly is P12 alone, on a database of its own seeded
// like measure's.
func measureWebhooksOnly(ctx context.Context, o options, dialect, tmp string) ([]result, error) {
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp, "roster_hooks")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	s, err := seed(ctx, o.roster, dbURL, layout(o.sizes, o.spread, o.sizes[0]))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "%s: P12 webhook delivery…\n", dialect)
	return measureWebhooks(ctx, o, dialect, tmp, dbURL, s, s.sized(o.patchSize))
}

// measureWebhooks is P12, on a server of its own that trusts the
// receiver: deliveries per second and the delay from an event's commit to
// its delivery at a steady o.hookRate membership changes per second (each
// request creates a membership in one of the small accounts: one event
// each), to an endpoint answering 200; then the PATCH throughput of P1
// with the endpoint disabled (no deliveries, as without webhooks) and,
// side by side, enabled while every delivery fails (500).
func measureWebhooks(ctx context.Context, o options, dialect, tmp, dbURL string, s seeded, big seededAccount) ([]result, error) {
	rcv, err := startHookReceiver(tmp)
	if err != nil {
		return nil, err
	}
	defer rcv.srv.Close()
	srv, err := startServer(ctx, o.roster, dbURL, []string{"--webhook-allow-nets", "127.0.0.0/8"}, "SSL_CERT_FILE="+rcv.certFile)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c := newClient(srv.base, s.key)

	status, _, body, err := c.send(request{"POST", "/v1/webhook-endpoints", `{"url":"` + rcv.srv.URL + `/hooks"}`})
	var ep struct {
		Data struct{ ID string } `json:"data"`
	}
	if err != nil || status != 201 || json.Unmarshal(body, &ep) != nil {
		return nil, fmt.Errorf("create the endpoint: %d %v %.200s", status, err, body)
	}
	rcv.reset()
	// The changes are invitations spread over the small accounts, as a
	// product's traffic spreads over its customers' accounts. Into one
	// account they would queue behind each other (an invitation takes a
	// seat of its account and holds the account's lock until it commits,
	// on PostgreSQL about 150 a second: P13's single-item figure), and
	// P12 would measure that queue instead of the deliveries.
	spread := s.accounts[len(o.sizes):]
	create := func(i int64) request {
		a := spread[i%int64(len(spread))]
		return request{"POST", "/v1/account-memberships?account_id=" + a.id,
			`{"email":"hook` + strconv.FormatInt(i, 10) + `-` + strconv.FormatInt(time.Now().UnixNano(), 36) + `@bench.example","send_email":false}`}
	}
	start := time.Now()
	// Enough senders that the load's rate, not their number, sets the pace.
	// Changes that arrive faster than the server keeps up with wait, and
	// some outwait their deadline: a figure, not the end of the run.
	var lost failures
	if _, _, err := c.openLoop(o.hookRate, o.duration, max(o.clients*2, 128), create); err != nil && !errors.As(err, &lost) {
		return nil, fmt.Errorf("steady load: %w", err)
	}
	changes := float64(int(o.hookRate*o.duration.Seconds())) / time.Since(start).Seconds()
	if err := drained(c, ep.Data.ID, 60*time.Second); err != nil {
		return nil, err
	}
	rcv.mu.Lock()
	delivered, delays, last, unread := rcv.seen, rcv.delays, rcv.last, rcv.unread
	rcv.mu.Unlock()
	if unread > 0 || delivered == 0 {
		return nil, fmt.Errorf("%d deliveries, %d unreadable", delivered, unread)
	}
	rate := float64(delivered) / last.Sub(start).Seconds()
	p99 := percentile(delays, 99)

	// The PATCH with the endpoint disabled (no deliveries: the same as no
	// endpoint) and enabled while every delivery fails, side by side.
	rcv.status.Store(http.StatusInternalServerError)
	patch := c.loop(o.clients, patchOn([]seededAccount{big}))
	var attempts int
	var failingFor time.Duration
	endpoint := func(status string, counted bool) trial {
		return func(d time.Duration) (throughput, error) {
			if code, _, body, err := c.send(request{"PATCH", "/v1/webhook-endpoints/" + ep.Data.ID, `{"status":"` + status + `"}`}); err != nil || code != 200 {
				return throughput{}, fmt.Errorf("%s the endpoint: %d %v %.200s", status, code, err, body)
			}
			rcv.reset()
			start := time.Now()
			t, err := patch(d)
			if counted {
				rcv.mu.Lock()
				attempts += rcv.seen
				rcv.mu.Unlock()
				failingFor += time.Since(start)
			}
			return t, err
		}
	}
	ts, err := sideBySide(o.duration, endpoint("disabled", false), endpoint("enabled", true))
	if err != nil {
		return nil, fmt.Errorf("PATCH while deliveries fail: %w", err)
	}
	without, failing := ts[0], ts[1]
	attempted := float64(attempts) / failingFor.Seconds()
	if status, _, body, err := c.send(request{"DELETE", "/v1/webhook-endpoints/" + ep.Data.ID, ""}); err != nil || status != 200 {
		return nil, fmt.Errorf("delete the endpoint: %d %v %.200s", status, err, body)
	}
	load := fmt.Sprintf("%.0f changes/s", o.hookRate)
	return []result{
		info(dialect, "P12", "PATCH without webhooks, req/s", perSecond(without)),
		info(dialect, "P12", "membership changes/s the server kept up with (of "+load+" sent)", fmt.Sprintf("%.0f", changes)),
		figure(dialect, "P12", "changes that failed at "+load+" (their deadline passed)", strconv.FormatInt(lost.n, 10), "0", lost.n == 0),
		figure(dialect, "P12", "deliveries/s at "+load+" (receiver answers 200)", fmt.Sprintf("%.0f", rate),
			fmt.Sprintf("≥ %.0f", 0.95*o.hookRate), rate >= 0.95*o.hookRate),
		info(dialect, "P12", "commit → delivery p50 at "+load, ms(percentile(delays, 50))),
		figure(dialect, "P12", "commit → delivery p99 at "+load, ms(p99), "< 1000 ms", p99 < time.Second),
		info(dialect, "P12", "failing deliveries attempted/s during that PATCH", fmt.Sprintf("%.0f", attempted)),
		atLeast(dialect, "P12", fmt.Sprintf("PATCH with every delivery failing / without (%s → %s)", perSecond(without), perSecond(failing)),
			failing.perSecond/without.perSecond, 0.9),
	}, nil
}

// drained waits until the endpoint has no delivery pending or being sent.
func drained(c *client, endpointID string, within time.Duration) error {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		empty := true
		for _, st := range []string{"pending", "sending"} {
			status, _, body, err := c.send(request{"GET", "/v1/webhook-endpoints/" + endpointID + "/deliveries?limit=1&status=" + st, ""})
			var page struct{ Data []json.RawMessage }
			if err != nil || status != 200 || json.Unmarshal(body, &page) != nil {
				return fmt.Errorf("deliveries: %d %v %.200s", status, err, body)
			}
			empty = empty && len(page.Data) == 0
		}
		if empty {
			return nil
		}
	}
	return fmt.Errorf("deliveries still pending %s after the load", within)
}
