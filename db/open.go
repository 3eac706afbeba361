package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite" // embedded SQLite driver, pure Go
)

// DefaultURL is where Roster keeps its data when DATABASE_URL is not set.
const DefaultURL = "sqlite:./data/roster.db"

func init() {
	// sqlx does not know modernc's driver name; it binds with '?'.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
	sqlite.MustRegisterDeterministicScalarFunction(sqliteLower, 1, lowerText)
}

// sqliteLower is the SQLite function that lower-cases text by Unicode's
// rules, as Go's strings.ToLower and PostgreSQL's lower() do: SQLite's
// own lower() folds ASCII letters only, so that "Ärzte" never matched a
// search for "ärz" (lowerSQL).
const sqliteLower = "roster_lower"

// lowerText is sqliteLower: NULL stays NULL, text is lower-cased.
func lowerText(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case string:
		return strings.ToLower(v), nil
	case []byte:
		return strings.ToLower(string(v)), nil
	}
	return args[0], nil
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
		c, err := postgresConnector(url, "")
		if err != nil {
			return nil, fmt.Errorf("db: open postgres %s: %w", redactURL(url), err)
		}
		bc, err := postgresConnector(url, " background")
		if err != nil {
			return nil, fmt.Errorf("db: open postgres %s: %w", redactURL(url), err)
		}
		x, background := sqlx.NewDb(sql.OpenDB(c), "postgres"), sqlx.NewDb(sql.OpenDB(bc), "postgres")
		for _, pool := range []*sqlx.DB{x, background} {
			pool.SetConnMaxIdleTime(5 * time.Minute)
		}
		background.SetMaxOpenConns(BackgroundPoolSize)
		background.SetMaxIdleConns(BackgroundPoolSize)
		d := &DB{DB: x, Dialect: Postgres, background: background}
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
		// row locks serialise them on PostgreSQL. Temporary files, among
		// them the journals of savepoints (a bulk request's items), stay
		// in memory. The path is part of a URI: '#' and '?' in it (a
		// test's temporary directory is named after the test, "sqlite#01")
		// must not end it.
		dsn := "file:" + uriPath.Replace(path) + "?_txlock=immediate&_time_format=sqlite" +
			"&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)" +
			"&_pragma=temp_store(MEMORY)"
		x, err := sqlx.Open("sqlite", dsn+"&_pragma=cache_size(-1024)")
		if err != nil {
			return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
		}
		// Connections stay open: opening one runs the pragmas above, and a
		// console page reads on several at once.
		x.SetMaxOpenConns(sqliteReaders())
		x.SetMaxIdleConns(sqliteReaders())
		w, err := sqlx.Open("sqlite", dsn+"&_pragma=wal_autocheckpoint("+strconv.Itoa(writerCheckpointPages)+")")
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
		}
		// The transactions of this process take turns on one connection
		// of their own (see DB.writer).
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		d := &DB{DB: x, Dialect: SQLite, writer: w}
		d.startWALCopier()
		return d, nil
	default:
		return nil, fmt.Errorf("db: unsupported database URL %q (want postgres://… or sqlite:PATH)", redactURL(url))
	}
}

// uriPath escapes what would end the path of a file: URI.
var uriPath = strings.NewReplacer("%", "%25", "#", "%23", "?", "%3F")

// SQLitePath is the file an "sqlite:PATH" URL names, and whether url is
// one.
func SQLitePath(url string) (string, bool) {
	if url == "" {
		url = DefaultURL
	}
	rest, ok := strings.CutPrefix(url, "sqlite:")
	return strings.TrimPrefix(rest, "//"), ok
}

// sqliteReaders is how many connections a process reads SQLite on: three
// per core it may run on, at least 6. SQLite's reads run in the process,
// and a request holds its connection while its goroutine waits for a core:
// with fewer connections than requests that can run, requests queue for a
// connection behind ones that wait for a core. Each keeps its prepared
// statements and a page cache of its own, 1 MB for a reader (the cache
// goes stale at every commit of another connection anyway).
func sqliteReaders() int { return max(6, 3*runtime.GOMAXPROCS(0)) }

// DefaultPoolSize is how many connections a process keeps to PostgreSQL
// by default: four per core it may run on, at least 8. A few connections
// per core keep the server's cores busy; more only make its processes
// queue for them, which lengthens the slowest answers.
func DefaultPoolSize() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// BackgroundPoolSize is how many connections a process keeps to
// PostgreSQL for its background work (see Background), besides its pool:
// one for each loop that runs it (the webhook dispatcher's claims and its
// outcomes, the email outbox, the expiry sweep), each one statement or
// transaction at a time.
const BackgroundPoolSize = 4

// SetPoolSize sets how many connections the pool opens and keeps at most.
func (s *DB) SetPoolSize(n int) {
	s.SetMaxOpenConns(n)
	s.SetMaxIdleConns(n)
}

// ConnectTimeout bounds how long opening a PostgreSQL connection may take
// when the URL does not set connect_timeout: an unreachable server is an
// error, not a wait.
const ConnectTimeout = 3 * time.Second

// postgresConnector makes PostgreSQL connections that time out while
// connecting and probe an idle peer, so that neither a server that stopped
// answering nor a network that drops its packets holds a request forever,
// whose queries take one round trip each (binary_parameters) and whose
// prepared statements keep their plans (plan_cache_mode), plans that
// read through the indexes whatever the tables' sizes when they were
// made (enable_seqscan), and which
// pg_stat_activity names: application_name ("roster" unless the URL
// says) followed by suffix.
func postgresConnector(url, suffix string) (*pq.Connector, error) {
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
	if !q.Has("plan_cache_mode") {
		// The stores' statements are prepared once per connection (see
		// prepared) and written so that their generic plan is their good
		// plan, whatever the sizes of the accounts (the plan tests and the
		// bench check the generic plans): PostgreSQL then plans each once,
		// where by default it plans short statements again at every
		// execution, a third of a membership read's time.
		q.Set("plan_cache_mode", "force_generic_plan")
	}
	if !q.Has("enable_seqscan") {
		// A generic plan is made once, with the tables' sizes of that
		// moment: made while a table was nearly empty (a new workspace's
		// permissions, a webhook queue before its first backlog) it scans
		// the table whole for the connection's life, once the table holds
		// thousands of rows. Every statement of the stores is written for
		// an index (the plan tests and the bench check them); with
		// sequential scans off the planner takes the index whatever the
		// sizes it saw, and still scans a table that has no such index.
		q.Set("enable_seqscan", "off")
	}
	if !q.Has("application_name") {
		q.Set("application_name", "roster")
	}
	q.Set("application_name", q.Get("application_name")+suffix)
	u.RawQuery = q.Encode()
	c, err := pq.NewConnector(u.String())
	if err != nil {
		return nil, err
	}
	c.Dialer(keepAliveDialer{net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 5 * time.Second, Interval: 5 * time.Second, Count: 3,
	}}})
	return c, nil
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

// Ping reports whether the database answers.
func (s *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}
