package db

import (
	"context"
	"crypto/rand"
)

// ServerSecret returns the random 32-byte key of that name, the same for
// every server process on this database: the first to ask creates it, and
// the others, even asking at the same time, read that one.
func (s *DB) ServerSecret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh) // never fails (crypto/rand)
	if _, err := s.exec(ctx, `INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, fresh); err != nil {
		return nil, wrap(err, "create server secret %s", name)
	}
	var key []byte
	err := s.get(ctx, &key, `SELECT value FROM server_secrets WHERE name = ?`, name)
	return key, wrap(err, "read server secret %s", name)
}
