package web_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"roster/db"
	"roster/db/dbtest"
)

// authzTable is the checked-in authorization matrix.
const authzTable = "testdata/authz.txt"

// credentialColumns name the matrix's columns, in order.
var credentialColumns = []string{"none", "garb", "revk", "expd", "pk_l", "pk_t", "scop", "sk_t", "sk_l", "othr", "supp", "admn",
	"mbrw", "sk_o", "sk_d", "sk_g", "mown", "madm", "mpln", "mgon"}

// matrixRow is one route's row of the matrix: the status each credential
// gets.
type matrixRow struct {
	route    string // "METHOD /path" as the route table registers it
	statuses []int
}

// readMatrix reads the matrix's rows, refusing malformed ones.
func readMatrix(t *testing.T) []matrixRow {
	t.Helper()
	f, err := os.Open(authzTable)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []matrixRow
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if len(fs) != 2+len(credentialColumns) {
			t.Fatalf("%s:%d: want METHOD /path and %d statuses, got %d fields", authzTable, n, len(credentialColumns), len(fs))
		}
		row := matrixRow{route: fs[0] + " " + fs[1]}
		for _, s := range fs[2:] {
			status, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("%s:%d: status %q: %v", authzTable, n, s, err)
			}
			row.statuses = append(row.statuses, status)
		}
		if seen[row.route] {
			t.Fatalf("%s:%d: %s has two rows", authzTable, n, row.route)
		}
		seen[row.route] = true
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// v1Routes lists every "METHOD /path" the server registers under /v1, HEAD
// aside.
func (e *env) v1Routes() map[string]bool {
	routes := map[string]bool{}
	for _, rt := range e.srv.App.GetRoutes(true) {
		if rt.Method != "HEAD" && strings.HasPrefix(rt.Path, "/v1/") {
			routes[rt.Method+" "+rt.Path] = true
		}
	}
	return routes
}

// matrixFixture is what the matrix's requests name: rows of the main
// workspace's live mode, and one token per credential column.
type matrixFixture struct {
	account, membership, role, permission, staff, event string
	endpoint, delivery, domain                          string
	tokens                                              []string
}

