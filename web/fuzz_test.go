package web_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// The fuzz targets send fuzzed input through the real Fiber app, over a
// real database of each dialect, with a valid credential: whatever the
// input, no answer is a 5xx, and every 4xx is the envelope with a known
// error type. Their seeds run in every `go test`; run one for longer with
// `go test -run '^$' -fuzz FuzzAccountBody -fuzztime 60s ./web`.

// knownErrorTypes are the error types the API answers with; an error type
// ending in ".not_found" is known too.
var knownErrorTypes = map[string]bool{
	"validation_error": true, "unauthorized": true, "forbidden": true, "not_found": true,
	"method_not_allowed": true, "precondition_failed": true, "payload_too_large": true,
	"unsupported_media_type": true, "rate_limited": true, "idempotency.conflict": true,
	"membership.already_exists": true, "membership.last_owner": true, "membership.not_invited": true,
	"role.in_use": true, "role.is_default": true, "role.permanent": true, "role.already_exists": true,
	"permission.in_use": true, "permission.already_exists": true,
	"workspace_membership.already_exists": true, "workspace_membership.last_owner": true,
}

// fuzzTarget is one server per dialect over a fresh database, with the
// rows and a live secret key of its workspace that fuzzed requests name.
type fuzzTarget struct {
	dialect                      db.Dialect
	e                            *env
	key, account, membership, wm string
}

// newFuzzTargets builds a fuzzTarget for each dialect under test.
func newFuzzTargets(f *testing.F) []*fuzzTarget {
	f.Helper()
	var out []*fuzzTarget
	for _, dialect := range dbtest.Dialects(f) {
		e := newEnv(f, dbtest.Open(f, dialect))
		ft := &fuzzTarget{dialect: dialect, e: e, key: e.key(true, db.KeySecret)}
		ft.account = e.createAccount(ft.key, "Fuzz Co")
		ft.wm = e.staff("fuzz-staff@acme.example", db.RoleAdmin)
		ft.membership = e.addMember(ft.key, ft.account, link(ft.wm, "admin")).ID
		out = append(out, ft)
	}
	return out
}

// checkAnswer fails unless r is a well-formed answer below 500.
func checkAnswer(t *testing.T, what string, r response, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if r.Status >= 500 {
		t.Fatalf("%s: %d: %s", what, r.Status, r.Raw)
	}
	if r.Body.Success == nil || *r.Body.Success != (r.Status < 400) {
		t.Fatalf("%s: %d with success %v: %s", what, r.Status, r.Body.Success, r.Raw)
	}
	if r.Status < 400 {
		return
	}
	typ := r.ErrType()
	if r.Body.Error.Code != r.Status || r.Body.Message == "" || !(knownErrorTypes[typ] || strings.HasSuffix(typ, ".not_found")) {
		t.Fatalf("%s: %d is not the error envelope of a known type: %s", what, r.Status, r.Raw)
	}
}

// fuzzBody fuzzes the JSON body of one route: path names the request's
// path in a target.
func fuzzBody(f *testing.F, method string, path func(ft *fuzzTarget) string, seeds ...string) {
	for _, s := range append(seeds, "", "null", "[]", `"x"`, "{", "{}{}", `{"unknown":1}`, "\x00", "\xff") {
		f.Add(s)
	}
	targets := newFuzzTargets(f)
	f.Fuzz(func(t *testing.T, body string) {
		var answers []string
		for _, ft := range targets {
			p := path(ft)
			r, err := ft.e.Send(method, p, ft.key, body)
			checkAnswer(t, string(ft.dialect)+" "+method+" "+p, r, err)
			answers = append(answers, fmt.Sprintf("%s: %d %s", ft.dialect, r.Status, r.ErrType()))
		}
		// The rules live in the stores, the same on both databases: the
		// same requests in the same order get the same answers.
		if len(slices.Compact(statusesOf(answers))) > 1 {
			t.Fatalf("the databases disagree on %q: %v", body, answers)
		}
	})
}

// statusesOf strips the dialect from answers ("sqlite: 400 x" → "400 x").
func statusesOf(answers []string) []string {
	out := make([]string, len(answers))
	for i, a := range answers {
		_, out[i], _ = strings.Cut(a, ": ")
	}
	return out
}

func FuzzAccountBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzTarget) string { return "/v1/accounts" },
		`{"name":"Acme"}`, `{"name":"  Acme  "}`, `{"name":""}`, `{"name":42}`, `{"name":null}`,
		`{"name":"`+strings.Repeat("é", 201)+`"}`, `{"name":"a\u0000b"}`, `{"name":"\ud800"}`, `{"name":"x","name":"y"}`)
}

func FuzzAccountRenameBody(f *testing.F) {
	fuzzBody(f, "PATCH", func(ft *fuzzTarget) string { return "/v1/accounts/" + ft.account },
		`{"name":"Renamed"}`, `{"name":" "}`, `{"name":["x"]}`, `{"name":"a\u0000"}`)
}

func FuzzMembershipCreateBody(f *testing.F) {
	fuzzBody(f, "POST", func(ft *fuzzTarget) string { return "/v1/account-memberships?account_id=" + ft.account },
		`{"email":"ann@example.com"}`, `{"email":"Bob@Example.com","name":"Bob","role":"admin","permissions":["billing.read"],"send_email":false}`,
		`{"workspace_membership_id":"wm_01HQZC8G2T9YX5J8VQBW3KPQR7"}`, `{"email":"a@example.com","workspace_membership_id":"wm_x"}`,
		`{"email":"not an email"}`, `{"email":"c@example.com","role":"owner","role_slug":"owner"}`, `{"email":"d@example.com","permissions":["nope"]}`,
		`{"email":"e@example.com","permissions":[1]}`, `{"email":"f@example.com","send_email":"yes"}`, `{"email":"g@example.com","roleSlug":"member"}`,
		`{"email":"h\u0000@example.com"}`, `{"email":"i@example.com","permissions":["billing.read\u0000"]}`, `{"email":"j@example.com","role":"\u0000"}`)
}

