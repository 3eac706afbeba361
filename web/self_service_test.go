package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// TestMemberPrincipalReads: a member reaches their own accounts only, reads
// memberships and events with members.read, reads the catalog, and is
// refused every staff-only route.
func TestMemberPrincipalReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		viewer := e.memberWithRole(t, f, "viewer@members.example", "billing.read")
		staffAccount := e.createAccount(f.sk, "Not theirs")
		ms := "/v1/account-memberships"
		e.run(t, []apiCase{
			{name: "owner reads the account", method: "GET", path: "/v1/accounts/" + f.account, token: f.ownerJWT, status: 200, says: "Members Co"},
			{name: "another account is not found", method: "GET", path: "/v1/accounts/" + staffAccount, token: f.ownerJWT, status: 404, typ: "account.not_found"},
			{name: "organization alias too", method: "GET", path: "/v1/organizations/" + staffAccount, token: f.ownerJWT, status: 404, typ: "organization.not_found"},
			{name: "plain member lists memberships", method: "GET", path: ms + "?account_id=" + f.account, token: f.plainJWT, status: 200, says: f.admin.ID},
			{name: "plain member reads one", method: "GET", path: ms + "/" + f.owner.ID, token: f.plainJWT, status: 200, says: f.owner.ID},
			{name: "nested path", method: "GET", path: "/v1/accounts/" + f.account + "/memberships/" + f.admin.ID, token: f.plainJWT, status: 200},
			{name: "membership of another account hidden", method: "GET", path: ms + "/" + e.foreignMembership(t, f), token: f.ownerJWT, status: 404, typ: "membership.not_found"},
			{name: "an unknown person", method: "GET", path: "/v1/accounts", token: signHS256(t, staffClaims("nobody-here@members.example")), status: 401, typ: "unauthorized"},
			{name: "list of another account", method: "GET", path: ms + "?account_id=" + staffAccount, token: f.ownerJWT, status: 404, typ: "account.not_found"},
			{name: "without members.read", method: "GET", path: ms + "?account_id=" + f.account, token: viewer, status: 403, typ: "forbidden", detail: "required_permission", says: "members.read"},
			{name: "without members.read one", method: "GET", path: ms + "/" + f.owner.ID, token: viewer, status: 403, typ: "forbidden", detail: "required_permission"},
			{name: "but the account itself", method: "GET", path: "/v1/accounts/" + f.account, token: viewer, status: 200},
			{name: "roles readable", method: "GET", path: "/v1/roles", token: f.plainJWT, status: 200, says: "owner"},
			{name: "permissions readable", method: "GET", path: "/v1/permissions/members.read", token: f.plainJWT, status: 200},
			{name: "roles not writable", method: "POST", path: "/v1/roles", token: f.ownerJWT, body: `{"slug":"x","name":"X"}`, status: 403, typ: "forbidden", detail: "reason", says: "staff_only"},
			{name: "staff unreadable", method: "GET", path: "/v1/workspace-memberships", token: f.ownerJWT, status: 403, typ: "forbidden", says: "staff_only"},
			{name: "no new accounts", method: "POST", path: "/v1/accounts", token: f.ownerJWT, body: `{"name":"Mine"}`, status: 403, typ: "forbidden", says: "staff_only"},
			{name: "no account deletion", method: "DELETE", path: "/v1/accounts/" + f.account, token: f.ownerJWT, status: 403, typ: "forbidden", says: "staff_only"},
			{name: "invited is no principal", method: "GET", path: "/v1/accounts", token: f.invitedJWT, status: 401, typ: "unauthorized"},
			{name: "no test-mode memberships", method: "GET", path: "/v1/accounts", token: jwtFor(t, "olga@members.example", true), status: 401, typ: "unauthorized"},
			{name: "events of another account", method: "GET", path: "/v1/events?account_id=" + staffAccount, token: f.ownerJWT, status: 404, typ: "account.not_found"},
			{name: "events without members.read", method: "GET", path: "/v1/events?account_id=" + f.account, token: viewer, status: 403, typ: "forbidden", detail: "required_permission"},
		})

		for _, ev := range e.events(t, f.sk, "type=account.created") {
			if ev.TargetID == staffAccount {
				e.Call(t, "GET", "/v1/events/"+ev.ID, f.ownerJWT, "").Expect(t, 404, "event.not_found")
				e.Call(t, "GET", "/v1/events/"+ev.ID, f.sk, "").Expect(t, 200, "")
			}
		}
		accounts := e.walk(t, "/v1/accounts", f.plainJWT, 1)
		if strings.Join(accounts, " ") != f.account+" "+f.other {
			t.Errorf("plain member lists accounts %v, want theirs only (%s %s)", accounts, f.account, f.other)
		}
		for _, ev := range e.events(t, f.ownerJWT, "") {
			if ev.AccountID == nil || *ev.AccountID != f.account {
				t.Errorf("owner member sees event %s %s of account %v", ev.ID, ev.Type, ev.AccountID)
			}
		}
		if evs := e.events(t, viewer, ""); len(evs) != 0 {
			t.Errorf("a member without members.read sees %d events", len(evs))
		}
		if evs := e.events(t, f.plainJWT, "account_id="+f.other); len(evs) == 0 {
			t.Error("plain member sees no events of their other account")
		}
	})
}

