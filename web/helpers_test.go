package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
	"roster/web/webtest"
)

// testHS256Secret signs the JWTs of the tests.
const testHS256Secret = "a-test-secret-that-is-long-enough-for-hs256"

// env is one server over one fresh database with a bootstrapped workspace.
type env struct {
	webtest.Client // the API, through the server in process
	t              testing.TB
	db             *db.DB
	srv            *web.Server
	ws             dbtest.Fixture
	clk            *dbtest.Clock // the webhook dispatcher's, when the test holds it (hookEnv)
}

// newEnv builds a server on d; adjust changes its configuration.
func newEnv(t testing.TB, d *db.DB, adjust ...func(*web.Config)) *env {
	t.Helper()
	cfg := web.Config{
		BaseURL: "http://roster.test",
		JWT:     web.JWTConfig{HS256Key: testHS256Secret},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Receivers of the tests listen on 127.0.0.1, and nowhere else.
		WebhookAllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}
	for _, f := range adjust {
		f(&cfg)
	}
	srv, err := web.New(context.Background(), d, cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(time.Second) })
	e := envOn(t, d, srv)
	e.ws = dbtest.Workspace(t, d, "Acme")
	return e
}

// envOn is an env of the server srv on d, with no workspace made.
func envOn(t testing.TB, d *db.DB, srv *web.Server) *env {
	return &env{Client: webtest.Client{Do: webtest.InProcess(srv.App)}, t: t, db: d, srv: srv}
}

// key creates an API key in the workspace and returns its secret.
func (e *env) key(live bool, kind string, scopes ...string) string {
	e.t.Helper()
	return e.keyIn(e.ws, live, kind, scopes...)
}

func (e *env) keyIn(f dbtest.Fixture, live bool, kind string, scopes ...string) string {
	e.t.Helper()
	_, secret, err := e.db.CreateAPIKey(context.Background(), db.Scope{WorkspaceID: f.WorkspaceID, Live: live}, db.NewAPIKey{Kind: kind, Name: "test", Scopes: scopes})
	if err != nil {
		e.t.Fatalf("create key: %v", err)
	}
	return secret
}

// keyBy creates an API key in the workspace as the staff member creator
// would in the console, and returns its secret.
func (e *env) keyBy(creator db.StaffMember, live bool, kind string, scopes ...string) string {
	e.t.Helper()
	ctx := db.WithActor(context.Background(), db.Actor{Type: "user", ID: creator.UserID})
	_, secret, err := e.db.CreateAPIKey(ctx, db.Scope{WorkspaceID: creator.WorkspaceID, Live: live}, db.NewAPIKey{Kind: kind, Name: "test", Scopes: scopes})
	if err != nil {
		e.t.Fatalf("create key: %v", err)
	}
	return secret
}

// owner is the workspace's owner's workspace membership.
func (e *env) owner() db.StaffMember {
	e.t.Helper()
	wm, err := e.db.StaffByID(context.Background(), e.ws.WorkspaceID, e.ws.StaffID)
	if err != nil {
		e.t.Fatal(err)
	}
	return wm
}

// response is what a test reads of an API answer (webtest.Answer).
type response = webtest.Answer

// listen serves the app on a loopback port until the test ends and returns
// its base URL.
func (e *env) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.srv.Serve(ln) }()
	e.t.Cleanup(func() { _ = e.srv.Shutdown(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// apiCase is one row of a table-driven API test.
type apiCase struct {
	name, method, path, token, body string
	status                          int
	typ                             string // the error type, "" for a success
	detail                          string // a key the error's details must name
	says                            string // text the answer must contain
}

// run sends each case's request in order, as a subtest, and checks its answer.
func (e *env) run(t *testing.T, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Call(t, tc.method, tc.path, tc.token, tc.body)
			r.Expect(t, tc.status, tc.typ)
			if tc.detail != "" {
				if _, ok := r.Body.Error.Details[tc.detail]; !ok {
					t.Fatalf("details %v do not name %q", r.Body.Error.Details, tc.detail)
				}
			}
			if !strings.Contains(r.Raw, tc.says) {
				t.Fatalf("answer does not say %s: %s", tc.says, r.Raw)
			}
		})
	}
}

// walk reads a list page by page (limit rows a page) and returns the ids
// of its rows in the order given.
func (e *env) walk(t *testing.T, path, token string, limit int) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var ids []string
	cursor := ""
	for range 100 {
		r := e.Call(t, "GET", fmt.Sprintf("%s%slimit=%d&starting_after=%s", path, sep, limit, cursor), token, "")
		r.Expect(t, 200, "")
		var page []struct{ ID string }
		r.Data(t, &page)
		for _, row := range page {
			ids = append(ids, row.ID)
		}
		if r.Body.HasMore == nil {
			t.Fatal("list without has_more")
		}
		if !*r.Body.HasMore {
			if r.Body.NextCursor != nil {
				t.Fatal("next_cursor on the last page")
			}
			return ids
		}
		cursor = *r.Body.NextCursor
	}
	t.Fatalf("%s: pagination does not end", path)
	return nil
}

// startOfSecond waits for the next second to begin, so that the requests a
// test sends at once fall in one window of the per-second rate limit.
func startOfSecond() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 5*time.Millisecond)))
}
