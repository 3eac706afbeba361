package db

import "context"

// SetBeforeMembershipWrite makes f run in the transaction just before each
// write of a membership row, with exec running a statement in that
// transaction (see DB.beforeMembershipWrite).
func (s *DB) SetBeforeMembershipWrite(f func(exec func(query string, args ...any) error)) {
	if f == nil {
		s.beforeMembershipWrite = nil
		return
	}
	s.beforeMembershipWrite = func(ctx context.Context) {
		f(func(query string, args ...any) error {
			_, err := s.exec(ctx, query, args...)
			return err
		})
	}
}

// LockAccount is lockAccount, for tests that hold an account's lock.
func (s *DB) LockAccount(ctx context.Context, sc Scope, id string) (Account, error) {
	return s.lockAccount(ctx, sc, id)
}

// MigrateDownTo rolls the migrations after version back, newest first.
func (s *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// OnStatement makes f see the text of every statement the stores send
// from now on; nil stops it.
func (s *DB) OnStatement(f func(query string)) { s.onStatement = f }
