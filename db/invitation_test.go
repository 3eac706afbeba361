package db_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestInvitationLookups reads what the members page and the invitation
// page show: the links in the outbox, the invitation of a token, and which
// people are members already.
func TestInvitationLookups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := dbtest.Workspace(t, d, "Acme")
		ctx := db.WithActor(db.WithRequestID(context.Background(), "req_test"), db.Actor{Type: "user", ID: f.UserID})
		acct, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		link := func(token string) string { return "https://roster.example/invitations/" + token }
		mailed := invite(t, d, f.Live(), acct.ID, "erin@example.com", db.NewMembership{SendEmail: true, AcceptURL: link, Name: "Erin"})
		quiet := invite(t, d, f.Live(), acct.ID, "frank@example.com", db.NewMembership{AcceptURL: link})
		resent, err := d.ResendInvitation(ctx, f.Live(), db.MembershipRef{ID: mailed.ID}, link)
		if err != nil {
			t.Fatal(err)
		}
		links, err := d.InvitationLinks(ctx, f.Live(), []string{mailed.ID, quiet.ID})
		if err != nil || len(links) != 1 || links[mailed.ID] != resent.Invitation.AcceptURL {
			t.Fatalf("links %v, %v; want only the resent %s", links, err, resent.Invitation.AcceptURL)
		}
		if other, err := d.InvitationLinks(ctx, f.Test(), []string{mailed.ID}); err != nil || len(other) != 0 {
			t.Fatalf("test mode sees live links: %v, %v", other, err)
		}

		token := strings.TrimPrefix(resent.Invitation.AcceptURL, "https://roster.example/invitations/")
		inv, err := d.InvitationByToken(ctx, token)
		if err != nil || inv.AccountName != "Shop" || inv.WorkspaceName != "Acme" || inv.Email != "erin@example.com" ||
			inv.Name != "Erin" || inv.RoleName != "Member" || !inv.Livemode || inv.InviterEmail == nil || *inv.InviterEmail != f.OwnerEmail {
			t.Fatalf("invitation %+v, %v", inv, err)
		}
		old := strings.TrimPrefix(mailed.Invitation.AcceptURL, "https://roster.example/invitations/")
		for name, tok := range map[string]string{"replaced": old, "unknown": "nope", "empty": ""} {
			if _, err := d.InvitationByToken(ctx, tok); !errors.Is(err, db.ErrInvitationNotFound) {
				t.Fatalf("%s token: %v", name, err)
			}
		}
		if _, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.InvitationByToken(ctx, token); !errors.Is(err, db.ErrInvitationNotFound) {
			t.Fatalf("used token: %v", err)
		}

		// Frank, invited by email, joins the team: the link form shows him
		// as invited, the owner as no member, until the owner is linked.
		frank, err := d.AddStaff(ctx, db.StaffEditor{WorkspaceID: f.WorkspaceID}, db.NewStaff{Email: "frank@example.com", Role: db.RoleSupport})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{f.StaffID: "", frank.ID: db.StatusInvited}
		checkStaffStatuses(t, d, f.Live(), acct.ID, want)
		checkStaffStatuses(t, d, f.Test(), acct.ID, map[string]string{f.StaffID: "", frank.ID: ""})
		if _, _, err := d.CreateMembership(ctx, f.Live(), acct.ID, db.NewMembership{StaffID: f.StaffID}); err != nil {
			t.Fatal(err)
		}
		want[f.StaffID] = db.StatusActive
		checkStaffStatuses(t, d, f.Live(), acct.ID, want)
	})
}

// checkStaffStatuses fails unless the workspace's staff have these statuses
// in the account, by workspace membership id.
func checkStaffStatuses(t *testing.T, d *db.DB, sc db.Scope, accountID string, want map[string]string) {
	t.Helper()
	staff, err := d.StaffOfAccount(context.Background(), sc, accountID, db.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range staff {
		got[s.ID] = s.Status
	}
	if !maps.Equal(got, want) {
		t.Fatalf("staff statuses %v, want %v", got, want)
	}
}

// TestKeysHoldWithOneBTreeEach: SQLite's migration 00016 keeps an
// invitation's token unique through its lookup alone and an event's id
// through the index it is found by (workspace, mode, id); down and up
// again, the invitation is found by its token and its event by its id,
// and a second token or event of the same key is refused, on both
// databases.
func TestKeysHoldWithOneBTreeEach(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		_, m, token := invitedAcrossMigrations(t, d, f, 15)
		if p, err := d.InvitationByToken(ctx, token); err != nil || p.Email != "ann@example.com" {
			t.Fatalf("invitation after migrating: %+v, %v", p, err)
		}
		events, err := d.ListEvents(ctx, f.Live(), db.EventFilter{MembershipID: m.ID}, db.Page{Limit: 10})
		if err != nil || len(events) == 0 {
			t.Fatalf("the membership's events after migrating: %v, %v", events, err)
		}
		if e, err := d.EventByID(ctx, f.Live(), events[0].ID); err != nil || e.ID != events[0].ID {
			t.Fatalf("event %s after migrating: %+v, %v", events[0].ID, e, err)
		}
		_, err = d.ExecContext(ctx, d.Rebind(`INSERT INTO invitation_token_lookup (token_hash, workspace_id, membership_id, expires_at)
			SELECT token_hash, workspace_id, 'am_other', expires_at FROM invitation_token_lookup WHERE membership_id = ?`), m.ID)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") && !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("a second invitation of the same token: %v", err)
		}
		_, err = d.ExecContext(ctx, d.Rebind(`INSERT INTO events (id, workspace_id, livemode, type, actor_type, actor_id,
				target_id, data, request_id, created_at)
			SELECT id, workspace_id, livemode, type, actor_type, actor_id, target_id, data, request_id, created_at
			FROM events WHERE workspace_id = ? AND livemode = ? AND id = ?`), f.WorkspaceID, true, events[0].ID)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") && !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("a second event of the same id: %v", err)
		}
	})
}

// invitedAcrossMigrations invites ann@example.com into a new account of
// f's workspace, then migrates down to version and up again; it returns
// the account, the membership and the invitation's token.
func invitedAcrossMigrations(t *testing.T, d *db.DB, f dbtest.Fixture, version int64) (db.Account, db.Membership, string) {
	t.Helper()
	ctx := context.Background()
	acct, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	url := func(tok string) string { token = tok; return "/invitations/" + tok }
	m, _, err := d.CreateMembership(ctx, f.Live(), acct.ID, db.NewMembership{Email: "ann@example.com", AcceptURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.MigrateDownTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return acct, m, token
}
