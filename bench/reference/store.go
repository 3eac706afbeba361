package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Every member of the reference is in one workspace: the GET and the
// PATCH find a membership by workspace and id alone.
const workspaceID = "ws_reference"

// schema is the reference's tables in PostgreSQL's words; sqliteSchema
// rewrites the two types SQLite spells otherwise.
const schema = `
DROP TABLE IF EXISTS ref_events;
DROP TABLE IF EXISTS ref_permissions;
DROP TABLE IF EXISTS ref_memberships;
CREATE TABLE ref_memberships (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    email        TEXT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE ref_permissions (
    membership_id TEXT NOT NULL REFERENCES ref_memberships (id),
    key           TEXT NOT NULL,
    PRIMARY KEY (membership_id, key)
);
CREATE TABLE ref_events (
    id            BIGSERIAL PRIMARY KEY,
    membership_id TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);`

func sqliteSchema() string {
	return strings.NewReplacer("BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY", "TIMESTAMPTZ", "DATETIME").Replace(schema)
}

// account is one seeded account: its number (from 1), its members and
// when they were created, one every step ticks from tick start on. Its
// n-th member's id is "rm_", start + n × step in 13 digits and the
// account's number in 13: the ids of different accounts interleave, and
// the bench and its pgbench script compute them.
type account struct {
	No    int   `json:"no"`
	Size  int   `json:"size"`
	Start int64 `json:"start"`
	Step  int64 `json:"step"`
}

// parseAccounts reads -seed: a JSON array of accounts.
func parseAccounts(spec string) ([]account, error) {
	var as []account
	if err := json.Unmarshal([]byte(spec), &as); err != nil {
		return nil, fmt.Errorf(`-seed: want [{"no":1,"size":1000,"start":0,"step":100},…]: %w`, err)
	}
	for _, a := range as {
		if a.No < 1 || a.Size < 1 || a.Start < 0 || a.Step < 1 {
			return nil, fmt.Errorf("-seed: account %+v: want no, size and step ≥ 1, start ≥ 0", a)
		}
	}
	return as, nil
}

// seedSQL inserts every member of the accounts ($2, JSON) in one
// statement, in the order of their ids, so that the accounts' rows are
// mixed in the table as their ids are.
var seedSQL = map[dialect]string{
	"postgres": `INSERT INTO ref_memberships (id, workspace_id, account_id, user_id, email, name, role, status, created_at, updated_at)
		SELECT 'rm_' || lpad((a.start + n * a.step)::text, 13, '0') || lpad(a.no::text, 13, '0'), $1, 'acct_' || a.no,
			'usr_' || lpad((a.start + n * a.step)::text, 13, '0') || lpad(a.no::text, 13, '0'),
			'member' || n || '.' || a.no || '@reference.example', 'Member ' || n, 'member', 'active', $3, $3
		FROM json_to_recordset($2::json) AS a(no int, size int, start bigint, step bigint), generate_series(0, a.size - 1) AS n
		ORDER BY 1`,
	"sqlite": `WITH RECURSIVE a(no, size, start, step) AS (
			SELECT value ->> 'no', value ->> 'size', value ->> 'start', value ->> 'step' FROM json_each(?2)),
		s(no, n, size, start, step) AS (
			SELECT no, 0, size, start, step FROM a
			UNION ALL SELECT no, n + 1, size, start, step FROM s WHERE n + 1 < size)
		INSERT INTO ref_memberships (id, workspace_id, account_id, user_id, email, name, role, status, created_at, updated_at)
		SELECT printf('rm_%013d%013d', start + n * step, no), ?1, 'acct_' || no, printf('usr_%013d%013d', start + n * step, no),
			'member' || n || '.' || no || '@reference.example', 'Member ' || n, 'member', 'active', ?3, ?3
		FROM s ORDER BY 1`,
}

// seed replaces the schema and inserts the accounts' members.
func (s *store) seed(as []account) error {
	ddl := schema
	if s.dialect == "sqlite" {
		ddl = sqliteSchema()
	}
	for _, stmt := range strings.Split(ddl, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := s.db.Exec(stmt); err != nil {
			return fmt.Errorf("%w: %s", err, stmt)
		}
	}
	spec, err := json.Marshal(as)
	if err != nil {
		return err
	}
	t := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := s.db.Exec(seedSQL[s.dialect], workspaceID, string(spec), t); err != nil {
		return err
	}
	_, err = s.db.Exec(`ANALYZE`)
	return err
}

