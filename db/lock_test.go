package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestReadsAreReads: on PostgreSQL, a read of an account in a transaction
// does not wait for a transaction that holds the account's lock (before,
// Account added FOR UPDATE whenever the context carried a transaction),
// while a change of the account does wait, and then sees the change that
// held the lock. SQLite's transactions hold the write lock from their
// start, so there is nothing to tell apart there.
func TestReadsAreReads(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	release := holdAccountLock(d, sc, a.ID, func(ctx context.Context) error {
		_, err := d.RenameAccount(ctx, sc, a.ID, db.AccountInput{Name: "Held"})
		return err
	})

	read := make(chan error, 1)
	go func() {
		read <- d.WithTx(ctx, func(ctx context.Context) error {
			_, err := d.Account(ctx, sc, a.ID)
			return err
		})
	}()
	select {
	case err := <-read:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		_ = release()
		t.Fatal("a read in a transaction waited for the account's lock")
	}

	renamed := make(chan db.Account, 1)
	go func() {
		r, err := d.RenameAccount(ctx, sc, a.ID, db.AccountInput{Name: "Later"})
		if err != nil {
			t.Error(err)
		}
		renamed <- r
	}()
	select {
	case <-renamed:
		t.Fatal("a rename did not wait for the account's lock")
	case <-time.After(300 * time.Millisecond):
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if r := <-renamed; r.Name != "Later" {
		t.Fatalf("renamed to %q", r.Name)
	}
	evs, err := d.ListEvents(ctx, sc, db.EventFilter{Type: "account.updated"}, db.Page{Limit: 10})
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d account.updated events (%v), want the held rename's and the later one's", len(evs), err)
	}
}

// TestPermissionChangeDoesNotQueueOnTheAccount: on PostgreSQL, a change of
// a membership's direct permissions goes through while another transaction
// holds the account's lock (it locks only the membership's row), while a
// role change, which can lower the number of owners, waits for that lock.
func TestPermissionChangeDoesNotQueueOnTheAccount(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	release := holdAccountLock(d, sc, a.ID, func(context.Context) error { return nil })
	defer func() {
		if err := release(); err != nil {
			t.Error(err)
		}
	}()

	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := d.UpdateMembership(short, sc, db.MembershipRef{ID: m.ID}, db.MembershipChange{Add: []string{"billing.read"}})
	if err != nil {
		t.Fatalf("a permission change while the account was locked: %v", err)
	}
	if !slices.Equal(got.Permissions, []string{"billing.read"}) || got.Version != m.Version+1 {
		t.Fatalf("permissions %v, version %d after the change of version %d", got.Permissions, got.Version, m.Version)
	}

	shorter, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := d.UpdateMembership(shorter, sc, db.MembershipRef{ID: m.ID}, db.MembershipChange{Role: "admin"}); err == nil {
		t.Fatal("a role change did not wait for the account's lock")
	}
}

// holdAccountLock locks the account in a transaction of its own and
// returns once it holds the lock; release runs then in that transaction,
// waits for the transaction to end and returns its error.
func holdAccountLock(d *db.DB, sc db.Scope, id string, then func(ctx context.Context) error) (release func() error) {
	locked, done, held := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- d.WithTx(context.Background(), func(ctx context.Context) error {
			_, err := d.LockAccount(ctx, sc, id)
			locked <- err
			if err != nil {
				return err
			}
			<-done
			return then(ctx)
		})
	}()
	if err := <-locked; err != nil {
		return func() error { return <-held }
	}
	return func() error {
		close(done)
		return <-held
	}
}

// TestRevokeInvitation: only an invited membership's invitation is
// revoked; an accepted one stays, refused in the store's transaction.
func TestRevokeInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc := dbtest.Workspace(t, d, "Acme").Live()
		a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		var token string
		in := db.NewMembership{Email: "ann@example.com", AcceptURL: func(tok string) string { token = tok; return tok }}
		accepted, _, err := d.CreateMembership(ctx, sc, a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token}); err != nil {
			t.Fatal(err)
		}
		invited, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: "bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeInvitation(ctx, sc, db.MembershipRef{ID: accepted.ID}, nil); !errors.Is(err, db.ErrNotInvited) {
			t.Fatalf("revoking an accepted invitation: %v", err)
		}
		if _, err := d.Membership(ctx, sc, db.MembershipRef{ID: accepted.ID}); err != nil {
			t.Fatalf("the accepted membership: %v", err)
		}
		if err := d.RevokeInvitation(ctx, sc, db.MembershipRef{ID: invited.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Membership(ctx, sc, db.MembershipRef{ID: invited.ID}); !errors.Is(err, db.ErrMembershipNotFound) {
			t.Fatalf("the revoked membership: %v", err)
		}
	})
}

// postgresWorkspace opens a fresh PostgreSQL database holding a workspace,
// for a test of what only PostgreSQL shows (row locks, plans), and returns
// it with the workspace's live scope; it skips the test when PostgreSQL is
// not among the dialects tested (never with ROSTER_TEST_REQUIRE_POSTGRES=1,
// where Dialects fails instead).
func postgresWorkspace(t *testing.T) (*db.DB, db.Scope) {
	t.Helper()
	if !slices.Contains(dbtest.Dialects(t), db.Postgres) {
		t.Skip("PostgreSQL is not among ROSTER_TEST_DIALECTS")
	}
	d := dbtest.Open(t, db.Postgres)
	return d, dbtest.Workspace(t, d, "Acme").Live()
}
