package web_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// TestMembershipRaces sends conflicting requests at once; run under -race.
func TestMembershipRaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)

		t.Run("creates for one person", func(t *testing.T) {
			acct := e.createAccount(sk, "Creates")
			wm := e.staff("racer@acme.example", db.RoleAdmin)
			rs := e.Race(t, 16, func(i int) (string, string, string, string) {
				body := link(wm, "member")
				if i%2 == 1 {
					body = `{"email":"RACER@acme.example"}`
				}
				return "POST", "/v1/accounts/" + acct + "/memberships", sk, body
			})
			n := webtest.Statuses(rs)
			// Linking after an invitation won activates it (200).
			if n[201] != 1 || n[201]+n[200]+n[409] != 16 {
				t.Fatalf("statuses %v, want one 201 and the rest 200 or 409", n)
			}
			for _, r := range rs {
				if r.Status == 409 && r.ErrType() != "membership.already_exists" {
					t.Fatalf("409 %s", r.Raw)
				}
			}
			if got := e.walk(t, "/v1/account-memberships?account_id="+acct, sk, 100); len(got) != 1 {
				t.Fatalf("%d memberships", len(got))
			}
		})

		t.Run("creates of one link", func(t *testing.T) {
			acct := e.createAccount(sk, "Links")
			wm := e.staff("linker@acme.example", db.RoleAdmin)
			rs := e.Race(t, 16, func(int) (string, string, string, string) {
				return "POST", "/v1/account-memberships?account_id=" + acct, sk, link(wm, "member")
			})
			if n := webtest.Statuses(rs); n[201] != 1 || n[409] != 15 {
				t.Fatalf("statuses %v, want one 201 and fifteen 409", n)
			}
		})

		t.Run("adding permissions", func(t *testing.T) {
			acct := e.createAccount(sk, "Permissions")
			m := e.addMember(sk, acct, `{"email":"perms@example.com"}`)
			keys := []string{"org.manage", "members.read", "members.manage", "billing.read", "billing.manage"}
			rs := e.Race(t, len(keys), func(i int) (string, string, string, string) {
				return "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"add_permissions":["` + keys[i] + `"]}`
			})
			if n := webtest.Statuses(rs); n[200] != len(keys) {
				t.Fatalf("statuses %v", n)
			}
			r := e.Call(t, "GET", "/v1/account-memberships/"+m.ID, sk, "")
			sort.Strings(keys)
			if got := memberOf(t, r); fmt.Sprint(got.Permissions) != fmt.Sprint(keys) || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, len(keys)+1) {
				t.Fatalf("permissions after concurrent adds: %s %v", r.Header.Get("ETag"), got.Permissions)
			}
		})

		t.Run("demoting two owners", func(t *testing.T) {
			acct := e.createAccount(sk, "Owners")
			a := e.addMember(sk, acct, link(e.staff("o1@acme.example", db.RoleAdmin), "owner"))
			b := e.addMember(sk, acct, link(e.staff("o2@acme.example", db.RoleAdmin), "owner"))
			rs := e.Race(t, 2, func(i int) (string, string, string, string) {
				if i == 0 {
					return "PATCH", "/v1/account-memberships/" + a.ID, sk, `{"role":"admin"}`
				}
				return "PATCH", "/v1/accounts/" + acct + "/memberships/" + b.ID, sk, `{"role":"member"}`
			})
			if n := webtest.Statuses(rs); n[200] != 1 || n[409] != 1 {
				t.Fatalf("statuses %v", n)
			}
			for _, r := range rs {
				if r.Status == 409 && r.ErrType() != "membership.last_owner" {
					t.Fatalf("409 %s", r.Raw)
				}
			}
			r := e.Call(t, "GET", "/v1/account-memberships?account_id="+acct+"&role=owner", sk, "")
			var owners []membership
			r.Data(t, &owners)
			if len(owners) != 1 {
				t.Fatalf("%d owners left", len(owners))
			}
		})

		t.Run("accepting one invitation", func(t *testing.T) {
			acct := e.createAccount(sk, "Accepts")
			tok := e.addMember(sk, acct, `{"email":"accept@example.com"}`).token(t)
			rs := e.Race(t, 8, func(int) (string, string, string, string) {
				return "POST", "/v1/invitations/accept", "", `{"token":"` + tok + `"}`
			})
			if n := webtest.Statuses(rs); n[200] != 1 || n[404] != 7 {
				t.Fatalf("statuses %v", n)
			}
		})

		t.Run("one Idempotency-Key", func(t *testing.T) {
			acct := e.createAccount(sk, "Idempotent")
			rs := e.Race(t, 8, func(int) (string, string, string, string) {
				return "POST", "/v1/account-memberships?account_id=" + acct, sk, `{"email":"once@example.com"}`
			}, "Idempotency-Key", "race-key")
			if n := webtest.Statuses(rs); n[201] != 8 {
				t.Fatalf("statuses %v", n)
			}
			replayed := 0
			for _, r := range rs {
				if r.Body.Data == nil || string(r.Body.Data) != string(rs[0].Body.Data) {
					t.Fatalf("answers differ:\n%s\n%s", r.Raw, rs[0].Raw)
				}
				if r.Header.Get("Idempotent-Replayed") == "true" {
					replayed++
				}
			}
			if replayed != 7 {
				t.Fatalf("%d replays, want 7", replayed)
			}
			if got := e.walk(t, "/v1/account-memberships?account_id="+acct, sk, 100); len(got) != 1 {
				t.Fatalf("%d memberships", len(got))
			}
		})
	})
}

