package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// Times of JWTs that must sign the same way on every run, so that a
// failing fuzz input reproduces.
var (
	fixedIssuedAt = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	fixedExpiry   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// rawResponse is an answer read off a raw connection.
type rawResponse struct {
	Status int
	Body   webtest.Envelope
	Raw    string
}

// sendRaw writes request, verbatim, to the server at base and reads the
// answer: for requests a Go client would refuse or rewrite, and for
// answers the server gives before it reads the whole request.
func sendRaw(t *testing.T, base, request string) rawResponse {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(res.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	r := rawResponse{Status: res.StatusCode, Raw: b.String()}
	if err := json.Unmarshal([]byte(r.Raw), &r.Body); err != nil {
		t.Fatalf("answer %d is not the envelope: %v: %s", r.Status, err, r.Raw)
	}
	return r
}

// TestHostileText sends text no database can store or compare (NUL, bytes
// that are not UTF-8) in every place a request carries text: each is a 400
// naming where, never a 500, on both databases. PostgreSQL refuses such
// text with an error; SQLite would store it.
func TestHostileText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		m := e.addMember(sk, acct, `{"email":"ann@example.com"}`)
		e.run(t, []apiCase{
			{"NUL in a name", "POST", "/v1/accounts", sk, `{"name":"a\u0000b"}`, 400, "validation_error", "name", ""},
			{"NUL in a rename", "PATCH", "/v1/accounts/" + acct, sk, `{"name":"\u0000"}`, 400, "validation_error", "name", ""},
			{"NUL in an email", "POST", "/v1/account-memberships?account_id=" + acct, sk, `{"email":"b\u0000@example.com"}`, 400, "validation_error", "email", ""},
			{"NUL in a role", "POST", "/v1/account-memberships?account_id=" + acct, sk, `{"email":"c@example.com","role":"\u0000"}`, 400, "validation_error", "role", ""},
			{"NUL in a permission", "PUT", "/v1/account-memberships/" + m.ID, sk, `{"permissions":["billing.read\u0000"]}`, 400, "validation_error", "permissions", ""},
			{"NUL in a role spelling", "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"role_slug":"a\u0000"}`, 400, "validation_error", "role_slug", ""},
			{"NUL in a token", "POST", "/v1/invitations/accept", "", `{"token":"\u0000"}`, 400, "validation_error", "token", ""},
			{"NUL in a role's permissions", "PATCH", "/v1/roles/member", sk, `{"permissions":["\u0000"]}`, 400, "validation_error", "permissions", ""},
			{"NUL in a query parameter", "GET", "/v1/account-memberships?account_id=%00", sk, "", 400, "validation_error", "account_id", ""},
			{"not UTF-8 in a query parameter", "GET", "/v1/accounts?q=%FF", sk, "", 400, "validation_error", "q", ""},
			{"not UTF-8 in a cursor", "GET", "/v1/accounts?starting_after=%C3", sk, "", 400, "validation_error", "starting_after", ""},
			{"NUL in a JWT's email", "GET", "/v1/accounts", signHS256(t, jwt.MapClaims{"email": "owner\x00@acme.example", "exp": fixedExpiry}), "", 401, "unauthorized", "", ""},
			{"NUL in a JWT's workspace", "GET", "/v1/accounts", signHS256(t, jwt.MapClaims{"email": e.ws.OwnerEmail, "workspace_id": "\x00", "exp": fixedExpiry}), "", 401, "unauthorized", "", ""},
		})

		base := e.listen()
		for _, tc := range []struct{ name, request, detail string }{
			{"not UTF-8 in a path id", "GET /v1/accounts/acct_\xff HTTP/1.1\r\nHost: roster.test\r\nAuthorization: Bearer " + sk + "\r\n\r\n", "path"},
			{"not UTF-8 in an Idempotency-Key", "POST /v1/accounts HTTP/1.1\r\nHost: roster.test\r\nAuthorization: Bearer " + sk +
				"\r\nIdempotency-Key: k\xff\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"name\":\"x\"}", "Idempotency-Key"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := sendRaw(t, base, tc.request)
				if r.Status != 400 || r.Body.Error == nil || r.Body.Error.Type != "validation_error" || r.Body.Error.Details[tc.detail] == nil {
					t.Fatalf("got %d, want 400 validation_error naming %s: %s", r.Status, tc.detail, r.Raw)
				}
			})
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM accounts`); err != nil || n != 1 {
			t.Fatalf("%d accounts (%v): a refused request wrote one", n, err)
		}
	})
}

// TestLargeHeaders: a large JWT (identity providers put groups in them)
// fits in the request headers, and headers past the limit are answered
// with the envelope, not a 500.
func TestLargeHeaders(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	base := e.listen()
	claims := staffClaims(e.ws.OwnerEmail)
	claims["groups"] = strings.Repeat("group-name,", 600)
	big := signHS256(t, claims)
	if len(big) < 8<<10 {
		t.Fatalf("the large JWT has only %d bytes", len(big))
	}
	get := func(token string) string {
		return fmt.Sprintf("GET /v1/accounts HTTP/1.1\r\nHost: roster.test\r\nAuthorization: Bearer %s\r\n\r\n", token)
	}
	if r := sendRaw(t, base, get(big)); r.Status != 200 {
		t.Fatalf("a %d-byte JWT: %d %s", len(big), r.Status, r.Raw)
	}
	r := sendRaw(t, base, get(strings.Repeat("A", 64<<10)))
	if r.Status != 431 || r.Body.Error == nil || r.Body.Error.Type != "headers_too_large" || r.Body.Error.Code != 431 {
		t.Fatalf("64 KiB of headers: %d %s", r.Status, r.Raw)
	}
}
