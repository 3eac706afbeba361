package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// signHS256 makes a JWT signed with the test secret.
func signHS256(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testHS256Secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// staffClaims are valid claims for the email.
func staffClaims(email string) jwt.MapClaims {
	return jwt.MapClaims{"email": email, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
}

// addStaff puts a user with the workspace role on the staff.
func addStaff(t testing.TB, d *db.DB, f dbtest.Fixture, email, role string) db.StaffMember {
	t.Helper()
	wm, err := d.CreateStaff(context.Background(), f.WorkspaceID, db.NewStaff{Email: email, Role: role})
	if err != nil {
		t.Fatalf("add staff %s: %v", email, err)
	}
	return wm
}

func TestCredentials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		addStaff(t, d, e.ws, "support@acme.example", db.RoleSupport)
		addStaff(t, d, e.ws, "admin@acme.example", db.RoleAdmin)
		other := dbtest.Workspace(t, d, "Globex")

		skLive, skTest := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		pkLive, pkTest := e.key(true, db.KeyPublishable), e.key(false, db.KeyPublishable)
		scoped := e.key(false, db.KeySecret, "accounts:read")
		otherKey := e.keyIn(other, false, db.KeySecret)

		revoked := e.key(false, db.KeySecret)
		k, err := d.APIKeyBySecret(context.Background(), revoked)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.RevokeAPIKey(context.Background(), e.ws.Test(), k.ID); err != nil {
			t.Fatal(err)
		}
		rolledNow := e.key(false, db.KeySecret)
		rolledLater := e.key(false, db.KeySecret)
		var rolledNew string
		for _, tc := range []struct {
			secret string
			grace  time.Duration
			out    *string
		}{{rolledNow, 0, &rolledNew}, {rolledLater, time.Hour, nil}} {
			k, err := d.APIKeyBySecret(context.Background(), tc.secret)
			if err != nil {
				t.Fatal(err)
			}
			_, secret, err := d.RollAPIKey(context.Background(), e.ws.Test(), k.ID, tc.grace)
			if err != nil {
				t.Fatal(err)
			}
			if tc.out != nil {
				*tc.out = secret
			}
		}

		owner := signHS256(t, staffClaims(e.ws.OwnerEmail))
		ownerTest := signHS256(t, func() jwt.MapClaims { c := staffClaims(e.ws.OwnerEmail); c["mode"] = "test"; return c }())
		support := signHS256(t, staffClaims("SUPPORT@acme.example"))
		admin := signHS256(t, staffClaims("admin@acme.example"))
		expired := signHS256(t, jwt.MapClaims{"email": e.ws.OwnerEmail, "exp": time.Now().Add(-2 * time.Minute).Unix()})
		withinSkew := signHS256(t, jwt.MapClaims{"email": e.ws.OwnerEmail, "exp": time.Now().Add(-30 * time.Second).Unix()})
		noExp := signHS256(t, jwt.MapClaims{"email": e.ws.OwnerEmail})
		notYet := signHS256(t, jwt.MapClaims{"email": e.ws.OwnerEmail, "exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(10 * time.Minute).Unix()})
		stranger := signHS256(t, staffClaims("nobody@acme.example"))
		unverified := signHS256(t, func() jwt.MapClaims { c := staffClaims(e.ws.OwnerEmail); c["email_verified"] = false; return c }())
		verified := signHS256(t, func() jwt.MapClaims { c := staffClaims(e.ws.OwnerEmail); c["email_verified"] = true; return c }())
		wrongWS := signHS256(t, func() jwt.MapClaims {
			c := staffClaims(e.ws.OwnerEmail)
			c["workspace_id"] = other.WorkspaceID
			return c
		}())
		unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, staffClaims(e.ws.OwnerEmail)).SignedString(jwt.UnsafeAllowNoneSignatureType)
		badSig, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, staffClaims(e.ws.OwnerEmail)).SignedString([]byte("another-secret-another-secret-another"))

		live, test := e.createAccount(skLive, "Live Co"), e.createAccount(skTest, "Test Co")

		cases := []struct {
			name, method, path, token, body string
			status                          int
			typ                             string
		}{
			{"no credential", "GET", "/v1/accounts", "", "", 401, "unauthorized"},
			{"garbage", "GET", "/v1/accounts", "garbage", "", 401, "unauthorized"},
			{"malformed secret key", "GET", "/v1/accounts", "sk_test_short", "", 401, "unauthorized"},
			{"unknown secret key", "GET", "/v1/accounts", "sk_test_" + db.RandomToken(40), "", 401, "unauthorized"},
			{"revoked key", "GET", "/v1/accounts", revoked, "", 401, "unauthorized"},
			{"rolled key, no grace", "GET", "/v1/accounts", rolledNow, "", 401, "unauthorized"},
			{"rolled key, in grace", "GET", "/v1/accounts", rolledLater, "", 200, ""},
			{"key that replaced it", "GET", "/v1/accounts", rolledNew, "", 200, ""},
			{"sk_live reads live", "GET", "/v1/accounts/" + live, skLive, "", 200, ""},
			{"sk_live does not see test", "GET", "/v1/accounts/" + test, skLive, "", 404, "account.not_found"},
			{"sk_test reads test", "GET", "/v1/accounts/" + test, skTest, "", 200, ""},
			{"sk_test does not see live", "GET", "/v1/accounts/" + live, skTest, "", 404, "account.not_found"},
			{"other workspace does not see it", "GET", "/v1/accounts/" + test, otherKey, "", 404, "account.not_found"},
			{"other workspace cannot delete it", "DELETE", "/v1/accounts/" + test, otherKey, "", 404, "account.not_found"},
			{"pk_live reads roles", "GET", "/v1/roles", pkLive, "", 200, ""},
			{"pk_test reads permissions", "GET", "/v1/permissions", pkTest, "", 200, ""},
			{"pk_test reads no accounts", "GET", "/v1/accounts", pkTest, "", 403, "forbidden"},
			{"pk_live creates nothing", "POST", "/v1/accounts", pkLive, `{"name":"x"}`, 403, "forbidden"},
			{"scoped key reads accounts", "GET", "/v1/accounts", scoped, "", 200, ""},
			{"scoped key cannot write", "POST", "/v1/accounts", scoped, `{"name":"x"}`, 403, "forbidden"},
			{"scoped key cannot read roles", "GET", "/v1/roles", scoped, "", 403, "forbidden"},
			{"owner JWT writes", "POST", "/v1/accounts", owner, `{"name":"By JWT"}`, 201, ""},
			{"JWT is live by default", "GET", "/v1/accounts/" + live, owner, "", 200, ""},
			{"JWT mode claim selects test", "GET", "/v1/accounts/" + test, ownerTest, "", 200, ""},
			{"JWT in test mode does not see live", "GET", "/v1/accounts/" + live, ownerTest, "", 404, "account.not_found"},
			{"admin JWT writes", "PATCH", "/v1/accounts/" + live, admin, `{"name":"Renamed"}`, 200, ""},
			{"support JWT reads", "GET", "/v1/accounts", support, "", 200, ""},
			{"support JWT cannot write", "POST", "/v1/accounts", support, `{"name":"x"}`, 403, "forbidden"},
			{"expired JWT", "GET", "/v1/accounts", expired, "", 401, "unauthorized"},
			{"JWT expired within the skew", "GET", "/v1/accounts", withinSkew, "", 200, ""},
			{"JWT without exp", "GET", "/v1/accounts", noExp, "", 401, "unauthorized"},
			{"JWT not yet valid", "GET", "/v1/accounts", notYet, "", 401, "unauthorized"},
			{"JWT alg none", "GET", "/v1/accounts", unsigned, "", 401, "unauthorized"},
			{"JWT bad signature", "GET", "/v1/accounts", badSig, "", 401, "unauthorized"},
			{"JWT of a stranger", "GET", "/v1/accounts", stranger, "", 401, "unauthorized"},
			{"JWT whose email is not verified", "GET", "/v1/accounts", unverified, "", 401, "unauthorized"},
			{"JWT whose email is verified", "GET", "/v1/accounts", verified, "", 200, ""},
			{"JWT naming another workspace", "GET", "/v1/accounts", wrongWS, "", 401, "unauthorized"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Call(t, tc.method, tc.path, tc.token, tc.body)
				r.Expect(t, tc.status, tc.typ)
				if tc.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}

		t.Run("scoped key names the missing scope", func(t *testing.T) {
			r := e.Call(t, "POST", "/v1/accounts", scoped, `{"name":"x"}`)
			if got := r.Body.Error.Details["required_scope"]; got != "accounts:write" {
				t.Fatalf("required_scope = %v", got)
			}
		})
		t.Run("demoted staff lose rights on the next request", func(t *testing.T) {
			e.Call(t, "POST", "/v1/accounts", admin, `{"name":"ok"}`).Expect(t, 201, "")
			wm, err := d.StaffByEmail(context.Background(), e.ws.WorkspaceID, "admin@acme.example")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Exec(d.Rebind(`UPDATE workspace_memberships SET role = 'support' WHERE id = ?`), wm.ID); err != nil {
				t.Fatal(err)
			}
			e.Call(t, "POST", "/v1/accounts", admin, `{"name":"no"}`).Expect(t, 403, "forbidden")
		})
	})
}

