package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
	t   *testing.T
	db  *db.DB
	srv *web.Server
	ws  dbtest.Fixture
}

// newEnv builds a server on d; adjust changes its configuration.
func newEnv(t *testing.T, d *db.DB, adjust ...func(*web.Config)) *env {
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
func (r response) data(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Body.Data, err)
	}
}

// do sends a request through the Fiber app; token "" sends no credential,
// body "" sends none, and JSON bodies get their content type.
func (e *env) do(t *testing.T, method, path, token, body string, headers ...string) response {
	t.Helper()
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
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(path, "/v1") {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s: Content-Type %q, want application/json; body %s", method, path, ct, raw)
		}
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: body is not the envelope: %v: %s", method, path, err, raw)
		}
	}
	if res.Header.Get("Request-Id") == "" {
		t.Fatalf("%s %s: no Request-Id header", method, path)
	}
	return r
}

// expect fails the test unless the answer has the status and error type
// (typ "" for a success).
func (r response) expect(t *testing.T, status int, typ string) {
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
	go func() { _ = e.srv.App.Listener(ln) }()
	e.t.Cleanup(func() { _ = e.srv.Shutdown(5 * time.Second) })
	return "http://" + ln.Addr().String()
}
