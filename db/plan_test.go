package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

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
	seedInterleaved(t, d, sc, acct.ID, acct.ID, 1) // analyzed with one member, no permissions, no invitations
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

// readsWhole says how a plan reads a table whole: a sequential scan, or a
// join that matches each row against the invitations or the accounts read
// without their key (a Join Filter over them); "" when it does neither.
// Users are still joined so in a plan made on tables of one row (the
// planner then takes any index that starts with workspace_id for the
// lookup by key), until ANALYZE sees the tables grown and the plan is made
// again: docs/performance.md.
func readsWhole(plan string) string {
	for _, line := range strings.Split(plan, "\n") {
		switch {
		case strings.Contains(line, "Seq Scan"):
			return "scans a table whole"
		case strings.Contains(line, "Join Filter:") && (strings.Contains(line, "i.") || strings.Contains(line, "a.")):
			return "matches rows against a table read without its key (" + strings.TrimSpace(line) + ")"
		}
	}
	return ""
}
