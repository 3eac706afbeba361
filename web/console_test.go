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
)

const wrongCredentials = "The email or the password is wrong."

func TestSignInAndOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.get("/accounts").expect(t, 303, "/login?next=%2Faccounts")
		b.get("/login").expect(t, 200).lacks(t, "Nobody can sign in yet")

		wrongPassword := b.post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {"not it"}})
		unknownEmail := b.post("/login", url.Values{"email": {"nobody@acme.example"}, "password": {e.ws.Password}})
		for _, p := range []page{wrongPassword, unknownEmail} {
			p.expect(t, 401).has(t, wrongCredentials)
		}
		if strip(wrongPassword.Body, e.ws.OwnerEmail) != strip(unknownEmail.Body, "nobody@acme.example") {
			t.Fatal("a wrong password and an unknown email are answered differently")
		}
		wrongPassword.has(t, `value="`+e.ws.OwnerEmail+`"`)

		b.post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}, "next": {"/activity?type=account.created"}}).
			expect(t, 303, "/activity?type=account.created")
		cookie := b.cookies["roster_session"]
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", cookie)
		}
		b.get("/accounts").expect(t, 200).has(t, e.ws.OwnerEmail, "Sign out")
		b.get("/login").expect(t, 303, "/accounts")

		token := cookie.Value
		b.post("/logout", nil).expect(t, 303, "/login")
		b.get("/login").has(t, "You have signed out.")
		b.get("/accounts").expect(t, 303)
		// The old token is dead on the server, not only forgotten by the browser.
		b.cookies["roster_session"] = cookie
		cookie.Value = token
		b.get("/accounts").expect(t, 303)
	})
}

// strip removes what differs between two renderings of one page: the CSRF
// token and the email typed.
func strip(body, email string) string {
	return strings.ReplaceAll(csrfField.ReplaceAllString(body, ""), email, "")
}

func TestSignInRenewsTheToken(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	b := e.browser()
	b.get("/login")
	b.post("/mode", url.Values{"mode": {"test"}}) // not signed in: no session data, no cookie
	if b.cookies["roster_session"] != nil {
		t.Fatal("a session cookie before sign-in")
	}
	planted := "planted-token-planted-token-planted-tok"
	b.cookies["roster_session"] = &http.Cookie{Name: "roster_session", Value: planted}
	b.post("/login", url.Values{"email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).expect(t, 303)
	if got := b.cookies["roster_session"].Value; got == planted || got == "" {
		t.Fatalf("session token after sign-in %q", got)
	}
}

func TestLoginPageOnEmptyDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := d.Exec(`DELETE FROM workspace_memberships`); err != nil {
			t.Fatal(err)
		}
		e.browser().get("/login").expect(t, 200).has(t, "Nobody can sign in yet", "roster bootstrap --workspace")
	})
}

func TestSignInThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fewAttempts := func(c *web.Config) { c.LoginAttempts = 2 }
		e := newEnv(t, d, fewAttempts)
		b := e.browser()
		b.get("/login")
		try := func(b *browser, email, password string) page {
			return b.post("/login", url.Values{"email": {email}, "password": {password}})
		}
		for _, email := range []string{e.ws.OwnerEmail, "nobody@acme.example"} {
			try(b, email, "wrong").expect(t, 401)
			try(b, email, "wrong").expect(t, 401)
			p := try(b, email, "wrong").expect(t, 429).has(t, "Too many sign-in attempts")
			if p.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
		// Now even the right password waits, and the count is in the
		// database: another server process sees it.
		other := newEnv(t, d, fewAttempts) // the same workspace: bootstrap is idempotent
		ob := other.browser()
		ob.get("/login")
		try(ob, e.ws.OwnerEmail, e.ws.Password).expect(t, 429)
		// Another email from the same address may still try.
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		try(b, "admin@acme.example", "admin password").expect(t, 303)
	})
}

func TestSessionIdleTimeout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.SessionIdleTimeout = 10 * time.Minute })
		b := e.browser()
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		var expiry time.Time
		if err := d.Get(&expiry, `SELECT expiry FROM sessions`); err != nil {
			t.Fatal(err)
		}
		if until := time.Until(expiry); until > 11*time.Minute || until < 9*time.Minute {
			t.Fatalf("session stored until %v from now, want the idle timeout", until)
		}
		b.get("/accounts").expect(t, 200)
		b.get("/accounts").expect(t, 200)
		var again time.Time
		if err := d.Get(&again, `SELECT expiry FROM sessions`); err != nil || !again.Equal(expiry) {
			t.Fatalf("reading pages rewrote the session within a minute: expiry %v, then %v (%v)", expiry, again, err)
		}
		// Ten idle minutes later, as the server sees it.
		if _, err := d.Exec(d.Rebind(`UPDATE sessions SET expiry = ?`), time.Now().Add(-time.Second).UTC()); err != nil {
			t.Fatal(err)
		}
		b.get("/accounts").expect(t, 303, "/login?next=%2Faccounts")
	})
}

func TestCSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.get("/login")
		b.post("/login", url.Values{"_csrf": {""}, "email": {e.ws.OwnerEmail}, "password": {e.ws.Password}}).
			expect(t, 403).has(t, "This form has expired")
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		b.get("/accounts")
		for name, form := range map[string]url.Values{
			"no token":    {"_csrf": {""}, "name": {"Forged"}},
			"wrong token": {"_csrf": {"x" + b.csrf}, "name": {"Forged"}},
		} {
			t.Run(name, func(t *testing.T) {
				b.post("/accounts", form).expect(t, 403).has(t, "This form has expired")
			})
		}
		// htmx sends the token as a header.
		b.post("/accounts", url.Values{"_csrf": {""}, "name": {"By htmx"}}, "HX-Request", "true", "X-CSRF-Token", b.csrf).
			expect(t, 200)
		b.post("/accounts", url.Values{"name": {"By form"}}).expect(t, 303)
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
		b.signIn("help@acme.example", "support password")
		for path, gone := range map[string][]string{
			"/accounts": {`method="post" action="/accounts"`, "Create an account"},
			"/api-keys": {`method="post" action="/api-keys"`, "Revoke", "Roll"},
			"/team":     {`method="post" action="/team"`},
		} {
			b.get(path).expect(t, 200).lacks(t, gone...)
		}
		b.get("/accounts").has(t, "Visible Co")
		b.get("/activity").expect(t, 200)
		forged := []struct{ method, path string }{
			{"POST", "/accounts"}, {"POST", "/api-keys"}, {"GET", "/api-keys/" + key.ID + "/revoke"},
			{"POST", "/api-keys/" + key.ID + "/revoke"}, {"POST", "/api-keys/" + key.ID + "/roll"}, {"POST", "/team"},
		}
		for _, f := range forged {
			t.Run(f.method+" "+f.path, func(t *testing.T) {
				form := url.Values{"name": {"Forged"}, "kind": {"secret"}, "email": {"x@acme.example"}, "role": {"admin"}, "grace": {"0"}}
				b.request(f.method, f.path, form).expect(t, 403).has(t, "You may not do this")
			})
		}
		keys, err := d.ListAPIKeys(context.Background(), e.ws.Live())
		if err != nil || len(keys) != 1 || keys[0].RevokedAt != nil {
			t.Fatalf("keys after forged requests: %+v, %v", keys, err)
		}
		// Still allowed: switching modes and signing out.
		b.post("/mode", url.Values{"mode": {"test"}}).expect(t, 303)
	})
}

func TestStaffChangesApplyAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		b := e.browser()
		b.signIn("admin@acme.example", "admin password")
		b.get("/accounts").has(t, "Create an account")
		b.post("/accounts", url.Values{"name": {"Allowed"}}).expect(t, 303)
		if _, err := d.Exec(d.Rebind(`UPDATE workspace_memberships SET role = 'support' WHERE user_id IN (SELECT id FROM users WHERE email_lower = ?)`), "admin@acme.example"); err != nil {
			t.Fatal(err)
		}
		b.post("/accounts", url.Values{"name": {"Refused"}}).expect(t, 403)
		b.get("/accounts").lacks(t, "Create an account")
		if _, err := d.Exec(`DELETE FROM workspace_memberships WHERE role = 'support'`); err != nil {
			t.Fatal(err)
		}
		b.get("/accounts").expect(t, 303, "/login?next=%2Faccounts")
	})
}

