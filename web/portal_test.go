package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
)

// portalLink makes a portal link for email in f's account through the
// API, and returns its path (/portal/<token>).
func (e *env) portalLink(t *testing.T, f memberFixture, email string) string {
	t.Helper()
	r := e.Call(t, "POST", "/v1/portal-sessions", f.sk, `{"account_id":"`+f.account+`","email":"`+email+
		`","return_url":"https://app.example/settings","return_label":"Back to Shopapp"}`)
	r.Expect(t, 201, "")
	var ps db.PortalSession
	r.Data(t, &ps)
	u, err := url.Parse(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// inPortal opens a portal link for email in a new browser, failing the
// test unless it signs in, and reads the members page.
func (e *env) inPortal(t *testing.T, f memberFixture, email string) (*browser, page) {
	t.Helper()
	b := e.browser()
	b.Get(e.portalLink(t, f, email)).Expect(t, 303, "/portal")
	return b, b.Get("/portal").Expect(t, 200)
}

// headerToken is the CSRF token a page gives htmx (hx-headers on <body>).
func headerToken(t *testing.T, p page) string {
	t.Helper()
	m := regexp.MustCompile(`X-CSRF-Token&#34;:&#34;([^&]+)&#34;`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("the page gives htmx no CSRF token")
	}
	return m[1]
}

// storedToken is a session token as scs keeps it (HashTokenInStore).
func storedToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// portalCookie is the Set-Cookie of the portal's session in an answer.
func portalCookie(p page) *http.Cookie {
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "roster_portal" {
			return c
		}
	}
	return nil
}

// TestPortalLinkOpensOnce: a link signs its person into a portal session
// of its own (cookie flags, no console session) and goes to /portal, once;
// a used, expired or unknown link says it has expired.
func TestPortalLinkOpensOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *web.Config) { c.Secure = true })
		f := newMemberFixture(t, e)
		link := e.portalLink(t, f, "adam@members.example")

		b := e.browser()
		opened := b.Get(link).Expect(t, 303, "/portal")
		ck := portalCookie(opened)
		if ck == nil || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/portal" || ck.MaxAge != 0 {
			t.Fatalf("portal cookie %+v, want HttpOnly, Secure, SameSite=Lax, path /portal, for the browser's session", ck)
		}
		if got := opened.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy %q on the link, want no-referrer", got)
		}
		var expiry time.Time
		if err := d.Get(&expiry, d.Rebind(`SELECT expiry FROM sessions WHERE token = ?`), storedToken(ck.Value)); err != nil {
			t.Fatalf("the portal session is not in the sessions table: %v", err)
		}
		if idle := time.Until(expiry); idle > 30*time.Minute || idle < 29*time.Minute {
			t.Errorf("the portal session expires in %v, want its 30-minute idle timeout", idle)
		}
		if _, staff := b.Cookies["roster_session"]; staff {
			t.Error("opening a portal link set a console session cookie")
		}
		p := b.Get("/portal").Expect(t, 200).Has(t, "Acme", "Members Co", "adam@members.example",
			`href="https://app.example/settings">Back to Shopapp</a>`, "olga@members.example", "pia@members.example")
		p.Lacks(t, `href="/accounts"`, `href="/team"`, `href="/api-keys"`, "Link team members", "Switch to test mode", "Elsewhere")
		if got := p.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy %q on /portal, want no-referrer", got)
		}

		// Used: another browser is told it has expired, with the way back to
		// the product; the same browser is offered its open session too.
		e.browser().Get(link).Expect(t, 404).Has(t, "This link has expired", `href="https://app.example/settings"`, "Back to Shopapp").
			Lacks(t, "Back to the members page", "Members Co")
		b.Get(link).Expect(t, 404).Has(t, "This link has expired", `href="/portal"`, "Back to Shopapp")
		e.browser().Get("/portal/not-a-token").Expect(t, 404).Has(t, "This link has expired").Lacks(t, "Back to Shopapp")

		expired := e.portalLink(t, f, "adam@members.example")
		if _, err := d.Exec(d.Rebind(`UPDATE portal_sessions SET expires_at = ? WHERE used_at IS NULL`), "2001-01-01 00:00:00"); err != nil {
			t.Fatal(err)
		}
		e.browser().Get(expired).Expect(t, 404).Has(t, "This link has expired", "Back to Shopapp")

		// Separate from the console: the portal's token is no console session,
		// nor the console's a portal one.
		staff := e.browser()
		staff.Cookies["roster_session"] = &http.Cookie{Name: "roster_session", Value: b.Cookies["roster_portal"].Value}
		staff.Get("/accounts").Expect(t, 303, "/login?next=%2Faccounts")
		console := e.browser()
		console.SignIn(e.ws.OwnerEmail, e.ws.Password)
		console.Get("/portal").Expect(t, 401).Has(t, "Your session has ended")
	})
}

