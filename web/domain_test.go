package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"roster/db"
	"roster/db/dbtest"
	"roster/dnstxt/dnstest"
	"roster/web"
	"roster/web/webtest"
)

// domainObject is what a test reads of an account_domain.
type domainObject struct {
	ID           string
	AccountID    string `json:"account_id"`
	Domain       string
	State        string
	Enrollment   string
	Role         struct{ ID, Slug string }
	Verification struct{ Type, Name, Value string }
	VerifiedAt   *time.Time `json:"verified_at"`
}

// domainEnv is an env whose server asks a test DNS server on 127.0.0.1.
type domainEnv struct {
	*env
	dns *dnstest.Server
	sk  string
}

// newDomainEnv starts a test DNS server and a server that asks it.
func newDomainEnv(t *testing.T, d *db.DB) domainEnv {
	t.Helper()
	dns, err := dnstest.Start("0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	e := newEnv(t, d, func(c *web.Config) { c.DNSServer = dns.Addr })
	return domainEnv{env: e, dns: dns, sk: e.key(true, "secret")}
}

// addDomain claims a domain for the account as token and returns it.
func (e domainEnv) addDomain(t *testing.T, token, accountID, body string) domainObject {
	t.Helper()
	r := e.Call(t, "POST", "/v1/accounts/"+accountID+"/domains", token, body)
	r.Expect(t, 201, "")
	var d domainObject
	r.Data(t, &d)
	return d
}

// verify asks for a domain's verification as token and returns the answer.
func (e domainEnv) verify(t *testing.T, token, id, body string) (domainObject, response) {
	t.Helper()
	r := e.Call(t, "POST", "/v1/account-domains/"+id+"/verify", token, body)
	var d domainObject
	if r.Status == 200 {
		r.Data(t, &d)
	}
	return d, r
}

// verified claims and verifies a domain for the account through DNS.
func (e domainEnv) verified(t *testing.T, accountID, domain, enrollment, role string) domainObject {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"domain": domain, "enrollment": enrollment, "role": role})
	d := e.addDomain(t, e.sk, accountID, string(body))
	e.dns.Set(d.Verification.Name, d.Verification.Value)
	if v, r := e.verify(t, e.sk, d.ID, ""); v.State != "verified" {
		t.Fatalf("domain %s not verified: %s", domain, r.Raw)
	}
	return d
}

