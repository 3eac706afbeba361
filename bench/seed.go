package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/sync/errgroup"

	"roster/db"
)

// seeded is what the seed made: the workspace, its credentials and its
// accounts, in the order of the layout (the -sizes accounts, then the
// spread accounts).
type seeded struct {
	workspaceID, roleID, key, keyID, email, password string
	accounts                                         []seededAccount
}

// sized returns the first account of n members.
func (s seeded) sized(n int) seededAccount {
	for _, a := range s.accounts {
		if a.size == n {
			return a
		}
	}
	panic(fmt.Sprintf("bench: no account of %d members", n))
}

// freshDatabase creates an empty database of that name for the dialect
// and returns its URL and how to remove it.
func freshDatabase(ctx context.Context, o options, dialect, tmp, name string) (string, func(), error) {
	if dialect == "sqlite" {
		path := filepath.Join(tmp, name+".db")
		return "sqlite:" + path, func() {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				_ = os.Remove(f)
			}
		}, nil
	}
	admin, err := sqlx.Open("postgres", o.pgURL)
	if err != nil {
		return "", nil, err
	}
	name = fmt.Sprintf("%s_bench_%d", name, os.Getpid())
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(o.pgURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

// cli runs the roster binary and decodes its --json output into v.
func cli(ctx context.Context, roster, dbURL string, v any, args ...string) error {
	cmd := exec.CommandContext(ctx, roster, append(args, "--database-url", dbURL, "--json")...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("roster %s: %w", strings.Join(args, " "), err)
	}
	return json.Unmarshal(out, v)
}

// seed bootstraps the workspace through the CLI, then bulk-inserts the
// accounts of the layout, their users, memberships and one event for every
// tenth membership, in the order they were created.
func seed(ctx context.Context, roster, dbURL string, as []seededAccount) (seeded, error) {
	s := seeded{email: "owner@bench.example", password: "bench-password"}
	var boot struct {
		WorkspaceID string `json:"workspace_id"`
	}
	if err := cli(ctx, roster, dbURL, &boot, "bootstrap", "--workspace", "Bench", "--email", s.email, "--password", s.password); err != nil {
		return s, err
	}
	s.workspaceID = boot.WorkspaceID
	var key struct {
		Secret string `json:"secret"`
		ID     string `json:"id"`
	}
	if err := cli(ctx, roster, dbURL, &key, "apikey", "create", "--workspace", s.workspaceID, "--mode", "live", "--kind", "secret"); err != nil {
		return s, err
	}
	s.key, s.keyID = key.Secret, key.ID

	d, err := db.Open(dbURL)
	if err != nil {
		return s, err
	}
	defer d.Close()
	if err := d.GetContext(ctx, &s.roleID, d.Rebind(`SELECT id FROM roles WHERE workspace_id = ? AND slug = 'member'`), s.workspaceID); err != nil {
		return s, fmt.Errorf("member role: %w", err)
	}
	for _, a := range as {
		a.id = db.NewID("acct")
		s.accounts = append(s.accounts, a)
	}
	if err := seedRows(ctx, d, s); err != nil {
		return s, err
	}
	if err := seedKeys(ctx, d, s.workspaceID, 1000); err != nil {
		return s, err
	}
	if d.Dialect == db.Postgres {
		_, err = d.ExecContext(ctx, `ANALYZE`)
	}
	return s, err
}

// seedRows writes the accounts, then each table's rows in creation order,
// with COPY on PostgreSQL and multi-row inserts on SQLite.
func seedRows(ctx context.Context, d *db.DB, s seeded) error {
	base := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
	at := func(tick int64) time.Time { return base.Add(time.Duration(tick) * time.Microsecond) }
	order := creationOrder(s.accounts)
	tables := []struct {
		name string
		cols []string
		rows func(emit func(...any) error) error
	}{
		{"accounts", []string{"id", "workspace_id", "livemode", "name", "created_at", "updated_at"}, func(emit func(...any) error) error {
			for _, a := range s.accounts {
				if err := emit(a.id, s.workspaceID, true, fmt.Sprintf("Account %d of %d members", a.no, a.size), base, base); err != nil {
					return err
				}
			}
			return nil
		}},
		{"users", []string{"id", "workspace_id", "email", "email_lower", "name", "created_at", "updated_at"}, func(emit func(...any) error) error {
			for _, m := range order {
				a := s.accounts[m.account]
				email := fmt.Sprintf("m%d.%d@bench.example", a.no, m.i)
				t := at(a.tick(m.i))
				if err := emit(a.userID(m.i), s.workspaceID, email, email, fmt.Sprintf("Member %d of %d", m.i, a.no), t, t); err != nil {
					return err
				}
			}
			return nil
		}},
		{"account_memberships", []string{"id", "workspace_id", "livemode", "account_id", "user_id", "role_id", "status", "created_at", "updated_at"}, func(emit func(...any) error) error {
			for _, m := range order {
				a := s.accounts[m.account]
				t := at(a.tick(m.i))
				if err := emit(a.memberID(m.i), s.workspaceID, true, a.id, a.userID(m.i), s.roleID, "active", t, t); err != nil {
					return err
				}
			}
			return nil
		}},
		{"events", []string{"id", "workspace_id", "livemode", "type", "actor_type", "actor_id", "account_id", "membership_id", "target_id", "data", "request_id", "created_at"}, func(emit func(...any) error) error {
			for _, m := range order {
				if m.i%10 != 0 {
					continue
				}
				a := s.accounts[m.account]
				id := a.memberID(m.i)
				if err := emit(a.eventID(m.i), s.workspaceID, true, "membership.created", "api_key", "key_bench", a.id, id, id, `{}`, "req_bench", at(a.tick(m.i))); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	// The accounts first; then, on PostgreSQL, the other tables at once,
	// each on its own connection (SQLite has one writer at a time).
	var g errgroup.Group
	if d.Dialect == db.SQLite {
		g.SetLimit(1)
	}
	for i, t := range tables {
		insert := func() error {
			start := time.Now()
			var n int
			err := bulkInsert(ctx, d, t.name, t.cols, func(emit func(...any) error) error {
				return t.rows(func(vals ...any) error { n++; return emit(vals...) })
			})
			if err != nil {
				return fmt.Errorf("insert %s: %w", t.name, err)
			}
			fmt.Fprintf(stderr, "  %s: %d rows in %s\n", t.name, n, time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		if i == 0 {
			if err := insert(); err != nil {
				return err
			}
			continue
		}
		g.Go(insert)
	}
	return g.Wait()
}

// bulkInsert writes the rows that rows emits into table.
func bulkInsert(ctx context.Context, d *db.DB, table string, cols []string, rows func(emit func(...any) error) error) error {
	return withoutForeignKeys(ctx, d, func(conn *sql.Conn) error {
		if d.Dialect == db.Postgres {
			return copyIn(ctx, conn, table, cols, rows)
		}
		return insertBatches(ctx, conn, table, cols, rows)
	})
}

// withoutForeignKeys runs fn on a connection that does not check foreign
// keys: the seed's rows are consistent by construction, and checking
// three or four per row would multiply its time. (On PostgreSQL, without
// the rights to skip them, it checks them.) The connection is returned to
// the pool as it was.
func withoutForeignKeys(ctx context.Context, d *db.DB, fn func(conn *sql.Conn) error) error {
	conn, err := d.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	off, on := []string{`SET session_replication_role = replica`}, []string{`RESET session_replication_role`}
	if d.Dialect == db.SQLite {
		// And a page cache that holds the indexes being filled: with
		// SQLite's 2 MB, inserting a million rows reads their pages anew.
		off = []string{`PRAGMA foreign_keys = OFF`, `PRAGMA cache_size = -524288`}
		on = []string{`PRAGMA foreign_keys = ON`, `PRAGMA cache_size = -2000`}
	}
	for _, q := range off {
		_, _ = conn.ExecContext(ctx, q)
	}
	defer func() {
		for _, q := range on {
			_, _ = conn.ExecContext(context.Background(), q)
		}
	}()
	return fn(conn)
}

// copyIn writes rows with COPY (lib/pq's COPY FROM STDIN), in one
// transaction.
func copyIn(ctx context.Context, conn *sql.Conn, table string, cols []string, rows func(emit func(...any) error) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return err
	}
	if err := rows(func(vals ...any) error { _, err := st.ExecContext(ctx, vals...); return err }); err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// insertBatches writes rows with inserts of 500 rows each, committing
// every 100,000 rows.
func insertBatches(ctx context.Context, conn *sql.Conn, table string, cols []string, rows func(emit func(...any) error) error) error {
	const batch, perTx = 500, 200
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	insert := func(n int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
	}
	full := insert(batch)
	var args []any
	var tx *sql.Tx
	batches := 0
	flush := func(query string) error {
		if tx == nil {
			var err error
			if tx, err = conn.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		args = args[:0]
		if batches++; batches%perTx == 0 {
			err := tx.Commit()
			tx = nil
			return err
		}
		return nil
	}
	defer func() {
		if tx != nil {
			_ = tx.Rollback()
		}
	}()
	err := rows(func(vals ...any) error {
		args = append(args, vals...)
		if len(args) == batch*len(cols) {
			return flush(full)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(args) > 0 {
		if err := flush(insert(len(args) / len(cols))); err != nil {
			return err
		}
	}
	if tx == nil {
		return nil
	}
	err = tx.Commit()
	tx = nil
	return err
}

// seedKeys adds n revoked keys, so the key table is of a size where its
// planner has to choose the index.
func seedKeys(ctx context.Context, d *db.DB, wsID string, n int) error {
	t := time.Now().UTC().Truncate(time.Microsecond)
	var rows []string
	var args []any
	for i := range n {
		rows = append(rows, "(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, fmt.Sprintf("key_%026d", i), wsID, true, "secret", db.HashSecret(fmt.Sprint("bench", i)), "sk_live_bnch", t, t)
	}
	_, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO api_keys (id, workspace_id, livemode, kind, secret_hash, prefix, created_at, revoked_at) VALUES `+
		strings.Join(rows, ", ")), args...)
	if err != nil {
		return fmt.Errorf("insert keys: %w", err)
	}
	_, err = d.ExecContext(ctx, `INSERT INTO api_key_lookup (secret_hash, workspace_id, key_id)
		SELECT secret_hash, workspace_id, id FROM api_keys WHERE prefix = 'sk_live_bnch'`)
	if err != nil {
		return fmt.Errorf("index keys: %w", err)
	}
	return nil
}
