package web_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// staffMember returns the workspace membership of the email, and whether
// there is one.
func (e *env) staffMember(t testing.TB, email string) (db.StaffMember, bool) {
	t.Helper()
	wm, err := e.db.StaffByEmail(context.Background(), e.ws.WorkspaceID, email)
	if errors.Is(err, db.ErrStaffNotFound) {
		return wm, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return wm, true
}

// staffID returns the id of the workspace membership of the email.
func (e *env) staffID(t testing.TB, email string) string {
	t.Helper()
	wm, ok := e.staffMember(t, email)
	if !ok {
		t.Fatalf("%s is not on the staff", email)
	}
	return wm.ID
}

// TestWorkspaceMemberships walks every rule and error of
// /v1/workspace-memberships. Rows run in order: each starts from the staff
// the rows before it left.
func TestWorkspaceMemberships(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for email, role := range map[string]string{"admin@acme.example": db.RoleAdmin, "admin2@acme.example": db.RoleAdmin,
			"support@acme.example": db.RoleSupport, "support2@acme.example": db.RoleSupport} {
			addStaff(t, d, e.ws, email, role)
		}
		sk, skTest := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		pk := e.key(true, db.KeyPublishable)
		reader, writer := e.key(true, db.KeySecret, "staff:read"), e.key(true, db.KeySecret, "staff:write")
		membersKey := e.key(true, db.KeySecret, "memberships:read", "memberships:write")
		rolesOnly := e.key(true, db.KeySecret, "roles:read", "roles:write")
		owner, ownerTest := jwtFor(t, e.ws.OwnerEmail, false), jwtFor(t, e.ws.OwnerEmail, true)
		admin, support := jwtFor(t, "admin@acme.example", false), jwtFor(t, "support@acme.example", false)
		other := e.keyIn(dbtest.Workspace(t, d, "Globex"), true, db.KeySecret)
		ownerKey := e.keyBy(e.owner(), true, db.KeySecret)
		ownerID, adminID, admin2ID := e.staffID(t, e.ws.OwnerEmail), e.staffID(t, "admin@acme.example"), e.staffID(t, "admin2@acme.example")
		supportID, support2ID := e.staffID(t, "support@acme.example"), e.staffID(t, "support2@acme.example")
		const missing = "wm_01HQZC8G2T9YX5J8VQBW3KPQR7"
		path := func(id string) string { return "/v1/workspace-memberships/" + id }

		e.run(t, []apiCase{
			{"list", "GET", "/v1/workspace-memberships", sk, "", 200, "", "", `"email":"support2@acme.example"`},
			{"list in test mode", "GET", "/v1/workspace-memberships", skTest, "", 200, "", "", `"object":"workspace_membership"`},
			{"support lists", "GET", "/v1/workspace-memberships", support, "", 200, "", "", ""},
			{"reader gets", "GET", path(adminID), reader, "", 200, "", "", `"role":"admin"`},
			{"get unknown", "GET", path(missing), sk, "", 404, "workspace_membership.not_found", "id", ""},
			{"other workspace does not see it", "GET", path(adminID), other, "", 404, "workspace_membership.not_found", "", ""},
			{"other workspace cannot remove it", "DELETE", path(adminID), other, "", 404, "workspace_membership.not_found", "", ""},
			{"publishable cannot list", "GET", "/v1/workspace-memberships", pk, "", 403, "forbidden", "", ""},
			{"roles key cannot list", "GET", "/v1/workspace-memberships", rolesOnly, "", 403, "forbidden", "required_scope", "staff:read"},
			{"memberships key cannot list", "GET", "/v1/workspace-memberships", membersKey, "", 403, "forbidden", "required_scope", "staff:read"},
			{"memberships key adds no staff", "POST", "/v1/workspace-memberships", membersKey, `{"email":"x@acme.example","role":"owner"}`, 403, "forbidden", "required_scope", "staff:write"},
			{"reader cannot create", "POST", "/v1/workspace-memberships", reader, `{"email":"x@acme.example","role":"admin"}`, 403, "forbidden", "required_scope", "staff:write"},
			{"create", "POST", "/v1/workspace-memberships", sk, `{"email":" New@Acme.example ","name":"New","role":"support"}`, 201, "", "", `"email":"New@Acme.example"`},
			{"create by a writer key", "POST", "/v1/workspace-memberships", writer, `{"email":"w@acme.example","role":"admin"}`, 201, "", "", `"role":"admin"`},
			{"duplicate, whatever the case", "POST", "/v1/workspace-memberships", sk, `{"email":"new@ACME.example","role":"admin"}`, 409, "workspace_membership.already_exists", "email", ""},
			{"bad email and role", "POST", "/v1/workspace-memberships", sk, `{"email":"nope","role":"boss"}`, 400, "validation_error", "email", `"role":"must be owner, admin or support"`},
			{"no role", "POST", "/v1/workspace-memberships", sk, `{"email":"r@acme.example"}`, 400, "validation_error", "role", ""},
			{"unknown field", "POST", "/v1/workspace-memberships", sk, `{"email":"r@acme.example","role":"admin","mode":"x"}`, 400, "validation_error", "mode", ""},
			{"test key creates nothing", "POST", "/v1/workspace-memberships", skTest, `{"email":"t@acme.example","role":"admin"}`, 403, "forbidden", "", ""},
			{"test-mode JWT creates nothing", "POST", "/v1/workspace-memberships", ownerTest, `{"email":"t@acme.example","role":"admin"}`, 403, "forbidden", "", ""},
			{"test key changes nothing", "PATCH", path(supportID), skTest, `{"role":"admin"}`, 403, "forbidden", "", ""},
			{"test key removes nothing", "DELETE", path(supportID), skTest, "", 403, "forbidden", "", ""},
			{"support creates nothing", "POST", "/v1/workspace-memberships", support, `{"email":"s@acme.example","role":"support"}`, 403, "forbidden", "", ""},
			{"support changes nothing", "PATCH", path(support2ID), support, `{"role":"admin"}`, 403, "forbidden", "", ""},
			{"admin creates an admin", "POST", "/v1/workspace-memberships", admin, `{"email":"a3@acme.example","role":"admin"}`, 201, "", "", ""},
			{"admin grants no owner", "POST", "/v1/workspace-memberships", admin, `{"email":"o@acme.example","role":"owner"}`, 403, "forbidden", "", ""},
			{"admin promotes no one to owner", "PATCH", path(support2ID), admin, `{"role":"owner"}`, 403, "forbidden", "", ""},
			{"admin demotes no owner", "PATCH", path(ownerID), admin, `{"role":"admin"}`, 403, "forbidden", "", ""},
			{"admin removes no owner", "DELETE", path(ownerID), admin, "", 403, "forbidden", "", ""},
			{"admin changes another's role", "PATCH", path(support2ID), admin, `{"role":"admin"}`, 200, "", "", `"role":"admin"`},
			{"admin changes not their own", "PATCH", path(adminID), admin, `{"role":"support"}`, 403, "forbidden", "", ""},
			{"admin removes not themselves", "DELETE", path(adminID), admin, "", 403, "forbidden", "", ""},
			{"bad role", "PATCH", path(supportID), sk, `{"role":"root"}`, 400, "validation_error", "role", ""},
			{"patch unknown", "PATCH", path(missing), sk, `{"role":"admin"}`, 404, "workspace_membership.not_found", "", ""},
			{"owner changes not their own", "PATCH", path(ownerID), owner, `{"role":"admin"}`, 403, "forbidden", "", ""},
			{"key demotes no owner", "PATCH", path(ownerID), sk, `{"role":"admin"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"key removes no owner", "DELETE", path(ownerID), sk, "", 403, "forbidden", "reason", `"owner_only"`},
			{"key grants no owner", "POST", "/v1/workspace-memberships", sk, `{"email":"o@acme.example","role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"key promotes no one to owner", "PATCH", path(adminID), sk, `{"role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"owner promotes to owner", "PATCH", path(admin2ID), owner, `{"role":"owner"}`, 200, "", "", `"role":"owner"`},
			{"same role changes nothing", "PATCH", path(admin2ID), owner, `{"role":"owner"}`, 200, "", "", ""},
			{"admin removes a support", "DELETE", path(supportID), admin, "", 200, "", "", ""},
			{"removed is gone", "GET", path(supportID), sk, "", 404, "workspace_membership.not_found", "", ""},
			{"removed support has no access", "GET", "/v1/workspace-memberships", support, "", 401, "unauthorized", "", ""},
			{"owner demotes another owner", "PATCH", path(admin2ID), owner, `{"role":"support"}`, 200, "", "", ""},
			{"owner's own key promotes no one to owner", "PATCH", path(adminID), ownerKey, `{"role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"owner's own key grants no owner", "POST", "/v1/workspace-memberships", ownerKey, `{"email":"o@acme.example","role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"owner's own key changes another's role", "PATCH", path(support2ID), ownerKey, `{"role":"support"}`, 200, "", "", `"role":"support"`},
			{"owner's own key changes not the owner's", "PATCH", path(ownerID), ownerKey, `{"role":"admin"}`, 403, "forbidden", "", ""},
		})

		t.Run("pages", func(t *testing.T) {
			// Owner, admin, admin2, support2, New, w@ and a3@ remain.
			seen := e.walk(t, "/v1/workspace-memberships", sk, 2)
			if len(seen) != 7 || seen[0] != ownerID {
				t.Fatalf("pages gave %v", seen)
			}
		})
		t.Run("events", func(t *testing.T) {
			// Four of the created ones are the setup's.
			for typ, n := range map[string]int{"workspace_membership.created": 7, "workspace_membership.updated": 4, "workspace_membership.deleted": 1} {
				if got := len(e.events(t, sk, "type="+typ)); got != n {
					t.Errorf("%d %s events, want %d", got, typ, n)
				}
				if got := len(e.events(t, skTest, "type="+typ)); got != 0 {
					t.Errorf("%d test-mode %s events, want none", got, typ)
				}
			}
			promoted := e.events(t, sk, "type=workspace_membership.updated")[0]
			if promoted.TargetID != support2ID || string(promoted.PreviousAttributes) == "null" ||
				!strings.Contains(string(promoted.PreviousAttributes), `"role":"admin"`) || promoted.Actor.Type != "api_key" {
				t.Fatalf("promotion event %+v: previous %s", promoted, promoted.PreviousAttributes)
			}
			byAdmin := e.events(t, sk, "type=workspace_membership.deleted")[0]
			if byAdmin.TargetID != supportID || byAdmin.Actor.Type != "user" {
				t.Fatalf("removal by the admin recorded as %+v", byAdmin)
			}
		})
	})
}

// TestLastWorkspaceOwnerUnderConcurrency has the workspace's two owners
// demote (or remove) each other at once, many times over: one change wins,
// the other is refused (its owner no longer is one, or is gone), and an
// owner always remains.
func TestLastWorkspaceOwnerUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		emails := []string{e.ws.OwnerEmail, "second@acme.example"}
		addStaff(t, d, e.ws, emails[1], db.RoleOwner)
		ids := []string{e.staffID(t, emails[0]), e.staffID(t, emails[1])}
		for round := range 8 {
			method, body := "PATCH", `{"role":"admin"}`
			if round%2 == 1 {
				method, body = "DELETE", ""
			}
			rs := e.Race(t, 2, func(i int) (string, string, string, string) {
				return method, "/v1/workspace-memberships/" + ids[1-i], jwtFor(t, emails[i], false), body
			})
			won := -1
			for i, r := range rs {
				switch {
				case r.Status == 200:
					won = i
				case r.Status != 403 && r.Status != 401:
					t.Fatalf("round %d: %s", round, r.Raw)
				}
			}
			if won < 0 || rs[1-won].Status == 200 {
				t.Fatalf("round %d: answers %d and %d, want one 200 and one refusal", round, rs[0].Status, rs[1].Status)
			}
			var owners int
			if err := d.Get(&owners, d.Rebind(`SELECT COUNT(*) FROM workspace_memberships WHERE workspace_id = ? AND role = 'owner'`), e.ws.WorkspaceID); err != nil || owners != 1 {
				t.Fatalf("round %d: %d owners (%v)", round, owners, err)
			}
			// The winner makes the loser owner again for the next round.
			winner, lost := jwtFor(t, emails[won], false), 1-won
			if method == "DELETE" {
				emails[lost] = "again" + strings.ToLower(db.NewID("x")) + "@acme.example"
				r := e.Call(t, "POST", "/v1/workspace-memberships", winner, `{"email":"`+emails[lost]+`","role":"owner"}`)
				r.Expect(t, 201, "")
				var wm struct{ ID string }
				r.Data(t, &wm)
				ids[lost] = wm.ID
				continue
			}
			e.Call(t, "PATCH", "/v1/workspace-memberships/"+ids[lost], winner, `{"role":"owner"}`).Expect(t, 200, "")
		}
	})
}