// TestDomainLifecycle: a domain is claimed (normalised, public providers
// and owner refused), fails verification without the record and with a
// wrong token, is verified by the right TXT record, changed and deleted,
// each with its event.
func TestDomainLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		acct := e.createAccount(e.sk, "Dom Co")
		base := "/v1/accounts/" + acct + "/domains"
		e.run(t, []apiCase{
			{name: "public provider", method: "POST", path: base, token: e.sk, body: `{"domain":"Gmail.com"}`, status: 400, typ: "domain.public_provider"},
			{name: "proton", method: "POST", path: base, token: e.sk, body: `{"domain":"proton.me"}`, status: 400, typ: "domain.public_provider"},
			{name: "owner role", method: "POST", path: base, token: e.sk, body: `{"domain":"own.example","role":"owner"}`, status: 400, typ: "validation_error", detail: "role"},
			{name: "unknown role", method: "POST", path: base, token: e.sk, body: `{"domain":"own.example","role":"nope"}`, status: 400, typ: "validation_error", detail: "role"},
			{name: "bad enrollment", method: "POST", path: base, token: e.sk, body: `{"domain":"own.example","enrollment":"always"}`, status: 400, typ: "validation_error", detail: "enrollment"},
			{name: "an address", method: "POST", path: base, token: e.sk, body: `{"domain":"a@own.example"}`, status: 400, typ: "validation_error", detail: "domain"},
			{name: "no dot", method: "POST", path: base, token: e.sk, body: `{"domain":"localhost"}`, status: 400, typ: "validation_error", detail: "domain"},
			{name: "an IP", method: "POST", path: base, token: e.sk, body: `{"domain":"10.0.0.1"}`, status: 400, typ: "validation_error", detail: "domain"},
			{name: "unknown account", method: "POST", path: "/v1/accounts/acct_01HQZC8G2T9YX5J8VQBW3KPQR7/domains", token: e.sk, body: `{"domain":"x.example"}`, status: 404, typ: "account.not_found"},
			{name: "organization alias", method: "GET", path: "/v1/organizations/acct_01HQZC8G2T9YX5J8VQBW3KPQR7/domains", token: e.sk, status: 404, typ: "organization.not_found"},
		})

		idn := e.addDomain(t, e.sk, acct, `{"domain":"Bücher.Example."}`)
		if idn.Domain != "xn--bcher-kva.example" {
			t.Errorf("domain stored as %q, want lower-cased punycode", idn.Domain)
		}
		dom := e.addDomain(t, e.sk, acct, `{"domain":" Dom.EXAMPLE "}`)
		if dom.Domain != "dom.example" || dom.State != "pending" || dom.Enrollment != "suggest" || dom.Role.Slug != "member" {
			t.Fatalf("new domain %+v, want dom.example pending, suggest, the default role", dom)
		}
		if dom.Verification.Type != "dns_txt" || dom.Verification.Name != "_roster-challenge.dom.example" ||
			!strings.HasPrefix(dom.Verification.Value, "roster-verify=") || len(dom.Verification.Value) < 40 {
			t.Fatalf("verification %+v", dom.Verification)
		}
		e.Call(t, "POST", base, e.sk, `{"domain":"dom.example"}`).Expect(t, 400, "validation_error")
		if ids := e.walk(t, base, e.sk, 1); len(ids) != 2 || ids[0] != idn.ID || ids[1] != dom.ID {
			t.Fatalf("list %v, want %s %s", ids, idn.ID, dom.ID)
		}

		if v, r := e.verify(t, e.sk, dom.ID, ""); v.State != "failed" {
			t.Fatalf("verified without a record: %s", r.Raw)
		}
		e.dns.Set(dom.Verification.Name, "roster-verify=not-the-token", "v=spf1 -all")
		if v, r := e.verify(t, e.sk, dom.ID, `{"method":"dns_txt"}`); v.State != "failed" {
			t.Fatalf("verified with a wrong token: %s", r.Raw)
		}
		e.dns.Set(dom.Verification.Name, "v=spf1 -all", dom.Verification.Value)
		v, r := e.verify(t, e.sk, dom.ID, "")
		if v.State != "verified" || v.VerifiedAt == nil {
			t.Fatalf("not verified with the record: %s", r.Raw)
		}
		e.dns.Set(dom.Verification.Name)
		if again, _ := e.verify(t, e.sk, dom.ID, ""); again.State != "verified" {
			t.Fatal("a verified domain lost its state on a second check")
		}
		e.Call(t, "POST", "/v1/account-domains/"+dom.ID+"/verify", e.sk, `{"method":"carrier pigeon"}`).Expect(t, 400, "validation_error")

		r = e.Call(t, "PATCH", "/v1/account-domains/"+dom.ID, e.sk, `{"enrollment":"auto_join","role":"admin"}`)
		r.Expect(t, 200, "")
		var patched domainObject
		r.Data(t, &patched)
		if patched.Enrollment != "auto_join" || patched.Role.Slug != "admin" {
			t.Fatalf("patched %+v", patched)
		}
		e.Call(t, "PATCH", "/v1/account-domains/"+dom.ID, e.sk, `{"role":"owner"}`).Expect(t, 400, "validation_error")
		e.Call(t, "GET", "/v1/account-domains/"+dom.ID, e.key(false, "secret"), "").Expect(t, 404, "account_domain.not_found")
		e.Call(t, "DELETE", "/v1/account-domains/"+dom.ID, e.sk, "").Expect(t, 200, "")
		e.Call(t, "GET", "/v1/account-domains/"+dom.ID, e.sk, "").Expect(t, 404, "account_domain.not_found")

		want := map[string]int{"domain.created": 2, "domain.updated": 2, "domain.verified": 1, "domain.deleted": 1}
		for typ, n := range want {
			var got int
			for _, ev := range e.events(t, e.sk, "type="+typ) {
				if ev.AccountID == nil || *ev.AccountID != acct {
					t.Errorf("%s event without the account", typ)
				}
				got++
			}
			if got != n {
				t.Errorf("%d %s events, want %d", got, typ, n)
			}
		}
	})
}

