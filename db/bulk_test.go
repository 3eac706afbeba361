package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// countRows counts a table's rows of the workspace.
func countRows(t *testing.T, d *db.DB, wsID, table string) int {
	t.Helper()
	var n int
	if err := d.GetContext(context.Background(), &n, d.Rebind(`SELECT COUNT(*) FROM `+table+` WHERE workspace_id = ?`), wsID); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBulkFailedItemKeepsNothing: an item that fails after writing (a
// member principal's invitation of a new person as owner: the person's
// user is written before the refusal) is rolled back to its savepoint
// with its events and emails, while the items around it are kept, as one
// transaction each would be.
func TestBulkFailedItemKeepsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, a := shopFixture(t, d)
		admin := invite(t, d, sc, a.ID, "adam@example.com", db.NewMembership{Role: "admin"})
		token := strings.TrimPrefix(admin.Invitation.AcceptURL, "/invitations/")
		if _, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token}); err != nil {
			t.Fatal(err)
		}
		users, events := countRows(t, d, f.WorkspaceID, "users"), countRows(t, d, f.WorkspaceID, "events")
		member := db.Scope{WorkspaceID: f.WorkspaceID, Live: true, Member: admin.UserID}
		items, err := d.Bulk(ctx, member, a.ID, []db.BulkOp{
			{Op: db.BulkInvite, Email: "a@example.com", SendEmail: true},
			{Op: db.BulkInvite, Email: "boss@example.com", Role: "owner", SendEmail: true},
			{Op: db.BulkInvite, Email: "b@example.com", SendEmail: true},
		}, db.BulkOptions{})
		if err != nil || len(items) != 3 || items[0].Status != 201 || items[1].Status != 403 || items[2].Status != 201 {
			t.Fatalf("items %+v, %v", items, err)
		}
		if !errors.Is(items[1].Err, db.ErrForbidden) || items[1].Membership != nil {
			t.Fatalf("failed item %+v", items[1])
		}
		if n := countRows(t, d, f.WorkspaceID, "users") - users; n != 2 {
			t.Fatalf("%d users written, want 2: the refused item's stays unwritten", n)
		}
		// Two invitations: membership.created and invitation.sent each, one email each.
		if n := countRows(t, d, f.WorkspaceID, "events") - events; n != 4 {
			t.Fatalf("%d events, want 4", n)
		}
		if n := countRows(t, d, f.WorkspaceID, "outbox"); n != 2 {
			t.Fatalf("%d emails, want 2", n)
		}
	})
}

// TestBulkLinkDropsTheBatchsEmail: an invitation and then a link of the
// same person in one request leave no email with a dead link, as two
// requests would not.
func TestBulkLinkDropsTheBatchsEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, a := shopFixture(t, d)
		staff, err := d.CreateStaff(ctx, f.WorkspaceID, db.NewStaff{Email: "sam@example.com", Role: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		items, err := d.Bulk(ctx, sc, a.ID, []db.BulkOp{
			{Op: db.BulkInvite, Email: "sam@example.com", SendEmail: true},
			{Op: db.BulkLink, StaffID: staff.ID},
		}, db.BulkOptions{})
		if err != nil || items[0].Status != 201 || items[1].Status != 200 || items[1].Membership.Status != db.StatusActive {
			t.Fatalf("items %+v, %v", items, err)
		}
		if n := countRows(t, d, f.WorkspaceID, "outbox"); n != 0 {
			t.Fatalf("%d emails queued for an invitation the batch accepted by linking", n)
		}
	})
}

// TestBulkInAnOuterTransaction: inside a transaction it joins (an
// idempotent request's), a dry run and an atomic failure undo only their
// own work, and the outer transaction's own writes stay.
func TestBulkInAnOuterTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, a := shopFixture(t, d)
		ops := []db.BulkOp{{Op: db.BulkInvite, Email: "a@example.com"}, {Op: db.BulkInvite, Email: "a@example.com"}}
		err := d.WithTx(ctx, func(ctx context.Context) error {
			if _, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Kept"}); err != nil {
				return err
			}
			items, err := d.Bulk(ctx, sc, a.ID, ops, db.BulkOptions{DryRun: true})
			if err != nil || items[0].Status != 201 || items[1].Status != 409 {
				return fmt.Errorf("dry run: %+v %v", items, err)
			}
			_, err = d.Bulk(ctx, sc, a.ID, ops, db.BulkOptions{Atomic: true})
			var failure *db.BulkFailure
			if !errors.As(err, &failure) || failure.Index != 1 || !errors.Is(err, db.ErrDuplicateItem) || len(failure.Results) != 1 {
				return fmt.Errorf("atomic: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, f.WorkspaceID, "account_memberships"); n != 0 {
			t.Fatalf("%d memberships kept", n)
		}
		if n := countRows(t, d, f.WorkspaceID, "accounts"); n != 2 {
			t.Fatalf("%d accounts, want the outer transaction's too", n)
		}
	})
}

// TestBulkFansOutWebhooks: the events a bulk request writes together get
// their webhook deliveries, as single ones do.
func TestBulkFansOutWebhooks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, _, _ := shopFixture(t, d)
		sc := f.Test()
		a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Test shop"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/created",
			EnabledEvents: []string{"membership.created"}}); err != nil {
			t.Fatal(err)
		}
		deliveries := countRows(t, d, f.WorkspaceID, "webhook_deliveries")
		var ops []db.BulkOp
		for i := range 60 {
			ops = append(ops, db.BulkOp{Op: db.BulkInvite, Email: fmt.Sprintf("p%d@example.com", i), SendEmail: true})
		}
		if _, err := d.Bulk(ctx, sc, a.ID, ops, db.BulkOptions{}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, f.WorkspaceID, "webhook_deliveries") - deliveries; n != 60 {
			t.Fatalf("%d deliveries, want one per membership.created", n)
		}
		if n := countRows(t, d, f.WorkspaceID, "outbox"); n != 60 {
			t.Fatalf("%d emails, want 60", n)
		}
	})
}

// TestBulkRefusesTooMany: more than MaxBulkOperations is refused whole.
func TestBulkRefusesTooMany(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, sc, a := shopFixture(t, d)
		ops := make([]db.BulkOp, db.MaxBulkOperations+1)
		for i := range ops {
			ops[i] = db.BulkOp{Op: db.BulkInvite, Email: fmt.Sprintf("p%d@example.com", i)}
		}
		if _, err := d.Bulk(context.Background(), sc, a.ID, ops, db.BulkOptions{}); !errors.Is(err, db.ErrTooManyOperations) ||
			db.StatusOf(err) != 400 {
			t.Fatalf("%v", err)
		}
		if n := countRows(t, d, f.WorkspaceID, "account_memberships"); n != 0 {
			t.Fatalf("%d memberships", n)
		}
	})
}
