package web_test

import (
	"net/url"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestHostileNext sends targets that lead elsewhere or end the header to
// each place that redirects to a page named by the request: all of them
// go to /accounts, and nothing is added to the answer's headers.
func TestHostileNext(t *testing.T) {
	hostile := []string{
		"/\r\nSet-Cookie: x=1", "/\nSet-Cookie: x=1", "/\rSet-Cookie: x=1", "/accounts\r\nSet-Cookie: x=1",
		"/\t/evil.example", "//evil.example", "/\\evil.example", "/%2F/evil.example", "/%5C/evil.example",
		"https://evil.example/", "http:evil.example", "javascript:alert(1)", "/\u00a0/evil.example",
		"/\u2028/evil.example", "/\u3000/evil.example", "/\u200b/evil.example", " /accounts", "/\x00",
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for _, next := range hostile {
			t.Run(url.QueryEscape(next), func(t *testing.T) {
				b := e.browser()
				b.T = t // fail this case, not the whole test
				b.Get("/login").Expect(t, 200)
				safe(t, b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}, "next": {next}}))
				safe(t, b.Get("/login?next="+url.QueryEscape(next)))
				b.Get("/accounts").Expect(t, 200)
				safe(t, b.Post("/mode", url.Values{"mode": {"test"}, "next": {next}}))
				htmx := b.Post("/mode", url.Values{"mode": {"live"}, "next": {next}}, "HX-Request", "true").Expect(t, 200)
				if got := htmx.Header.Get("HX-Redirect"); got != "/accounts" {
					t.Fatalf("HX-Redirect %q, want /accounts", got)
				}
				headersUntouched(t, htmx)
			})
		}
	})
}

// safe fails the test unless the answer redirects to /accounts and adds no
// header.
func safe(t *testing.T, p page) {
	t.Helper()
	p.Expect(t, 303, "/accounts")
	headersUntouched(t, p)
}

// headersUntouched fails the test if a header of the answer holds what a
// hostile target carried.
func headersUntouched(t *testing.T, p page) {
	t.Helper()
	for name, values := range p.Header {
		for _, v := range values {
			if strings.Contains(v, "x=1") || strings.Contains(v, "evil") {
				t.Fatalf("header %s: %q", name, v)
			}
		}
	}
}