// TestPortalOffersAndRefuses: a read-only member sees no write control,
// and the server refuses each one forged; an admin member is offered
// nothing beyond their own rights and is refused an escalation with the
// reason, next to what caused it.
func TestPortalOffersAndRefuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		admin := f.admin.ID

		reader, p := e.inPortal(t, f, "pia@members.example")
		reader.CSRF = headerToken(t, p) // a page without forms: the token htmx would send
		p.Lacks(t, "Invite people", "Save role", "Edit permissions", "Remove…", "Resend invitation", "Invitation link").
			Has(t, "Leave…", "Admin")
		forged := []struct{ path, says string }{
			{"/portal/invite", "needs the permission members.manage"},
			{"/portal/members/" + admin + "/role", "needs the permission members.manage"},
			{"/portal/members/" + admin + "/permissions", "needs the permission members.manage"},
			{"/portal/members/" + admin + "/remove", "needs the permission members.manage"},
			{"/portal/members/" + f.invite.ID + "/revoke", "needs the permission members.manage"},
			{"/portal/members/" + f.invite.ID + "/resend", "needs the permission members.manage"},
		}
		for _, fg := range forged {
			reader.Post(fg.path, url.Values{"emails": {"x@members.example"}, "role": {"member"}, "permissions": {"billing.read"}}).
				Expect(t, 403).Has(t, fg.says)
		}
		if cur, err := d.Membership(t.Context(), e.ws.Live(), db.MembershipRef{ID: admin}); err != nil || cur.Role.Slug != "admin" || len(cur.Permissions) != 0 {
			t.Fatalf("a forged form changed the admin: %+v %v", cur, err)
		}
		reader.Post("/portal/invite", url.Values{"_csrf": {""}, "emails": {"x@members.example"}, "role": {"member"}}).Expect(t, 403).
			Has(t, "This form has expired")

		// The admin: no owner role offered, no org.manage, no control on the
		// owner's row or their own; a change within their rights is made.
		ab, p := e.inPortal(t, f, "adam@members.example")
		p.Has(t, "Invite people").Lacks(t, `value="org.manage"`, `/portal/members/`+f.owner.ID+`/role`, `/portal/members/`+admin+`/role`)
		_, invite, _ := strings.Cut(p.Body, `id="field-invite-role"`)
		invite, _, _ = strings.Cut(invite, "</select>")
		if !strings.Contains(invite, `value="member"`) || strings.Contains(invite, `value="owner"`) {
			t.Errorf("the admin's invite offers the roles %s, want admin and member only", invite)
		}
		ab.Post("/portal/members/"+f.plain.ID+"/role", url.Values{"role": {"admin"}}).Expect(t, 303, "/portal")
		ab.Get("/portal").Has(t, "pia@members.example now has the role Admin.")

		ab.Post("/portal/invite", url.Values{"emails": {"new@members.example"}, "role": {"admin"}, "permissions": {"org.manage"}}).Expect(t, 403).
			Has(t, "You may only give permissions you hold yourself, and you do not hold org.manage.", ">new@members.example</textarea>")
		ab.Post("/portal/invite", url.Values{"emails": {"new@members.example"}, "role": {"owner"}}).Expect(t, 403).
			Has(t, "Only an owner may make someone an owner.")
		ab.Post("/portal/members/"+f.owner.ID+"/role", url.Values{"role": {"member"}}).Expect(t, 403).
			Has(t, "Only an owner may change an owner&#39;s membership.")
		ab.Post("/portal/members/"+admin+"/permissions", url.Values{"permissions": {"billing.read"}}).Expect(t, 403).
			Has(t, "You cannot change your own role or permissions.")
		ab.Post("/portal/members/"+f.plain.ID+"/permissions", url.Values{"permissions": {"org.manage"}}).Expect(t, 403).
			Has(t, "You may only give permissions you hold yourself, and you do not hold org.manage.")
		row := ab.Post("/portal/members/"+f.plain.ID+"/permissions", url.Values{"permissions": {"org.manage"}}, "HX-Request", "true").Expect(t, 422)
		row.Has(t, `id="member-`+f.plain.ID+`"`, "you do not hold org.manage.").Lacks(t, "<html")
		ab.Post("/portal/invite", url.Values{"emails": {"new@members.example"}, "role": {"member"}}).Expect(t, 303, "/portal")
		ab.Get("/portal").Has(t, "Invited new@members.example.")

		// An owner's invitation: neither resent nor shown to the admin.
		owed := e.addMember(f.sk, f.account, `{"email":"next-owner@members.example","role":"owner"}`)
		ab.Get("/portal").Has(t, "next-owner@members.example").
			Lacks(t, "Resend invitation to next-owner@members.example", "Invitation link of next-owner@members.example")
		ab.Post("/portal/members/"+owed.ID+"/resend", nil).Expect(t, 403).Has(t, "Only an owner may change an owner&#39;s membership.")
	})
}

