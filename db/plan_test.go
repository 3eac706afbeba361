package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"roster/db"
	"roster/db/dbtest"
)

// TestListPlansOfABigAccount: on PostgreSQL, the list of an account's
// memberships is served by the (account_id, id) index (or the index of the
// column it is filtered by), never by a walk of the primary key filtered
// by account, for a small account and for one
// that holds most of the table, whose ids interleave, on the first page and
// on a deep one, as the server runs it: a prepared statement past the
// executions after which PostgreSQL may switch to a generic plan, and with
// the generic plan forced. A walk of the primary key reads every later row
// of every other account on a deep page.
func TestListPlansOfABigAccount(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	big, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Big"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Small"})
	if err != nil {
		t.Fatal(err)
	}
	seedInterleaved(t, d, sc, big.ID, small.ID, 150000)

	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var roleID string
	if err := d.GetContext(ctx, &roleID, d.Rebind(`SELECT id FROM roles WHERE workspace_id = ? AND is_default`), sc.WorkspaceID); err != nil {
		t.Fatal(err)
	}
	// The list as ListMemberships runs it, unfiltered and filtered by each
	// column that has an index of its own: the arguments that precede the
	// cursor, for an account.
	lists := []struct {
		name, query string
		args        func(account string) []string
	}{
		{"list", d.MembershipListQuery(50), func(a string) []string { return []string{a, a} }},
		{"by_status", d.MembershipListQueryBy("status", 50), func(a string) []string { return []string{a, db.StatusActive, a, db.StatusActive} }},
		{"by_role", d.MembershipListQueryBy("role_id", 50), func(a string) []string { return []string{a, roleID, a, roleID} }},
	}
	for _, l := range lists {
		if _, err := conn.ExecContext(ctx, `PREPARE `+l.name+` AS `+d.Rebind(l.query)); err != nil {
			t.Fatal(err)
		}
	}
	deep := fmt.Sprintf("am_%08d", 119950) // 50 before big's last
	pages := []struct{ name, account, after string }{
		{"big, first page", big.ID, ""},
		{"big, deep page", big.ID, deep},
		{"small, first page", small.ID, ""},
		{"small, deep page", small.ID, deep},
	}
	for _, mode := range []string{"auto", "force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = `+mode); err != nil {
			t.Fatal(err)
		}
		for _, l := range lists {
			for _, p := range pages {
				args := append(append([]string{sc.WorkspaceID, "true"}, l.args(p.account)...), p.after)
				plan := explainPrepared(t, conn, l.name, args)
				if why := wasteful(plan, "account_memberships_pkey"); why != "" {
					t.Errorf("%s %s, plan_cache_mode %s: the list %s:\n%s", l.name, p.name, mode, why, plan)
				}
			}
		}
	}
}

