package db_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestSQLiteSeatPlans: the seats an account's reads subtract (its lapsed
// ones) are counted from account_memberships_seats, never by a walk of
// the account's memberships.
func TestSQLiteSeatPlans(t *testing.T) {
	if !slices.Contains(dbtest.Dialects(t), db.SQLite) {
		t.Skip("SQLite is not among ROSTER_TEST_DIALECTS")
	}
	d := dbtest.Open(t, db.SQLite)
	if text := sqlitePlan(t, d, db.LapsedSeatsSQL, "ws", true, "acct", time.Now()); !strings.Contains(text, "INDEX account_memberships_seats ") || !strings.Contains(text, "seat_until<?") {
		t.Errorf("the lapsed seats are not counted from account_memberships_seats:\n%s", text)
	}
}

// sqlitePlan is SQLite's plan of a query, a line a step.
func sqlitePlan(t *testing.T, d *db.DB, query string, args ...any) string {
	t.Helper()
	rows, err := d.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n")
}

// TestSeatCounter: the counter the limit is checked against stays the
// number of memberships holding a seat through invitations, lapses,
// acceptances and removals.
func TestSeatCounter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := dbtest.Workspace(t, d, "Seats")
		ctx, sc := context.Background(), f.Live()
		limit := 2
		a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Counted", SeatLimit: &limit})
		if err != nil {
			t.Fatal(err)
		}
		invite := func(email string) (db.Membership, error) {
			m, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: email})
			return m, err
		}
		held := func() (counter, holders int) {
			t.Helper()
			if err := d.Get(&counter, d.Rebind(`SELECT seats_held FROM accounts WHERE id = ?`), a.ID); err != nil {
				t.Fatal(err)
			}
			if err := d.Get(&holders, d.Rebind(`SELECT COUNT(*) FROM account_memberships WHERE account_id = ? AND holds_seat`), a.ID); err != nil {
				t.Fatal(err)
			}
			return counter, holders
		}
		first, err := invite("one@seats.example")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := invite("two@seats.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := invite("three@seats.example"); !errors.Is(err, db.ErrSeatLimitReached) {
			t.Fatalf("third invitation: %v", err)
		}
		if _, err := d.Exec(d.Rebind(`UPDATE account_memberships SET seat_until = ? WHERE id = ?`), time.Now().Add(-time.Minute).UTC(), first.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.Account(ctx, sc, a.ID); got.SeatsUsed != 1 {
			t.Fatalf("seats_used %d with one seat lapsed", got.SeatsUsed)
		}
		third, err := invite("three@seats.example")
		if err != nil {
			t.Fatal(err)
		}
		if c, h := held(); c != 2 || h != 2 {
			t.Fatalf("counter %d, holders %d", c, h)
		}
		if err := d.DeleteMembership(ctx, sc, db.MembershipRef{ID: first.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeInvitation(ctx, sc, db.MembershipRef{ID: third.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if c, h := held(); c != 1 || h != 1 {
			t.Fatalf("after removals: counter %d, holders %d", c, h)
		}
	})
}
