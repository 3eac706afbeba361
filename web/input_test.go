package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
	"roster/web/webtest"
)

// newShop is a server on d with a live secret key, an account and an
// invited member of it, ann@example.com.
func newShop(t *testing.T, d *db.DB) (e *env, sk, acct string, ann membership) {
	t.Helper()
	e = newEnv(t, d)
	sk = e.key(true, db.KeySecret)
	acct = e.createAccount(sk, "Shop")
	return e, sk, acct, e.addMember(sk, acct, `{"email":"ann@example.com"}`)
}

// TestStrictJSON: bodies are read with their exact field names and without
// duplicate names, each refusal a 400 naming the field. Before, a name was
// matched whatever its case and the last of two duplicates won, so
// {"email":…,"ROLE":"owner"} invited an owner.
func TestStrictJSON(t *testing.T) {
	e, sk, acct, m := newShop(t, dbtest.Open(t, db.SQLite))
	create := "/v1/account-memberships?account_id=" + acct
	e.run(t, []apiCase{
		{"a field in upper case", "POST", create, sk, `{"email":"bob@example.com","ROLE":"owner"}`, 400, "validation_error", "ROLE", "case-sensitive"},
		{"a field in mixed case", "POST", "/v1/accounts", sk, `{"Name":"Other"}`, 400, "validation_error", "Name", ""},
		{"a spelling of role in another case", "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"roleslug":"owner"}`, 400, "validation_error", "roleslug", ""},
		{"a duplicate field", "POST", create, sk, `{"email":"bob@example.com","role":"member","role":"owner"}`, 400, "validation_error", "role", "more than once"},
		{"a duplicate list", "PUT", "/v1/account-memberships/" + m.ID, sk, `{"permissions":[],"permissions":["org.manage"]}`, 400, "validation_error", "permissions", "more than once"},
		{"a duplicate in a role", "PATCH", "/v1/roles/member", sk, `{"name":"A","name":"B"}`, 400, "validation_error", "name", "more than once"},
		{"a wrong type", "POST", "/v1/roles", sk, `{"slug":"x","name":"X","permissions":"org.manage"}`, 400, "validation_error", "permissions", "an array"},
		{"a wrong type in a list", "PUT", "/v1/account-memberships/" + m.ID, sk, `{"permissions":[1]}`, 400, "validation_error", "permissions", "a string"},
		{"two values", "POST", "/v1/accounts", sk, `{"name":"A"} {"name":"B"}`, 400, "validation_error", "body", ""},
		{"not an object", "POST", "/v1/accounts", sk, `["name"]`, 400, "validation_error", "body", "a JSON object"},
		{"the exact spelling still works", "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"roleSlug":"admin"}`, 200, "", "", `"slug":"admin"`},
	})
	var owners int
	if err := e.db.Get(&owners, `SELECT COUNT(*) FROM account_memberships am JOIN roles r ON r.id = am.role_id WHERE r.slug = 'owner'`); err != nil || owners != 0 {
		t.Fatalf("%d owner memberships (%v): a refused body made one", owners, err)
	}
}

// keyList is a JSON array of n distinct permission keys ("p0", "p1", …),
// none of them in the catalog.
func keyList(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"p%d"`, i)
	}
	return "[" + strings.Join(keys, ",") + "]"
}

// TestListBounds: every list in a request holds at most 500 entries, else
// 400 naming it, on both databases. Before, 35,000 keys (SQLite) or 70,000
// (PostgreSQL) were one query parameter each and a 500 "too many SQL
// variables"; 70,000 is past both limits.
func TestListBounds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e, sk, acct, m := newShop(t, d)
		huge, over, most := keyList(70000), keyList(db.MaxListItems+1), keyList(db.MaxListItems)
		create := "/v1/account-memberships?account_id=" + acct
		var cases []apiCase
		for _, tc := range []struct{ name, method, path, field, body string }{
			{"membership create", "POST", create, "permissions", `{"email":"bob@example.com","permissions":%s}`},
			{"membership replace", "PUT", "/v1/account-memberships/" + m.ID, "permissions", `{"permissions":%s}`},
			{"membership add", "PATCH", "/v1/account-memberships/" + m.ID, "add_permissions", `{"add_permissions":%s}`},
			{"membership remove", "PATCH", "/v1/account-memberships/" + m.ID, "remove_permissions", `{"remove_permissions":%s}`},
			{"role create", "POST", "/v1/roles", "permissions", `{"slug":"big","name":"Big","permissions":%s}`},
			{"role update", "PATCH", "/v1/roles/member", "permissions", `{"permissions":%s}`},
		} {
			cases = append(cases,
				apiCase{tc.name + ": 70,000 keys", tc.method, tc.path, sk, fmt.Sprintf(tc.body, huge), 400, "validation_error", tc.field, "at most 500"},
				apiCase{tc.name + ": 501 keys", tc.method, tc.path, sk, fmt.Sprintf(tc.body, over), 400, "validation_error", tc.field, "at most 500"},
				apiCase{tc.name + ": 500 keys are checked against the catalog", tc.method, tc.path, sk, fmt.Sprintf(tc.body, most), 400, "validation_error", tc.field, "not in the permission catalog"},
			)
		}
		e.run(t, cases)

		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Get("/roles").Expect(t, 200)
		many := make([]string, db.MaxListItems+1)
		for i := range many {
			many[i] = "accounts:read"
		}
		b.Post("/api-keys", url.Values{"kind": {"secret"}, "name": {"Many"}, "scopes": many}).Expect(t, 422).Has(t, "Choose at most 500.")
		b.Post("/roles", url.Values{"slug": {"many"}, "name": {"Many"}, "permissions": many}).Expect(t, 422).Has(t, "at most 500")
		var keys int
		if err := d.Get(&keys, `SELECT COUNT(*) FROM api_keys WHERE name = 'Many'`); err != nil || keys != 0 {
			t.Fatalf("%d keys (%v): the refused form made one", keys, err)
		}
	})
}

// TestUnknownRoleInBody: a role named in a body that the workspace does
// not have is 400 validation_error naming the field, whatever the request;
// 404 role.not_found is for a role the path names.
func TestUnknownRoleInBody(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e, sk, acct, m := newShop(t, d)
		wm := e.staff("sam@example.com", db.RoleSupport)
		create := "/v1/account-memberships?account_id=" + acct
		e.run(t, []apiCase{
			{"invite", "POST", create, sk, `{"email":"bob@example.com","role":"overlord"}`, 400, "validation_error", "role", "not a role"},
			{"link", "POST", create, sk, `{"workspace_membership_id":"` + wm + `","role":"role_nope"}`, 400, "validation_error", "role", "not a role"},
			{"replace", "PUT", "/v1/account-memberships/" + m.ID, sk, `{"permissions":[],"role":"overlord"}`, 400, "validation_error", "role", "not a role"},
			{"patch", "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"role_slug":"overlord"}`, 400, "validation_error", "role", "not a role"},
			{"a role in the path is still 404", "GET", "/v1/roles/overlord", sk, "", 404, "role.not_found", "id", ""},
		})
	})
}