// seedInterleaved gives two accounts n memberships in one statement, as a
// table grows: big's are every member but each hundredth of the first
// 80 %, small's the hundredths and every later one, so their ids
// interleave, the table is in id order (the primary key is perfectly
// correlated with it, the accounts' index is not) and a deep page of big
// has a fifth of the table after it; then it analyses the table.
func seedInterleaved(t *testing.T, d *db.DB, sc db.Scope, big, small string, n int) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO users (id, workspace_id, email, email_lower, name, created_at, updated_at)
			SELECT 'usr_' || lpad(g::text, 8, '0'), $1, 'm' || g || '@acme.example', 'm' || g || '@acme.example', '', now(), now()
			FROM generate_series(1, $2::int) g`,
		`INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id, role_id, status, created_at, updated_at)
			SELECT 'am_' || lpad(g::text, 8, '0'), $1, true,
				CASE WHEN g % 100 = 0 OR g > $2::int * 8 / 10 THEN $4 ELSE $3 END,
				'usr_' || lpad(g::text, 8, '0'), (SELECT id FROM roles WHERE workspace_id = $1 AND is_default), 'active', now(), now()
			FROM generate_series(1, $2::int) g`,
	}
	args := [][]any{{sc.WorkspaceID, n}, {sc.WorkspaceID, n, big, small}}
	for i, q := range stmts {
		if _, err := d.ExecContext(ctx, q, args[i]...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
}

// explainPrepared runs the prepared statement name with args (quoted as
// literals) six times, past the executions after which PostgreSQL may
// switch to a generic plan, and returns the plan EXPLAIN (ANALYZE) prints
// for the next execution.
func explainPrepared(t *testing.T, conn *sql.Conn, name string, args []string) string {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = pq.QuoteLiteral(a)
	}
	q := fmt.Sprintf(`EXECUTE %s (%s)`, name, strings.Join(quoted, ", "))
	for range 6 {
		query(t, conn, q)
	}
	return strings.Join(query(t, conn, "EXPLAIN (ANALYZE) "+q), "\n")
}

// wasteful says how a plan of a page of one account's rows reads more than
// the page: it walks the table's primary key (pkey), sorts, or discards
// more than 1,000 rows; "" when it does none of these.
func wasteful(plan, pkey string) string {
	switch {
	case strings.Contains(plan, pkey):
		return "walks the primary key"
	case strings.Contains(plan, "Sort"):
		return "sorts"
	}
	for _, line := range strings.Split(plan, "\n") {
		_, n, ok := strings.Cut(line, "Rows Removed by Filter: ")
		if removed, err := strconv.Atoi(strings.TrimSpace(n)); ok && err == nil && removed > 1000 {
			return "discards " + strings.TrimSpace(n) + " rows"
		}
	}
	return ""
}

// query runs q on conn and returns the first column of its rows as text.
func query(t *testing.T, conn *sql.Conn, q string) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		var first sql.RawBytes
		vals[0] = &first
		for i := 1; i < len(cols); i++ {
			vals[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(first))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestEventPlansOfABigAccount: on PostgreSQL, the events of an account,
// newest first, are served by the index that starts with the account
// (events_account), never by a walk of all the mode's events filtered by
// account, for a small account whose events are old and sparse and for
// one that holds most of the table, on the first page and on a deep one,
// prepared as the server runs it and with the generic plan forced.
func TestEventPlansOfABigAccount(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	const n = 20200
	// Every hundredth event, among the oldest, is the small account's.
	if _, err := d.ExecContext(ctx, `INSERT INTO events (id, workspace_id, livemode, type, actor_type, actor_id,
			account_id, target_id, data, request_id, created_at)
		SELECT 'evt_' || lpad(g::text, 8, '0'), $1, true, 'membership.updated', 'system', 'roster',
			CASE WHEN g % 100 = 0 AND g < $2::int / 4 THEN 'acct_small' ELSE 'acct_big' END, 'am_x', '{}', '', now()
		FROM generate_series(1, $2::int) g`, sc.WorkspaceID, n); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PREPARE events_of_account AS `+d.Rebind(d.EventListQuery(20))); err != nil {
		t.Fatal(err)
	}
	deep := fmt.Sprintf("evt_%08d", 1000)
	pages := []struct{ name, account, before string }{
		{"big, first page", "acct_big", db.LastEventID()},
		{"big, deep page", "acct_big", deep},
		{"small, first page", "acct_small", db.LastEventID()},
		{"small, deep page", "acct_small", deep},
	}
	for _, mode := range []string{"auto", "force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = `+mode); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			args := []string{sc.WorkspaceID, "true", p.account, p.account, p.before}
			plan := explainPrepared(t, conn, "events_of_account", args)
			if why := wasteful(plan, "events_pkey"); why != "" || !strings.Contains(plan, "events_account") {
				t.Errorf("%s, plan_cache_mode %s: the events are not read through events_account alone (%s):\n%s", p.name, mode, why, plan)
			}
		}
	}
}

