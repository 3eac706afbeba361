package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestChangesAnswerWhatIsStored: a change answers the membership it leaves
// (built from what the transaction held, not read again) and its event
// records the same; both equal a fresh read, on every path that changes a
// membership: direct permissions added, removed and replaced, a new role,
// both at once, a staff member linked to their invitation, and an
// invitation accepted with a name.
func TestChangesAnswerWhatIsStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, acct := shopFixture(t, d)
		invite(t, d, sc, acct.ID, "owner@example.com", db.NewMembership{Role: "owner"})
		m := invite(t, d, sc, acct.ID, "ana@example.com", db.NewMembership{Role: "member", Permissions: []string{"billing.read"}})
		ref := db.MembershipRef{ID: m.ID}
		keys := func(ks ...string) *[]string { return &ks }
		for _, ch := range []db.MembershipChange{
			{Add: []string{"org.manage", "billing.manage"}},
			{Remove: []string{"billing.read"}},
			{Permissions: keys("members.manage")},
			{Role: "admin"},
			{Role: "member", Add: []string{"billing.read"}, Remove: []string{"members.manage"}},
			{Permissions: keys()},
		} {
			got, err := d.UpdateMembership(ctx, sc, ref, ch)
			if err != nil {
				t.Fatalf("%+v: %v", ch, err)
			}
			expectStored(t, d, sc, got, "membership.updated")
		}

		staff, err := d.AddStaff(ctx, db.StaffEditor{WorkspaceID: f.WorkspaceID}, db.NewStaff{Email: "bo@example.com", Role: db.RoleSupport})
		if err != nil {
			t.Fatal(err)
		}
		invite(t, d, sc, acct.ID, "bo@example.com", db.NewMembership{Role: "member"})
		linked, created, err := d.CreateMembership(ctx, sc, acct.ID, db.NewMembership{StaffID: staff.ID, Role: "admin", Permissions: []string{"billing.read"}})
		if err != nil || created {
			t.Fatalf("link: created %v, %v", created, err)
		}
		expectStored(t, d, sc, linked, "membership.updated")

		invited := invite(t, d, sc, acct.ID, "cy@example.com", db.NewMembership{Role: "member"})
		token := strings.TrimPrefix(invited.Invitation.AcceptURL, "/invitations/")
		accepted, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token, Name: "Cy Young"})
		if err != nil {
			t.Fatal(err)
		}
		if accepted.User.Name != "Cy Young" || accepted.Status != db.StatusActive {
			t.Fatalf("accepted: %+v", accepted)
		}
		expectStored(t, d, sc, accepted, "invitation.accepted")
	})
}