// TestEmailFold: emails are matched with ASCII letters lower-cased and
// nothing else folded, so two different addresses never meet: the Kelvin
// sign (U+212A) is not the letter k, the Angstrom sign (U+212B) is not å,
// in JWTs, console sign-in, invitations and staff alike, on both
// databases. Before, Go's Unicode lower-casing made "\u212Aelly@…" sign in
// as kelly@example.com.
func TestEmailFold(t *testing.T) {
	const kelly, kelvin = "kelly@example.com", "\u212Aelly@example.com"
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		staffWithPassword(t, d, e.ws, kelly, db.RoleAdmin, "kelly's long password")

		e.Call(t, "GET", "/v1/accounts", jwtFor(t, "KELLY@Example.COM", false), "").Expect(t, 200, "")
		e.Call(t, "GET", "/v1/accounts", jwtFor(t, kelvin, false), "").Expect(t, 401, "unauthorized")
		b := e.browser()
		b.Get("/login").Expect(t, 200)
		b.Post("/login", url.Values{"email": {kelvin}, "password": {"kelly's long password"}}).Expect(t, 401).Has(t, wrongCredentials)

		acct := e.createAccount(sk, "Shop")
		users := map[string]string{}
		for _, email := range []string{kelly, kelvin, "\u212Bsa@example.com", "\u00E5sa@example.com"} {
			m := e.addMember(sk, acct, `{"email":"`+email+`"}`)
			if m.User.Email != email {
				t.Fatalf("invited %q, got the user %q", email, m.User.Email)
			}
			users[m.User.ID] = email
		}
		if len(users) != 4 {
			t.Fatalf("four addresses are %d users: %v", len(users), users)
		}
		r := e.Call(t, "POST", "/v1/workspace-memberships", sk, `{"email":"`+kelvin+`","role":"support"}`)
		r.Expect(t, 201, "")
		var wm struct{ User struct{ Email string } }
		r.Data(t, &wm)
		if wm.User.Email != kelvin {
			t.Fatalf("staff %q is the user %q", kelvin, wm.User.Email)
		}
		e.Call(t, "POST", "/v1/workspace-memberships", sk, `{"email":"KELLY@example.com","role":"support"}`).Expect(t, 409, "workspace_membership.already_exists")
	})
}