// memberWithRole makes email an active member of f's account with a new
// role holding the keys, and returns their JWT.
func (e *env) memberWithRole(t *testing.T, f memberFixture, email string, keys ...string) string {
	t.Helper()
	slug := strings.Split(email, "@")[0]
	body := `{"slug":"` + slug + `","name":"` + slug + `","permissions":["` + strings.Join(keys, `","`) + `"]}`
	e.Call(t, "POST", "/v1/roles", f.sk, body).Expect(t, 201, "")
	e.activeMember(t, f.sk, f.account, email, slug, "")
	return signHS256(t, staffClaims(email))
}

// TestMemberPrincipalWrites walks every limit of self-service.md, in order:
// each case may rely on the ones before it.
func TestMemberPrincipalWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		staff := e.staff("linked@acme.example", db.RoleSupport)
		ms, acct := "/v1/account-memberships/", "/v1/accounts/"+f.account
		invite := "/v1/account-memberships?account_id=" + f.account
		invitedOwner := e.addMember(f.sk, f.account, `{"email":"io@members.example","role":"owner","send_email":false}`)
		e.run(t, []apiCase{
			{name: "admin cannot resend an owner's invitation", method: "POST", path: ms + invitedOwner.ID + "/resend-invitation", token: f.adminJWT, status: 403, typ: "forbidden", says: "owner_only"},
			{name: "the owner resends it", method: "POST", path: ms + invitedOwner.ID + "/resend-invitation", token: f.ownerJWT, status: 200},
			{name: "plain member cannot invite", method: "POST", path: invite, token: f.plainJWT, body: `{"email":"x@members.example"}`, status: 403, typ: "forbidden", detail: "required_permission", says: "members.manage"},
			{name: "admin invites with the default role", method: "POST", path: invite, token: f.adminJWT, body: `{"email":"new@members.example","send_email":false}`, status: 201},
			{name: "admin cannot invite an owner", method: "POST", path: invite, token: f.adminJWT, body: `{"email":"o2@members.example","role":"owner"}`, status: 403, typ: "forbidden", says: "owner_only"},
			{name: "admin cannot give org.manage", method: "POST", path: invite, token: f.adminJWT, body: `{"email":"o3@members.example","permissions":["org.manage"]}`, status: 403, typ: "forbidden", says: "escalation"},
			{name: "nobody links staff", method: "POST", path: invite, token: f.ownerJWT, body: `{"workspace_membership_id":"` + staff + `"}`, status: 403, typ: "forbidden", says: "staff_only"},
			{name: "admin gives a role within their rights", method: "PATCH", path: ms + f.plain.ID, token: f.adminJWT, body: `{"role":"admin"}`, status: 200, says: `"slug":"admin"`},
			{name: "admin takes it back", method: "PUT", path: ms + f.plain.ID, token: f.adminJWT, body: `{"role":"member","permissions":["billing.manage"]}`, status: 200},
			{name: "admin cannot give org.manage directly", method: "PATCH", path: ms + f.plain.ID, token: f.adminJWT, body: `{"add_permissions":["org.manage"]}`, status: 403, typ: "forbidden", says: "escalation"},
			{name: "admin cannot make an owner", method: "PATCH", path: ms + f.plain.ID, token: f.adminJWT, body: `{"role":"owner"}`, status: 403, typ: "forbidden", says: "owner_only"},
			{name: "admin cannot change the owner", method: "PATCH", path: ms + f.owner.ID, token: f.adminJWT, body: `{"add_permissions":["billing.read"]}`, status: 403, typ: "forbidden", says: "owner_only"},
			{name: "admin cannot remove the owner", method: "DELETE", path: ms + f.owner.ID, token: f.adminJWT, status: 403, typ: "forbidden", says: "owner_only"},
			{name: "nobody changes themselves", method: "PATCH", path: ms + f.admin.ID, token: f.adminJWT, body: `{"remove_permissions":["billing.read"]}`, status: 403, typ: "forbidden", says: "self_change"},
			{name: "not even the owner", method: "PATCH", path: ms + f.owner.ID, token: f.ownerJWT, body: `{"role":"admin"}`, status: 403, typ: "forbidden", says: "self_change"},
			{name: "plain member cannot remove others", method: "DELETE", path: ms + f.admin.ID, token: f.plainJWT, status: 403, typ: "forbidden", says: "members.manage"},
			{name: "plain member cannot resend", method: "POST", path: ms + f.invite.ID + "/resend-invitation", token: f.plainJWT, status: 403, typ: "forbidden", says: "members.manage"},
			{name: "admin resends", method: "POST", path: ms + f.invite.ID + "/resend-invitation", token: f.adminJWT, status: 200},
			{name: "admin cannot rename", method: "PATCH", path: acct, token: f.adminJWT, body: `{"name":"Renamed"}`, status: 403, typ: "forbidden", says: "org.manage"},
			{name: "owner renames", method: "PATCH", path: acct, token: f.ownerJWT, body: `{"name":"Renamed"}`, status: 200, says: "Renamed"},
			{name: "another account's membership is not found", method: "DELETE", path: ms + e.foreignMembership(t, f), token: f.ownerJWT, status: 404, typ: "membership.not_found"},
			{name: "the last owner stays", method: "DELETE", path: ms + f.owner.ID, token: f.ownerJWT, status: 409, typ: "membership.last_owner"},
			{name: "owner makes another owner", method: "PATCH", path: ms + f.admin.ID, token: f.ownerJWT, body: `{"role":"owner"}`, status: 200},
			{name: "admin revokes an invitation", method: "DELETE", path: ms + f.invite.ID, token: f.ownerJWT, status: 200},
			{name: "plain member leaves", method: "DELETE", path: acct + "/memberships/" + f.plain.ID, token: f.plainJWT, status: 200},
			{name: "and no longer reaches the account", method: "GET", path: acct, token: f.plainJWT, status: 404, typ: "account.not_found"},
			{name: "an owner may leave when another stays", method: "DELETE", path: ms + f.owner.ID, token: f.ownerJWT, status: 200},
			{name: "and is no principal any more", method: "GET", path: "/v1/accounts", token: f.ownerJWT, status: 401, typ: "unauthorized"},
		})
		// An invitation a member sent names them on its page.
		byAdmin := memberOf(t, e.Call(t, "POST", invite, f.adminJWT, `{"email":"byadmin@members.example","send_email":false}`))
		if page := e.Call(t, "GET", "/invitations/"+byAdmin.tokenOf(t), "", ""); !strings.Contains(page.Raw, "adam@members.example invited") {
			t.Errorf("the invitation page does not name the member who invited:\n%s", page.Raw)
		}
		for _, ev := range e.events(t, f.sk, "type=account.updated") {
			if ev.Actor.Type != "member" || ev.Actor.ID != f.owner.ID || ev.Actor.UserID != f.owner.UserID {
				t.Errorf("rename's actor %+v, want the owner's membership %s and user %s", ev.Actor, f.owner.ID, f.owner.UserID)
			}
		}
	})
}

