package main

import (
	"context"
	"encoding/json"
	"net/http"
	neturl "net/url"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// api is a client of the server processes: each request names its
// server's URL.
var api = webtest.Client{Do: webtest.OverHTTP(15 * time.Second)}

// workspaceWithKey opens the database of url, for the test's length, with
// the workspace "Acme" and a live secret key of it.
func workspaceWithKey(t *testing.T, url string) (*db.DB, dbtest.Fixture, string) {
	t.Helper()
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ws := dbtest.Workspace(t, d, "Acme")
	_, sk, err := d.CreateAPIKey(context.Background(), ws.Live(), db.NewAPIKey{Kind: db.KeySecret, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return d, ws, sk
}

// TestTwoProcesses runs two roster processes started at once on one fresh
// PostgreSQL database, as two replicas of a deployment: both migrate and
// serve, and the rules that concurrency could break hold across them.
func TestTwoProcesses(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	servers := startServers(t, buildRoster(t), 2, url)
	d, ws, sk := workspaceWithKey(t, url)
	wm, err := d.CreateStaff(context.Background(), ws.WorkspaceID, db.NewStaff{Email: "racer@acme.example", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	var acct struct{ ID string }
	api.Call(t, "POST", servers[0].URL+"/v1/accounts", sk, `{"name":"Shared"}`).Data(t, &acct)
	on := func(i int, path string) string { return servers[i%2].URL + path }
	members := func() int {
		var ms []json.RawMessage
		api.Call(t, "GET", on(0, "/v1/accounts/"+acct.ID+"/memberships?limit=100"), sk, "").Data(t, &ms)
		return len(ms)
	}

	for _, body := range []string{`{"workspace_membership_id":"` + wm.ID + `"}`, `{"email":"Invitee@example.com"}`} {
		before := members()
		as := api.Race(t, 16, func(i int) (string, string, string, string) {
			return "POST", on(i, "/v1/accounts/"+acct.ID+"/memberships"), sk, body
		})
		if n := webtest.Statuses(as); n[201] != 1 || n[409] != 15 {
			t.Fatalf("16 creates of %s across two processes: %v, want one 201 and fifteen 409", body, n)
		}
		for _, a := range as {
			if a.Status == 409 && a.ErrType() != "membership.already_exists" {
				t.Fatalf("409 %s", a.Raw)
			}
		}
		if got := members() - before; got != 1 {
			t.Fatalf("%d memberships made by 16 creates of %s", got, body)
		}
	}

	t.Run("Idempotency-Key in turn", func(t *testing.T) {
		path := "/v1/account-memberships?account_id=" + acct.ID
		first := api.Call(t, "POST", on(0, path), sk, `{"email":"once@example.com"}`, "Idempotency-Key", "k-seq")
		if first.Status != 201 || first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %s", first.Status, first.Raw)
		}
		again := api.Call(t, "POST", on(1, path), sk, `{"email":"once@example.com"}`, "Idempotency-Key", "k-seq")
		if again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != first.Raw {
			t.Fatalf("the other process did not replay: %d %v %s", again.Status, again.Header, again.Raw)
		}
	})
	t.Run("Idempotency-Key at once", func(t *testing.T) {
		before := members()
		as := api.Race(t, 8, func(i int) (string, string, string, string) {
			return "POST", on(i, "/v1/account-memberships?account_id="+acct.ID), sk, `{"email":"twice@example.com"}`
		}, "Idempotency-Key", "k-race")
		replayed := 0
		for _, a := range as {
			if a.Status != 201 || a.Raw != as[0].Raw {
				t.Fatalf("answers differ: %d %s / %s", a.Status, a.Raw, as[0].Raw)
			}
			if a.Header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != 7 || members()-before != 1 {
			t.Fatalf("%d replays and %d new memberships, want 7 and 1", replayed, members()-before)
		}
	})
}

// TestSessionAcrossProcesses signs in on one process and goes on on the
// other: sessions and CSRF tokens live in the database, and signing out on
// one ends the session on both.
func TestSessionAcrossProcesses(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	servers := startServers(t, buildRoster(t), 2, url)
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ws := dbtest.Workspace(t, d, "Acme")
	a, b := servers[0].URL, servers[1].URL

	p := webtest.NewBrowser(t, webtest.OverHTTP(15*time.Second), "")
	p.Get(a+"/login").Expect(t, 200)
	p.Post(a+"/login", neturl.Values{"email": {ws.OwnerEmail}, "password": {ws.Password}}).Expect(t, http.StatusSeeOther, "/accounts")
	// The second process knows the session, and the CSRF token of its pages.
	p.Get(b+"/accounts").Expect(t, 200).Has(t, ws.OwnerEmail)
	p.Post(b+"/accounts", neturl.Values{"name": {"Made on the second"}}).Expect(t, http.StatusSeeOther)
	p.Get(a+"/accounts").Expect(t, 200).Has(t, "Made on the second")
	p.Post(b+"/logout", nil).Expect(t, http.StatusSeeOther, "/login")
	// Signed out on the second, signed out on the first.
	p.Get(a+"/accounts").Expect(t, http.StatusSeeOther)
}

// TestPoolSize starts a server with --db-pool-size 2 and sends it 32
// requests at once: they all succeed, and PostgreSQL sees no more than two
// connections from it for requests (and those of its background work,
// named apart).
func TestPoolSize(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	srv := startServers(t, buildRoster(t), 1, url, "--db-pool-size", "2", "--rate-limit", "0")[0]
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetPoolSize(1) // the test's own connection is the one pg_backend_pid names
	ws := dbtest.Workspace(t, d, "Acme")
	_, sk, err := d.CreateAPIKey(context.Background(), ws.Live(), db.NewAPIKey{Kind: db.KeySecret, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		as := api.Race(t, 32, func(int) (string, string, string, string) { return "GET", srv.URL + "/v1/accounts", sk, "" })
		if n := webtest.Statuses(as); n[200] != 32 {
			t.Fatalf("32 lists at once: %v, want 32 200s", n)
		}
	}
	// Connections the client opened and never used would slow the
	// server's shutdown: fasthttp closes them only 5 s after they opened
	// (see TestShutdownWithIdleConnection).
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	var conns struct{ Requests, Background, Other int }
	if err := d.Get(&conns, `SELECT COUNT(*) FILTER (WHERE application_name = 'roster') AS requests,
		COUNT(*) FILTER (WHERE application_name = 'roster background') AS background,
		COUNT(*) FILTER (WHERE application_name NOT IN ('roster', 'roster background')) AS other
		FROM pg_stat_activity
		WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if conns.Requests < 1 || conns.Requests > 2 || conns.Background > db.BackgroundPoolSize || conns.Other != 0 {
		t.Fatalf("the server holds %+v connections, want 1 or 2 for requests, up to %d for background work, none else",
			conns, db.BackgroundPoolSize)
	}
}