// TestAnswersOverTheWire sends requests with Go's own HTTP client to a
// real listener: a body over 1 MiB is answered 413 even while the client
// is still sending it (before, the server closed on unread data and the
// client saw "connection reset by peer"); a malformed multipart body on
// /v1 is the JSON envelope (before, an HTML page); every answer says
// X-Content-Type-Options: nosniff, and one that carries an accept_url,
// also replayed, Cache-Control: no-store.
func TestAnswersOverTheWire(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	sk := e.key(true, db.KeySecret)
	acct := e.createAccount(sk, "Shop")
	base := e.listen()
	send := func(t *testing.T, method, path, contentType string, body io.Reader, headers ...string) (*http.Response, webtest.Envelope) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+sk)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var env webtest.Envelope
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s: %d with Content-Type %q, want the JSON envelope", method, path, res.StatusCode, ct)
		}
		if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
			t.Fatalf("%s %s: %d, not the envelope: %v", method, path, res.StatusCode, err)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Fatalf("%s %s: %d with X-Content-Type-Options %q", method, path, res.StatusCode, got)
		}
		return res, env
	}
	big := func(n int) io.Reader { return bytes.NewReader(bytes.Repeat([]byte(" "), n)) }
	for _, tc := range []struct {
		name        string
		contentType string
		body        func() io.Reader
		status      int
		typ         string
	}{
		{"2 MiB", "application/json", func() io.Reader { return big(2 << 20) }, 413, "payload_too_large"},
		{"16 MiB", "application/json", func() io.Reader { return big(16 << 20) }, 413, "payload_too_large"},
		{"16 MiB of unknown length", "application/json", func() io.Reader { return io.LimitReader(endless{}, 16<<20) }, 413, "payload_too_large"},
		{"malformed multipart", "multipart/form-data; boundary=x", func() io.Reader {
			return strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nShop\r\n--y--")
		}, 415, "unsupported_media_type"},
		{"a route that does not exist", "", func() io.Reader { return nil }, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/v1/accounts"
			if tc.status == 404 {
				path = "/v1/nothing-here"
			}
			res, env := send(t, "POST", path, tc.contentType, tc.body())
			if res.StatusCode != tc.status || env.Error == nil || env.Error.Type != tc.typ {
				t.Fatalf("got %d %+v, want %d %s", res.StatusCode, env.Error, tc.status, tc.typ)
			}
		})
	}

	t.Run("accept_url is not cached", func(t *testing.T) {
		invite := `{"email":"bob@example.com"}`
		path := "/v1/account-memberships?account_id=" + acct
		for _, replay := range []bool{false, true} {
			res, _ := send(t, "POST", path, "application/json", strings.NewReader(invite), "Idempotency-Key", "invite-bob")
			if res.StatusCode != 201 || res.Header.Get("Cache-Control") != "no-store" || (res.Header.Get("Idempotent-Replayed") == "true") != replay {
				t.Fatalf("invite (replay %v): %d, Cache-Control %q", replay, res.StatusCode, res.Header.Get("Cache-Control"))
			}
		}
		res, env := send(t, "GET", "/v1/accounts", "", nil)
		if res.StatusCode != 200 || env.Error != nil {
			t.Fatalf("GET /v1/accounts: %d", res.StatusCode)
		}
	})
}

