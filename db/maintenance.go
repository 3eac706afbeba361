package db

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/pressly/goose/v3"
)

// Migration is one of the embedded migrations, as roster migrate status
// lists it.
type Migration struct {
	Version   int64     `json:"version"`
	Name      string    `json:"name"`                // its file, e.g. 00006_email_ascii_fold.sql
	Applied   bool      `json:"applied"`             // applied to this database
	AppliedAt time.Time `json:"applied_at,omitzero"` // when, if applied
}

// MigrationStatus lists every migration of this build, oldest first, with
// whether the database has it; it applies none.
func (s *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	p, err := s.migrations()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migration status: %w", err)
	}
	ms := make([]Migration, len(st))
	for i, m := range st {
		ms[i] = Migration{Version: m.Source.Version, Name: path.Base(m.Source.Path), Applied: m.State == goose.StateApplied}
		if ms[i].Applied {
			ms[i].AppliedAt = m.AppliedAt.UTC()
		}
	}
	return ms, nil
}

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose own tools
// (pg_dump) make consistent copies.
var ErrBackupPostgres = errors.New("db: PostgreSQL is backed up with pg_dump, not roster backup (see docs/operations.md)")

// Backup writes a consistent copy of an SQLite database to the new file
// dest, with VACUUM INTO: one read transaction, so the copy is the database
// as it stood at one moment however many processes write meanwhile (WAL
// lets them go on). SQLite refuses a dest that exists and is not empty.
func (s *DB) Backup(ctx context.Context, dest string) error {
	if s.Dialect != SQLite {
		return ErrBackupPostgres
	}
	if _, err := s.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("db: backup to %s: %w", dest, err)
	}
	return nil
}
