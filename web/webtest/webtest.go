// Package webtest drives Roster's HTTP server in tests, as API clients and
// people in browsers do: through the Fiber app in the test's process
// (InProcess) or over the network to `roster serve` processes (OverHTTP).
// Its helpers are the same either way, so the web package's tests and the
// root package's process tests share them.
package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Doer sends one request and returns its answer.
type Doer func(*http.Request) (*http.Response, error)

// InProcess sends requests through app without a network.
func InProcess(app *fiber.App) Doer {
	return func(req *http.Request) (*http.Response, error) { return app.Test(req, -1) }
}

// OverHTTP sends requests over the network, following no redirect and
// giving up after timeout. It uses http.DefaultTransport, whose idle
// connections a test may close.
func OverHTTP(timeout time.Duration) Doer {
	client := &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return func(req *http.Request) (*http.Response, error) {
		req.RequestURI = "" // a client request has none
		return client.Do(req)
	}
}

// newRequest builds a request to target (a path, or a URL when the test
// talks to servers over the network) with the headers, given as name and
// value pairs. A target is taken as a browser would send it: "//x/y" is a
// path, not a host.
func newRequest(method, target string, body io.Reader, headers []string) *http.Request {
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// HTMX are the headers of a request htmx sends.
var HTMX = []string{"HX-Request", "true"}

// SyncBuffer is a bytes.Buffer that several goroutines may write, such as
// a server's logger or a process's two output streams, and a test read.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Answer is what a test reads of an API answer.
type Answer struct {
	Status int
	Header http.Header
	Body   Envelope // decoded for /v1 paths
	Raw    string
}

// Envelope is the /v1 envelope, decoded loosely.
type Envelope struct {
	Message    string          `json:"message"`
	Success    *bool           `json:"success"`
	Data       json.RawMessage `json:"data"`
	HasMore    *bool           `json:"has_more"`
	NextCursor *string         `json:"next_cursor"`
	Error      *ErrorObject    `json:"error"`
}

// ErrorObject is the error member of an envelope (and of a bulk item).
type ErrorObject struct {
	Code    int            `json:"code"`
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// ErrType is the error type of the answer, or "".
func (a Answer) ErrType() string {
	if a.Body.Error == nil {
		return ""
	}
	return a.Body.Error.Type
}

// Data decodes the answer's data into v.
func (a Answer) Data(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", a.Body.Data, err)
	}
}

// Expect fails the test unless the answer has the status and error type
// (typ "" for a success), in a consistent envelope.
func (a Answer) Expect(t testing.TB, status int, typ string) {
	t.Helper()
	if a.Status != status || a.ErrType() != typ {
		t.Fatalf("got %d %q, want %d %q; body %s", a.Status, a.ErrType(), status, typ, a.Raw)
	}
	if a.Body.Success == nil {
		return
	}
	if ok := status < 400; *a.Body.Success != ok {
		t.Fatalf("success = %v for status %d", *a.Body.Success, status)
	}
	if status >= 400 && (a.Body.Error.Code != status || a.Body.Message != a.Body.Error.Message || a.Body.Message == "") {
		t.Fatalf("error envelope inconsistent: %s", a.Raw)
	}
}

// Client sends API requests.
type Client struct {
	Do   Doer
	Base string // put before every path: "" in process, or a server's URL
}

// Call sends a request and fails the test when it cannot be sent or its
// answer is malformed (see Send).
func (c Client) Call(t testing.TB, method, path, token, body string, headers ...string) Answer {
	t.Helper()
	a, err := c.Send(method, path, token, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Send sends a request with token as its bearer credential ("" sends
// none) and body as JSON ("" sends none), and returns the answer. It is
// Call for other goroutines than the test's: instead of failing the test
// it returns what went wrong, including an answer without a Request-Id
// or Server-Timing header, or an answer under /v1 that is not the JSON
// envelope.
func (c Client) Send(method, path, token, body string, headers ...string) (Answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := newRequest(method, c.Base+path, rd, headers)
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	a := Answer{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(req.URL.Path, "/v1") {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return a, fmt.Errorf("%s %s: Content-Type %q, want application/json; body %s", method, path, ct, raw)
		}
		if err := json.Unmarshal(raw, &a.Body); err != nil {
			return a, fmt.Errorf("%s %s: body is not the envelope: %v: %s", method, path, err, raw)
		}
	}
	if res.Header.Get("Request-Id") == "" {
		return a, fmt.Errorf("%s %s: no Request-Id header", method, path)
	}
	if !strings.HasPrefix(res.Header.Get("Server-Timing"), "app;dur=") {
		return a, fmt.Errorf("%s %s: no Server-Timing header", method, path)
	}
	return a, nil
}

// Race sends n requests at once, request(i) saying what the i-th is, each
// with the headers, and returns the answers in that order.
func (c Client) Race(t *testing.T, n int, request func(i int) (method, path, token, body string), headers ...string) []Answer {
	t.Helper()
	out, errs := make([]Answer, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			method, path, token, body := request(i)
			out[i], errs[i] = c.Send(method, path, token, body, headers...)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Statuses counts the answers by status.
func Statuses(as []Answer) map[int]int {
	n := map[int]int{}
	for _, a := range as {
		n[a.Status]++
	}
	return n
}

// Fetch GETs url over HTTP and returns the status and body.
func Fetch(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