// endless is a reader of spaces that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestRateLimitFailedTokens: a flood of distinct garbage tokens draws on
// its client address's budget, so it is 429 after the limit (before, each
// new string had a budget of its own and every request cost a lookup); a
// key that authenticated before keeps its own budget; a revoked key goes
// back to its address's.
func TestRateLimitFailedTokens(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), func(c *web.Config) { c.RateLimit = 5 })
	sk := e.key(true, db.KeySecret)
	startOfSecond()
	e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 200, "")
	got := map[int]int{}
	for i := range 20 {
		got[e.Call(t, "GET", "/v1/accounts", fmt.Sprintf("sk_live_%040d", i), "").Status]++
	}
	if got[401] > 5 || got[429] < 15 {
		t.Fatalf("20 garbage tokens: %v, want at most 5 401s and the rest 429", got)
	}
	e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 200, "")
	e.Call(t, "GET", "/v1/accounts", jwtFor(t, e.ws.OwnerEmail, false), "").Expect(t, 429, "rate_limited")

	ctx := context.Background()
	k, err := e.db.APIKeyBySecret(ctx, sk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.RevokeAPIKey(ctx, e.ws.Live(), k.ID); err != nil {
		t.Fatal(err)
	}
	e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 401, "unauthorized")
	e.Call(t, "GET", "/v1/accounts", sk, "").Expect(t, 429, "rate_limited")
}

// TestAccountDeletedRecordsRemovals: the account.deleted event says what
// went with the account: how many memberships, active and invited (their
// invitations revoked), and their ids, on both databases. Before, it held
// the account alone, and the memberships vanished from the trail.
func TestAccountDeletedRecordsRemovals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		want := []string{
			e.addMember(sk, acct, `{"email":"ann@example.com"}`).ID,
			e.addMember(sk, acct, `{"email":"bob@example.com"}`).ID,
			e.addMember(sk, acct, `{"workspace_membership_id":"`+e.staff("sam@example.com", db.RoleSupport)+`"}`).ID,
		}
		other := e.createAccount(sk, "Other")
		e.addMember(sk, other, `{"email":"ann@example.com"}`)
		e.Call(t, "DELETE", "/v1/accounts/"+acct, sk, "").Expect(t, 200, "")

		evs := e.events(t, sk, "type=account.deleted&account_id="+acct)
		if len(evs) != 1 {
			t.Fatalf("%d account.deleted events", len(evs))
		}
		var data struct {
			ID      string `json:"id"`
			Removed struct {
				Memberships, Active, Invited int
				MembershipIDs                []string `json:"membership_ids"`
				Complete                     bool     `json:"membership_ids_complete"`
			} `json:"removed"`
		}
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		r := data.Removed
		if data.ID != acct || r.Memberships != 3 || r.Active != 1 || r.Invited != 2 || !r.Complete || !slices.Equal(r.MembershipIDs, want) {
			t.Fatalf("account.deleted data %s, want the account and memberships %v (1 active, 2 invited)", evs[0].Data, want)
		}
	})
}
