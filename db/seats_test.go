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

// TestLapsedSeatTakenAgain: resending an invitation whose seat has lapsed
// takes a seat again within the limit, as any new seat; it does not
// revive the lapsed one past a limit lowered meanwhile.
func TestLapsedSeatTakenAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := dbtest.Workspace(t, d, "Seats")
		ctx, sc := context.Background(), f.Live()
		limit := 1
		a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Lapsing", SeatLimit: &limit})
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: "late@seats.example"})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE account_memberships SET seat_until = ? WHERE id = ?`, `UPDATE invitations SET expires_at = ? WHERE membership_id = ?`} {
			if _, err := d.Exec(d.Rebind(q), time.Now().Add(-time.Minute).UTC(), m.ID); err != nil {
				t.Fatal(err)
			}
		}
		resend := func() error {
			_, err := d.ResendInvitation(ctx, sc, db.MembershipRef{ID: m.ID}, func(string) string { return "" })
			return err
		}
		if _, err := d.Exec(d.Rebind(`UPDATE accounts SET seat_limit = 0 WHERE id = ?`), a.ID); err != nil {
			t.Fatal(err)
		}
		if err := resend(); !errors.Is(err, db.ErrSeatLimitReached) {
			t.Fatalf("resend past a limit of 0: %v", err)
		}
		if _, err := d.Exec(d.Rebind(`UPDATE accounts SET seat_limit = 1 WHERE id = ?`), a.ID); err != nil {
			t.Fatal(err)
		}
		if err := resend(); err != nil {
			t.Fatalf("resend within the limit: %v", err)
		}
		if got, err := d.Account(ctx, sc, a.ID); err != nil || got.SeatsUsed != 1 {
			t.Fatalf("seats_used %d (%v) after the resend", got.SeatsUsed, err)
		}
	})
}

// TestSeatsMigration: migration 13 gives the seats of the memberships
// already there: active ones, and invited ones whose invitation has not
// expired (until it expires); an expired invitation holds none.
func TestSeatsMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Before")
		sc := f.Live()
		a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Older"})
		if err != nil {
			t.Fatal(err)
		}
		add := func(in db.NewMembership) db.Membership {
			m, _, err := d.CreateMembership(ctx, sc, a.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		active := add(db.NewMembership{StaffID: f.StaffID})
		pending := add(db.NewMembership{Email: "pending@before.example"})
		lapsed := add(db.NewMembership{Email: "lapsed@before.example"})
		if _, err := d.Exec(d.Rebind(`UPDATE invitations SET expires_at = ? WHERE membership_id = ?`), time.Now().Add(-time.Hour).UTC(), lapsed.ID); err != nil {
			t.Fatal(err)
		}
		if err := d.MigrateDownTo(ctx, 11); err != nil {
			t.Fatal(err)
		}
		if err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := d.Account(ctx, sc, a.ID)
		if err != nil || got.SeatsUsed != 2 || got.SeatLimit != nil || got.Version != 1 {
			t.Fatalf("account after the migration: %+v %v", got, err)
		}
		var holders []struct {
			ID        string     `db:"id"`
			SeatUntil *time.Time `db:"seat_until"`
		}
		if err := d.Select(&holders, d.Rebind(`SELECT id, seat_until FROM account_memberships WHERE account_id = ? AND holds_seat ORDER BY id`), a.ID); err != nil {
			t.Fatal(err)
		}
		if len(holders) != 2 || holders[0].ID != active.ID || holders[0].SeatUntil != nil ||
			holders[1].ID != pending.ID || holders[1].SeatUntil == nil || !holders[1].SeatUntil.Equal(pending.Invitation.ExpiresAt) {
			t.Fatalf("seat holders %+v", holders)
		}
	})
}