// TestDomainAlreadyClaimed: a domain verified by one account is refused
// to another of the same workspace and mode, at creation and at
// verification, and of two accounts verifying it at once exactly one
// wins; another mode may claim it.
func TestDomainAlreadyClaimed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		a, b := e.createAccount(e.sk, "A"), e.createAccount(e.sk, "B")
		da := e.addDomain(t, e.sk, a, `{"domain":"shared.example"}`)
		db2 := e.addDomain(t, e.sk, b, `{"domain":"shared.example"}`)
		e.dns.Set(da.Verification.Name, da.Verification.Value, db2.Verification.Value)
		if v, r := e.verify(t, e.sk, da.ID, ""); v.State != "verified" {
			t.Fatal(r.Raw)
		}
		_, r := e.verify(t, e.sk, db2.ID, "")
		r.Expect(t, 409, "domain.already_claimed")
		_, r = e.verify(t, e.sk, db2.ID, `{"method":"manual"}`)
		r.Expect(t, 409, "domain.already_claimed")
		e.Call(t, "POST", "/v1/accounts/"+e.createAccount(e.sk, "C")+"/domains", e.sk, `{"domain":"shared.example"}`).
			Expect(t, 409, "domain.already_claimed")
		test := e.key(false, "secret")
		e.addDomain(t, test, e.createAccount(test, "Test A"), `{"domain":"shared.example"}`)

		for round := range 3 {
			name := fmt.Sprintf("race%d.example", round)
			var ids []string
			for i := range 4 {
				acct := e.createAccount(e.sk, fmt.Sprintf("Racer %d %d", round, i))
				dom := e.addDomain(t, e.sk, acct, `{"domain":"`+name+`"}`)
				ids = append(ids, dom.ID)
			}
			as := e.Race(t, len(ids), func(i int) (string, string, string, string) {
				return "POST", "/v1/account-domains/" + ids[i] + "/verify", e.sk, `{"method":"manual"}`
			})
			if n := webtest.Statuses(as); n[200] != 1 || n[409] != len(ids)-1 {
				t.Fatalf("round %d: statuses %v, want one 200 and the rest 409", round, n)
			}
			for _, a := range as {
				if a.Status == 409 && a.ErrType() != "domain.already_claimed" {
					t.Fatalf("409 of type %s", a.ErrType())
				}
			}
		}
	})
}

