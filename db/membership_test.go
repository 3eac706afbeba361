package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// shopFixture is the workspace Acme with its live account Shop.
func shopFixture(t *testing.T, d *db.DB) (dbtest.Fixture, db.Scope, db.Account) {
	t.Helper()
	f := dbtest.Workspace(t, d, "Acme")
	a, err := d.CreateAccount(context.Background(), f.Live(), db.AccountInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	return f, f.Live(), a
}

// invite creates an invited membership of the account for email.
func invite(t *testing.T, d *db.DB, sc db.Scope, accountID, email string, in db.NewMembership) db.Membership {
	t.Helper()
	in.Email = email
	m, created, err := d.CreateMembership(context.Background(), sc, accountID, in)
	if err != nil || !created {
		t.Fatalf("invite %s: created %v, %v", email, created, err)
	}
	return m
}

// TestMembershipPage reads a page of memberships with different roles and
// direct permissions: each gets its own, sorted, and its role's.
func TestMembershipPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		acct, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		roles := []string{"owner", "admin", "member"}
		perms := [][]string{{"org.manage"}, {"billing.read", "billing.manage"}, nil}
		for i := range 30 {
			invite(t, d, f.Live(), acct.ID, fmt.Sprintf("p%02d@example.com", i),
				db.NewMembership{Role: roles[i%3], Permissions: perms[i%2], SendEmail: i%2 == 0})
		}
		ms, err := d.ListMemberships(ctx, f.Live(), acct.ID, db.MembershipFilter{}, db.Page{Limit: 25})
		if err != nil || len(ms) != 26 {
			t.Fatalf("%d memberships, %v", len(ms), err)
		}
		want := map[string]string{
			"owner":  "[billing.manage billing.read members.manage members.read org.manage]",
			"admin":  "[billing.manage billing.read members.manage members.read]",
			"member": "[billing.read members.read]",
		}
		for i, m := range ms {
			direct := db.SortedUnique(perms[i%2])
			effective := db.SortedUnique(append(strings.Fields(strings.Trim(want[roles[i%3]], "[]")), direct...))
			if m.Role.Slug != roles[i%3] || fmt.Sprint(m.Role.Permissions) != want[m.Role.Slug] ||
				fmt.Sprint(m.Permissions) != fmt.Sprint(direct) || fmt.Sprint(m.EffectivePermissions) != fmt.Sprint(effective) {
				t.Fatalf("membership %d: role %s %v, direct %v, effective %v", i, m.Role.Slug, m.Role.Permissions, m.Permissions, m.EffectivePermissions)
			}
			if m.Invitation == nil || m.Invitation.AcceptURL != "" || m.User.Email != fmt.Sprintf("p%02d@example.com", i) {
				t.Fatalf("membership %d: %+v %+v", i, m.Invitation, m.User)
			}
		}

		// Keys added after others still come back sorted.
		ref := db.MembershipRef{ID: ms[0].ID}
		if _, err := d.UpdateMembership(ctx, f.Live(), ref, db.MembershipChange{Add: []string{"billing.read"}}); err != nil {
			t.Fatal(err)
		}
		m, err := d.Membership(ctx, f.Live(), ref)
		if err != nil || fmt.Sprint(m.Permissions) != "[billing.read org.manage]" {
			t.Fatalf("direct permissions %v, %v", m.Permissions, err)
		}
	})
}

// TestInviteOneNewPersonTwice invites one new person to several accounts at
// once: one user results, with a membership of each account.
func TestInviteOneNewPersonTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		var ids []string
		for i := range 8 {
			a, err := d.CreateAccount(ctx, f.Test(), db.AccountInput{Name: fmt.Sprint("Shop ", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		users := make([]string, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, _, err := d.CreateMembership(ctx, f.Test(), id, db.NewMembership{Email: "New@Example.com"})
				if err != nil {
					t.Errorf("invite to %s: %v", id, err)
				}
				users[i] = m.UserID
			}()
		}
		wg.Wait()
		for _, u := range users {
			if u != users[0] || u == "" {
				t.Fatalf("users %v", users)
			}
		}
	})
}