// TestPortalSessionEnds: the session ends on the next request after its
// member is removed or no longer holds members.read; leaving the account
// ends it too, and the last owner may not leave.
func TestPortalSessionEnds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)

		ab, _ := e.inPortal(t, f, "adam@members.example")
		e.Call(t, "DELETE", "/v1/account-memberships/"+f.admin.ID, f.sk, "").Expect(t, 200, "")
		gone := ab.Get("/portal").Expect(t, 401).Has(t, "You are no longer a member of Members Co", "Back to Shopapp").Lacks(t, "olga@members.example")
		if ck := portalCookie(gone); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("the ended session's cookie %+v is not deleted", ck)
		}
		ab.Get("/portal").Expect(t, 401).Has(t, "Your session has ended")

		pb, _ := e.inPortal(t, f, "pia@members.example")
		pb.Get("/portal/activity").Expect(t, 200).Has(t, "olga@members.example", `value="membership.created"`).
			Lacks(t, `value="api_key.created"`, "Elsewhere", `href="/accounts/`)
		e.Call(t, "POST", "/v1/roles", f.sk, `{"slug":"silent","name":"Silent","permissions":["billing.read"]}`).Expect(t, 201, "")
		e.Call(t, "PATCH", "/v1/account-memberships/"+f.plain.ID, f.sk, `{"role":"silent"}`).Expect(t, 200, "")
		pb.Get("/portal/activity").Expect(t, 401).Has(t, "You are no longer a member of Members Co")

		ob, p := e.inPortal(t, f, "olga@members.example")
		p.Has(t, "Leave…")
		ob.Post("/portal/members/"+f.owner.ID+"/remove", nil).Expect(t, 422).Has(t, "last active owner")
		e.Call(t, "PATCH", "/v1/account-memberships/"+f.plain.ID, f.sk, `{"role":"owner"}`).Expect(t, 200, "")
		ob.Get("/portal/members/"+f.owner.ID+"/remove").Expect(t, 200).Has(t, "Leave Members Co?", "Leave account")
		ob.Post("/portal/members/"+f.owner.ID+"/remove", nil).Expect(t, 303, "/portal")
		ob.Get("/portal").Expect(t, 200).Has(t, "You have left Members Co", "Back to Shopapp")
		if _, err := d.Membership(t.Context(), e.ws.Live(), db.MembershipRef{ID: f.owner.ID}); err == nil {
			t.Error("leaving left the membership in place")
		}
		if !strings.Contains(e.Call(t, "GET", "/v1/events?type=membership.deleted", f.sk, "").Raw, `"type":"member"`) {
			t.Error("leaving is not recorded with the member as its actor")
		}
	})
}

// TestRolesPageKeepsSystemPermissions: the roles page offers no delete
// for the permissions Roster itself uses, saying why, and a forged one is
// refused with the reason.
func TestRolesPageKeepsSystemPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.SignIn(e.ws.OwnerEmail, e.ws.Password)
		p := b.Get("/roles").Expect(t, 200)
		for _, key := range db.SystemPermissions {
			p.Has(t, "Roster itself uses "+key+" (what an account&#39;s members may do there): it cannot be deleted.").
				Lacks(t, `href="/permissions/`+key+`/delete"`)
		}
		b.Post("/permissions/members.read/delete", nil).Expect(t, 422).Has(t, "Roster itself relies on this permission")
		if _, err := d.Permission(t.Context(), e.ws.WorkspaceID, "members.read"); err != nil {
			t.Fatalf("a forged delete removed members.read: %v", err)
		}
	})
}

// TestPortalInTestMode: a test-mode link opens the test-mode account, and
// the page says it is test mode; without a return_url there is no link
// back.
func TestPortalInTestMode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct := e.createAccount(sk, "Sandbox")
		e.activeMember(t, sk, acct, "tess@members.example", "admin", "")
		r := e.Call(t, "POST", "/v1/portal-sessions", sk, `{"account_id":"`+acct+`","email":"tess@members.example"}`)
		r.Expect(t, 201, "")
		var ps db.PortalSession
		r.Data(t, &ps)
		b := e.browser()
		b.Get(strings.TrimPrefix(ps.URL, "http://roster.test")).Expect(t, 303, "/portal")
		b.Get("/portal").Expect(t, 200).Has(t, "Test mode: you are looking at test data", "Sandbox", "tess@members.example", "test mode").
			Lacks(t, `class="portal-return"`)
	})
}
