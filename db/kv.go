package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"time"
)

// KV is a small key-value store with expiry over the rate_limits table, in
// the shape of Fiber's Storage interface: Fiber's limiter and CSRF
// middleware keep their state in it, so every server process shares the
// same counts and tokens. Its keys carry a prefix, so several KVs share the
// table without meeting.
type KV struct {
	db     *DB
	prefix string
}

// kvTimeout bounds each call: Fiber's Storage interface takes no context.
const kvTimeout = 5 * time.Second

// KV returns the key-value store of keys starting with prefix.
func (s *DB) KV(prefix string) *KV { return &KV{db: s, prefix: prefix} }

// Get returns the value of an unexpired key, or nil when there is none.
func (kv *KV) Get(key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	var v []byte
	err := kv.db.get(ctx, &v, `SELECT value FROM rate_limits WHERE key = ? AND (expires_at = 0 OR expires_at > ?)`,
		kv.prefix+key, time.Now().Unix())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, wrap(err, "get key")
}

// Set stores a value under key for exp (0: for ever); an empty key or value
// is ignored.
func (kv *KV) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	var expires int64
	if exp > 0 {
		expires = time.Now().Add(exp + time.Second - 1).Unix()
	}
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	if fresh, err := kv.fresh(ctx, key, val, expires); err != nil || fresh {
		return err
	}
	_, err := kv.db.exec(ctx, `INSERT INTO rate_limits (key, value, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		kv.prefix+key, val, expires)
	return wrap(err, "set key")
}

// kvRefresh is how much of a key's lifetime may pass before setting it again
// to the same value is written: CSRF tokens are set again on every page
// view, and a page view should cost no write.
const kvRefresh = 60

// fresh reports whether key already holds val with an expiry at most
// kvRefresh seconds short of expires, so that setting it again can wait.
func (kv *KV) fresh(ctx context.Context, key string, val []byte, expires int64) (bool, error) {
	var row struct {
		Value   []byte `db:"value"`
		Expires int64  `db:"expires_at"`
	}
	err := kv.db.get(ctx, &row, `SELECT value, expires_at FROM rate_limits WHERE key = ?`, kv.prefix+key)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrap(err, "read key")
	}
	if !bytes.Equal(row.Value, val) {
		return false, nil
	}
	if expires == 0 {
		return row.Expires == 0, nil
	}
	return row.Expires != 0 && row.Expires >= expires-kvRefresh, nil
}

// Delete removes a key; a missing key is no error.
func (kv *KV) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	_, err := kv.db.exec(ctx, `DELETE FROM rate_limits WHERE key = ?`, kv.prefix+key)
	return wrap(err, "delete key")
}

// Reset removes every key of this store.
func (kv *KV) Reset() error {
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	_, err := kv.db.exec(ctx, `DELETE FROM rate_limits WHERE key LIKE ? ESCAPE '\'`, escapeLike(kv.prefix)+"%")
	return wrap(err, "reset keys")
}

// Close does nothing: the database outlives the store.
func (kv *KV) Close() error { return nil }
