package web_test

import (
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"roster/web/webtest"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// proxied is a server on a loopback port, whose test client sends the
// forwarding headers a proxy (or someone pretending to be one) would.
type proxied struct {
	url  string
	logs *webtest.SyncBuffer
}

func newProxied(t *testing.T, d *db.DB, trusted string, adjust ...func(*web.Config)) proxied {
	t.Helper()
	proxies, err := web.ParseTrustedProxies(trusted)
	if err != nil {
		t.Fatal(err)
	}
	logs := &webtest.SyncBuffer{}
	e := newEnv(t, d, append([]func(*web.Config){func(c *web.Config) {
		c.TrustedProxies = proxies
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}}, adjust...)...)
	return proxied{url: e.listen(), logs: logs}
}

// get sends GET path with the headers (name, value, ...) and returns the
// answer.
func (p proxied) get(t *testing.T, path string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", p.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

var loggedClient = regexp.MustCompile(`msg=request request_id=\S+ client=(\S+) method=GET path=/healthz`)

// lastClient is the client address of the last request line logged.
func (p proxied) lastClient(t *testing.T) string {
	t.Helper()
	m := loggedClient.FindAllStringSubmatch(p.logs.String(), -1)
	if len(m) == 0 {
		t.Fatalf("no request line in the log:\n%s", p.logs.String())
	}
	return m[len(m)-1][1]
}

// TestForwardedFromTrustedProxies: behind a trusted proxy (here the
// loopback peer), the client is the rightmost untrusted hop of
// X-Forwarded-For, and X-Forwarded-Proto https makes cookies Secure; from
// an untrusted peer both headers change nothing.
func TestForwardedFromTrustedProxies(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	behind := newProxied(t, d, "127.0.0.0/8, 10.1.0.0/16")
	open := newProxied(t, d, "10.1.0.0/16")
	for _, tc := range []struct {
		xff          []string
		behind, open string
	}{
		{nil, "127.0.0.1", "127.0.0.1"},
		{[]string{"203.0.113.9"}, "203.0.113.9", "127.0.0.1"},
		// A client that writes its own X-Forwarded-For gains nothing: the
		// proxy appends the address it saw, and that is the one believed.
		{[]string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9", "127.0.0.1"},
		// Trusted hops are passed over, on one line or several.
		{[]string{"198.51.100.1, 203.0.113.9, 10.1.2.3"}, "203.0.113.9", "127.0.0.1"},
		{[]string{"198.51.100.1, 203.0.113.9", "10.1.2.3"}, "203.0.113.9", "127.0.0.1"},
		{[]string{"[2001:db8::7]:4711, 10.1.2.3"}, "2001:db8::7", "127.0.0.1"},
		// Only trusted hops: the leftmost is the client.
		{[]string{"10.1.9.9, 10.1.2.3"}, "10.1.9.9", "127.0.0.1"},
		// Garbage stops the walk at the last trusted hop.
		{[]string{"203.0.113.9, not-an-address, 10.1.2.3"}, "10.1.2.3", "127.0.0.1"},
	} {
		var headers []string
		for _, v := range tc.xff {
			headers = append(headers, "X-Forwarded-For", v)
		}
		behind.get(t, "/healthz", headers...)
		open.get(t, "/healthz", headers...)
		if got := behind.lastClient(t); got != tc.behind {
			t.Errorf("behind a trusted proxy, X-Forwarded-For %q: client %s, want %s", tc.xff, got, tc.behind)
		}
		if got := open.lastClient(t); got != tc.open {
			t.Errorf("from an untrusted peer, X-Forwarded-For %q: client %s, want %s", tc.xff, got, tc.open)
		}
	}

	secure := func(res *http.Response) bool {
		for _, ck := range res.Cookies() {
			if ck.Name == "roster_csrf" {
				return ck.Secure
			}
		}
		t.Fatalf("GET /login set no roster_csrf cookie: %v", res.Header["Set-Cookie"])
		return false
	}
	for _, tc := range []struct {
		p     proxied
		proto []string
		want  bool
	}{
		{behind, nil, false},
		{behind, []string{"https"}, true},
		{behind, []string{"http"}, false},
		{behind, []string{"http, https"}, true},
		{open, []string{"https"}, false},
	} {
		var headers []string
		for _, v := range tc.proto {
			headers = append(headers, "X-Forwarded-Proto", v)
		}
		if got := secure(tc.p.get(t, "/login", headers...)); got != tc.want {
			t.Errorf("X-Forwarded-Proto %q (trusted: %v): Secure %v, want %v", tc.proto, tc.p == behind, got, tc.want)
		}
	}
}

// TestRateLimitByForwardedClient: behind a trusted proxy, each client
// address has its own API budget; from an untrusted peer, a forged
// X-Forwarded-For does not buy a new one.
func TestRateLimitByForwardedClient(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	limit := func(c *web.Config) { c.RateLimit = 2 }
	for _, tc := range []struct {
		trusted string
		other   int // the status of a second client's first request
	}{
		{"127.0.0.1", 401},
		{"", 429},
	} {
		p := newProxied(t, d, tc.trusted, limit)
		startOfSecond()
		status := func(client string) int {
			return p.get(t, "/v1/accounts", "X-Forwarded-For", client).StatusCode
		}
		for range 2 {
			if got := status("203.0.113.9"); got != 401 {
				t.Fatalf("trusting %q: %d, want 401 within the limit", tc.trusted, got)
			}
		}
		if got := status("203.0.113.9"); got != 429 {
			t.Fatalf("trusting %q: %d past the limit, want 429", tc.trusted, got)
		}
		if got := status("198.51.100.1"); got != tc.other {
			t.Fatalf("trusting %q: another client's first request %d, want %d", tc.trusted, got, tc.other)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := web.ParseTrustedProxies(" 10.0.0.0/8,192.168.1.7 , ::1,fd00::/8,10.1.2.3/16")
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("10.1.0.0/16")}
	if err != nil || len(got) != len(want) {
		t.Fatalf("%v, %v", got, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0"} {
		if _, err := web.ParseTrustedProxies(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
}