// TestIdempotency: a key replays the first answer of the same request, and
// refuses another; a failed request leaves the key free.
func TestIdempotency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		test, live := e.key(false, db.KeySecret), e.key(true, db.KeySecret)
		acct := e.createAccount(test, "Shop")
		path := "/v1/account-memberships?account_id=" + acct
		key := func(k string) []string { return []string{"Idempotency-Key", k} }

		first := e.Call(t, "POST", path, test, `{"email":"ida@example.com"}`, key("k-1")...)
		first.Expect(t, 201, "")
		again := e.Call(t, "POST", path, test, `{"email":"ida@example.com"}`, key("k-1")...)
		again.Expect(t, 201, "")
		if again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != first.Raw || again.Header.Get("ETag") != `"1"` {
			t.Fatalf("replay %v %s", again.Header, again.Raw)
		}
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatal("first answer marked replayed")
		}
		// The stored answer holds the accept link, shown once: never in clear.
		var stored string
		if err := d.Get(&stored, d.Rebind(`SELECT response_body FROM idempotency_keys WHERE key = ?`), "k-1"); err != nil ||
			!strings.Contains(first.Raw, "accept_url") || strings.Contains(stored, "accept") || strings.Contains(stored, "ida@example.com") {
			t.Fatalf("stored answer %.80q, %v", stored, err)
		}
		e.Call(t, "POST", path, test, `{"email":"other@example.com"}`, key("k-1")...).Expect(t, 409, "idempotency.conflict")
		e.Call(t, "POST", "/v1/accounts", test, `{"name":"Shop"}`, key("k-1")...).Expect(t, 409, "idempotency.conflict")

		// A failed request stores nothing: the key serves the corrected one.
		e.Call(t, "POST", path, test, `{"email":"bad"}`, key("k-2")...).Expect(t, 400, "validation_error")
		e.Call(t, "POST", path, test, `{"email":"ida@example.com"}`, key("k-2")...).Expect(t, 409, "membership.already_exists")
		e.Call(t, "POST", path, test, `{"email":"jo@example.com"}`, key("k-2")...).Expect(t, 201, "")

		// Another credential cannot replay the answer, even with the scope
		// to read it; nor can staff who may not invite.
		reader := e.key(false, db.KeySecret, "memberships:read")
		e.Call(t, "POST", path, reader, `{"email":"ida@example.com"}`, key("k-1")...).Expect(t, 409, "idempotency.conflict")
		e.staff("support@acme.example", db.RoleSupport)
		support := jwtFor(t, "support@acme.example", true)
		e.Call(t, "POST", path, support, `{"email":"ida@example.com"}`, key("k-1")...).Expect(t, 409, "idempotency.conflict")

		// Keys are per mode: the live key's k-1 is another key.
		e.Call(t, "POST", "/v1/accounts", live, `{"name":"Live shop"}`, key("k-1")...).Expect(t, 201, "")

		// An expired key is a new key.
		if _, err := d.Exec(d.Rebind(`UPDATE idempotency_keys SET created_at = ? WHERE key = ?`), "2001-01-01 00:00:00+00:00", "k-1"); err != nil {
			t.Fatal(err)
		}
		r := e.Call(t, "POST", path, test, `{"email":"kim@example.com"}`, key("k-1")...)
		r.Expect(t, 201, "")
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatal("an expired key replayed")
		}

		// Accepting takes a key without a credential.
		tok := e.addMember(test, acct, `{"email":"lee@example.com"}`).token(t)
		body := `{"token":"` + tok + `"}`
		accepted := e.Call(t, "POST", "/v1/invitations/accept", "", body, key("accept-1")...)
		accepted.Expect(t, 200, "")
		if r := e.Call(t, "POST", "/v1/invitations/accept", "", body, key("accept-1")...); r.Status != 200 || r.Raw != accepted.Raw {
			t.Fatalf("accept replay %d %s", r.Status, r.Raw)
		}
		e.Call(t, "POST", "/v1/invitations/accept", "", body).Expect(t, 404, "invitation.not_found")

		if got := len(e.walk(t, "/v1/account-memberships?account_id="+acct, test, 100)); got != 4 {
			t.Fatalf("%d memberships, want 4", got)
		}
		if err := d.Get(&stored, d.Rebind(`SELECT response_body FROM idempotency_keys WHERE key = ?`), "accept-1"); err != nil || strings.Contains(stored, tok) {
			t.Fatalf("stored accept answer %q, %v", stored, err)
		}
	})
}
