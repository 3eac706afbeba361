package web_test

import (
	"context"
	"net/url"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestKeysActAsTheirCreator: a key made in the console records who made it
// and never does more than that person may at the time of the call; no key
// touches the workspace role owner, whoever made it.
func TestKeysActAsTheirCreator(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		admin := addStaff(t, d, e.ws, "admin@acme.example", db.RoleAdmin)
		helper := addStaff(t, d, e.ws, "helper@acme.example", db.RoleSupport)
		if err := d.SetPassword(ctx, e.ws.WorkspaceID, "admin@acme.example", "admin-password-1"); err != nil {
			t.Fatal(err)
		}

		t.Run("the console records the creator", func(t *testing.T) {
			b := e.browser()
			b.SignIn("admin@acme.example", "admin-password-1")
			b.Post("/api-keys", url.Values{"kind": {"secret"}, "name": {"Admin's key"}})
			keys, err := d.ListAPIKeys(ctx, e.ws.Live())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0].CreatedBy != admin.UserID || keys[0].Creator.Role != db.RoleAdmin {
				t.Fatalf("keys after the admin created one: %+v", keys)
			}
			b.Get("/api-keys").Has(t, "by admin@acme.example")
		})

		key := e.keyBy(admin, true, db.KeySecret)
		self := "/v1/workspace-memberships/" + admin.ID
		e.run(t, []apiCase{
			{"the admin's key makes the admin no owner", "PATCH", self, key, `{"role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"nor anyone else", "PATCH", "/v1/workspace-memberships/" + helper.ID, key, `{"role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"nor demotes the owner", "PATCH", "/v1/workspace-memberships/" + e.ws.StaffID, key, `{"role":"support"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"nor removes the owner", "DELETE", "/v1/workspace-memberships/" + e.ws.StaffID, key, "", 403, "forbidden", "reason", `"owner_only"`},
			{"nor changes the admin's own role", "PATCH", self, key, `{"role":"support"}`, 403, "forbidden", "", ""},
			{"but does what an admin does", "PATCH", "/v1/workspace-memberships/" + helper.ID, key, `{"role":"admin"}`, 200, "", "", `"role":"admin"`},
			{"and writes", "POST", "/v1/accounts", key, `{"name":"By the admin's key"}`, 201, "", "", ""},
		})

		owner := db.StaffEditor{WorkspaceID: e.ws.WorkspaceID, StaffID: e.ws.StaffID}
		if _, err := d.ChangeStaffRole(ctx, owner, admin.ID, db.StaffChange{Role: db.RoleSupport}); err != nil {
			t.Fatal(err)
		}
		e.run(t, []apiCase{
			{"demoted to support, the key reads", "GET", "/v1/accounts", key, "", 200, "", "", "By the admin's key"},
			{"and writes nothing", "POST", "/v1/accounts", key, `{"name":"After the demotion"}`, 403, "forbidden", "reason", `"creator_role"`},
			{"nor changes staff", "PATCH", "/v1/workspace-memberships/" + helper.ID, key, `{"role":"support"}`, 403, "forbidden", "", ""},
		})

		if err := d.RemoveStaff(ctx, owner, admin.ID); err != nil {
			t.Fatal(err)
		}
		e.run(t, []apiCase{
			{"its creator gone, the key stops", "GET", "/v1/accounts", key, "", 401, "unauthorized", "", ""},
		})
		e.ownerBrowser().Get("/api-keys").Has(t, "Stopped: its creator left the team", "by someone who has left the team")
	})
}

// TestOwnersKeyTouchesNoOwner: even a key the owner made acts for nobody
// in person, so it neither grants nor takes away the role owner.
func TestOwnersKeyTouchesNoOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		second := addStaff(t, d, e.ws, "second@acme.example", db.RoleOwner)
		admin := addStaff(t, d, e.ws, "admin@acme.example", db.RoleAdmin)
		key := e.keyBy(e.owner(), true, db.KeySecret)
		e.run(t, []apiCase{
			{"grants no owner", "POST", "/v1/workspace-memberships", key, `{"email":"o@acme.example","role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"promotes no one to owner", "PATCH", "/v1/workspace-memberships/" + admin.ID, key, `{"role":"owner"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"demotes no owner", "PATCH", "/v1/workspace-memberships/" + second.ID, key, `{"role":"admin"}`, 403, "forbidden", "reason", `"owner_only"`},
			{"removes no owner", "DELETE", "/v1/workspace-memberships/" + second.ID, key, "", 403, "forbidden", "reason", `"owner_only"`},
			{"the owner in person does", "PATCH", "/v1/workspace-memberships/" + second.ID, jwtFor(t, e.ws.OwnerEmail, false), `{"role":"admin"}`, 200, "", "", `"role":"admin"`},
		})
	})
}
