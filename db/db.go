// Package db owns Roster's storage: opening SQLite or PostgreSQL, migrations,
// transactions and one store per resource. The domain's rules live here,
// inside the stores' transactions, so every caller gets the same answers.
package db

import (
	"context"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

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
	Dialect Dialect
	keys    keyCache // API keys recently looked up by this process
	stmts   sync.Map // query text → its *sqlx.Stmt on the pool, prepared once per connection
	// writer, on SQLite, is the one connection this process's
	// transactions run on, one after the other (WithTx): SQLite lets one
	// writer in at a time anyway, and transactions that queue in Go are
	// handed the connection the moment it is free, where transactions on
	// connections of their own would wait for the lock in SQLite's busy
	// handler, which sleeps, and each re-read the pages another
	// connection's commit made stale. Other processes' transactions still
	// meet this one at SQLite's lock. Nil on PostgreSQL, whose
	// transactions run on the pool.
	writer    *sqlx.DB
	wal       *walCopier     // copies writer's commits into the database file, on SQLite
	wstmts    sync.Map       // query text → its *sqlx.Stmt on writer
	turn      writeTurn      // whose transaction is next on writer
	preparing sync.Map       // query texts being prepared in the background
	prepares  sync.WaitGroup // the background prepares running, which Close waits for
	secrets   secretKeys     // what webhook secrets are encrypted with
	nets      netPolicy      // where webhook endpoints may point

	// background, on PostgreSQL, is the pool of the process's background
	// work (see Background); nil on SQLite, where that work shares the
	// readers and the writer.
	background *sqlx.DB
	bstmts     sync.Map // query text → its *sqlx.Stmt on background

	// beforeMembershipWrite, set by tests only, runs in the transaction
	// just before a membership row is written with the role and staff
	// member read earlier in it: a test deletes one of them there, as a
	// concurrent request can on PostgreSQL.
	beforeMembershipWrite func(ctx context.Context)

	// Now, when set, is the clock the lifecycle reads (read-time expiry,
	// the sweeper, the validation of expires_at): tests move it to make an
	// expiry pass. Nil is the system clock.
	Now func() time.Time

	// onStatement, set by tests only, is given the text of every
	// statement the stores send (see sent).
	onStatement func(query string)
}
