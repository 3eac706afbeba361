package db_test

import (
	"context"
	"fmt"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestMembershipChangesStayInTheirPage: on PostgreSQL the pages of
// account_memberships keep room (migration 00018), so that the first
// change of a row in a page that inserts filled writes the new row into
// the same page (a HOT update, touching none of the table's indexes).
func TestMembershipChangesStayInTheirPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect != db.Postgres {
			t.Skip("SQLite writes a changed row where it was, whatever the page")
		}
		changeStaysInItsPage(t, d)
	})
}

// changeStaysInItsPage fills the first page of account_memberships and
// changes the page's first membership.
func changeStaysInItsPage(t *testing.T, d *db.DB) {
	ctx := context.Background()
	_, sc, acct := shopFixture(t, d)
	var first db.Membership
	for i := 0; ; i++ { // fill the table's first page, and begin its second
		m := invite(t, d, sc, acct.ID, fmt.Sprintf("member%03d@example.com", i), db.NewMembership{Role: "member"})
		if i == 0 {
			first = m
		}
		var pages int
		if err := d.GetContext(ctx, &pages, `SELECT COUNT(DISTINCT (ctid::text::point)[0]) FROM account_memberships`); err != nil {
			t.Fatal(err)
		}
		if pages > 1 {
			break
		}
	}
	page := func() string {
		var p string
		if err := d.GetContext(ctx, &p, `SELECT (ctid::text::point)[0]::text FROM account_memberships WHERE id = $1`, first.ID); err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := page()
	add := []string{"billing.manage"}
	if _, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: first.ID}, db.MembershipChange{Add: add}); err != nil {
		t.Fatal(err)
	}
	if after := page(); after != before {
		t.Errorf("the changed membership moved from page %s to page %s: its page had no room", before, after)
	}
}