func TestFormsRedirectAfterPost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		b.get("/accounts").has(t, "No accounts in live mode yet")

		b.post("/accounts", url.Values{"name": {"  Acme Shop  "}}).expect(t, 303, "/accounts?q=Acme+Shop")
		b.get("/accounts?q=Acme+Shop").expect(t, 200).has(t, "Created the account “Acme Shop”.", ">Acme Shop</a>")
		b.get("/accounts").lacks(t, "Created the account") // the flash is shown once

		p := b.post("/accounts", url.Values{"name": {"Another"}}, "HX-Request", "true")
		p.expect(t, 200)
		if p.Header.Get("HX-Redirect") != "/accounts?q=Another" {
			t.Fatalf("htmx POST answered HX-Redirect %q", p.Header.Get("HX-Redirect"))
		}

		long := strings.Repeat("x", 201)
		b.post("/accounts", url.Values{"name": {long}}).expect(t, 422).
			has(t, "The name must be at most 200 characters.", `value="`+long+`"`, "<html")
		frag := b.post("/accounts", url.Values{"name": {""}}, "HX-Request", "true").expect(t, 422)
		frag.has(t, "The name is required.", `id="create-account"`).lacks(t, "<html")
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
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		first := b.get("/accounts").expect(t, 200).has(t, "Shop 00", "Shop 19", "Next page").lacks(t, "Shop 20", "First page")
		next := regexp.MustCompile(`href="(/accounts\?after=[^"]+)"`).FindStringSubmatch(first.Body)
		if next == nil {
			t.Fatal("no link to the next page")
		}
		b.get(strings.ReplaceAll(next[1], "&amp;", "&")).has(t, "Shop 20", "Shop 22", "Bakery_1", "First page").lacks(t, "Shop 19", "Next page")
		b.get("/accounts?q=bak").has(t, "Bakery_1").lacks(t, "Shop 0")
		b.get("/accounts?q=%25").has(t, "No account", "starts with “%”", "Show all accounts")
		frag := b.get("/accounts?q=shop+1", "HX-Request", "true").expect(t, 200)
		frag.has(t, `id="accounts-results"`, "Shop 10").lacks(t, "<html", "Shop 00")
	})
}

func TestModeSeparation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		b.post("/accounts", url.Values{"name": {"Live Co"}}).expect(t, 303)
		live := b.get("/accounts").has(t, "Live Co", "live mode", "Switch to test mode")
		live.lacks(t, "Test mode: you are looking at test data")

		b.post("/mode", url.Values{"mode": {"test"}, "next": {"/accounts?q=x"}}).expect(t, 303, "/accounts?q=x")
		test := b.get("/accounts").has(t, "Test mode: you are looking at test data", "No accounts in test mode yet", "Switch to live mode")
		test.lacks(t, "Live Co")
		b.post("/accounts", url.Values{"name": {"Test Co"}}).expect(t, 303)
		b.get("/accounts").has(t, "Test Co").lacks(t, "Live Co")
		b.get("/activity").has(t, "account.created").lacks(t, "Live Co")

		b.post("/mode", url.Values{"mode": {"live"}, "next": {"https://evil.example/"}}).expect(t, 303, "/accounts")
		b.get("/accounts").has(t, "Live Co").lacks(t, "Test Co", "Test mode: you are looking")
	})
}

var secretPattern = regexp.MustCompile(`value="((?:sk|pk)_(?:live|test)_[0-9A-Za-z]{40})"`)

func TestAPIKeyPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		b.post("/mode", url.Values{"mode": {"test"}})
		b.get("/api-keys").has(t, "No test-mode keys yet")

		b.post("/api-keys", url.Values{"kind": {"secret"}, "name": {"Reader"}, "scopes": {"accounts:read", "events:read"}}).expect(t, 303, "/api-keys")
		shown := b.get("/api-keys").has(t, "Copy it now", "accounts:read, events:read", "Reader")
		m := secretPattern.FindStringSubmatch(shown.Body)
		if m == nil || !strings.HasPrefix(m[1], "sk_test_") {
			t.Fatalf("no test secret shown: %v", m)
		}
		secret := m[1]
		b.get("/api-keys").lacks(t, secret, "Copy it now")
		e.do(t, "GET", "/v1/accounts", secret, "").expect(t, 200, "")

		b.post("/api-keys", url.Values{"kind": {"publishable"}, "scopes": {"accounts:read"}}).expect(t, 422).
			has(t, "The scopes publishable keys take no scopes.")

		k, err := d.APIKeyBySecret(context.Background(), secret)
		if err != nil {
			t.Fatal(err)
		}
		b.get("/api-keys/"+k.ID+"/roll").expect(t, 200).has(t, "Roll the key", "The old key keeps working for")
		b.post("/api-keys/"+k.ID+"/roll", url.Values{"grace": {"forever"}}).expect(t, 422).has(t, "Choose how long")
		b.post("/api-keys/"+k.ID+"/roll", url.Values{"grace": {"0"}}).expect(t, 303, "/api-keys")
		rolled := secretPattern.FindStringSubmatch(b.get("/api-keys").Body)
		if rolled == nil || rolled[1] == secret {
			t.Fatalf("rolled secret %v", rolled)
		}
		e.do(t, "GET", "/v1/accounts", secret, "").expect(t, 401, "unauthorized")
		e.do(t, "GET", "/v1/accounts", rolled[1], "").expect(t, 200, "")

		nk, err := d.APIKeyBySecret(context.Background(), rolled[1])
		if err != nil {
			t.Fatal(err)
		}
		b.get("/api-keys/"+nk.ID+"/revoke").expect(t, 200).has(t, "Revoke the key", "cannot be undone")
		b.post("/api-keys/"+nk.ID+"/revoke", nil).expect(t, 303, "/api-keys")
		b.get("/api-keys").has(t, "Revoked the key", "Revoked ")
		e.do(t, "GET", "/v1/accounts", rolled[1], "").expect(t, 401, "unauthorized")

		// A key of the other mode is not found from this one.
		liveKey, _, _ := d.CreateAPIKey(context.Background(), e.ws.Live(), db.NewAPIKey{Kind: db.KeySecret})
		b.get("/api-keys/"+liveKey.ID+"/revoke").expect(t, 404).has(t, "Page not found")
		b.post("/api-keys/"+liveKey.ID+"/revoke", nil).expect(t, 404)
	})
}

func TestActivityPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.signIn(e.ws.OwnerEmail, e.ws.Password)
		b.get("/activity").has(t, "Nothing has happened in this mode yet")
		b.post("/accounts", url.Values{"name": {"Old name"}}).expect(t, 303)
		var id string
		if err := d.Get(&id, `SELECT id FROM accounts`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.RenameAccount(db.WithActor(context.Background(), db.Actor{Type: "user", ID: e.ws.UserID}, "req_x"), e.ws.Live(), id, db.AccountInput{Name: "New name"}); err != nil {
			t.Fatal(err)
		}
		for i := range 21 {
			if _, err := d.CreateAccount(context.Background(), e.ws.Live(), db.AccountInput{Name: fmt.Sprintf("Filler %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		all := b.get("/activity").expect(t, 200).has(t, "account.created", "Next page")
		all.lacks(t, ">account.updated</a>") // 21 newer events fill the first page

		renamed := b.get("/activity?account="+id).expect(t, 200)
		renamed.has(t, "account.updated", "account.created", "Old name", "New name", e.ws.OwnerEmail).lacks(t, "Filler")
		b.get("/activity?type=account.updated").has(t, "New name").lacks(t, "Filler")
		b.get("/activity?member=am_01HQZC8G2T9YX5J8VQBW3KPQR7").has(t, "No activity matches these filters")
		frag := b.get("/activity?type=account.updated", "HX-Request", "true").expect(t, 200)
		frag.has(t, `id="events"`).lacks(t, "<html")
	})
}

func TestErrorPages(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	b := e.browser()
	b.get("/no-such-page").expect(t, 404).has(t, "Page not found", "<html")
	b.signIn(e.ws.OwnerEmail, e.ws.Password)
	b.get("/no-such-page").expect(t, 404).has(t, "Page not found", e.ws.OwnerEmail)
	e.do(t, "GET", "/v1/no-such-page", e.key(false, db.KeySecret), "").expect(t, 404, "not_found")

	if _, err := d.Exec(`DROP TABLE events`); err != nil {
		t.Fatal(err)
	}
	p := b.post("/accounts", url.Values{"name": {"Doomed"}}).expect(t, 500)
	p.has(t, "Something went wrong", p.Header.Get("Request-Id")).lacks(t, "events", "SQL", "sql")
}

func TestStaticAssets(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d)
	login := e.browser().get("/login")
	css := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(login.Body)
	if css == nil {
		t.Fatal("the page links no versioned stylesheet")
	}
	for _, path := range []string{css[1], "/static/vendor/htmx.min.js", "/static/app.js"} {
		p := e.browser().get(path).expect(t, 200)
		if !strings.Contains(p.Header.Get("Cache-Control"), "max-age=31536000") {
			t.Fatalf("%s: Cache-Control %q", path, p.Header.Get("Cache-Control"))
		}
		if p.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s sets a cookie", path)
		}
	}
	e.browser().get("/static/nothing.css").expect(t, 404)
	if csp := login.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("login page CSP %q", csp)
	}
}
