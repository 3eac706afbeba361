package web_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on 127.0.0.1: a real HTTP server that
// records every request and answers as answer says (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter)
}

// newReceiver starts a receiver until the test ends; tls makes it https.
func newReceiver(t *testing.T, tls bool, answer func(n int, w http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{answer: answer}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		n := len(r.got)
		r.mu.Unlock()
		if r.answer == nil {
			w.WriteHeader(200)
			return
		}
		r.answer(n, w)
	})
	if tls {
		r.Server = httptest.NewTLSServer(h)
	} else {
		r.Server = httptest.NewServer(h)
	}
	t.Cleanup(r.Close)
	return r
}

// requests is what the receiver got so far.
func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// hookEnv is an env whose webhook dispatcher runs on clk, trusts the TLS
// receivers' certificates and works only when the test flushes it.
func hookEnv(t *testing.T, d *db.DB, clk *dbtest.Clock, adjust ...func(*web.Config)) *env {
	t.Helper()
	e := newEnv(t, d, append([]func(*web.Config){func(cfg *web.Config) {
		cfg.Webhooks = web.WebhookOptions{Now: clk.Now, Interval: time.Hour, Version: "test",
			TLS: &tls.Config{InsecureSkipVerify: true}} // the receivers' own certificates
	}}, adjust...)...)
	e.clk = clk
	return e
}

// endpointAnswer is what a test reads of an endpoint.
type endpointAnswer struct {
	ID             string   `json:"id"`
	Secret         string   `json:"secret"`
	Status         string   `json:"status"`
	DisabledReason *string  `json:"disabled_reason"`
	EnabledEvents  []string `json:"enabled_events"`
	Version        int64    `json:"version"`
}

