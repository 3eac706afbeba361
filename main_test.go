package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// runCmd runs the program with args and returns its exit status and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandLineErrors(t *testing.T) {
	url := "sqlite:" + t.TempDir() + "/roster.db"
	if code, _, errOut := runCmd(t, "bootstrap", "--database-url", url, "--workspace", "A", "--email", "a@b.co", "--password", "long-enough"); code != 0 {
		t.Fatal(errOut)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"bootstrap without workspace", []string{"bootstrap", "--database-url", url, "--email", "a@b.co", "--password", "long-enough"}, "--workspace is required"},
		{"bootstrap with a short password", []string{"bootstrap", "--database-url", url, "--workspace", "A", "--email", "a@b.co", "--password", "short"}, "at least 8"},
		{"bootstrap with a long password", []string{"bootstrap", "--database-url", url, "--workspace", "B", "--email", "a@b.co", "--password", strings.Repeat("p", 73)}, "--password must be at most 72 bytes"},
		{"unknown flag", []string{"migrate", "--nope"}, "flag provided but not defined"},
		{"apikey without create", []string{"apikey"}, "roster apikey create"},
		{"apikey with a bad mode", []string{"apikey", "create", "--database-url", url, "--workspace", "A", "--mode", "prod"}, "--mode must be live or test"},
		{"apikey with an unknown workspace", []string{"apikey", "create", "--database-url", url, "--workspace", "Nope"}, `no workspace "Nope"`},
		{"apikey with an unknown scope", []string{"apikey", "create", "--database-url", url, "--workspace", "A", "--scope", "everything"}, "the unknown scope everything"},
		{"staff without add", []string{"staff"}, "roster staff add"},
		{"staff with a bad role", []string{"staff", "add", "--database-url", url, "--workspace", "A", "--email", "s@b.co", "--role", "boss"}, "--role must be owner, admin or support"},
		{"staff with a short password", []string{"staff", "add", "--database-url", url, "--workspace", "A", "--email", "s@b.co", "--password", "short"}, "at least 8"},
		{"staff with two bad fields", []string{"staff", "add", "--database-url", url, "--workspace", "A", "--email", "", "--role", ""}, "staff add: --email is required; --role is required"},
		{"apikey with a bad kind", []string{"apikey", "create", "--database-url", url, "--workspace", "A", "--kind", "master"}, "--kind must be secret or publishable"},
		{"staff of an unknown workspace", []string{"staff", "add", "--database-url", url, "--workspace", "Nope", "--email", "s@b.co"}, `no workspace "Nope"`},
		{"bad database URL", []string{"migrate", "--database-url", "mysql://x"}, "DATABASE_URL"},
		{"bad log format", []string{"serve", "--database-url", url, "--log-format", "xml"}, "ROSTER_LOG_FORMAT"},
		{"bad rate limit", []string{"serve", "--database-url", url, "--rate-limit", "-1"}, "ROSTER_RATE_LIMIT"},
		{"bad pool size", []string{"serve", "--database-url", url, "--db-pool-size", "0"}, "ROSTER_DB_POOL_SIZE"},
		{"bad base URL", []string{"serve", "--database-url", url, "--base-url", "ftp://x"}, "ROSTER_BASE_URL"},
		{"bad trusted proxy", []string{"serve", "--database-url", url, "--trusted-proxies", "10.0.0.0/8,10.0.0.0/33"}, `ROSTER_TRUSTED_PROXIES: "10.0.0.0/33" is neither a CIDR`},
		{"bad CORS origin", []string{"serve", "--database-url", url, "--cors-origins", "https://app.example.com/"}, `ROSTER_CORS_ORIGINS: "https://app.example.com/" is not an origin`},
		{"metrics on the public address", []string{"serve", "--database-url", url, "--addr", "127.0.0.1:8080", "--metrics-addr", "127.0.0.1:8080"}, "ROSTER_METRICS_ADDR: 127.0.0.1:8080 is the public address"},
		{"metrics on every address of the public port", []string{"serve", "--database-url", url, "--addr", "127.0.0.1:8080", "--metrics-addr", ":8080"}, "ROSTER_METRICS_ADDR: :8080 is the public address"},
		{"bad metrics address", []string{"serve", "--database-url", url, "--metrics-addr", "9090"}, "ROSTER_METRICS_ADDR: want host:port"},
		{"bad address", []string{"serve", "--database-url", url, "--addr", "8080"}, "ROSTER_ADDR: want host:port"},
		{"pprof without metrics", []string{"serve", "--database-url", url, "--pprof", "1"}, "ROSTER_PPROF: needs ROSTER_METRICS_ADDR"},
		{"bad pprof", []string{"serve", "--database-url", url, "--metrics-addr", "127.0.0.1:9090", "--pprof", "yes"}, "ROSTER_PPROF: want 1 or 0"},
		{"bad drain time", []string{"serve", "--database-url", url, "--shutdown-timeout", "20"}, "ROSTER_SHUTDOWN_TIMEOUT: want a duration"},
		{"short HS256 secret", []string{"serve", "--database-url", url, "--jwt-hs256-secret", "short"}, "ROSTER_JWT_HS256_SECRET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, tc.args...)
			if code == 0 {
				t.Fatal("exit status 0")
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q, want one line with %q", errOut, tc.want)
			}
		})
	}
}

