package webtest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Browser is a person using the console: it keeps the cookies it is given
// (by name, whatever the server: cookies ignore ports) and sends back the
// CSRF token of the last page it read. It follows no redirect.
type Browser struct {
	T       testing.TB
	Do      Doer
	Base    string // put before every path: "" in process, or a server's URL
	Cookies map[string]*http.Cookie
	CSRF    string // the token of the forms of the last page that had one
}

// NewBrowser starts a browser with no cookies.
func NewBrowser(t testing.TB, do Doer, base string) *Browser {
	return &Browser{T: t, Do: do, Base: base, Cookies: map[string]*http.Cookie{}}
}

// Page is what a browser reads of an answer.
type Page struct {
	Status int
	Header http.Header
	Body   string
}

// Location is where a redirect points.
func (p Page) Location() string { return p.Header.Get("Location") }

// Has fails the test unless the page says each of texts.
func (p Page) Has(t testing.TB, texts ...string) Page {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page (status %d) does not say %q:\n%s", p.Status, s, p.Body)
		}
	}
	return p
}

// Lacks fails the test if the page says any of texts.
func (p Page) Lacks(t testing.TB, texts ...string) Page {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("page (status %d) says %q:\n%s", p.Status, s, p.Body)
		}
	}
	return p
}

// Expect fails the test unless the answer has the status (and, for a
// redirect, goes to location).
func (p Page) Expect(t testing.TB, status int, location ...string) Page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d; location %q; body:\n%s", p.Status, status, p.Location(), p.Body)
	}
	if len(location) > 0 && p.Location() != location[0] {
		t.Fatalf("redirect to %q, want %q", p.Location(), location[0])
	}
	return p
}

// CSRFField matches the CSRF field of a form; its group is the token.
var CSRFField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// Send sends a request with the browser's cookies, keeps the cookies of
// the answer and the CSRF token of the page.
func (b *Browser) Send(method, path string, body io.Reader, headers ...string) Page {
	b.T.Helper()
	req := newRequest(method, b.Base+path, body, headers)
	for _, c := range b.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := b.Do(req)
	if err != nil {
		b.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.T.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.Cookies, c.Name)
		} else {
			b.Cookies[c.Name] = c
		}
	}
	if m := CSRFField.FindStringSubmatch(string(raw)); m != nil {
		b.CSRF = m[1]
	}
	if res.Header.Get("Request-Id") == "" {
		b.T.Fatalf("%s %s: no Request-Id header", method, path)
	}
	return Page{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
}

// Get reads a page.
func (b *Browser) Get(path string, headers ...string) Page {
	b.T.Helper()
	return b.Send("GET", path, nil, headers...)
}

// Post submits a form with the CSRF token of the last page read, unless
// the form carries its own _csrf (possibly empty).
func (b *Browser) Post(path string, form url.Values, headers ...string) Page {
	b.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, own := form["_csrf"]; !own {
		form.Set("_csrf", b.CSRF)
	}
	return b.Send("POST", path, strings.NewReader(form.Encode()), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// Request reads a page (GET) or submits the form to it (any other method).
func (b *Browser) Request(method, path string, form url.Values) Page {
	b.T.Helper()
	if method == "GET" {
		return b.Get(path)
	}
	return b.Post(path, form)
}

// SignIn signs in with the email and password, failing the test unless it
// succeeds, and reads the page it leads to, as a browser would (the CSRF
// token is new after sign-in).
func (b *Browser) SignIn(email, password string) {
	b.T.Helper()
	b.Get("/login").Expect(b.T, 200)
	b.Post("/login", url.Values{"email": {email}, "password": {password}}).Expect(b.T, 303, "/accounts")
	b.Get("/accounts").Expect(b.T, 200)
}
