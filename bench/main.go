// Command bench measures Roster where its users feel it: it seeds a
// database with one workspace and accounts of 1,000 and 100,000 members,
// starts `roster serve` as a separate process, drives it over HTTP with a
// fixed number of concurrent clients, compares the membership PATCH with
// pgbench running the same SQL, and prints each figure next to its target.
//
//	go run ./bench -pg postgres://user:pass@127.0.0.1:5432/postgres
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// options are the bench's flags.
type options struct {
	pgURL    string
	sqlite   bool
	clients  int
	duration time.Duration
	sizes    []int
	roster   string
	explain  bool
}

func main() {
	var o options
	var sizes string
	flag.StringVar(&o.pgURL, "pg", defaultPG(), "PostgreSQL server where the bench may create a database (default from TEST_DATABASE_URL or PG* variables)")
	flag.BoolVar(&o.sqlite, "sqlite", true, "also measure on SQLite")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each throughput run lasts")
	flag.StringVar(&sizes, "sizes", "1000,100000", "account sizes, in members")
	flag.StringVar(&o.roster, "roster", "", "roster binary (default: build one)")
	flag.BoolVar(&o.explain, "explain", true, "print the query plans of the lists and lookups")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			fail("bench: -sizes: %q is not a size", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if err := run(context.Background(), o); err != nil {
		fail("bench: %v", err)
	}
}

// stderr is where progress and plans go; the table goes to stdout.
var stderr = os.Stderr

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// defaultPG builds a URL from TEST_DATABASE_URL or the PG* variables that
// pg_virtualenv sets.
func defaultPG() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	if os.Getenv("PGHOST") == "" {
		return ""
	}
	return fmt.Sprintf("postgres://%s:%s@%s:%s/postgres?sslmode=disable",
		os.Getenv("PGUSER"), os.Getenv("PGPASSWORD"), os.Getenv("PGHOST"), os.Getenv("PGPORT"))
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "roster-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.roster == "" {
		o.roster = filepath.Join(tmp, "roster")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.roster, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build roster: %w", err)
		}
	}
	var results []result
	if o.pgURL != "" {
		rs, err := measure(ctx, o, "postgres", tmp)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		results = append(results, rs...)
	} else {
		fmt.Fprintln(os.Stderr, "bench: no PostgreSQL (-pg, TEST_DATABASE_URL or PG*): measuring SQLite only")
	}
	if o.sqlite {
		rs, err := measure(ctx, o, "sqlite", tmp)
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		results = append(results, rs...)
	}
	printTable(os.Stdout, results)
	return nil
}
