package web_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// lifecycleView is what the lifecycle tests read of a membership.
type lifecycleView struct {
	ID                   string   `json:"id"`
	Status               string   `json:"status"`
	ExpiresAt            *string  `json:"expires_at"`
	EffectivePermissions []string `json:"effective_permissions"`
	Version              int64    `json:"version"`
}

// lifecycleOf reads the membership of an answer.
func lifecycleOf(t testing.TB, r response) lifecycleView {
	t.Helper()
	var m lifecycleView
	r.Data(t, &m)
	return m
}

// countEvents counts the events of a type about a membership.
func (e *env) countEvents(t testing.TB, sk, membershipID, typ string) int {
	t.Helper()
	r := e.Call(t, "GET", "/v1/events?limit=100&membership_id="+membershipID+"&type="+typ, sk, "")
	r.Expect(t, 200, "")
	var es []struct {
		Actor struct{ Type string } `json:"actor"`
	}
	r.Data(t, &es)
	return len(es)
}

// listIDs is the ids of a list of memberships, space-separated.
func (e *env) listIDs(t testing.TB, path, sk string) string {
	t.Helper()
	r := e.Call(t, "GET", path, sk, "")
	r.Expect(t, 200, "")
	var ms []lifecycleView
	r.Data(t, &ms)
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return strings.Join(ids, " ")
}