// deliveryAnswer is what a test reads of a delivery.
type deliveryAnswer struct {
	ID            string     `json:"id"`
	EventID       string     `json:"event_id"`
	EventType     string     `json:"event_type"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastStatus    *int       `json:"last_status"`
	LastError     *string    `json:"last_error"`
	LastResponse  *string    `json:"last_response"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

// addEndpoint creates an endpoint through the API.
func (e *env) addEndpoint(t *testing.T, token string, body map[string]any) endpointAnswer {
	t.Helper()
	b, _ := json.Marshal(body)
	r := e.Call(t, "POST", "/v1/webhook-endpoints", token, string(b))
	r.Expect(t, 201, "")
	var ep endpointAnswer
	r.Data(t, &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") || !db.HasPrefix(ep.ID, "we") {
		t.Fatalf("created endpoint %s", r.Raw)
	}
	return ep
}

// deliveries lists an endpoint's deliveries through the API.
func (e *env) deliveries(t *testing.T, token, endpointID, query string) []deliveryAnswer {
	t.Helper()
	r := e.Call(t, "GET", "/v1/webhook-endpoints/"+endpointID+"/deliveries?"+query, token, "")
	r.Expect(t, 200, "")
	var ds []deliveryAnswer
	r.Data(t, &ds)
	return ds
}

// flush runs the server's webhook dispatcher until nothing is due.
func (e *env) flush(t *testing.T) {
	t.Helper()
	if e.clk != nil {
		e.clk.CatchUp()
	}
	if err := e.srv.Webhooks().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// verify checks a request's signature with the Standard Webhooks
// library (timestamps are the test's clock: their tolerance is not).
func verify(t *testing.T, secret string, r received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp(r.body, r.header); err != nil {
		t.Fatalf("signature %q does not verify: %v", r.header.Get("webhook-signature"), err)
	}
}

// TestWebhookDelivery: an event reaches an endpoint that wants its type,
// signed (verified by the Standard Webhooks library), its body the event
// as GET /v1/events/{id} answers it with data.version; other types and
// the secret do not show; the delivery says it succeeded.
func TestWebhookDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		rcv := newReceiver(t, false, nil)
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL + "/hooks", "enabled_events": []string{"membership.created"}})
		acct := e.createAccount(sk, "Hooked")
		m := e.addMember(sk, acct, `{"email":"hooked@example.com"}`)
		e.flush(t)
		got := rcv.requests()
		if len(got) != 1 {
			t.Fatalf("%d requests, want the membership.created only", len(got))
		}
		r := got[0]
		verify(t, ep.Secret, r)
		wh, _ := standardwebhooks.NewWebhook(ep.Secret)
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Fatalf("the signature does not verify with its timestamp: %v", err)
		}
		if ua := r.header.Get("User-Agent"); ua != "Roster-Webhooks/test" || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("User-Agent %q, Content-Type %q", ua, r.header.Get("Content-Type"))
		}
		if ts := r.header.Get("webhook-timestamp"); ts != strconv.FormatInt(clk.Now().Unix(), 10) {
			t.Fatalf("webhook-timestamp %s, want %d", ts, clk.Now().Unix())
		}
		var body struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Data struct {
				ID      string `json:"id"`
				Version int64  `json:"version"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.ID != r.header.Get("webhook-id") || body.Type != "membership.created" || body.Data.ID != m.ID || body.Data.Version != 1 {
			t.Fatalf("body %s with webhook-id %s", r.body, r.header.Get("webhook-id"))
		}
		one := e.Call(t, "GET", "/v1/events/"+body.ID, sk, "")
		one.Expect(t, 200, "")
		if string(one.Body.Data) != string(r.body) {
			t.Fatalf("the body is not the event as the API answers it:\n%s\n%s", r.body, one.Body.Data)
		}
		ds := e.deliveries(t, sk, ep.ID, "")
		if len(ds) != 1 || ds[0].Status != "succeeded" || ds[0].Attempts != 1 || *ds[0].LastStatus != 200 || ds[0].EventID != body.ID {
			t.Fatalf("deliveries %+v", ds)
		}
		if ds := e.deliveries(t, sk, ep.ID, "status=failed"); len(ds) != 0 {
			t.Fatalf("failed deliveries %+v", ds)
		}
		for _, path := range []string{"/v1/webhook-endpoints", "/v1/webhook-endpoints/" + ep.ID} {
			if r := e.Call(t, "GET", path, sk, ""); r.Status != 200 || strings.Contains(r.Raw, "whsec_") {
				t.Fatalf("GET %s shows the secret: %s", path, r.Raw)
			}
		}
		e.Call(t, "GET", "/v1/webhook-endpoints/"+db.NewID("we")+"/deliveries", sk, "").Expect(t, 404, "webhook_endpoint.not_found")
		e.Call(t, "POST", "/v1/webhook-deliveries/"+db.NewID("whd")+"/retry", sk, "").Expect(t, 404, "webhook_delivery.not_found")
		e.Call(t, "GET", "/v1/webhook-endpoints/"+ep.ID, e.key(true, db.KeySecret), "").Expect(t, 404, "webhook_endpoint.not_found")
	})
}

// TestWebhookEndpointInput: the URL's scheme by mode, refused addresses,
// event types and "*" alone, the account, each a clear 400.
func TestWebhookEndpointInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(cfg *web.Config) { cfg.WebhookAllowNets = nil })
		live, test := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		for _, c := range []struct{ token, body, typ string }{
			{live, `{"url":"http://hooks.example.com/"}`, "validation_error"},
			{test, `{}`, "validation_error"},
			{test, `{"url":"ftp://hooks.example.com/"}`, "validation_error"},
			{test, `{"url":"https://hooks.example.com/","enabled_events":["membership.exploded"]}`, "validation_error"},
			{test, `{"url":"https://hooks.example.com/","enabled_events":["*","membership.created"]}`, "validation_error"},
			{test, `{"url":"https://hooks.example.com/","enabled_events":[]}`, "validation_error"},
			{test, `{"url":"https://hooks.example.com/","account_id":"acct_nope"}`, "validation_error"},
			{test, `{"url":"http://127.0.0.1:8080/"}`, "webhook_endpoint.url_not_allowed"},
			{test, `{"url":"http://[::1]/"}`, "webhook_endpoint.url_not_allowed"},
			{test, `{"url":"http://10.1.2.3/"}`, "webhook_endpoint.url_not_allowed"},
			{test, `{"url":"http://169.254.169.254/latest/meta-data"}`, "webhook_endpoint.url_not_allowed"},
			{live, `{"url":"https://0.0.0.0/"}`, "webhook_endpoint.url_not_allowed"},
			{test, `{"url":"http://100.100.100.200/"}`, "webhook_endpoint.url_not_allowed"},
			{test, `{"url":"http://255.255.255.255/"}`, "webhook_endpoint.url_not_allowed"},
			{test, `{"url":"http://[64:ff9b::a00:1]/"}`, "webhook_endpoint.url_not_allowed"},
		} {
			e.Call(t, "POST", "/v1/webhook-endpoints", c.token, c.body).Expect(t, 400, c.typ)
		}
		ep := e.addEndpoint(t, test, map[string]any{"url": "http://hooks.example.com/"})
		if len(ep.EnabledEvents) != 1 || ep.EnabledEvents[0] != "*" {
			t.Fatalf("enabled_events %v, want [*]", ep.EnabledEvents)
		}
		e.Call(t, "PATCH", "/v1/webhook-endpoints/"+ep.ID, test, `{"url":"http://192.168.1.1/"}`).Expect(t, 400, "webhook_endpoint.url_not_allowed")
		r := e.Call(t, "PATCH", "/v1/webhook-endpoints/"+ep.ID, test, `{"description":"CRM","enabled_events":["role.updated","membership.updated"]}`)
		r.Expect(t, 200, "")
		if r.Header.Get("ETag") != `"2"` {
			t.Fatalf("ETag %q after one change", r.Header.Get("ETag"))
		}
		// The ETag guards changes, as a membership's does.
		path := "/v1/webhook-endpoints/" + ep.ID
		e.Call(t, "PATCH", path, test, `{"description":"stale"}`, "If-Match", `"1"`).Expect(t, 412, "precondition_failed")
		e.Call(t, "DELETE", path, test, "", "If-Match", `"1"`).Expect(t, 412, "precondition_failed")
		if got := e.Call(t, "GET", path, test, ""); !strings.Contains(got.Raw, `"description":"CRM"`) {
			t.Fatalf("a refused change changed the endpoint: %s", got.Raw)
		}
		e.Call(t, "PATCH", path, test, `{"description":"fresh"}`, "If-Match", `"2"`).Expect(t, 200, "")
		e.Call(t, "DELETE", path, test, "", "If-Match", `"3"`).Expect(t, 200, "")
	})
}

// TestWebhookRetries: a failed attempt is tried again on the schedule,
// each attempt signed afresh with its own timestamp; after a 429 at
// least a minute; a Retry-After is honoured up to twice the wait.
func TestWebhookRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		rcv := newReceiver(t, false, func(n int, w http.ResponseWriter) {
			switch n {
			case 1:
				w.WriteHeader(429)
			case 2:
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(503)
				io.WriteString(w, strings.Repeat("busy ", 1000))
			default:
				w.WriteHeader(204)
			}
		})
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL, "enabled_events": []string{"account.created"}})
		e.createAccount(sk, "Retried")
		e.flush(t)
		start := clk.Now()
		ds := e.deliveries(t, sk, ep.ID, "")
		if len(ds) != 1 || ds[0].Status != "pending" || *ds[0].LastStatus != 429 || ds[0].NextAttemptAt.Sub(start).Round(time.Second) != time.Minute {
			t.Fatalf("after a 429: %+v (next in %s, want a minute)", ds, ds[0].NextAttemptAt.Sub(start))
		}
		clk.Advance(30 * time.Second)
		e.flush(t)
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("%d requests before the retry was due", n)
		}
		clk.Advance(31 * time.Second)
		e.flush(t)
		second := clk.Now()
		ds = e.deliveries(t, sk, ep.ID, "")
		wait := ds[0].NextAttemptAt.Sub(second)
		if ds[0].Attempts != 2 || *ds[0].LastStatus != 503 || wait < 8*time.Minute || wait > 12*time.Minute || len(*ds[0].LastResponse) != 2048 {
			t.Fatalf("after a 503 with Retry-After 3600: %+v, next in %s (want twice 5 min ±20%%)", ds[0], wait)
		}
		clk.Advance(wait)
		e.flush(t)
		got := rcv.requests()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3", len(got))
		}
		stamps := map[string]bool{}
		for _, r := range got {
			verify(t, ep.Secret, r)
			stamps[r.header.Get("webhook-timestamp")] = true
			if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") {
				t.Fatal("the webhook-id changed between attempts")
			}
		}
		if len(stamps) != 3 {
			t.Fatalf("timestamps %v: each attempt is signed afresh", stamps)
		}
		if ds := e.deliveries(t, sk, ep.ID, "status=succeeded"); len(ds) != 1 || ds[0].Attempts != 3 || ds[0].NextAttemptAt != nil {
			t.Fatalf("after the 204: %+v", ds)
		}
	})
}

// TestWebhookGoneDisables: a 410 disables the endpoint at once (gone),
// writes webhook_endpoint.disabled and emails the owners; nothing more
// is queued for it.
func TestWebhookGoneDisables(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		rcv := newReceiver(t, false, func(int, http.ResponseWriter) {})
		rcv.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(410) }
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL})
		e.createAccount(sk, "Gone")
		e.flush(t)
		ds := e.deliveries(t, sk, ep.ID, "")
		if len(ds) != 1 || ds[0].Status != "failed" || *ds[0].LastStatus != 410 {
			t.Fatalf("deliveries %+v", ds)
		}
		gone := e.endpointOf(t, sk, ep.ID)
		if gone.Status != "disabled" || gone.DisabledReason == nil || *gone.DisabledReason != "gone" {
			t.Fatalf("endpoint %+v", gone)
		}
		if evs := e.events(t, sk, "type=webhook_endpoint.disabled"); len(evs) != 1 {
			t.Fatalf("%d webhook_endpoint.disabled events", len(evs))
		}
		e.ownerEmailed(t, "Roster disabled a webhook endpoint")
		e.createAccount(sk, "After")
		if ds := e.deliveries(t, sk, ep.ID, ""); len(ds) != 1 {
			t.Fatalf("a disabled endpoint got a delivery: %+v", ds)
		}
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/test", sk, "").Expect(t, 409, "webhook_endpoint.disabled")
	})
}

// endpointOf reads an endpoint through the API.
func (e *env) endpointOf(t *testing.T, token, id string) endpointAnswer {
	t.Helper()
	r := e.Call(t, "GET", "/v1/webhook-endpoints/"+id, token, "")
	r.Expect(t, 200, "")
	var ep endpointAnswer
	r.Data(t, &ep)
	return ep
}

// ownerEmailed checks the workspace's owner has an email with subject in the outbox.
func (e *env) ownerEmailed(t *testing.T, subject string) {
	t.Helper()
	es, err := e.db.PendingEmails(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range es {
		if m.To == e.ws.OwnerEmail && m.Subject == subject {
			return
		}
	}
	t.Fatalf("no email %q to the owner %s in %+v", subject, e.ws.OwnerEmail, es)
}

// TestWebhookFailingEndpointIsDisabled: with the test's clock, an
// endpoint that has had no success for 5 days and whose last 10
// finished deliveries failed is disabled (failing): its pending
// deliveries are skipped. Before 5 days, failures alone do not disable it.
func TestWebhookFailingEndpointIsDisabled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		rcv := newReceiver(t, false, func(_ int, w http.ResponseWriter) { w.WriteHeader(500) })
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL, "enabled_events": []string{"account.created"}})
		for i := range 10 {
			e.createAccount(sk, "Failing "+strconv.Itoa(i))
		}
		// Every wait of the schedule is at most 12 h (10 h + 20 %).
		for range 9 {
			e.flush(t)
			clk.Advance(12 * time.Hour)
		}
		if ds := e.deliveries(t, sk, ep.ID, "status=failed"); len(ds) != 10 || ds[0].Attempts != 8 {
			t.Fatalf("%d failed deliveries (want 10 after 8 attempts each): %+v", len(ds), ds)
		}
		if ep := e.endpointOf(t, sk, ep.ID); ep.Status != "enabled" {
			t.Fatalf("disabled before 5 days without success: %+v", ep)
		}
		clk.Advance(24 * time.Hour)
		e.createAccount(sk, "Last straw")
		for range 7 {
			e.flush(t)
			clk.Advance(12 * time.Hour)
		}
		e.createAccount(sk, "Waiting")
		e.flush(t)
		disabled := e.endpointOf(t, sk, ep.ID)
		if disabled.Status != "disabled" || disabled.DisabledReason == nil || *disabled.DisabledReason != "failing" {
			t.Fatalf("endpoint %+v, want disabled as failing", disabled)
		}
		if ds := e.deliveries(t, sk, ep.ID, "status=skipped"); len(ds) != 1 {
			all := e.deliveries(t, sk, ep.ID, "limit=3")
			t.Fatalf("skipped deliveries %+v; newest %+v %+v", ds, all[0], all[1])
		}
		if ds := e.deliveries(t, sk, ep.ID, "status=pending"); len(ds) != 0 {
			t.Fatalf("pending deliveries of a disabled endpoint: %+v", ds)
		}
		e.ownerEmailed(t, "Roster disabled a webhook endpoint")
		// Enabled again, it redelivers nothing by itself; recover does.
		e.Call(t, "PATCH", "/v1/webhook-endpoints/"+ep.ID, sk, `{"status":"enabled"}`).Expect(t, 200, "")
		rcv.mu.Lock()
		rcv.answer = nil
		rcv.mu.Unlock()
		before := len(rcv.requests())
		e.flush(t)
		if len(rcv.requests()) != before {
			t.Fatal("enabling an endpoint redelivered what it missed")
		}
		since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		r := e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/recover", sk, `{"since":"`+since+`"}`)
		r.Expect(t, 202, "")
		var rec struct{ Queued int }
		r.Data(t, &rec)
		if rec.Queued != 12 {
			t.Fatalf("recovered %d, want the 11 failed and the skipped one", rec.Queued)
		}
		e.flush(t)
		if ds := e.deliveries(t, sk, ep.ID, "status=succeeded&limit=100"); len(ds) != 12 {
			t.Fatalf("%d succeeded after recovery", len(ds))
		}
		old := time.Now().Add(-15 * 24 * time.Hour).UTC().Format(time.RFC3339)
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/recover", sk, `{"since":"`+old+`"}`).Expect(t, 400, "validation_error")
		if r := e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/recover", sk, `{"since":"yesterday"}`); r.Status != 400 ||
			!strings.Contains(r.Raw, "must be a time in RFC 3339") {
			t.Fatalf("a since that is no time: %d %s", r.Status, r.Raw)
		}
		if r := e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", sk, `{"expires_in":1.5}`); r.Status != 400 ||
			!strings.Contains(r.Raw, "must be a whole number") {
			t.Fatalf("an expires_in that is no whole number: %d %s", r.Status, r.Raw)
		}
	})
}

// TestWebhookRotation: after a rotation both secrets sign every attempt
// until the old one expires (two v1 signatures, each verifying); at most
// 10 unexpired old secrets.
func TestWebhookRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		rcv := newReceiver(t, false, nil)
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL})
		r := e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", sk, `{"expires_in":3600}`)
		r.Expect(t, 200, "")
		var rotated endpointAnswer
		r.Data(t, &rotated)
		if rotated.Secret == ep.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("rotated %s", r.Raw)
		}
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/test", sk, "").Expect(t, 202, "")
		e.flush(t)
		got := rcv.requests()
		if len(got) != 1 || len(strings.Fields(got[0].header.Get("webhook-signature"))) != 2 {
			t.Fatalf("requests %+v, want one with two signatures", got)
		}
		verify(t, ep.Secret, got[0])
		verify(t, rotated.Secret, got[0])
		var body struct{ Type string }
		json.Unmarshal(got[0].body, &body)
		if body.Type != "webhook_endpoint.test" {
			t.Fatalf("test event of type %q", body.Type)
		}
		// Once the old secret expired, only the new one signs.
		clk.Advance(2 * time.Hour)
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/test", sk, "").Expect(t, 202, "")
		e.flush(t)
		got = rcv.requests()
		if len(got) != 2 || len(strings.Fields(got[1].header.Get("webhook-signature"))) != 1 {
			t.Fatalf("after expiry: %v", got[1].header)
		}
		verify(t, rotated.Secret, got[1])
		for range 9 {
			e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", sk, `{}`).Expect(t, 200, "")
		}
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", sk, `{}`).Expect(t, 400, "webhook_endpoint.rotation_limit")
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", sk, `{"expires_in":0}`).Expect(t, 200, "")
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", sk, `{"expires_in":604801}`).Expect(t, 400, "validation_error")
	})
}

// TestWebhookFilters: a test-mode endpoint gets test-mode events only, a
// live one live events only; an endpoint of one account gets that
// account's events only; the test event goes to its endpoint alone.
func TestWebhookFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		liveRcv, testRcv, acctRcv := newReceiver(t, true, nil), newReceiver(t, false, nil), newReceiver(t, false, nil)
		live, test := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		e.addEndpoint(t, live, map[string]any{"url": liveRcv.URL})
		e.addEndpoint(t, test, map[string]any{"url": testRcv.URL, "enabled_events": []string{"account.created"}})
		mine, other := e.createAccount(test, "Mine"), e.createAccount(test, "Other")
		acctEP := e.addEndpoint(t, test, map[string]any{"url": acctRcv.URL, "account_id": mine})
		e.createAccount(live, "Live one")
		e.addMember(test, mine, `{"email":"mine@example.com"}`)
		e.addMember(test, other, `{"email":"other@example.com"}`)
		e.Call(t, "POST", "/v1/webhook-endpoints/"+acctEP.ID+"/test", test, "").Expect(t, 202, "")
		e.flush(t)
		types := func(r *receiver) (out []string) {
			for _, g := range r.requests() {
				var b struct {
					Type      string
					Livemode  bool
					AccountID *string `json:"account_id"`
				}
				json.Unmarshal(g.body, &b)
				acct := ""
				if b.AccountID != nil {
					acct = *b.AccountID
				}
				out = append(out, b.Type+"/"+strconv.FormatBool(b.Livemode)+"/"+map[bool]string{true: "mine", false: ""}[acct == mine])
			}
			slices.Sort(out)
			return out
		}
		if got := strings.Join(types(testRcv), " "); got != "account.created/false/ account.created/false/mine" {
			t.Fatalf("test endpoint got %s", got)
		}
		// The live endpoint ("*"): the live account (not its own creation,
		// written before it existed).
		if got := strings.Join(types(liveRcv), " "); got != "account.created/true/" {
			t.Fatalf("live endpoint got %s", got)
		}
		if got := strings.Join(types(acctRcv), " "); got != "invitation.sent/false/mine membership.created/false/mine webhook_endpoint.test/false/" {
			t.Fatalf("account endpoint got %s", got)
		}
	})
}

// TestWebhookSSRF: without ROSTER_WEBHOOK_ALLOW_NETS a name that
// resolves to a loopback address is refused when connecting: the attempt
// fails with last_error saying why and the receiver gets nothing; a
// redirect is not followed.
func TestWebhookSSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk, func(cfg *web.Config) { cfg.WebhookAllowNets = nil })
		rcv := newReceiver(t, false, nil)
		sk := e.key(false, db.KeySecret)
		port := rcv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
		ep := e.addEndpoint(t, sk, map[string]any{"url": "http://localhost:" + strconv.Itoa(int(port)) + "/hooks"})
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/test", sk, "").Expect(t, 202, "")
		e.flush(t)
		if n := len(rcv.requests()); n != 0 {
			t.Fatalf("the receiver on loopback got %d requests", n)
		}
		ds := e.deliveries(t, sk, ep.ID, "")
		if len(ds) != 1 || ds[0].Status != "pending" || ds[0].LastError == nil ||
			!strings.Contains(*ds[0].LastError, "loopback address") || ds[0].LastStatus != nil {
			t.Fatalf("deliveries %+v, last_error %v", ds, *ds[0].LastError)
		}
	})
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		target := newReceiver(t, false, nil)
		rcv := newReceiver(t, false, func(_ int, w http.ResponseWriter) {
			w.Header().Set("Location", target.URL)
			w.WriteHeader(307)
		})
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL})
		e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/test", sk, "").Expect(t, 202, "")
		e.flush(t)
		ds := e.deliveries(t, sk, ep.ID, "")
		if len(target.requests()) != 0 || ds[0].Status != "pending" || *ds[0].LastStatus != 307 || !strings.Contains(*ds[0].LastError, "redirect") {
			t.Fatalf("a redirect was followed, or not a failure: %+v", ds[0])
		}
	})
}

// TestWebhookRetryNow: a delivery retried by hand is attempted once more
// now, with nothing scheduled after it; one of a disabled endpoint is 409.
func TestWebhookRetryNow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now())
		e := hookEnv(t, d, clk)
		rcv := newReceiver(t, false, nil)
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL})
		r := e.Call(t, "POST", "/v1/webhook-endpoints/"+ep.ID+"/test", sk, "")
		r.Expect(t, 202, "")
		var del deliveryAnswer
		r.Data(t, &del)
		if del.Status != "pending" || del.EventType != "webhook_endpoint.test" {
			t.Fatalf("test delivery %+v", del)
		}
		e.flush(t)
		rcv.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(500) }
		e.Call(t, "POST", "/v1/webhook-deliveries/"+del.ID+"/retry", sk, "").Expect(t, 202, "")
		e.flush(t)
		ds := e.deliveries(t, sk, ep.ID, "")
		if len(rcv.requests()) != 2 || ds[0].Status != "failed" || ds[0].Attempts != 2 || ds[0].NextAttemptAt != nil {
			t.Fatalf("after a failed retry: %+v", ds[0])
		}
		e.Call(t, "PATCH", "/v1/webhook-endpoints/"+ep.ID, sk, `{"status":"disabled"}`).Expect(t, 200, "")
		e.Call(t, "POST", "/v1/webhook-deliveries/"+del.ID+"/retry", sk, "").Expect(t, 409, "webhook_endpoint.disabled")
		e.Call(t, "DELETE", "/v1/webhook-endpoints/"+ep.ID, sk, "").Expect(t, 200, "")
		e.Call(t, "POST", "/v1/webhook-deliveries/"+del.ID+"/retry", sk, "").Expect(t, 404, "webhook_delivery.not_found")
	})
}

// TestWebhookFailuresWaitForTheTick: while every attempt fails, the
// dispatcher claims no more than a batch or so before it waits for its
// next tick (an hour here) instead of claiming the next batch at once;
// what it has not attempted stays pending, and a dispatcher whose
// attempts succeed sends all of it back to back, without waiting.
func TestWebhookFailuresWaitForTheTick(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		policy := db.NetPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
		d.UseNetPolicy(policy)
		var failing atomic.Bool
		failing.Store(true)
		rcv := newReceiver(t, false, func(_ int, w http.ResponseWriter) {
			if failing.Load() {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		sc := dbtest.Workspace(t, d, "Acme").Test() // http:// is for test mode
		ep, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: rcv.URL + "/hooks"})
		if err != nil {
			t.Fatal(err)
		}
		const due, workers = 30, 2
		for range due {
			if _, err := d.TestWebhookEndpoint(ctx, sc, ep.ID); err != nil {
				t.Fatal(err)
			}
		}
		dispatch := func() *web.WebhookDispatcher {
			w := web.NewWebhookDispatcher(d, policy, web.WebhookOptions{Workers: workers, Interval: time.Hour, Version: "test"},
				slog.New(slog.DiscardHandler))
			w.Start()
			return w
		}
		w := dispatch()
		waitFor(t, func() bool { return len(rcv.requests()) >= workers })
		time.Sleep(500 * time.Millisecond) // time for many more batches, were they claimed
		w.Stop()
		tried := len(rcv.requests())
		if tried > 4*workers {
			t.Fatalf("%d of %d deliveries attempted while every attempt failed, want a batch or so", tried, due)
		}
		failing.Store(false)
		w = dispatch()
		defer w.Stop()
		waitFor(t, func() bool { return len(rcv.requests()) == due })
	})
}

// TestWebhookDeliveryPages: an endpoint's deliveries are listed newest
// first (by event), and paging with starting_after gives each of them
// once, in that order, with or without a status filter.
func TestWebhookDeliveryPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := hookEnv(t, d, dbtest.NewClock(time.Now()))
		// Every second attempt fails: its delivery waits for a retry.
		rcv := newReceiver(t, false, func(n int, w http.ResponseWriter) { w.WriteHeader(200 + 300*(n%2)) })
		sk := e.key(false, db.KeySecret)
		ep := e.addEndpoint(t, sk, map[string]any{"url": rcv.URL, "enabled_events": []string{"account.created"}})
		for i := range 5 {
			e.createAccount(sk, "Paged "+strconv.Itoa(i))
		}
		e.flush(t)
		all := e.deliveries(t, sk, ep.ID, "")
		if len(all) != 5 {
			t.Fatalf("%d deliveries, want 5: %+v", len(all), all)
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].EventID <= all[i].EventID {
				t.Fatalf("not newest first: %s before %s", all[i-1].EventID, all[i].EventID)
			}
		}
		paged := func(query string, limit int) (ids []string) {
			after := ""
			for range 10 {
				page := e.deliveries(t, sk, ep.ID, query+"&limit="+strconv.Itoa(limit)+after)
				if len(page) == 0 {
					return ids
				}
				for _, d := range page {
					ids = append(ids, d.ID)
				}
				after = "&starting_after=" + page[len(page)-1].ID
			}
			t.Fatalf("%s: more than 10 pages", query)
			return nil
		}
		var want, wantPending []string
		for _, d := range all {
			want = append(want, d.ID)
			if d.Status == db.DeliveryPending {
				wantPending = append(wantPending, d.ID)
			}
		}
		if len(wantPending) == 0 || len(wantPending) == len(want) {
			t.Fatalf("want some deliveries pending, not all: %+v", all)
		}
		if got := paged("", 2); !slices.Equal(got, want) {
			t.Fatalf("pages of 2: %v, want %v", got, want)
		}
		if got := paged("status=pending", 1); !slices.Equal(got, wantPending) {
			t.Fatalf("pending, pages of 1: %v, want %v", got, wantPending)
		}
	})
}
