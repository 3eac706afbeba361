package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

func TestSessionStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := d.Sessions()
		if _, found, err := s.FindCtx(ctx, "nope"); found || err != nil {
			t.Fatalf("unknown token: found %v, %v", found, err)
		}
		if err := s.CommitCtx(ctx, "a", []byte("one"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitCtx(ctx, "a", []byte("two"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if b, found, err := s.FindCtx(ctx, "a"); !found || err != nil || string(b) != "two" {
			t.Fatalf("find after overwrite: %q %v %v", b, found, err)
		}
		if err := s.CommitCtx(ctx, "old", []byte("x"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.FindCtx(ctx, "old"); found {
			t.Fatal("expired session found")
		}
		if err := d.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM sessions`); err != nil || n != 1 {
			t.Fatalf("%d sessions after purge, %v", n, err)
		}
		if err := s.DeleteCtx(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.FindCtx(ctx, "a"); found {
			t.Fatal("deleted session found")
		}
		if err := s.DeleteCtx(ctx, "a"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
	})
}

func TestSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		wm, err := d.SignIn(ctx, "  "+f.OwnerEmail+" ", f.Password)
		if err != nil || wm.WorkspaceID != f.WorkspaceID || wm.Role != db.RoleOwner {
			t.Fatalf("sign in: %+v, %v", wm, err)
		}
		for _, tc := range []struct{ email, password string }{
			{f.OwnerEmail, "wrong password"},
			{"nobody@acme.example", f.Password},
		} {
			if _, err := d.SignIn(ctx, tc.email, tc.password); !errors.Is(err, db.ErrBadCredentials) {
				t.Fatalf("sign in %s: %v", tc.email, err)
			}
		}
		if _, err := d.CreateStaff(ctx, f.WorkspaceID, db.NewStaff{Email: "help@acme.example", Role: db.RoleSupport}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SignIn(ctx, "help@acme.example", ""); !errors.Is(err, db.ErrBadCredentials) {
			t.Fatalf("staff without a password signed in: %v", err)
		}
		if err := d.SetPassword(ctx, f.WorkspaceID, "HELP@acme.example", "helping hands"); err != nil {
			t.Fatal(err)
		}
		if wm, err := d.SignIn(ctx, "help@acme.example", "helping hands"); err != nil || wm.Role != db.RoleSupport {
			t.Fatalf("support signs in: %+v, %v", wm, err)
		}
	})
}