// TestLifecycleDeactivateAPI: deactivate and reactivate on every path,
// their conflicts, no event when nothing changes, the authorization of
// member principals, and what an inactive membership grants: nothing.
func TestLifecycleDeactivateAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		plain := "/v1/account-memberships/" + f.plain.ID
		e.run(t, []apiCase{
			{name: "the last owner stays", method: "POST", path: "/v1/account-memberships/" + f.owner.ID + "/deactivate",
				token: f.sk, status: 409, typ: "membership.last_owner"},
			{name: "an invited one is not active", method: "POST", path: "/v1/account-memberships/" + f.invite.ID + "/deactivate",
				token: f.sk, status: 409, typ: "membership.not_active"},
			{name: "reactivating an invited one", method: "POST", path: "/v1/account-memberships/" + f.invite.ID + "/reactivate",
				token: f.sk, status: 409, typ: "membership.not_active"},
			{name: "an admin member cannot deactivate the owner", method: "POST", path: "/v1/account-memberships/" + f.owner.ID + "/deactivate",
				token: f.adminJWT, status: 403, typ: "forbidden", says: "owner_only"},
			{name: "nor themselves", method: "POST", path: "/v1/account-memberships/" + f.admin.ID + "/deactivate",
				token: f.adminJWT, status: 403, typ: "forbidden", says: "self_change"},
			{name: "a plain member lacks members.manage", method: "POST", path: "/v1/account-memberships/" + f.admin.ID + "/deactivate",
				token: f.plainJWT, status: 403, typ: "forbidden", detail: "required_permission"},
			{name: "under another account", method: "POST", path: "/v1/accounts/" + f.other + "/memberships/" + f.plain.ID + "/deactivate",
				token: f.sk, status: 404, typ: "membership.not_found"},
		})
		e.Call(t, "POST", plain+"/deactivate", f.sk, "", "If-Match", `"999"`).Expect(t, 412, "precondition_failed")

		r := e.Call(t, "POST", "/v1/accounts/"+f.account+"/memberships/"+f.plain.ID+"/deactivate", f.adminJWT, "")
		r.Expect(t, 200, "")
		m := lifecycleOf(t, r)
		if m.Status != "inactive" || len(m.EffectivePermissions) != 0 || r.Header.Get("ETag") == "" {
			t.Fatalf("deactivated: %+v, ETag %q", m, r.Header.Get("ETag"))
		}
		again := lifecycleOf(t, e.Call(t, "POST", "/v1/organizations/"+f.account+"/members/"+f.plain.ID+"/deactivate", f.sk, ""))
		if again.Version != m.Version || e.countEvents(t, f.sk, f.plain.ID, "membership.deactivated") != 1 {
			t.Fatalf("deactivating again changed something: %+v", again)
		}
		if got := e.listIDs(t, "/v1/account-memberships?account_id="+f.account+"&status=inactive", f.sk); got != f.plain.ID {
			t.Fatalf("status=inactive lists %q", got)
		}
		az := e.Call(t, "POST", "/v1/authorize", f.sk, `{"account_id":"`+f.account+`","user_id":"`+f.plain.UserID+`","permission":"members.read"}`)
		az.Expect(t, 200, "")
		if !strings.Contains(az.Raw, `"allowed":false`) || !strings.Contains(az.Raw, `"reason":"inactive"`) {
			t.Fatalf("authorize an inactive member: %s", az.Raw)
		}
		// The member keeps their other account, and loses this one.
		e.Call(t, "GET", "/v1/accounts/"+f.account, f.plainJWT, "").Expect(t, 404, "account.not_found")
		e.Call(t, "GET", "/v1/accounts/"+f.other, f.plainJWT, "").Expect(t, 200, "")

		r = e.Call(t, "POST", "/v1/organizations/"+f.account+"/memberships/"+f.plain.ID+"/reactivate", f.sk, "")
		r.Expect(t, 200, "")
		if m := lifecycleOf(t, r); m.Status != "active" || len(m.EffectivePermissions) == 0 {
			t.Fatalf("reactivated: %+v", m)
		}
		e.Call(t, "POST", plain+"/reactivate", f.sk, "").Expect(t, 200, "")
		if n := e.countEvents(t, f.sk, f.plain.ID, "membership.reactivated"); n != 1 {
			t.Fatalf("%d membership.reactivated events", n)
		}
		e.Call(t, "GET", "/v1/accounts/"+f.account, f.plainJWT, "").Expect(t, 200, "")
		e.Call(t, "POST", "/v1/account-memberships/am_nope/deactivate", f.sk, "").Expect(t, 404, "membership.not_found")

		// Reactivating gives back what the membership grants: a member
		// may not give back a permission they lack themselves.
		e.Call(t, "POST", "/v1/permissions", f.sk, `{"key":"reports.export"}`).Expect(t, 201, "")
		e.Call(t, "PATCH", plain, f.sk, `{"add_permissions":["reports.export"]}`).Expect(t, 200, "")
		e.Call(t, "POST", plain+"/deactivate", f.sk, "").Expect(t, 200, "")
		e.run(t, []apiCase{{name: "an admin member cannot give back what they lack", method: "POST", path: plain + "/reactivate",
			token: f.adminJWT, status: 403, typ: "forbidden", says: "escalation"}})
		if m := lifecycleOf(t, e.Call(t, "GET", plain, f.sk, "")); m.Status != "inactive" {
			t.Fatalf("after the refusal: %+v", m)
		}
		e.Call(t, "POST", plain+"/reactivate", f.sk, "").Expect(t, 200, "")

		// These actions take no body: {} or nothing.
		e.Call(t, "POST", plain+"/deactivate", f.sk, `{"reason":"left"}`).Expect(t, 400, "validation_error")
		e.Call(t, "POST", plain+"/deactivate", f.sk, "left", "Content-Type", "text/plain").Expect(t, 415, "unsupported_media_type")
		if m := lifecycleOf(t, e.Call(t, "GET", plain, f.sk, "")); m.Status != "active" {
			t.Fatalf("a refused deactivation deactivated: %+v", m)
		}
		e.Call(t, "POST", plain+"/deactivate", f.sk, `{}`).Expect(t, 200, "")
	})
}

