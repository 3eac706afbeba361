package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lib/pq"

	"roster/db"
	"roster/db/dbtest"
)

// TestListPlansOfABigAccount: on PostgreSQL, the list of an account's
// memberships is served by the (account_id, id) index, never by a walk of
// the primary key filtered by account, for a small account and for one
// that holds most of the table, whose ids interleave, on the first page and
// on a deep one, as the server runs it: a prepared statement past the
// executions after which PostgreSQL may switch to a generic plan, and with
// the generic plan forced. A walk of the primary key reads every later row
// of every other account on a deep page.
func TestListPlansOfABigAccount(t *testing.T) {
	if !slices.Contains(dbtest.Dialects(t), db.Postgres) {
		t.Skip("PostgreSQL is not among ROSTER_TEST_DIALECTS")
	}
	d := dbtest.Open(t, db.Postgres)
	ctx := context.Background()
	sc := dbtest.Workspace(t, d, "Acme").Live()
	big, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Big"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Small"})
	if err != nil {
		t.Fatal(err)
	}
	seedInterleaved(t, d, sc, big.ID, small.ID, 20200)

	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	query := d.Rebind(d.MembershipListQuery())
	if _, err := conn.ExecContext(ctx, `PREPARE list AS `+query); err != nil {
		t.Fatal(err)
	}
	deep := fmt.Sprintf("am_%08d", 20000)
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
		for _, p := range pages {
			for range 6 {
				executeList(t, conn, false, sc, p.account, p.after)
			}
			plan := executeList(t, conn, true, sc, p.account, p.after)
			if strings.Contains(plan, "account_memberships_pkey") && strings.Contains(plan, "account_id = ") {
				t.Errorf("%s, plan_cache_mode %s: the list walks the primary key and filters by account:\n%s", p.name, mode, plan)
			}
		}
	}
}

// seedInterleaved gives the two accounts n memberships in one statement,
// every hundredth to small, so their ids interleave, and analyses the table.
func seedInterleaved(t *testing.T, d *db.DB, sc db.Scope, big, small string, n int) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO users (id, workspace_id, email, email_lower, name, created_at, updated_at)
			SELECT 'usr_' || lpad(g::text, 8, '0'), $1, 'm' || g || '@acme.example', 'm' || g || '@acme.example', '', now(), now()
			FROM generate_series(1, $2::int) g`,
		`INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id, role_id, status, created_at, updated_at)
			SELECT 'am_' || lpad(g::text, 8, '0'), $1, true, CASE WHEN g % 100 = 0 THEN $4 ELSE $3 END,
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

// executeList runs the prepared list for one page, with EXPLAIN when
// explain is set, and returns what it printed.
func executeList(t *testing.T, conn *sql.Conn, explain bool, sc db.Scope, account, after string) string {
	t.Helper()
	q := fmt.Sprintf(`EXECUTE list (%s, true, %s, %s, %s, 51)`,
		pq.QuoteLiteral(sc.WorkspaceID), pq.QuoteLiteral(account), pq.QuoteLiteral(account), pq.QuoteLiteral(after))
	if explain {
		q = "EXPLAIN " + q
	}
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if !explain {
			continue
		}
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