// statements are the reference's prepared statements: the GET's read, and
// the PATCH's lock, grant, revoke, bump and event.
type statements struct {
	get, lock, grant, revoke, bump, event *sql.Stmt
}

// membershipSQL reads a membership with its direct permissions' keys.
const membershipSQL = `SELECT m.id, m.account_id, m.user_id, m.email, m.name, m.role, m.status, m.version, m.created_at, m.updated_at,
	(SELECT string_agg(p.key, ' ') FROM ref_permissions p WHERE p.membership_id = m.id)
	FROM ref_memberships m WHERE m.workspace_id = $1 AND m.id = $2`

// dollar is a numbered parameter as PostgreSQL writes it; SQLite binds
// "$1" by its order of appearance, "?1" by its number.
var dollar = regexp.MustCompile(`\$(\d)`)

// prepare prepares every statement once on the pool.
func (s *store) prepare() error {
	lock := membershipSQL + ` FOR UPDATE`
	get := membershipSQL
	if s.dialect == "sqlite" { // SQLite's transactions hold the write lock from BEGIN
		lock = strings.ReplaceAll(membershipSQL, "string_agg(", "group_concat(")
		get = lock
	}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.stmts.get, get},
		{&s.stmts.lock, lock},
		{&s.stmts.grant, `INSERT INTO ref_permissions (membership_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`},
		{&s.stmts.revoke, `DELETE FROM ref_permissions WHERE membership_id = $1 AND key = $2`},
		{&s.stmts.bump, `UPDATE ref_memberships SET version = version + 1, updated_at = $3 WHERE workspace_id = $1 AND id = $2 RETURNING version`},
		{&s.stmts.event, `INSERT INTO ref_events (membership_id, data, created_at) VALUES ($1, $2, $3)`},
	} {
		q := p.query
		if s.dialect == "sqlite" {
			q = dollar.ReplaceAllString(q, "?$1")
		}
		st, err := s.db.Prepare(q)
		if err != nil {
			return fmt.Errorf("%w: %s", err, p.query)
		}
		*p.dst = st
	}
	return nil
}

// errNotFound is a membership the workspace lacks.
var errNotFound = errors.New("membership not found")

// membership reads one membership through st (the GET's or the lock's).
func membership(ctx context.Context, st *sql.Stmt, id string) (member, error) {
	var m member
	var keys sql.NullString
	err := st.QueryRowContext(ctx, workspaceID, id).Scan(&m.ID, &m.AccountID, &m.UserID, &m.User.Email, &m.User.Name,
		&m.Role.Slug, &m.Status, &m.Version, &m.CreatedAt, &m.UpdatedAt, &keys)
	if errors.Is(err, sql.ErrNoRows) {
		return m, errNotFound
	}
	m.Permissions = strings.Fields(keys.String)
	m.complete()
	return m, err
}

// get reads one membership.
func (s *store) get(ctx context.Context, id string) (member, error) {
	return membership(ctx, s.stmts.get, id)
}

// change adds and removes direct permissions of one membership in one
// transaction that locks only that membership's row, and records the change
// as an event holding the membership after it.
func (s *store) change(ctx context.Context, id string, add, remove []string) (member, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return member{}, err
	}
	defer func() { _ = tx.Rollback() }()
	m, err := membership(ctx, tx.StmtContext(ctx, s.stmts.lock), id)
	if err != nil {
		return m, err
	}
	for _, k := range add {
		if _, err := tx.StmtContext(ctx, s.stmts.grant).ExecContext(ctx, id, k); err != nil {
			return m, err
		}
		m.Permissions = append(m.Permissions, k)
	}
	for _, k := range remove {
		if _, err := tx.StmtContext(ctx, s.stmts.revoke).ExecContext(ctx, id, k); err != nil {
			return m, err
		}
		m.Permissions = slices.DeleteFunc(m.Permissions, func(p string) bool { return p == k })
	}
	m.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
	if err := tx.StmtContext(ctx, s.stmts.bump).QueryRowContext(ctx, workspaceID, id, m.UpdatedAt).Scan(&m.Version); err != nil {
		return m, err
	}
	m.complete()
	data, err := m.json()
	if err != nil {
		return m, err
	}
	if _, err := tx.StmtContext(ctx, s.stmts.event).ExecContext(ctx, id, data, m.UpdatedAt); err != nil {
		return m, err
	}
	return m, tx.Commit()
}
