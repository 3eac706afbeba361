package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// inviteScene is a workspace with a webhook endpoint for every event, an
// account Shop (seat limit limit, nil for none) where member@example.com
// is invited already, and a user old@example.com of another account.
func inviteScene(t *testing.T, d *db.DB, name string, limit *int) (db.Scope, db.Account) {
	t.Helper()
	ctx := context.Background()
	f := dbtest.Workspace(t, d, name)
	sc := f.Live()
	if _, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "https://hooks.example.com/all",
		EnabledEvents: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop", SeatLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	invite(t, d, sc, a.ID, "member@example.com", db.NewMembership{Name: "Mem"})
	invite(t, d, sc, other.ID, "old@example.com", db.NewMembership{Name: "Old"})
	return sc, a
}

// mixedInvites are invitations of new people, an existing user, an
// existing member, a bad role, a key not in the catalog, a duplicate, a
// bad email, direct permissions, an expiry and an owner that would expire.
func mixedInvites() []db.BulkOp {
	in30 := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	return []db.BulkOp{
		{Email: "new1@example.com", Name: "New One", SendEmail: true},
		{Email: "Old@Example.com", Name: "Another name", SendEmail: true},
		{Email: "member@example.com", SendEmail: true},
		{Email: "bad@example.com", Role: "no-such-role"},
		{Email: "keys@example.com", Permissions: []string{"members.read", "nope.key"}},
		{Email: " NEW1@example.com", SendEmail: true},
		{Email: "admin@example.com", Role: "admin", Permissions: []string{"members.read"}, SendEmail: true},
		{Email: "not-an-email"},
		{Email: "exp@example.com", ExpiresAt: &in30, SendEmail: true},
		{Email: "boss@example.com", Role: "owner", ExpiresAt: &in30},
		{Email: "new2@example.com"},
		{Email: "new3@example.com", Role: "owner", SendEmail: true},
	}
}

// TestBulkInvitesAsSingle: a bulk request of invitations leaves the same
// answers, rows, events, webhook deliveries and emails as its items sent
// one by one through CreateMembership, with no seat limit, with one the
// batch reaches midway, and atomic.
func TestBulkInvitesAsSingle(t *testing.T) {
	four := 4
	cases := []struct {
		name    string
		limit   *int
		opt     db.BulkOptions
		ops     []db.BulkOp
		batched bool // in a few statements, not item by item
	}{
		{"mixed", nil, db.BulkOptions{}, mixedInvites(), true},
		{"seat limit midway", &four, db.BulkOptions{}, mixedInvites(), false},
		{"atomic", nil, db.BulkOptions{Atomic: true}, mixedInvites()[:2], true},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := context.Background()
				bsc, ba := inviteScene(t, d, fmt.Sprintf("Bulk%d", i), c.limit)
				ssc, sa := inviteScene(t, d, fmt.Sprintf("Single%d", i), c.limit)
				for k := range c.ops {
					c.ops[k].Op = db.BulkInvite
				}
				n := 0
				d.OnStatement(func(string) { n++ })
				items, err := d.Bulk(ctx, bsc, ba.ID, c.ops, c.opt)
				d.OnStatement(nil)
				if err != nil {
					t.Fatal(err)
				}
				if c.batched && n > 40 {
					t.Fatalf("%d statements for %d items", n, len(c.ops))
				}
				got := inviteSnapshot(t, d, bsc, ba.ID).withItems(itemOutcomes(t, items))
				singles := singleOutcomes(t, d, ssc, sa.ID, c.ops)
				want := inviteSnapshot(t, d, ssc, sa.ID).withItems(singles)
				if !reflect.DeepEqual(got, want) {
					gj, _ := json.MarshalIndent(got, "", " ")
					wj, _ := json.MarshalIndent(want, "", " ")
					t.Fatalf("bulk:\n%s\nsingle:\n%s", gj, wj)
				}
			})
		}
	})
}

// TestBulkInvitesAtomicFailure: an atomic batch with a refused item
// keeps nothing and names the item, as item by item.
func TestBulkInvitesAtomicFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		sc, a := inviteScene(t, d, "Acme", nil)
		before := inviteSnapshot(t, d, sc, a.ID)
		ops := mixedInvites()[:4]
		for k := range ops {
			ops[k].Op = db.BulkInvite
		}
		_, err := d.Bulk(context.Background(), sc, a.ID, ops, db.BulkOptions{Atomic: true})
		var failure *db.BulkFailure
		if !errors.As(err, &failure) || failure.Index != 2 || len(failure.Results) != 2 || db.StatusOf(err) != 409 {
			t.Fatalf("%v", err)
		}
		if after := inviteSnapshot(t, d, sc, a.ID); !reflect.DeepEqual(before, after) {
			t.Fatalf("an atomic failure kept rows:\n%+v\n%+v", before, after)
		}
	})
}

