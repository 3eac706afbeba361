package web_test

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// TestKeySecretNeverStored creates and rolls keys in the console, with and
// without htmx, and looks for their secrets in the database, before and
// after the page that shows them: in every session's data, in every row of
// every table on PostgreSQL, and in the files of SQLite.
func TestKeySecretNeverStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.Get("/api-keys")
		var secrets []string
		for _, htmx := range [][]string{nil, webtest.HTMX} {
			b.Post("/api-keys", url.Values{"kind": {"secret"}, "name": {"CI"}}, htmx...)
			waiting := stored(t, d) // what the database holds until the page shows the secret
			shown := b.Get("/api-keys").Has(t, "Copy it now")
			m := secretPattern.FindStringSubmatch(shown.Body)
			if m == nil {
				t.Fatal("no secret shown")
			}
			secrets = append(secrets, m[1])
			notIn(t, waiting, secrets...)
			notIn(t, stored(t, d), secrets...)
			if b.Cookies["roster_new_key"] != nil {
				t.Fatal("the cookie that opens the secret outlives the page that showed it")
			}
			b.Get("/api-keys").Lacks(t, m[1], "Copy it now")
		}
		k, err := d.APIKeyBySecret(t.Context(), secrets[0])
		if err != nil {
			t.Fatal(err)
		}
		b.Post("/api-keys/"+k.ID+"/roll", url.Values{"grace": {"0"}}).Expect(t, 303, "/api-keys")
		waiting := stored(t, d)
		m := secretPattern.FindStringSubmatch(b.Get("/api-keys").Body)
		if m == nil || m[1] == secrets[0] {
			t.Fatalf("rolled secret %v", m)
		}
		notIn(t, waiting, m[1])
		notIn(t, stored(t, d), append(secrets, m[1])...)
	})
}

// stored is what the database holds: every session's data, and every row
// of every table on PostgreSQL or the files of SQLite.
func stored(t *testing.T, d *db.DB) []string {
	t.Helper()
	var sessions [][]byte
	if err := d.Select(&sessions, `SELECT data FROM sessions`); err != nil || len(sessions) == 0 {
		t.Fatalf("%d sessions (%v)", len(sessions), err)
	}
	var where []string
	for _, data := range sessions {
		where = append(where, string(data))
	}
	if d.Dialect == db.SQLite {
		var file string
		if err := d.Get(&file, `SELECT file FROM pragma_database_list WHERE name = 'main'`); err != nil {
			t.Fatal(err)
		}
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			b, err := os.ReadFile(file + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			where = append(where, string(b))
		}
	} else {
		for table := range rowCounts(t, d) {
			var rows []string
			if err := d.Select(&rows, fmt.Sprintf(`SELECT CAST(t AS text) FROM %q AS t`, table)); err != nil {
				t.Fatal(err)
			}
			where = append(where, rows...)
		}
	}
	return where
}

// notIn fails the test if what the database held holds any of the
// secrets, as text, hex (PostgreSQL's bytea) or bytes.
func notIn(t *testing.T, where []string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		for _, s := range where {
			if strings.Contains(s, secret) || strings.Contains(s, hex.EncodeToString([]byte(secret))) ||
				strings.Contains(s, secret[8:]) {
				t.Fatalf("the database holds the secret %s…", secret[:12])
			}
		}
	}
}