// newMatrixFixture creates the rows and credentials of the matrix in e.
func newMatrixFixture(t *testing.T, e *env) matrixFixture {
	t.Helper()
	ctx := context.Background()
	addStaff(t, e.db, e.ws, "support@acme.example", db.RoleSupport)
	addStaff(t, e.db, e.ws, "admin@acme.example", db.RoleAdmin)
	other := dbtest.Workspace(t, e.db, "Globex")

	skLive := e.key(true, db.KeySecret)
	revoked := e.key(true, db.KeySecret)
	k, err := e.db.APIKeyBySecret(ctx, revoked)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.RevokeAPIKey(ctx, e.ws.Live(), k.ID); err != nil {
		t.Fatal(err)
	}
	expired := signHS256(t, jwt.MapClaims{"email": e.ws.OwnerEmail, "exp": time.Now().Add(-time.Hour).Unix()})

	coOwner := addStaff(t, e.db, e.ws, "co-owner@acme.example", db.RoleOwner)
	f := matrixFixture{account: e.createAccount(skLive, "Matrix Co"), staff: coOwner.ID, permission: "matrix.audit"}
	f.membership = e.addMember(skLive, f.account, `{"email":"matrix@example.com"}`).ID
	r, err := e.db.RoleByRef(ctx, e.ws.WorkspaceID, "member")
	if err != nil {
		t.Fatal(err)
	}
	f.role = r.ID
	if _, err := e.db.CreatePermission(ctx, e.ws.Live(), db.NewPermission{Key: f.permission, Description: "Only the main workspace has it"}); err != nil {
		t.Fatal(err)
	}
	evs := e.events(t, skLive, "type=account.created")
	if len(evs) != 1 {
		t.Fatalf("%d account.created events", len(evs))
	}
	f.event = evs[0].ID
	ep, err := e.db.CreateWebhookEndpoint(ctx, e.ws.Live(), db.WebhookEndpointInput{URL: "https://127.0.0.1:9/matrix"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.db.TestWebhookEndpoint(ctx, e.ws.Live(), ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.endpoint, f.delivery = ep.ID, d.ID
	dom, err := e.db.CreateDomain(ctx, e.ws.Live(), f.account, db.NewDomain{Domain: "matrix.example"})
	if err != nil {
		t.Fatal(err)
	}
	f.domain = dom.ID

	demoted, departed := addStaff(t, e.db, e.ws, "demoted@acme.example", db.RoleAdmin), addStaff(t, e.db, e.ws, "departed@acme.example", db.RoleAdmin)
	f.tokens = []string{
		"", "not-a-credential", revoked, expired,
		e.key(true, db.KeyPublishable), e.key(false, db.KeyPublishable),
		e.key(true, db.KeySecret, "memberships:read"), e.key(false, db.KeySecret), skLive,
		e.keyIn(other, true, db.KeySecret),
		jwtFor(t, "support@acme.example", false), jwtFor(t, "admin@acme.example", false),
		e.key(true, db.KeySecret, "memberships:write"),
		e.keyBy(e.owner(), true, db.KeySecret),
		e.keyBy(demoted, true, db.KeySecret), e.keyBy(departed, true, db.KeySecret),
	}
	gone := e.activeMember(t, skLive, f.account, "gone@matrix.example", "admin", "")
	for _, m := range []struct{ email, role string }{
		{"owner@matrix.example", "owner"}, {"admin@matrix.example", "admin"}, {"plain@matrix.example", "member"},
	} {
		e.activeMember(t, skLive, f.account, m.email, m.role, "")
		f.tokens = append(f.tokens, signHS256(t, staffClaims(m.email)))
	}
	e.Call(t, "DELETE", "/v1/account-memberships/"+gone.ID, skLive, "").Expect(t, 200, "")
	f.tokens = append(f.tokens, signHS256(t, staffClaims("gone@matrix.example")))
	owner := db.StaffEditor{WorkspaceID: e.ws.WorkspaceID, StaffID: e.ws.StaffID}
	if _, err := e.db.ChangeStaffRole(ctx, owner, demoted.ID, db.StaffChange{Role: db.RoleSupport}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.RemoveStaff(ctx, owner, departed.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// routeParam is a parameter of a route pattern.
var routeParam = regexp.MustCompile(`:[a-z_]+`)

// request is the request the matrix sends for route: existing ids, or
// missing ones where an allowed caller would change something, and an
// invalid body for every write.
func (f matrixFixture) request(route string) (method, path, body string) {
	method, pattern, _ := strings.Cut(route, " ")
	ownerRule := strings.HasPrefix(pattern, "/v1/workspace-memberships") && method != "GET"
	missing := (method == "DELETE" && !ownerRule) || strings.HasSuffix(pattern, "/resend-invitation") || statusChange(pattern)
	path = routeParam.ReplaceAllStringFunc(pattern, func(p string) string {
		switch {
		case p == ":account_id" || p == ":organization_id":
			return f.account
		case p == ":key" && missing:
			return "no.such.permission"
		case p == ":key":
			return f.permission
		case p == ":id_or_slug" && missing:
			return db.NewID("role")
		case p == ":id_or_slug":
			return f.role
		}
		resource := strings.Split(pattern, "/")[2]
		if strings.Contains(pattern, "/:account_id/") || strings.Contains(pattern, "/:organization_id/") {
			resource = "account-memberships"
		}
		ids := map[string][2]string{
			"accounts":              {f.account, "acct"},
			"organizations":         {f.account, "acct"},
			"account-memberships":   {f.membership, "am"},
			"workspace-memberships": {f.staff, "wm"},
			"events":                {f.event, "evt"},
			"webhook-endpoints":     {f.endpoint, "we"},
			"webhook-deliveries":    {f.delivery, "whd"},
			"account-domains":       {f.domain, "ad"},
		}[resource]
		if missing {
			return db.NewID(ids[1])
		}
		return ids[0]
	})
	if pattern == "/v1/account-memberships" {
		path += "?account_id=" + f.account
	}
	switch {
	case method == "GET" || method == "DELETE" || strings.HasSuffix(pattern, "/resend-invitation") || statusChange(pattern):
		body = ""
	case ownerRule && method == "POST":
		body = `{"email":"new-owner@example.com","role":"owner"}`
	case ownerRule:
		body = `{"role":"support"}`
	case method == "PATCH" && strings.Contains(pattern, "member"):
		// Every field of a membership PATCH is optional: two spellings of
		// the role are what makes it invalid.
		body = `{"role":"member","role_slug":"member"}`
	case (method == "PATCH" || method == "POST") && (pattern == "/v1/accounts/:id" || pattern == "/v1/organizations/:id"):
		// Every field of an account PATCH is optional: a blank name is
		// what makes it invalid.
		body = `{"name":" "}`
	case method == "PATCH" && strings.HasPrefix(pattern, "/v1/roles/"):
		body = `{"name":" "}`
	case method == "PATCH" && strings.HasPrefix(pattern, "/v1/webhook-endpoints/"):
		body = `{"status":"paused"}`
	case method == "PATCH" && strings.HasPrefix(pattern, "/v1/account-domains/"):
		body = `{"enrollment":"always"}`
	case strings.HasSuffix(pattern, "/verify"):
		body = `{"method":"pigeon"}`
	case strings.HasSuffix(pattern, "/rotate-secret"):
		body = `{"expires_in":-1}`
	case strings.HasSuffix(pattern, "/test") || strings.HasSuffix(pattern, "/retry"):
		body = `{"now":true}`
	default:
		body = `{}`
	}
	return method, path, body
}

// TestAuthorizationMatrix sends every /v1 route each credential of the
// matrix in testdata/authz.txt and compares the statuses with the table.
func TestAuthorizationMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		rows := readMatrix(t)
		routes := e.v1Routes()
		inTable := map[string]bool{}
		for _, row := range rows {
			inTable[row.route] = true
			if !routes[row.route] {
				t.Errorf("%s has a row in %s but is no route", row.route, authzTable)
			}
		}
		for route := range routes {
			if !inTable[route] {
				t.Errorf("%s has no row in %s", route, authzTable)
			}
		}
		f := newMatrixFixture(t, e)
		var diff []string
		for _, row := range rows {
			method, path, body := f.request(row.route)
			got := make([]string, len(f.tokens))
			differs := false
			for i, token := range f.tokens {
				r := e.Call(t, method, path, token, body)
				checkCell(t, row.route, credentialColumns[i], r)
				got[i] = strconv.Itoa(r.Status)
				if r.Status != row.statuses[i] {
					got[i] += "*"
					differs = true
				}
			}
			if differs {
				diff = append(diff, fmt.Sprintf("%-58s %s", row.route, strings.Join(got, " ")))
			}
		}
		if len(diff) > 0 {
			t.Errorf("statuses differ from %s (* marks a difference; columns %s):\n%s",
				authzTable, strings.Join(credentialColumns, " "), strings.Join(diff, "\n"))
		}
	})
}

// checkCell checks what every answer of a status must carry, whatever the
// route.
func checkCell(t *testing.T, route, column string, r response) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Errorf("%s as %s: "+format+": %s", append([]any{route, column}, append(args, r.Raw)...)...)
	}
	if r.Status >= 400 && (r.Body.Error == nil || r.Body.Error.Code != r.Status) {
		fail("%d without its error envelope", r.Status)
		return
	}
	switch r.Status {
	case 401:
		if r.ErrType() != "unauthorized" || r.Header.Get("WWW-Authenticate") == "" {
			fail("401 must be unauthorized with WWW-Authenticate")
		}
	case 403:
		if r.ErrType() != "forbidden" {
			fail("403 must be forbidden")
		}
		if (column == "scop" || column == "mbrw") && r.Body.Error.Details["required_scope"] == nil {
			fail("a scoped key's 403 must name the required scope")
		}
		reason := r.Body.Error.Details["reason"]
		// A domain join's token must say email_verified (the members' here say nothing).
		unverified := reason == "email_unverified" && strings.Contains(route, "/v1/me/domain-joins")
		if member := strings.HasPrefix(column, "m") && column != "mbrw"; member && reason != "staff_only" && !unverified &&
			r.Body.Error.Details["required_permission"] == nil {
			fail("a member's 403 must name the reason or the permission")
		}
		if (column == "sk_l" || column == "sk_o" || column == "admn") && strings.HasPrefix(route, "PATCH /v1/workspace-memberships") &&
			r.Body.Error.Details["reason"] != "owner_only" {
			fail("changing an owner's membership must be refused as owner_only")
		}
	case 404:
		if !strings.HasSuffix(r.ErrType(), "not_found") || r.ErrType() == "not_found" {
			fail("404 must name what was not found")
		}
	case 400:
		if r.ErrType() != "validation_error" || len(r.Body.Error.Details) == 0 {
			fail("400 must be a validation_error naming fields")
		}
	}
}

// TestPathsAreCaseSensitive sends every /v1 route of the matrix with its
// letters' case changed, with each credential: none reaches an API handler
// (routing is case-sensitive, like the rule that tells the API from the
// console's pages), so each answers as a console page would: 404 for a
// GET, the CSRF refusal for a form sent without the console's token.
func TestPathsAreCaseSensitive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMatrixFixture(t, e)
		for _, row := range readMatrix(t) {
			method, path, body := f.request(row.route)
			base, query, _ := strings.Cut(path, "?")
			for _, variant := range []string{"/V1" + base[3:], strings.ToUpper(base)} {
				if query != "" {
					variant += "?" + query
				}
				for i, token := range f.tokens {
					r := e.Call(t, method, variant, token, body)
					status, page := 404, "Page not found"
					if method != "GET" {
						status, page = 403, "This form has expired"
					}
					if r.Status != status || !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Raw, page) {
						t.Errorf("%s %s as %s: %d %s, want the console's %q page", method, variant, credentialColumns[i], r.Status, r.Header.Get("Content-Type"), page)
					}
				}
			}
		}
	})
}

