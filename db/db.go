// Package db owns Roster's storage: opening SQLite or PostgreSQL, migrations,
// transactions and one store per resource. The domain's rules live here,
// inside the stores' transactions, so every caller gets the same answers.
package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // embedded SQLite driver, pure Go
)

//go:embed migrations
var migrations embed.FS

// DefaultURL is where Roster keeps its data when DATABASE_URL is not set.
const DefaultURL = "sqlite:./data/roster.db"

func init() {
	// sqlx does not know modernc's driver name; it binds with '?'.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Dialect names the SQL database behind a DB.
type Dialect string

// The dialects Roster runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is Roster's database handle: a connection pool and its dialect.
type DB struct {
	*sqlx.DB
	Dialect   Dialect
	keys      keyCache // API keys recently looked up by this process
	stmts     sync.Map // query text → its *sqlx.Stmt, prepared once per connection
	preparing sync.Map // query texts being prepared in the background

	// beforeMembershipWrite, set by tests only, runs in the transaction
	// just before a membership row is written with the role and staff
	// member read earlier in it: a test deletes one of them there, as a
	// concurrent request can on PostgreSQL.
	beforeMembershipWrite func(ctx context.Context)
}

// Open connects to the database named by url: "postgres://…" or
// "postgresql://…" for PostgreSQL, "sqlite:PATH" (or "" for DefaultURL) for
// an SQLite file, created with its directory when missing.
func Open(url string) (*DB, error) {
	if url == "" {
		url = DefaultURL
	}
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		x, err := openPostgres(url)
		if err != nil {
			return nil, fmt.Errorf("db: open postgres %s: %w", redactURL(url), err)
		}
		x.SetConnMaxIdleTime(5 * time.Minute)
		d := &DB{DB: x, Dialect: Postgres}
		d.SetPoolSize(DefaultPoolSize())
		return d, nil
	case strings.HasPrefix(url, "sqlite:"):
		path, _ := SQLitePath(url)
		if path == "" {
			return nil, errors.New("db: sqlite URL names no file (want sqlite:PATH)")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("db: create directory for %s: %w", path, err)
		}
		// Every transaction takes the write lock when it begins, so the
		// read-then-write rules in the stores are serialised on SQLite as
		// row locks serialise them on PostgreSQL.
		dsn := "file:" + path + "?_txlock=immediate&_time_format=sqlite" +
			"&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
		x, err := sqlx.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
		}
		// Connections stay open: opening one runs the pragmas above, and a
		// console page reads on several at once.
		x.SetMaxOpenConns(8)
		x.SetMaxIdleConns(8)
		return &DB{DB: x, Dialect: SQLite}, nil
	default:
		return nil, fmt.Errorf("db: unsupported database URL %q (want postgres://… or sqlite:PATH)", redactURL(url))
	}
}

// SQLitePath is the file an "sqlite:PATH" URL names, and whether url is
// one.
func SQLitePath(url string) (string, bool) {
	if url == "" {
		url = DefaultURL
	}
	rest, ok := strings.CutPrefix(url, "sqlite:")
	return strings.TrimPrefix(rest, "//"), ok
}

// DefaultPoolSize is how many connections a process keeps to PostgreSQL
// by default: four per core it may run on, at least 8. A few connections
// per core keep the server's cores busy; more only make its processes
// queue for them, which lengthens the slowest answers.
func DefaultPoolSize() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// SetPoolSize sets how many connections the pool opens and keeps at most.
func (d *DB) SetPoolSize(n int) {
	d.SetMaxOpenConns(n)
	d.SetMaxIdleConns(n)
}

// ConnectTimeout bounds how long opening a PostgreSQL connection may take
// when the URL does not set connect_timeout: an unreachable server is an
// error, not a wait.
const ConnectTimeout = 3 * time.Second

