package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SessionStore keeps console sessions in the sessions table, so that every
// server process sees the same sessions and a restart signs nobody out. It
// is an scs Store and CtxStore.
type SessionStore struct {
	db *DB
}

// Sessions returns the session store over this database.
func (s *DB) Sessions() *SessionStore { return &SessionStore{db: s} }

// FindCtx returns the data of an unexpired session; found is false for an
// unknown or expired token.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.db.get(ctx, &data, `SELECT data FROM sessions WHERE token = ? AND expiry > ?`, token, now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap(err, "find session")
	}
	return data, true, nil
}

// CommitCtx saves a session's data with its expiry, replacing what was there.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	_, err := s.db.exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, data, expiry.UTC().Truncate(time.Microsecond))
	return wrap(err, "save session")
}

// DeleteCtx removes a session; an unknown token is no error.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.exec(ctx, `DELETE FROM sessions WHERE token = ?`, token)
	return wrap(err, "delete session")
}

// Find is FindCtx without a context.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

// Delete is DeleteCtx without a context.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// PurgeExpired deletes expired sessions, portal links, the lookups of
// expired invitation tokens (see indexToken) and the limits' ended
// windows; none counts once expired, this only reclaims their space.
func (s *DB) PurgeExpired(ctx context.Context) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE expiry <= ?`, now()); err != nil {
		return wrap(err, "purge expired sessions")
	}
	if _, err := s.exec(ctx, `DELETE FROM invitation_token_lookup WHERE expires_at <= ?`, now()); err != nil {
		return wrap(err, "purge expired invitation tokens")
	}
	if _, err := s.exec(ctx, `DELETE `+multiShard+`FROM portal_sessions WHERE expires_at <= ?`, now()); err != nil {
		return wrap(err, "purge expired portal links")
	}
	_, err := s.exec(ctx, `DELETE FROM limit_windows WHERE expires_at <= ?`, time.Now().Unix())
	return wrap(err, "purge ended limit windows")
}

// PurgeEvery runs PurgeExpired every interval until ctx ends, reporting
// failures to report (the database may be briefly away; the next round
// tries again).
func (s *DB) PurgeEvery(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
		}
	}
}