// createAccount creates an account through the API and returns its id.
func (e *env) createAccount(token, name string) string {
	e.t.Helper()
	r := e.Call(e.t, "POST", "/v1/accounts", token, `{"name":"`+name+`"}`)
	r.Expect(e.t, 201, "")
	var a struct{ ID string }
	r.Data(e.t, &a)
	return a.ID
}

func TestClassifyToken(t *testing.T) {
	for _, tc := range []struct{ token, want string }{
		{"sk_live_abc", "secret"},
		{"sk_test_abc", "secret"},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxsk_abc", "secret"},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxsk_abc", "jwt"},
		{"pk_live_abc", "publishable"},
		{"eyJhbGciOi.pk_.x", "jwt"},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJza19saXZlIn0.zpk_eNM", "jwt"},
		{"sk_live_abc.def", "jwt"},
		{"eyJhbGciOiJIUzI1NiJ9.e30.sig", "jwt"},
	} {
		if got := web.ClassifyToken(tc.token); got != tc.want {
			t.Errorf("ClassifyToken(%q) = %s, want %s", tc.token, got, tc.want)
		}
	}
}

// TestJWKS verifies RS256 and ES256 tokens against a JWKS, with the issuer
// and audience required, and refuses an HS256 token signed with the public
// key's bytes (algorithm confusion).
func TestJWKS(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	jwks := map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "r1", "alg": "RS256", "use": "sig", "n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": "e1", "alg": "ES256", "use": "sig", "crv": "P-256", "x": b64(ecKey.X.FillBytes(make([]byte, 32))), "y": b64(ecKey.Y.FillBytes(make([]byte, 32)))},
	}}
	jwksServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jwks)
	}))
	defer jwksServer.Close()

	d := dbtest.Open(t, db.SQLite)
	e := newEnv(t, d, func(c *web.Config) {
		c.JWT = web.JWTConfig{JWKSURL: jwksServer.URL, Issuer: "https://auth.example", Audience: "roster"}
	})
	claims := func(iss, aud string) jwt.MapClaims {
		c := staffClaims(e.ws.OwnerEmail)
		c["iss"], c["aud"] = iss, aud
		return c
	}
	sign := func(m jwt.SigningMethod, kid string, key any, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := claims("https://auth.example", "roster")
	for _, tc := range []struct {
		name   string
		token  string
		status int
	}{
		{"RS256", sign(jwt.SigningMethodRS256, "r1", rsaKey, good), 200},
		{"ES256", sign(jwt.SigningMethodES256, "e1", ecKey, good), 200},
		{"wrong issuer", sign(jwt.SigningMethodRS256, "r1", rsaKey, claims("https://evil.example", "roster")), 401},
		{"wrong audience", sign(jwt.SigningMethodRS256, "r1", rsaKey, claims("https://auth.example", "other")), 401},
		{"unknown kid", sign(jwt.SigningMethodRS256, "nope", rsaKey, good), 401},
		{"HS256 with a public key", sign(jwt.SigningMethodHS256, "r1", rsaKey.N.Bytes(), good), 401},
		{"shared-secret HS256 not accepted", signHS256(t, good), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Call(t, "GET", "/v1/accounts", tc.token, "")
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
		})
	}
}