// TestBulkInvitesFewStatements: a hundred invitations of new people take
// a few dozen statements, not the hundreds item by item would.
func TestBulkInvitesFewStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, sc, a := shopFixture(t, d)
		ops := make([]db.BulkOp, db.MaxBulkOperations)
		for i := range ops {
			ops[i] = db.BulkOp{Op: db.BulkInvite, Email: fmt.Sprintf("p%d@example.com", i), SendEmail: true,
				Permissions: []string{"members.read"}}
		}
		n := 0
		d.OnStatement(func(string) { n++ })
		items, err := d.Bulk(context.Background(), sc, a.ID, ops, db.BulkOptions{})
		d.OnStatement(nil)
		if err != nil || items[99].Status != 201 {
			t.Fatalf("%v %+v", err, items[99])
		}
		if n > 40 {
			t.Fatalf("%d statements for %d invitations", n, len(ops))
		}
		if m := countRows(t, d, f.WorkspaceID, "membership_permissions"); m != 100 {
			t.Fatalf("%d direct permissions, want 100", m)
		}
	})
}

// singleOutcomes sends each invitation alone through CreateMembership
// (a duplicate of an earlier one is refused as bulk refuses it).
func singleOutcomes(t *testing.T, d *db.DB, sc db.Scope, accountID string, ops []db.BulkOp) []string {
	t.Helper()
	seen := map[string]int{}
	var out []string
	for i, op := range ops {
		email := db.FoldEmail(strings.TrimSpace(op.Email))
		if first, ok := seen[email]; ok {
			err := db.ErrDuplicateItem.With(map[string]any{"email": op.Email, "first_index": first})
			out = append(out, outcomeOf(t, 409, err, nil))
			continue
		}
		seen[email] = i
		m, _, err := d.CreateMembership(context.Background(), sc, accountID, db.NewMembership{Email: op.Email, Name: op.Name,
			Role: op.Role, Permissions: op.Permissions, SendEmail: op.SendEmail, ExpiresAt: op.ExpiresAt})
		if err != nil {
			out = append(out, outcomeOf(t, db.StatusOf(err), err, nil))
			continue
		}
		out = append(out, outcomeOf(t, 201, nil, &m))
	}
	return out
}

// itemOutcomes is what a bulk request answered of each item.
func itemOutcomes(t *testing.T, items []db.BulkItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, outcomeOf(t, it.Status, it.Err, it.Membership))
	}
	return out
}

// outcomeOf is an item's status with its error's type and message, or
// its membership as the API shows it, without ids and times.
func outcomeOf(t *testing.T, status int, err error, m *db.Membership) string {
	var e *db.Error
	if errors.As(err, &e) {
		details, _ := json.Marshal(e.Details)
		return fmt.Sprintf("%d %s %s %s", status, e.Type, e.Message, stripIDs(string(details)))
	}
	b, jerr := json.Marshal(m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	return fmt.Sprintf("%d %s", status, normalJSON(t, string(b)))
}

var idPattern = regexp.MustCompile(`\b(am|usr|evt|acct|role|email)_[0-9A-Za-z]+`)

// stripIDs replaces the ids in a text.
func stripIDs(s string) string { return idPattern.ReplaceAllString(s, "$1_…") }

// normalJSON is a JSON object without its ids, time stamps of the
// moment and accept links' tokens.
func normalJSON(t *testing.T, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(strip(v, ""))
	return string(b)
}

// strip drops what differs between two identical runs from a decoded
// JSON value under key.
func strip(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch {
			case k == "id" || strings.HasSuffix(k, "_id") || k == "self" || k == "created_at" || k == "updated_at":
				delete(x, k)
			case k == "expires_at" && key == "invitation", k == "accept_url":
				x[k] = "set"
			default:
				x[k] = strip(e, k)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = strip(e, key)
		}
	}
	return v
}

// inviteState is what an account's invitations left: the answers, the
// memberships, users, events, deliveries, emails and lookups.
type inviteState struct {
	Items                                  []string
	Memberships, Users, Events, Emails     []string
	SeatsHeld, Deliveries, Tokens, Lookups int
}

// withItems is the state with the answers.
func (s inviteState) withItems(items []string) inviteState { s.Items = items; return s }

