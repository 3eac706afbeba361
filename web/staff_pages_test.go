package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// staffRole is the console role of the staff member with this email, ""
// when they are not on the staff.
func (e *env) staffRole(t *testing.T, email string) string {
	t.Helper()
	wm, _ := e.staffMember(t, email)
	return wm.Role
}

// row is the staff member's row of a team page.
func row(t *testing.T, p page, id string) string {
	t.Helper()
	return part(t, p, `id="staff-`+id+`"`, "</tr>")
}

func TestStaffPageAddsStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		owner := e.ownerBrowser()
		owner.Get("/team").Expect(t, 200).Has(t, e.ws.OwnerEmail, "admin@acme.example", `value="owner"`, `<option value="support" selected>`)
		owner.Post("/team", url.Values{"email": {"new@acme.example"}, "name": {"New Person"}, "role": {"support"}}).Expect(t, 303, "/team")
		owner.Get("/team").Has(t, "Added new@acme.example to the team as support. They were emailed a link to set their password.", "New Person")
		owner.Post("/team", url.Values{"email": {"NEW@acme.example"}, "role": {"admin"}}).Expect(t, 422).
			Has(t, "This person is already on the workspace", `value="NEW@acme.example"`)
		owner.Post("/team", url.Values{"email": {"not an email"}, "role": {"admin"}}).Expect(t, 422).Has(t, "The email must be an email address")
		owner.Post("/team", url.Values{"email": {"boss@acme.example"}, "role": {"owner"}}).Expect(t, 303)

		// The store, not the page, decides who may give owner.
		admin := e.browser()
		admin.SignIn("admin@acme.example", "admin password")
		admin.Get("/team").Has(t, `value="owner"`)
		admin.Post("/team", url.Values{"email": {"boss2@acme.example"}, "role": {"owner"}}).Expect(t, 422).
			Has(t, `id="field-role-error">Only an owner may grant or take away the workspace role owner.`, `value="boss2@acme.example"`)
		admin.Post("/team", url.Values{"email": {"x@acme.example"}, "role": {"boss"}}).Expect(t, 422).
			Has(t, "The role must be owner, admin or support.")
		if got := e.staffRole(t, "boss2@acme.example"); got != "" {
			t.Fatalf("an admin made an owner: %q", got)
		}
	})
}

func TestStaffPageChangesRolesByTheStoreRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		addStaff(t, d, e.ws, "help@acme.example", db.RoleSupport)
		ownerID, adminID, helpID := e.staffID(t, e.ws.OwnerEmail), e.staffID(t, "admin@acme.example"), e.staffID(t, "help@acme.example")

		admin := e.browser()
		admin.SignIn("admin@acme.example", "admin password")
		page := admin.Get("/team").Expect(t, 200)
		// No controls on one's own row; controls on the others'.
		if mine := row(t, page, adminID); strings.Contains(mine, "Change role") || !strings.Contains(mine, ">you<") {
			t.Fatalf("own row:\n%s", mine)
		}
		row(t, page, helpID) // exists
		page.Has(t, `action="/team/`+helpID+`/role"`, `href="/team/`+helpID+`/remove"`)

		ownerOnly := "Only an owner may grant or take away the workspace role owner."
		for name, c := range map[string]struct {
			path, role, target, says string
		}{
			"admin grants owner":  {"/team/" + helpID + "/role", "owner", helpID, ownerOnly},
			"admin demotes owner": {"/team/" + ownerID + "/role", "support", ownerID, ownerOnly},
			"admin removes owner": {"/team/" + ownerID + "/remove", "", ownerID, ownerOnly},
			"own role (forged)":   {"/team/" + adminID + "/role", "support", adminID, "Nobody changes their own workspace role or removes themselves"},
			"removing oneself":    {"/team/" + adminID + "/remove", "", adminID, "Nobody changes their own workspace role or removes themselves"},
			"not a console role":  {"/team/" + helpID + "/role", "boss", helpID, "The role must be owner, admin or support."},
		} {
			t.Run(name, func(t *testing.T) {
				p := admin.Post(c.path, url.Values{"role": {c.role}}).Expect(t, 422).Has(t, "<html")
				if !strings.Contains(row(t, p, c.target), c.says) {
					t.Fatalf("the refusal %q is not in the row", c.says)
				}
				admin.Post(c.path, url.Values{"role": {c.role}}, "HX-Request", "true").Expect(t, 422).
					Has(t, `id="staff"`, c.says).Lacks(t, "<html")
			})
		}
		if e.staffRole(t, e.ws.OwnerEmail) != db.RoleOwner || e.staffRole(t, "admin@acme.example") != db.RoleAdmin ||
			e.staffRole(t, "help@acme.example") != db.RoleSupport {
			t.Fatal("a refused change changed the staff")
		}

		admin.Post("/team/"+helpID+"/role", url.Values{"role": {"admin"}}).Expect(t, 303, "/team")
		admin.Get("/team").Has(t, "help@acme.example is now admin.")
		owner := e.ownerBrowser()
		owner.Post("/team/"+adminID+"/role", url.Values{"role": {"owner"}}).Expect(t, 303)
		owner.Post("/team/"+adminID+"/role", url.Values{"role": {"support"}}).Expect(t, 303)
		if got := e.staffRole(t, "admin@acme.example"); got != db.RoleSupport {
			t.Fatalf("role after the owner's changes %q", got)
		}
		owner.Post("/team/wm_01HQZC8G2T9YX5J8VQBW3KPQR7/role", url.Values{"role": {"admin"}}).Expect(t, 404)
		types := map[string]int{}
		for _, ev := range e.events(t, e.key(true, db.KeySecret), "") {
			types[ev.Type]++
		}
		if types["workspace_membership.updated"] != 3 {
			t.Fatalf("events %v, want 3 workspace_membership.updated", types)
		}
	})
}

func TestStaffPageRemovesStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "leaver@acme.example", db.RoleAdmin, "leaver password")
		leaverID := e.staffID(t, "leaver@acme.example")
		leaver := e.browser()
		leaver.SignIn("leaver@acme.example", "leaver password")

		owner := e.ownerBrowser()
		owner.Get("/team/"+leaverID+"/remove").Expect(t, 200).Has(t, "Take leaver@acme.example off the team?", "Remove from the team")
		owner.Post("/team/"+leaverID+"/remove", nil).Expect(t, 303, "/team")
		owner.Get("/team").Has(t, "Took leaver@acme.example off the team.").Lacks(t, "staff-"+leaverID)
		if got := e.staffRole(t, "leaver@acme.example"); got != "" {
			t.Fatalf("still on the staff as %q", got)
		}
		leaver.Get("/team").Expect(t, 303, "/login?next=%2Fteam")
		owner.Get("/team/"+leaverID+"/remove").Expect(t, 404)
		owner.Post("/team/"+leaverID+"/remove", nil).Expect(t, 404)
	})
}

func TestStaffPageInTestMode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		addStaff(t, d, e.ws, "help@acme.example", db.RoleSupport)
		helpID := e.staffID(t, "help@acme.example")
		owner := e.ownerBrowser()
		owner.Post("/mode", url.Values{"mode": {"test"}})
		p := owner.Get("/team").Expect(t, 200).Has(t, "The team changes in live mode only", "disabled", `aria-describedby="team-disabled"`)
		p.Lacks(t, `href="/team/`+helpID+`/remove"`)
		for _, path := range []string{"/team", "/team/" + helpID + "/role", "/team/" + helpID + "/remove"} {
			owner.Post(path, url.Values{"email": {"late@acme.example"}, "role": {"admin"}}).Expect(t, 403).
				Has(t, "they change in live mode only")
		}
		owner.Get("/team/"+helpID+"/remove").Expect(t, 403)
		if got := e.staffRole(t, "help@acme.example"); got != db.RoleSupport {
			t.Fatalf("changed in test mode: %q", got)
		}
	})
}

