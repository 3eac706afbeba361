package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// writeFile writes a file of the test's and returns its path.
func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecretFiles: each secret variable may be given as NAME_FILE; its
// trailing newline is dropped; both set, a missing or unreadable file and
// an empty one each stop the command with one line naming the variable.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "from-file.db")
	t.Setenv("DATABASE_URL", "")
	os.Unsetenv("DATABASE_URL")
	t.Setenv("DATABASE_URL_FILE", writeFile(t, "database_url", url+"\n", 0o600))
	if code, _, errOut := runCmd(t, "migrate"); code != 0 {
		t.Fatalf("migrate with DATABASE_URL_FILE: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "from-file.db")); err != nil {
		t.Fatalf("the database the file names was not made: %v", err)
	}

	type refusal struct {
		env  map[string]string
		args []string
		want string
	}
	cases := []refusal{
		{map[string]string{"DATABASE_URL": url}, []string{"migrate"}, "roster: DATABASE_URL and DATABASE_URL_FILE: set one, not both"},
		{map[string]string{"DATABASE_URL_FILE": filepath.Join(dir, "missing")}, []string{"migrate"},
			"roster: DATABASE_URL_FILE: cannot read " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{map[string]string{"DATABASE_URL_FILE": writeFile(t, "empty", "\n", 0o600)}, []string{"bootstrap"}, "roster: DATABASE_URL_FILE: "},
		{map[string]string{"ROSTER_JWT_HS256_SECRET_FILE": writeFile(t, "short", "short\n", 0o600)}, []string{"serve"},
			"roster: ROSTER_JWT_HS256_SECRET: must be at least 32 characters"},
		{map[string]string{"ROSTER_SMTP_URL_FILE": writeFile(t, "smtp", "http://mail.example\n", 0o600)}, []string{"serve"},
			"roster: ROSTER_SMTP_URL: want smtp://"},
		{map[string]string{"ROSTER_SMTP_URL": "smtp://a", "ROSTER_SMTP_URL_FILE": "/dev/null"}, []string{"serve"},
			"roster: ROSTER_SMTP_URL and ROSTER_SMTP_URL_FILE: set one, not both"},
	}
	if os.Geteuid() != 0 { // root reads any file
		unreadable := writeFile(t, "unreadable", "secret", 0o000)
		cases = append(cases, refusal{map[string]string{"ROSTER_JWT_HS256_SECRET_FILE": unreadable}, []string{"serve"},
			"roster: ROSTER_JWT_HS256_SECRET_FILE: cannot read " + unreadable + ": permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, _, errOut := runCmd(t, tc.args...)
			if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, tc.want) {
				t.Fatalf("exit %d, %q, want one line starting %q", code, errOut, tc.want)
			}
		})
	}

	// Help never shows what the variables hold.
	t.Setenv("DATABASE_URL_FILE", "")
	os.Unsetenv("DATABASE_URL_FILE")
	t.Setenv("DATABASE_URL", "postgres://roster:hunter2@db.example/roster")
	t.Setenv("ROSTER_JWT_HS256_SECRET", "hunter2-hunter2-hunter2-hunter2-hunter2")
	if _, out, _ := runCmd(t, "serve", "--help"); strings.Contains(out, "hunter2") {
		t.Fatalf("serve --help shows a secret:\n%s", out)
	}
}

// TestSecretFileServes starts roster serve with its HS256 secret in a file
// (newline-terminated, as editors write it): a token signed with the
// secret authenticates.
func TestSecretFileServes(t *testing.T) {
	const secret = "a-shared-secret-of-at-least-32-characters"
	t.Setenv("ROSTER_JWT_HS256_SECRET_FILE", writeFile(t, "hs256", secret+"\n", 0o600))
	url := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	srv := startServers(t, buildRoster(t), 1, url)[0]
	_, ws, _ := workspaceWithKey(t, url)
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"email": ws.OwnerEmail, "exp": time.Now().Add(time.Minute).Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := api.Send("GET", srv.URL+"/v1/accounts", token, ""); err != nil || a.Status != 200 {
		t.Fatalf("list accounts with a JWT signed with the file's secret: %v %d %s", err, a.Status, a.Raw)
	}
}