// TestDomainAccess: scopes of keys, support staff, and member principals:
// org.manage manages the domains of one's own account, never by hand.
func TestDomainAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		f := newMemberFixture(t, e.env)
		e.sk = f.sk
		base := "/v1/accounts/" + f.account + "/domains"
		dom := e.addDomain(t, f.ownerJWT, f.account, `{"domain":"members.example"}`)
		otherDom := e.addDomain(t, e.sk, f.other, `{"domain":"elsewhere.example"}`)
		reader := e.key(true, "secret", "accounts:read")
		support := signHS256(t, staffClaims(addStaff(t, d, e.ws, "sue@acme.example", "support").User.Email))
		e.run(t, []apiCase{
			{name: "owner member lists", method: "GET", path: base, token: f.ownerJWT, status: 200, says: dom.ID},
			{name: "owner member cannot verify by hand", method: "POST", path: "/v1/account-domains/" + dom.ID + "/verify", token: f.ownerJWT, body: `{"method":"manual"}`, status: 403, typ: "forbidden", says: "staff_only"},
			{name: "admin member lacks org.manage", method: "GET", path: base, token: f.adminJWT, status: 403, typ: "forbidden", detail: "required_permission", says: "org.manage"},
			{name: "admin member cannot add", method: "POST", path: base, token: f.adminJWT, body: `{"domain":"x.example"}`, status: 403, typ: "forbidden", says: "org.manage"},
			{name: "domain of another account hidden", method: "GET", path: "/v1/account-domains/" + otherDom.ID, token: f.ownerJWT, status: 404, typ: "account_domain.not_found"},
			{name: "verify of another account hidden", method: "POST", path: "/v1/account-domains/" + otherDom.ID + "/verify", token: f.ownerJWT, status: 404, typ: "account_domain.not_found"},
			{name: "delete of another account hidden", method: "DELETE", path: "/v1/account-domains/" + otherDom.ID, token: f.ownerJWT, status: 404, typ: "account_domain.not_found"},
			{name: "plain member not in the other account", method: "GET", path: "/v1/accounts/" + f.other + "/domains", token: f.ownerJWT, status: 404, typ: "account.not_found"},
			{name: "read scope reads", method: "GET", path: base, token: reader, status: 200},
			{name: "read scope cannot add", method: "POST", path: base, token: reader, body: `{"domain":"y.example"}`, status: 403, typ: "forbidden", detail: "required_scope"},
			{name: "read scope cannot verify", method: "POST", path: "/v1/account-domains/" + dom.ID + "/verify", token: reader, body: `{"method":"manual"}`, status: 403, typ: "forbidden", detail: "required_scope"},
			{name: "support reads", method: "GET", path: base, token: support, status: 200},
			{name: "support cannot verify", method: "POST", path: "/v1/account-domains/" + dom.ID + "/verify", token: support, body: `{"method":"manual"}`, status: 403, typ: "forbidden"},
			{name: "publishable refused", method: "GET", path: base, token: e.key(true, "publishable"), status: 403, typ: "forbidden"},
			{name: "member cannot give beyond their own", method: "PATCH", path: "/v1/account-domains/" + dom.ID, token: f.ownerJWT, body: `{"role":"owner"}`, status: 400, typ: "validation_error"},
		})
		e.dns.Set(dom.Verification.Name, dom.Verification.Value)
		if v, r := e.verify(t, f.ownerJWT, dom.ID, ""); v.State != "verified" {
			t.Fatalf("owner member's DNS verification: %s", r.Raw)
		}
		staffJWT := signHS256(t, staffClaims(e.ws.OwnerEmail))
		if v, r := e.verify(t, staffJWT, otherDom.ID, `{"method":"manual"}`); v.State != "verified" {
			t.Fatalf("staff owner's manual verification: %s", r.Raw)
		}
		for _, ev := range e.events(t, e.sk, "type=domain.created") {
			if ev.TargetID == dom.ID && (ev.Actor.Type != "member" || ev.Actor.ID != f.owner.ID) {
				t.Errorf("domain.created by a member has actor %+v", ev.Actor)
			}
		}
	})
}

// joinClaims are the claims of a person's token for a domain join.
func joinClaims(email string, verified any, wsID string) jwt.MapClaims {
	c := staffClaims(email)
	if verified != nil {
		c["email_verified"] = verified
	}
	if wsID != "" {
		c["workspace_id"] = wsID
	}
	return c
}

// joinResult is what a test reads of a domain join.
type joinResult struct {
	Account      struct{ ID, Name string }
	Result       string
	Reason       *string
	MembershipID *string `json:"membership_id"`
}

// joins asks for the domain joins of token's person and returns them.
func (e domainEnv) joins(t *testing.T, token string) []joinResult {
	t.Helper()
	r := e.Call(t, "POST", "/v1/me/domain-joins", token, "")
	r.Expect(t, 200, "")
	var js []joinResult
	r.Data(t, &js)
	return js
}

