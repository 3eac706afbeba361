package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/db"
)

// seeded is what the seed made: per account size, the account and the ids
// of its first and last members.
type seeded struct {
	workspaceID, roleID, key, email, password string
	accounts                                  []seededAccount
}

type seededAccount struct {
	size        int
	id          string
	first, last int // member numbers, for memberID
}

// memberID is the id of the n-th seeded membership: digits are valid ULID
// characters, so pgbench can compute the same ids.
func memberID(n int) string { return fmt.Sprintf("am_%026d", n) }

// freshDatabase creates an empty database for the dialect and returns its
// URL and how to remove it.
func freshDatabase(ctx context.Context, o options, dialect, tmp string) (string, func(), error) {
	if dialect == "sqlite" {
		return "sqlite:" + filepath.Join(tmp, "bench.db"), func() {}, nil
	}
	admin, err := sqlx.Open("postgres", o.pgURL)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("roster_bench_%d", os.Getpid())
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
// accounts and their members.
func seed(ctx context.Context, roster, dbURL string, sizes []int) (seeded, error) {
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
	}
	if err := cli(ctx, roster, dbURL, &key, "apikey", "create", "--workspace", s.workspaceID, "--mode", "live", "--kind", "secret"); err != nil {
		return s, err
	}
	s.key = key.Secret

	d, err := db.Open(dbURL)
	if err != nil {
		return s, err
	}
	defer d.Close()
	if err := d.GetContext(ctx, &s.roleID, d.Rebind(`SELECT id FROM roles WHERE workspace_id = ? AND slug = 'member'`), s.workspaceID); err != nil {
		return s, fmt.Errorf("member role: %w", err)
	}
	next := 1
	for _, size := range sizes {
		a := seededAccount{size: size, id: db.NewID("acct"), first: next, last: next + size - 1}
		if err := seedAccount(ctx, d, s.workspaceID, s.roleID, a); err != nil {
			return s, err
		}
		s.accounts = append(s.accounts, a)
		next += size
	}
	if err := seedKeys(ctx, d, s.workspaceID, 1000); err != nil {
		return s, err
	}
	if d.Dialect == db.Postgres {
		_, err = d.ExecContext(ctx, `ANALYZE`)
	}
	return s, err
}

// seedAccount inserts one account with its users and active memberships,
// a thousand rows per statement.
func seedAccount(ctx context.Context, d *db.DB, wsID, roleID string, a seededAccount) error {
	t := time.Now().UTC().Truncate(time.Microsecond)
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO accounts (id, workspace_id, livemode, name, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`), a.id, wsID, true, fmt.Sprintf("Account of %d", a.size), t, t); err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	const batch = 1000
	for lo := a.first; lo <= a.last; lo += batch {
		hi := min(lo+batch-1, a.last)
		var users, members []string
		var uargs, margs []any
		for n := lo; n <= hi; n++ {
			uid := fmt.Sprintf("usr_%026d", n)
			email := fmt.Sprintf("member%d@bench.example", n)
			users = append(users, "(?, ?, ?, ?, ?, ?, ?)")
			uargs = append(uargs, uid, wsID, email, email, fmt.Sprintf("Member %d", n), t, t)
			members = append(members, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			margs = append(margs, memberID(n), wsID, true, a.id, uid, roleID, "active", t, t)
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO users (id, workspace_id, email, email_lower, name, created_at, updated_at) VALUES `+
			strings.Join(users, ", ")), uargs...); err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id, role_id, status, created_at, updated_at) VALUES `+
			strings.Join(members, ", ")), margs...); err != nil {
			return fmt.Errorf("insert memberships: %w", err)
		}
	}
	return tx.Commit()
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
	return nil
}