func FuzzMembershipReplaceBody(f *testing.F) {
	fuzzBody(f, "PUT", func(ft *fuzzTarget) string { return "/v1/account-memberships/" + ft.membership },
		`{"permissions":[]}`, `{"permissions":["billing.read"],"role":"admin"}`, `{"role":"member"}`, `{"permissions":null}`,
		`{"permissions":["nope"]}`, `{"permissions":"billing.read"}`, `{"permissions":[" billing.read "],"role_id":"role_x"}`)
}

func FuzzMembershipPatchBody(f *testing.F) {
	fuzzBody(f, "PATCH", func(ft *fuzzTarget) string { return "/v1/account-memberships/" + ft.membership },
		`{"add_permissions":["org.manage"]}`, `{"remove_permissions":["org.manage"]}`, `{"role_slug":"member"}`,
		`{"add_permissions":["x"],"remove_permissions":["x"]}`, `{"role":"a","roleSlug":"b"}`, `{"add_permissions":[null]}`,
		`{"add_permissions":["billing.read","billing.read"]}`)
}

func FuzzAcceptBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzTarget) string { return "/v1/invitations/accept" },
		`{"token":"nope"}`, `{"token":"nope","name":"Ann"}`, `{"name":"Ann"}`, `{"token":""}`, `{"token":7}`, `{"token":"\u0000"}`)
}

func FuzzRoleCreateBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzTarget) string { return "/v1/roles" },
		`{"slug":"viewer","name":"Viewer","permissions":["members.read"]}`, `{"slug":"Bad Slug","name":"x"}`,
		`{"slug":"editor","name":"Editor","description":"d","permissions":[],"is_default":true}`,
		`{"slug":"x","name":"x","permissions":["nope"]}`, `{"slug":"y","name":"y","is_default":"true"}`, `{"slug":"z\u0000","name":"z"}`)
}

func FuzzRolePatchBody(f *testing.F) {
	fuzzBody(f, "PATCH", func(*fuzzTarget) string { return "/v1/roles/member" },
		`{"name":"Member"}`, `{"description":"Sees things"}`, `{"permissions":["members.read","billing.read"]}`,
		`{"is_default":true}`, `{"is_default":false}`, `{"permissions":["nope"]}`, `{"name":""}`, `{"permissions":null}`)
}

func FuzzPermissionBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzTarget) string { return "/v1/permissions" },
		`{"key":"reports.read","description":"Read reports"}`, `{"key":"Reports"}`, `{"key":""}`, `{"key":"a:b-c_d.e"}`,
		`{"key":"x","description":7}`, `{"key":"`+strings.Repeat("a", 65)+`"}`)
}

func FuzzStaffCreateBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzTarget) string { return "/v1/workspace-memberships" },
		`{"email":"new@acme.example","name":"New","role":"support"}`, `{"email":"owner2@acme.example","role":"owner"}`,
		`{"email":"x@acme.example","role":"boss"}`, `{"email":"","role":"admin"}`, `{"email":"y@acme.example"}`)
}

func FuzzStaffPatchBody(f *testing.F) {
	fuzzBody(f, "PATCH", func(ft *fuzzTarget) string { return "/v1/workspace-memberships/" + ft.wm },
		`{"role":"support"}`, `{"role":"admin"}`, `{"role":"owner"}`, `{"role":"boss"}`, `{"role":1}`, `{}`)
}

// FuzzBearerToken sends random tokens through the real authentication
// path: no token yields a 5xx or a panic, and one that is no credential is
// 401. And whatever the token's claims hold, a JWT signed for the owner
// authenticates: the classifier never takes a JWT for a key.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"", "garbage", "sk_live_", "sk_test_" + strings.Repeat("a", 40), "pk_live_" + strings.Repeat("Z", 32),
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxsk_abc", "eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImEifQ.", "a.b.c", "..", "\x00",
		"sk_live_" + strings.Repeat("\xff", 40), "Bearer x", "sk_", "pk_", strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	targets := newFuzzTargets(f)
	f.Fuzz(func(t *testing.T, token string) {
		switch kind := web.ClassifyToken(token); kind {
		case "secret", "publishable", "jwt":
		default:
			t.Fatalf("ClassifyToken(%q) = %q", token, kind)
		}
		for _, ft := range targets {
			if validHeaderValue(token) {
				r, err := ft.e.Send("GET", "/v1/accounts", token, "")
				checkAnswer(t, string(ft.dialect)+" token "+strconv.Quote(token), r, err)
				if r.Status != 401 {
					t.Fatalf("token %q: %d, want 401: %s", token, r.Status, r.Raw)
				}
			}
			signed := signHS256(t, jwt.MapClaims{"email": ft.e.ws.OwnerEmail, "jti": token, "iat": fixedIssuedAt, "exp": fixedExpiry})
			r, err := ft.e.Send("GET", "/v1/accounts", signed, "")
			checkAnswer(t, string(ft.dialect)+" JWT with jti "+strconv.Quote(token), r, err)
			if r.Status != 200 {
				t.Fatalf("owner JWT %s (jti %q, classified %s): %d: %s", signed, token, web.ClassifyToken(signed), r.Status, r.Raw)
			}
		}
	})
}

// validHeaderValue reports whether s can be sent as a header value at all
// (RFC 9110 field-value: no controls but tab); other tokens never reach
// the server.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
