package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// dbProxy is a TCP proxy in front of a database server that a test can cut
// (listener and every connection closed, new ones refused) and restore on
// the same address.
type dbProxy struct {
	t      *testing.T
	addr   string // where it listens, the same across cuts
	target string
	mu     sync.Mutex
	ln     net.Listener // nil while cut
	conns  map[net.Conn]bool
}

// startProxy proxies a loopback port to target until the test ends.
func startProxy(t *testing.T, target string) *dbProxy {
	t.Helper()
	p := &dbProxy{t: t, addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.restore()
	p.addr = p.ln.Addr().String()
	t.Cleanup(p.cut)
	return p
}

// restore listens again.
func (p *dbProxy) restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.accept(ln)
}

// cut closes the listener and every connection through the proxy.
func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// accept serves ln's connections until it is closed.
func (p *dbProxy) accept(ln net.Listener) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(ln, client, server) {
			continue
		}
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

// track registers a proxied pair of connections, unless the listener that
// accepted it was cut meanwhile: then it closes them.
func (p *dbProxy) track(ln net.Listener, conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

// pipe copies from one side to the other, closing both when either ends.
func (p *dbProxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// outcome is one request of the load: when it started and ended, and how
// it was answered.
type outcome struct {
	start, end time.Time
	status     int
	typ        string
	err        error
}

// TestDatabaseOutage cuts PostgreSQL away under a server in the middle of a
// write load: every request answers 503 unavailable within 5 s while it is
// away, /readyz says so and /healthz does not, and requests succeed again
// within 10 s of its return without a restart. Afterwards the database
// holds no half-written change.
func TestDatabaseOutage(t *testing.T) {
	u, err := url.Parse(dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	d, err := db.Open(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	e := newEnv(t, d)
	sk := e.key(true, db.KeySecret)
	accounts := []string{e.createAccount(sk, "One"), e.createAccount(sk, "Two")}

	stop := make(chan struct{})
	var stopOnce sync.Once
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string // the memberships this worker created
			for i := 0; i < 400; i++ {
				select {
				case <-stop:
					return
				default:
				}
				method, path, body := "POST", "/v1/accounts/"+accounts[i%2]+"/memberships", fmt.Sprintf(`{"email":"w%d-%d@example.com"}`, w, i)
				if i%3 == 2 && len(mine) > 0 {
					method, path = "PATCH", "/v1/account-memberships/"+mine[i%len(mine)]
					body = `{"add_permissions":["billing.manage"]}`
					if i%2 == 0 {
						body = `{"remove_permissions":["billing.manage"]}`
					}
				}
				o := outcome{start: time.Now()}
				r, err := e.Send(method, path, sk, body)
				o.end, o.status, o.typ, o.err = time.Now(), r.Status, r.ErrType(), err
				var m struct{ ID string }
				if err == nil && r.Status == 201 && json.Unmarshal(r.Body.Data, &m) == nil {
					mine = append(mine, m.ID)
				}
				if err == nil && r.Status == 503 && r.Header.Get("Retry-After") == "" {
					o.err = fmt.Errorf("503 without Retry-After")
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				if o.status == 503 {
					time.Sleep(50 * time.Millisecond) // as a client backs off
				}
			}
		}()
	}
	stopLoad := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	defer stopLoad()

	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(outcomes) >= 20 })
	proxy.cut()
	cutAt := time.Now()
	time.Sleep(500 * time.Millisecond)
	if r := e.Call(t, "GET", "/readyz", "", ""); r.Status != 503 {
		t.Errorf("/readyz while the database is away: %d", r.Status)
	}
	if r := e.Call(t, "GET", "/healthz", "", ""); r.Status != 200 {
		t.Errorf("/healthz while the database is away: %d", r.Status)
	}
	e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 503, "unavailable")
	time.Sleep(time.Second)

	proxy.restore()
	restoredAt := time.Now()
	recovered := false
	for !recovered && time.Since(restoredAt) < 10*time.Second {
		recovered = e.Call(t, "GET", "/v1/accounts", sk, "").Status == 200
		if !recovered {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !recovered {
		t.Fatal("requests do not succeed 10 s after the database came back")
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return successAfter(outcomes, restoredAt) })
	stopLoad()

	checkOutcomes(t, outcomes, cutAt, restoredAt)
	checkConsistency(t, d)
}

// waitFor polls ok until it holds, failing the test after 15 s.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

// successAfter reports whether a request of the load started after t
// succeeded.
func successAfter(os []outcome, t time.Time) bool {
	return slices.ContainsFunc(os, func(o outcome) bool { return o.start.After(t) && o.err == nil && o.status < 300 })
}

// checkOutcomes checks the load's answers: never a failure other than 503
// unavailable, those within 5 s, and every request made while the database
// was away a 503.
func checkOutcomes(t *testing.T, os []outcome, cutAt, restoredAt time.Time) {
	t.Helper()
	var during, unavailable int
	for _, o := range os {
		switch {
		case o.err != nil:
			t.Errorf("request failed: %v", o.err)
		case o.status == 503 && o.typ != "unavailable":
			t.Errorf("503 of type %q", o.typ)
		case o.status == 503 && o.end.Sub(o.start) > 5*time.Second:
			t.Errorf("503 after %s", o.end.Sub(o.start))
		case o.status != 200 && o.status != 201 && o.status != 503:
			t.Errorf("status %d (%s) under load", o.status, o.typ)
		}
		if o.status == 503 {
			unavailable++
		}
		if o.start.After(cutAt) && o.end.Before(restoredAt) {
			during++
			if o.status != 503 {
				t.Errorf("a request made while the database was away answered %d", o.status)
			}
		}
	}
	if during == 0 || unavailable == 0 {
		t.Errorf("%d requests while the database was away, %d answered 503: the load did not meet the outage", during, unavailable)
	}
	t.Logf("%d requests, %d while the database was away, %d answered 503", len(os), during, unavailable)
}

// checkConsistency reads the database straight: every membership has its
// membership.created event and one membership.updated event per version
// past the first, every event's membership exists, and each membership's
// last event shows its current direct permissions.
func checkConsistency(t *testing.T, d *db.DB) {
	t.Helper()
	for _, c := range []struct{ what, query string }{
		{"memberships without their membership.created event", `SELECT COUNT(*) FROM account_memberships am WHERE NOT EXISTS
			(SELECT 1 FROM events e WHERE e.membership_id = am.id AND e.type = 'membership.created')`},
		{"membership events of memberships that do not exist", `SELECT COUNT(*) FROM events e WHERE e.membership_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM account_memberships am WHERE am.id = e.membership_id)`},
		{"memberships whose version does not count their updates", `SELECT COUNT(*) FROM account_memberships am WHERE am.version - 1 <>
			(SELECT COUNT(*) FROM events e WHERE e.membership_id = am.id AND e.type = 'membership.updated')`},
		{"invited memberships without an invitation", `SELECT COUNT(*) FROM account_memberships am WHERE am.status = 'invited'
			AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.membership_id = am.id)`},
	} {
		var n int
		if err := d.Get(&n, c.query); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
	var last []struct {
		ID   string `db:"id"`
		Data string `db:"data"`
	}
	if err := d.Select(&last, `SELECT am.id, e.data FROM account_memberships am JOIN events e ON e.membership_id = am.id
		WHERE e.id = (SELECT MAX(id) FROM events WHERE membership_id = am.id)`); err != nil {
		t.Fatal(err)
	}
	for _, row := range last {
		var logged struct{ Permissions []string }
		if err := json.Unmarshal([]byte(row.Data), &logged); err != nil {
			t.Fatal(err)
		}
		var stored []string
		if err := d.Select(&stored, `SELECT permission_key FROM membership_permissions WHERE membership_id = $1 ORDER BY permission_key`, row.ID); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(logged.Permissions) != fmt.Sprint(stored) {
			t.Errorf("membership %s has permissions %v, its last event says %v", row.ID, stored, logged.Permissions)
		}
	}
	t.Logf("%d memberships consistent with their events", len(last))
}

// TestDatabaseBlackHole points a server at a PostgreSQL address that
// accepts connections and never answers, with no connect_timeout in the
// URL: requests are 503 within 5 s rather than a wait without end.
func TestDatabaseBlackHole(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	d, err := db.Open("postgres://roster:roster@" + ln.Addr().String() + "/roster?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	srv, err := web.New(t.Context(), d, web.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(time.Second) })
	// Registered last, run first: the held connections end, so that a
	// request still waiting on one ends too.
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	e := envOn(t, d, srv)
	e.within(t, 5*time.Second, "GET", "/v1/accounts", "sk_test_"+db.RandomToken(40), "").Expect(t, 503, "unavailable")
}

// within sends a request and fails the test unless it is answered within
// limit; a request that waits on is left to end with the test.
func (e *env) within(t *testing.T, limit time.Duration, method, path, token, body string) response {
	t.Helper()
	answered := make(chan response, 1)
	go func() {
		r, _ := e.Send(method, path, token, body)
		answered <- r
	}()
	select {
	case r := <-answered:
		return r
	case <-time.After(limit):
		t.Fatalf("%s %s: no answer within %s", method, path, limit)
		return response{}
	}
}

// TestRequestDeadline holds a lock an API request needs: the request is
// 503 unavailable once its RequestTimeout has passed, and the change it
// wanted is not made.
func TestRequestDeadline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.RequestTimeout = 300 * time.Millisecond })
		sk := e.key(true, db.KeySecret)
		acct := e.createAccount(sk, "Locked")
		tx, err := d.BeginTxx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(d.Rebind(`UPDATE accounts SET name = 'Held' WHERE id = ?`), acct); err != nil {
			t.Fatal(err)
		}
		e.within(t, 5*time.Second, "PATCH", "/v1/accounts/"+acct, sk, `{"name":"Waiting"}`).Expect(t, 503, "unavailable")
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		r := e.Call(t, "GET", "/v1/accounts/"+acct, sk, "")
		if r.Expect(t, 200, ""); !strings.Contains(r.Raw, `"Locked"`) {
			t.Fatalf("the refused rename happened: %s", r.Raw)
		}
	})
}