// TestDomainJoins: auto_join makes an active member with the domain's
// role, suggest lists the account until the person joins it, manual does
// nothing; an existing membership is never changed; the token must name
// the workspace and say email_verified true.
func TestDomainJoins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		ws := e.ws.WorkspaceID
		auto, sugg, man := e.createAccount(e.sk, "Auto Co"), e.createAccount(e.sk, "Suggest Co"), e.createAccount(e.sk, "Manual Co")
		e.verified(t, auto, "auto.example", "auto_join", "admin")
		e.verified(t, sugg, "sugg.example", "suggest", "")
		e.verified(t, man, "man.example", "manual", "")
		e.addDomain(t, e.sk, man, `{"domain":"pending.example","enrollment":"auto_join"}`)

		alice := signHS256(t, joinClaims("Alice@AUTO.example", true, ws))
		js := e.joins(t, alice)
		if len(js) != 1 || js[0].Account.ID != auto || js[0].Account.Name != "Auto Co" || js[0].Result != "joined" ||
			js[0].Reason != nil || js[0].MembershipID == nil {
			t.Fatalf("alice's joins %+v", js)
		}
		r := e.Call(t, "GET", "/v1/account-memberships/"+*js[0].MembershipID, e.sk, "")
		r.Expect(t, 200, "")
		m := memberOf(t, r)
		if m.Status != "active" || m.Role.Slug != "admin" || m.User.Email != "Alice@AUTO.example" {
			t.Fatalf("joined membership %+v", m)
		}
		var created *event
		for _, ev := range e.events(t, e.sk, "type=membership.created") {
			if ev.TargetID == m.ID {
				created = &ev
			}
		}
		if created == nil || created.Actor.Type != "system" {
			t.Fatalf("membership.created of the join: %+v", created)
		}
		if raw := e.Call(t, "GET", "/v1/events/"+created.ID, e.sk, "").Raw; !strings.Contains(raw, `"actor":{"type":"system","id":"roster","via":"domain"}`) {
			t.Fatalf("membership.created of the join: %s", raw)
		}
		if again := e.joins(t, signHS256(t, joinClaims("alice@auto.example", true, ""))); len(again) != 1 ||
			again[0].Result != "already_member" || *again[0].MembershipID != m.ID {
			t.Fatalf("alice again (known to one workspace, no workspace_id claim): %+v", again)
		}

		bob := signHS256(t, joinClaims("bob@sugg.example", true, ws))
		if js := e.joins(t, bob); len(js) != 1 || js[0].Result != "suggested" || js[0].MembershipID != nil || js[0].Account.ID != sugg {
			t.Fatalf("bob's joins %+v", js)
		}
		r = e.Call(t, "POST", "/v1/me/domain-joins/"+sugg, bob, "")
		r.Expect(t, 200, "")
		var joined joinResult
		r.Data(t, &joined)
		if joined.Result != "joined" || joined.MembershipID == nil {
			t.Fatalf("bob joins: %s", r.Raw)
		}
		if m := memberOf(t, e.Call(t, "GET", "/v1/account-memberships/"+*joined.MembershipID, e.sk, "")); m.Role.Slug != "member" {
			t.Fatalf("bob's role %s, want the default", m.Role.Slug)
		}
		if js := e.joins(t, bob); js[0].Result != "already_member" {
			t.Fatalf("bob again %+v", js)
		}
		e.Call(t, "POST", "/v1/me/domain-joins/"+auto, bob, "").Expect(t, 404, "account.not_found")

		carol := signHS256(t, joinClaims("carol@man.example", true, ws))
		if js := e.joins(t, carol); len(js) != 0 {
			t.Fatalf("manual domain joined: %+v", js)
		}
		e.Call(t, "POST", "/v1/me/domain-joins/"+man, carol, "").Expect(t, 404, "account.not_found")
		if js := e.joins(t, signHS256(t, joinClaims("pat@pending.example", true, ws))); len(js) != 0 {
			t.Fatalf("pending domain joined: %+v", js)
		}

		owner := e.activeMember(t, e.sk, auto, "dave@auto.example", "owner", "")
		if js := e.joins(t, signHS256(t, joinClaims("dave@auto.example", true, ""))); len(js) != 1 || js[0].Result != "already_member" {
			t.Fatalf("dave %+v", js)
		}
		if m := memberOf(t, e.Call(t, "GET", "/v1/account-memberships/"+owner.ID, e.sk, "")); m.Role.Slug != "owner" || m.Status != "active" {
			t.Fatalf("an owner's membership changed by a join: %+v", m)
		}
		invited := e.addMember(e.sk, auto, `{"email":"ivan@auto.example","role":"member","send_email":false}`)
		if js := e.joins(t, signHS256(t, joinClaims("ivan@auto.example", true, ""))); js[0].Result != "already_member" {
			t.Fatalf("ivan %+v", js)
		}
		if m := memberOf(t, e.Call(t, "GET", "/v1/account-memberships/"+invited.ID, e.sk, "")); m.Status != "invited" {
			t.Fatalf("an invitation changed by a join: %+v", m)
		}

		e.run(t, []apiCase{
			{name: "no email_verified claim", method: "POST", path: "/v1/me/domain-joins", token: signHS256(t, joinClaims("eve@auto.example", nil, ws)), status: 403, typ: "forbidden", detail: "reason", says: "email_unverified"},
			{name: "email_verified false", method: "POST", path: "/v1/me/domain-joins", token: signHS256(t, joinClaims("eve@auto.example", false, ws)), status: 401, typ: "unauthorized"},
			{name: "a new person without workspace_id", method: "POST", path: "/v1/me/domain-joins", token: signHS256(t, joinClaims("eve@auto.example", true, "")), status: 401, typ: "unauthorized"},
			{name: "an unknown workspace", method: "POST", path: "/v1/me/domain-joins", token: signHS256(t, joinClaims("eve@auto.example", true, "ws_01HQZC8G2T9YX5J8VQBW3KPQR7")), status: 401, typ: "unauthorized"},
			{name: "an API key", method: "POST", path: "/v1/me/domain-joins", token: e.sk, status: 403, typ: "forbidden"},
			{name: "no credential", method: "POST", path: "/v1/me/domain-joins", status: 401, typ: "unauthorized"},
			{name: "test mode has no domains", method: "POST", path: "/v1/me/domain-joins/" + auto, token: signHS256(t, func() jwt.MapClaims {
				c := joinClaims("tess@auto.example", true, ws)
				c["mode"] = "test"
				return c
			}()), status: 404, typ: "account.not_found"},
		})
		if u, err := d.MemberByEmail(t.Context(), ws, "eve@auto.example", true); err == nil {
			t.Fatalf("a refused token made a member: %+v", u)
		}
	})
}