// foreignMembership is a membership of an account where f's owner is no
// member.
func (e *env) foreignMembership(t *testing.T, f memberFixture) string {
	t.Helper()
	return e.addMember(f.sk, f.other, `{"email":"foreign@members.example","send_email":false}`).ID
}

// TestMemberLosesRightsAtOnce: a demoted member is refused on their very
// next request.
func TestMemberLosesRightsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		body := `{"email":"one@members.example","send_email":false}`
		e.Call(t, "POST", "/v1/account-memberships?account_id="+f.account, f.adminJWT, body).Expect(t, 201, "")
		e.Call(t, "PATCH", "/v1/account-memberships/"+f.admin.ID, f.ownerJWT, `{"role":"member"}`).Expect(t, 200, "")
		body = `{"email":"two@members.example","send_email":false}`
		e.Call(t, "POST", "/v1/account-memberships?account_id="+f.account, f.adminJWT, body).Expect(t, 403, "forbidden")
	})
}

// TestTwoOwnersRemovingEachOther: two owner members removing each other at
// once leave one owner, whatever the interleaving.
func TestTwoOwnersRemovingEachOther(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for round := range 5 {
			f := newMemberFixture(t, e)
			e.Call(t, "PATCH", "/v1/account-memberships/"+f.admin.ID, f.sk, `{"role":"owner"}`).Expect(t, 200, "")
			as := e.Race(t, 2, func(i int) (string, string, string, string) {
				if i == 0 {
					return "DELETE", "/v1/account-memberships/" + f.admin.ID, f.ownerJWT, ""
				}
				return "DELETE", "/v1/account-memberships/" + f.owner.ID, f.adminJWT, ""
			})
			if as[0].Status == 200 && as[1].Status == 200 {
				t.Fatalf("round %d: both owners removed each other", round)
			}
			var owners []membership
			r := e.Call(t, "GET", "/v1/account-memberships?role=owner&account_id="+f.account, f.sk, "")
			r.Data(t, &owners)
			if len(owners) != 1 {
				t.Fatalf("round %d: %d owners left (answers %d %d)", round, len(owners), as[0].Status, as[1].Status)
			}
			// Each round's people are new, so the next fixture does not meet them.
			e.Call(t, "DELETE", "/v1/accounts/"+f.account, f.sk, "").Expect(t, 200, "")
			e.Call(t, "DELETE", "/v1/accounts/"+f.other, f.sk, "").Expect(t, 200, "")
		}
	})
}

