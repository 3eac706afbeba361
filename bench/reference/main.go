// Command reference is the bench's floor for Roster's membership API: the
// least a server built from the same parts (Fiber, lib/pq, modernc SQLite)
// does to answer the same GET and the same permission PATCH, on a minimal
// schema of its own. It knows nothing of Roster's code or SQL, so that a
// ratio against it shows what Roster's own work costs.
//
//	reference -database-url URL -seed '[{"no":1,"size":1000,"start":0,"step":100},…]'   # create the schema and the accounts' members, then exit
//	reference -database-url URL -addr 127.0.0.1:8081
//
// GET /memberships/{id} is one prepared query; PATCH /memberships/{id} with
// {"add_permissions":[k]} or {"remove_permissions":[k]} is one transaction:
// lock the membership row, insert (or delete) the permission, bump the
// version, insert an event. GET /fixed answers a fixed body: the HTTP floor.
// GET /readyz answers 200 once the server listens.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"
)

func main() {
	var url, addr, seed string
	flag.StringVar(&url, "database-url", "", "postgres://… or sqlite:PATH")
	flag.StringVar(&addr, "addr", "127.0.0.1:8081", "where to listen")
	flag.StringVar(&seed, "seed", "", "create the schema with these accounts' members (JSON: no, size, start, step of each), then exit")
	flag.Parse()
	st, err := open(url)
	if err != nil {
		fail("reference: %v", err)
	}
	defer st.db.Close()
	if seed != "" {
		as, err := parseAccounts(seed)
		if err != nil {
			fail("reference: %v", err)
		}
		if err := st.seed(as); err != nil {
			fail("reference: seed: %v", err)
		}
		return
	}
	if err := st.prepare(); err != nil {
		fail("reference: prepare: %v", err)
	}
	app := newApp(st)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		_ = app.Shutdown()
	}()
	if err := app.Listen(addr); err != nil {
		fail("reference: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// dialect is "postgres" or "sqlite".
type dialect string

// store is the reference's database: its pool, dialect and statements.
type store struct {
	db      *sql.DB
	dialect dialect
	stmts   statements
}

// open connects as Roster does: on PostgreSQL one round trip per query
// (binary_parameters) and four connections per core, at least 8; on SQLite
// WAL, synchronous NORMAL and transactions that take the write lock when
// they begin, with 8 connections kept open.
func open(url string) (*store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		d, err := sql.Open("postgres", url+sep+"binary_parameters=yes")
		if err != nil {
			return nil, err
		}
		n := max(8, 4*runtime.GOMAXPROCS(0))
		d.SetMaxOpenConns(n)
		d.SetMaxIdleConns(n)
		return &store{db: d, dialect: "postgres"}, nil
	case strings.HasPrefix(url, "sqlite:"):
		dsn := "file:" + strings.TrimPrefix(url, "sqlite:") + "?_txlock=immediate&_time_format=sqlite" +
			"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
		d, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		d.SetMaxOpenConns(8)
		d.SetMaxIdleConns(8)
		return &store{db: d, dialect: "sqlite"}, nil
	}
	return nil, fmt.Errorf("-database-url: want postgres://… or sqlite:PATH, not %q", url)
}
