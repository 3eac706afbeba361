package db

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/jmoiron/sqlx"
)

type txKey struct{}

// WithTx runs fn in a transaction, committing when it returns nil. Called
// inside another WithTx it joins the outer transaction instead of nesting.
// On SQLite the process's transactions take turns, in the order they
// came, on the writer connection.
func (s *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return fn(ctx)
	}
	pool, _ := s.pool(ctx, true)
	if s.writer != nil {
		if err := s.turn.take(ctx); err != nil {
			return err
		}
		defer s.turn.release()
	}
	tx, err := pool.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	// Rolled back unless committed, also when fn panics (a request's panic
	// becomes a 500, and the connection goes back to the pool clean).
	defer func() { _ = tx.Rollback() }()
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	s.wal.committed()
	return nil
}

// writeAlone runs fn, a write outside any transaction, on SQLite in a
// turn of its own on the writer connection (WithTx): on a reader
// connection it would wait for SQLite's lock in the busy handler, which
// sleeps, and make the writer's next transaction wait there behind it.
// exec does so itself; a get or selectAll that writes (RETURNING) is
// wrapped in it. On PostgreSQL, and inside a transaction, it runs fn as
// it is.
func (s *DB) writeAlone(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.writer == nil {
		return fn(ctx)
	}
	return s.WithTx(ctx, fn)
}

// forUpdate is the row-locking suffix of the SELECTs of the lock… calls
// (lockAccount, lockPermission), which a rule that reads before it writes
// takes inside its transaction: PostgreSQL locks the rows read until the
// transaction ends; SQLite needs no suffix, its transactions hold the write
// lock from their start. Any other read is a plain read.
func (s *DB) forUpdate() string {
	if s.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// writeTurn lets a process's transactions take SQLite's write lock one at
// a time, in the order they came (a channel's waiting senders are served
// first come, first served; database/sql hands a free connection to a
// waiter at random). A transaction waiting in SQLite's busy handler, which
// polls with growing sleeps, can miss the lock's release again and again
// and starve past its deadline (a bulk request holds the lock for up to 100
// items), where a queue hands it on at once. SQLite's lock still decides
// between processes; this only orders the transactions of one.
type writeTurn struct {
	once sync.Once
	turn chan struct{}
}

// take waits for the turn, or for ctx to end.
func (w *writeTurn) take(ctx context.Context) error {
	w.once.Do(func() { w.turn = make(chan struct{}, 1) })
	select {
	case w.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("db: wait for the write turn: %w", ctx.Err())
	}
}

// release gives the turn back, and yields: the Go scheduler runs the
// transaction it woke only once this goroutine blocks or its time slice
// ends, and this one still has its request's answer to encode and send
// (a bulk request's, a hundred memberships), while SQLite's writer, the
// one thing every write waits for, would stay idle. P1's PATCH on SQLite
// went from about 4,200 to 5,000 requests a second with it
// (docs/performance.md).
func (w *writeTurn) release() {
	<-w.turn
	runtime.Gosched()
}
