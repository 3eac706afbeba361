package web_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"roster/web/webtest"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// serveMetrics serves the server's metrics on a loopback port of their own
// until the test ends and returns its base URL.
func (e *env) serveMetrics() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- e.srv.ServeMetrics(ln) }()
	e.t.Cleanup(func() {
		_ = e.srv.Shutdown(5 * time.Second)
		if err := <-errc; err != nil {
			e.t.Errorf("metrics listener: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// TestMetrics: after some traffic, /metrics on the metrics listener has
// the request counts by route pattern (never a raw path), the latency
// histogram, sign-in and rate-limit refusals, the outbox's queue, the
// database pool and the Go runtime and process; the public listener
// answers none of it, and /debug/pprof/ is absent without PProf.
func TestMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.Metrics, c.RateLimit, c.LoginAttempts = true, 3, 1 })
		public, private := e.listen(), e.serveMetrics()
		sk := e.key(true, db.KeySecret)
		startOfSecond()
		e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 200, "")
		e.Call(t, "GET", "/v1/accounts/acct_01NOSUCHACCOUNT", sk, "").Expect(t, 404, "account.not_found")
		e.Call(t, "GET", "/v1/accounts", "", "").Expect(t, 401, "unauthorized")
		for range 3 {
			e.Call(t, "GET", "/v1/events", sk, "")
		}
		b := e.browser()
		b.Get("/no-such-page-4711").Expect(t, 404)
		b.Get("/login")
		b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {"wrong"}}).Expect(t, 401)
		b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {"wrong"}}).Expect(t, 429)

		status, body := webtest.Fetch(t, private+"/metrics")
		if status != 200 {
			t.Fatalf("/metrics: %d", status)
		}
		for _, want := range []string{
			`roster_http_requests_total{method="GET",route="/v1/accounts",status="200"} 1`,
			`roster_http_requests_total{method="GET",route="/v1/accounts/:id",status="404"} 1`,
			`roster_http_requests_total{method="GET",route="/v1/*",status="401"} 1`,
			`roster_http_requests_total{method="GET",route="/v1/*",status="429"} 1`,
			`roster_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`roster_http_requests_total{method="POST",route="/login",status="401"} 1`,
			`roster_http_request_duration_seconds_bucket{method="GET",route="/v1/accounts/:id",le="+Inf"} 1`,
			`roster_signin_refusals_total{reason="bad_credentials"} 1`,
			`roster_signin_refusals_total{reason="throttled"} 1`,
			`roster_rate_limit_refusals_total{limit="api"} 1`,
			`roster_rate_limit_refusals_total{limit="signin_email"} 1`,
			"roster_outbox_pending ",
			"roster_outbox_oldest_pending_age_seconds ",
			`go_sql_max_open_connections{db_name="roster"}`,
			"go_goroutines ",
			"process_resident_memory_bytes ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if background := `go_sql_max_open_connections{db_name="roster_background"} 4`; (d.Dialect == db.Postgres) != strings.Contains(body, background) {
			t.Errorf("/metrics on %s: %s shown %v", d.Dialect, background, strings.Contains(body, background))
		}
		for _, raw := range []string{"acct_01NOSUCHACCOUNT", "no-such-page-4711"} {
			if strings.Contains(body, raw) {
				t.Errorf("/metrics names the raw path %s", raw)
			}
		}
		if status, _ := webtest.Fetch(t, private+"/debug/pprof/"); status != 404 {
			t.Errorf("/debug/pprof/ without PProf: %d, want 404", status)
		}
		for _, path := range []string{"/metrics", "/debug/pprof/"} {
			if status, body := webtest.Fetch(t, public+path); status != 404 || strings.Contains(body, "roster_http_requests_total") {
				t.Errorf("the public listener answers %s: %d", path, status)
			}
		}
	})
}

// TestOutboxMetrics: the queue's depth and the age of its oldest email
// are read from the database when scraped.
func TestOutboxMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.Metrics = true })
		private := e.serveMetrics()
		scrapeHas(t, private, "an empty outbox", "roster_outbox_pending 0\n", "roster_outbox_oldest_pending_age_seconds 0\n")
		if _, err := d.Exec(d.Rebind(`INSERT INTO outbox (id, workspace_id, livemode, to_email, subject, body, created_at)
			VALUES (?, ?, ?, 'a@example.com', 's', 'b', ?), (?, ?, ?, 'b@example.com', 's', 'b', ?)`),
			db.NewID("em"), e.ws.WorkspaceID, true, time.Now().Add(-time.Hour).UTC(),
			db.NewID("em"), e.ws.WorkspaceID, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		scrapeHas(t, private, "two pending emails, the oldest an hour old",
			"roster_outbox_pending 2\n", "roster_outbox_oldest_pending_age_seconds 36")
	})
}

// scrapeHas scrapes the metrics listener at private and fails the test,
// showing the roster_ metrics, unless each of want is in the answer.
func scrapeHas(t *testing.T, private, situation string, want ...string) {
	t.Helper()
	_, body := webtest.Fetch(t, private+"/metrics")
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("%s: /metrics lacks %q:\n%s", situation, w, grep(body, "roster_"))
		}
	}
}

// TestWebhookQueueMetrics: the webhook queue's depth and how long its
// most overdue delivery has been due are read from the database when
// scraped; a delivery waiting for a later retry is pending but not late.
func TestWebhookQueueMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.Metrics = true })
		private := e.serveMetrics()
		scrapeHas(t, private, "an empty queue", "roster_webhook_deliveries_pending 0\n", "roster_webhook_oldest_due_age_seconds 0\n")
		sc := db.Scope{WorkspaceID: e.ws.WorkspaceID}
		ep, err := d.CreateWebhookEndpoint(context.Background(), sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/"})
		if err != nil {
			t.Fatal(err)
		}
		insert := d.Rebind(`INSERT INTO webhook_deliveries (workspace_id, id, livemode, endpoint_id, event_id, event_type, status, next_attempt_at, created_at)
			VALUES (?, ?, false, ?, ?, 'account.created', ?, ?, ?)`)
		for i, row := range []struct {
			status string
			due    time.Duration
		}{{"pending", -time.Hour}, {"pending", time.Hour}, {"succeeded", -2 * time.Hour}} {
			if _, err := d.Exec(insert, sc.WorkspaceID, db.NewID("wd"), ep.ID, fmt.Sprintf("evt_%d", i), row.status,
				time.Now().Add(row.due).UTC(), time.Now().Add(-3*time.Hour).UTC()); err != nil {
				t.Fatal(err)
			}
		}
		scrapeHas(t, private, "two pending deliveries, one due an hour ago",
			"roster_webhook_deliveries_pending 2\n", "roster_webhook_oldest_due_age_seconds 36")
	})
}

// TestPprofOnTheMetricsListener: with PProf, /debug/pprof/ answers on the
// metrics listener, and still not on the public one.
func TestPprofOnTheMetricsListener(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), func(c *web.Config) { c.Metrics, c.PProf = true, true })
	public, private := e.listen(), e.serveMetrics()
	if status, body := webtest.Fetch(t, private+"/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/ with PProf: %d", status)
	}
	if status, _ := webtest.Fetch(t, private+"/debug/pprof/goroutine?debug=1"); status != 200 {
		t.Fatalf("/debug/pprof/goroutine: %d", status)
	}
	if status, _ := webtest.Fetch(t, public+"/debug/pprof/"); status != 404 {
		t.Fatalf("the public listener answers /debug/pprof/: %d", status)
	}
}

// TestMetricsOff: without Config.Metrics there is nothing to serve.
func TestMetricsOff(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := e.srv.ServeMetrics(ln); err == nil {
		t.Fatal("ServeMetrics served without Config.Metrics")
	}
}

// grep is the lines of s that contain word, for a failure to show.
func grep(s, word string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
