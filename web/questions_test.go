package web_test

import (
	"context"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestMe: a member principal and a staff JWT each see who they are and
// their active memberships of the token's mode; keys name nobody.
func TestMe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		var me struct {
			Object string
			User   struct{ ID, Email string }
			Staff  *struct {
				ID   string `json:"workspace_membership_id"`
				Role string
			}
			Memberships []struct {
				MembershipID string `json:"membership_id"`
				Account      struct{ ID, Name string }
				Role         struct{ Slug string }
				Status       string
				Effective    []string `json:"effective_permissions"`
			}
		}
		r := e.Call(t, "GET", "/v1/me", f.plainJWT, "")
		r.Expect(t, 200, "")
		r.Data(t, &me)
		if me.Object != "me" || me.User.ID != f.plain.UserID || me.Staff != nil || len(me.Memberships) != 2 {
			t.Fatalf("plain member's me: %s", r.Raw)
		}
		if m := me.Memberships[0]; m.MembershipID != f.plain.ID || m.Account.Name != "Members Co" || m.Role.Slug != "member" ||
			m.Status != "active" || strings.Join(m.Effective, " ") != "billing.read members.read" {
			t.Errorf("first membership: %+v", m)
		}
		// Direct permissions count; an inactive membership is not listed.
		other := me.Memberships[1].MembershipID
		e.Call(t, "PATCH", "/v1/account-memberships/"+other, f.sk, `{"add_permissions":["billing.manage"]}`).Expect(t, 200, "")
		e.Call(t, "POST", "/v1/account-memberships/"+f.plain.ID+"/deactivate", f.sk, "").Expect(t, 200, "")
		r = e.Call(t, "GET", "/v1/me", f.plainJWT, "")
		r.Expect(t, 200, "")
		r.Data(t, &me)
		if len(me.Memberships) != 1 || me.Memberships[0].MembershipID != other || me.Memberships[0].Account.Name != "Elsewhere" ||
			strings.Join(me.Memberships[0].Effective, " ") != "billing.manage billing.read members.read" {
			t.Errorf("me after a direct permission and a deactivation: %s", r.Raw)
		}
		// Staff who are also members see their memberships too.
		e.addMember(f.sk, f.other, `{"workspace_membership_id":"`+e.ws.StaffID+`"}`)
		r = e.Call(t, "GET", "/v1/me", jwtFor(t, e.ws.OwnerEmail, false), "")
		r.Expect(t, 200, "")
		r.Data(t, &me)
		if me.Staff == nil || me.Staff.Role != "owner" || me.Staff.ID != e.ws.StaffID || len(me.Memberships) != 1 ||
			me.Memberships[0].Account.ID != f.other {
			t.Errorf("staff's me: %s", r.Raw)
		}
		if r := e.Call(t, "GET", "/v1/me", jwtFor(t, e.ws.OwnerEmail, true), ""); !strings.Contains(r.Raw, `"memberships":[]`) {
			t.Errorf("staff's me in test mode: %s", r.Raw)
		}
		e.Call(t, "GET", "/v1/me", f.sk, "").Expect(t, 403, "forbidden")
		e.Call(t, "GET", "/v1/me", f.invitedJWT, "").Expect(t, 401, "unauthorized")
	})
}

// TestMembershipsOfAPerson: user_id or email lists a person's memberships
// across accounts, page by page; members may not ask.
func TestMembershipsOfAPerson(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		want := f.plain.ID
		for _, q := range []string{"user_id=" + f.plain.UserID, "email=PIA@members.example"} {
			ids := e.walk(t, "/v1/account-memberships?"+q, f.sk, 1)
			if len(ids) != 2 || ids[0] != want {
				t.Errorf("%s: %v", q, ids)
			}
			if ids := e.walk(t, "/v1/account-memberships?account_id="+f.other+"&"+q, f.sk, 5); len(ids) != 1 || ids[0] == want {
				t.Errorf("%s in one account: %v", q, ids)
			}
		}
		e.run(t, []apiCase{
			{name: "nobody named", method: "GET", path: "/v1/account-memberships", token: f.sk, status: 400, typ: "validation_error", detail: "account_id"},
			{name: "a bad email", method: "GET", path: "/v1/account-memberships?email=nope", token: f.sk, status: 400, typ: "validation_error", detail: "email"},
			{name: "an unknown person", method: "GET", path: "/v1/account-memberships?user_id=usr_nobody", token: f.sk, status: 200, says: `"data":[]`},
			{name: "members may not", method: "GET", path: "/v1/account-memberships?user_id=" + f.admin.UserID, token: f.ownerJWT, status: 403, typ: "forbidden", says: "staff_only"},
		})
	})
}

