package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// TestBulkWithinTheSeatLimit: bulk items take seats as single invites do,
// counting the batch as it goes; bulk requests racing single invites never
// pass the limit; an item's expires_at is the membership's end
// (lifecycle.md "Bulk changes", "Seat limits").
func TestBulkWithinTheSeatLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		api := webtest.Client{Do: webtest.OverHTTP(60 * time.Second), Base: e.listen()}
		sk := e.key(true, db.KeySecret)
		invite := func(email string) string {
			return fmt.Sprintf(`{"op":"invite","email":%q,"send_email":false}`, email)
		}

		t.Run("the batch counts its own seats", func(t *testing.T) {
			acct := e.seatedAccount(t, sk, "Three seats", 3)
			var items []string
			for i := range 5 {
				items = append(items, invite(fmt.Sprintf("b%d@bulk-seats.example", i)))
			}
			a := e.bulk(t, sk, acct, ops("", items...))
			want := "201, 201, 201, 409 account.seat_limit_reached, 409 account.seat_limit_reached"
			if got := a.statuses(); got != want {
				t.Fatalf("statuses %s, want %s", got, want)
			}
			if u := e.accountOf(t, sk, acct).SeatsUsed; u != 3 {
				t.Fatalf("seats_used %d", u)
			}
			dry := e.bulk(t, sk, acct, ops(`, "dry_run": true`, invite("late@bulk-seats.example")))
			if got := dry.statuses(); got != "409 account.seat_limit_reached" {
				t.Fatalf("a dry run at the limit: %s", got)
			}
		})

		t.Run("bulk racing single invites stops at the limit", func(t *testing.T) {
			const limit = 10
			acct := e.seatedAccount(t, sk, "Ten seats", limit)
			bulkBody := func(w int) string {
				var items []string
				for i := range 8 {
					items = append(items, invite(fmt.Sprintf("w%d-%d@race-seats.example", w, i)))
				}
				return ops("", items...)
			}
			rs := api.Race(t, 12, func(i int) (string, string, string, string) {
				if i < 4 {
					return "POST", "/v1/accounts/" + acct + "/memberships/bulk", sk, bulkBody(i)
				}
				return "POST", "/v1/accounts/" + acct + "/memberships", sk, inviteBody(fmt.Sprintf("s%d@race-seats.example", i))
			})
			kept := 0
			for i, r := range rs {
				if i >= 4 {
					switch {
					case r.Status == 201:
						kept++
					case r.ErrType() != "account.seat_limit_reached":
						t.Fatalf("single invite %d: %d %s", i, r.Status, r.Raw)
					}
					continue
				}
				var a bulkAnswer
				if r.Status != 200 || json.Unmarshal(r.Body.Data, &a) != nil {
					t.Fatalf("bulk %d: %d %s", i, r.Status, r.Raw)
				}
				for _, it := range a.Results {
					switch {
					case it.Status == 201:
						kept++
					case it.Error == nil || it.Error.Type != "account.seat_limit_reached":
						t.Fatalf("bulk %d item %d: %d %+v", i, it.Index, it.Status, it.Error)
					}
				}
			}
			if kept != limit {
				t.Fatalf("%d invitations kept, limit %d", kept, limit)
			}
			if u := e.accountOf(t, sk, acct).SeatsUsed; u != limit {
				t.Fatalf("seats_used %d, limit %d", u, limit)
			}
			if ids := e.listIDs(t, "/v1/accounts/"+acct+"/memberships?limit=100", sk); len(strings.Fields(ids)) != limit {
				t.Fatalf("%d memberships listed, limit %d", len(strings.Fields(ids)), limit)
			}
		})

		t.Run("an item's expires_at", func(t *testing.T) {
			acct := e.createAccount(sk, "Contractors")
			end := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
			a := e.bulk(t, sk, acct, ops("", fmt.Sprintf(`{"op":"invite","email":"c@bulk-seats.example","send_email":false,"expires_at":%q}`, end.Format(time.RFC3339))))
			if a.statuses() != "201" {
				t.Fatalf("invite with an end: %s", a.statuses())
			}
			id := a.Results[0].Data.ID
			m := lifecycleOf(t, e.Call(t, "GET", "/v1/account-memberships/"+id, sk, ""))
			if m.ExpiresAt == nil || *m.ExpiresAt != end.Format(time.RFC3339) {
				t.Fatalf("expires_at %v, want %s", m.ExpiresAt, end.Format(time.RFC3339))
			}
			a = e.bulk(t, sk, acct, ops("", fmt.Sprintf(`{"op":"update","membership_id":%q,"expires_at":null}`, id)))
			if a.statuses() != "200" {
				t.Fatalf("update removing the end: %s", a.statuses())
			}
			if m := lifecycleOf(t, e.Call(t, "GET", "/v1/account-memberships/"+id, sk, "")); m.ExpiresAt != nil {
				t.Fatalf("expires_at %v after removing it", *m.ExpiresAt)
			}
			a = e.bulk(t, sk, acct, ops("", fmt.Sprintf(`{"op":"update","membership_id":%q,"role":"admin"}`, id)))
			if a.statuses() != "200" {
				t.Fatalf("update without expires_at: %s", a.statuses())
			}
		})
	})
}
