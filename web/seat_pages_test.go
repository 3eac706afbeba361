package web_test

import (
	"net/url"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestSeatPages: the members page counts seats, says why an invitation
// is refused for the limit, and staff owners set the limit; support
// staff do neither.
func TestSeatPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		f.b.Get(f.page).Expect(t, 200).Has(t, "0 seats used, no limit", "Change the seat limit")
		f.b.Get(f.page+"/seats").Expect(t, 200).Has(t, "Seat limit of Shop", `name="seat_limit"`)
		f.b.Post(f.page+"/seats", url.Values{"seat_limit": {"two"}, "version": {"1"}}).Expect(t, 422).
			Has(t, "The seat limit must be a whole number")
		f.b.Post(f.page+"/seats", url.Values{"seat_limit": {"-3"}, "version": {"1"}}).Expect(t, 422).
			Has(t, "The seat limit must be null (unlimited) or a whole number")
		f.b.Post(f.page+"/seats", url.Values{"seat_limit": {"2"}, "version": {"1"}}).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "Saved the seat limit", "0 of 2 seats")
		f.b.Post(f.page+"/seats", url.Values{"seat_limit": {"5"}, "version": {"1"}}).Expect(t, 422).
			Has(t, "Someone changed this account meanwhile", `name="version" value="2"`)

		p := f.b.Post(f.page+"/invite", url.Values{"emails": {"a@seat.example, b@seat.example, c@seat.example"}, "role": {"member"}}).Expect(t, 422)
		p.Has(t, "a@seat.example</span>: invited", "c@seat.example</span>: not added: all 2 seats of this account are taken (2 of 2 used)", "2 of 2 seats")

		staffWithPassword(t, d, f.ws, "help@seat.example", db.RoleSupport, "support password")
		b := f.browser()
		b.SignIn("help@seat.example", "support password")
		b.Get(f.page).Expect(t, 200).Has(t, "2 of 2 seats").Lacks(t, "Change the seat limit", "Transfer ownership")
		b.Post(f.page+"/seats", url.Values{"seat_limit": {""}}).Expect(t, 403)
	})
}

// TestTransferPages: staff owners transfer an account's ownership from its
// members page, through a confirmation page without scripts.
func TestTransferPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		owner := f.activeMember(t, f.sk, f.acct, "owner@shop.example", "owner", "")
		next := f.activeMember(t, f.sk, f.acct, "next@shop.example", "member", "")
		invited := f.invited("later@shop.example")
		p := f.b.Get(f.page).Expect(t, 200)
		p.Has(t, f.path(next.ID, "transfer"), "Transfer ownership to next@shop.example").
			Lacks(t, f.path(owner.ID, "transfer"), f.path(invited.ID, "transfer"))
		f.b.Get(f.path(next.ID, "transfer")).Expect(t, 200).Has(t, "Transfer ownership to next@shop.example?", `name="account_version" value="1"`)
		f.b.Post(f.path(next.ID, "transfer"), url.Values{"account_version": {"1"}}).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "next@shop.example is now the owner of the account.")
		if got := f.owners(t, f.sk, f.acct); len(got) != 1 || got[0] != next.ID {
			t.Fatalf("owners %v", got)
		}
		f.b.Post(f.path(owner.ID, "transfer"), url.Values{"account_version": {"1"}}).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "Ownership not transferred: someone changed this account meanwhile")
		f.b.Post(f.path(invited.ID, "transfer"), nil).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "Ownership not transferred: Only an active member can become the owner.")
	})
}

// TestPortalTransfer: in the portal an owner transfers the account's
// ownership; an admin is offered nothing and refused when forging it.
func TestPortalTransfer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		admin, p := e.inPortal(t, f, "adam@members.example")
		admin.CSRF = headerToken(t, p)
		p.Lacks(t, "Transfer ownership")
		admin.Post("/portal/members/"+f.plain.ID+"/transfer", nil).Expect(t, 403).Has(t, "Only an active owner")
		owner, p := e.inPortal(t, f, "olga@members.example")
		p.Has(t, "/portal/members/"+f.plain.ID+"/transfer", "Transfer ownership to pia@members.example").
			Lacks(t, "/portal/members/"+f.owner.ID+"/transfer", "/portal/members/"+f.invite.ID+"/transfer")
		owner.Get("/portal/members/"+f.plain.ID+"/transfer").Expect(t, 200).Has(t, "Transfer ownership to pia@members.example?")
		owner.Post("/portal/members/"+f.plain.ID+"/transfer", url.Values{}).Expect(t, 303, "/portal")
		owner.Get("/portal").Expect(t, 200).Has(t, "pia@members.example is now the owner of the account.").Lacks(t, "Transfer ownership")
		if got := e.owners(t, f.sk, f.account); len(got) != 1 || got[0] != f.plain.ID {
			t.Fatalf("owners %v", got)
		}
	})
}
