package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"roster/db"
)

// plan is a query the server runs on every list or lookup, with arguments.
type plan struct {
	name, query string
	args        []any
}

// planQueries are the lists and lookups whose plans must not read rows
// that grow with the table, written as the stores write them (the
// membership queries from db.MembershipSelect), on the seeded accounts:
// the lists at every account size, first page and deep page (the
// memberships' and the events' lists as the stores send them).
func planQueries(d *db.DB, s seeded, o options) []plan {
	ws, live := s.workspaceID, true
	large := s.sized(slices.Max(o.sizes))
	members := d.MembershipSelect()
	list, events := d.MembershipListQuery(50), d.EventListQuery(20)
	// page is the arguments of a page of one account's rows.
	page := func(account string, values []any, cursor string) []any {
		return append([]any{ws, live}, d.AccountPageArgs(account, values, cursor)...)
	}
	ps := []plan{
		{"api key by secret", `SELECT workspace_id, key_id FROM api_key_lookup WHERE secret_hash = ?`, []any{db.HashSecret(s.key)}},
		{"api key in its workspace", `SELECT id FROM api_keys WHERE workspace_id = ? AND id = ? AND secret_hash = ?`,
			[]any{ws, s.keyID, db.HashSecret(s.key)}},
		{"membership by id", members + ` AND am.id = ?`, []any{ws, live, large.memberID(large.size / 2)}},
		{"memberships of a person (GET /v1/me)", d.MeQuery(), []any{ws, live, large.userID(large.size / 2), time.Now()}},
		{"authorize a person", d.AuthorizeByUserQuery(),
			[]any{ws, live, large.id, large.userID(large.size / 2), ws, `["billing.read"]`}},
	}
	for _, n := range o.sizes {
		a := s.sized(n)
		ps = append(ps,
			plan{fmt.Sprintf("members first page, %d", n), list, page(a.id, nil, "")},
			plan{fmt.Sprintf("members deep page, %d", n), list, page(a.id, nil, deepCursor(a))},
			plan{fmt.Sprintf("events of an account, %d", n), events, page(a.id, nil, db.LastEventID())},
			plan{fmt.Sprintf("events deep page, %d", n), events, page(a.id, nil, a.eventID(10))},
		)
	}
	return append(ps,
		plan{fmt.Sprintf("members by status, %d", large.size), d.MembershipListQueryBy("status", 50), page(large.id, []any{"invited"}, "")},
		plan{fmt.Sprintf("members by role, %d", large.size), d.MembershipListQueryBy("role_id", 50), page(large.id, []any{s.roleID}, "")},
		plan{fmt.Sprintf("memberships removed with an account, %d", large.size), d.RemovedMembershipsQuery(), page(large.id, nil, "")},
		plan{"accounts page", `SELECT id FROM accounts WHERE workspace_id = ? AND livemode = ? AND id > ? ORDER BY id LIMIT ?`, []any{ws, live, "", 21}},
		plan{"user by email", `SELECT id FROM users WHERE workspace_id = ? AND email_lower = ?`, []any{ws, "m1.7@bench.example"}},
	)
}