// expectStored fails unless the answer of a change, the data of its event
// (the newest of the membership, of type typ) and a fresh read of the
// membership are the same object.
func expectStored(t *testing.T, d *db.DB, sc db.Scope, got db.Membership, typ string) {
	t.Helper()
	ctx := context.Background()
	stored, err := d.Membership(ctx, sc, db.MembershipRef{ID: got.ID})
	if err != nil {
		t.Fatal(err)
	}
	answer, fresh := jsonOf(t, got), jsonOf(t, stored)
	if answer != fresh || got.Version != stored.Version {
		t.Fatalf("answered (version %d)\n%s\nstored (version %d)\n%s", got.Version, answer, stored.Version, fresh)
	}
	evs, err := d.ListEvents(ctx, sc, db.EventFilter{MembershipID: got.ID}, db.Page{Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("events: %v", err)
	}
	var data db.Membership
	if err := json.Unmarshal(evs[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if evs[0].Type != typ || jsonOf(t, data) != fresh {
		t.Fatalf("event %s records\n%s\nstored\n%s", evs[0].Type, jsonOf(t, data), fresh)
	}
}

// jsonOf is v as the API would write it.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUnknownKeysAreRefused: keys outside the catalog are refused, every one
// of them named under the field that carried it, whether they were to be
// added, removed or set (a key to remove that the membership lacks, too),
// and before a role change's conflicts; the membership is left as it was.
// A key of the catalog that it lacks is removed without a change.
func TestUnknownKeysAreRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc := dbtest.Workspace(t, d, "Acme").Live()
		acct, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		invited := invite(t, d, sc, acct.ID, "owner@example.com", db.NewMembership{Role: "owner", Permissions: []string{"billing.read"}})
		owner, err := d.AcceptInvitation(ctx, db.Acceptance{Token: strings.TrimPrefix(invited.Invitation.AcceptURL, "/invitations/")})
		if err != nil {
			t.Fatal(err)
		}
		// The account's last active owner: a demotion alone is a conflict.
		if _, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: owner.ID}, db.MembershipChange{Role: "member"}); !errors.Is(err, db.ErrLastOwner) {
			t.Fatalf("demotion of the last owner: %v", err)
		}
		keys := func(ks ...string) *[]string { return &ks }
		for _, c := range []struct {
			ch          db.MembershipChange
			field, said string
		}{
			{db.MembershipChange{Add: []string{"billing.manage", "nope.b", "nope.a"}}, "add_permissions", "nope.a, nope.b"},
			{db.MembershipChange{Remove: []string{"billing.read", "nope.c"}}, "remove_permissions", "nope.c"},
			{db.MembershipChange{Remove: []string{"members.manage", "nope.f"}}, "remove_permissions", "nope.f"},
			{db.MembershipChange{Permissions: keys("billing.read", "nope.d")}, "permissions", "nope.d"},
			{db.MembershipChange{Role: "member", Add: []string{"nope.e"}}, "add_permissions", "nope.e"},
		} {
			_, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: owner.ID}, c.ch)
			var bad *db.InvalidInput
			if !errors.As(err, &bad) || !strings.HasSuffix(bad.Fields[c.field], ": "+c.said) {
				t.Fatalf("%+v: %v %+v", c.ch, err, bad)
			}
			m, err := d.Membership(ctx, sc, db.MembershipRef{ID: owner.ID})
			if err != nil || m.Version != owner.Version || jsonOf(t, m.Permissions) != `["billing.read"]` || m.Role.Slug != "owner" {
				t.Fatalf("after %+v: version %d (was %d), %v, %s, %v", c.ch, m.Version, owner.Version, m.Permissions, m.Role.Slug, err)
			}
		}
		// A key of the catalog that the membership lacks: removed, nothing changes.
		m, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: owner.ID}, db.MembershipChange{Remove: []string{"members.manage"}})
		if err != nil || m.Version != owner.Version || jsonOf(t, m.Permissions) != `["billing.read"]` {
			t.Fatalf("removing a key the membership lacks: version %d (was %d), %v, %v", m.Version, owner.Version, m.Permissions, err)
		}
	})
}

// TestLockedReadAfterAWait: a change that waits for another transaction's
// lock on the membership (another process's change of it) answers, and
// records, the membership as that change left it: its permission and its
// version, not those of before the wait.
func TestLockedReadAfterAWait(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, acct := shopFixture(t, d)
		m := invite(t, d, sc, acct.ID, "ana@example.com", db.NewMembership{Role: "member"})

		other, err := d.BeginTxx(ctx, nil) // holds the membership's row (SQLite: the write lock)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		for _, q := range []string{
			`UPDATE account_memberships SET version = version + 1 WHERE workspace_id = ? AND id = ?`,
			`INSERT INTO membership_permissions (membership_id, workspace_id, permission_key) VALUES (?, ?, 'billing.manage')`,
		} {
			args := []any{f.WorkspaceID, m.ID}
			if strings.HasPrefix(q, "INSERT") {
				args = []any{m.ID, f.WorkspaceID}
			}
			if _, err := other.ExecContext(ctx, d.Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		type result struct {
			m   db.Membership
			err error
		}
		done := make(chan result, 1)
		go func() {
			got, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: m.ID}, db.MembershipChange{Add: []string{"members.manage"}})
			done <- result{got, err}
		}()
		time.Sleep(300 * time.Millisecond)
		select {
		case r := <-done:
			t.Fatalf("the change did not wait for the other transaction's lock: %+v, %v", r.m.Permissions, r.err)
		default:
		}
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := strings.Join(r.m.Permissions, " "); got != "billing.manage members.manage" || r.m.Version != m.Version+2 {
			t.Errorf("after the wait the change answered permissions %q at version %d, want %q at version %d",
				got, r.m.Version, "billing.manage members.manage", m.Version+2)
		}
		expectStored(t, d, sc, r.m, "membership.updated")
	})
}