// webhookPageMatrix is the authorization matrix of the webhooks pages:
// the status each route answers to a visitor who is not signed in, and to
// support, admin and owner staff. Paths name the live endpoint and
// delivery of the fixture, except those of writes, which name an
// endpoint and delivery that exist nowhere (a caller allowed finds
// nothing: 404), and POST /webhooks, whose form is empty (422). Nothing a
// request does changes anything.
var webhookPageMatrix = []struct {
	route string
	want  [4]int // none, supp, admn, ownr
}{
	{"GET /webhooks", [4]int{303, 200, 200, 200}},
	{"POST /webhooks", [4]int{303, 403, 422, 422}},
	{"GET /webhooks/:id", [4]int{303, 200, 200, 200}},
	{"POST /webhooks/:id/rotate", [4]int{303, 403, 404, 404}},
	{"GET /webhooks/:id/rotate", [4]int{303, 303, 303, 303}},
	{"POST /webhooks/:id/status", [4]int{303, 403, 404, 404}},
	{"GET /webhooks/:id/status", [4]int{303, 303, 303, 303}},
	{"POST /webhooks/:id/test", [4]int{303, 403, 404, 404}},
	{"GET /webhooks/:id/test", [4]int{303, 303, 303, 303}},
	{"POST /webhooks/:id/deliveries/:did/retry", [4]int{303, 403, 404, 404}},
	{"GET /webhooks/:id/deliveries/:did/retry", [4]int{303, 303, 303, 303}},
	{"GET /webhooks/:id/delete", [4]int{303, 403, 200, 200}},
	{"POST /webhooks/:id/delete", [4]int{303, 403, 404, 404}},
}

