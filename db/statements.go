package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// querier is what both *sqlx.DB and *sqlx.Tx offer.
type querier interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// q returns the transaction carried by ctx, or the pool.
func (s *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return tx
	}
	pool, _ := s.pool(ctx, false)
	return pool
}

// backgroundKey marks a context as background work.
type backgroundKey struct{}

// Background marks ctx as a process's background work (webhook
// deliveries, the email outbox, the expiry sweep): on PostgreSQL its
// statements and transactions run on a pool of their own, of
// BackgroundPoolSize connections, so that requests queueing for the
// pool's connections (a burst of writes into one account waits for its
// lock on them) never hold it up, nor does it take theirs.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// BackgroundPool is the pool of background work (see Background) on
// PostgreSQL, nil on SQLite: for its metrics.
func (s *DB) BackgroundPool() *sql.DB {
	if s.background == nil {
		return nil
	}
	return s.background.DB
}

// pool returns the pool that ctx's statements run on, in a transaction
// (inTx) or outside one, with the statements prepared on it.
func (s *DB) pool(ctx context.Context, inTx bool) (*sqlx.DB, *sync.Map) {
	switch {
	case inTx && s.writer != nil:
		return s.writer, &s.wstmts
	case s.background != nil && ctx.Value(backgroundKey{}) != nil:
		return s.background, &s.bstmts
	}
	return s.DB, &s.stmts
}

// get runs query (written with '?') and scans one row into dest.
func (s *DB) get(ctx context.Context, dest any, query string, args ...any) error {
	s.sent(query)
	st, err := s.prepared(ctx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return s.q(ctx).GetContext(ctx, dest, s.Rebind(query), args...)
	}
	return st.GetContext(ctx, dest, args...)
}

// selectAll runs query (written with '?') and scans every row into dest.
func (s *DB) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	s.sent(query)
	st, err := s.prepared(ctx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return s.q(ctx).SelectContext(ctx, dest, s.Rebind(query), args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

// query runs query (written with '?') and returns its rows, for the hot
// reads that scan them column by column (selectAll finds each column's
// field by name, which costs as much as the scan).
func (s *DB) query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	s.sent(query)
	st, err := s.prepared(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return s.q(ctx).QueryxContext(ctx, s.Rebind(query), args...)
	}
	return st.QueryxContext(ctx, args...)
}

// exec runs a statement that writes (written with '?') and returns the
// rows it affected. Outside a transaction, on SQLite, it runs in a turn of
// its own on the writer connection (writeAlone).
func (s *DB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if _, inTx := ctx.Value(txKey{}).(*sqlx.Tx); !inTx && s.writer != nil {
		var n int64
		err := s.WithTx(ctx, func(ctx context.Context) (err error) {
			n, err = s.exec(ctx, query, args...)
			return err
		})
		return n, err
	}
	s.sent(query)
	st, err := s.prepared(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	if st == nil {
		res, err = s.q(ctx).ExecContext(ctx, s.Rebind(query), args...)
	} else {
		res, err = st.ExecContext(ctx, args...)
	}
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
//
// Background work (see Background) runs its statements as they are on
// PostgreSQL, planned at each execution: it works through queues (the
// webhook deliveries, the email outbox) whose size swings, a backlog
// growing from nothing when an endpoint goes down, and a plan kept from
// the queue's size of one moment, made while it was empty, read the whole
// queue for every claim once it held thousands (docs/performance.md). Its
// few statements a second can afford the planning that requests cannot.
func (s *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if s.background != nil && ctx.Value(backgroundKey{}) != nil {
		return nil, nil
	}
	tx, inTx := ctx.Value(txKey{}).(*sqlx.Tx)
	pool, stmts := s.pool(ctx, inTx)
	v, ok := stmts.Load(query)
	switch {
	case ok && inTx:
		return tx.StmtxContext(ctx, v.(*sqlx.Stmt)), nil
	case ok:
		return v.(*sqlx.Stmt), nil
	case inTx:
		s.prepareSoon(pool, stmts, query)
		return nil, nil
	}
	return s.prepare(ctx, pool, stmts, query)
}

// prepare prepares query on pool and keeps the statement in stmts.
func (s *DB) prepare(ctx context.Context, pool *sqlx.DB, stmts *sync.Map, query string) (*sqlx.Stmt, error) {
	st, err := pool.PreparexContext(ctx, s.Rebind(query))
	if err != nil {
		return nil, err
	}
	if v, ok := stmts.LoadOrStore(query, st); ok {
		st.Close() // another request prepared it first
		return v.(*sqlx.Stmt), nil
	}
	return st, nil
}

// prepareSoon prepares query on pool in the background, once at a time; a
// failure leaves it to the next call.
func (s *DB) prepareSoon(pool *sqlx.DB, stmts *sync.Map, query string) {
	if _, busy := s.preparing.LoadOrStore(query, true); busy {
		return
	}
	s.prepares.Add(1)
	go func() {
		defer s.prepares.Done()
		defer s.preparing.Delete(query)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = s.prepare(ctx, pool, stmts, query)
	}()
}

// Close waits for the statements being prepared in the background and
// stops the copying of SQLite's log (walCopier), then closes the pools: a
// prepare that outlived Close opened the database again (on SQLite, its
// files) after its owner had let it go.
func (s *DB) Close() error {
	s.prepares.Wait()
	s.stopWALCopier()
	var errs []error
	for _, pool := range []*sqlx.DB{s.writer, s.background} {
		if pool != nil {
			errs = append(errs, pool.Close())
		}
	}
	return errors.Join(append(errs, s.DB.Close())...)
}