// TestAuthorize: every answer of POST /v1/authorize.
func TestAuthorize(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		a := `{"account_id":"` + f.account + `",`
		e.run(t, []apiCase{
			{name: "allowed", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"user_id":"` + f.admin.UserID + `","permission":"members.manage"}`,
				status: 200, says: `"allowed":true,"membership_id":"` + f.admin.ID + `","status":"active","granted":["members.manage"],"missing":[],"reason":null`},
			{name: "by email, partly", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"email":"ADAM@members.example","permissions":["org.manage","members.read"]}`,
				status: 200, says: `"allowed":false,"membership_id":"` + f.admin.ID + `","status":"active","granted":["members.read"],"missing":["org.manage"],"reason":null`},
			{name: "invited", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"email":"ivy@members.example","permission":"members.read"}`,
				status: 200, says: `"allowed":false,"membership_id":"` + f.invite.ID + `","status":"invited","granted":[],"missing":["members.read"],"reason":"not_a_member"`},
			{name: "unknown person", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"email":"who@members.example","permission":"members.read"}`,
				status: 200, says: `"allowed":false,"membership_id":null,"status":null,"granted":[],"missing":["members.read"],"reason":"not_a_member"`},
			{name: "unknown account", method: "POST", path: "/v1/authorize", token: f.sk, body: `{"account_id":"acct_nope","user_id":"` + f.admin.UserID + `","permission":"members.read"}`,
				status: 200, says: `"reason":"not_a_member"`},
			{name: "test mode sees no live account", method: "POST", path: "/v1/authorize", token: e.key(false, db.KeySecret), body: a + `"user_id":"` + f.admin.UserID + `","permission":"members.read"}`,
				status: 200, says: `"reason":"not_a_member"`},
			{name: "unknown key", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"user_id":"` + f.admin.UserID + `","permissions":["members.read","no.such"]}`,
				status: 400, typ: "validation_error", detail: "permissions", says: "no.such"},
			{name: "both people", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"user_id":"x","email":"a@b.example","permission":"members.read"}`,
				status: 400, typ: "validation_error", detail: "email"},
			{name: "no permission", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"user_id":"x"}`, status: 400, typ: "validation_error", detail: "permissions"},
			{name: "both lists", method: "POST", path: "/v1/authorize", token: f.sk, body: a + `"user_id":"x","permission":"a","permissions":["a"]}`, status: 400, typ: "validation_error", detail: "permission"},
			{name: "no account", method: "POST", path: "/v1/authorize", token: f.sk, body: `{"user_id":"x","permission":"a"}`, status: 400, typ: "validation_error", detail: "account_id"},
			{name: "read scope is enough", method: "POST", path: "/v1/authorize", token: e.key(true, db.KeySecret, "memberships:read"), body: a + `"user_id":"x","permission":"members.read"}`, status: 200},
			{name: "other scopes are not", method: "POST", path: "/v1/authorize", token: e.key(true, db.KeySecret, "accounts:read"), body: a + `"user_id":"x","permission":"members.read"}`, status: 403, typ: "forbidden", detail: "required_scope"},
			{name: "members may not", method: "POST", path: "/v1/authorize", token: f.ownerJWT, body: a + `"user_id":"x","permission":"members.read"}`, status: 403, typ: "forbidden", says: "staff_only"},
		})
		// The removed lose it at once.
		e.Call(t, "DELETE", "/v1/account-memberships/"+f.admin.ID, f.sk, "").Expect(t, 200, "")
		if r := e.Call(t, "POST", "/v1/authorize", f.sk, a+`"user_id":"`+f.admin.UserID+`","permission":"members.read"}`); !strings.Contains(r.Raw, `"reason":"not_a_member"`) {
			t.Errorf("a removed member: %s", r.Raw)
		}
	})
}

// TestPortalSessions: who may ask for a link, what it answers, and that
// its token is used once, within 5 minutes, and stored hashed.
func TestPortalSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		e.memberWithRole(t, f, "viewer@members.example", "billing.read")
		p := "/v1/portal-sessions"
		a := `{"account_id":"` + f.account + `",`
		support := addStaff(t, d, e.ws, "support@acme.example", db.RoleSupport)
		e.run(t, []apiCase{
			{name: "created", method: "POST", path: p, token: f.sk, body: a + `"email":"adam@members.example","return_url":"https://app.example/settings"}`, status: 201, says: `"url":"http://roster.test/portal/`},
			{name: "loopback http", method: "POST", path: p, token: f.sk, body: a + `"user_id":"` + f.plain.UserID + `","return_url":"http://127.0.0.1:3000/x"}`, status: 201},
			{name: "localhost in capitals", method: "POST", path: p, token: f.sk, body: a + `"user_id":"` + f.plain.UserID + `","return_url":"http://LOCALHOST:3000/x"}`, status: 201},
			{name: "plain http", method: "POST", path: p, token: f.sk, body: a + `"user_id":"` + f.plain.UserID + `","return_url":"http://app.example/x"}`, status: 400, typ: "validation_error", detail: "return_url"},
			{name: "relative", method: "POST", path: p, token: f.sk, body: a + `"user_id":"` + f.plain.UserID + `","return_url":"/x"}`, status: 400, typ: "validation_error", detail: "return_url"},
			{name: "javascript", method: "POST", path: p, token: f.sk, body: a + `"user_id":"` + f.plain.UserID + `","return_url":"javascript:alert(1)"}`, status: 400, typ: "validation_error", detail: "return_url"},
			{name: "without members.read", method: "POST", path: p, token: f.sk, body: a + `"email":"viewer@members.example"}`, status: 403, typ: "forbidden", says: "not_allowed"},
			{name: "invited", method: "POST", path: p, token: f.sk, body: a + `"email":"ivy@members.example"}`, status: 403, typ: "forbidden", says: "not_allowed"},
			{name: "stranger", method: "POST", path: p, token: f.sk, body: a + `"email":"who@members.example"}`, status: 403, typ: "forbidden", says: "not_allowed"},
			{name: "no account", method: "POST", path: p, token: f.sk, body: `{"account_id":"acct_nope","email":"adam@members.example"}`, status: 404, typ: "account.not_found"},
			{name: "nobody", method: "POST", path: p, token: f.sk, body: a + `"return_label":"x"}`, status: 400, typ: "validation_error", detail: "user_id"},
			{name: "read scope", method: "POST", path: p, token: e.key(true, db.KeySecret, "memberships:read"), body: a + `"email":"adam@members.example"}`, status: 403, typ: "forbidden", detail: "required_scope"},
			{name: "write scope", method: "POST", path: p, token: e.key(true, db.KeySecret, "memberships:write"), body: a + `"email":"adam@members.example"}`, status: 201},
			{name: "admin staff", method: "POST", path: p, token: jwtFor(t, e.ws.OwnerEmail, false), body: a + `"email":"adam@members.example"}`, status: 201},
			{name: "support staff", method: "POST", path: p, token: jwtFor(t, support.User.Email, false), body: a + `"email":"adam@members.example"}`, status: 403, typ: "forbidden"},
			{name: "members", method: "POST", path: p, token: f.ownerJWT, body: a + `"email":"adam@members.example"}`, status: 403, typ: "forbidden", says: "staff_only"},
		})

		r := e.Call(t, "POST", p, f.sk, a+`"email":"adam@members.example","return_url":"https://app.example/"}`)
		r.Expect(t, 201, "")
		var ps struct{ Object, ID, URL string }
		r.Data(t, &ps)
		token := strings.TrimPrefix(ps.URL, "http://roster.test/portal/")
		if ps.Object != "portal_session" || !db.HasPrefix(ps.ID, "ps") || len(token) < 32 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("portal session %s", r.Raw)
		}
		var hashes []string
		if err := d.Select(&hashes, d.Rebind(`SELECT token_hash FROM portal_sessions WHERE id = ?`), ps.ID); err != nil || len(hashes) != 1 || hashes[0] != db.HashSecret(token) {
			t.Fatalf("stored %v (%v), want the token's SHA-256 only", hashes, err)
		}
		ctx := context.Background()
		grants := make(chan error, 8)
		for range 8 {
			go func() {
				g, err := d.ExchangePortalToken(ctx, token)
				if err == nil && (g.AccountID != f.account || g.MembershipID != f.admin.ID || g.Scope().Member != f.admin.UserID || !g.Live || g.ReturnLabel != "Back" || g.ReturnURL != "https://app.example/") {
					t.Errorf("grant %+v", g)
				}
				grants <- err
			}()
		}
		used := 0
		for range 8 {
			if err := <-grants; err == nil {
				used++
			} else if err != db.ErrPortalLinkNotFound {
				t.Error(err)
			}
		}
		if used != 1 {
			t.Errorf("the token was used %d times", used)
		}
		if _, err := d.ExchangePortalToken(ctx, "unknown"); err != db.ErrPortalLinkNotFound {
			t.Errorf("unknown token: %v", err)
		}
	})
}
