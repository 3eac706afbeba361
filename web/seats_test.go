package web_test

import (
	"fmt"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// account is an account as the tests read it.
type account struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	SeatLimit *int   `json:"seat_limit"`
	SeatsUsed int    `json:"seats_used"`
	Version   int64  `json:"version"`
}

// accountOf reads the account of path as token sees it.
func (e *env) accountOf(t *testing.T, token, id string) account {
	t.Helper()
	r := e.Call(t, "GET", "/v1/accounts/"+id, token, "")
	r.Expect(t, 200, "")
	var a account
	r.Data(t, &a)
	if r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, a.Version) {
		t.Fatalf("ETag %q for version %d", r.Header.Get("ETag"), a.Version)
	}
	return a
}

// seatedAccount creates an account with a seat limit and returns its id.
func (e *env) seatedAccount(t *testing.T, sk, name string, limit int) string {
	t.Helper()
	r := e.Call(t, "POST", "/v1/accounts", sk, fmt.Sprintf(`{"name":%q,"seat_limit":%d}`, name, limit))
	r.Expect(t, 201, "")
	var a account
	r.Data(t, &a)
	if a.SeatLimit == nil || *a.SeatLimit != limit || a.SeatsUsed != 0 {
		t.Fatalf("new account %+v", a)
	}
	return a.ID
}

// setSeatLimit sets an account's seat limit (a JSON number or null).
func (e *env) setSeatLimit(t *testing.T, sk, id, limit string) {
	t.Helper()
	e.Call(t, "PATCH", "/v1/accounts/"+id, sk, `{"seat_limit":`+limit+`}`).Expect(t, 200, "")
}

// expireInvitation moves an invitation's expiry, and so its seat's, into
// the past.
func expireInvitation(t *testing.T, d *db.DB, membershipID string) {
	t.Helper()
	past := time.Now().Add(-time.Hour).UTC()
	for _, q := range []string{`UPDATE invitations SET expires_at = ? WHERE membership_id = ?`,
		`UPDATE account_memberships SET seat_until = ? WHERE id = ? AND holds_seat`} {
		if _, err := d.Exec(d.Rebind(q), past, membershipID); err != nil {
			t.Fatal(err)
		}
	}
}

// inviteBody is the body of an invitation of email without its email.
func inviteBody(email string) string { return `{"email":"` + email + `","send_email":false}` }