// TestOutbox queues invitation emails and hands them out once.
func TestOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		acct, err := d.CreateAccount(ctx, f.Test(), db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		url := func(token string) string { return "https://roster.example/invitations/" + token }
		a := invite(t, d, f.Test(), acct.ID, "a@example.com", db.NewMembership{SendEmail: true, AcceptURL: url})
		invite(t, d, f.Test(), acct.ID, "quiet@example.com", db.NewMembership{SendEmail: false, AcceptURL: url})
		b := invite(t, d, f.Test(), acct.ID, "b@example.com", db.NewMembership{SendEmail: true, AcceptURL: url})

		pending, err := d.PendingEmails(ctx, 10)
		if err != nil || len(pending) != 2 || pending[0].To != "a@example.com" || !strings.Contains(pending[0].Body, a.Invitation.AcceptURL) {
			t.Fatalf("pending %+v, %v", pending, err)
		}
		claimed, err := d.ClaimEmails(ctx, time.Now(), time.Minute, 1)
		if err != nil || len(claimed) != 1 || claimed[0].ID != pending[0].ID || claimed[0].LeaseToken == "" {
			t.Fatalf("claim: %+v %v", claimed, err)
		}
		if again, err := d.ClaimEmails(ctx, time.Now(), time.Minute, 10); err != nil || len(again) != 1 || again[0].ID == pending[0].ID {
			t.Fatalf("a claimed email was claimed again, or the other not: %+v %v", again, err)
		}
		if err := d.EmailFailed(ctx, claimed[0], time.Now()); err != nil {
			t.Fatal(err)
		}
		// A lease that ran out gives the email to the next claim.
		if again, err := d.ClaimEmails(ctx, time.Now().Add(2*time.Minute), time.Minute, 10); err != nil || len(again) != 2 {
			t.Fatalf("after the lease: %+v %v", again, err)
		}

		// Resending replaces b's unsent email; revoking a drops a's.
		resent, err := d.ResendInvitation(ctx, f.Test(), db.MembershipRef{ID: b.ID}, url)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteMembership(ctx, f.Test(), db.MembershipRef{AccountID: acct.ID, ID: a.ID}, nil); err != nil {
			t.Fatal(err)
		}
		pending, err = d.PendingEmails(ctx, 10)
		if err != nil || len(pending) != 1 || !strings.Contains(pending[0].Body, resent.Invitation.AcceptURL) {
			t.Fatalf("pending after resend and revoke %+v, %v", pending, err)
		}
		if _, err := d.InvitationEmail(ctx, f.Live(), b.ID); !errors.Is(err, db.ErrInvitationNotFound) {
			t.Fatalf("another mode reads the email: %v", err)
		}

		// Accepting before the email went out drops it: its link is spent.
		token := strings.TrimPrefix(resent.Invitation.AcceptURL, "https://roster.example/invitations/")
		if _, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token}); err != nil {
			t.Fatal(err)
		}
		if pending, err = d.PendingEmails(ctx, 10); err != nil || len(pending) != 0 {
			t.Fatalf("pending after acceptance %+v, %v", pending, err)
		}
	})
}