// TestWebhookPagesAuthorization sends every cell of webhookPageMatrix
// and fails on any difference, and on a webhooks page route without a row.
func TestWebhookPagesAuthorization(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		staffWithPassword(t, d, e.ws, "help@acme.example", db.RoleSupport, "support password")
		staffWithPassword(t, d, e.ws, "admin@acme.example", db.RoleAdmin, "admin password")
		ep, dl := endpointWithDelivery(t, d, e.ws, "https://127.0.0.1:9/pages")
		none, supp, admn := e.browser(), e.browser(), e.browser()
		none.Get("/login")
		supp.SignIn("help@acme.example", "support password")
		admn.SignIn("admin@acme.example", "admin password")
		browsers := []*browser{none, supp, admn, e.ownerBrowser()}

		rows := map[string]bool{}
		for _, row := range webhookPageMatrix {
			rows[row.route] = true
			method, pattern, _ := strings.Cut(row.route, " ")
			id, did := ep.ID, dl.ID
			if method == "POST" {
				id, did = "we_01HQZC8G2T9YX5J8VQBW3KPQR7", "whd_01HQZC8G2T9YX5J8VQBW3KPQR7ZZZZZZ"
			}
			path := strings.NewReplacer(":id", id, ":did", did).Replace(pattern)
			for i, b := range browsers {
				if got := b.Request(method, path, nil).Status; got != row.want[i] {
					t.Errorf("%s %s as %s: %d, want %d", method, path, []string{"none", "supp", "admn", "ownr"}[i], got, row.want[i])
				}
			}
		}
		for _, rt := range e.srv.App.GetRoutes(true) {
			route := rt.Method + " " + rt.Path
			if rt.Method != "HEAD" && strings.HasPrefix(rt.Path, "/webhooks") && !rows[route] {
				t.Errorf("%s has no row in webhookPageMatrix", route)
			}
		}
		after, err := d.WebhookEndpoint(ctx, e.ws.Live(), ep.ID)
		if err != nil || after.Version != ep.Version {
			t.Fatalf("the matrix changed the endpoint: %+v, %v", after, err)
		}
	})
}

// statusChange reports whether a route deactivates or reactivates a
// membership: the matrix names one that exists nowhere, with no body, as
// for DELETE.
func statusChange(pattern string) bool {
	return strings.HasSuffix(pattern, "/deactivate") || strings.HasSuffix(pattern, "/reactivate")
}