// TestLifecycleExpiryAPI: expires_at on invite, PUT and PATCH, its
// refusals, the filters, and the read-time expiry once the clock passes
// it (no sweep has run), then the way back.
func TestLifecycleExpiryAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now().UTC())
		d.Now = clk.Now
		e := newEnv(t, d)
		e.srv.Sweeper().Stop() // the test tells read-time expiry from the sweep's
		f := newMemberFixture(t, e)
		at := func(d time.Duration) string { return clk.Now().Add(d).Format(time.RFC3339) }
		members := "/v1/account-memberships?account_id=" + f.account
		plain := "/v1/account-memberships/" + f.plain.ID
		e.run(t, []apiCase{
			{name: "30 seconds ahead", method: "POST", path: members, token: f.sk,
				body: `{"email":"x@example.com","expires_at":"` + at(30*time.Second) + `"}`, status: 400, typ: "validation_error", detail: "expires_at"},
			{name: "not a time", method: "POST", path: members, token: f.sk,
				body: `{"email":"x@example.com","expires_at":"tomorrow"}`, status: 400, typ: "validation_error", detail: "expires_at"},
			{name: "not a string", method: "PATCH", path: plain, token: f.sk,
				body: `{"expires_at":5}`, status: 400, typ: "validation_error", detail: "expires_at"},
			{name: "an owner cannot expire", method: "POST", path: members, token: f.sk,
				body: `{"email":"o@example.com","role":"owner","expires_at":"` + at(time.Hour) + `"}`, status: 409, typ: "membership.owner_cannot_expire"},
			{name: "nor an existing owner", method: "PATCH", path: "/v1/account-memberships/" + f.owner.ID, token: f.sk,
				body: `{"expires_at":"` + at(time.Hour) + `"}`, status: 409, typ: "membership.owner_cannot_expire"},
			{name: "a bad expires_before", method: "GET", path: members + "&expires_before=soon", token: f.sk, status: 400, typ: "validation_error", detail: "expires_before"},
			{name: "an unknown status", method: "GET", path: members + "&status=gone", token: f.sk, status: 400, typ: "validation_error", detail: "status"},
		})
		invited := e.Call(t, "POST", members, f.sk, `{"email":"tmp@example.com","send_email":false,"expires_at":"`+at(3*time.Hour)+`"}`)
		invited.Expect(t, 201, "")
		if m := lifecycleOf(t, invited); m.ExpiresAt == nil || m.Status != "invited" {
			t.Fatalf("invited with an expiry: %s", invited.Raw)
		}
		r := e.Call(t, "PUT", plain, f.sk, `{"permissions":[],"expires_at":"`+at(2*time.Hour)+`"}`)
		r.Expect(t, 200, "")
		if m := lifecycleOf(t, r); m.ExpiresAt == nil || m.Status != "active" {
			t.Fatalf("PUT with an expiry: %s", r.Raw)
		}
		e.Call(t, "PATCH", plain, f.sk, `{"role":"owner"}`).Expect(t, 409, "membership.owner_cannot_expire")
		if got := e.listIDs(t, members+"&expires_before="+at(150*time.Minute), f.sk); got != f.plain.ID {
			t.Fatalf("expires_before lists %q", got)
		}

		clk.Advance(2*time.Hour + time.Second)
		r = e.Call(t, "GET", plain, f.sk, "")
		if m := lifecycleOf(t, r); m.Status != "expired" || len(m.EffectivePermissions) != 0 {
			t.Fatalf("past its expiry: %s", r.Raw)
		}
		if got := e.listIDs(t, members+"&status=expired", f.sk); got != f.plain.ID {
			t.Fatalf("status=expired lists %q", got)
		}
		if got := e.listIDs(t, members+"&status=active", f.sk); strings.Contains(got, f.plain.ID) {
			t.Fatalf("status=active lists the expired one: %q", got)
		}
		az := e.Call(t, "POST", "/v1/authorize", f.sk, `{"account_id":"`+f.account+`","email":"pia@members.example","permission":"members.read"}`)
		if !strings.Contains(az.Raw, `"allowed":false`) || !strings.Contains(az.Raw, `"reason":"expired"`) || !strings.Contains(az.Raw, `"status":"expired"`) {
			t.Fatalf("authorize past the expiry: %s", az.Raw)
		}
		e.Call(t, "GET", "/v1/accounts/"+f.account, f.plainJWT, "").Expect(t, 404, "account.not_found")
		e.Call(t, "POST", plain+"/deactivate", f.sk, "").Expect(t, 409, "membership.not_active")

		r = e.Call(t, "PATCH", plain, f.sk, `{"expires_at":null}`)
		r.Expect(t, 200, "")
		if m := lifecycleOf(t, r); m.Status != "active" || m.ExpiresAt != nil {
			t.Fatalf("expiry removed: %s", r.Raw)
		}
		e.Call(t, "GET", "/v1/accounts/"+f.account, f.plainJWT, "").Expect(t, 200, "")
		if n := e.countEvents(t, f.sk, f.plain.ID, "membership.expired"); n != 0 {
			t.Fatalf("%d membership.expired events without a sweep", n)
		}
	})
}

