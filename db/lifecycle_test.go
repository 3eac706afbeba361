package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// withClock gives the database a clock starting now.
func withClock(d *db.DB) *dbtest.Clock {
	c := dbtest.NewClock(time.Now().UTC())
	d.Now = c.Now
	return c
}

// lifecycleAccount is a workspace with an account whose owner is active.
func lifecycleAccount(t *testing.T, d *db.DB) (db.Scope, db.Account, db.Membership) {
	t.Helper()
	_, sc, a := shopFixture(t, d)
	return sc, a, activeMember(t, d, sc, a.ID, "owner@shop.example", "owner")
}

// eventsOf counts a membership's events of a type.
func eventsOf(t *testing.T, d *db.DB, sc db.Scope, membershipID, typ string) int {
	t.Helper()
	es, err := d.ListEvents(context.Background(), sc, db.EventFilter{MembershipID: membershipID, Type: typ}, db.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// wantType fails unless err is a domain error of the type.
func wantType(t *testing.T, err error, typ string) {
	t.Helper()
	var de *db.Error
	if !errors.As(err, &de) || de.Type != typ {
		t.Fatalf("got %v, want %s", err, typ)
	}
}

// authorized asks whether the membership's user holds members.read.
func authorized(t *testing.T, d *db.DB, sc db.Scope, m db.Membership) db.Authorization {
	t.Helper()
	a, err := d.Authorize(context.Background(), sc, db.AuthorizationQuestion{
		AccountID: m.AccountID, UserID: m.UserID, Permissions: []string{db.PermMembersRead}, Field: "permission"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDeactivateAndReactivate: an inactive membership keeps its role and
// permissions but grants nothing; each change writes its event once; the
// rules of not_active and last_owner hold.
func TestDeactivateAndReactivate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc, a, owner := lifecycleAccount(t, d)
		bob := activeMember(t, d, sc, a.ID, "bob@example.com", "member", "billing.manage")
		ref := db.MembershipRef{ID: bob.ID}

		m, err := d.Deactivate(ctx, sc, ref, nil)
		if err != nil || m.Status != db.StatusInactive || len(m.EffectivePermissions) != 0 ||
			m.Role.Slug != "member" || fmt.Sprint(m.Permissions) != "[billing.manage]" || m.Version != bob.Version+1 {
			t.Fatalf("deactivated: %+v, %v", m, err)
		}
		if got := authorized(t, d, sc, bob); got.Allowed || got.Reason == nil || *got.Reason != db.ReasonInactive || *got.Status != db.StatusInactive {
			t.Fatalf("authorize an inactive member: %+v", got)
		}
		again, err := d.Deactivate(ctx, sc, ref, nil)
		if err != nil || again.Version != m.Version || eventsOf(t, d, sc, bob.ID, "membership.deactivated") != 1 {
			t.Fatalf("deactivating again: version %d, %v, events %d", again.Version, err, eventsOf(t, d, sc, bob.ID, "membership.deactivated"))
		}
		if _, err := d.Deactivate(ctx, sc, ref, db.IfMatch{1}); !errors.Is(err, db.ErrStale) {
			t.Fatalf("a stale If-Match: %v", err)
		}
		ms, err := d.ListMemberships(ctx, sc, a.ID, db.MembershipFilter{Status: db.StatusInactive}, db.Page{Limit: 10})
		if err != nil || len(ms) != 1 || ms[0].ID != bob.ID {
			t.Fatalf("status=inactive lists %v, %v", ms, err)
		}

		m, err = d.Reactivate(ctx, sc, ref, nil)
		if err != nil || m.Status != db.StatusActive || fmt.Sprint(m.EffectivePermissions) != "[billing.manage billing.read members.read]" {
			t.Fatalf("reactivated: %+v, %v", m, err)
		}
		if _, err := d.Reactivate(ctx, sc, ref, nil); err != nil || eventsOf(t, d, sc, bob.ID, "membership.reactivated") != 1 {
			t.Fatalf("reactivating again: %v, events %d", err, eventsOf(t, d, sc, bob.ID, "membership.reactivated"))
		}
		if got := authorized(t, d, sc, bob); !got.Allowed {
			t.Fatalf("authorize a reactivated member: %+v", got)
		}

		invited := invite(t, d, sc, a.ID, "carol@example.com", db.NewMembership{})
		_, err = d.Deactivate(ctx, sc, db.MembershipRef{ID: invited.ID}, nil)
		wantType(t, err, "membership.not_active")
		_, err = d.Reactivate(ctx, sc, db.MembershipRef{ID: invited.ID}, nil)
		wantType(t, err, "membership.not_active")
		_, err = d.Deactivate(ctx, sc, db.MembershipRef{ID: owner.ID}, nil)
		wantType(t, err, "membership.last_owner")
		_, err = d.Deactivate(ctx, sc, db.MembershipRef{AccountID: a.ID, ID: "am_nope"}, nil)
		wantType(t, err, "membership.not_found")
	})
}

// TestMembersDeactivateWithinTheirLimits: a member principal with
// members.manage deactivates whom it could edit, nobody else; a member
// whose membership is inactive loses the account.
func TestMembersDeactivateWithinTheirLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc, a, owner := lifecycleAccount(t, d)
		manager := activeMember(t, d, sc, a.ID, "ann@example.com", "member", db.PermMembersManage)
		plain := activeMember(t, d, sc, a.ID, "bob@example.com", "member")
		asManager := db.Scope{WorkspaceID: sc.WorkspaceID, Live: sc.Live, Member: manager.UserID}
		asPlain := db.Scope{WorkspaceID: sc.WorkspaceID, Live: sc.Live, Member: plain.UserID}

		_, err := d.Deactivate(ctx, asPlain, db.MembershipRef{ID: manager.ID}, nil)
		var de *db.Error
		if !errors.As(err, &de) || de.Details["required_permission"] != db.PermMembersManage {
			t.Fatalf("a member without members.manage: %v", err)
		}
		for _, c := range []struct {
			id, reason string
		}{{manager.ID, db.ReasonSelfChange}, {owner.ID, db.ReasonOwnerOnly}} {
			_, err := d.Deactivate(ctx, asManager, db.MembershipRef{ID: c.id}, nil)
			if !errors.As(err, &de) || de.Details["reason"] != c.reason {
				t.Fatalf("deactivating %s: %v, want %s", c.id, err, c.reason)
			}
		}
		if _, err := d.Deactivate(ctx, asManager, db.MembershipRef{ID: plain.ID}, nil); err != nil {
			t.Fatal(err)
		}
		es, err := d.ListEvents(ctx, sc, db.EventFilter{MembershipID: plain.ID, Type: "membership.deactivated"}, db.Page{Limit: 10})
		if err != nil || len(es) != 1 || es[0].Actor.Type != "member" || es[0].Actor.ID != manager.ID {
			t.Fatalf("the event names the member: %+v, %v", es, err)
		}
		if _, err := d.Account(ctx, asPlain, a.ID); !errors.Is(err, db.ErrAccountNotFound) {
			t.Fatalf("an inactive member reads the account: %v", err)
		}
		if _, err := d.Reactivate(ctx, asManager, db.MembershipRef{ID: plain.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Account(ctx, asPlain, a.ID); err != nil {
			t.Fatalf("a reactivated member: %v", err)
		}
	})
}

// TestExpiryRules: expires_at is at least a minute ahead, never an
// owner's; once it passes the membership reads expired and grants nothing
// at once, lists filter it, and moving it later brings it back.
func TestExpiryRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := withClock(d)
		sc, a, owner := lifecycleAccount(t, d)

		soon := clk.Now().Add(30 * time.Second)
		_, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: "x@example.com", ExpiresAt: &soon})
		var in *db.InvalidInput
		if !errors.As(err, &in) || in.Fields["expires_at"] == "" {
			t.Fatalf("an expiry 30 s ahead: %v", err)
		}
		later := clk.Now().Add(time.Hour)
		_, _, err = d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: "y@example.com", Role: "owner", ExpiresAt: &later})
		wantType(t, err, "membership.owner_cannot_expire")
		_, err = d.UpdateMembership(ctx, sc, db.MembershipRef{ID: owner.ID}, db.MembershipChange{Expiry: &db.Expiry{At: &later}})
		wantType(t, err, "membership.owner_cannot_expire")

		ten := clk.Now().Add(10 * 24 * time.Hour)
		bob := activeMember(t, d, sc, a.ID, "bob@example.com", "member")
		bob, err = d.UpdateMembership(ctx, sc, db.MembershipRef{ID: bob.ID}, db.MembershipChange{Expiry: &db.Expiry{At: &ten}})
		if err != nil || bob.ExpiresAt == nil || !bob.ExpiresAt.Equal(ten.Truncate(time.Microsecond)) || bob.Status != db.StatusActive {
			t.Fatalf("set an expiry: %+v, %v", bob, err)
		}
		_, err = d.UpdateMembership(ctx, sc, db.MembershipRef{ID: bob.ID}, db.MembershipChange{Role: "owner"})
		wantType(t, err, "membership.owner_cannot_expire")

		list := func(f db.MembershipFilter) string {
			ms, err := d.ListMemberships(ctx, sc, a.ID, f, db.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			return strings.Join(ids, " ")
		}
		if got := list(db.MembershipFilter{Status: db.StatusActive}); got != owner.ID+" "+bob.ID {
			t.Fatalf("status=active before the expiry: %s", got)
		}
		eleven := clk.Now().Add(11 * 24 * time.Hour)
		if got := list(db.MembershipFilter{ExpiresBefore: &eleven}); got != bob.ID {
			t.Fatalf("expires_before: %s", got)
		}

		clk.Advance(10*24*time.Hour + time.Second) // past it; no sweep has run
		m, err := d.Membership(ctx, sc, db.MembershipRef{ID: bob.ID})
		if err != nil || m.Status != db.StatusExpired || len(m.EffectivePermissions) != 0 {
			t.Fatalf("read past the expiry: %s %v, %v", m.Status, m.EffectivePermissions, err)
		}
		if got := authorized(t, d, sc, bob); got.Allowed || *got.Reason != db.ReasonExpired || *got.Status != db.StatusExpired {
			t.Fatalf("authorize past the expiry: %+v", got)
		}
		if got := list(db.MembershipFilter{Status: db.StatusExpired}); got != bob.ID {
			t.Fatalf("status=expired before the sweep: %q", got)
		}
		if got := list(db.MembershipFilter{Status: db.StatusActive}); got != owner.ID {
			t.Fatalf("status=active past the expiry: %q", got)
		}
		asBob := db.Scope{WorkspaceID: sc.WorkspaceID, Live: sc.Live, Member: bob.UserID}
		if _, err := d.Account(ctx, asBob, a.ID); !errors.Is(err, db.ErrAccountNotFound) {
			t.Fatalf("an expired member reads the account: %v", err)
		}
		_, err = d.Deactivate(ctx, sc, db.MembershipRef{ID: bob.ID}, nil)
		wantType(t, err, "membership.not_active")

		if _, err := d.SweepMemberships(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if got := list(db.MembershipFilter{Status: db.StatusExpired}); got != bob.ID {
			t.Fatalf("status=expired after the sweep: %q", got)
		}
		back := clk.Now().Add(48 * time.Hour)
		m, err = d.UpdateMembership(ctx, sc, db.MembershipRef{ID: bob.ID}, db.MembershipChange{Expiry: &db.Expiry{At: &back}})
		if err != nil || m.Status != db.StatusActive || len(m.EffectivePermissions) == 0 {
			t.Fatalf("moved later: %+v, %v", m, err)
		}
		es, err := d.ListEvents(ctx, sc, db.EventFilter{MembershipID: bob.ID, Type: "membership.updated"}, db.Page{Limit: 1})
		if err != nil || len(es) == 0 || !strings.Contains(string(es[0].PreviousAttributes), `"status":"expired"`) {
			t.Fatalf("the event of bringing it back: %v", err)
		}
		if got := authorized(t, d, sc, bob); !got.Allowed {
			t.Fatalf("authorize once back: %+v", got)
		}
		m, err = d.UpdateMembership(ctx, sc, db.MembershipRef{ID: bob.ID}, db.MembershipChange{Expiry: &db.Expiry{}})
		if err != nil || m.ExpiresAt != nil || m.Status != db.StatusActive {
			t.Fatalf("expiry removed: %+v, %v", m, err)
		}
	})
}

