package web_test

import (
	"net/url"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

func TestMembersPageOwnerIsConfirmed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		m := f.invited("rita@example.com")
		v := f.version(t, m.ID)

		// Without scripts: to a confirmation page (a GET, which reloads), nothing changed yet.
		ask := f.b.Post(f.path(m.ID, "role")+"?q=ri", url.Values{"role": {"owner"}, "version": {v}}).Expect(t, 303)
		f.b.Get(ask.Location()).Expect(t, 200).Has(t, "Make rita@example.com an owner?", "Make owner",
			`action="`+f.path(m.ID, "role")+`?q=ri"`, `name="confirm" value="owner"`, `href="`+f.page+`?q=ri">Cancel`)
		if f.current(t, m.ID).Role.Slug != "member" {
			t.Fatal("asking made them an owner")
		}
		// With htmx: the row asks, in place of the select.
		f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"owner"}, "version": {v}}, webtest.HTMX...).Expect(t, 200).
			Has(t, "Make rita@example.com an owner of this account?", ">Make owner</button>").Lacks(t, "<html", `name="role" aria-label`)
		f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"owner"}, "confirm": {"owner"}, "version": {v}}).Expect(t, 303, f.page)
		if f.current(t, m.ID).Role.Slug != "owner" {
			t.Fatal("a confirmed grant did not make them an owner")
		}
		// The addresses forms post to lead back to their page when opened.
		for _, path := range []string{f.path(m.ID, "role"), f.path(m.ID, "permissions"), f.path(m.ID, "resend"), f.page + "/invite", f.page + "/link"} {
			f.b.Get(path+"?status=invited").Expect(t, 303, f.page+"?status=invited")
		}
		f.b.Get("/roles/"+m.Role.ID+"/default").Expect(t, 303, "/roles")
		f.b.Get("/permissions").Expect(t, 303, "/roles")
		f.b.Get("/team/wm_x/role").Expect(t, 303, "/team")
	})
}

func TestMembersPageInviteSaysWhatWasRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		p := f.b.Post(f.page+"/invite", url.Values{"emails": {"A@x.test, a@x.test, not-an-email"}, "role": {"member"}}).Expect(t, 422)
		p.Has(t, "A@x.test and a@x.test are the same address: invited once",
			`aria-describedby="field-emails-hint field-emails-error" aria-invalid="true">not-an-email</textarea>`,
			`id="field-emails-error">Not invited: not-an-email.`, `<details id="invite-disclosure" open>`)
		f.b.Post(f.page+"/invite", url.Values{"emails": {"B@x.test b@x.test"}, "role": {"member"}}).Expect(t, 303)
		f.b.Get(f.page).Has(t, "Invited B@x.test. B@x.test and b@x.test are the same address: invited once.")
	})
}

func TestRolesPageShowsOnlyWhatCanBeDone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		roles, err := d.ListRoles(t.Context(), f.ws.WorkspaceID)
		if err != nil {
			t.Fatal(err)
		}
		page := f.b.Get("/roles").Expect(t, 200)
		for _, r := range roles {
			switch {
			case r.Slug == db.OwnerRoleSlug:
				page.Has(t, `aria-describedby="role-`+r.ID+`-undeletable">Delete…</button>`, "The owner role is permanent").
					Lacks(t, `action="/roles/`+r.ID+`/default"`, `href="/roles/`+r.ID+`/delete"`)
			case r.IsDefault:
				page.Has(t, `aria-describedby="role-`+r.ID+`-undeletable">Delete…</button>`, "This is the default role: make another role the default before deleting it.").
					Lacks(t, `href="/roles/`+r.ID+`/delete"`)
			default:
				page.Has(t, `href="/roles/`+r.ID+`/delete"`, `aria-label="Delete the role `+r.Name+`"`, `action="/roles/`+r.ID+`/default"`)
			}
		}
		page.Has(t, `aria-describedby="permission-org.manage-undeletable">Delete…</button>`, "Held by the roles owner").
			Lacks(t, `href="/permissions/org.manage/delete"`)
	})
}
