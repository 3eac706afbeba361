package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

type txKey struct{}

// WithTx runs fn in a transaction, committing when it returns nil. Called
// inside another WithTx it joins the outer transaction instead of nesting.
func (s *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok {
		return fn(ctx)
	}
	tx, err := s.BeginTxx(ctx, nil)
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