// TestConcurrentSweeps: two sweeps at once store each expiry and write
// each membership.expired and membership.expiring exactly once, with the
// system as their actor, and queue one email per notice.
func TestConcurrentSweeps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := withClock(d)
		sc, a, _ := lifecycleAccount(t, d)
		var expiring, near []db.Membership
		for i := range 6 {
			m := activeMember(t, d, sc, a.ID, fmt.Sprintf("p%d@example.com", i), "member")
			at := clk.Now().Add(time.Duration(i+1) * time.Hour)
			if i%2 == 1 {
				at = clk.Now().Add(20 * 24 * time.Hour) // near only after the clock moves
				near = append(near, m)
			} else {
				expiring = append(expiring, m)
			}
			if _, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: m.ID}, db.MembershipChange{Expiry: &db.Expiry{At: &at}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range expiring { // set inside the last seven days: told at once
			if n := eventsOf(t, d, sc, m.ID, "membership.expiring"); n != 1 {
				t.Fatalf("%s: %d membership.expiring events when set", m.ID, n)
			}
		}
		for _, m := range near {
			if n := eventsOf(t, d, sc, m.ID, "membership.expiring"); n != 0 {
				t.Fatalf("%s: told 20 days ahead", m.ID)
			}
		}
		clk.Advance(14 * 24 * time.Hour) // the first ones expired, the others near
		sweepTwice(t, d)
		sweepTwice(t, d)
		for _, m := range expiring {
			es, err := d.ListEvents(ctx, sc, db.EventFilter{MembershipID: m.ID, Type: "membership.expired"}, db.Page{Limit: 10})
			if err != nil || len(es) != 1 || es[0].Actor.Type != "system" {
				t.Fatalf("%s: membership.expired events %+v, %v", m.ID, es, err)
			}
			if n := eventsOf(t, d, sc, m.ID, "membership.expiring"); n != 1 {
				t.Fatalf("%s: %d membership.expiring events", m.ID, n)
			}
		}
		for _, m := range near {
			if n := eventsOf(t, d, sc, m.ID, "membership.expiring"); n != 1 {
				t.Fatalf("%s: %d membership.expiring events after two sweeps", m.ID, n)
			}
			if n := eventsOf(t, d, sc, m.ID, "membership.expired"); n != 0 {
				t.Fatalf("%s: expired early", m.ID)
			}
		}
		emails, err := d.PendingEmails(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, e := range emails {
			if strings.Contains(e.Subject, "Your membership of Shop ends on") {
				told++
			}
		}
		if told != len(expiring)+len(near) {
			t.Fatalf("%d expiry emails, want %d", told, len(expiring)+len(near))
		}
	})
}