// TestCommandLineFillsTheAPIInput: the command line fills the stores'
// input types, so it refuses a bad email as the API does, with the API's
// words, on one line, and makes nothing. Before, it checked for an "@"
// only: `staff add --email @` and `bootstrap --email 'not an email@x'`
// succeeded.
func TestCommandLineFillsTheAPIInput(t *testing.T) {
	url := "sqlite:" + t.TempDir() + "/roster.db"
	const apiSays = "must be an email address like name@example.com"
	var bad *db.InvalidInput
	if in := (db.NewStaff{Email: "@", Role: db.RoleSupport}); !errors.As(in.Validate(), &bad) || bad.Fields["email"] != apiSays {
		t.Fatalf("the store's rule says %v, want %q", bad, apiSays)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bootstrap", []string{"bootstrap", "--database-url", url, "--workspace", "Acme", "--email", "not an email@x", "--password", "long-enough"},
			"roster: bootstrap: --email " + apiSays + "\n"},
		{"staff add", []string{"staff", "add", "--database-url", url, "--workspace", "Acme", "--email", "@", "--role", "support"},
			"roster: staff add: --email " + apiSays + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := runCmd(t, tc.args...); code == 0 || errOut != tc.want {
				t.Fatalf("exit %d, stderr %q; want %q", code, errOut, tc.want)
			}
		})
		if tc.name == "bootstrap" {
			if code, _, errOut := runCmd(t, "bootstrap", "--database-url", url, "--workspace", "Acme", "--email", "owner@acme.example", "--password", "long-enough"); code != 0 {
				t.Fatal(errOut)
			}
		}
	}
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var users int
	if err := d.Get(&users, `SELECT COUNT(*) FROM users WHERE email <> 'owner@acme.example'`); err != nil || users != 0 {
		t.Fatalf("%d other users (%v): a refused command made one", users, err)
	}
}

