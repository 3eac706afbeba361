package web_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// roleOf reads a role of the fixture's workspace from the database.
func (e *env) roleOf(t *testing.T, slug string) db.Role {
	t.Helper()
	r, err := e.db.RoleByRef(context.Background(), e.ws.WorkspaceID, slug)
	if err != nil {
		t.Fatalf("role %s: %v", slug, err)
	}
	return r
}

// ownerBrowser is a browser signed in as the fixture's owner.
func (e *env) ownerBrowser() *browser {
	b := e.browser()
	b.SignIn(e.ws.OwnerEmail, e.ws.Password)
	return b
}

func TestRolesPageShowsRolesAndCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.ownerBrowser()
		member := e.roleOf(t, "member")
		p := b.Get("/roles").Expect(t, 200)
		p.Has(t, "Roles and permissions", ">Owner", ">Admin", ">Member", "default role", `id="role-`+member.ID+`"`,
			`action="/roles"`, "Create a role", "Add a permission", "members.manage", "Manage the organization",
			"owner, admin, member", // the roles that hold members.read
			`href="/roles" aria-current="page"`)
		// Member's boxes are those of its permissions.
		p.Has(t, `value="billing.read" checked`)
		b.Get("/roles/"+member.ID+"/delete").Expect(t, 200).Has(t, "Delete the role Member?", `action="/roles/`+member.ID+`/delete"`)
		b.Get("/roles/role_01HQZC8G2T9YX5J8VQBW3KPQR7/delete").Expect(t, 404)
	})
}

func TestRolesPageCreatesEditsAndDeletes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.ownerBrowser()
		create := url.Values{"slug": {" billing "}, "name": {"Billing"}, "description": {"Pays the bills"},
			"permissions": {"billing.read", "billing.manage"}}
		b.Post("/roles", create).Expect(t, 303, "/roles")
		b.Get("/roles").Has(t, "Created the role “Billing” (billing).", "Pays the bills")
		billing := e.roleOf(t, "billing")
		if !slices.Equal(billing.Permissions, []string{"billing.manage", "billing.read"}) || billing.Description != "Pays the bills" {
			t.Fatalf("created role %+v", billing)
		}

		for name, c := range map[string]struct {
			form  url.Values
			field string
			says  string
		}{
			"bad slug":           {url.Values{"slug": {"Bad Slug"}, "name": {"X"}}, "slug", "The slug must be a lower-case letter followed by up to 39"},
			"taken slug":         {url.Values{"slug": {"billing"}, "name": {"Again"}}, "slug", "A role with this slug already exists."},
			"no name":            {url.Values{"slug": {"nameless"}}, "name", "The name is required."},
			"unknown permission": {url.Values{"slug": {"odd"}, "name": {"Odd"}, "permissions": {"nope"}}, "permissions", "These permissions are not in the permission catalog: nope."},
		} {
			t.Run(name, func(t *testing.T) {
				p := b.Post("/roles", c.form).Expect(t, 422).Has(t, `value="`+c.form.Get("slug")+`"`, "<html")
				p.Has(t, `id="new-role-`+c.field+`-error">`+c.says, `aria-describedby="new-role-`)
			})
		}
		frag := b.Post("/roles", url.Values{"slug": {"x"}}, "HX-Request", "true").Expect(t, 422)
		frag.Has(t, `id="new-role"`, "The name is required.").Lacks(t, "<html")

		// Rename, describe and give other permissions; no box checked is none.
		b.Post("/roles/"+billing.ID, url.Values{"name": {"Billing team"}, "description": {""}, "permissions": {"billing.read"}}).
			Expect(t, 303, "/roles")
		b.Get("/roles").Has(t, "Saved the role “Billing team”.")
		billing = e.roleOf(t, "billing")
		if billing.Name != "Billing team" || billing.Description != "" || !slices.Equal(billing.Permissions, []string{"billing.read"}) {
			t.Fatalf("edited role %+v", billing)
		}
		b.Post("/roles/"+billing.ID, url.Values{"name": {"Billing team"}}).Expect(t, 303)
		if got := e.roleOf(t, "billing").Permissions; len(got) != 0 {
			t.Fatalf("permissions after saving no box: %v", got)
		}
		bad := b.Post("/roles/"+billing.ID, url.Values{"name": {""}, "description": {"typed"}, "permissions": {"org.manage"}}).Expect(t, 422)
		bad.Has(t, "The name is required.", `value="typed"`, `value="org.manage" checked`)
		b.Post("/roles/"+billing.ID, url.Values{"name": {"X"}, "permissions": {"nope"}}, "HX-Request", "true").Expect(t, 422).
			Has(t, `id="role-`+billing.ID+`"`, "These permissions are not in the permission catalog: nope.").Lacks(t, "<html")
		b.Post("/roles/role_01HQZC8G2T9YX5J8VQBW3KPQR7", url.Values{"name": {"X"}}).Expect(t, 404)

		b.Post("/roles/"+billing.ID+"/delete", nil).Expect(t, 303, "/roles")
		b.Get("/roles").Has(t, "Deleted the role “Billing team”.").Lacks(t, `id="role-`+billing.ID+`"`)
		if _, err := d.RoleByRef(context.Background(), e.ws.WorkspaceID, "billing"); err == nil {
			t.Fatal("the deleted role is still there")
		}
		types := map[string]bool{}
		for _, ev := range e.events(t, e.key(true, db.KeySecret), "") {
			types[ev.Type] = true
		}
		for _, want := range []string{"role.created", "role.updated", "role.deleted"} {
			if !types[want] {
				t.Fatalf("no %s event among %v", want, types)
			}
		}
	})
}

func TestRolesPageDefaultAndRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.ownerBrowser()
		admin, member, owner := e.roleOf(t, "admin"), e.roleOf(t, "member"), e.roleOf(t, "owner")

		b.Post("/roles/"+admin.ID+"/default", nil).Expect(t, 303, "/roles")
		b.Get("/roles").Has(t, "“Admin” is now the default role")
		if got := defaults(e.roles(t, e.key(true, db.KeySecret))); !slices.Equal(got, []string{"admin"}) {
			t.Fatalf("default roles %v, want admin alone", got)
		}
		e.holdRole(t, e.ws.Test(), "member") // held in test mode: the role is in use in both modes

		for name, c := range map[string]struct {
			role db.Role
			says string
		}{
			"owner":   {owner, "The owner role cannot be deleted."},
			"default": {admin, "The default role cannot be deleted: make another role the default first."},
			"in use":  {member, "Members hold this role: give them another role first."},
		} {
			t.Run(name, func(t *testing.T) {
				p := b.Post("/roles/"+c.role.ID+"/delete", nil).Expect(t, 422).Has(t, c.says, "<html")
				// The refusal is inside the role's own part of the page.
				if !strings.Contains(part(t, p, `id="role-`+c.role.ID+`"`, "</article>"), c.says) {
					t.Fatalf("the refusal is not next to the role %s", c.role.Slug)
				}
				b.Post("/roles/"+c.role.ID+"/delete", nil, "HX-Request", "true").Expect(t, 422).Has(t, c.says).Lacks(t, "<html")
				e.roleOf(t, c.role.Slug)
			})
		}
	})
}

// part is the piece of a page from start up to the first end after it.
func part(t *testing.T, p page, start, end string) string {
	t.Helper()
	_, rest, ok := strings.Cut(p.Body, start)
	if !ok {
		t.Fatalf("page does not say %q:\n%s", start, p.Body)
	}
	piece, _, _ := strings.Cut(rest, end)
	return piece
}

func TestPermissionCatalogPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.ownerBrowser()
		b.Post("/permissions", url.Values{"key": {"reports.read"}, "description": {"Read the quarterly reports"}}).Expect(t, 303, "/roles")
		b.Get("/roles").Has(t, "Added the permission reports.read to the catalog.", "Read the quarterly reports")
		b.Post("/permissions", url.Values{"key": {"invoices:write"}}).Expect(t, 303)

		b.Post("/permissions", url.Values{"key": {"Reports"}, "description": {"kept"}}).Expect(t, 422).
			Has(t, "The key must be a lower-case letter followed by up to 63", `value="Reports"`, `value="kept"`,
				"A lower-case letter, then up to 63") // the rule, next to the field
		b.Post("/permissions", url.Values{"key": {"reports.read"}}).Expect(t, 422).Has(t, "The catalog already has this permission.")
		b.Post("/permissions", url.Values{"key": {""}}, "HX-Request", "true").Expect(t, 422).
			Has(t, `id="new-permission"`, "The key is required.").Lacks(t, "<html")

		// Held by a role, or directly by a member: refused, said in the row.
		e.holdRole(t, e.ws.Live(), "member", "invoices:write")
		for _, key := range []string{"billing.read", "invoices:write"} {
			p := b.Post("/permissions/"+key+"/delete", nil).Expect(t, 422)
			p.Has(t, "Roles or members hold this permission: take it from them first.")
			b.Post("/permissions/"+key+"/delete", nil, "HX-Request", "true").Expect(t, 422).
				Has(t, `id="permissions"`, "Roles or members hold this permission").Lacks(t, "<html")
		}
		b.Get("/permissions/reports.read/delete").Expect(t, 200).Has(t, "Delete the permission reports.read?", "Held by roles: none.")
		b.Get("/permissions/members.read/delete").Expect(t, 200).Has(t, "Held by roles: owner, admin, member.")
		b.Post("/permissions/reports.read/delete", nil).Expect(t, 303, "/roles")
		b.Get("/roles").Has(t, "Deleted the permission reports.read from the catalog.").Lacks(t, "Read the quarterly reports")
		b.Get("/permissions/reports.read/delete").Expect(t, 404)
		b.Post("/permissions/reports.read/delete", nil).Expect(t, 404)
		if _, err := d.Permission(context.Background(), e.ws.WorkspaceID, "invoices:write"); err != nil {
			t.Fatalf("a held permission went: %v", err)
		}
	})
}

func TestRolesAndStaffReadOnlyForSupport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "help@acme.example", db.RoleSupport, "support password")
		member, ownerID := e.roleOf(t, "member"), e.staffID(t, e.ws.OwnerEmail)
		b := e.browser()
		b.SignIn("help@acme.example", "support password")
		b.Get("/roles").Expect(t, 200).Has(t, ">Member", "Permissions: billing.read, members.read", "default role", "members.manage").
			Lacks(t, `method="post" action="/roles`, `action="/permissions"`, "Save changes", "Make default", "Delete…", "Create a role", "Add a permission")
		b.Get("/team").Expect(t, 200).Has(t, e.ws.OwnerEmail).
			Lacks(t, `method="post" action="/team`, "Change role", "Remove…", "Add to the team")

		form := url.Values{"slug": {"forged"}, "name": {"Forged"}, "key": {"forged.key"}, "role": {"support"}, "permissions": {"org.manage"}}
		for _, f := range []struct{ method, path string }{
			{"POST", "/roles"}, {"POST", "/roles/" + member.ID}, {"POST", "/roles/" + member.ID + "/default"},
			{"GET", "/roles/" + member.ID + "/delete"}, {"POST", "/roles/" + member.ID + "/delete"},
			{"POST", "/permissions"}, {"GET", "/permissions/members.read/delete"}, {"POST", "/permissions/members.read/delete"},
			{"POST", "/team/" + ownerID + "/role"}, {"GET", "/team/" + ownerID + "/remove"}, {"POST", "/team/" + ownerID + "/remove"},
		} {
			t.Run(f.method+" "+f.path, func(t *testing.T) {
				b.Request(f.method, f.path, form).Expect(t, 403).Has(t, "You may not do this")
			})
		}
		after := e.roleOf(t, "member")
		if !slices.Equal(after.Permissions, member.Permissions) || after.Name != member.Name {
			t.Fatalf("member role after forged posts: %+v", after)
		}
		if _, err := d.Permission(context.Background(), e.ws.WorkspaceID, "forged.key"); err == nil {
			t.Fatal("a forged post added a permission")
		}
		if rs := e.roles(t, e.key(true, db.KeySecret)); len(rs) != 3 || !slices.Equal(defaults(rs), []string{"member"}) {
			t.Fatalf("roles changed by forged posts: %+v", rs)
		}
		if e.staffRole(t, e.ws.OwnerEmail) != db.RoleOwner {
			t.Fatal("a forged post changed the owner")
		}
	})
}

