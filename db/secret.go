package db

import (
	"context"
	"crypto/rand"
)

// ServerSecret returns the random 32-byte key of that name, the same for
// every server process on this database: the first to ask creates it, and
// the others, even asking at the same time, read that one.
func (s *DB) ServerSecret(ctx context.Context, name string) ([]byte, error) {
	key, _, err := s.serverSecret(ctx, name)
	return key, err
}

// serverSecret is ServerSecret, saying whether this call created the key.
func (s *DB) serverSecret(ctx context.Context, name string) (key []byte, created bool, err error) {
	fresh := make([]byte, 32)
	rand.Read(fresh) // never fails (crypto/rand)
	n, err := s.exec(ctx, `INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, fresh)
	if err != nil {
		return nil, false, wrap(err, "create server secret %s", name)
	}
	err = s.get(ctx, &key, `SELECT value FROM server_secrets WHERE name = ?`, name)
	return key, n == 1, wrap(err, "read server secret %s", name)
}