// sweepTwice runs two sweeps at once.
func sweepTwice(t *testing.T, d *db.DB) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.SweepMemberships(context.Background(), 100)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestLifecycleSQLitePlans: the lists filtered by expiry and the sweeper's
// reads go through their indexes, whatever the size of the account.
func TestLifecycleSQLitePlans(t *testing.T) {
	if !slices.Contains(dbtest.Dialects(t), db.SQLite) {
		t.Skip("SQLite is not among ROSTER_TEST_DIALECTS")
	}
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	sc, a, _ := lifecycleAccount(t, d)
	var sent []string
	d.OnStatement(func(q string) {
		if strings.Contains(q, "expires_at") && strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
			sent = append(sent, q)
		}
	})
	soon := time.Now().Add(time.Hour)
	for _, f := range []db.MembershipFilter{{Status: db.StatusExpired}, {ExpiresBefore: &soon}} {
		if _, err := d.ListMemberships(ctx, sc, a.ID, f, db.Page{Limit: 20}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.SweepMemberships(ctx, 10); err != nil {
		t.Fatal(err)
	}
	d.OnStatement(nil)
	want := []string{"account_memberships_expiry_list", "account_memberships_expiry_list", "account_memberships_expiry", "account_memberships_expiring"}
	var lists []string
	for _, q := range sent {
		if strings.Contains(q, "am.expires_at <") || strings.Contains(q, "am.expires_at <=") {
			lists = append(lists, q)
		}
	}
	if len(lists) != len(want) {
		t.Fatalf("%d statements read by expiry, want %d:\n%s", len(lists), len(want), strings.Join(lists, "\n"))
	}
	for i, q := range lists {
		args := make([]any, strings.Count(q, "?"))
		for j := range args {
			args[j] = "x"
		}
		var plan []struct {
			ID, Parent, Notused int
			Detail              string
		}
		if err := d.Select(&plan, "EXPLAIN QUERY PLAN "+q, args...); err != nil {
			t.Fatal(err)
		}
		if len(plan) == 0 || !strings.Contains(plan[0].Detail, "INDEX "+want[i]+" ") || strings.Contains(fmt.Sprint(plan), "TEMP B-TREE") {
			t.Errorf("not read through %s in its order: %+v\n%s", want[i], plan, q)
		}
	}
}

// TestLifecycleMigrationKeepsMemberships: migration 00012 rebuilds
// SQLite's table of memberships (and PostgreSQL alters it); down and up
// again, every membership keeps its direct permissions and invitation,
// which refer to it.
func TestLifecycleMigrationKeepsMemberships(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc, a, _ := lifecycleAccount(t, d)
		m := invite(t, d, sc, a.ID, "kept@example.com", db.NewMembership{Permissions: []string{"billing.manage"}, SendEmail: true})
		if err := d.MigrateDownTo(ctx, 11); err != nil {
			t.Fatal(err)
		}
		if err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := d.Membership(ctx, sc, db.MembershipRef{ID: m.ID})
		if err != nil || fmt.Sprint(got.Permissions) != "[billing.manage]" || got.Invitation == nil || got.ExpiresAt != nil {
			t.Fatalf("after down and up: %+v, %v", got, err)
		}
		if _, err := d.InvitationEmail(ctx, sc, m.ID); err != nil {
			t.Fatalf("the invitation's email: %v", err)
		}
		if _, err := d.Deactivate(ctx, sc, db.MembershipRef{ID: m.ID}, nil); !errors.Is(err, db.ErrNotActive) {
			t.Fatalf("the new statuses after up again: %v", err)
		}
	})
}
