package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
	"roster/web/webtest"
)

const wrongCredentials = "The email or the password is wrong."

func TestSignInAndOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.Get("/accounts").Expect(t, 303, "/login?next=%2Faccounts")
		b.Get("/login").Expect(t, 200).Lacks(t, "Nobody can sign in yet")

		wrongPassword := b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {"not it"}})
		unknownEmail := b.Post("/login", url.Values{"email": {"nobody@acme.example"}, "password": {e.ws.Password}})
		for _, p := range []page{wrongPassword, unknownEmail} {
			p.Expect(t, 401).Has(t, wrongCredentials)
		}
		if strip(wrongPassword.Body, e.ws.OwnerEmail) != strip(unknownEmail.Body, "nobody@acme.example") {
			t.Fatal("a wrong password and an unknown email are answered differently")
		}
		wrongPassword.Has(t, `value="`+e.ws.OwnerEmail+`"`)

		b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}, "next": {"/activity?type=account.created"}}).
			Expect(t, 303, "/activity?type=account.created")
		cookie := b.Cookies["roster_session"]
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", cookie)
		}
		b.Get("/accounts").Expect(t, 200).Has(t, e.ws.OwnerEmail, "Sign out")
		b.Get("/login").Expect(t, 303, "/accounts")

		token := cookie.Value
		// Opened as an address, the forms' targets lead home and change nothing.
		b.Get("/logout").Expect(t, 303, "/accounts")
		b.Get("/mode").Expect(t, 303, "/accounts")
		b.Get("/accounts").Expect(t, 200).Has(t, "Sign out")
		b.Post("/logout", nil).Expect(t, 303, "/login")
		b.Get("/login").Has(t, "You have signed out.")
		b.Get("/accounts").Expect(t, 303)
		// The old token is dead on the server, not only forgotten by the browser.
		b.Cookies["roster_session"] = cookie
		cookie.Value = token
		b.Get("/accounts").Expect(t, 303)
	})
}

// strip removes what differs between two renderings of one page: the CSRF
// token and the email typed.
func strip(body, email string) string {
	return strings.ReplaceAll(webtest.CSRFField.ReplaceAllString(body, ""), email, "")
}

func TestSignInRenewsTheToken(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	b := e.browser()
	b.Get("/login")
	b.Post("/mode", url.Values{"mode": {"test"}}) // not signed in: no session data, no cookie
	if b.Cookies["roster_session"] != nil {
		t.Fatal("a session cookie before sign-in")
	}
	planted := "planted-token-planted-token-planted-tok"
	b.Cookies["roster_session"] = &http.Cookie{Name: "roster_session", Value: planted}
	b.Post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).Expect(t, 303)
	if got := b.Cookies["roster_session"].Value; got == planted || got == "" {
		t.Fatalf("session token after sign-in %q", got)
	}
}

func TestLoginPageOnEmptyDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := d.Exec(`DELETE FROM workspace_memberships`); err != nil {
			t.Fatal(err)
		}
		e.browser().Get("/login").Expect(t, 200).Has(t, "Nobody can sign in yet", "roster bootstrap --workspace")
	})
}

func TestSignInThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fewAttempts := func(c *web.Config) { c.LoginAttempts = 2 }
		e := newEnv(t, d, fewAttempts)
		b := e.browser()
		b.Get("/login")
		try := func(b *browser, email, password string) page {
			return b.Post("/login", url.Values{"email": {email}, "password": {password}})
		}
		for _, email := range []string{e.ws.OwnerEmail, "nobody@acme.example"} {
			try(b, email, "wrong").Expect(t, 401)
			try(b, email, "wrong").Expect(t, 401)
			p := try(b, email, "wrong").Expect(t, 429).Has(t, "Too many sign-in attempts")
			if p.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
		// Now even the right password waits, and the count is in the
		// database: another server process sees it.
		other := newEnv(t, d, fewAttempts) // the same workspace: bootstrap is idempotent
		ob := other.browser()
		ob.Get("/login")
		try(ob, e.ws.OwnerEmail, e.ws.Password).Expect(t, 429)
		// Another email from the same address may still try.
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		try(b, "admin@acme.example", "admin password").Expect(t, 303)
	})
}