// openPostgres opens a PostgreSQL pool whose connections time out while
// connecting and probe an idle peer, so that neither a server that stopped
// answering nor a network that drops its packets holds a request forever,
// and whose queries take one round trip each (binary_parameters).
func openPostgres(url string) (*sqlx.DB, error) {
	u, err := neturl.Parse(url)
	if err != nil {
		return nil, errors.New("not a valid URL") // url's error would show the password
	}
	q := u.Query()
	if !q.Has("connect_timeout") {
		q.Set("connect_timeout", strconv.Itoa(int(ConnectTimeout.Seconds())))
	}
	if !q.Has("binary_parameters") {
		// A query with parameters then costs one round trip instead of
		// two: lib/pq sends parse, bind and execute at once rather than
		// asking the server for the statement's parameter types first.
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	c, err := pq.NewConnector(u.String())
	if err != nil {
		return nil, err
	}
	c.Dialer(keepAliveDialer{net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 5 * time.Second, Interval: 5 * time.Second, Count: 3,
	}}})
	return sqlx.NewDb(sql.OpenDB(c), "postgres"), nil
}

// keepAliveDialer is lib/pq's dialer with TCP keep-alive probes set: a
// connection whose peer went silent fails after about 20 s.
type keepAliveDialer struct{ d net.Dialer }

// Dial connects to addr.
func (k keepAliveDialer) Dial(network, addr string) (net.Conn, error) {
	return k.d.Dial(network, addr)
}

// DialTimeout connects to addr within timeout.
func (k keepAliveDialer) DialTimeout(network, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return k.d.DialContext(ctx, network, addr)
}

// DialContext connects to addr until ctx ends.
func (k keepAliveDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return k.d.DialContext(ctx, network, addr)
}

// redactURL hides a password in a database URL so it can be shown.
func redactURL(url string) string {
	if at := strings.LastIndex(url, "@"); at > 0 {
		if scheme := strings.Index(url, "://"); scheme > 0 && scheme < at {
			return url[:scheme+3] + "…" + url[at:]
		}
	}
	return url
}