// TestOpenAPIDeclaresDomainAnswers: every status and header the domain
// routes answer with is declared for its operation in /v1/openapi.json.
func TestOpenAPIDeclaresDomainAnswers(t *testing.T) {
	e := newDomainEnv(t, dbtest.Open(t, db.SQLite))
	doc := loadOpenAPI(t, e.env)
	a, b := e.createAccount(e.sk, "Doc A"), e.createAccount(e.sk, "Doc B")
	da := e.addDomain(t, e.sk, a, `{"domain":"doc.example","enrollment":"auto_join"}`)
	dbb := e.addDomain(t, e.sk, b, `{"domain":"doc.example"}`)
	person := signHS256(t, joinClaims("dee@doc.example", true, e.ws.WorkspaceID))
	for _, req := range []struct{ method, path, token, body string }{
		{"GET", "/v1/accounts/" + a + "/domains", e.sk, ""},
		{"GET", "/v1/organizations/" + a + "/domains", e.sk, ""},
		{"POST", "/v1/accounts/" + a + "/domains", e.sk, `{"domain":"gmail.com"}`},
		{"POST", "/v1/accounts/acct_01HQZC8G2T9YX5J8VQBW3KPQR7/domains", e.sk, `{"domain":"x.example"}`},
		{"POST", "/v1/account-domains/" + da.ID + "/verify", e.sk, ""},
		{"POST", "/v1/account-domains/" + da.ID + "/verify", e.sk, `{"method":"manual"}`},
		{"POST", "/v1/account-domains/" + dbb.ID + "/verify", e.sk, `{"method":"manual"}`},
		{"POST", "/v1/accounts/" + a + "/domains", e.sk, "domain=x"},
		{"GET", "/v1/account-domains/" + da.ID, e.sk, ""},
		{"PATCH", "/v1/account-domains/" + da.ID, e.sk, `{"enrollment":"suggest"}`},
		{"PATCH", "/v1/account-domains/" + da.ID, "", `{"enrollment":"suggest"}`},
		{"POST", "/v1/me/domain-joins", person, ""},
		{"POST", "/v1/me/domain-joins/" + a, person, ""},
		{"POST", "/v1/me/domain-joins/" + b, person, ""},
		{"POST", "/v1/me/domain-joins", signHS256(t, joinClaims("dee@doc.example", nil, "")), ""},
		{"DELETE", "/v1/account-domains/" + dbb.ID, e.sk, ""},
		{"DELETE", "/v1/account-domains/" + dbb.ID, e.sk, ""},
	} {
		var r response
		if strings.HasPrefix(req.body, "domain=") {
			r = e.Call(t, req.method, req.path, req.token, req.body, "Content-Type", "text/plain")
		} else {
			r = e.Call(t, req.method, req.path, req.token, req.body)
		}
		declared, ok := doc.response(req.method, req.path, r.Status)
		if !ok {
			t.Errorf("%s %s answered %d, which the document does not declare", req.method, req.path, r.Status)
			continue
		}
		headers := map[string]bool{}
		for name := range declared["headers"].(map[string]any) {
			headers[http.CanonicalHeaderKey(name)] = true
		}
		for h := range r.Header {
			if !headers[h] && !undeclaredHeaders[h] {
				t.Errorf("%s %s %d sends %s, which the document does not declare", req.method, req.path, r.Status, h)
			}
		}
	}
}