// TestSQLiteListPlans: on SQLite, which plans a statement when it prepares
// it and keeps no statistics here, a page of one account's memberships
// (unfiltered, by status, by role) or events is read through the index
// that starts with the account, from the cursor, in its order: never
// through an index of the workspace alone with the whole workspace
// sorted, nor from the account's first row to a deep page.
func TestSQLiteListPlans(t *testing.T) {
	if !slices.Contains(dbtest.Dialects(t), db.SQLite) {
		t.Skip("SQLite is not among ROSTER_TEST_DIALECTS")
	}
	d := dbtest.Open(t, db.SQLite)
	for _, l := range []struct{ query, index string }{
		{d.MembershipListQuery(50), "account_memberships_list"},
		{d.MembershipListQueryBy("status", 50), "account_memberships_status_list"},
		{d.MembershipListQueryBy("role_id", 50), "account_memberships_role_list"},
		{d.EventListQuery(20), "events_account"},
		{d.RemovedMembershipsQuery(), "account_memberships_list"},
	} {
		n := strings.Count(l.query, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = "x"
		}
		text := sqlitePlan(t, d, l.query, args...)
		fromCursor := strings.Contains(text, "id>?)") || strings.Contains(text, "id<?)")
		if !strings.Contains(text, "INDEX "+l.index+" ") || !fromCursor || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("the page is not read through %s from its cursor, in its order:\n%s\n%s", l.index, text, l.query)
		}
	}
}