// MigrationsDigest identifies the migrations of this build: the SHA-256 of
// their names and contents, in hex. Tests name a migrated template by it.
func MigrationsDigest() string {
	h := sha256.New()
	err := fs.WalkDir(migrations, "migrations", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := migrations.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		panic("db: embedded migrations unreadable: " + err.Error())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Migrate applies every pending migration.
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// migrations is goose's provider of the embedded migrations of the DB's
// dialect.
func (d *DB) migrations() (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(d.Dialect))
	if err != nil {
		return nil, fmt.Errorf("db: migrations for %s: %w", d.Dialect, err)
	}
	gd := goose.DialectPostgres
	if d.Dialect == SQLite {
		gd = goose.DialectSQLite3
	}
	var opts []goose.ProviderOption
	if d.Dialect == Postgres {
		// Servers started together on a fresh database take turns: without
		// the lock both run the first migration and one fails to start.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("db: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, d.DB.DB, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("db: migration provider: %w", err)
	}
	return p, nil
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// forUpdate is the row-locking suffix of a SELECT: PostgreSQL locks the rows
// it reads; SQLite needs none, its transactions already hold the write lock.
func (d *DB) forUpdate() string {
	if d.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// dialectSQL is a query in both dialects: written for PostgreSQL, and
// rewritten for SQLite where the two differ.
type dialectSQL struct{ postgres, sqlite string }

// aggregating is a query that lists keys with PostgreSQL's string_agg, in
// both dialects: SQLite's name for it is group_concat.
func aggregating(query string) dialectSQL {
	return dialectSQL{postgres: query, sqlite: strings.ReplaceAll(query, "string_agg(", "group_concat(")}
}

// dialect returns q in the DB's dialect.
func (d *DB) dialect(q dialectSQL) string {
	if d.Dialect == SQLite {
		return q.sqlite
	}
	return q.postgres
}

// keyList splits a space-separated list of permission keys, as the queries
// built with aggregating read them, and sorts it; NULL, the aggregate of no
// rows, is the empty list. Permission keys hold no spaces: the API and the
// console check them against a pattern before they reach the catalog.
func keyList(list sql.NullString) []string {
	keys := strings.Fields(list.String)
	slices.Sort(keys)
	return keys
}

type txKey struct{}

// querier is what both *sqlx.DB and *sqlx.Tx offer.
type querier interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// q returns the transaction carried by ctx, or the pool.
func (d *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return tx
	}
	return d.DB
}

// get runs query (written with '?') and scans one row into dest.
func (d *DB) get(ctx context.Context, dest any, query string, args ...any) error {
	st, err := d.prepared(ctx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return d.q(ctx).GetContext(ctx, dest, d.Rebind(query), args...)
	}
	return st.GetContext(ctx, dest, args...)
}

// selectAll runs query (written with '?') and scans every row into dest.
func (d *DB) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	st, err := d.prepared(ctx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return d.q(ctx).SelectContext(ctx, dest, d.Rebind(query), args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

// exec runs a statement (written with '?') and returns the rows it affected.
func (d *DB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := d.prepared(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	if st == nil {
		res, err = d.q(ctx).ExecContext(ctx, d.Rebind(query), args...)
	} else {
		res, err = st.ExecContext(ctx, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// maxQueryParameters bounds the parameters of one query that takes a list
// ("IN (?)"): above every list a request may carry (MaxListItems), far
// below SQLite's 32766 and PostgreSQL's 65535, whose "too many SQL
// variables" was a 500.
const maxQueryParameters = 2 * MaxListItems

// expandIn expands the "IN (?)" of query for its slice argument, refusing
// more than maxQueryParameters parameters.
func (d *DB) expandIn(query string, args []any) (string, []any, error) {
	q, args, err := sqlx.In(query, args...)
	if err != nil {
		return "", nil, err
	}
	if len(args) > maxQueryParameters {
		return "", nil, fmt.Errorf("db: %d parameters in one query, more than %d", len(args), maxQueryParameters)
	}
	return d.Rebind(q), args, nil
}

// selectIn is selectAll for a query with an "IN (?)" that takes a slice
// argument. Such queries are not kept prepared: their text changes with
// the length of the slice.
func (d *DB) selectIn(ctx context.Context, dest any, query string, args ...any) error {
	q, args, err := d.expandIn(query, args)
	if err != nil {
		return err
	}
	return d.q(ctx).SelectContext(ctx, dest, q, args...)
}

// execIn is exec for a statement with an "IN (?)", like selectIn.
func (d *DB) execIn(ctx context.Context, query string, args ...any) (int64, error) {
	q, args, err := d.expandIn(query, args)
	if err != nil {
		return 0, err
	}
	res, err := d.q(ctx).ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// prepared returns the statement of query for ctx's transaction or the
// pool, prepared the first time it runs: each connection then parses it
// once (and PostgreSQL may keep its plan), where a one-off query is parsed
// and planned every time, half of a short query's cost. The stores'
// queries are a fixed set, so the statements are too. In a transaction, a
// query that is not prepared yet runs as it is (prepared is nil) and is
// prepared in the background: preparing takes a connection of the pool,
// and transactions that each wait for a second connection while holding
// one can use up the pool.
func (d *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	tx, inTx := ctx.Value(txKey{}).(*sqlx.Tx)
	v, ok := d.stmts.Load(query)
	switch {
	case ok && inTx:
		return tx.StmtxContext(ctx, v.(*sqlx.Stmt)), nil
	case ok:
		return v.(*sqlx.Stmt), nil
	case inTx:
		d.prepareSoon(query)
		return nil, nil
	}
	return d.prepare(ctx, query)
}

// prepare prepares query on the pool and keeps the statement.
func (d *DB) prepare(ctx context.Context, query string) (*sqlx.Stmt, error) {
	st, err := d.DB.PreparexContext(ctx, d.Rebind(query))
	if err != nil {
		return nil, err
	}
	if v, ok := d.stmts.LoadOrStore(query, st); ok {
		st.Close() // another request prepared it first
		return v.(*sqlx.Stmt), nil
	}
	return st, nil
}

// prepareSoon prepares query in the background, once at a time; a failure
// leaves it to the next call.
func (d *DB) prepareSoon(query string) {
	if _, busy := d.preparing.LoadOrStore(query, true); busy {
		return
	}
	go func() {
		defer d.preparing.Delete(query)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = d.prepare(ctx, query)
	}()
}

// WithTx runs fn in a transaction, committing when it returns nil. Called
// inside another WithTx it joins the outer transaction instead of nesting.
func (d *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return fn(ctx)
	}
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// now is the time stamp stores write: UTC, to the microsecond, so both
// databases store and return the same value.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// nullString turns "" into NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
