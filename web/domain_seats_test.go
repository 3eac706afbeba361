package web_test

import (
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestDomainJoinRespectsSeatLimit: a join by domain takes a seat like any
// other new member; with none left it is refused, saying why, and makes
// no membership (lifecycle.md "Seat limits", "Joining by email domain").
func TestDomainJoinRespectsSeatLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		acct := e.createAccount(e.sk, "Full Co")
		e.activeMember(t, e.sk, acct, "olga@full.example", "owner", "")
		e.setSeatLimit(t, e.sk, acct, "1")
		e.verified(t, acct, "full.example", "auto_join", "")

		nina := signHS256(t, joinClaims("nina@full.example", true, e.ws.WorkspaceID))
		js := e.joins(t, nina)
		if len(js) != 1 || js[0].Result != "refused" || js[0].Reason == nil || *js[0].Reason != "seat_limit_reached" || js[0].MembershipID != nil {
			t.Fatalf("a join past the seat limit: %+v", js)
		}
		if a := e.accountOf(t, e.sk, acct); a.SeatsUsed != 1 {
			t.Fatalf("seats_used %d after a refused join", a.SeatsUsed)
		}
		e.setSeatLimit(t, e.sk, acct, "2")
		if js := e.joins(t, nina); len(js) != 1 || js[0].Result != "joined" || js[0].MembershipID == nil {
			t.Fatalf("a join with a seat free: %+v", js)
		}
		if a := e.accountOf(t, e.sk, acct); a.SeatsUsed != 2 {
			t.Fatalf("seats_used %d after the join", a.SeatsUsed)
		}
	})
}
