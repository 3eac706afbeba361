// Command bench measures Roster where its users feel it: it seeds a
// database with one workspace and accounts of 1,000, 100,000 and 1,000,000
// members (and 32 of 1,000) whose ids interleave, starts `roster serve` as
// a separate process, drives it over HTTP with a fixed number of concurrent
// clients, compares it with floors that do not depend on Roster's SQL (the
// reference server in bench/reference, and pgbench running the essential
// transaction on the reference's schema), checks the plans of its queries
// as the server runs them, and prints each figure next to its target.
//
//	go run ./bench -pg postgres://user:pass@127.0.0.1:5432/postgres
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the bench's flags.
type options struct {
	pgURL     string
	sqlite    bool
	clients   int
	duration  time.Duration
	sizes     []int // the accounts; the first is the small one the others are compared with, the largest the one lists must hold at
	patchSize int   // the account the PATCH and GET figures use
	spread    int   // accounts of sizes[0] members that the spread PATCH uses
	roster    string
	reference string
	explain   bool
	webhooks  bool    // measure P12
	hookRate  float64 // membership changes per second of P12's steady load
	bulk      bool    // measure P13
	bulkOnly  bool    // measure P13 alone
	hooksOnly bool    // measure P12 alone
}

func main() {
	var o options
	var sizes string
	flag.StringVar(&o.pgURL, "pg", defaultPG(), "PostgreSQL server where the bench may create a database (default from TEST_DATABASE_URL or PG* variables)")
	flag.BoolVar(&o.sqlite, "sqlite", true, "also measure on SQLite")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each throughput run lasts")
	flag.StringVar(&sizes, "sizes", "1000,100000,1000000", "account sizes, in members, the smallest first")
	flag.IntVar(&o.patchSize, "patch-account", 100000, "size of the account (one of -sizes) that PATCH and GET run on")
	flag.IntVar(&o.spread, "spread", 32, "accounts of the smallest size that the spread PATCH runs on")
	flag.StringVar(&o.roster, "roster", "", "roster binary (default: build one)")
	flag.StringVar(&o.reference, "reference", "", "reference server binary (default: build bench/reference)")
	flag.BoolVar(&o.explain, "explain", true, "print the query plans of the lists and lookups")
	flag.BoolVar(&o.webhooks, "webhooks", true, "measure webhook delivery (P12)")
	flag.Float64Var(&o.hookRate, "webhook-rate", 500, "membership changes per second of the webhook delivery load (P12)")
	flag.BoolVar(&o.bulk, "bulk", true, "measure bulk invitations against single ones (P13)")
	flag.BoolVar(&o.bulkOnly, "bulk-only", false, "measure P13 alone, on a database of its own")
	flag.BoolVar(&o.hooksOnly, "webhooks-only", false, "measure P12 alone, on a database of its own seeded with -sizes")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			fail("bench: -sizes: %q is not a size", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if !slices.Contains(o.sizes, o.patchSize) {
		fail("bench: -patch-account: %d is not one of -sizes %s", o.patchSize, sizes)
	}
	if o.spread < 1 {
		fail("bench: -spread: %d accounts: want at least 1", o.spread)
	}
	// Interrupted, the bench stops its servers and drops its databases.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
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
	for _, b := range []struct {
		bin       *string
		name, pkg string
	}{{&o.roster, "roster", "."}, {&o.reference, "reference", "./bench/reference"}} {
		if *b.bin != "" {
			continue
		}
		*b.bin = filepath.Join(tmp, b.name)
		build := exec.CommandContext(ctx, "go", "build", "-o", *b.bin, b.pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b.pkg, err)
		}
	}
	var results []result
	if o.pgURL != "" {
		rs, err := measureDialect(ctx, o, "postgres", tmp)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		results = append(results, rs...)
	} else {
		fmt.Fprintln(os.Stderr, "bench: no PostgreSQL (-pg, TEST_DATABASE_URL or PG*): measuring SQLite only")
	}
	if o.sqlite {
		rs, err := measureDialect(ctx, o, "sqlite", tmp)
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		results = append(results, rs...)
	}
	printTable(os.Stdout, results)
	return nil
}

// measureDialect runs the figures on one database: all of them, P13
// alone with -bulk-only, or P12 alone with -webhooks-only.
func measureDialect(ctx context.Context, o options, dialect, tmp string) ([]result, error) {
	switch {
	case o.bulkOnly:
		return measureBulkOnly(ctx, o, dialect, tmp)
	case o.hooksOnly:
		return measureWebhooksOnly(ctx, o, dialect, tmp)
	}
	return measure(ctx, o, dialect, tmp)
}
