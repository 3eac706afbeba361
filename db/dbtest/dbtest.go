// Package dbtest gives tests real databases: a fresh SQLite file, and a
// fresh PostgreSQL database cloned from a migrated template on the server
// named by TEST_DATABASE_URL.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"roster/db"
)

func init() {
	// Hashing at bcrypt's default cost would dominate the suite's time.
	db.PasswordCost = 4
}

// Each runs fn once per dialect, as the subtests "sqlite" and "postgres",
// each on a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range Dialects(t) {
		t.Run(string(dialect), func(t *testing.T) { fn(t, Open(t, dialect)) })
	}
}

// Dialects lists the dialects to test: those ROSTER_TEST_DIALECTS names;
// else both when there is a PostgreSQL to test on (TEST_DATABASE_URL) or
// one is required (ROSTER_TEST_REQUIRE_POSTGRES=1, as make test sets),
// else SQLite alone. So a plain `go test ./...` without PostgreSQL is
// green on SQLite, and the one skip of TestPostgres (this package) says
// how to run the PostgreSQL half; a required PostgreSQL that is missing
// fails every test that needs it, saying so.
func Dialects(t testing.TB) []db.Dialect {
	want := os.Getenv("ROSTER_TEST_DIALECTS")
	switch {
	case want != "":
	case os.Getenv("TEST_DATABASE_URL") != "" || postgresRequired():
		want = "sqlite,postgres"
	default:
		want = "sqlite"
	}
	var ds []db.Dialect
	for _, name := range strings.Split(want, ",") {
		ds = append(ds, db.Dialect(strings.TrimSpace(name)))
	}
	return ds
}

// Open returns a fresh, migrated database of the dialect, removed when the
// test ends.
func Open(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	var d *db.DB
	var err error
	switch dialect {
	case db.SQLite:
		d, err = db.Open("sqlite:" + filepath.Join(t.TempDir(), "roster.db"))
		if err == nil {
			err = d.Migrate(context.Background())
		}
	case db.Postgres:
		d, err = openPostgres(t)
	default:
		t.Fatalf("dbtest: unknown dialect %q in ROSTER_TEST_DIALECTS", dialect)
	}
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// URL returns the URL of a fresh database of the dialect, for tests that
// start a server process of their own.
func URL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	}
	return withDatabase(t, cloneTemplate(t))
}

// PostgresURL returns the URL of a fresh PostgreSQL database, for tests of
// PostgreSQL itself (a server in front of it, several processes on it). It
// skips the test when Dialects leaves PostgreSQL out, and fails it, saying
// so, when PostgreSQL is required and TEST_DATABASE_URL is missing.
func PostgresURL(t testing.TB) string {
	t.Helper()
	needPostgres(t)
	return URL(t, db.Postgres)
}

// needPostgres skips the test when Dialects leaves PostgreSQL out.
func needPostgres(t testing.TB) {
	t.Helper()
	switch {
	case slices.Contains(Dialects(t), db.Postgres):
	case os.Getenv("ROSTER_TEST_DIALECTS") != "":
		t.Skip("ROSTER_TEST_DIALECTS leaves PostgreSQL out")
	default:
		t.Skip(NoPostgres)
	}
}

// NoPostgres is the skip of a test that needs PostgreSQL when there is
// none: how to run the PostgreSQL half of the suite.
const NoPostgres = "PostgreSQL half skipped (TEST_DATABASE_URL is not set): run `make test`, which starts a throwaway " +
	"PostgreSQL with pg_virtualenv, or set TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres?sslmode=disable; " +
	"ROSTER_TEST_REQUIRE_POSTGRES=1 makes this skip a failure"

// postgresRequired reports whether the run must test PostgreSQL
// (ROSTER_TEST_REQUIRE_POSTGRES=1).
func postgresRequired() bool { return os.Getenv("ROSTER_TEST_REQUIRE_POSTGRES") == "1" }

var template struct {
	once sync.Once
	name string
	err  error
}

