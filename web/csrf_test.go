package web_test

import (
	"fmt"
	"log/slog"
	"net/url"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// TestCSRFBoundToSession: a visitor's token and cookie are refused inside
// a signed-in session, the token is new after sign-in and after sign-out,
// and a second server process on the database accepts the first one's
// tokens.
func TestCSRFBoundToSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		attacker := e.browser()
		attacker.Get("/login").Expect(t, 200)
		planted := attacker.Cookies["roster_csrf"]
		if planted == nil || attacker.CSRF == "" {
			t.Fatalf("no visitor token: cookie %v, token %q", planted, attacker.CSRF)
		}

		b := e.browser()
		b.Get("/login")
		before := b.CSRF
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		signedIn := b.CSRF
		if signedIn == before {
			t.Fatal("the token is the same before and after sign-in")
		}
		for name, token := range map[string]string{"the visitor's token": attacker.CSRF, "the token from before sign-in": before} {
			t.Run(name, func(t *testing.T) {
				b.Cookies["roster_csrf"] = planted
				b.Post("/accounts", url.Values{"_csrf": {token}, "name": {"Forged"}}).Expect(t, 403).Has(t, "This form has expired")
				b.Post("/accounts", url.Values{"name": {"Forged"}}, "X-CSRF-Token", token, "HX-Request", "true").Expect(t, 403)
			})
		}
		b.Post("/accounts", url.Values{"name": {"Mine"}}).Expect(t, 303)

		// Another process knows the same tokens: signed in and not.
		other := newEnv(t, d)
		b.Do = other.Do
		b.Post("/accounts", url.Values{"name": {"Across"}}).Expect(t, 303)
		visitor := e.browser()
		visitor.Get("/login")
		visitor.Do = other.Do
		visitor.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).Expect(t, 303)

		b.Do = e.Do
		b.Post("/logout", nil).Expect(t, 303, "/login")
		b.Get("/login").Expect(t, 200)
		if b.CSRF == signedIn || b.CSRF == before {
			t.Fatal("the token after sign-out is one from before")
		}
		for _, token := range []string{signedIn, before} {
			b.Post("/login", url.Values{"_csrf": {token}, "email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).Expect(t, 403)
		}
		b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).Expect(t, 303)

		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM accounts`); err != nil || n != 2 {
			t.Fatalf("%d accounts, want the 2 posted with the session's token (%v)", n, err)
		}
	})
}

// TestAnonymousViewsWriteNothing reads pages without cookies, as many
// visitors would: no table gains or loses a row.
func TestAnonymousViewsWriteNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.browser().Get("/login").Expect(t, 200) // the server secret is made once, on first use
		before := rowCounts(t, d)
		paths := []string{"/login", "/login?next=/team", "/no-such-page", "/invitations/nope", "/invitations/accepted", "/accounts", "/"}
		for i := range 150 {
			p := e.browser().Get(paths[i%len(paths)])
			if p.Status >= 500 {
				t.Fatalf("%s: %d", paths[i%len(paths)], p.Status)
			}
		}
		after := rowCounts(t, d)
		for table, n := range before {
			if after[table] != n {
				t.Errorf("table %s: %d rows, then %d after anonymous page views", table, n, after[table])
			}
		}
		// The form of such a view still works.
		b := e.browser()
		b.Get("/login")
		if b.Cookies["roster_csrf"] == nil {
			t.Fatal("no roster_csrf cookie for a visitor")
		}
		b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).Expect(t, 303)
	})
}

// rowCounts is the number of rows of every table of the database.
func rowCounts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	list := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if d.Dialect == db.Postgres {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var tables []string
	if err := d.Select(&tables, list); err != nil || len(tables) == 0 {
		t.Fatalf("tables: %v %v", tables, err)
	}
	counts := map[string]int{}
	for _, table := range tables {
		var n int
		if err := d.Get(&n, fmt.Sprintf(`SELECT COUNT(*) FROM %q`, table)); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

// TestErrorPagesWithoutCSRFKey: while the CSRF key cannot be read (the
// database is away since the server started), and where the console's
// middleware does not run (assets), error pages are still whole pages.
func TestErrorPagesWithoutCSRFKey(t *testing.T) {
	d, err := db.Open("postgres://roster:roster@127.0.0.1:1/roster?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv, err := web.New(t.Context(), d, web.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	b := envOn(t, d, srv).browser()
	b.Get("/login").Expect(t, 503).Has(t, "Roster is unavailable", "<html")
	b.Get("/no-such-page").Expect(t, 404).Has(t, "Page not found", "<html")
	b.Get("/static/nothing.css").Expect(t, 404).Has(t, "Page not found", "<html")
}
