package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// browser is a person using the console: it keeps the cookies it is given
// and sends back the CSRF token of the last page it read.
type browser struct {
	t       testing.TB
	srv     *web.Server
	cookies map[string]*http.Cookie
	csrf    string
}

// browser starts a browser with no cookies.
func (e *env) browser() *browser {
	return &browser{t: e.t, srv: e.srv, cookies: map[string]*http.Cookie{}}
}

// page is what a browser reads of an answer.
type page struct {
	Status int
	Header http.Header
	Body   string
}

// location is where a redirect points.
func (p page) location() string { return p.Header.Get("Location") }

// has fails the test unless the page says each of texts.
func (p page) has(t testing.TB, texts ...string) page {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page (status %d) does not say %q:\n%s", p.Status, s, p.Body)
		}
	}
	return p
}

// lacks fails the test if the page says any of texts.
func (p page) lacks(t testing.TB, texts ...string) page {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("page (status %d) says %q:\n%s", p.Status, s, p.Body)
		}
	}
	return p
}

// expect fails the test unless the answer has the status (and, for a
// redirect, goes to location).
func (p page) expect(t testing.TB, status int, location ...string) page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d; location %q; body:\n%s", p.Status, status, p.location(), p.Body)
	}
	if len(location) > 0 && p.location() != location[0] {
		t.Fatalf("redirect to %q, want %q", p.location(), location[0])
	}
	return p
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// do sends a request with the browser's cookies, keeps the cookies of the
// answer and the CSRF token of the page.
func (b *browser) do(method, path string, body io.Reader, headers ...string) page {
	b.t.Helper()
	req := httptest.NewRequest(method, path, body)
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.srv.App.Test(req, -1)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	if m := csrfField.FindStringSubmatch(string(raw)); m != nil {
		b.csrf = m[1]
	}
	if res.Header.Get("Request-Id") == "" {
		b.t.Fatalf("%s %s: no Request-Id header", method, path)
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
}

// get reads a page.
func (b *browser) get(path string, headers ...string) page {
	b.t.Helper()
	return b.do("GET", path, nil, headers...)
}

// post submits a form with the CSRF token of the last page read, unless
// the form carries its own _csrf (possibly empty).
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, own := form["_csrf"]; !own {
		form.Set("_csrf", b.csrf)
	}
	return b.do("POST", path, strings.NewReader(form.Encode()), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// request reads a page (GET) or submits the form to it (any other method).
func (b *browser) request(method, path string, form url.Values) page {
	b.t.Helper()
	if method == "GET" {
		return b.get(path)
	}
	return b.post(path, form)
}

// signIn signs in with the email and password, failing the test unless it
// succeeds, and reads the page it leads to, as a browser would (the CSRF
// token is new after sign-in).
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.get("/login").expect(b.t, 200)
	b.post("/login", url.Values{"email": {email}, "password": {password}}).expect(b.t, 303, "/accounts")
	b.get("/accounts").expect(b.t, 200)
}

// staffWithPassword puts a user on the staff with a role and a password.
func staffWithPassword(t *testing.T, d *db.DB, f dbtest.Fixture, email, role, password string) {
	t.Helper()
	addStaff(t, d, f, email, role)
	if err := d.SetPassword(context.Background(), f.WorkspaceID, email, password); err != nil {
		t.Fatal(err)
	}
}