// explain prints the plan of each list and lookup query as the server
// runs it, and checks that none reads more than its answer needs. On
// PostgreSQL a statement is prepared, as the server's are, and explained
// on its sixth execution (PostgreSQL may switch a prepared statement to
// its generic plan after five) and with the generic plan forced: a plan
// the server may come to use is checked whichever it picks. SQLite plans a
// statement when it prepares it.
func explain(ctx context.Context, dbURL string, s seeded, o options) ([]result, error) {
	d, err := db.Open(dbURL)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	conn, err := d.Connx(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var rs []result
	fmt.Fprintf(stderr, "\nQuery plans on %s:\n", d.Dialect)
	for _, p := range planQueries(d, s, o) {
		var problems []string // "problem (mode, mode)"
		var modes [][]string
		for _, mode := range planModes(d.Dialect) {
			lines, err := mode.plan(ctx, conn, d.Rebind(p.query), p.args)
			if err != nil {
				return nil, fmt.Errorf("%s (%s): %w", p.name, mode.name, err)
			}
			text := strings.Join(lines, "\n")
			fmt.Fprintf(stderr, "  %s (%s):\n    %s\n", p.name, mode.name, strings.ReplaceAll(text, "\n", "\n    "))
			if problem := planProblem(d.Dialect, text); problem != "" {
				if i := slices.Index(problems, problem); i >= 0 {
					modes[i] = append(modes[i], mode.name)
				} else {
					problems, modes = append(problems, problem), append(modes, []string{mode.name})
				}
			}
		}
		verdict := "index"
		if len(problems) > 0 {
			var vs []string
			for i, p := range problems {
				vs = append(vs, p+" ("+strings.Join(modes[i], ", ")+")")
			}
			verdict = strings.Join(vs, "; ")
		}
		rs = append(rs, figure(string(d.Dialect), "plan", p.name, verdict, "index", len(problems) == 0))
	}
	return rs, nil
}

// planMode is one way of obtaining the plan the server runs a query with.
type planMode struct {
	name string
	plan func(ctx context.Context, conn *sqlx.Conn, query string, args []any) ([]string, error)
}

// planModes are the plans to check on the dialect.
func planModes(d db.Dialect) []planMode {
	if d == db.SQLite {
		return []planMode{{"prepared", func(ctx context.Context, conn *sqlx.Conn, query string, args []any) ([]string, error) {
			return planLines(ctx, conn, "EXPLAIN QUERY PLAN "+query, args...)
		}}}
	}
	return []planMode{
		{"6th execution", func(ctx context.Context, conn *sqlx.Conn, query string, args []any) ([]string, error) {
			return preparedPlan(ctx, conn, query, args, "auto")
		}},
		{"generic", func(ctx context.Context, conn *sqlx.Conn, query string, args []any) ([]string, error) {
			return preparedPlan(ctx, conn, query, args, "force_generic_plan")
		}},
	}
}

// preparedPlan prepares query on conn, executes it five times and explains
// (with ANALYZE) its sixth execution, under the plan_cache_mode given.
func preparedPlan(ctx context.Context, conn *sqlx.Conn, query string, args []any, cacheMode string) ([]string, error) {
	if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = `+cacheMode); err != nil {
		return nil, err
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `RESET plan_cache_mode`) }()
	if _, err := conn.ExecContext(ctx, `PREPARE bench_plan AS `+query); err != nil {
		return nil, err
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `DEALLOCATE bench_plan`) }()
	execute := "EXECUTE bench_plan(" + literals(args) + ")"
	for range 5 {
		if _, err := conn.ExecContext(ctx, execute); err != nil {
			return nil, err
		}
	}
	return planLines(ctx, conn, "EXPLAIN (ANALYZE, BUFFERS) "+execute)
}

// literals writes args as SQL literals, for EXECUTE.
func literals(args []any) string {
	out := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = pq.QuoteLiteral(v)
		case bool:
			out[i] = strconv.FormatBool(v)
		case time.Time:
			out[i] = pq.QuoteLiteral(v.UTC().Format(time.RFC3339Nano))
		default:
			out[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(out, ", ")
}

// planLines returns the plan's text, one line per node.
func planLines(ctx context.Context, conn *sqlx.Conn, query string, args ...any) ([]string, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
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

// A plan reads more than its answer needs when it reads a whole big table;
// an index only by the workspace, which reads every row of the workspace;
// a primary key in order, filtering by account, which reads every later
// row of every other account (the plan of issue 16); or, whatever the
// cause, more than maxDiscarded rows that it then discards.
var (
	postgresWorkspaceOnly = regexp.MustCompile(`Index Cond: \((\w+\.)?workspace_id = \S+\)$`)
	sqliteWorkspaceOnly   = regexp.MustCompile(`INDEX \S+ \(workspace_id=\?\)`)
	postgresPrimaryKey    = regexp.MustCompile(`Index (Only )?Scan( Backward)? using (\w+)_pkey on (\w+)`)
	sqlitePrimaryKey      = regexp.MustCompile(`(SCAN|SEARCH) (\w+) USING (COVERING )?INDEX sqlite_autoindex_(\w+)_1( \(id[<>]\?\))?$`)
	postgresDiscarded     = regexp.MustCompile(`Rows Removed by Filter: (\d+)`)
)

const maxDiscarded = 1000

// planProblem says what a plan reads that its answer does not need; ""
// when it reads only what it returns.
func planProblem(dialect db.Dialect, plan string) string {
	lines := strings.Split(plan, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		switch {
		case dialect == db.Postgres && postgresWorkspaceOnly.MatchString(line) && !isCatalog(nodeTable(lines[:i])),
			dialect == db.SQLite && sqliteWorkspaceOnly.MatchString(line):
			return "reads a workspace"
		case dialect == db.SQLite && strings.HasPrefix(line, "SCAN json_each VIRTUAL TABLE"):
			// The list argument of a listing query (db.listArg), not a table.
		case dialect == db.SQLite && strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING"):
			return "scans " + strings.TrimPrefix(line, "SCAN ") // SQLite names tables by their alias
		case dialect == db.SQLite && sqlitePrimaryKey.MatchString(line) && isBig(sqlitePrimaryKey.FindStringSubmatch(line)[4]):
			return "walks " + sqlitePrimaryKey.FindStringSubmatch(line)[4] + "'s primary key"
		case dialect == db.Postgres && postgresPrimaryKey.MatchString(line):
			if t := postgresPrimaryKey.FindStringSubmatch(line)[4]; isBig(t) && filtersByAccount(lines[i+1:]) {
				return "walks " + t + "_pkey, filters by account"
			}
		}
		if m := postgresDiscarded.FindStringSubmatch(line); m != nil {
			if n, _ := strconv.Atoi(m[1]); n > maxDiscarded {
				return fmt.Sprintf("discards %d rows", n)
			}
		}
		for _, t := range bigTables {
			if dialect == db.Postgres && strings.Contains(line, "Seq Scan on "+t+" ") {
				return "scans " + t
			}
		}
	}
	return ""
}

func isBig(table string) bool { return slices.Contains(bigTables, table) }

// catalogTables are a workspace's catalog: its roles and permissions, a
// few rows each, which a plan may read whole by the workspace (authorize
// matches the keys asked against the catalog; GET /v1/me its roles).
var catalogTables = []string{"roles", "permissions", "role_permissions"}

func isCatalog(table string) bool { return slices.Contains(catalogTables, table) }

var postgresNode = regexp.MustCompile(` on (\w+)`)

// nodeTable is the table of the last plan node in lines: the node whose
// detail lines follow.
func nodeTable(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "->") || i == 0 {
			if m := postgresNode.FindStringSubmatch(l); m != nil {
				return m[1]
			}
			return ""
		}
	}
	return ""
}

// filtersByAccount reports whether the node whose detail lines follow
// filters its rows by account (its Filter line, before the next node).
func filtersByAccount(rest []string) bool {
	for _, l := range rest {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "->") {
			return false
		}
		if strings.HasPrefix(l, "Filter:") && strings.Contains(l, "account_id") {
			return true
		}
	}
	return false
}
