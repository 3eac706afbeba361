package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"roster/db"
)

// activeMember invites email to the account with the role and direct
// permissions and accepts the invitation.
func activeMember(t *testing.T, d *db.DB, sc db.Scope, accountID, email, role string, perms ...string) db.Membership {
	t.Helper()
	ctx := context.Background()
	var token string
	in := db.NewMembership{Email: email, Role: role, Permissions: perms, AcceptURL: func(tok string) string { token = tok; return tok }}
	if _, _, err := d.CreateMembership(ctx, sc, accountID, in); err != nil {
		t.Fatal(err)
	}
	m, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDemotionWaitsForTheMembersChange: on PostgreSQL, a member's change
// holds the member's own row (FOR SHARE) until it commits, so a demotion
// that takes members.manage away, which locks only that row, waits for the
// change in flight, and the member's next change is refused. Without the
// lock the demotion would commit first and the change would still be
// made by someone who no longer had the right.
func TestDemotionWaitsForTheMembersChange(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateRole(ctx, sc, db.NewRole{Slug: "helper", Name: "Helper", Permissions: []string{db.PermMembersRead}}); err != nil {
		t.Fatal(err)
	}
	manager := activeMember(t, d, sc, a.ID, "ann@example.com", "member", db.PermMembersManage)
	target := activeMember(t, d, sc, a.ID, "bob@example.com", "member")
	asManager := db.Scope{WorkspaceID: sc.WorkspaceID, Live: sc.Live, Member: manager.UserID}

	demoted := make(chan error, 1)
	var once sync.Once
	d.SetBeforeMembershipWrite(func(func(string, ...any) error) {
		once.Do(func() {
			go func() {
				_, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: manager.ID}, db.MembershipChange{Remove: []string{db.PermMembersManage}})
				demoted <- err
			}()
			select {
			case err := <-demoted:
				t.Errorf("the demotion finished (%v) while the member's change was in flight", err)
				demoted <- err
			case <-time.After(300 * time.Millisecond):
			}
		})
	})
	defer d.SetBeforeMembershipWrite(nil)
	if _, err := d.UpdateMembership(ctx, asManager, db.MembershipRef{ID: target.ID}, db.MembershipChange{Role: "helper"}); err != nil {
		t.Fatalf("the member's change: %v", err)
	}
	if err := <-demoted; err != nil {
		t.Fatalf("the demotion: %v", err)
	}
	_, err = d.UpdateMembership(ctx, asManager, db.MembershipRef{ID: target.ID}, db.MembershipChange{Role: "member"})
	var de *db.Error
	if !errors.As(err, &de) || de.Details["required_permission"] != db.PermMembersManage {
		t.Fatalf("the demoted member's next change: %v", err)
	}
}
