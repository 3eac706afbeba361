package web_test

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
	"roster/web/webtest"
)

// TestErrorRows produces each row of the API's error table that the
// accounts resource can reach.
func TestErrorRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct := e.createAccount(sk, "Acme Shop")
		cases := []struct {
			name, method, path, body string
			headers                  []string
			status                   int
			typ                      string
			detail                   string // a key that details must name
		}{
			{"bad JSON", "POST", "/v1/accounts", `{"name":`, nil, 400, "validation_error", "body"},
			{"wrong type", "POST", "/v1/accounts", `{"name":42}`, nil, 400, "validation_error", "name"},
			{"unknown field", "POST", "/v1/accounts", `{"name":"x","colour":"red"}`, nil, 400, "validation_error", "colour"},
			{"missing field", "POST", "/v1/accounts", `{}`, nil, 400, "validation_error", "name"},
			{"blank after trimming", "POST", "/v1/accounts", `{"name":"   "}`, nil, 400, "validation_error", "name"},
			{"name too long", "POST", "/v1/accounts", `{"name":"` + strings.Repeat("x", 201) + `"}`, nil, 400, "validation_error", "name"},
			{"two objects", "POST", "/v1/accounts", `{"name":"a"}{"name":"b"}`, nil, 400, "validation_error", "body"},
			{"bad limit", "GET", "/v1/accounts?limit=0", "", nil, 400, "validation_error", "limit"},
			{"limit too high", "GET", "/v1/accounts?limit=101", "", nil, 400, "validation_error", "limit"},
			{"unknown account", "GET", "/v1/accounts/acct_01HQZC8G2T9YX5J8VQBW3KPQR7", "", nil, 404, "account.not_found", "id"},
			{"unknown organization", "GET", "/v1/organizations/acct_01HQZC8G2T9YX5J8VQBW3KPQR7", "", nil, 404, "organization.not_found", "id"},
			{"unknown route", "GET", "/v1/nothing-here", "", nil, 404, "not_found", ""},
			{"unknown role", "GET", "/v1/roles/nope", "", nil, 404, "role.not_found", "id"},
			{"method not allowed", "PUT", "/v1/accounts", "", nil, 405, "method_not_allowed", ""},
			{"not JSON", "POST", "/v1/accounts", `name=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", ""},
			{"trailing slash", "GET", "/v1/accounts/" + acct + "/", "", nil, 200, "", ""},
			{"organization alias", "GET", "/v1/organizations/" + acct, "", nil, 200, "", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Call(t, tc.method, tc.path, sk, tc.body, tc.headers...)
				r.Expect(t, tc.status, tc.typ)
				if tc.detail != "" {
					if _, ok := r.Body.Error.Details[tc.detail]; !ok {
						t.Fatalf("details %v do not name %q", r.Body.Error.Details, tc.detail)
					}
				}
			})
		}
	})
}

func TestRateLimit(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d, func(c *web.Config) { c.RateLimit = 3 })
	sk := e.key(false, db.KeySecret)
	var last response
	startOfSecond()
	for range 5 {
		last = e.Call(t, "GET", "/v1/accounts", sk, "")
	}
	last.Expect(t, 429, "rate_limited")
	if last.Header.Get("Retry-After") != "1" || last.Header.Get("X-RateLimit-Remaining") != "0" || last.Header.Get("X-RateLimit-Limit") != "3" {
		t.Fatalf("429 with headers %v, want Retry-After: 1 and no budget left of 3", last.Header)
	}
	// Another credential has its own budget.
	e.Call(t, "GET", "/v1/accounts", e.key(false, db.KeySecret), "").Expect(t, 200, "")
}

// TestLogsCarryRequestID fails a request: its log lines, the request's and
// the failure's, name the request id its answer gives.
func TestLogsCarryRequestID(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	var logs webtest.SyncBuffer
	e := newEnv(t, d, func(c *web.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	sk := e.key(false, db.KeySecret)
	if _, err := d.Exec(`DROP TABLE events`); err != nil {
		t.Fatal(err)
	}
	r := e.Call(t, "POST", "/v1/accounts", sk, `{"name":"x"}`)
	r.Expect(t, 500, "internal_server_error")
	id := r.Header.Get("Request-Id")
	for _, msg := range []string{"msg=\"request failed\"", "msg=request "} {
		if !regexp.MustCompile(regexp.QuoteMeta(msg) + `.*request_id=` + id).MatchString(logs.String()) {
			t.Fatalf("no %s line with request_id=%s:\n%s", msg, id, logs.String())
		}
	}
}

// TestInternalErrorLeaksNothing breaks the schema under the server: the
// answer is a 500 with the request id and no word of the cause.
func TestInternalErrorLeaksNothing(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	sk := e.key(false, db.KeySecret)
	if _, err := d.Exec(`DROP TABLE events`); err != nil {
		t.Fatal(err)
	}
	r := e.Call(t, "POST", "/v1/accounts", sk, `{"name":"x"}`)
	r.Expect(t, 500, "internal_server_error")
	if r.Body.Error.Details["request_id"] != r.Header.Get("Request-Id") {
		t.Fatalf("details.request_id %v, header %s", r.Body.Error.Details["request_id"], r.Header.Get("Request-Id"))
	}
	for _, leak := range []string{"events", "table", "sql", "SQL"} {
		if strings.Contains(r.Raw, leak) {
			t.Fatalf("500 body leaks %q: %s", leak, r.Raw)
		}
	}
	// The failed change left nothing behind.
	e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 200, "")
	var n int
	if err := d.Get(&n, `SELECT COUNT(*) FROM accounts`); err != nil || n != 0 {
		t.Fatalf("accounts after a failed create: %d (%v)", n, err)
	}
}

// TestDatabaseDown points a server at a PostgreSQL address where nothing
// listens: database-backed requests are 503, /healthz stays 200.
func TestDatabaseDown(t *testing.T) {
	d, err := db.Open("postgres://roster:roster@127.0.0.1:1/roster?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv, err := web.New(t.Context(), d, web.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e := envOn(t, d, srv)
	e.Call(t, "GET", "/v1/accounts", "sk_test_"+db.RandomToken(40), "").Expect(t, 503, "unavailable")
	if r := e.Call(t, "GET", "/readyz", "", ""); r.Status != 503 {
		t.Fatalf("/readyz: %d", r.Status)
	}
	if r := e.Call(t, "GET", "/healthz", "", ""); r.Status != 200 {
		t.Fatalf("/healthz: %d", r.Status)
	}
}

// TestAccountsPagination walks the list page by page and checks the
// envelope's list members.
func TestAccountsPagination(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		var want []string
		for i := range 5 {
			want = append(want, e.createAccount(sk, fmt.Sprintf("Shop %d", i)))
		}
		e.createAccount(e.key(false, db.KeySecret), "Test-mode shop")
		got := e.walk(t, "/v1/accounts", sk, 2)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("pages gave %v, want %v", got, want)
		}
		r := e.Call(t, "GET", "/v1/accounts?q=SHOP%201", sk, "")
		var rows []struct{ Name string }
		r.Data(t, &rows)
		if len(rows) != 1 || rows[0].Name != "Shop 1" {
			t.Fatalf("q=SHOP 1 gave %+v", rows)
		}
	})
}

// TestAccountLifecycle creates, renames and deletes an account; each change
// leaves its event.
func TestAccountLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		id := e.createAccount(sk, "Old name")
		r := e.Call(t, "PATCH", "/v1/accounts/"+id, sk, `{"name":"New name"}`)
		r.Expect(t, 200, "")
		var a struct {
			Name     string
			Livemode bool
		}
		r.Data(t, &a)
		if a.Name != "New name" || a.Livemode {
			t.Fatalf("renamed account %+v", a)
		}
		r = e.Call(t, "DELETE", "/v1/accounts/"+id, sk, "")
		r.Expect(t, 200, "")
		if string(r.Body.Data) != "" {
			t.Fatalf("DELETE answered data %s", r.Body.Data)
		}
		e.Call(t, "GET", "/v1/accounts/"+id, sk, "").Expect(t, 404, "account.not_found")

		evs, err := d.ListEvents(t.Context(), e.ws.Test(), db.EventFilter{AccountID: id}, db.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		if got := strings.Join(types, ","); got != "account.deleted,account.updated,account.created" {
			t.Fatalf("events %s", got)
		}
		if string(evs[1].PreviousAttributes) == "null" || !strings.Contains(string(evs[1].PreviousAttributes), "Old name") {
			t.Fatalf("rename event previous_attributes %s", evs[1].PreviousAttributes)
		}
	})
}

// TestBodyTooLarge announces a body over 1 MiB to a listening server:
// fasthttp refuses it from its Content-Length before reading it, and the
// answer is still the envelope. The test speaks HTTP over a raw connection
// so that the early answer is read rather than raced by the upload.
func TestBodyTooLarge(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	r := sendRaw(t, e.listen(), fmt.Sprintf("POST /v1/accounts HTTP/1.1\r\nHost: roster.test\r\nContent-Type: application/json\r\n"+
		"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n{\"name\":\"", e.key(false, db.KeySecret), 2<<20))
	if r.Status != 413 || r.Body.Error == nil || r.Body.Error.Type != "payload_too_large" {
		t.Fatalf("got %d %s", r.Status, r.Raw)
	}
}