// TestHelp: roster --help lists the commands (not serve's flags), and every
// command's help, however it is asked for, is printed once, on standard
// output, with exit status 0.
func TestHelp(t *testing.T) {
	code, out, _ := runCmd(t, "--help")
	if code != 0 || strings.Contains(out, "-addr") {
		t.Fatalf("roster --help: exit %d, lists serve's flags:\n%s", code, out)
	}
	for _, c := range commands {
		if !strings.Contains(out, "\n  "+c.name+" ") {
			t.Errorf("roster --help does not list %q:\n%s", c.name, out)
		}
	}
	for _, args := range [][]string{{"-h"}, {"help"}} {
		if code, again, _ := runCmd(t, args...); code != 0 || again != out {
			t.Errorf("%v: exit %d, %q, want roster --help's", args, code, again)
		}
	}
	for _, c := range commands {
		words := strings.Fields(c.name)
		for _, args := range [][]string{append(words, "--help"), append(words, "-h"), append([]string{"help"}, words...)} {
			code, out, errOut := runCmd(t, args...)
			usage := "Usage: roster " + c.name + " "
			if code != 0 || errOut != "" || strings.Count(out, "Usage:") != 1 || !strings.HasPrefix(out, usage) {
				t.Errorf("%v: exit %d, stderr %q, want one usage starting %q on stdout:\n%s", args, code, errOut, usage, out)
			}
		}
	}
	code, out, _ = runCmd(t, "apikey", "--help")
	if code != 0 || strings.Count(out, "Usage:") != 1 || !strings.Contains(out, "roster apikey create --workspace") {
		t.Errorf("roster apikey --help: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, "serve", "--help")
	if code != 0 || !strings.Contains(out, "-addr") {
		t.Errorf("roster serve --help: exit %d, no -addr:\n%s", code, out)
	}
}

// TestBadFlagsAreOneLine: an unknown flag or command is one line on
// standard error pointing at --help, not the whole usage.
func TestBadFlagsAreOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "roster: serve: flag provided but not defined: -nope (see roster serve --help)"},
		{[]string{"serve", "--nope"}, "roster: serve: flag provided but not defined: -nope (see roster serve --help)"},
		{[]string{"apikey", "create", "--nope"}, "roster: apikey create: flag provided but not defined: -nope (see roster apikey create --help)"},
		{[]string{"bootstrap", "--workspace"}, "roster: bootstrap: flag needs an argument: -workspace (see roster bootstrap --help)"},
		{[]string{"migrate", "extra"}, `roster: migrate: unexpected argument "extra" (see roster migrate --help)`},
		{[]string{"frobnicate"}, `roster: unknown command "frobnicate" (see roster --help)`},
		{[]string{"help", "frobnicate"}, `roster: help: unknown command "frobnicate" (see roster --help)`},
		{[]string{"staff"}, "roster: staff: want 'roster staff add …' (see roster staff --help)"},
	} {
		code, out, errOut := runCmd(t, tc.args...)
		if code != 1 || out != "" || errOut != tc.want+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q, want exit 1 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestVersion: roster --version and roster version print the version,
// commit and build date set at link time; without them the build's own
// record, or "unknown".
func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "roster ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("roster --version: exit %d, %q", code, out)
	}
	if code, again, _ := runCmd(t, "version"); code != 0 || again != out {
		t.Fatalf("roster version: exit %d, %q, want %q", code, again, out)
	}
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-01-02T03:04:05Z"
	_, out, _ = runCmd(t, "--version")
	if want := "roster v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567, built 2026-01-02T03:04:05Z, " + runtime.Version() + ")\n"; out != want {
		t.Fatalf("roster --version: %q, want %q", out, want)
	}
	_, out, _ = runCmd(t, "version", "--json")
	var b buildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Version != "v1.2.3" || b.Commit != commit || b.Date != date || b.Go != runtime.Version() {
		t.Fatalf("roster version --json: %q (%v)", out, err)
	}
}

