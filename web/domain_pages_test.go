package web_test

import (
	"context"
	"net/url"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestDomainsPage: an owner adds a domain on the account's domains page
// (refusals next to the field, with and without htmx), verifies it by its
// TXT record and by hand, changes its enrollment and removes it after a
// confirmation; support staff see the page without its forms and are
// refused them.
func TestDomainsPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		ctx := context.Background()
		acct, err := d.CreateAccount(ctx, e.ws.Live(), db.AccountInput{Name: "Pages Co"})
		if err != nil {
			t.Fatal(err)
		}
		base := "/accounts/" + acct.ID + "/domains"
		b := e.ownerBrowser()
		b.Get("/accounts/"+acct.ID).Expect(t, 200).Has(t, `href="`+base+`"`)
		b.Get(base).Expect(t, 200).Has(t, "Email domains of Pages Co", "claims no email domain yet", `method="post" action="`+base+`"`)

		b.Post(base, url.Values{"domain": {"gmail.com"}, "enrollment": {"suggest"}}).Expect(t, 422).
			Has(t, "public email provider", `value="gmail.com"`)
		b.Post(base, url.Values{"domain": {"not a domain"}}, "HX-Request", "true").Expect(t, 422).
			Has(t, `id="field-domain-error"`, "The domain must be a domain name").Lacks(t, "<html")

		b.Post(base, url.Values{"domain": {"Pages.Example"}, "enrollment": {"auto_join"}}).Expect(t, 303, base)
		shown := b.Get(base).Expect(t, 200).Has(t, "Added pages.example", "_roster-challenge.pages.example", "Pending", "Mark verified")
		ds, err := d.ListDomains(ctx, e.ws.Live(), acct.ID, db.Page{Limit: 10})
		if err != nil || len(ds) != 1 {
			t.Fatalf("domains %+v, %v", ds, err)
		}
		dom := ds[0]
		shown.Has(t, dom.Verification.Value)
		row := base + "/" + dom.ID

		other, err := d.CreateAccount(ctx, e.ws.Live(), db.AccountInput{Name: "Rival"})
		if err != nil {
			t.Fatal(err)
		}
		rival, err := d.CreateDomain(ctx, e.ws.Live(), other.ID, db.NewDomain{Domain: "pages.example"})
		if err != nil {
			t.Fatal(err)
		}
		b.Post(row+"/verify", url.Values{}, "HX-Request", "true").Expect(t, 200).Has(t, "was not found", "Not verified")
		e.dns.Set(dom.Verification.Name, dom.Verification.Value)
		b.Post(row+"/verify", url.Values{}).Expect(t, 303, base)
		b.Get(base).Has(t, "Verified pages.example", "Verified").Lacks(t, "Mark verified")

		member := e.roleOf(t, "member")
		b.Post(row, url.Values{"enrollment": {"manual"}, "role": {member.ID}}).Expect(t, 303, base)
		b.Get(base).Has(t, "Saved pages.example: manual")

		rivals := "/accounts/" + other.ID + "/domains"
		b.Get(rivals)
		b.Post(rivals+"/"+rival.ID+"/verify", url.Values{"method": {"manual"}}).Expect(t, 422).Has(t, "Another account has already verified this domain")

		staffWithPassword(t, d, e.ws, "help@acme.example", db.RoleSupport, "support password")
		s := e.browser()
		s.SignIn("help@acme.example", "support password")
		s.Get(base).Expect(t, 200).Has(t, "pages.example", "owners and admins add").Lacks(t, `action="`+base+`"`, "Check DNS")
		s.Post(row+"/delete", url.Values{}).Expect(t, 403)

		b.Get(row+"/delete").Expect(t, 200).Has(t, "Remove the domain pages.example?", `action="`+row+`/delete"`)
		b.Post(row+"/delete", url.Values{}).Expect(t, 303, base)
		b.Get(base).Has(t, "Removed pages.example.")
		if _, err := d.AccountDomain(ctx, e.ws.Live(), dom.ID); err == nil {
			t.Fatal("the domain is still there")
		}
	})
}

// TestPortalDomains: in the portal, a member holding org.manage manages
// the account's domains but cannot verify by hand; a member without it is
// offered no link and refused the page.
func TestPortalDomains(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		f := newMemberFixture(t, e.env)
		b, members := e.inPortal(t, f, "olga@members.example")
		members.Has(t, `href="/portal/domains"`)
		b.Get("/portal/domains").Expect(t, 200).Has(t, "Email domains of Members Co").Lacks(t, "Mark verified")
		b.Post("/portal/domains", url.Values{"domain": {"members.example"}, "enrollment": {"suggest"}}).Expect(t, 303, "/portal/domains")
		page := b.Get("/portal/domains").Has(t, "Added members.example")
		page.Lacks(t, `<option value="`+e.roleOf(t, "owner").ID+`"`)
		ds, err := d.ListDomains(context.Background(), e.ws.Live(), f.account, db.Page{Limit: 10})
		if err != nil || len(ds) != 1 {
			t.Fatalf("domains %+v, %v", ds, err)
		}
		b.Post("/portal/domains/"+ds[0].ID+"/verify", url.Values{"method": {"manual"}}).Expect(t, 422).Has(t, "Only the workspace&#39;s staff")

		pb, plain := e.inPortal(t, f, "pia@members.example")
		plain.Lacks(t, `href="/portal/domains"`)
		pb.Get("/portal/domains").Expect(t, 403)
	})
}

// TestDomainActivity: the activity page tells domain events and the
// members a domain join made in words.
func TestDomainActivity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		acct := e.createAccount(e.sk, "Told Co")
		e.verified(t, acct, "told.example", "auto_join", "")
		e.joins(t, signHS256(t, joinClaims("tia@told.example", true, e.ws.WorkspaceID)))
		e.ownerBrowser().Get("/activity?account="+acct).Expect(t, 200).
			Has(t, "added the domain told.example in", "verified the domain told.example in", "Roster, by email domain,", "Email domain verified")
	})
}