// TestLifecycleExpiryMidRequest: a member principal whose membership
// expires between the request's authentication and its read is refused
// by that read: nothing is cached past the moment.
func TestLifecycleExpiryMidRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.srv.Sweeper().Stop() // only the request reads the clock
		f := newMemberFixture(t, e)
		expiry := time.Now().UTC().Add(time.Hour)
		e.Call(t, "PATCH", "/v1/account-memberships/"+f.admin.ID, f.sk, `{"expires_at":"`+expiry.Format(time.RFC3339)+`"}`).Expect(t, 200, "")
		e.Call(t, "GET", "/v1/accounts/"+f.account+"/memberships", f.adminJWT, "").Expect(t, 200, "")

		// From the second reading of the clock on, the expiry has passed:
		// the first is the authentication's.
		var readings atomic.Int64
		d.Now = func() time.Time {
			if readings.Add(1) == 1 {
				return time.Now()
			}
			return expiry.Add(time.Second)
		}
		e.Call(t, "GET", "/v1/accounts/"+f.account+"/memberships", f.adminJWT, "").Expect(t, 404, "account.not_found")
		if readings.Load() < 2 {
			t.Fatalf("the request read the clock %d times", readings.Load())
		}
		d.Now = nil
		e.Call(t, "GET", "/v1/accounts/"+f.account+"/memberships", f.adminJWT, "").Expect(t, 200, "")
	})
}

// TestLifecycleTwoSweepers: two servers on one database sweep at once:
// each expired membership gets one membership.expired by the system and
// each near one one membership.expiring and one email.
func TestLifecycleTwoSweepers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := dbtest.NewClock(time.Now().UTC())
		d.Now = clk.Now
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		other, err := web.New(context.Background(), d, web.Config{BaseURL: "http://roster.test",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Shutdown(time.Second) })
		ids := []string{f.admin.ID, f.plain.ID}
		for i, id := range ids {
			at := clk.Now().Add(time.Duration(i+1) * 24 * time.Hour * 10).Format(time.RFC3339)
			e.Call(t, "PATCH", "/v1/account-memberships/"+id, f.sk, `{"expires_at":"`+at+`"}`).Expect(t, 200, "")
		}
		clk.Advance(15 * 24 * time.Hour) // the admin's expired, the plain member's near
		var wg sync.WaitGroup
		for _, s := range []*web.Sweeper{e.srv.Sweeper(), other.Sweeper(), e.srv.Sweeper()} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Sweep(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		r := e.Call(t, "GET", "/v1/events?membership_id="+f.admin.ID+"&type=membership.expired", f.sk, "")
		if !strings.Contains(r.Raw, `"actor":{"type":"system"`) || e.countEvents(t, f.sk, f.admin.ID, "membership.expired") != 1 {
			t.Fatalf("the admin's membership.expired: %s", r.Raw)
		}
		if n := e.countEvents(t, f.sk, f.plain.ID, "membership.expiring"); n != 1 {
			t.Fatalf("%d membership.expiring events of the plain member", n)
		}
		if n := e.countEvents(t, f.sk, f.plain.ID, "membership.expired"); n != 0 {
			t.Fatalf("the plain member expired early")
		}
		if m := lifecycleOf(t, e.Call(t, "GET", "/v1/account-memberships/"+f.admin.ID, f.sk, "")); m.Status != "expired" {
			t.Fatalf("the admin is %s", m.Status)
		}
		// Sent or not yet (the server's dispatcher may have sent it).
		var told int
		if err := d.Get(&told, d.Rebind(`SELECT COUNT(*) FROM outbox WHERE workspace_id = ? AND membership_id = ? AND subject LIKE ?`),
			e.ws.WorkspaceID, f.plain.ID, "%ends on%"); err != nil {
			t.Fatal(err)
		}
		if told != 1 {
			t.Fatalf("%d expiry emails to the plain member", told)
		}
	})
}