// TestVersionOfTheBuild builds roster as make build does, with the version
// given to the linker and the commit and its time from the VCS stamp, and
// runs roster --version.
func TestVersionOfTheBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "roster")
	build := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", "-X main.version=v9.8.7", "-o", bin, "roster")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "roster v9.8.7 (commit ") {
		t.Fatalf("roster --version: %q (%v)", out, err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	gitDir, _ := exec.Command("git", "rev-parse", "--git-dir").Output()
	if err != nil || strings.Contains(string(gitDir), "/worktrees/") {
		// The Go toolchain stamps no VCS data outside a git checkout, nor in
		// a linked worktree.
		t.Logf("no VCS stamp to compare here: %q", out)
		return
	}
	if want := "roster v9.8.7 (commit " + strings.TrimSpace(string(head)); !strings.HasPrefix(string(out), want) {
		t.Fatalf("roster --version: %q, want it to start %q", out, want)
	}
}

// TestServeFromScratch is the README's path on each database: bootstrap,
// create a key, serve, and list accounts with the key.
func TestServeFromScratch(t *testing.T) {
	for _, dialect := range dbtest.Dialects(t) {
		t.Run(string(dialect), func(t *testing.T) {
			url := dbtest.URL(t, dialect)
			code, out, errOut := runCmd(t, "bootstrap", "--database-url", url, "--workspace", "Acme", "--email", "owner@acme.example", "--password", "long-enough", "--json")
			if code != 0 {
				t.Fatal(errOut)
			}
			var ids struct {
				WorkspaceID           string `json:"workspace_id"`
				UserID                string `json:"user_id"`
				WorkspaceMembershipID string `json:"workspace_membership_id"`
			}
			if err := json.Unmarshal([]byte(out), &ids); err != nil || !db.HasPrefix(ids.WorkspaceID, "ws") || !db.HasPrefix(ids.UserID, "usr") || !db.HasPrefix(ids.WorkspaceMembershipID, "wm") {
				t.Fatalf("bootstrap --json printed %q (%v)", out, err)
			}
			code, out, errOut = runCmd(t, "apikey", "create", "--database-url", url, "--workspace", ids.WorkspaceID, "--mode", "live", "--kind", "secret", "--json")
			if code != 0 {
				t.Fatal(errOut)
			}
			var key struct{ ID, Secret, Mode, Kind string }
			if err := json.Unmarshal([]byte(out), &key); err != nil || !strings.HasPrefix(key.Secret, "sk_live_") || key.Mode != "live" || key.Kind != "secret" {
				t.Fatalf("apikey create --json printed %q (%v)", out, err)
			}

			addr := loopbackAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int)
			var serveOut bytes.Buffer
			go func() {
				done <- run(ctx, []string{"serve", "--database-url", url, "--addr", addr}, &serveOut, &bytes.Buffer{})
			}()
			body := waitForGET(t, "http://"+addr+"/v1/accounts", key.Secret)
			if !strings.Contains(body, `"success":true`) {
				t.Fatalf("list accounts: %s", body)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			if !strings.Contains(serveOut.String(), "http://"+addr) {
				t.Fatalf("serve did not print its URL: %q", serveOut.String())
			}
		})
	}
}

// TestStaffAdd puts a support person on the staff from the command line;
// with a password they can sign in to the console.
func TestStaffAdd(t *testing.T) {
	url := "sqlite:" + t.TempDir() + "/roster.db"
	if code, _, errOut := runCmd(t, "bootstrap", "--database-url", url, "--workspace", "Acme", "--email", "owner@acme.example", "--password", "long-enough"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := runCmd(t, "staff", "add", "--database-url", url, "--workspace", "Acme", "--email", "help@acme.example", "--role", "support", "--password", "support password", "--json")
	if code != 0 {
		t.Fatal(errOut)
	}
	var wm struct {
		ID   string `json:"workspace_membership_id"`
		Role string `json:"role"`
	}
	if err := json.Unmarshal([]byte(out), &wm); err != nil || !db.HasPrefix(wm.ID, "wm") || wm.Role != "support" {
		t.Fatalf("staff add --json printed %q (%v)", out, err)
	}
	if code, _, errOut := runCmd(t, "staff", "add", "--database-url", url, "--workspace", "Acme", "--email", "HELP@acme.example"); code == 0 || !strings.Contains(errOut, "already on the workspace") {
		t.Fatalf("adding again: exit %d, %q", code, errOut)
	}
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, err := d.SignIn(context.Background(), "help@acme.example", "support password"); err != nil || got.Role != db.RoleSupport {
		t.Fatalf("sign in as the new staff: %+v, %v", got, err)
	}
}

// waitForGET polls url until the server answers, then returns the body.
func waitForGET(t *testing.T, url, token string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			res.Body.Close()
			return fmt.Sprintf("%d %s", res.StatusCode, b.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
