package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"roster/db"
)

func migrateStatus(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	dbURL := databaseFlag(fs)
	asJSON := fs.Bool("json", false, "print the migrations as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := db.Open(*dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer d.Close()
	ms, err := d.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(ms)
	}
	pending := 0
	for _, m := range ms {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		} else {
			pending++
		}
		fmt.Fprintf(stdout, "%-40s %s\n", m.Name, state)
	}
	fmt.Fprintf(stdout, "%d applied, %d pending (%s)\n", len(ms)-pending, pending, d.Dialect)
	return nil
}

func backup(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	dbURL := databaseFlag(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("backup: want one PATH to write the copy to (see roster backup --help)")
	}
	dest := fs.Arg(0)
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %s already exists; name a new file", dest)
	}
	if path, ok := db.SQLitePath(*dbURL); ok {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("backup: no SQLite database at %s (is DATABASE_URL right?)", path)
		}
	}
	d, err := db.Open(*dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer d.Close()
	if d.Dialect != db.SQLite {
		return errors.New("backup: on PostgreSQL use pg_dump (see docs/operations.md, Backups)")
	}
	if err := d.Backup(ctx, dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	info, err := os.Stat(dest)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up to %s (%d bytes)\n", dest, info.Size())
	return nil
}
