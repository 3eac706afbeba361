package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestDistributionKeys: every primary key, unique constraint, unique index
// and foreign key of the migrated PostgreSQL schema can be kept by Citus
// distributing the tables by workspace_id (docs/scaling.md): on a
// distributed table (one not in db.UndistributedTables, which must have a
// workspace_id column) keys and unique indexes include workspace_id, and
// a foreign key to another distributed table pairs workspace_id with
// workspace_id; a table kept off the distribution refers to no
// distributed table. It fails with the list of what does not.
func TestDistributionKeys(t *testing.T) {
	if !slices.Contains(dbtest.Dialects(t), db.Postgres) {
		t.Skip("PostgreSQL is not among ROSTER_TEST_DIALECTS")
	}
	d := dbtest.Open(t, db.Postgres)
	tables := pgTables(t, d)
	var bad []string
	for name := range db.UndistributedTables {
		if _, ok := tables[name]; !ok {
			bad = append(bad, "db.UndistributedTables names "+name+", which the schema lacks")
		}
	}
	for name, hasWorkspace := range tables {
		if _, ok := db.UndistributedTables[name]; !ok && !hasWorkspace {
			bad = append(bad, name+" has no workspace_id and is not in db.UndistributedTables")
		}
	}
	var keys []struct {
		Name     string        `db:"conname"`
		Kind     string        `db:"contype"`
		Table    string        `db:"tbl"`
		RefTable string        `db:"ref"`
		Def      string        `db:"def"`
		KeyPos   sql.NullInt64 `db:"key_pos"`
		RefPos   sql.NullInt64 `db:"ref_pos"`
	}
	err := d.SelectContext(context.Background(), &keys, `SELECT c.conname, c.contype::text AS contype,
		c.conrelid::regclass::text AS tbl, COALESCE(NULLIF(c.confrelid, 0)::regclass::text, '') AS ref,
		pg_get_constraintdef(c.oid) AS def,
		array_position(c.conkey, (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'workspace_id')) AS key_pos,
		array_position(c.confkey, (SELECT attnum FROM pg_attribute WHERE attrelid = c.confrelid AND attname = 'workspace_id')) AS ref_pos
		FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f')
		UNION ALL
		SELECT i.indexrelid::regclass::text, 'i', i.indrelid::regclass::text, '', pg_get_indexdef(i.indexrelid),
		array_position(i.indkey::int2[], (SELECT attnum FROM pg_attribute WHERE attrelid = i.indrelid AND attname = 'workspace_id')), NULL
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
		WHERE ic.relnamespace = 'public'::regnamespace AND i.indisunique
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		_, tableOff := db.UndistributedTables[k.Table]
		_, refOff := db.UndistributedTables[k.RefTable]
		what := fmt.Sprintf("%s.%s: %s", k.Table, k.Name, k.Def)
		switch {
		case tableOff && k.Kind == "f" && !refOff:
			bad = append(bad, what+" (a table kept off the distribution refers to a distributed one)")
		case tableOff:
		case k.Kind != "f" && !k.KeyPos.Valid:
			bad = append(bad, what+" (lacks workspace_id)")
		case k.Kind == "f" && !refOff && (!k.KeyPos.Valid || k.KeyPos != k.RefPos):
			bad = append(bad, what+" (does not pair workspace_id with workspace_id)")
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		t.Errorf("%d keys Citus cannot keep when distributing by workspace_id:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

// pgTables returns the tables of the public schema, each with whether it
// has a workspace_id column.
func pgTables(t *testing.T, d *db.DB) map[string]bool {
	t.Helper()
	var rows []struct {
		Name         string `db:"name"`
		HasWorkspace bool   `db:"has_workspace"`
	}
	if err := d.SelectContext(context.Background(), &rows, `SELECT c.relname AS name,
		EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'workspace_id') AS has_workspace
		FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`); err != nil {
		t.Fatal(err)
	}
	tables := make(map[string]bool, len(rows))
	for _, r := range rows {
		tables[r.Name] = r.HasWorkspace
	}
	return tables
}

// TestStatementsNameTheirWorkspace captures every statement the stores
// send while a run of the stores' operations executes (every store, the
// paths before the workspace is known, the outbox, the maintenance) and
// fails with those that do not tie each distributed table they name to
// its workspace, which Citus needs to run the statement on the one node
// holding that workspace. Statements marked multi-shard (db's multiShard)
// are the documented exceptions, run on every node.
func TestStatementsNameTheirWorkspace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		seen := map[string]bool{}
		d.OnStatement(func(q string) {
			mu.Lock()
			seen[q] = true
			mu.Unlock()
		})
		storeRun(t, d)
		d.OnStatement(nil)
		distributed := distributedTables(t, d)
		var bad, multi []string
		for q := range seen {
			switch untied := untiedTables(q, distributed); {
			case strings.Contains(q, "/* multi-shard */"):
				multi = append(multi, q)
			case len(untied) > 0:
				bad = append(bad, fmt.Sprintf("%s not tied to the workspace in:\n%s", strings.Join(untied, ", "), q))
			}
		}
		if len(seen) < 80 {
			t.Errorf("only %d statements captured: the run misses stores", len(seen))
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%d of %d statements do not name their workspace:\n\n%s", len(bad), len(seen), strings.Join(bad, "\n\n"))
		}
		t.Logf("%d statements, %d of them multi-shard", len(seen), len(multi))
	})
}

// distributedTables lists the tables of d's schema that are not in
// db.UndistributedTables.
func distributedTables(t *testing.T, d *db.DB) map[string]bool {
	t.Helper()
	var names []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if d.Dialect == db.Postgres {
		q = `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`
	}
	if err := d.SelectContext(context.Background(), &names, q); err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for _, n := range names {
		if _, off := db.UndistributedTables[n]; !off && !strings.HasPrefix(n, "sqlite_") {
			tables[n] = true
		}
	}
	return tables
}

var (
	sqlLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)
	// tableRef is a table a statement names, with its alias if any.
	tableRef = regexp.MustCompile(`\b(from|join|update|into)\s+([a-z_]+)(?:\s+(?:as\s+)?([a-z_]+))?`)
	// workspaceParam is a workspace_id compared with a parameter.
	workspaceParam = regexp.MustCompile(`(?:\b([a-z_]+)\.)?\bworkspace_id\s*=\s*(?:\?|\$\d+)`)
	// workspaceTie is two tables' workspace_id compared.
	workspaceTie = regexp.MustCompile(`\b([a-z_]+)\.workspace_id\s*=\s*([a-z_]+)\.workspace_id\b`)
	// notAlias are the words that can follow a table's name.
	notAlias = map[string]bool{"where": true, "on": true, "set": true, "join": true, "left": true, "inner": true,
		"order": true, "group": true, "limit": true, "values": true, "using": true, "for": true, "and": true,
		"returning": true, "cross": true, "right": true, "full": true, "union": true, "having": true, "default": true}
)

// untiedTables returns the distributed tables query names without tying
// them to the workspace: an INSERT's table must get a workspace_id; any
// other table named must have its workspace_id (by its alias, or
// unqualified when it is the only table named without one) compared with
// a parameter, or with the workspace_id of a table that is.
func untiedTables(query string, distributed map[string]bool) []string {
	q := sqlLiteral.ReplaceAllString(strings.ToLower(query), "''")
	type ref struct{ table, name string }
	var refs []ref
	var unaliased []string
	var untied []string
	for _, m := range tableRef.FindAllStringSubmatch(q, -1) {
		if !distributed[m[2]] {
			continue
		}
		if m[1] == "into" {
			cols := regexp.MustCompile(`\binto\s+` + m[2] + `\s*\(([^)]*)\)`).FindStringSubmatch(q)
			if cols == nil || !slices.Contains(strings.Fields(strings.ReplaceAll(cols[1], ",", " ")), "workspace_id") {
				untied = append(untied, m[2])
			}
			continue
		}
		name := m[3]
		if name == "" || notAlias[name] {
			name = m[2]
			unaliased = append(unaliased, name)
		}
		refs = append(refs, ref{m[2], name})
	}
	bound := map[string]bool{}
	for _, m := range workspaceParam.FindAllStringSubmatch(q, -1) {
		switch {
		case m[1] != "":
			bound[m[1]] = true
		case len(unaliased) == 1:
			bound[unaliased[0]] = true
		}
	}
	ties := workspaceTie.FindAllStringSubmatch(q, -1)
	for grew := true; grew; {
		grew = false
		for _, m := range ties {
			if bound[m[1]] != bound[m[2]] {
				bound[m[1]], bound[m[2]], grew = true, true, true
			}
		}
	}
	for _, r := range refs {
		if !bound[r.name] {
			untied = append(untied, r.table+" "+r.name)
		}
	}
	return untied
}

// storeRun runs the stores' operations on a fresh database, failing the
// test on any error: two workspaces, their staff, catalogs, roles,
// accounts, memberships linked, invited, changed, accepted, revoked and
// removed, API keys, events, idempotency keys, the outbox, sign-in,
// sessions and limits, and the deletions.
func storeRun(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := d.Demo(ctx, func(token string) string { return "/invitations/" + token })
	must(err)
	f := dbtest.Workspace(t, d, "Acme")
	dbtest.Workspace(t, d, "Acme") // bootstrapped again: the same ids
	dbtest.Workspace(t, d, "Other")
	sc, ws := f.Live(), f.WorkspaceID
	_, err = d.HasOwner(ctx)
	must(err)
	_, err = d.SignIn(ctx, f.OwnerEmail, f.Password)
	must(err)
	_, err = d.StaffByEmail(ctx, "", f.OwnerEmail)
	must(err)
	must(d.SetPassword(ctx, ws, f.OwnerEmail, "another long password"))
	_, err = d.WorkspaceByRef(ctx, "Acme")
	must(err)
	_, err = d.WorkspaceByID(ctx, ws)
	must(err)

	ed := db.StaffEditor{WorkspaceID: ws, StaffID: f.StaffID}
	admin, err := d.AddStaff(ctx, ed, db.NewStaff{Email: "admin@acme.example", Role: db.RoleAdmin, Password: "a long password here"})
	must(err)
	_, err = d.ChangeStaffRole(ctx, ed, admin.ID, db.StaffChange{Role: db.RoleOwner})
	must(err)
	_, err = d.ChangeStaffRole(ctx, ed, admin.ID, db.StaffChange{Role: db.RoleSupport}) // counts the owners
	must(err)
	_, err = d.ListStaff(ctx, ws, db.Page{Limit: 10})
	must(err)
	_, err = d.StaffByUser(ctx, ws, admin.UserID)
	must(err)
	var joinToken string
	_, err = d.AddStaff(ctx, ed, db.NewStaff{Email: "joiner@acme.example", Role: db.RoleSupport,
		JoinURL: func(token string) string { joinToken = token; return "/join/" + token }})
	must(err)
	_, err = d.StaffJoinByToken(ctx, joinToken)
	must(err)
	_, err = d.JoinStaff(ctx, db.StaffJoining{Token: joinToken, Password: "a long password here"})
	must(err)

	_, err = d.CreatePermission(ctx, sc, db.NewPermission{Key: "reports.read"})
	must(err)
	_, err = d.ListPermissions(ctx, ws)
	must(err)
	role, err := d.CreateRole(ctx, sc, db.NewRole{Slug: "viewer", Name: "Viewer", Permissions: []string{"reports.read"}})
	must(err)
	_, err = d.CreateRole(ctx, sc, db.NewRole{Slug: "guest", Name: "Guest", IsDefault: true}) // moves the default
	must(err)
	name, perms := "Readers", []string{}
	_, err = d.UpdateRole(ctx, sc, role.ID, db.RolePatch{Name: &name, Permissions: &perms})
	must(err)
	_, err = d.ListRoles(ctx, ws)
	must(err)

	acct, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
	must(err)
	_, err = d.RenameAccount(ctx, sc, acct.ID, db.AccountInput{Name: "Big shop"})
	must(err)
	_, err = d.ListAccounts(ctx, sc, "big", db.Page{Limit: 10})
	must(err)
	owner, _, err := d.CreateMembership(ctx, sc, acct.ID, db.NewMembership{StaffID: f.StaffID, Role: db.OwnerRoleSlug})
	must(err)
	linked, _, err := d.CreateMembership(ctx, sc, acct.ID, db.NewMembership{StaffID: admin.ID, Permissions: []string{"reports.read"}})
	must(err)
	var token string
	url := func(tok string) string { token = tok; return "https://roster.example/invitations/" + tok }
	invited, _, err := d.CreateMembership(ctx, sc, acct.ID, db.NewMembership{Email: "ann@example.com", SendEmail: true, AcceptURL: url})
	must(err)
	_, err = d.InvitationByToken(ctx, token)
	must(err)
	_, err = d.ResendInvitation(ctx, sc, db.MembershipRef{ID: invited.ID}, url)
	must(err)
	_, err = d.InvitationLinks(ctx, sc, []string{invited.ID})
	must(err)
	_, err = d.InvitationEmail(ctx, sc, invited.ID)
	must(err)
	pending, err := d.PendingEmails(ctx, 10)
	must(err)
	claimedEmails, err := d.ClaimEmails(ctx, time.Now(), time.Minute, len(pending))
	must(err)
	for _, e := range claimedEmails {
		must(d.EmailFailed(ctx, e, time.Now()))
	}
	claimedEmails, err = d.ClaimEmails(ctx, time.Now(), time.Minute, len(pending))
	must(err)
	_, err = d.EmailsSent(ctx, claimedEmails)
	must(err)
	_, _, err = d.OutboxBacklog(ctx)
	must(err)
	ann, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token, Name: "Ann"})
	must(err)
	memberRun(t, d, sc, acct.ID, ann, owner)
	bob, _, err := d.CreateMembership(ctx, sc, acct.ID, db.NewMembership{Email: "bob@example.com", AcceptURL: url})
	must(err)
	second, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Second"})
	must(err)
	_, _, err = d.CreateMembership(ctx, sc, second.ID, db.NewMembership{Email: "admin@acme.example", AcceptURL: url})
	must(err)
	_, _, err = d.CreateMembership(ctx, sc, second.ID, db.NewMembership{StaffID: admin.ID}) // activates the invitation
	must(err)
	_, _, err = d.CreateMembership(ctx, sc, acct.ID, db.NewMembership{StaffID: admin.ID})
	if !errors.Is(err, db.ErrAlreadyMember) {
		t.Fatalf("second membership: %v", err)
	}
	must(d.RevokeInvitation(ctx, sc, db.MembershipRef{ID: bob.ID}, nil))
	_, err = d.UpdateMembership(ctx, sc, db.MembershipRef{AccountID: acct.ID, ID: linked.ID},
		db.MembershipChange{Remove: []string{"reports.read"}, Add: []string{"org.manage"}})
	must(err)
	_, err = d.UpdateMembership(ctx, sc, db.MembershipRef{ID: linked.ID}, db.MembershipChange{Role: "viewer"})
	must(err)
	_, err = d.Membership(ctx, sc, db.MembershipRef{AccountID: acct.ID, ID: owner.ID})
	must(err)
	for _, filter := range []db.MembershipFilter{{}, {Status: db.StatusActive, Role: "viewer", Q: "adm"}} {
		_, err = d.ListMemberships(ctx, sc, acct.ID, filter, db.Page{Limit: 10})
		must(err)
	}
	_, err = d.StaffOfAccount(ctx, sc, acct.ID, db.Page{Limit: 10})
	must(err)
	if err := d.DeleteMembership(ctx, sc, db.MembershipRef{ID: owner.ID}, nil); !errors.Is(err, db.ErrLastOwner) {
		t.Fatalf("delete the last owner: %v", err)
	}
	must(d.DeleteMembership(ctx, sc, db.MembershipRef{ID: linked.ID}, nil))

	ctx = db.WithActor(ctx, db.Actor{Type: "user", ID: f.UserID})
	key, secret, err := d.CreateAPIKey(ctx, sc, db.NewAPIKey{Kind: db.KeySecret, Name: "CI"})
	must(err)
	found, err := d.APIKeyBySecret(ctx, secret)
	must(err)
	must(d.TouchAPIKey(ctx, found))
	rolled, _, err := d.RollAPIKey(ctx, sc, key.ID, time.Hour)
	must(err)
	_, err = d.RevokeAPIKey(ctx, sc, rolled.ID)
	must(err)
	_, err = d.ListAPIKeys(ctx, sc)
	must(err)

	events, err := d.ListEvents(ctx, sc, db.EventFilter{AccountID: acct.ID}, db.Page{Limit: 10})
	must(err)
	_, err = d.EventByID(ctx, sc, events[0].ID)
	must(err)
	_, err = d.EventTypes(ctx, sc)
	must(err)
	_, claimed, err := d.ClaimIdempotencyKey(ctx, sc, "k1", "hash")
	must(err)
	if claimed {
		must(d.SaveIdempotentResponse(ctx, sc, "k1", db.IdempotentResponse{Status: 200, Body: []byte("{}")}))
	}
	_, _, err = d.ClaimIdempotencyKey(ctx, sc, "k1", "hash")
	must(err)

	must(d.Sessions().CommitCtx(ctx, "tok", []byte("x"), time.Now().Add(time.Hour)))
	_, _, err = d.Sessions().FindCtx(ctx, "tok")
	must(err)
	must(d.Sessions().DeleteCtx(ctx, "tok"))
	hit, err := d.CountHit(ctx, "signin:x", time.Minute, time.Now())
	must(err)
	must(d.ForgetHit(ctx, hit))
	_, err = d.ServerSecret(ctx, "csrf")
	must(err)
	must(d.PurgeExpired(ctx))
	webhookRun(t, d, sc, acct.ID)

	must(d.RemoveStaff(ctx, ed, admin.ID))
	must(d.DeleteRole(ctx, sc, role.ID))
	must(d.DeleteAccount(ctx, sc, acct.ID, nil))
	must(d.DeletePermission(ctx, sc, "reports.read"))
}

// webhookRun runs every webhook store operation in sc: endpoints, their
// deliveries, the dispatcher's claims and outcomes.
func webhookRun(t *testing.T, d *db.DB, sc db.Scope, accountID string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ep, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "https://hooks.example.com/", AccountID: accountID})
	must(err)
	other, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "https://crm.example.com/", EnabledEvents: []string{"account.updated"}})
	must(err)
	_, err = d.ListWebhookEndpoints(ctx, sc, db.Page{Limit: 10})
	must(err)
	_, err = d.UpdateWebhookEndpoint(ctx, sc, ep.ID, db.WebhookEndpointPatch{Description: &ep.URL})
	must(err)
	_, err = d.RotateWebhookSecret(ctx, sc, ep.ID, time.Hour)
	must(err)
	del, err := d.TestWebhookEndpoint(ctx, sc, ep.ID)
	must(err)
	_, err = d.ListWebhookDeliveries(ctx, sc, ep.ID, "", db.Page{Limit: 10})
	must(err)
	_, err = d.ListWebhookDeliveries(ctx, sc, ep.ID, db.DeliveryPending, db.Page{Limit: 10})
	must(err)
	_, _, err = d.WebhookBacklog(ctx)
	must(err)
	claimed, err := d.ClaimWebhookDeliveries(ctx, time.Now().Add(time.Second), time.Minute, 10)
	must(err)
	_, err = d.WebhookAttemptsOf(ctx, claimed, time.Now())
	must(err)
	var fs []db.WebhookFinish
	for _, c := range claimed {
		fs = append(fs, db.WebhookFinish{Delivery: c, Outcome: db.DeliveryOutcome{Status: 500, Error: "HTTP 500"}, At: time.Now().Add(6 * 24 * time.Hour)})
	}
	_, err = d.FinishWebhookDeliveries(ctx, fs)
	must(err)
	_, err = d.RetryWebhookDelivery(ctx, sc, del.ID)
	must(err)
	claimed, err = d.ClaimWebhookDeliveries(ctx, time.Now().Add(time.Second), time.Minute, 10)
	must(err)
	for _, c := range claimed {
		_, err = d.FinishWebhookDelivery(ctx, c, db.DeliveryOutcome{Status: 410, Gone: true}, time.Now())
		must(err)
	}
	on := db.EndpointEnabled
	_, err = d.UpdateWebhookEndpoint(ctx, sc, ep.ID, db.WebhookEndpointPatch{Status: &on})
	must(err)
	_, err = d.RecoverWebhookDeliveries(ctx, sc, ep.ID, time.Now().Add(-time.Hour))
	must(err)
	claimed, err = d.ClaimWebhookDeliveries(ctx, time.Now().Add(time.Second), time.Minute, 10)
	must(err)
	for _, c := range claimed {
		_, err = d.FinishWebhookDelivery(ctx, c, db.DeliveryOutcome{Succeeded: true, Status: 200}, time.Now())
		must(err)
	}
	must(d.DeleteWebhookEndpoint(ctx, sc, other.ID, nil))
	must(d.DeleteWebhookEndpoint(ctx, sc, ep.ID, nil))
}

// TestLookupsRebuiltByMigration: the lookups that run before the workspace
// is known (an invitation's token, an API key's secret, sign-in by email)
// find rows written before migration 00008, which fills its lookup tables
// from them: the test migrates down to 7 (dropping them) and up again. A
// lookup left behind by its row (the account of an invitation deleted)
// finds nothing.
func TestLookupsRebuiltByMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		_, secret, err := d.CreateAPIKey(ctx, f.Live(), db.NewAPIKey{Kind: db.KeySecret})
		if err != nil {
			t.Fatal(err)
		}
		acct, _, token := invitedAcrossMigrations(t, d, f, 7)
		if p, err := d.InvitationByToken(ctx, token); err != nil || p.Email != "ann@example.com" {
			t.Fatalf("invitation after migrating: %+v, %v", p, err)
		}
		if k, err := d.APIKeyBySecret(ctx, secret); err != nil || k.WorkspaceID != f.WorkspaceID {
			t.Fatalf("key after migrating: %+v, %v", k, err)
		}
		if sm, err := d.SignIn(ctx, f.OwnerEmail, f.Password); err != nil || sm.ID != f.StaffID {
			t.Fatalf("sign-in after migrating: %+v, %v", sm, err)
		}
		if err := d.DeleteAccount(ctx, f.Live(), acct.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.InvitationByToken(ctx, token); !errors.Is(err, db.ErrInvitationNotFound) {
			t.Fatalf("the invitation of a deleted account: %v", err)
		}
		if _, err := d.AcceptInvitation(ctx, db.Acceptance{Token: token}); !errors.Is(err, db.ErrInvitationNotFound) {
			t.Fatalf("accepting the invitation of a deleted account: %v", err)
		}
	})
}

// TestUntiedTables: the checker of TestStatementsNameTheirWorkspace finds
// the statements of the schema before migration 8 that named a table
// without its workspace, and accepts them tied.
func TestUntiedTables(t *testing.T) {
	distributed := map[string]bool{"account_memberships": true, "roles": true, "users": true, "role_permissions": true,
		"outbox": true, "workspace_memberships": true}
	for _, c := range []struct {
		query string
		want  string
	}{
		{`SELECT am.id FROM account_memberships am JOIN roles r ON r.id = am.role_id WHERE am.workspace_id = ?`, "roles r"},
		{`SELECT am.id FROM account_memberships am JOIN roles r ON r.workspace_id = am.workspace_id AND r.id = am.role_id
			WHERE am.workspace_id = ?`, ""},
		{`SELECT am.id FROM account_memberships am JOIN roles r ON r.workspace_id = am.workspace_id WHERE am.id = ?`,
			"account_memberships am, roles r"},
		{`DELETE FROM role_permissions WHERE role_id = ?`, "role_permissions role_permissions"},
		{`DELETE FROM role_permissions WHERE workspace_id = ? AND role_id = ?`, ""},
		{`UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL`, "outbox outbox"},
		{`SELECT wm.id FROM workspace_memberships wm JOIN users u ON u.id = wm.user_id WHERE u.email_lower = ?`,
			"workspace_memberships wm, users u"},
		{`SELECT id FROM users WHERE workspace_id = ? AND id IN (SELECT user_id FROM account_memberships WHERE id = ?)`,
			"users users, account_memberships account_memberships"},
		{`INSERT INTO outbox (id, to_email) VALUES (?, ?)`, "outbox"},
		{`INSERT INTO outbox (id, workspace_id, to_email) VALUES (?, ?, ?)`, ""},
		{`SELECT 'x FROM users' FROM roles r WHERE r.workspace_id = ?`, ""},
	} {
		if got := strings.Join(untiedTables(c.query, distributed), ", "); got != c.want {
			t.Errorf("%s\nuntied %q, want %q", c.query, got, c.want)
		}
	}
}

// TestDeleteRulesKeepTheirWorkspace: the foreign keys that pair
// workspace_id keep their ON DELETE: a staff member's removal empties the
// link of their account memberships, which stay in the workspace (SET NULL
// of the referring column alone: workspace_id is NOT NULL), and an
// account's deletion takes its memberships with their permissions,
// invitations and emails.
func TestDeleteRulesKeepTheirWorkspace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		ed := db.StaffEditor{WorkspaceID: f.WorkspaceID, StaffID: f.StaffID}
		sm, err := d.AddStaff(ctx, ed, db.NewStaff{Email: "sam@acme.example", Role: db.RoleSupport})
		if err != nil {
			t.Fatal(err)
		}
		acct, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		linked, _, err := d.CreateMembership(ctx, f.Live(), acct.ID, db.NewMembership{StaffID: sm.ID, Permissions: []string{"org.manage"}})
		if err != nil {
			t.Fatal(err)
		}
		invited, _, err := d.CreateMembership(ctx, f.Live(), acct.ID, db.NewMembership{Email: "ann@example.com", SendEmail: true,
			AcceptURL: func(tok string) string { return "/invitations/" + tok }})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.RemoveStaff(ctx, ed, sm.ID); err != nil {
			t.Fatal(err)
		}
		m, err := d.Membership(ctx, f.Live(), db.MembershipRef{ID: linked.ID})
		if err != nil || m.StaffID != nil || m.UserID != linked.UserID || len(m.Permissions) != 1 {
			t.Fatalf("the membership of a removed staff member: %+v, %v", m, err)
		}
		if err := d.DeleteAccount(ctx, f.Live(), acct.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"account_memberships", "membership_permissions", "invitations", "outbox"} {
			column := "membership_id"
			if table == "account_memberships" {
				column = "id"
			}
			var n int
			q := d.Rebind(`SELECT COUNT(*) FROM ` + table + ` WHERE workspace_id = ? AND ` + column + ` IN (?, ?)`)
			if err := d.Get(&n, q, f.WorkspaceID, linked.ID, invited.ID); err != nil || n != 0 {
				t.Errorf("%s keeps %d rows of the deleted account's memberships (%v)", table, n, err)
			}
		}
	})
}

// memberRun is storeRun's part of the self-service stores: a member
// principal's reads and a change it may be refused, the questions a product
// asks, and a portal link made and opened.
func memberRun(t *testing.T, d *db.DB, sc db.Scope, accountID string, member, owner db.Membership) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := d.MemberByEmail(ctx, sc.WorkspaceID, member.User.Email, sc.Live)
	must(err)
	msc := sc
	msc.Member = member.UserID
	_, err = d.ListAccounts(ctx, msc, "", db.Page{Limit: 10})
	must(err)
	// Refused or not (the member's role grants nothing), their statements
	// were sent.
	_, _ = d.ListMemberships(ctx, msc, accountID, db.MembershipFilter{}, db.Page{Limit: 10})
	_, _ = d.UpdateMembership(ctx, msc, db.MembershipRef{ID: owner.ID}, db.MembershipChange{Add: []string{"reports.read"}})
	_, err = d.ListEvents(ctx, msc, db.EventFilter{}, db.Page{Limit: 10})
	must(err)
	_, err = d.Me(ctx, sc, member.User, nil)
	must(err)
	_, err = d.ListMemberships(ctx, sc, "", db.MembershipFilter{Email: member.User.Email}, db.Page{Limit: 10})
	must(err)
	_, err = d.Authorize(ctx, sc, db.AuthorizationQuestion{AccountID: accountID, UserID: member.UserID, Permissions: []string{"reports.read"}})
	must(err)
	var token string
	_, err = d.CreatePortalSession(ctx, sc, db.NewPortalSession{AccountID: accountID, UserID: owner.UserID,
		URL: func(tok string) string { token = tok; return "https://roster.example/portal/" + tok }})
	must(err)
	_, err = d.ExchangePortalToken(ctx, token)
	must(err)
}