func TestSessionIdleTimeout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.SessionIdleTimeout = 10 * time.Minute })
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		var expiry time.Time
		if err := d.Get(&expiry, `SELECT expiry FROM sessions`); err != nil {
			t.Fatal(err)
		}
		if until := time.Until(expiry); until > 11*time.Minute || until < 9*time.Minute {
			t.Fatalf("session stored until %v from now, want the idle timeout", until)
		}
		b.Get("/accounts").Expect(t, 200)
		b.Get("/accounts").Expect(t, 200)
		var again time.Time
		if err := d.Get(&again, `SELECT expiry FROM sessions`); err != nil || !again.Equal(expiry) {
			t.Fatalf("reading pages rewrote the session within a minute: expiry %v, then %v (%v)", expiry, again, err)
		}
		// Ten idle minutes later, as the server sees it.
		if _, err := d.Exec(d.Rebind(`UPDATE sessions SET expiry = ?`), time.Now().Add(-time.Second).UTC()); err != nil {
			t.Fatal(err)
		}
		b.Get("/accounts").Expect(t, 303, "/login?next=%2Faccounts")
	})
}

func TestCSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.Get("/login")
		b.Post("/login", url.Values{"_csrf": {""}, "email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).
			Expect(t, 403).Has(t, "This form has expired")
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Get("/accounts")
		for name, form := range map[string]url.Values{
			"no token":    {"_csrf": {""}, "name": {"Forged"}},
			"wrong token": {"_csrf": {"x" + b.CSRF}, "name": {"Forged"}},
		} {
			t.Run(name, func(t *testing.T) {
				b.Post("/accounts", form).Expect(t, 403).Has(t, "This form has expired")
			})
		}
		// htmx sends the token as a header.
		b.Post("/accounts", url.Values{"_csrf": {""}, "name": {"By htmx"}}, "HX-Request", "true", "X-CSRF-Token", b.CSRF).
			Expect(t, 200)
		b.Post("/accounts", url.Values{"name": {"By form"}}).Expect(t, 303)
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM accounts`); err != nil || n != 2 {
			t.Fatalf("%d accounts, want the 2 with a token (%v)", n, err)
		}
	})
}

func TestSupportStaffOnlyRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "help@acme.example", db.RoleSupport, "support password")
		key, _, err := d.CreateAPIKey(context.Background(), e.ws.Live(), db.NewAPIKey{Kind: db.KeySecret, Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateAccount(context.Background(), e.ws.Live(), db.AccountInput{Name: "Visible Co"}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.SignIn("help@acme.example", "support password")
		for path, gone := range map[string][]string{
			"/accounts": {`method="post" action="/accounts"`, "Create an account"},
			"/api-keys": {`method="post" action="/api-keys"`, "Revoke", "Roll"},
			"/team":     {`method="post" action="/team"`},
		} {
			b.Get(path).Expect(t, 200).Lacks(t, gone...)
		}
		b.Get("/accounts").Has(t, "Visible Co")
		b.Get("/activity").Expect(t, 200)
		forged := []struct{ method, path string }{
			{"POST", "/accounts"}, {"POST", "/api-keys"}, {"GET", "/api-keys/" + key.ID + "/revoke"},
			{"POST", "/api-keys/" + key.ID + "/revoke"}, {"POST", "/api-keys/" + key.ID + "/roll"}, {"POST", "/team"},
		}
		for _, f := range forged {
			t.Run(f.method+" "+f.path, func(t *testing.T) {
				form := url.Values{"name": {"Forged"}, "kind": {"secret"}, "email": {"x@acme.example"}, "role": {"admin"}, "grace": {"0"}}
				b.Request(f.method, f.path, form).Expect(t, 403).Has(t, "You may not do this")
			})
		}
		keys, err := d.ListAPIKeys(context.Background(), e.ws.Live())
		if err != nil || len(keys) != 1 || keys[0].RevokedAt != nil {
			t.Fatalf("keys after forged requests: %+v, %v", keys, err)
		}
		// Still allowed: switching modes and signing out.
		b.Post("/mode", url.Values{"mode": {"test"}}).Expect(t, 303)
	})
}

func TestStaffChangesApplyAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		b := e.browser()
		b.SignIn("admin@acme.example", "admin password")
		b.Get("/accounts").Has(t, "Create an account")
		b.Post("/accounts", url.Values{"name": {"Allowed"}}).Expect(t, 303)
		if _, err := d.Exec(d.Rebind(`UPDATE workspace_memberships SET role = 'support' WHERE user_id IN (SELECT id FROM users WHERE email_lower = ?)`), "admin@acme.example"); err != nil {
			t.Fatal(err)
		}
		b.Post("/accounts", url.Values{"name": {"Refused"}}).Expect(t, 403)
		b.Get("/accounts").Lacks(t, "Create an account")
		if _, err := d.Exec(`DELETE FROM workspace_memberships WHERE role = 'support'`); err != nil {
			t.Fatal(err)
		}
		b.Get("/accounts").Expect(t, 303, "/login?next=%2Faccounts")
	})
}

func TestFormsRedirectAfterPost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Get("/accounts").Has(t, "No accounts in live mode yet")

		created := b.Post("/accounts", url.Values{"name": {"  Acme Shop  "}}).Expect(t, 303)
		acct := created.Header.Get("Location")
		if !strings.HasPrefix(acct, "/accounts/acct_") {
			t.Fatalf("after creating an account, went to %q, not its members page", acct)
		}
		b.Get(acct).Expect(t, 200).Has(t, "Created the account “Acme Shop”: invite its first members.", "<h1>Acme Shop</h1>")
		b.Get("/accounts").Lacks(t, "Created the account") // the flash is shown once

		p := b.Post("/accounts", url.Values{"name": {"Another"}}, "HX-Request", "true")
		p.Expect(t, 200)
		if !strings.HasPrefix(p.Header.Get("HX-Redirect"), "/accounts/acct_") {
			t.Fatalf("htmx POST answered HX-Redirect %q", p.Header.Get("HX-Redirect"))
		}

		long := strings.Repeat("x", 201)
		b.Post("/accounts", url.Values{"name": {long}}).Expect(t, 422).
			Has(t, "The name must be at most 200 characters.", `value="`+long+`"`, "<html")
		frag := b.Post("/accounts", url.Values{"name": {""}}, "HX-Request", "true").Expect(t, 422)
		frag.Has(t, "The name is required.", `id="create-account"`).Lacks(t, "<html")
		if !strings.Contains(frag.Header.Get("Vary"), "HX-Request") {
			t.Fatalf("Vary %q lacks HX-Request", frag.Header.Get("Vary"))
		}
	})
}

func TestAccountsPageSearchAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for i := range 23 {
			if _, err := d.CreateAccount(context.Background(), e.ws.Live(), db.AccountInput{Name: fmt.Sprintf("Shop %02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.CreateAccount(context.Background(), e.ws.Live(), db.AccountInput{Name: "Bakery_1"}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		first := b.Get("/accounts").Expect(t, 200).Has(t, "Shop 00", "Shop 19", "Next page").Lacks(t, "Shop 20", "First page")
		next := regexp.MustCompile(`href="(/accounts\?after=[^"]+)"`).FindStringSubmatch(first.Body)
		if next == nil {
			t.Fatal("no link to the next page")
		}
		b.Get(strings.ReplaceAll(next[1], "&amp;", "&")).Has(t, "Shop 20", "Shop 22", "Bakery_1", "First page").Lacks(t, "Shop 19", "Next page")
		b.Get("/accounts?q=bak").Has(t, "Bakery_1").Lacks(t, "Shop 0")
		b.Get("/accounts?q=%25").Has(t, "No account", "starts with “%”", "Show all accounts")
		frag := b.Get("/accounts?q=shop+1", "HX-Request", "true").Expect(t, 200)
		frag.Has(t, `id="accounts-results"`, "Shop 10").Lacks(t, "<html", "Shop 00")
	})
}