// TestDomainJoinIdempotency: an Idempotency-Key replays a person's own
// join only: another person with the same key and body is another request
// (409 idempotency.conflict), never given the first one's answer.
func TestDomainJoinIdempotency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDomainEnv(t, d)
		acct := e.createAccount(e.sk, "Once Co")
		e.verified(t, acct, "once.example", "auto_join", "")
		ann := signHS256(t, joinClaims("ann@once.example", true, e.ws.WorkspaceID))
		first := e.Call(t, "POST", "/v1/me/domain-joins", ann, "", "Idempotency-Key", "join-1")
		again := e.Call(t, "POST", "/v1/me/domain-joins", ann, "", "Idempotency-Key", "join-1")
		if again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != first.Raw {
			t.Fatalf("the replay %s of %s", again.Raw, first.Raw)
		}
		// Keys are per workspace and mode, as for every credential: the
		// same key from another person is another request, never a replay.
		ben := signHS256(t, joinClaims("ben@once.example", true, e.ws.WorkspaceID))
		e.Call(t, "POST", "/v1/me/domain-joins", ben, "", "Idempotency-Key", "join-1").Expect(t, 409, "idempotency.conflict")
		other := e.Call(t, "POST", "/v1/me/domain-joins", ben, "", "Idempotency-Key", "join-2")
		other.Expect(t, 200, "")
		var js []joinResult
		other.Data(t, &js)
		if len(js) != 1 || js[0].Result != "joined" || js[0].MembershipID == nil || other.Raw == first.Raw {
			t.Fatalf("ben's join %s", other.Raw)
		}
	})
}