// TestStaffJoinByEmail: someone added to the team without a password is
// emailed a link to set one; the link sets it once, and they sign in with
// it. Someone taken off the team before using it finds it dead.
func TestStaffJoinByEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner := e.ownerBrowser()
		owner.Post("/team", url.Values{"email": {"nora@acme.example"}, "role": {"admin"}}).Expect(t, 303, "/team")
		owner.Get("/team").Has(t, "Added nora@acme.example to the team as admin. They were emailed a link to set their password.")
		token := e.joinToken(t, "nora@acme.example")

		visitor := e.browser()
		page := visitor.Get("/join/"+token).Expect(t, 200).Has(t, "Join the Acme team", "nora@acme.example", "with the console role admin")
		if page.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("Referrer-Policy %q", page.Header.Get("Referrer-Policy"))
		}
		visitor.Post("/join/"+token, url.Values{"_csrf": {""}, "password": {"a long password"}}).Expect(t, 403)
		visitor.Post("/join/"+token, url.Values{"name": {"Nora"}, "password": {"short"}}).Expect(t, 422).
			Has(t, "The password must be at least 8 characters.", `value="Nora"`)
		visitor.Post("/join/"+token, url.Values{"name": {"Nora N."}, "password": {"a long password"}}).Expect(t, 303, "/login")
		visitor.Get("/login").Has(t, "Your password is set: sign in as nora@acme.example.")
		visitor.Get("/join/"+token).Expect(t, 404).Has(t, "This link is no longer valid")
		visitor.Post("/join/"+token, url.Values{"password": {"another long one"}}).Expect(t, 404)
		nora := e.browser()
		nora.SignIn("nora@acme.example", "a long password")
		nora.Get("/team").Has(t, "Nora N.")

		// Added through the API, then taken off the team before joining.
		sk := e.key(true, db.KeySecret)
		r := e.Call(t, "POST", "/v1/workspace-memberships", sk, `{"email":"omar@acme.example","role":"support"}`)
		r.Expect(t, 201, "")
		token = e.joinToken(t, "omar@acme.example")
		e.browser().Get("/join/"+token).Expect(t, 200).Has(t, "omar@acme.example")
		var id struct{ ID string }
		r.Data(t, &id)
		e.Call(t, "DELETE", "/v1/workspace-memberships/"+id.ID, sk, "").Expect(t, 200, "")
		e.browser().Get("/join/"+token).Expect(t, 404).Has(t, "This link is no longer valid")

		// Someone who has a password already is sent no link.
		staffWithPassword(t, d, e.ws, "pat@acme.example", db.RoleSupport, "pat password")
		e.Call(t, "DELETE", "/v1/workspace-memberships/"+e.staffID(t, "pat@acme.example"), sk, "").Expect(t, 200, "")
		owner.Post("/team", url.Values{"email": {"pat@acme.example"}, "role": {"support"}}).Expect(t, 303, "/team")
		owner.Get("/team").Has(t, "Added pat@acme.example to the team as support.").Lacks(t, "emailed a link")
		if n := e.outboxTo(t, "pat@acme.example"); n != 0 {
			t.Fatalf("%d emails to someone with a password", n)
		}
	})
}

// joinToken is the token of the link in the newest email to email that
// asks them to join the team.
func (e *env) joinToken(t *testing.T, email string) string {
	t.Helper()
	var body string
	if err := e.db.Get(&body, e.db.Rebind(`SELECT body FROM outbox WHERE to_email = ? AND subject LIKE 'Join the %' ORDER BY id DESC LIMIT 1`), email); err != nil {
		t.Fatalf("no email asks %s to join: %v", email, err)
	}
	m := regexp.MustCompile(`http://roster\.test/join/(\S+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in the email:\n%s", body)
	}
	return m[1]
}

// outboxTo counts the emails queued to email.
func (e *env) outboxTo(t *testing.T, email string) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, e.db.Rebind(`SELECT COUNT(*) FROM outbox WHERE to_email = ?`), email); err != nil {
		t.Fatal(err)
	}
	return n
}
