package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

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
	_, sk, err := d.CreateAPIKey(context.Background(), ws.Live(), db.KeySecret, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, ws, sk
}

// answer is what a test reads of an HTTP answer of a server process.
type answer struct {
	status int
	header http.Header
	raw    string
	body   struct {
		Data  json.RawMessage
		Error *struct{ Type string }
	}
}

// call sends one API request to a server process.
func call(method, url, token, body string, headers ...string) (answer, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		return a, fmt.Errorf("%s %s: %d is not the envelope: %s", method, url, a.status, raw)
	}
	return a, nil
}

// race sends n requests at once, request(i) naming the i-th, and returns
// the answers in order.
func race(t *testing.T, n int, request func(i int) (method, url, body string), token string, headers ...string) []answer {
	t.Helper()
	out, errs := make([]answer, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, url, body := request(i)
			out[i], errs[i] = call(method, url, token, body, headers...)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// count counts the answers by status.
func count(as []answer) map[int]int {
	n := map[int]int{}
	for _, a := range as {
		n[a.status]++
	}
	return n
}

// TestTwoProcesses runs two roster processes started at once on one fresh
// PostgreSQL database, as two replicas of a deployment: both migrate and
// serve, and the rules that concurrency could break hold across them.
func TestTwoProcesses(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	servers := startServers(t, buildRoster(t), 2, url)
	d, ws, sk := workspaceWithKey(t, url)
	wm, err := d.CreateStaff(context.Background(), ws.WorkspaceID, "racer@acme.example", "", db.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	a, err := call("POST", servers[0].URL+"/v1/accounts", sk, `{"name":"Shared"}`)
	if err != nil || a.status != 201 {
		t.Fatalf("create account: %v %s", err, a.raw)
	}
	var acct struct{ ID string }
	if err := json.Unmarshal(a.body.Data, &acct); err != nil {
		t.Fatal(err)
	}
	on := func(i int, path string) string { return servers[i%2].URL + path }
	members := func() int {
		a, err := call("GET", on(0, "/v1/accounts/"+acct.ID+"/memberships?limit=100"), sk, "")
		var ms []json.RawMessage
		if err != nil || json.Unmarshal(a.body.Data, &ms) != nil {
			t.Fatalf("list memberships: %v %s", err, a.raw)
		}
		return len(ms)
	}

	for _, body := range []string{`{"workspace_membership_id":"` + wm.ID + `"}`, `{"email":"Invitee@example.com"}`} {
		before := members()
		as := race(t, 16, func(i int) (string, string, string) {
			return "POST", on(i, "/v1/accounts/"+acct.ID+"/memberships"), body
		}, sk)
		if n := count(as); n[201] != 1 || n[409] != 15 {
			t.Fatalf("16 creates of %s across two processes: %v, want one 201 and fifteen 409", body, n)
		}
		for _, a := range as {
			if a.status == 409 && a.body.Error.Type != "membership.already_exists" {
				t.Fatalf("409 %s", a.raw)
			}
		}
		if got := members() - before; got != 1 {
			t.Fatalf("%d memberships made by 16 creates of %s", got, body)
		}
	}

	t.Run("Idempotency-Key in turn", func(t *testing.T) {
		path := "/v1/account-memberships?account_id=" + acct.ID
		first, err := call("POST", on(0, path), sk, `{"email":"once@example.com"}`, "Idempotency-Key", "k-seq")
		if err != nil || first.status != 201 || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %v %d %s", err, first.status, first.raw)
		}
		again, err := call("POST", on(1, path), sk, `{"email":"once@example.com"}`, "Idempotency-Key", "k-seq")
		if err != nil || again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.raw != first.raw {
			t.Fatalf("the other process did not replay: %v %d %v %s", err, again.status, again.header, again.raw)
		}
	})
	t.Run("Idempotency-Key at once", func(t *testing.T) {
		before := members()
		as := race(t, 8, func(i int) (string, string, string) {
			return "POST", on(i, "/v1/account-memberships?account_id="+acct.ID), `{"email":"twice@example.com"}`
		}, sk, "Idempotency-Key", "k-race")
		replayed := 0
		for _, a := range as {
			if a.status != 201 || a.raw != as[0].raw {
				t.Fatalf("answers differ: %d %s / %s", a.status, a.raw, as[0].raw)
			}
			if a.header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != 7 || members()-before != 1 {
			t.Fatalf("%d replays and %d new memberships, want 7 and 1", replayed, members()-before)
		}
	})
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// person is someone using the console in a browser: cookies kept across
// the servers (cookies ignore ports), redirects not followed.
type person struct {
	t      *testing.T
	client *http.Client
}

func newPerson(t *testing.T) *person {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &person{t: t, client: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get reads a page and returns its status, body and the CSRF token of its
// forms.
func (p *person) get(url string) (int, string, string) {
	p.t.Helper()
	res, err := p.client.Get(url)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	token := ""
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		token = m[1]
	}
	return res.StatusCode, string(b), token
}

// post sends a form and returns the status and where it redirects.
func (p *person) post(url string, form neturl.Values) (int, string) {
	p.t.Helper()
	res, err := p.client.PostForm(url, form)
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
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

	p := newPerson(t)
	_, _, token := p.get(a + "/login")
	if status, _ := p.post(a+"/login", neturl.Values{"email": {ws.OwnerEmail}, "password": {ws.Password}, "_csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("sign in on the first process: %d", status)
	}
	status, body, token := p.get(b + "/accounts")
	if status != 200 || !strings.Contains(body, ws.OwnerEmail) || token == "" {
		t.Fatalf("the second process does not know the session: %d", status)
	}
	if status, _ := p.post(b+"/accounts", neturl.Values{"name": {"Made on the second"}, "_csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("create an account on the second process: %d", status)
	}
	if _, body, _ := p.get(a + "/accounts"); !strings.Contains(body, "Made on the second") {
		t.Fatal("the first process does not show the account made on the second")
	}
	_, _, token = p.get(a + "/accounts")
	if status, _ := p.post(b+"/logout", neturl.Values{"_csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("sign out on the second process: %d", status)
	}
	if status, _, _ := p.get(a + "/accounts"); status != http.StatusSeeOther && status != http.StatusFound {
		t.Fatalf("after signing out, the first process still serves the session: %d", status)
	}
}

// TestPoolSize starts a server with --db-pool-size 2 and sends it 32
// requests at once: they all succeed, and PostgreSQL sees no more than two
// connections from it.
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
	_, sk, err := d.CreateAPIKey(context.Background(), ws.Live(), db.KeySecret, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		as := race(t, 32, func(int) (string, string, string) { return "GET", srv.URL + "/v1/accounts", "" }, sk)
		if n := count(as); n[200] != 32 {
			t.Fatalf("32 lists at once: %v, want 32 200s", n)
		}
	}
	// Connections the client opened and never used would slow the
	// server's shutdown: fasthttp closes them only 5 s after they opened
	// (see TestShutdownWithIdleConnection).
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	var conns int
	if err := d.Get(&conns, `SELECT COUNT(*) FROM pg_stat_activity
		WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if conns < 1 || conns > 2 {
		t.Fatalf("the server holds %d connections, want 1 or 2", conns)
	}
}
