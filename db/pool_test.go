package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestPostgresKeepsItsPlans: roster's PostgreSQL connections plan each
// prepared statement once (plan_cache_mode force_generic_plan, which the
// plan tests check the statements for), unless the URL says otherwise.
func TestPostgresKeepsItsPlans(t *testing.T) {
	base := dbtest.PostgresURL(t)
	for _, c := range []struct{ param, want string }{
		{"", "force_generic_plan"},
		{"auto", "auto"},
	} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		if c.param != "" {
			q := u.Query()
			q.Set("plan_cache_mode", c.param)
			u.RawQuery = q.Encode()
		}
		d, err := db.Open(u.String())
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		err = d.GetContext(context.Background(), &mode, "SHOW plan_cache_mode")
		d.Close()
		if err != nil || mode != c.want {
			t.Errorf("plan_cache_mode=%q in the URL: the connection plans with %q (%v), want %q", c.param, mode, err, c.want)
		}
	}
}

// TestSQLiteTransactionsTakeTurns: on SQLite the transactions of a process
// wait for the write lock in the order they came, and one whose request
// ends while it waits gives up at once, rather than polling SQLite's lock
// with sleeps and missing its release.
func TestSQLiteTransactionsTakeTurns(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	f := dbtest.Workspace(t, d, "Acme")
	ctx := context.Background()

	release := make(chan struct{})
	holding := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // holds the turn until released
		defer wg.Done()
		_ = d.WithTx(ctx, func(ctx context.Context) error {
			if _, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: "First"}); err != nil {
				t.Error(err)
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding

	// A transaction whose context ends while it waits returns then.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.WithTx(short, func(context.Context) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("a transaction whose deadline passed while it waited: %v after %s, want the deadline's error at once", err, time.Since(start))
	}

	// Five more come one after the other, and commit in that order.
	var mu sync.Mutex
	var order []int
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.WithTx(ctx, func(ctx context.Context) error {
				_, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: fmt.Sprintf("Next %d", i)})
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return err
			})
			if err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
		}()
		time.Sleep(30 * time.Millisecond) // so that it waits before the next one comes
	}
	close(release)
	wg.Wait()
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Errorf("the waiting transactions ran in the order %v, want the order they came in, [0 1 2 3 4]", order)
	}
}

// TestBackgroundWorkHasItsOwnPool: on PostgreSQL background work (here
// a claim of webhook deliveries) goes on while requests hold every
// connection of the pool, and a request's statement waits for one.
func TestBackgroundWorkHasItsOwnPool(t *testing.T) {
	d, err := db.Open(dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetPoolSize(1)
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- d.WithTx(context.Background(), func(ctx context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	claim := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := d.ClaimWebhookDeliveries(ctx, time.Now(), time.Minute, 10)
		return err
	}
	if err := claim(db.Background(context.Background())); err != nil {
		t.Errorf("background work waited for the requests' pool: %v", err)
	}
	if err := claim(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a request's claim with the pool's one connection held: %v, want it to wait", err)
	}
}

// TestSQLiteWritesTakeTheWriterTurn: on SQLite a statement that writes
// outside any transaction (a rate limit's count, the outbox's claim and
// marks) queues for the writer connection's turn, as transactions do,
// instead of waiting for SQLite's lock in its busy handler on a reader
// connection: while a transaction holds the turn, a count whose context
// ends says it waited for the turn, and one that waits goes through once
// the transaction ends.
func TestSQLiteWritesTakeTheWriterTurn(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- d.WithTx(ctx, func(ctx context.Context) error {
			if _, err := d.CountHit(ctx, "held", time.Minute, time.Now()); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := d.CountHit(short, "waiting", time.Minute, time.Now()); !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "write turn") {
		t.Fatalf("a count while a transaction holds the writer: %v, want it to have waited for the write turn", err)
	}
	if _, err := d.ClaimEmails(short, time.Now(), time.Minute, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a claim of emails while a transaction holds the writer: %v, want it to have waited for the write turn", err)
	}
	counted := make(chan error)
	go func() {
		_, err := d.CountHit(ctx, "waiting", time.Minute, time.Now())
		counted <- err
	}()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-counted; err != nil {
		t.Fatalf("the count after the transaction: %v", err)
	}
}

// TestSQLiteCopiesItsLogBack: what a transaction commits reaches the
// database file itself soon after, not only the write-ahead log, though
// the writer's own checkpoint waits for 10,000 pages: the process copies
// the log back beside the writer (walCopier). A copy of the database file
// alone, without its log, comes to hold the new account.
func TestSQLiteCopiesItsLogBack(t *testing.T) {
	url := dbtest.URL(t, db.SQLite)
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := dbtest.Workspace(t, d, "Acme")
	acct, err := d.CreateAccount(ctx, f.Test(), db.AccountInput{Name: "Copied"})
	if err != nil {
		t.Fatal(err)
	}
	path, _ := db.SQLitePath(url)
	inFile := func() bool {
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		alone := filepath.Join(t.TempDir(), "alone.db")
		if err := os.WriteFile(alone, content, 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := sql.Open("sqlite", alone)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		var n int
		// No accounts table yet is not yet too: the schema, too, may be in the log only.
		return file.QueryRow(`SELECT COUNT(*) FROM accounts WHERE id = ?`, acct.ID).Scan(&n) == nil && n == 1
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if inFile() {
			return
		}
	}
	t.Fatal("the account never reached the database file: the log was not copied back")
}
