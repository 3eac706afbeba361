package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"roster/db"
)

// plan is a query the server runs on every list or lookup, with arguments.
type plan struct {
	name, query string
	args        []any
}

// explain prints the plan of each list and lookup query on the seeded
// database and checks that none scans a whole table.
func explain(ctx context.Context, dbURL string, s seeded, a seededAccount) ([]result, error) {
	d, err := db.Open(dbURL)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	deep := memberID(a.last - 50)
	membershipSelect := d.MembershipSelect()
	plans := []plan{
		{"api key by secret", `SELECT id FROM api_keys WHERE secret_hash = ?`, []any{db.HashSecret(s.key)}},
		{"membership by id", membershipSelect + ` AND am.id = ?`, []any{s.workspaceID, true, memberID(a.first + a.size/2)}},
		{"members first page", d.MembershipListQuery(), []any{s.workspaceID, true, a.id, a.id, "", 51}},
		{"members deep page", d.MembershipListQuery(), []any{s.workspaceID, true, a.id, a.id, deep, 51}},
		{"members by status", membershipSelect + ` AND am.account_id = ? AND (am.account_id, am.id) > (?, ?) AND am.status = ? ORDER BY am.id LIMIT 51`, []any{s.workspaceID, true, a.id, a.id, "", "invited"}},
		{"members by role", membershipSelect + ` AND am.account_id = ? AND (am.account_id, am.id) > (?, ?) AND am.role_id = ? ORDER BY am.id LIMIT 51`, []any{s.workspaceID, true, a.id, a.id, "", s.roleID}},
		{"events of an account", `SELECT id FROM events WHERE workspace_id = ? AND livemode = ? AND account_id = ? ORDER BY id DESC LIMIT 21`, []any{s.workspaceID, true, a.id}},
		{"accounts page", `SELECT id FROM accounts WHERE workspace_id = ? AND livemode = ? AND id > ? ORDER BY id LIMIT 21`, []any{s.workspaceID, true, ""}},
		{"user by email", `SELECT id FROM users WHERE workspace_id = ? AND email_lower = ?`, []any{s.workspaceID, "member7@bench.example"}},
	}
	prefix := "EXPLAIN "
	if d.Dialect == db.SQLite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	var rs []result
	fmt.Fprintf(stderr, "\nQuery plans on %s (%d members in the account):\n", d.Dialect, a.size)
	for _, p := range plans {
		lines, err := planLines(ctx, d, prefix+p.query, p.args)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		text := strings.Join(lines, "\n    ")
		fmt.Fprintf(stderr, "  %s:\n    %s\n", p.name, text)
		scan := fullScan(d.Dialect, text)
		verdict := "index"
		if scan != "" {
			verdict = "scans " + scan
		}
		rs = append(rs, figure(string(d.Dialect), "plan", p.name, verdict, "index", scan == ""))
	}
	return rs, nil
}

// planLines returns the plan's text, one line per node.
func planLines(ctx context.Context, d *db.DB, query string, args []any) ([]string, error) {
	rows, err := d.QueryContext(ctx, d.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return lines, rows.Err()
}

// bigTables are those that grow with an account; reading one whole is a
// plan that does not scale.
var bigTables = []string{"account_memberships", "users", "membership_permissions", "events", "api_keys"}

// An index search bounded by the workspace alone reads every row of the
// workspace: it scales no better than a scan.
var (
	postgresWorkspaceOnly = regexp.MustCompile(`Index Cond: \((\w+\.)?workspace_id = \S+\)$`)
	sqliteWorkspaceOnly   = regexp.MustCompile(`INDEX \S+ \(workspace_id=\?\)`)
)

// fullScan says what a plan reads whole: a big table, or a workspace;
// "" when it reads only what it returns.
func fullScan(dialect db.Dialect, plan string) string {
	for _, line := range strings.Split(plan, "\n") {
		switch {
		case dialect == db.Postgres && postgresWorkspaceOnly.MatchString(line),
			dialect == db.SQLite && sqliteWorkspaceOnly.MatchString(line):
			return "a workspace"
		case dialect == db.SQLite && strings.Contains(line, "SCAN ") && !strings.Contains(line, "USING"):
			return strings.TrimSpace(line) // SQLite names tables by their alias
		}
		for _, t := range bigTables {
			if dialect == db.Postgres && strings.Contains(line, "Seq Scan on "+t+" ") {
				return t
			}
		}
	}
	return ""
}