// TestEmailsSent marks a claim's emails of several workspaces sent at
// once, except one whose lease ran out and went to another claim.
func TestEmailsSent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		url := func(token string) string { return "https://roster.example/invitations/" + token }
		for _, ws := range []string{"Acme", "Globex"} {
			f := dbtest.Workspace(t, d, ws)
			acct, err := d.CreateAccount(ctx, f.Test(), db.AccountInput{Name: "Shop"})
			if err != nil {
				t.Fatal(err)
			}
			for _, who := range []string{"a", "b"} {
				invite(t, d, f.Test(), acct.ID, who+"@"+strings.ToLower(ws)+".example", db.NewMembership{SendEmail: true, AcceptURL: url})
			}
		}
		t0 := time.Now()
		claimed, err := d.ClaimEmails(ctx, t0, time.Minute, 10)
		if err != nil || len(claimed) != 4 {
			t.Fatalf("claim: %d emails, %v", len(claimed), err)
		}
		// One lease runs out and another claim takes that email.
		again, err := d.ClaimEmails(ctx, t0.Add(2*time.Minute), time.Minute, 1)
		if err != nil || len(again) != 1 {
			t.Fatalf("claim again: %+v, %v", again, err)
		}
		if n, err := d.EmailsSent(ctx, claimed); err != nil || n != 3 {
			t.Fatalf("sent %d of the first claim, want the 3 it still held: %v", n, err)
		}
		if left, err := d.PendingEmails(ctx, 10); err != nil || len(left) != 1 || left[0].ID != again[0].ID {
			t.Fatalf("pending %+v, want only %s: %v", left, again[0].ID, err)
		}
		if n, err := d.EmailsSent(ctx, again); err != nil || n != 1 {
			t.Fatalf("sent %d of the second claim: %v", n, err)
		}
		if left, err := d.PendingEmails(ctx, 10); err != nil || len(left) != 0 {
			t.Fatalf("pending %+v: %v", left, err)
		}
	})
}

// errFailed stands for a request that failed after claiming its key.
var errFailed = errors.New("request failed")

// TestIdempotencyKeys claims keys inside transactions the way the web
// middleware does.
func TestIdempotencyKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		claim := func(sc db.Scope, key, hash string, save bool) (db.IdempotentResponse, bool, error) {
			var r db.IdempotentResponse
			var claimed bool
			err := d.WithTx(ctx, func(ctx context.Context) error {
				var err error
				if r, claimed, err = d.ClaimIdempotencyKey(ctx, sc, key, hash); err != nil || !claimed {
					return err
				}
				if !save {
					return errFailed
				}
				return d.SaveIdempotentResponse(ctx, sc, key, db.IdempotentResponse{Status: 201, Body: []byte(`{"id":1}`), Headers: map[string]string{"ETag": `"1"`}})
			})
			return r, claimed, err
		}
		for _, tc := range []struct {
			name    string
			sc      db.Scope
			key     string
			hash    string
			save    bool
			claimed bool
			want    error
		}{
			{"first use", f.Test(), "k", "h1", true, true, nil},
			{"same request", f.Test(), "k", "h1", true, false, nil},
			{"other request", f.Test(), "k", "h2", true, false, db.ErrIdempotencyKeyConflict},
			{"other mode", f.Live(), "k", "h2", true, true, nil},
			{"rolled back", f.Test(), "r", "h1", false, true, nil},
			{"free after the rollback", f.Test(), "r", "h2", true, true, nil},
		} {
			r, claimed, err := claim(tc.sc, tc.key, tc.hash, tc.save)
			if errors.Is(err, errFailed) {
				err = nil
			}
			if claimed != tc.claimed || !errors.Is(err, tc.want) {
				t.Fatalf("%s: claimed %v, %v", tc.name, claimed, err)
			}
			if !claimed && err == nil && (r.Status != 201 || string(r.Body) != `{"id":1}` || r.Headers["ETag"] != `"1"`) {
				t.Fatalf("%s: replay %+v", tc.name, r)
			}
		}
	})
}