// TestSeatLimits checks lifecycle.md "Seat limits" through real HTTP.
func TestSeatLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		api := webtest.Client{Do: webtest.OverHTTP(30 * time.Second), Base: e.listen()}
		sk := e.key(true, db.KeySecret)

		t.Run("concurrent invites stop at the limit", func(t *testing.T) {
			acct := e.seatedAccount(t, sk, "Five seats", 5)
			rs := api.Race(t, 16, func(i int) (string, string, string, string) {
				return "POST", "/v1/accounts/" + acct + "/memberships", sk, inviteBody(fmt.Sprintf("p%d@seats.example", i))
			})
			n := webtest.Statuses(rs)
			if n[201] != 5 || n[409] != 11 {
				t.Fatalf("statuses %v, want five 201 and eleven 409", n)
			}
			for _, r := range rs {
				if r.Status == 409 {
					r.Expect(t, 409, "account.seat_limit_reached")
					if d := r.Body.Error.Details; d["seat_limit"] != 5.0 || d["seats_used"] != 5.0 {
						t.Fatalf("details %v", d)
					}
				}
			}
			if got := e.walk(t, "/v1/account-memberships?account_id="+acct, sk, 100); len(got) != 5 {
				t.Fatalf("%d memberships", len(got))
			}
			if a := e.accountOf(t, sk, acct); a.SeatsUsed != 5 {
				t.Fatalf("seats_used %d", a.SeatsUsed)
			}
		})

		t.Run("an invitation keeps its seat when the limit is lowered", func(t *testing.T) {
			acct := e.seatedAccount(t, sk, "Lowered", 3)
			first := e.addMember(sk, acct, inviteBody("first@seats.example"))
			e.addMember(sk, acct, inviteBody("second@seats.example"))
			e.setSeatLimit(t, sk, acct, "1")
			e.Call(t, "POST", "/v1/accounts/"+acct+"/memberships", sk, inviteBody("third@seats.example")).
				Expect(t, 409, "account.seat_limit_reached")
			e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+first.token(t)+`"}`).Expect(t, 200, "")
			if a := e.accountOf(t, sk, acct); a.SeatsUsed != 2 || *a.SeatLimit != 1 {
				t.Fatalf("after the acceptance: %+v", a)
			}
			e.setSeatLimit(t, sk, acct, "null")
			e.addMember(sk, acct, inviteBody("third@seats.example"))
		})

		t.Run("a lapsed invitation frees its seat", func(t *testing.T) {
			acct := e.seatedAccount(t, sk, "Lapsed", 1)
			old := e.addMember(sk, acct, inviteBody("old@seats.example"))
			e.Call(t, "POST", "/v1/accounts/"+acct+"/memberships", sk, inviteBody("new@seats.example")).
				Expect(t, 409, "account.seat_limit_reached")
			expireInvitation(t, d, old.ID)
			if a := e.accountOf(t, sk, acct); a.SeatsUsed != 0 {
				t.Fatalf("seats_used %d with the only invitation expired", a.SeatsUsed)
			}
			e.addMember(sk, acct, inviteBody("new@seats.example"))
			r := e.Call(t, "POST", "/v1/account-memberships/"+old.ID+"/resend-invitation", sk, "")
			r.Expect(t, 409, "account.seat_limit_reached")
			if d := r.Body.Error.Details; d["seat_limit"] != 1.0 || d["seats_used"] != 1.0 {
				t.Fatalf("details %v", d)
			}
		})

		t.Run("revoking and removing free seats", func(t *testing.T) {
			acct := e.seatedAccount(t, sk, "Revoked", 2)
			inv := e.addMember(sk, acct, inviteBody("rev@seats.example"))
			active := e.activeMember(t, sk, acct, "act@seats.example", "member", "")
			e.Call(t, "POST", "/v1/accounts/"+acct+"/memberships", sk, inviteBody("x@seats.example")).
				Expect(t, 409, "account.seat_limit_reached")
			e.Call(t, "DELETE", "/v1/account-memberships/"+inv.ID, sk, "").Expect(t, 200, "")
			e.addMember(sk, acct, inviteBody("x@seats.example"))
			e.Call(t, "DELETE", "/v1/account-memberships/"+active.ID, sk, "").Expect(t, 200, "")
			if a := e.accountOf(t, sk, acct); a.SeatsUsed != 1 {
				t.Fatalf("seats_used %d", a.SeatsUsed)
			}
		})

		t.Run("linking staff takes a seat", func(t *testing.T) {
			acct := e.seatedAccount(t, sk, "Linked", 1)
			e.addMember(sk, acct, link(e.staff("l1@seats.example", db.RoleAdmin), "member"))
			e.Call(t, "POST", "/v1/accounts/"+acct+"/memberships", sk, link(e.staff("l2@seats.example", db.RoleAdmin), "member")).
				Expect(t, 409, "account.seat_limit_reached")
		})

		t.Run("who may set the limit", func(t *testing.T) {
			f := newMemberFixture(t, e)
			e.Call(t, "PATCH", "/v1/accounts/"+f.account, f.ownerJWT, `{"seat_limit":3}`).Expect(t, 403, "forbidden")
			e.Call(t, "PATCH", "/v1/accounts/"+f.account, f.ownerJWT, `{"name":"Renamed Co"}`).Expect(t, 200, "")
			ro := e.key(true, db.KeySecret, "accounts:read")
			e.Call(t, "PATCH", "/v1/accounts/"+f.account, ro, `{"seat_limit":3}`).Expect(t, 403, "forbidden")
			for _, bad := range []string{`-1`, `1.5`, `"3"`} {
				e.Call(t, "PATCH", "/v1/accounts/"+f.account, sk, `{"seat_limit":`+bad+`}`).Expect(t, 400, "validation_error")
			}
			e.setSeatLimit(t, sk, f.account, "2") // below the four seats used: nobody leaves
			if a := e.accountOf(t, sk, f.account); a.SeatsUsed != 4 || a.Name != "Renamed Co" {
				t.Fatalf("%+v", a)
			}
		})
	})
}

// TestAccountVersions checks the account's version, ETag and If-Match.
func TestAccountVersions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		acct := e.createAccount(sk, "Versioned")
		if a := e.accountOf(t, sk, acct); a.Version != 1 {
			t.Fatalf("version %d", a.Version)
		}
		e.Call(t, "PATCH", "/v1/accounts/"+acct, sk, `{"name":"Two"}`, "If-Match", `"1"`).Expect(t, 200, "")
		e.Call(t, "PATCH", "/v1/accounts/"+acct, sk, `{"name":"Three"}`, "If-Match", `"1"`).Expect(t, 412, "precondition_failed")
		e.Call(t, "PATCH", "/v1/accounts/"+acct, sk, `{"name":"Two"}`).Expect(t, 200, "") // no change, no version
		if a := e.accountOf(t, sk, acct); a.Version != 2 || a.Name != "Two" {
			t.Fatalf("%+v", a)
		}
		e.Call(t, "DELETE", "/v1/accounts/"+acct, sk, "", "If-Match", `"1"`).Expect(t, 412, "precondition_failed")
		e.Call(t, "DELETE", "/v1/accounts/"+acct, sk, "", "If-Match", `"2"`).Expect(t, 200, "")
	})
}
