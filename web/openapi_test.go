package web_test

import (
	"roster/web/webtest"

	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
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

// openAPI is the document as a generic JSON value, with the lookups the
// tests below need.
type openAPI map[string]any

// loadOpenAPI fetches /v1/openapi.json from e's server.
func loadOpenAPI(t *testing.T, e *env) openAPI {
	t.Helper()
	r := e.Call(t, "GET", "/v1/openapi.json", "", "")
	var doc openAPI
	if err := json.Unmarshal([]byte(r.Raw), &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return doc
}

// resolve follows a local $ref ("#/components/responses/Void").
func (d openAPI) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	var at any = map[string]any(d)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		at = at.(map[string]any)[part]
	}
	return d.resolve(at)
}

// operations calls f with each operation, its path and method.
func (d openAPI) operations(f func(path, method string, op map[string]any)) {
	for path, ops := range d["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			f(path, method, op.(map[string]any))
		}
	}
}

// response is the declared answer of the operation that serves method and
// path (a concrete path, with ids) with status, and whether there is one.
// A 405 is the answer to a method the path lacks: any of the path's
// operations declares it.
func (d openAPI) response(method, path string, status int) (map[string]any, bool) {
	path = strings.TrimSuffix(strings.SplitN(path, "?", 2)[0], "/")
	var found map[string]any
	d.operations(func(template, m string, op map[string]any) {
		if (strings.EqualFold(m, method) || status == 405) && matchesTemplate(template, path) {
			found = op
		}
	})
	if found == nil {
		return nil, false
	}
	r, ok := found["responses"].(map[string]any)[strconv.Itoa(status)]
	return d.resolve(r), ok
}

// matchesTemplate reports whether path is an instance of the OpenAPI path
// template ("/v1/accounts/{id}").
func matchesTemplate(template, path string) bool {
	want, got := strings.Split(template, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if !strings.HasPrefix(want[i], "{") && want[i] != got[i] {
			return false
		}
	}
	return true
}

// TestOpenAPIServersFollowBaseURL: the served document names the server's
// base URL (ROSTER_BASE_URL) as its one server, and is otherwise the
// committed file, in its order.
func TestOpenAPIServersFollowBaseURL(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), func(c *web.Config) { c.BaseURL = "https://roster.example.com/admin/" })
	served := loadOpenAPI(t, e)
	if got := fmt.Sprint(served["servers"]); got != "[map[url:https://roster.example.com/admin]]" {
		t.Fatalf("servers = %s, want the base URL alone", got)
	}
	raw, err := os.ReadFile("../handlers/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var committed openAPI
	if err := json.Unmarshal(raw, &committed); err != nil {
		t.Fatal(err)
	}
	committed["servers"] = served["servers"]
	if !reflect.DeepEqual(served, committed) {
		t.Fatal("the served document differs from handlers/openapi.json beyond servers")
	}
	r := e.Call(t, "GET", "/v1/openapi.json", "", "")
	if !strings.HasPrefix(r.Raw, "{\n  \"openapi\": \"3.1.") {
		t.Fatalf("the served document does not keep the committed order and indentation: %.40q", r.Raw)
	}
}

// identifier is a property name as generators fold it into a field name:
// role_slug, roleSlug and RoleSlug are one identifier.
func identifier(name string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(name))
}

// TestOpenAPIReadsCleanlyToGenerators checks the rules that keep generated
// clients clean (e2e/clients runs real generators; this says which rule a
// change broke): every enum and const has a type (oapi-codegen makes an
// untyped one interface{}, which panics as a query parameter); no default
// (openapi-typescript makes a property with one required); no two
// properties of an object fold into one identifier; an object without
// properties says what else it holds; every operation declares the answers
// any request can get, and every answer its Request-Id.
func TestOpenAPIReadsCleanlyToGenerators(t *testing.T) {
	doc := loadOpenAPI(t, newEnv(t, dbtest.Open(t, db.SQLite)))
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			_, isEnum := v["enum"]
			_, isConst := v["const"]
			if _, typed := v["type"]; (isEnum || isConst) && !typed {
				t.Errorf("%s: enum or const without a type", at)
			}
			if _, ok := v["default"]; ok && !strings.Contains(at, "/examples") {
				t.Errorf("%s: a default (say it in the description)", at)
			}
			if props, ok := v["properties"].(map[string]any); ok {
				seen := map[string]string{}
				for name := range props {
					if other, clash := seen[identifier(name)]; clash {
						t.Errorf("%s: properties %q and %q make one identifier", at, name, other)
					}
					seen[identifier(name)] = name
				}
			} else if v["type"] == "object" || fmt.Sprint(v["type"]) == "[object null]" {
				if _, ok := v["additionalProperties"]; !ok && v["$ref"] == nil {
					t.Errorf("%s: an object without properties or additionalProperties", at)
				}
			}
			for k, child := range v {
				walk(at+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s/%d", at, i), child)
			}
		}
	}
	walk("#", map[string]any(doc))

	doc.operations(func(path, method string, op map[string]any) {
		responses := op["responses"].(map[string]any)
		for _, status := range []string{"405", "408", "413", "429", "431", "500", "503"} {
			if _, ok := responses[status]; !ok && !(status == "503" && path == "/v1/openapi.json") {
				t.Errorf("%s %s does not declare %s", method, path, status)
			}
		}
		for status, r := range responses {
			if _, ok := doc.resolve(r)["headers"].(map[string]any)["Request-Id"]; !ok {
				t.Errorf("%s %s %s does not declare Request-Id", method, path, status)
			}
		}
	})
}