// TestTwoAdminsRemovingEachOther: of two admin members removing each other
// at once, one succeeds and the other, removed, is refused; the owner
// stays.
func TestTwoAdminsRemovingEachOther(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		second := e.activeMember(t, f.sk, f.account, "second@members.example", "admin", "")
		secondJWT := signHS256(t, staffClaims("second@members.example"))
		as := e.Race(t, 2, func(i int) (string, string, string, string) {
			if i == 0 {
				return "DELETE", "/v1/account-memberships/" + second.ID, f.adminJWT, ""
			}
			return "DELETE", "/v1/account-memberships/" + f.admin.ID, secondJWT, ""
		})
		// The one removed first finds nothing (404), or is no principal
		// any more when it authenticates after the removal (401).
		if n := webtest.Statuses(as); n[200] != 1 || n[404]+n[401] != 1 {
			t.Fatalf("answers %d %s / %d %s, want one 200 and one 404 or 401", as[0].Status, as[0].Raw, as[1].Status, as[1].Raw)
		}
		e.Call(t, "GET", "/v1/account-memberships/"+f.owner.ID, f.sk, "").Expect(t, 200, "")
	})
}

// TestRemovedMemberCannotFinishAWrite: a member removed while their
// requests are in flight completes none of them after the removal commits.
func TestRemovedMemberCannotFinishAWrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		const n = 12
		as := e.Race(t, n, func(i int) (string, string, string, string) {
			if i == n/2 {
				return "DELETE", "/v1/account-memberships/" + f.admin.ID, f.ownerJWT, ""
			}
			op := "add_permissions"
			if i%2 == 1 {
				op = "remove_permissions"
			}
			return "PATCH", "/v1/account-memberships/" + f.plain.ID, f.adminJWT, `{"` + op + `":["billing.manage"]}`
		})
		if as[n/2].Status != 200 {
			t.Fatalf("removal: %d %s", as[n/2].Status, as[n/2].Raw)
		}
		removed := e.eventTime(t, f, "membership.deleted", f.admin.ID)
		for _, ev := range e.events(t, f.sk, "type=membership.updated&membership_id="+f.plain.ID) {
			if ev.Actor.ID == f.admin.ID && !ev.CreatedAt.Before(removed) {
				t.Errorf("event %s by the removed admin at %s, after the removal at %s", ev.ID, ev.CreatedAt, removed)
			}
		}
		e.Call(t, "PATCH", "/v1/account-memberships/"+f.plain.ID, f.adminJWT, `{"add_permissions":["billing.manage"]}`).Expect(t, 401, "unauthorized")
	})
}

// eventTime is when the only event of the type about the membership was
// recorded.
func (e *env) eventTime(t *testing.T, f memberFixture, typ, membershipID string) time.Time {
	t.Helper()
	evs := e.events(t, f.sk, "type="+typ+"&membership_id="+membershipID)
	if len(evs) != 1 {
		t.Fatalf("%d %s events of %s", len(evs), typ, membershipID)
	}
	return evs[0].CreatedAt
}

