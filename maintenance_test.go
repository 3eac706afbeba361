package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestMigrateStatus lists a fresh database's migrations as pending without
// applying any, then, after roster migrate, as applied, on both databases.
func TestMigrateStatus(t *testing.T) {
	for _, dialect := range dbtest.Dialects(t) {
		t.Run(string(dialect), func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
			if dialect == db.Postgres {
				url = dbtest.EmptyPostgresURL(t)
			}
			status := func() []db.Migration {
				t.Helper()
				code, out, errOut := runCmd(t, "migrate", "status", "--database-url", url, "--json")
				var ms []db.Migration
				if err := json.Unmarshal([]byte(out), &ms); code != 0 || err != nil || len(ms) == 0 {
					t.Fatalf("migrate status --json: exit %d, %q %q (%v)", code, out, errOut, err)
				}
				return ms
			}
			for _, m := range status() {
				if m.Applied {
					t.Fatalf("%s applied before roster migrate", m.Name)
				}
			}
			code, out, _ := runCmd(t, "migrate", "status", "--database-url", url)
			if code != 0 || !strings.Contains(out, "00001_schema.sql") || !strings.Contains(out, "0 applied, ") {
				t.Fatalf("migrate status: exit %d:\n%s", code, out)
			}
			if code, _, errOut := runCmd(t, "migrate", "--database-url", url); code != 0 {
				t.Fatal(errOut)
			}
			ms := status()
			for _, m := range ms {
				if !m.Applied || time.Since(m.AppliedAt) > time.Hour {
					t.Fatalf("after roster migrate: %+v", m)
				}
			}
			_, out, _ = runCmd(t, "migrate", "status", "--database-url", url)
			if want := fmt.Sprintf("%d applied, 0 pending (%s)\n", len(ms), dialect); !strings.HasSuffix(out, want) {
				t.Fatalf("migrate status:\n%s\nwant it to end %q", out, want)
			}
		})
	}
}

// TestBackupWhileServing copies an SQLite database that a roster serve
// process is writing to: the copy opens, passes SQLite's integrity check
// and holds everything written before the backup began.
func TestBackupWhileServing(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	srv := startServers(t, buildRoster(t), 1, url)[0]
	_, _, sk := workspaceWithKey(t, url)
	for i := range 20 {
		if a, err := api.Send("POST", srv.URL+"/v1/accounts", sk, fmt.Sprintf(`{"name":"Before %d"}`, i)); err != nil || a.Status != 201 {
			t.Fatalf("create account: %v %s", err, a.Raw)
		}
	}

	// The server goes on writing while the backup runs.
	var wg sync.WaitGroup
	var stop atomic.Bool
	var during atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load() && i < 500; i++ {
			if a, err := api.Send("POST", srv.URL+"/v1/accounts", sk, fmt.Sprintf(`{"name":"During %d"}`, i)); err == nil && a.Status == 201 {
				during.Add(1)
			}
		}
	}()
	for during.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	dest := filepath.Join(t.TempDir(), "copy.db")
	code, out, errOut := runCmd(t, "backup", "--database-url", url, dest)
	stop.Store(true)
	wg.Wait()
	if code != 0 || !strings.HasPrefix(out, "backed up to "+dest) {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}

	copied, err := db.Open("sqlite:" + dest)
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	var check string
	if err := copied.Get(&check, `PRAGMA integrity_check`); err != nil || check != "ok" {
		t.Fatalf("integrity check of the copy: %q (%v)", check, err)
	}
	var before int
	if err := copied.Get(&before, `SELECT COUNT(*) FROM accounts WHERE name LIKE 'Before %'`); err != nil || before != 20 {
		t.Fatalf("the copy holds %d of the 20 accounts made before it (%v)", before, err)
	}
	if _, err := copied.APIKeyBySecret(context.Background(), sk); err != nil {
		t.Fatalf("the copy does not know the key: %v", err)
	}
	code, _, _ = runCmd(t, "migrate", "status", "--database-url", "sqlite:"+dest)
	if code != 0 {
		t.Fatal("migrate status of the copy failed")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--database-url", url, dest}, "roster: backup: " + dest + " already exists; name a new file\n"},
		{[]string{"backup", "--database-url", url}, "roster: backup: want one PATH to write the copy to (see roster backup --help)\n"},
		{[]string{"backup", "--database-url", "sqlite:" + filepath.Join(t.TempDir(), "none.db"), dest + ".2"}, "roster: backup: no SQLite database at "},
	} {
		if code, _, errOut := runCmd(t, tc.args...); code != 1 || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestBackupOfPostgres says in one line to use pg_dump.
func TestBackupOfPostgres(t *testing.T) {
	url := dbtest.PostgresURL(t)
	code, out, errOut := runCmd(t, "backup", "--database-url", url, filepath.Join(t.TempDir(), "copy.db"))
	if code != 1 || out != "" || errOut != "roster: backup: on PostgreSQL use pg_dump (see docs/operations.md, Backups)\n" {
		t.Fatalf("exit %d, %q %q", code, out, errOut)
	}
}