// undeclaredHeaders are the headers of an answer the document leaves out:
// HTTP's own, and those no client acts on (Server-Timing, nosniff).
var undeclaredHeaders = map[string]bool{"Content-Type": true, "Content-Length": true, "Date": true,
	"Server-Timing": true, "X-Content-Type-Options": true}

// TestOpenAPIDeclaresWhatIsSent sends requests of each kind of answer, with
// the rate limit on, and fails for a status the document does not declare
// for the operation, or a header it sends undeclared (but those of
// undeclaredHeaders).
func TestOpenAPIDeclaresWhatIsSent(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d, func(c *web.Config) { c.RateLimit = 1000 })
	doc := loadOpenAPI(t, e)
	sk := e.key(true, db.KeySecret)
	check := func(method, path string, r webtest.Answer) {
		t.Helper()
		declared, ok := doc.response(method, path, r.Status)
		if !ok {
			t.Errorf("%s %s answered %d, which the document does not declare", method, path, r.Status)
			return
		}
		headers := map[string]bool{}
		for name := range declared["headers"].(map[string]any) {
			headers[http.CanonicalHeaderKey(name)] = true
		}
		for h := range r.Header {
			if !headers[h] && !undeclaredHeaders[h] {
				t.Errorf("%s %s %d sends %s, which the document does not declare", method, path, r.Status, h)
			}
		}
	}
	send := func(method, path, token, body string, headers ...string) webtest.Answer {
		t.Helper()
		r := e.Call(t, method, path, token, body, headers...)
		check(method, path, r)
		return r
	}

	send("GET", "/v1/openapi.json", "", "")
	send("GET", "/v1/accounts", "", "").Expect(t, 401, "unauthorized")
	send("PUT", "/v1/accounts", sk, `{}`).Expect(t, 405, "method_not_allowed")
	send("POST", "/v1/accounts", sk, `{"name":`).Expect(t, 400, "validation_error")
	send("POST", "/v1/accounts", sk, "name=x", "Content-Type", "text/plain").Expect(t, 415, "unsupported_media_type")
	send("GET", "/v1/accounts/acct_nope", sk, "").Expect(t, 404, "account.not_found")
	account := send("POST", "/v1/accounts", sk, `{"name":"Globex"}`, "Idempotency-Key", "globex")
	account.Expect(t, 201, "")
	if r := send("POST", "/v1/accounts", sk, `{"name":"Globex"}`, "Idempotency-Key", "globex"); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the replay is not marked: %v", r.Header)
	}
	var acct struct{ ID string }
	account.Data(t, &acct)
	members := "/v1/account-memberships?account_id=" + acct.ID
	invited := send("POST", members, sk, `{"email":"bob@example.com"}`, "Idempotency-Key", "bob")
	invited.Expect(t, 201, "")
	send("POST", members, sk, `{"email":"bob@example.com"}`, "Idempotency-Key", "bob")
	send("POST", members, sk, `{"email":"bob@example.com"}`).Expect(t, 409, "membership.already_exists")
	var m struct{ ID string }
	invited.Data(t, &m)
	one := "/v1/accounts/" + acct.ID + "/memberships/" + m.ID
	send("GET", one, sk, "").Expect(t, 200, "")
	send("PATCH", one, sk, `{"role":"admin"}`, "If-Match", `"7"`).Expect(t, 412, "precondition_failed")
	send("PATCH", "/v1/account-memberships/"+m.ID, sk, `{"role_slug":"admin"}`).Expect(t, 200, "")
	send("POST", "/v1/account-memberships/"+m.ID+"/resend-invitation", sk, "").Expect(t, 200, "")
	send("POST", "/v1/invitations/accept", "", `{"token":"nope"}`).Expect(t, 404, "invitation.not_found")
	send("DELETE", one, sk, "").Expect(t, 200, "")
	send("GET", "/v1/roles", sk, "").Expect(t, 200, "")
	send("GET", "/v1/events?limit=1", sk, "").Expect(t, 200, "")

	if _, err := d.Exec(`DROP TABLE events`); err != nil {
		t.Fatal(err)
	}
	send("POST", "/v1/accounts", sk, `{"name":"Initech"}`).Expect(t, 500, "internal_server_error")

	limited := newEnv(t, dbtest.Open(t, db.SQLite), func(c *web.Config) { c.RateLimit = 1 })
	lk := limited.key(true, db.KeySecret)
	// The budget is per second: calls that straddle a second's end may
	// each find a fresh one, so call until one is refused.
	var last webtest.Answer
	for range 5 {
		if last = limited.Call(t, "GET", "/v1/roles", lk, ""); last.Status == 429 {
			break
		}
	}
	last.Expect(t, 429, "rate_limited")
	check("GET", "/v1/roles", last)
}

// TestOpenAPIListsEveryEventType checks that the Event schema's type enum
// is the catalogue db.EventTypes, in its order: a client generated from
// the document knows every kind of event Roster writes.
func TestOpenAPIListsEveryEventType(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	doc := loadOpenAPI(t, e)
	typ := doc.resolve(doc["components"].(map[string]any)["schemas"].(map[string]any)["Event"])["properties"].(map[string]any)["type"].(map[string]any)
	var listed []string
	for _, v := range typ["enum"].([]any) {
		listed = append(listed, v.(string))
	}
	if strings.Join(listed, ",") != strings.Join(db.EventTypes, ",") {
		t.Fatalf("the Event type enum is\n%v\nand db.EventTypes is\n%v", listed, db.EventTypes)
	}
}