// TestSystemPermissions: the three keys are in every workspace, assignable,
// and cannot be deleted, even while a role holds them.
func TestSystemPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		for _, key := range db.SystemPermissions {
			e.Call(t, "GET", "/v1/permissions/"+key, sk, "").Expect(t, 200, "")
			r := e.Call(t, "DELETE", "/v1/permissions/"+key, sk, "")
			r.Expect(t, 409, "permission.system")
		}
		e.Call(t, "POST", "/v1/roles", sk, `{"slug":"readers","name":"Readers","permissions":["members.read"]}`).Expect(t, 201, "")
		if _, err := d.Permission(context.Background(), e.ws.WorkspaceID, db.PermMembersRead); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMemberPrincipalEdges: org.manage allows what members.manage does, a
// role is given only with every permission it carries, a member works in
// the token's mode, and the workspace_id claim picks the workspace.
func TestMemberPrincipalEdges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		orgOnly := e.memberWithRole(t, f, "org@members.example", "org.manage", "members.read", "billing.read")
		e.Call(t, "POST", "/v1/permissions", f.sk, `{"key":"reports.read"}`).Expect(t, 201, "")
		e.Call(t, "POST", "/v1/roles", f.sk, `{"slug":"reporter","name":"Reporter","permissions":["reports.read"]}`).Expect(t, 201, "")
		invite := "/v1/account-memberships?account_id=" + f.account

		e.run(t, []apiCase{
			{name: "org.manage invites", method: "POST", path: invite, token: orgOnly, body: `{"email":"n1@members.example","role":"member","send_email":false}`, status: 201},
			{name: "but gives only what it holds", method: "POST", path: invite, token: orgOnly, body: `{"email":"n2@members.example","role":"admin"}`, status: 403, typ: "forbidden", says: "escalation"},
			{name: "a role beyond the admin's", method: "PATCH", path: "/v1/account-memberships/" + f.plain.ID, token: f.adminJWT, body: `{"role":"reporter"}`, status: 403, typ: "forbidden", says: "reports.read"},
			{name: "the owner neither", method: "PATCH", path: "/v1/account-memberships/" + f.plain.ID, token: f.ownerJWT, body: `{"role":"reporter"}`, status: 403, typ: "forbidden", says: "escalation"},
		})
		for _, ev := range e.events(t, f.sk, "type=membership.created&account_id="+f.account) {
			if ev.Actor.Type == "member" && (ev.Actor.UserID == "" || !strings.HasPrefix(ev.Actor.ID, "am_")) {
				t.Errorf("member actor %+v", ev.Actor)
			}
		}

		// Test mode: the same person's test-mode membership, seen only with a test-mode token.
		skTest := e.key(false, db.KeySecret)
		testAccount := e.createAccount(skTest, "Sandbox")
		e.activeMember(t, skTest, testAccount, "olga@members.example", "owner", "")
		testJWT := jwtFor(t, "olga@members.example", true)
		if ids := e.walk(t, "/v1/accounts", testJWT, 10); len(ids) != 1 || ids[0] != testAccount {
			t.Errorf("test-mode accounts %v, want %s", ids, testAccount)
		}
		e.Call(t, "GET", "/v1/accounts/"+f.account, testJWT, "").Expect(t, 404, "account.not_found")
		e.Call(t, "GET", "/v1/accounts/"+testAccount, f.ownerJWT, "").Expect(t, 404, "account.not_found")

		// The same email a member in another workspace: the claim decides.
		other := dbtest.Workspace(t, d, "Globex")
		otherSK := e.keyIn(other, true, db.KeySecret)
		e.activeMember(t, otherSK, e.createAccount(otherSK, "Globex Shop"), "olga@members.example", "member", "")
		e.Call(t, "GET", "/v1/accounts", f.ownerJWT, "").Expect(t, 401, "unauthorized")
		claims := staffClaims("olga@members.example")
		claims["workspace_id"] = e.ws.WorkspaceID
		if ids := e.walk(t, "/v1/accounts", signHS256(t, claims), 10); len(ids) != 1 || ids[0] != f.account {
			t.Errorf("with the claim: %v, want %s", ids, f.account)
		}
	})
}

// TestMemberIdempotencyKeys: one member's Idempotency-Key is not another's
// to replay, though both act in the same workspace and mode.
func TestMemberIdempotencyKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		path, body := "/v1/account-memberships?account_id="+f.account, `{"email":"same@members.example","send_email":false}`
		e.Call(t, "POST", path, f.adminJWT, body, "Idempotency-Key", "k1").Expect(t, 201, "")
		r := e.Call(t, "POST", path, f.plainJWT, body, "Idempotency-Key", "k1")
		r.Expect(t, 409, "idempotency.conflict")
		r = e.Call(t, "POST", path, f.adminJWT, body, "Idempotency-Key", "k1")
		if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the admin's replay: %d %s", r.Status, r.Raw)
		}
	})
}
