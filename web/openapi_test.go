package web_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// fiberParam is a route parameter as Fiber writes it (":id") and as
// OpenAPI does ("{id}").
var (
	fiberParam   = regexp.MustCompile(`:[A-Za-z0-9_]+`)
	openAPIParam = regexp.MustCompile(`\{[A-Za-z0-9_]+\}`)
)

// routeShape is a path with its parameters' names erased and no trailing
// slash, so Fiber's and OpenAPI's spellings of one route compare equal.
func routeShape(path string, param *regexp.Regexp) string {
	return strings.TrimSuffix(param.ReplaceAllString(path, "{}"), "/")
}

// TestOpenAPICoversEveryRoute fetches /v1/openapi.json without a credential
// and fails for every /v1 route the server registers that it does not
// describe.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	r := e.Call(t, "GET", "/v1/openapi.json", "", "")
	if r.Status != 200 {
		t.Fatalf("GET /v1/openapi.json: %d %s", r.Status, r.Raw)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			described[strings.ToUpper(method)+" "+routeShape(path, openAPIParam)] = true
		}
	}
	checked := 0
	for _, rt := range e.srv.App.GetRoutes(true) {
		if rt.Method == "HEAD" || !strings.HasPrefix(rt.Path, "/v1/") {
			continue
		}
		checked++
		if key := rt.Method + " " + routeShape(rt.Path, fiberParam); !described[key] {
			t.Errorf("%s %s is not in /v1/openapi.json", rt.Method, rt.Path)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d /v1 routes found: GetRoutes is not what this test expects", checked)
	}
}
