package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestStaffJoinOnce: of two uses of one link to join the staff at once,
// one sets the password and the other is refused; the password is the
// winner's, and the link is spent.
func TestStaffJoinOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		var token string
		ed := db.StaffEditor{WorkspaceID: f.WorkspaceID, StaffID: f.StaffID}
		if _, err := d.AddStaff(ctx, ed, db.NewStaff{Email: "nora@acme.example", Role: db.RoleAdmin,
			JoinURL: func(tok string) string { token = tok; return "/join/" + tok }}); err != nil {
			t.Fatal(err)
		}
		j, err := d.StaffJoinByToken(ctx, token)
		if err != nil || j.Email != "nora@acme.example" || j.Role != db.RoleAdmin || j.WorkspaceName != "Acme" ||
			j.ExpiresAt.Before(time.Now().Add(db.StaffJoinTTL-time.Hour)) {
			t.Fatalf("the link's person: %+v, %v", j, err)
		}
		passwords := []string{"first long password", "second long password"}
		errs := make([]error, len(passwords))
		var wg sync.WaitGroup
		for i, p := range passwords {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = d.JoinStaff(ctx, db.StaffJoining{Token: token, Password: p})
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won < 0:
				won = i
			case !errors.Is(err, db.ErrStaffJoinNotFound):
				t.Fatalf("uses %v: want one success and one staff_invitation.not_found", errs)
			}
		}
		if won < 0 {
			t.Fatalf("nobody joined: %v", errs)
		}
		if _, err := d.SignIn(ctx, "nora@acme.example", passwords[won]); err != nil {
			t.Fatalf("sign in with the winner's password: %v", err)
		}
		if _, err := d.SignIn(ctx, "nora@acme.example", passwords[1-won]); err == nil {
			t.Fatal("the loser's password signs in too")
		}
		if _, err := d.StaffJoinByToken(ctx, token); !errors.Is(err, db.ErrStaffJoinNotFound) {
			t.Fatalf("the spent link: %v", err)
		}
		if _, err := d.JoinStaff(ctx, db.StaffJoining{Token: token, Password: "short"}); err == nil || errors.Is(err, db.ErrStaffJoinNotFound) {
			t.Fatalf("a short password is refused before the link is looked at: %v", err)
		}
	})
}