func TestRolesAndStaffFormsNeedTheCSRFToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		addStaff(t, d, e.ws, "help@acme.example", db.RoleSupport)
		member, helpID := e.roleOf(t, "member"), e.staffID(t, "help@acme.example")
		b := e.ownerBrowser()
		b.Get("/roles")
		for _, path := range []string{"/roles", "/roles/" + member.ID, "/roles/" + member.ID + "/default", "/roles/" + member.ID + "/delete",
			"/permissions", "/permissions/members.read/delete", "/team/" + helpID + "/role", "/team/" + helpID + "/remove"} {
			t.Run(path, func(t *testing.T) {
				form := url.Values{"_csrf": {"x" + b.CSRF}, "slug": {"forged"}, "name": {"Forged"}, "key": {"forged.key"}, "role": {"admin"}}
				b.Post(path, form).Expect(t, 403).Has(t, "This form has expired")
			})
		}
		if e.roleOf(t, "member").Name != "Member" || e.staffRole(t, "help@acme.example") != db.RoleSupport {
			t.Fatal("a request without the token changed something")
		}
		if _, err := d.RoleByRef(context.Background(), e.ws.WorkspaceID, "forged"); err == nil {
			t.Fatal("a request without the token created a role")
		}
	})
}

// TestRolesPageInTestMode shows the roles page's controls disabled with the
// reason in test mode, and refuses its forms there: roles and the catalog
// are shared by both modes and change in live mode only.
func TestRolesPageInTestMode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member, err := d.RoleByRef(context.Background(), e.ws.WorkspaceID, "member")
		if err != nil {
			t.Fatal(err)
		}
		owner := e.ownerBrowser()
		owner.Post("/mode", url.Values{"mode": {"test"}})
		p := owner.Get("/roles").Expect(t, 200).
			Has(t, "change in live mode only", `<fieldset class="disabled-controls" disabled aria-describedby="roles-disabled">`)
		p.Lacks(t, `href="/roles/`+member.ID+`/delete"`, `href="/permissions/members.read/delete"`)
		for _, path := range []string{"/roles", "/roles/" + member.ID, "/roles/" + member.ID + "/default",
			"/roles/" + member.ID + "/delete", "/permissions", "/permissions/members.read/delete"} {
			owner.Post(path, url.Values{"slug": {"late"}, "name": {"Late"}, "key": {"late.key"}}).Expect(t, 403).
				Has(t, "they change in live mode only")
		}
		if r, err := d.RoleByRef(context.Background(), e.ws.WorkspaceID, "member"); err != nil || r.Name != member.Name {
			t.Fatalf("member role after test-mode posts: %+v, %v", r, err)
		}
		if _, err := d.RoleByRef(context.Background(), e.ws.WorkspaceID, "late"); !errors.Is(err, db.ErrRoleNotFound) {
			t.Fatalf("a role was created in test mode: %v", err)
		}
	})
}