// inviteSnapshot reads an account's state after its invitations.
func inviteSnapshot(t *testing.T, d *db.DB, sc db.Scope, accountID string) inviteState {
	t.Helper()
	ws := sc.WorkspaceID
	var s inviteState
	q := func(dest any, query string, args ...any) {
		t.Helper()
		if err := d.SelectContext(context.Background(), dest, d.Rebind(query), args...); err != nil {
			t.Fatal(err)
		}
	}
	var rows []struct {
		Email, Name, Role, Status, Keys string
		Expires                         *time.Time
		HoldsSeat, SeatUntil, Invited   bool
	}
	q(&rows, `SELECT u.email AS email, u.name AS name, r.slug AS role, am.status AS status, am.expires_at AS expires,
		am.holds_seat AS holdsseat, am.seat_until IS NOT NULL AS seatuntil,
		EXISTS (SELECT 1 FROM invitations i WHERE i.workspace_id = am.workspace_id AND i.membership_id = am.id) AS invited,
		COALESCE((SELECT MIN(mp.permission_key) FROM membership_permissions mp
			WHERE mp.workspace_id = am.workspace_id AND mp.membership_id = am.id), '') AS keys
		FROM account_memberships am JOIN users u ON u.workspace_id = am.workspace_id AND u.id = am.user_id
		JOIN roles r ON r.workspace_id = am.workspace_id AND r.id = am.role_id
		WHERE am.workspace_id = ? AND am.account_id = ? ORDER BY u.email_lower`, ws, accountID)
	for _, r := range rows {
		exp := ""
		if r.Expires != nil {
			exp = r.Expires.UTC().Format(time.RFC3339)
		}
		s.Memberships = append(s.Memberships, fmt.Sprintf("%s %q %s %s %s seat=%v until=%v invited=%v %s",
			r.Email, r.Name, r.Role, r.Status, exp, r.HoldsSeat, r.SeatUntil, r.Invited, r.Keys))
	}
	q(&s.Users, `SELECT email || ' ' || name FROM users WHERE workspace_id = ? AND email NOT LIKE 'owner@%' ORDER BY email_lower`, ws)
	var events []struct{ Type, Data string }
	q(&events, `SELECT type, data FROM events WHERE workspace_id = ? AND type NOT LIKE 'workspace%' AND type NOT LIKE 'webhook%' ORDER BY id`, ws)
	for _, e := range events {
		s.Events = append(s.Events, e.Type+" "+normalJSON(t, e.Data))
	}
	var emails []struct{ To, Subject, Body string }
	q(&emails, `SELECT to_email AS "to", subject, body FROM outbox WHERE workspace_id = ? ORDER BY id`, ws)
	token, until := regexp.MustCompile(`/invitations/\S+`), regexp.MustCompile(`until .* UTC`)
	for _, e := range emails {
		body := until.ReplaceAllString(token.ReplaceAllString(e.Body, "/invitations/…"), "until …")
		s.Emails = append(s.Emails, e.To+" "+e.Subject+" "+body)
	}
	var n []int
	q(&n, `SELECT seats_held FROM accounts WHERE workspace_id = ? AND id = ?`, ws, accountID)
	s.SeatsHeld = n[0]
	s.Deliveries = countRows(t, d, ws, "webhook_deliveries")
	s.Tokens = countRows(t, d, ws, "invitation_token_lookup")
	s.Lookups = countRows(t, d, ws, "user_email_lookup")
	return s
}

// TestBulkInvitesSamePeopleAtOnce: requests inviting the same new people
// into different accounts at once each invite all of them, and every
// person gets one user.
func TestBulkInvitesSamePeopleAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, sc, _ := shopFixture(t, d)
		ops := make([]db.BulkOp, 50)
		for i := range ops {
			ops[i] = db.BulkOp{Op: db.BulkInvite, Email: fmt.Sprintf("p%d@example.com", (i*7)%50), SendEmail: true}
		}
		errs := make(chan error, 4)
		for k := range 4 {
			a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: fmt.Sprintf("Shop %d", k)})
			if err != nil {
				t.Fatal(err)
			}
			mine := slices.Clone(ops)
			if k%2 == 1 {
				slices.Reverse(mine)
			}
			go func() {
				items, err := d.Bulk(ctx, sc, a.ID, mine, db.BulkOptions{})
				for _, it := range items {
					if err == nil && it.Status != 201 {
						err = fmt.Errorf("item %d: %d %v", it.Index, it.Status, it.Err)
					}
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, d, f.WorkspaceID, "users") - 1; n != 50 {
			t.Fatalf("%d users, want 50", n)
		}
		if n := countRows(t, d, f.WorkspaceID, "account_memberships"); n != 200 {
			t.Fatalf("%d memberships, want 200", n)
		}
	})
}
