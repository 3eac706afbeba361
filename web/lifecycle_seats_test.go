package web_test

import (
	"context"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestSeatsFollowTheLifecycle: a seat follows its membership through
// deactivation, reactivation, expiry and its return, and a membership that
// ends by itself cannot become the owner (lifecycle.md "Seat limits",
// "Memberships that end by themselves", "Transfer of ownership").
func TestSeatsFollowTheLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now().UTC())
		d.Now = clk.Now
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		acct := e.seatedAccount(t, sk, "Two seats", 2)
		e.activeMember(t, sk, acct, "owner@seats.example", "owner", "")
		temp := e.activeMember(t, sk, acct, "temp@seats.example", "member", "")
		path := "/v1/account-memberships/" + temp.ID
		invite := "/v1/accounts/" + acct + "/memberships"
		used := func(want int) {
			t.Helper()
			if got := e.accountOf(t, sk, acct).SeatsUsed; got != want {
				t.Fatalf("seats_used %d, want %d", got, want)
			}
		}
		at := func(d time.Duration) string { return clk.Now().Add(d).Format(time.RFC3339) }
		used(2)
		e.Call(t, "POST", invite, sk, inviteBody("third@seats.example")).Expect(t, 409, "account.seat_limit_reached")

		// Deactivating frees the seat; reactivating needs one.
		e.Call(t, "POST", path+"/deactivate", sk, "").Expect(t, 200, "")
		used(1)
		e.addMember(sk, acct, inviteBody("third@seats.example"))
		used(2)
		e.Call(t, "POST", path+"/reactivate", sk, "").Expect(t, 409, "account.seat_limit_reached")
		e.setSeatLimit(t, sk, acct, "3")
		e.Call(t, "POST", path+"/reactivate", sk, "").Expect(t, 200, "")
		used(3)

		// An expiring member cannot become the owner.
		e.Call(t, "PATCH", path, sk, `{"expires_at":"`+at(time.Hour)+`"}`).Expect(t, 200, "")
		e.Call(t, "POST", "/v1/accounts/"+acct+"/transfer-ownership", sk, `{"to_membership_id":"`+temp.ID+`"}`).
			Expect(t, 409, "ownership.target_expiring")

		// Past its expiry the seat is free at once, before any sweep, and
		// stays free after one; bringing the membership back takes a seat.
		e.setSeatLimit(t, sk, acct, "2")
		clk.Advance(time.Hour + time.Second)
		used(2)
		if _, err := d.SweepMemberships(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
		used(2)
		e.Call(t, "PATCH", path, sk, `{"expires_at":null}`).Expect(t, 409, "account.seat_limit_reached")
		e.setSeatLimit(t, sk, acct, "3")
		r := e.Call(t, "PATCH", path, sk, `{"expires_at":"`+at(48*time.Hour)+`"}`)
		r.Expect(t, 200, "")
		if m := lifecycleOf(t, r); m.Status != "active" {
			t.Fatalf("brought back: %s", r.Raw)
		}
		used(3)
		e.Call(t, "POST", invite, sk, inviteBody("fourth@seats.example")).Expect(t, 409, "account.seat_limit_reached")
	})
}