// TestPlansMadeOnSmallTablesHold: a statement that one of roster's
// PostgreSQL connections planned while its tables were nearly empty (a new
// workspace, a webhook queue before its first backlog) still reads them
// through their indexes once they hold thousands of rows. With
// plan_cache_mode force_generic_plan a connection plans each prepared
// statement once, and a plan made on an empty table scans it whole: the
// membership read then read every permission of the table, and the
// webhook queue's claim every delivery, until ANALYZE invalidated the plan;
// a members page matched each row against the workspace's invitations,
// and GET /v1/me each membership against the workspace's accounts.
func TestPlansMadeOnSmallTablesHold(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	acct, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Growing"})
	if err != nil {
		t.Fatal(err)
	}
	// Analyzed with 100 members (autovacuum analyzes a table once 50 of
	// its rows changed: the fewest an analyzed table of a live workspace
	// holds) and analyzed empty of permissions and invitations, as ANALYZE
	// after a bulk load leaves the tables nothing was loaded into.
	seedInterleaved(t, d, sc, acct.ID, acct.ID, 100)
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ws := sc.WorkspaceID
	statements := []struct {
		name, query string
		args        []string
	}{
		{"read", d.MembershipSelect() + ` AND am.id = ?`, []string{ws, "true", "am_00000001"}},
		{"list", d.MembershipListQuery(50), append([]string{ws, "true"}, texts(d.AccountPageArgs(acct.ID, nil, ""))...)},
		{"me", d.MeQuery(), []string{ws, "true", "usr_00000001", "2026-01-01T00:00:00Z"}},
	}
	for _, st := range statements {
		if _, err := conn.ExecContext(ctx, `PREPARE `+st.name+` AS `+d.Rebind(st.query)); err != nil {
			t.Fatal(err)
		}
		explainPrepared(t, conn, st.name, st.args) // planned now, on the small tables
	}

	grow := []string{
		`INSERT INTO users (id, workspace_id, email, email_lower, name, created_at, updated_at)
			SELECT 'usr_g' || g, $1, 'g' || g || '@acme.example', 'g' || g || '@acme.example', '', now(), now()
			FROM generate_series(1, 20000) g`,
		`INSERT INTO accounts (id, workspace_id, livemode, name, created_at, updated_at)
			SELECT 'acct_g' || g, $1, true, 'Account ' || g, now(), now() FROM generate_series(1, 20000) g`,
		`INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id, role_id, status, created_at, updated_at)
			SELECT 'am_g' || g, $1, true, $2, 'usr_g' || g, (SELECT id FROM roles WHERE workspace_id = $1 AND is_default), 'invited', now(), now()
			FROM generate_series(1, 20000) g`,
		`INSERT INTO membership_permissions (membership_id, workspace_id, permission_key)
			SELECT 'am_g' || g, $1, (SELECT key FROM permissions WHERE workspace_id = $1 ORDER BY key LIMIT 1)
			FROM generate_series(1, 20000) g`,
		`INSERT INTO invitations (membership_id, workspace_id, livemode, token_hash, expires_at, created_at)
			SELECT 'am_g' || g, $1, true, 'hash_g' || g, now() + interval '7 days', now() FROM generate_series(1, 20000) g`,
	}
	for _, q := range grow {
		args := []any{ws}
		if strings.Contains(q, "$2") {
			args = append(args, acct.ID)
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range statements {
		plan := explainPrepared(t, conn, st.name, st.args)
		if problem := readsWhole(plan); problem != "" {
			t.Errorf("%s, planned on small tables, %s once they grew:\n%s", st.name, problem, plan)
		}
	}
}

// texts writes args as the text EXECUTE's literals take.
func texts(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = fmt.Sprint(a)
	}
	return out
}

// readsWhole says how a plan reads a table whole: a sequential scan, a
// join that matches each row against the invitations or the accounts read
// without their key (a Join Filter over them), or any node that reads and
// discards more than 100 rows (an index read by workspace_id alone, the
// key left to a Filter); "" when it does none of these. Each lookup of the
// statements checked has one index that serves it whole, so that even a
// plan made on tables of one row, where the planner sees no difference
// between the indexes that start with workspace_id, takes that one:
// docs/performance.md.
//
// One join may discard rows: matching the page against the workspace's
// roles, read once through roles_pkey by the workspace and kept in memory.
// The planner takes it when a workspace has a few roles; what it discards
// is the page's rows times the other roles, whatever the size of the
// account.
func readsWhole(plan string) string {
	roleMatch := false // the last Join Filter matched memberships to roles
	for _, line := range strings.Split(plan, "\n") {
		joinFilter, isJoinFilter := strings.CutPrefix(strings.TrimSpace(line), "Join Filter: ")
		switch {
		case strings.Contains(line, "Seq Scan"):
			return "scans a table whole"
		case isJoinFilter && (strings.Contains(joinFilter, "i.") || strings.Contains(joinFilter, "a.")):
			return "matches rows against a table read without its key (" + strings.TrimSpace(line) + ")"
		case isJoinFilter:
			roleMatch = joinFilter == "(am.role_id = r.id)"
		}
		if strings.Contains(line, "Rows Removed by Join Filter") && roleMatch {
			continue
		}
		if _, n, ok := strings.Cut(line, "Rows Removed by "); ok {
			_, n, _ = strings.Cut(n, ": ")
			if removed, err := strconv.Atoi(strings.TrimSpace(n)); err == nil && removed > 100 {
				return "reads and discards " + strconv.Itoa(removed) + " rows (" + strings.TrimSpace(line) + ")"
			}
		}
	}
	return ""
}

// TestReadsWhole: the plan check tells the workspace's roles matched in
// memory, whose cost is the page's, from a join or a scan that discards
// rows of a growing table.
func TestReadsWhole(t *testing.T) {
	for _, c := range []struct {
		plan string
		bad  bool
	}{
		{"Nested Loop\n  Join Filter: (am.role_id = r.id)\n  Rows Removed by Join Filter: 102\n  ->  Materialize\n        ->  Index Scan using roles_pkey on roles r\n              Index Cond: (workspace_id = $1)", false},
		{"Nested Loop\n  Join Filter: (am.role_id = r.id)\n  Rows Removed by Join Filter: 102\n  ->  Index Scan using account_memberships_pkey on account_memberships am\n        Filter: (account_id = $3)\n        Rows Removed by Filter: 33000", true},
		{"Nested Loop\n  Join Filter: (u.id = am.user_id)\n  Rows Removed by Join Filter: 20000", true},
		{"Nested Loop\n  Join Filter: (i.membership_id = am.id)", true},
		{"Seq Scan on users u", true},
	} {
		if got := readsWhole(c.plan) != ""; got != c.bad {
			t.Errorf("readsWhole says %q of:\n%s", readsWhole(c.plan), c.plan)
		}
	}
}

// TestBackgroundWorkIsPlannedAtEachRun: on PostgreSQL the dispatcher's
// statements keep no plan. A claim run first while the queue was empty
// (and analyzed empty) still claims what is due once the queue holds
// thousands of deliveries, and its connection holds no prepared statement
// over the queue: a plan kept from the empty queue read the whole queue
// for every claim (docs/performance.md).
func TestBackgroundWorkIsPlannedAtEachRun(t *testing.T) {
	d, sc := postgresWorkspace(t)
	ctx := context.Background()
	bg := db.Background(ctx)
	ep, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "https://hooks.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	d.BackgroundPool().SetMaxOpenConns(1) // the claims' connection is the one the test reads
	now := time.Now()
	if claimed, err := d.ClaimWebhookDeliveries(bg, now, time.Minute, 16); err != nil || len(claimed) != 0 {
		t.Fatalf("claim from the empty queue: %d claimed, %v", len(claimed), err)
	}
	before := queueRowsRead(t, d, -1)
	conn := claimAndFail16(t, d, sc, ep.ID)
	if kept := query(t, conn, `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%webhook_deliveries%'`); len(kept) > 0 {
		t.Errorf("the background connection keeps %d plans over the queue:\n%s", len(kept), strings.Join(kept, "\n"))
	}
	// What the claim and the outcomes read of the queue's 20,000 rows, once
	// that connection's statistics are out (a backend sends them when idle).
	query(t, conn, `SELECT pg_stat_force_next_flush()`)
	if read := queueRowsRead(t, d, before) - before; read > 100 {
		t.Errorf("claiming 16 deliveries and recording their outcomes read %d rows of the queue", read)
	}
}

// claimAndFail16 adds 20,000 deliveries of endpoint epID to the queue, 16
// of them due now and the others in an hour, claims the 16 due, records
// that each failed and waits for its retry (the outcomes written as a
// batch), and returns the background pool's connection.
func claimAndFail16(t *testing.T, d *db.DB, sc db.Scope, epID string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	bg := db.Background(ctx)
	if _, err := d.ExecContext(ctx, `INSERT INTO webhook_deliveries (workspace_id, id, livemode, endpoint_id, event_id, event_type,
			status, next_attempt_at, created_at)
		SELECT $1, 'whd_' || lpad(g::text, 8, '0'), true, $2, 'evt_' || g, 'account.updated', 'pending',
			CASE WHEN g % 1250 = 0 THEN now() - interval '1 second' ELSE now() + interval '1 hour' END, now()
		FROM generate_series(1, 20000) g`, sc.WorkspaceID, epID); err != nil {
		t.Fatal(err)
	}
	claimed, err := d.ClaimWebhookDeliveries(bg, time.Now(), time.Minute, 16)
	if err != nil || len(claimed) != 16 {
		t.Fatalf("claim from the grown queue: %d claimed (want 16), %v", len(claimed), err)
	}
	fs := make([]db.WebhookFinish, len(claimed))
	for i, c := range claimed {
		fs[i] = db.WebhookFinish{Delivery: c, Outcome: db.DeliveryOutcome{Status: 500, Error: "HTTP 500",
			RetryAt: time.Now().Add(time.Minute)}, At: time.Now()}
	}
	if held, err := d.FinishWebhookDeliveries(bg, fs); err != nil || held != 16 {
		t.Fatalf("finish the claimed: %d held (want 16), %v", held, err)
	}
	conn, err := d.BackgroundPool().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// queueRowsRead is how many rows of webhook_deliveries scans have read
// (by sequential scans and through indexes), as the statistics of every
// backend tell it: once it exceeds was and has stayed the same for a
// moment (a backend sends its statistics when idle), or at once when was
// is -1.
func queueRowsRead(t *testing.T, d *db.DB, was int) int {
	t.Helper()
	q := `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'webhook_deliveries'`
	last := -1
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		var n int
		if err := d.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if was < 0 || n > was && n == last || time.Now().After(deadline) {
			return n
		}
		last = n
	}
}
