package web_test

import (
	"net/http"
	"net/http/httptest"
	"roster/web/webtest"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

const allowedOrigin = "https://app.example.com"

// corsEnv is a server that lets browsers of allowedOrigin call it.
func corsEnv(t *testing.T) *env {
	t.Helper()
	origins, err := web.ParseCORSOrigins(allowedOrigin + ", http://localhost:3000")
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, dbtest.Open(t, db.SQLite), func(c *web.Config) { c.CORSOrigins = origins })
}

// preflight sends the OPTIONS request a browser sends from origin before
// a request of method with an Authorization header. Its answer may have no
// body: it is read as it is.
func (e *env) preflight(t *testing.T, path, origin, method string) webtest.Answer {
	t.Helper()
	req := httptest.NewRequest("OPTIONS", path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	res, err := e.srv.App.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return webtest.Answer{Status: res.StatusCode, Header: res.Header}
}

func varies(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

// TestCORSForPublishableRoutes: a browser of an allowed origin may call
// GET /v1/roles and GET /v1/permissions with a publishable key: the
// preflight allows Authorization and Content-Type, the answer (an error
// too) names the origin, never allows credentials, and varies by Origin.
// Another origin is told nothing.
func TestCORSForPublishableRoutes(t *testing.T) {
	e := corsEnv(t)
	pk := e.key(true, db.KeyPublishable)
	for _, path := range []string{"/v1/roles", "/v1/permissions"} {
		p := e.preflight(t, path, allowedOrigin, "GET")
		if p.Status != 204 || p.Header.Get("Access-Control-Allow-Origin") != allowedOrigin ||
			!strings.Contains(p.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
			!strings.Contains(p.Header.Get("Access-Control-Allow-Headers"), "Content-Type") ||
			!strings.Contains(p.Header.Get("Access-Control-Allow-Methods"), "GET") || !varies(p.Header, "Origin") {
			t.Fatalf("preflight of %s: %d %v", path, p.Status, p.Header)
		}
		r := e.Call(t, "GET", path, pk, "", "Origin", allowedOrigin)
		r.Expect(t, 200, "")
		if r.Header.Get("Access-Control-Allow-Origin") != allowedOrigin || !varies(r.Header, "Origin") {
			t.Fatalf("GET %s from %s: %v", path, allowedOrigin, r.Header)
		}
		refused := e.Call(t, "GET", path, "pk_live_"+strings.Repeat("0", 40), "", "Origin", allowedOrigin)
		refused.Expect(t, 401, "unauthorized")
		if refused.Header.Get("Access-Control-Allow-Origin") != allowedOrigin {
			t.Fatalf("a 401 of %s that the browser cannot read: %v", path, refused.Header)
		}
		for _, other := range []string{"https://evil.example", "https://app.example.com.evil.example", "null", "http://app.example.com"} {
			for _, a := range []webtest.Answer{e.preflight(t, path, other, "GET"), e.Call(t, "GET", path, pk, "", "Origin", other)} {
				if a.Header.Get("Access-Control-Allow-Origin") != "" || a.Header.Get("Access-Control-Allow-Headers") != "" || !varies(a.Header, "Origin") {
					t.Fatalf("%s from %s: %v", path, other, a.Header)
				}
			}
		}
		// Writes are not for browsers.
		if p := e.preflight(t, path, allowedOrigin, "POST"); p.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight of POST %s: %v", path, p.Header)
		}
	}
}

// TestCORSOnNoOtherRoute: no other route of the API, and no page, answers
// an allowed origin's preflight or request with CORS headers.
func TestCORSOnNoOtherRoute(t *testing.T) {
	e := corsEnv(t)
	sk := e.key(true, db.KeySecret)
	seen := map[string]bool{}
	for _, r := range e.srv.App.GetRoutes(true) {
		path := routeParam.ReplaceAllString(r.Path, "x")
		if seen[r.Method+" "+path] || r.Method == "HEAD" || r.Method == "OPTIONS" || r.Method == "TRACE" || r.Method == "CONNECT" {
			continue
		}
		seen[r.Method+" "+path] = true
		publishable := r.Method == "GET" && (path == "/v1/roles" || path == "/v1/permissions")
		answers := []webtest.Answer{e.preflight(t, path, allowedOrigin, r.Method)}
		if r.Method == "GET" {
			answers = append(answers, e.Call(t, "GET", path, sk, "", "Origin", allowedOrigin))
		}
		for _, a := range answers {
			if got := a.Header.Get("Access-Control-Allow-Origin") != ""; got != publishable {
				t.Errorf("%s %s: Access-Control-Allow-Origin %q", r.Method, path, a.Header.Get("Access-Control-Allow-Origin"))
			}
			if a.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s %s allows credentials", r.Method, path)
			}
		}
	}
	if len(seen) < 50 {
		t.Fatalf("only %d routes tried", len(seen))
	}
}

// TestNoCORSWithoutOrigins: without ROSTER_CORS_ORIGINS no route answers
// with CORS headers.
func TestNoCORSWithoutOrigins(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	if p := e.preflight(t, "/v1/roles", allowedOrigin, "GET"); p.Header.Get("Access-Control-Allow-Origin") != "" || varies(p.Header, "Origin") {
		t.Fatalf("preflight without configured origins: %d %v", p.Status, p.Header)
	}
}

func TestParseCORSOrigins(t *testing.T) {
	got, err := web.ParseCORSOrigins(" https://App.example.com ,http://localhost:3000")
	if err != nil || len(got) != 2 || got[0] != "https://app.example.com" || got[1] != "http://localhost:3000" {
		t.Fatalf("%q, %v", got, err)
	}
	for _, bad := range []string{"*", "app.example.com", "https://app.example.com/", "https://app.example.com/path", "ftp://x", "https://u:p@x", "https://x?q"} {
		if _, err := web.ParseCORSOrigins(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
}
