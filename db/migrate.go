package db

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// MigrationsDigest identifies the migrations of this build: the SHA-256 of
// their names and contents, in hex. Tests name a migrated template by it.
func MigrationsDigest() string {
	h := sha256.New()
	err := fs.WalkDir(migrations, "migrations", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := migrations.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		panic("db: embedded migrations unreadable: " + err.Error())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Migrate applies every pending migration.
func (s *DB) Migrate(ctx context.Context) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// migrations is goose's provider of the embedded migrations of the DB's
// dialect.
func (s *DB) migrations() (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(s.Dialect))
	if err != nil {
		return nil, fmt.Errorf("db: migrations for %s: %w", s.Dialect, err)
	}
	gd := goose.DialectPostgres
	if s.Dialect == SQLite {
		gd = goose.DialectSQLite3
	}
	var opts []goose.ProviderOption
	if s.Dialect == Postgres {
		// Servers started together on a fresh database take turns: without
		// the lock both run the first migration and one fails to start.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("db: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, s.DB.DB, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("db: migration provider: %w", err)
	}
	return p, nil
}
