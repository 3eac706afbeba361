package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// testHS256Secret signs the JWTs of the tests.
const testHS256Secret = "a-test-secret-that-is-long-enough-for-hs256"

// env is one server over one fresh database with a bootstrapped workspace.
type env struct {
	t   testing.TB
	db  *db.DB
	srv *web.Server
	ws  dbtest.Fixture
}

// newEnv builds a server on d; adjust changes its configuration.
func newEnv(t testing.TB, d *db.DB, adjust ...func(*web.Config)) *env {
	t.Helper()
	cfg := web.Config{
		BaseURL: "http://roster.test",
		JWT:     web.JWTConfig{HS256Key: testHS256Secret},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range adjust {
		f(&cfg)
	}
	srv, err := web.New(context.Background(), d, cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(time.Second) })
	return &env{t: t, db: d, srv: srv, ws: dbtest.Workspace(t, d, "Acme")}
}

// key creates an API key in the workspace and returns its secret.
func (e *env) key(live bool, kind string, scopes ...string) string {
	e.t.Helper()
	return e.keyIn(e.ws, live, kind, scopes...)
}

func (e *env) keyIn(f dbtest.Fixture, live bool, kind string, scopes ...string) string {
	e.t.Helper()
	_, secret, err := e.db.CreateAPIKey(context.Background(), db.Scope{WorkspaceID: f.WorkspaceID, Live: live}, kind, "test", scopes)
	if err != nil {
		e.t.Fatalf("create key: %v", err)
	}
	return secret
}

// keyBy creates an API key in the workspace as the staff member creator
// would in the console, and returns its secret.
func (e *env) keyBy(creator db.WorkspaceMembership, live bool, kind string, scopes ...string) string {
	e.t.Helper()
	ctx := db.WithActor(context.Background(), db.Actor{Type: "user", ID: creator.UserID}, "")
	_, secret, err := e.db.CreateAPIKey(ctx, db.Scope{WorkspaceID: creator.WorkspaceID, Live: live}, kind, "test", scopes)
	if err != nil {
		e.t.Fatalf("create key: %v", err)
	}
	return secret
}

// owner is the workspace's owner's workspace membership.
func (e *env) owner() db.WorkspaceMembership {
	e.t.Helper()
	wm, err := e.db.StaffByID(context.Background(), e.ws.WorkspaceID, e.ws.WorkspaceMembershipID)
	if err != nil {
		e.t.Fatal(err)
	}
	return wm
}

// response is what a test reads of an answer.
type response struct {
	Status int
	Header http.Header
	Body   envelope
	Raw    string
}

// envelope is the /v1 envelope, decoded loosely.
type envelope struct {
	Message    string          `json:"message"`
	Success    *bool           `json:"success"`
	Data       json.RawMessage `json:"data"`
	HasMore    *bool           `json:"has_more"`
	NextCursor *string         `json:"next_cursor"`
	Error      *struct {
		Code    int            `json:"code"`
		Type    string         `json:"type"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// errType is the error type of the answer, or "".
func (r response) errType() string {
	if r.Body.Error == nil {
		return ""
	}
	return r.Body.Error.Type
}

// data decodes the answer's data into v.
func (r response) data(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Body.Data, err)
	}
}

// do sends a request through the Fiber app; token "" sends no credential,
// body "" sends none, and JSON bodies get their content type.
func (e *env) do(t testing.TB, method, path, token, body string, headers ...string) response {
	t.Helper()
	r, err := e.send(method, path, token, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send is do for other goroutines than the test's: it returns what went
// wrong instead of failing the test.
func (e *env) send(method, path, token, body string, headers ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.App.Test(req, -1)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(path, "/v1") {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return r, fmt.Errorf("%s %s: Content-Type %q, want application/json; body %s", method, path, ct, raw)
		}
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			return r, fmt.Errorf("%s %s: body is not the envelope: %v: %s", method, path, err, raw)
		}
	}
	if res.Header.Get("Request-Id") == "" {
		return r, fmt.Errorf("%s %s: no Request-Id header", method, path)
	}
	if !strings.HasPrefix(res.Header.Get("Server-Timing"), "app;dur=") {
		return r, fmt.Errorf("%s %s: no Server-Timing header", method, path)
	}
	return r, nil
}

// parallel sends n requests at once, request(i) saying what the i-th is,
// each with the headers, and returns the answers in that order.
func (e *env) parallel(t *testing.T, n int, request func(i int) (method, path, token, body string), headers ...string) []response {
	t.Helper()
	out := make([]response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, path, token, body := request(i)
			out[i], errs[i] = e.send(method, path, token, body, headers...)
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

// statuses counts the answers by status.
func statuses(rs []response) map[int]int {
	n := map[int]int{}
	for _, r := range rs {
		n[r.Status]++
	}
	return n
}

// expect fails the test unless the answer has the status and error type
// (typ "" for a success).
func (r response) expect(t testing.TB, status int, typ string) {
	t.Helper()
	if r.Status != status || r.errType() != typ {
		t.Fatalf("got %d %q, want %d %q; body %s", r.Status, r.errType(), status, typ, r.Raw)
	}
	if r.Body.Success == nil {
		return
	}
	if ok := status < 400; *r.Body.Success != ok {
		t.Fatalf("success = %v for status %d", *r.Body.Success, status)
	}
	if status >= 400 && (r.Body.Error.Code != status || r.Body.Message != r.Body.Error.Message || r.Body.Message == "") {
		t.Fatalf("error envelope inconsistent: %s", r.Raw)
	}
}

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
			r := e.do(t, tc.method, tc.path, tc.token, tc.body)
			r.expect(t, tc.status, tc.typ)
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
		r := e.do(t, "GET", fmt.Sprintf("%s%slimit=%d&starting_after=%s", path, sep, limit, cursor), token, "")
		r.expect(t, 200, "")
		var page []struct{ ID string }
		r.data(t, &page)
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
