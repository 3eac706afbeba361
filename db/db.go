// Package db owns Roster's storage: opening SQLite or PostgreSQL, migrations,
// transactions and one store per resource. The domain's rules live here,
// inside the stores' transactions, so every caller gets the same answers.
package db

import (
	"context"
	"sync"

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
	Dialect   Dialect
	keys      keyCache       // API keys recently looked up by this process
	stmts     sync.Map       // query text → its *sqlx.Stmt, prepared once per connection
	preparing sync.Map       // query texts being prepared in the background
	prepares  sync.WaitGroup // the background prepares running, which Close waits for
	secrets   secretKeys     // what webhook secrets are encrypted with
	nets      netPolicy      // where webhook endpoints may point
	bulkTurn  bulkTurn       // SQLite: this process's bulk requests, one at a time (bulk.go)

	// beforeMembershipWrite, set by tests only, runs in the transaction
	// just before a membership row is written with the role and staff
	// member read earlier in it: a test deletes one of them there, as a
	// concurrent request can on PostgreSQL.
	beforeMembershipWrite func(ctx context.Context)

	// onStatement, set by tests only, is given the text of every
	// statement the stores send (see sent).
	onStatement func(query string)
}