// TestIdempotencyKeyInFlight claims a key while another transaction holds
// it: PostgreSQL refuses after IdempotencyWait, SQLite waits for the holder
// and replays its answer.
func TestIdempotencyKeyInFlight(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc := dbtest.Workspace(t, d, "Acme").Test()
		defer func(w time.Duration) { db.IdempotencyWait = w }(db.IdempotencyWait)
		db.IdempotencyWait = 100 * time.Millisecond

		claimed, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() {
			done <- d.WithTx(ctx, func(ctx context.Context) error {
				if _, _, err := d.ClaimIdempotencyKey(ctx, sc, "k", "h"); err != nil {
					return err
				}
				close(claimed)
				<-release
				return d.SaveIdempotentResponse(ctx, sc, "k", db.IdempotentResponse{Status: 201, Body: []byte("{}")})
			})
		}()
		<-claimed
		second := make(chan error)
		go func() {
			second <- d.WithTx(ctx, func(ctx context.Context) error {
				r, fresh, err := d.ClaimIdempotencyKey(ctx, sc, "k", "h")
				if err == nil && (fresh || r.Status != 201) {
					return fmt.Errorf("claimed %v, replay %+v", fresh, r)
				}
				return err
			})
		}()
		var err error
		if d.Dialect == db.Postgres {
			err = <-second
			close(release)
		} else {
			close(release)
			err = <-second
		}
		if first := <-done; first != nil {
			t.Fatal(first)
		}
		if want := d.Dialect == db.Postgres; errors.Is(err, db.ErrIdempotencyKeyConflict) != want || (!want && err != nil) {
			t.Fatalf("second claim: %v", err)
		}
	})
}

// TestReferenceDeletedBeforeWrite: a role or staff member read by a
// membership change and deleted (by another request, on PostgreSQL) before
// the membership row is written makes the foreign key refuse the write;
// that is the error the caller can act on (400 naming role, 404 for the
// staff member), not a 500. The hook deletes the row at that moment, in
// the change's transaction, on both databases.
func TestReferenceDeletedBeforeWrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, a := shopFixture(t, d)
		tempRole := func() string {
			r, err := d.CreateRole(ctx, sc, db.NewRole{Slug: strings.ToLower(strings.ReplaceAll(db.NewID("r"), "_", "-")), Name: "Temporary"})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		staff := func(email string) string {
			wm, err := d.CreateStaff(ctx, f.WorkspaceID, db.NewStaff{Email: email, Role: db.RoleSupport})
			if err != nil {
				t.Fatal(err)
			}
			return wm.ID
		}
		member := invite(t, d, sc, a.ID, "ann@example.com", db.NewMembership{})
		invite(t, d, sc, a.ID, "ivy@example.com", db.NewMembership{})
		unknownRole := func(err error) bool { return errors.Is(err, db.ErrUnknownRole) }
		staffGone := func(err error) bool { return errors.Is(err, db.ErrStaffNotFound) }
		for _, tc := range []struct {
			name   string
			delete string // the statement the hook runs, with the id of the row
			id     func() string
			change func(id string) error
			want   func(error) bool
		}{
			{"role of an invite", `DELETE FROM roles WHERE id = ?`, tempRole, func(id string) error {
				_, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: "bob@example.com", Role: id})
				return err
			}, unknownRole},
			{"role of a link", `DELETE FROM roles WHERE id = ?`, tempRole, func(id string) error {
				_, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{StaffID: staff("sam@example.com"), Role: id})
				return err
			}, unknownRole},
			{"staff member of a link", `DELETE FROM workspace_memberships WHERE id = ?`, func() string { return staff("sue@example.com") }, func(id string) error {
				_, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{StaffID: id})
				return err
			}, staffGone},
			{"staff member of a link that activates an invitation", `DELETE FROM workspace_memberships WHERE id = ?`, func() string { return staff("ivy@example.com") }, func(id string) error {
				_, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{StaffID: id})
				return err
			}, staffGone},
			{"role of a change", `DELETE FROM roles WHERE id = ?`, tempRole, func(id string) error {
				_, err := d.UpdateMembership(ctx, sc, db.MembershipRef{ID: member.ID}, db.MembershipChange{Role: id})
				return err
			}, unknownRole},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := tc.id()
				d.SetBeforeMembershipWrite(func(exec func(string, ...any) error) {
					if err := exec(tc.delete, id); err != nil {
						t.Errorf("%s: %v", tc.delete, err)
					}
				})
				defer d.SetBeforeMembershipWrite(nil)
				if err := tc.change(id); !tc.want(err) {
					t.Fatalf("got %v (%T), want the caller's error", err, err)
				}
			})
		}
	})
}
