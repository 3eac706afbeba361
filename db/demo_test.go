package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// acceptAt makes invitation links under the demo's console.
func acceptAt(token string) string { return "http://roster.demo/invitations/" + token }

// count runs a COUNT(*) query written with '?'.
func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Get(&n, d.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		res, err := d.Demo(ctx, acceptAt)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Staff) != 3 || !strings.HasPrefix(res.TestKey, "sk_test_") {
			t.Fatalf("demo result %+v", res)
		}
		for _, st := range res.Staff {
			wm, err := d.SignIn(ctx, st.Email, st.Password)
			if err != nil || wm.Role != st.Role {
				t.Fatalf("sign in as %s: %+v, %v", st.Email, wm, err)
			}
		}
		ws, err := d.WorkspaceByRef(ctx, db.DemoWorkspace)
		if err != nil {
			t.Fatal(err)
		}
		k, err := d.APIKeyBySecret(ctx, res.TestKey)
		if err != nil || k.Livemode || k.WorkspaceID != ws.ID {
			t.Fatalf("the printed test key: %+v, %v", k, err)
		}

		// 6 members per account (2 invited), 5 live and 2 test accounts,
		// and the admin linked to the first live account.
		for _, c := range []struct {
			what  string
			query string
			want  int
		}{
			{"staff", `SELECT COUNT(*) FROM workspace_memberships`, 3},
			{"roles", `SELECT COUNT(*) FROM roles`, 6},
			{"permissions", `SELECT COUNT(*) FROM permissions`, 8},
			{"live accounts", `SELECT COUNT(*) FROM accounts WHERE livemode = ?`, 5},
			{"test accounts", `SELECT COUNT(*) FROM accounts WHERE NOT livemode`, 2},
			{"live memberships", `SELECT COUNT(*) FROM account_memberships WHERE livemode = ?`, 31},
			{"test memberships", `SELECT COUNT(*) FROM account_memberships WHERE NOT livemode`, 12},
			{"invited memberships", `SELECT COUNT(*) FROM account_memberships WHERE status = 'invited'`, 14},
			{"active owners", `SELECT COUNT(*) FROM account_memberships am JOIN roles r ON r.id = am.role_id WHERE r.slug = 'owner' AND am.status = 'active'`, 7},
			{"pending invitations", `SELECT COUNT(*) FROM invitations`, 14},
			{"invitation emails", `SELECT COUNT(*) FROM outbox`, 14},
			{"members with direct permissions", `SELECT COUNT(DISTINCT membership_id) FROM membership_permissions`, 21},
			{"keys", `SELECT COUNT(*) FROM api_keys`, 8},
			{"publishable test keys", `SELECT COUNT(*) FROM api_keys WHERE kind = 'publishable' AND NOT livemode`, 2},
			{"invitations accepted", `SELECT COUNT(*) FROM events WHERE type = 'invitation.accepted'`, 28},
			{"invitations sent", `SELECT COUNT(*) FROM events WHERE type = 'invitation.sent'`, 42},
			{"roles created", `SELECT COUNT(*) FROM events WHERE type = 'role.created'`, 3},
			{"staff added", `SELECT COUNT(*) FROM events WHERE type = 'workspace_membership.created'`, 2},
			{"test-mode events", `SELECT COUNT(*) FROM events WHERE NOT livemode AND type IN ('account.created', 'api_key.created', 'membership.created')`, 2 + 4 + 12},
		} {
			var args []any
			if strings.Contains(c.query, "?") {
				args = []any{true}
			}
			if got := count(t, d, c.query, args...); got != c.want {
				t.Errorf("%s: %d, want %d", c.what, got, c.want)
			}
		}

		// Every pending invitation's email holds its link, for support to copy.
		invited, err := d.ListMemberships(ctx, db.Scope{WorkspaceID: ws.ID, Live: false}, accountID(t, d, "Sandbox Ltd"),
			db.MembershipFilter{Status: db.StatusInvited}, db.Page{Limit: 10})
		if err != nil || len(invited) != 2 {
			t.Fatalf("invited members of Sandbox Ltd: %d, %v", len(invited), err)
		}
		email, err := d.InvitationEmail(ctx, db.Scope{WorkspaceID: ws.ID, Live: false}, invited[0].ID)
		if err != nil || !strings.Contains(email.Body, "http://roster.demo/invitations/") {
			t.Fatalf("invitation email %+v, %v", email, err)
		}

		// The changes are the owner's; the acceptances, the invitees'.
		if n := count(t, d, `SELECT COUNT(*) FROM events WHERE actor_type = 'system'`); n != 0 {
			t.Errorf("%d events by the system, want every event by a person", n)
		}

		events := count(t, d, `SELECT COUNT(*) FROM events`)
		if _, err := d.Demo(ctx, acceptAt); !errors.Is(err, db.ErrWorkspaceExists) || !strings.Contains(err.Error(), "already has the demo workspace") {
			t.Fatalf("second demo: %v", err)
		}
		if again := count(t, d, `SELECT COUNT(*) FROM events`); again != events || count(t, d, `SELECT COUNT(*) FROM workspaces`) != 1 {
			t.Fatal("a second demo changed the database")
		}
	})
}

// accountID is the id of the account with this name.
func accountID(t *testing.T, d *db.DB, name string) string {
	t.Helper()
	var id string
	if err := d.Get(&id, d.Rebind(`SELECT id FROM accounts WHERE name = ?`), name); err != nil {
		t.Fatal(err)
	}
	return id
}