func TestModeSeparation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Post("/accounts", url.Values{"name": {"Live Co"}}).Expect(t, 303)
		live := b.Get("/accounts").Has(t, "Live Co", "live mode", "Switch to test mode")
		live.Lacks(t, "Test mode: you are looking at test data")

		b.Post("/mode", url.Values{"mode": {"test"}, "next": {"/accounts?q=x"}}).Expect(t, 303, "/accounts?q=x")
		test := b.Get("/accounts").Has(t, "Test mode: you are looking at test data", "No accounts in test mode yet", "Switch to live mode")
		test.Lacks(t, "Live Co")
		b.Post("/accounts", url.Values{"name": {"Test Co"}}).Expect(t, 303)
		b.Get("/accounts").Has(t, "Test Co").Lacks(t, "Live Co")
		b.Get("/activity").Has(t, "account.created").Lacks(t, "Live Co")

		b.Post("/mode", url.Values{"mode": {"live"}, "next": {"https://evil.example/"}}).Expect(t, 303, "/accounts")
		b.Get("/accounts").Has(t, "Live Co").Lacks(t, "Test Co", "Test mode: you are looking")
	})
}

var secretPattern = regexp.MustCompile(`value="((?:sk|pk)_(?:live|test)_[0-9A-Za-z]{40})"`)

func TestAPIKeyPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Post("/mode", url.Values{"mode": {"test"}})
		b.Get("/api-keys").Has(t, "No test-mode keys yet")

		b.Post("/api-keys", url.Values{"kind": {"secret"}, "name": {"Reader"}, "scopes": {"accounts:read", "events:read"}}).Expect(t, 303, "/api-keys")
		shown := b.Get("/api-keys").Has(t, "Copy it now", "accounts:read, events:read", "Reader")
		m := secretPattern.FindStringSubmatch(shown.Body)
		if m == nil || !strings.HasPrefix(m[1], "sk_test_") {
			t.Fatalf("no test secret shown: %v", m)
		}
		secret := m[1]
		b.Get("/api-keys").Lacks(t, secret, "Copy it now")
		e.Call(t, "GET", "/v1/accounts", secret, "").Expect(t, 200, "")

		b.Post("/api-keys", url.Values{"kind": {"publishable"}, "scopes": {"accounts:read"}}).Expect(t, 422).
			Has(t, "The scopes publishable keys take no scopes.")

		k, err := d.APIKeyBySecret(context.Background(), secret)
		if err != nil {
			t.Fatal(err)
		}
		b.Get("/api-keys/"+k.ID+"/roll").Expect(t, 200).Has(t, "Roll the key", "The old key keeps working for")
		b.Post("/api-keys/"+k.ID+"/roll", url.Values{"grace": {"forever"}}).Expect(t, 422).Has(t, "Choose how long")
		b.Post("/api-keys/"+k.ID+"/roll", url.Values{"grace": {"0"}}).Expect(t, 303, "/api-keys")
		rolled := secretPattern.FindStringSubmatch(b.Get("/api-keys").Body)
		if rolled == nil || rolled[1] == secret {
			t.Fatalf("rolled secret %v", rolled)
		}
		e.Call(t, "GET", "/v1/accounts", secret, "").Expect(t, 401, "unauthorized")
		e.Call(t, "GET", "/v1/accounts", rolled[1], "").Expect(t, 200, "")

		nk, err := d.APIKeyBySecret(context.Background(), rolled[1])
		if err != nil {
			t.Fatal(err)
		}
		b.Get("/api-keys/"+nk.ID+"/revoke").Expect(t, 200).Has(t, "Revoke the key", "cannot be undone")
		b.Post("/api-keys/"+nk.ID+"/revoke", nil).Expect(t, 303, "/api-keys")
		b.Get("/api-keys").Has(t, "Revoked the key", "Revoked ")
		e.Call(t, "GET", "/v1/accounts", rolled[1], "").Expect(t, 401, "unauthorized")

		// A key of the other mode is not found from this one.
		liveKey, _, _ := d.CreateAPIKey(context.Background(), e.ws.Live(), db.NewAPIKey{Kind: db.KeySecret})
		b.Get("/api-keys/"+liveKey.ID+"/revoke").Expect(t, 404).Has(t, "Page not found")
		b.Post("/api-keys/"+liveKey.ID+"/revoke", nil).Expect(t, 404)
	})
}

func TestActivityPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Get("/activity").Has(t, "Nothing has happened in this mode yet")
		b.Post("/accounts", url.Values{"name": {"Old name"}}).Expect(t, 303)
		var id string
		if err := d.Get(&id, `SELECT id FROM accounts`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.RenameAccount(db.WithActor(db.WithRequestID(context.Background(), "req_x"), db.Actor{Type: "user", ID: e.ws.UserID}), e.ws.Live(), id, db.AccountInput{Name: "New name"}); err != nil {
			t.Fatal(err)
		}
		for i := range 21 {
			if _, err := d.CreateAccount(context.Background(), e.ws.Live(), db.AccountInput{Name: fmt.Sprintf("Filler %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		all := b.Get("/activity").Expect(t, 200).Has(t, "account.created", "Next page")
		all.Lacks(t, ">account.updated</a>") // 21 newer events fill the first page

		renamed := b.Get("/activity?account="+id).Expect(t, 200)
		renamed.Has(t, "account.updated", "account.created", "Old name", "New name", e.ws.OwnerEmail).Lacks(t, "Filler")
		b.Get("/activity?type=account.updated").Has(t, "New name").Lacks(t, "Filler")
		b.Get("/activity?member=am_01HQZC8G2T9YX5J8VQBW3KPQR7").Has(t, "No activity matches these filters")
		frag := b.Get("/activity?type=account.updated", "HX-Request", "true").Expect(t, 200)
		frag.Has(t, `id="events"`).Lacks(t, "<html")
	})
}

func TestErrorPages(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	b := e.browser()
	b.Get("/no-such-page").Expect(t, 404).Has(t, "Page not found", "<html")
	b.SignIn(e.ws.OwnerEmail, e.ws.Password)
	b.Get("/no-such-page").Expect(t, 404).Has(t, "Page not found", e.ws.OwnerEmail)
	e.Call(t, "GET", "/v1/no-such-page", e.key(false, db.KeySecret), "").Expect(t, 404, "not_found")

	if _, err := d.Exec(`DROP TABLE events`); err != nil {
		t.Fatal(err)
	}
	p := b.Post("/accounts", url.Values{"name": {"Doomed"}}).Expect(t, 500)
	p.Has(t, "Something went wrong", p.Header.Get("Request-Id")).Lacks(t, "events", "SQL", "sql")
}

func TestStaticAssets(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	login := e.browser().Get("/login")
	css := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(login.Body)
	if css == nil {
		t.Fatal("the page links no versioned stylesheet")
	}
	for _, path := range []string{css[1], "/static/vendor/htmx.min.js", "/static/app.js"} {
		p := e.browser().Get(path).Expect(t, 200)
		if !strings.Contains(p.Header.Get("Cache-Control"), "max-age=31536000") {
			t.Fatalf("%s: Cache-Control %q", path, p.Header.Get("Cache-Control"))
		}
		if p.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s sets a cookie", path)
		}
	}
	e.browser().Get("/static/nothing.css").Expect(t, 404)
	if csp := login.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("login page CSP %q", csp)
	}
}