// adminURL is TEST_DATABASE_URL, or a failure that says what is missing.
func adminURL(t testing.TB) string {
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		t.Fatal("PostgreSQL is required (ROSTER_TEST_REQUIRE_POSTGRES=1, or ROSTER_TEST_DIALECTS names it) but TEST_DATABASE_URL is not set: " +
			"run `make test` (it starts a throwaway PostgreSQL) or set TEST_DATABASE_URL")
	}
	return u
}

func withDatabase(t testing.TB, name string) string {
	u, err := url.Parse(adminURL(t))
	if err != nil {
		t.Fatalf("dbtest: TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// cloneTemplate creates a database from the migrated template, dropped when
// the test ends, and returns its name.
func cloneTemplate(t testing.TB) string {
	t.Helper()
	u := adminURL(t)
	template.once.Do(func() {
		admin, err := sqlx.Open("postgres", u)
		if err != nil {
			template.err = err
			return
		}
		defer admin.Close()
		template.name, template.err = makeTemplate(admin)
	})
	if template.err != nil {
		t.Fatalf("dbtest: PostgreSQL template: %v", template.err)
	}
	return createDatabase(t, "TEMPLATE "+template.name)
}

// EmptyPostgresURL returns the URL of a new PostgreSQL database without
// any table, dropped when the test ends: for tests of migrating it.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	needPostgres(t)
	return withDatabase(t, createDatabase(t, ""))
}

// createDatabase creates a database with the options of CREATE DATABASE
// (e.g. its template), dropped when the test ends, and returns its name.
func createDatabase(t testing.TB, options string) string {
	t.Helper()
	admin, err := sqlx.Open("postgres", adminURL(t))
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	name := strings.ToLower(db.NewID("t"))
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %s %s`, name, options)); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sqlx.Open("postgres", adminURL(t))
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return name
}

// makeTemplate returns the template database migrated by this build's
// migrations, creating it when no test process made it before: it is named
// by the migrations' digest and shared by every test process, so that test
// runs do not leave a database each behind. It is migrated under another
// name and renamed when complete, under an advisory lock, so that no
// process clones a half-migrated template.
func makeTemplate(admin *sqlx.DB) (string, error) {
	ctx := context.Background()
	name := "roster_tmpl_" + db.MigrationsDigest()[:16]
	conn, err := admin.Connx(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('roster dbtest template'))`); err != nil {
		return "", err
	}
	defer func() { _, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext('roster dbtest template'))`) }()
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil || exists {
		return name, err
	}
	building := fmt.Sprintf("roster_tmpl_building_%d", os.Getpid())
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	u, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		return "", err
	}
	u.Path = "/" + building
	d, err := db.Open(u.String())
	if err != nil {
		return "", err
	}
	err = d.Migrate(ctx)
	d.Close()
	if err != nil {
		return "", err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name))
	return name, err
}

func openPostgres(t testing.TB) (*db.DB, error) {
	d, err := db.Open(withDatabase(t, cloneTemplate(t)))
	if err != nil {
		return nil, err
	}
	return d, d.Ping(context.Background())
}

// Fixture is a bootstrapped workspace to test against.
type Fixture struct {
	db.BootstrapResult
	OwnerEmail string
	Password   string
}

// Workspace bootstraps a workspace named name with an owner.
func Workspace(t testing.TB, d *db.DB, name string) Fixture {
	t.Helper()
	f := Fixture{OwnerEmail: "owner@" + strings.ToLower(name) + ".example", Password: "correct horse battery"}
	var err error
	f.BootstrapResult, err = d.Bootstrap(context.Background(), db.NewWorkspace{Name: name, Email: f.OwnerEmail, Password: f.Password})
	if err != nil {
		t.Fatalf("dbtest: bootstrap %s: %v", name, err)
	}
	return f
}

// Live is the fixture's live-mode scope.
func (f Fixture) Live() db.Scope { return db.Scope{WorkspaceID: f.WorkspaceID, Live: true} }

// Test is the fixture's test-mode scope.
func (f Fixture) Test() db.Scope { return db.Scope{WorkspaceID: f.WorkspaceID, Live: false} }
