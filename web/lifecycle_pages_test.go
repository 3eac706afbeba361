package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// TestLifecycleMembersPage: the console deactivates and reactivates with
// and without htmx, shows the badges and the status filter's new values,
// sets and clears an expiry per row and at invite, and says each refusal
// next to its row or field.
func TestLifecycleMembersPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		f.srv.Sweeper().Stop() // the test moves the database's clock
		owner := f.addMember(f.sk, f.acct, link(f.ws.StaffID, "owner"))
		ann := f.addMember(f.sk, f.acct, link(f.staff("ann@acme.example", db.RoleAdmin), "member"))
		f.b.Get(f.page).Expect(t, 200).Has(t, `action="`+f.path(ann.ID, "deactivate")+`"`, ">Deactivate</button>",
			`<option value="inactive"`, `<option value="expired"`, `name="expires_at"`)

		// Without scripts: a form post, then the flash on the list.
		f.b.Post(f.path(ann.ID, "deactivate"), url.Values{"version": {f.version(t, ann.ID)}}).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "Deactivated ann@acme.example", `<span class="status inactive">Inactive</span>`,
			`action="`+f.path(ann.ID, "reactivate")+`"`)
		f.b.Get(f.page+"?status=inactive").Expect(t, 200).Has(t, `id="member-`+ann.ID+`"`).Lacks(t, `id="member-`+owner.ID+`"`)
		f.b.Get(f.path(ann.ID, "deactivate")).Expect(t, 303, f.page)
		// With htmx: the row alone.
		f.b.Post(f.path(ann.ID, "reactivate"), url.Values{"version": {f.version(t, ann.ID)}}, webtest.HTMX...).Expect(t, 200).
			Has(t, `<tr id="member-`+ann.ID+`"`, "Reactivated ann@acme.example", ">Deactivate</button>").Lacks(t, "<html")
		if f.current(t, ann.ID).Status != db.StatusActive {
			t.Fatal("not reactivated")
		}
		// The last owner: said in the row.
		f.b.Post(f.path(owner.ID, "deactivate"), url.Values{"version": {f.version(t, owner.ID)}}, webtest.HTMX...).Expect(t, 422).
			Has(t, "make someone else owner before deactivating them").Lacks(t, "<html")

		// An expiry per row: set, refused when too soon, cleared.
		soon := time.Now().UTC().Add(10 * time.Second).Format("2006-01-02T15:04:05")
		f.b.Post(f.path(ann.ID, "expiry"), url.Values{"expires_at": {soon}, "version": {f.version(t, ann.ID)}}, webtest.HTMX...).
			Expect(t, 422).Has(t, "The end must be at least a minute in the future.", `value="`+soon+`"`)
		later := time.Now().UTC().Add(30 * 24 * time.Hour)
		f.b.Post(f.path(ann.ID, "expiry"), url.Values{"expires_at": {later.Format("2006-01-02T15:04")}, "version": {f.version(t, ann.ID)}}).
			Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "membership ends "+later.Format("2 Jan 2006 15:04 UTC"), "<small class=\"muted\">ends ")
		if m := f.current(t, ann.ID); m.ExpiresAt == nil {
			t.Fatal("no expiry stored")
		}
		f.b.Post(f.path(owner.ID, "expiry"), url.Values{"expires_at": {later.Format("2006-01-02T15:04")}}).Expect(t, 422).
			Has(t, "An owner&#39;s membership cannot end by itself")
		f.b.Post(f.path(ann.ID, "expiry"), url.Values{"expires_at": {""}, "version": {f.version(t, ann.ID)}}).Expect(t, 303)
		if m := f.current(t, ann.ID); m.ExpiresAt != nil {
			t.Fatal("the expiry stayed")
		}

		// Past its expiry the badge says so, at once.
		d.Now = func() time.Time { return time.Now().Add(-time.Hour) }
		f.b.Post(f.path(ann.ID, "expiry"), url.Values{"expires_at": {time.Now().UTC().Add(-30 * time.Minute).Format("2006-01-02T15:04")}}).Expect(t, 303)
		d.Now = nil
		f.b.Get(f.page+"?status=expired").Expect(t, 200).Has(t, `id="member-`+ann.ID+`"`, `<span class="status expired">Expired</span>`, "ended ")

		// At invite: the field, its refusals next to it.
		f.b.Post(f.page+"/invite", url.Values{"emails": {"tia@example.com"}, "role": {"member"}, "expires_at": {"soon"}}).Expect(t, 422).
			Has(t, "The end must be a date and time")
		f.b.Post(f.page+"/invite", url.Values{"emails": {"tia@example.com"}, "role": {"owner"}, "expires_at": {later.Format("2006-01-02T15:04")}}).
			Expect(t, 422).Has(t, "An owner&#39;s membership cannot end by itself")
		f.b.Post(f.page+"/invite", url.Values{"emails": {"tia@example.com"}, "role": {"member"}, "expires_at": {later.Format("2006-01-02T15:04")}}).
			Expect(t, 303, f.page)
		ms, err := d.ListMemberships(t.Context(), f.ws.Live(), f.acct, db.MembershipFilter{Q: "tia"}, db.Page{Limit: 5})
		if err != nil || len(ms) != 1 || ms[0].ExpiresAt == nil {
			t.Fatalf("invited with an expiry: %+v, %v", ms, err)
		}
	})
}

// TestLifecyclePortal: a portal member with members.manage deactivates and
// reactivates whom they may edit, never the owner or themselves; and a
// portal session whose member is deactivated ends.
func TestLifecyclePortal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		b, p := e.inPortal(t, f, "adam@members.example")
		p.Has(t, `action="/portal/members/`+f.plain.ID+`/deactivate"`).
			Lacks(t, `action="/portal/members/`+f.owner.ID+`/deactivate"`, `action="/portal/members/`+f.admin.ID+`/deactivate"`)
		b.Post("/portal/members/"+f.plain.ID+"/deactivate", url.Values{}).Expect(t, 303, "/portal")
		b.Get("/portal").Expect(t, 200).Has(t, `<span class="status inactive">Inactive</span>`)
		// Forged: the owner's row is refused by the store.
		b.Post("/portal/members/"+f.owner.ID+"/deactivate", url.Values{}).Expect(t, 403)
		b.Post("/portal/members/"+f.plain.ID+"/reactivate", url.Values{}, webtest.HTMX...).Expect(t, 200).Has(t, "Reactivated pia@members.example")

		// The owner deactivates the admin: the admin's portal session ends.
		e.Call(t, "POST", "/v1/account-memberships/"+f.admin.ID+"/deactivate", f.sk, "").Expect(t, 200, "")
		if got := b.Get("/portal"); got.Status == 200 && strings.Contains(got.Body, f.plain.ID) {
			t.Fatalf("a deactivated member still sees the portal")
		}
	})
}
