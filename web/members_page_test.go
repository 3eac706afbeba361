package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web"
	"roster/web/webtest"
)

// membersFixture is a signed-in owner and a live account with members
// added through the API.
type membersFixture struct {
	*env
	b    *browser
	sk   string // a live secret key
	acct string
	page string // the account's members page
}

func newMembersFixture(t *testing.T, d *db.DB, adjust ...func(*web.Config)) membersFixture {
	t.Helper()
	e := newEnv(t, d, adjust...)
	f := membersFixture{env: e, b: e.browser(), sk: e.key(true, db.KeySecret)}
	f.acct = e.createAccount(f.sk, "Shop")
	f.page = "/accounts/" + f.acct
	f.b.SignIn(e.ws.OwnerEmail, e.ws.Password)
	return f
}

// invited invites email through the API.
func (f membersFixture) invited(email string) membership {
	return f.addMember(f.sk, f.acct, `{"email":"`+email+`"}`)
}

// path is the path of a row action of membership id.
func (f membersFixture) path(id, action string) string {
	return f.page + "/members/" + id + "/" + action
}

// current reads a membership from the store.
func (f membersFixture) current(t *testing.T, id string) db.Membership {
	t.Helper()
	m, err := f.db.Membership(context.Background(), f.ws.Live(), db.MembershipRef{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// version is the version a row form sends for membership id.
func (f membersFixture) version(t *testing.T, id string) string {
	return strconv.FormatInt(f.current(t, id).Version, 10)
}

func TestMembersPageInvites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		f.b.Get(f.page).Expect(t, 200).Has(t, "Shop", "This account has no members yet", "Invite people by email", "Send invitations")
		f.b.Get("/accounts").Has(t, `href="/accounts/`+f.acct+`"`)

		// Several at once, without scripts: the ones not invited stay in the form.
		f.invited("taken@example.com")
		p := f.b.Post(f.page+"/invite", url.Values{"emails": {"ana@example.com, Taken@example.com\nnot-an-email\n ben@example.com;ANA@example.com"},
			"role": {"admin"}, "permissions": {"org.manage"}}).Expect(t, 422)
		p.Has(t, "ana@example.com</span>: invited", "Taken@example.com</span>: already a member of this account",
			"not-an-email</span>: not a valid email address", "ben@example.com</span>: invited",
			">Taken@example.com\nnot-an-email</textarea>", `value="admin" selected`, `value="org.manage" checked`)
		if strings.Count(p.Body, "ana@example.com</span>: invited") != 1 {
			t.Fatal("an address typed twice was invited twice")
		}
		for _, email := range []string{"ana@example.com", "ben@example.com"} {
			ms, err := d.ListMemberships(context.Background(), f.ws.Live(), f.acct, db.MembershipFilter{Q: email}, db.Page{Limit: 5})
			if err != nil || len(ms) != 1 || ms[0].Role.Slug != "admin" || fmt.Sprint(ms[0].Permissions) != "[org.manage]" || ms[0].Status != db.StatusInvited {
				t.Fatalf("%s: %+v, %v", email, ms, err)
			}
			if _, err := d.InvitationEmail(context.Background(), f.ws.Live(), ms[0].ID); err != nil {
				t.Fatalf("%s got no email: %v", email, err)
			}
		}

		// All invited: 303 and a flash.
		f.b.Post(f.page+"/invite", url.Values{"emails": {"cy@example.com"}, "role": {"member"}}).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "Invited cy@example.com.", "cy@example.com", "Invited</span>")

		// With htmx: the section and the table, not the frame.
		frag := f.b.Post(f.page+"/invite", url.Values{"emails": {"dee@example.com"}, "role": {"member"}}, webtest.HTMX...).Expect(t, 200)
		frag.Has(t, `id="invite-members"`, "dee@example.com</span>: invited", `id="members-results"`).Lacks(t, "<html")
		f.b.Post(f.page+"/invite", url.Values{"emails": {"dee@example.com"}, "role": {"member"}}, webtest.HTMX...).Expect(t, 422).
			Has(t, "already a member of this account", ">dee@example.com</textarea>")

		// Form-wide problems keep every address.
		f.b.Post(f.page+"/invite", url.Values{"emails": {" "}, "role": {"member"}}).Expect(t, 422).Has(t, "Enter at least one email address.")
		f.b.Post(f.page+"/invite", url.Values{"emails": {"eve@example.com"}, "role": {"nope"}}).Expect(t, 422).
			Has(t, "This role no longer exists", ">eve@example.com</textarea>")
		f.b.Post(f.page+"/invite", url.Values{"emails": {"eve@example.com"}, "role": {"member"}, "permissions": {"no.such"}}).Expect(t, 422).
			Has(t, "Not in the permission catalog: no.such.", ">eve@example.com</textarea>")
		many := strings.Repeat("x@example.com,", 51) + strings.Repeat("y", 1)
		f.b.Post(f.page+"/invite", url.Values{"emails": {strings.ReplaceAll(many, "x@", "")}, "role": {"member"}}).Expect(t, 422)
	})
}

func TestMembersPageLinksStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		ann := f.staff("ann@acme.example", db.RoleAdmin)
		bob := f.staff("bob@acme.example", db.RoleSupport)
		f.invited("bob@acme.example")
		p := f.b.Get(f.page).Has(t, "Link workspace members", "ann@acme.example", "bob@acme.example: invited already")
		if !strings.Contains(p.Body, `value="`+f.ws.StaffID+`"`) {
			t.Fatal("the owner, not a member yet, is not offered")
		}
		f.b.Post(f.page+"/link", url.Values{"role": {"member"}}).Expect(t, 422).Has(t, "Choose at least one person to link.")
		f.b.Post(f.page+"/link", url.Values{"staff": {ann, bob}, "role": {"admin"}}).Expect(t, 303, f.page)
		after := f.b.Get(f.page).Has(t, "Linked ann@acme.example, bob@acme.example.")
		if strings.Contains(after.Body, `value="`+ann+`"`) || strings.Contains(after.Body, `value="`+bob+`"`) {
			t.Fatal("active members are still offered for linking")
		}
		ms, _ := d.ListMemberships(context.Background(), f.ws.Live(), f.acct, db.MembershipFilter{Status: db.StatusActive}, db.Page{Limit: 5})
		if len(ms) != 2 || ms[0].Role.Slug != "admin" || ms[1].Role.Slug != "admin" {
			t.Fatalf("active members %+v", ms)
		}
		// Linked meanwhile by someone else: said per person.
		f.b.Post(f.page+"/link", url.Values{"staff": {ann, f.ws.StaffID}, "role": {"member"}}, webtest.HTMX...).Expect(t, 422).
			Has(t, "ann@acme.example</span>: already a member of this account", f.ws.OwnerEmail+"</span>: linked")
	})
}

func TestMembersPageRowActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		m := f.invited("rita@example.com")
		page := f.b.Get(f.page).Expect(t, 200)
		page.Has(t, `id="member-`+m.ID+`"`, "Resend invitation", "Revoke…", `class="invite-link"`)

		// The role: saved, with a flash; with htmx, only the row.
		f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"admin"}, "version": {f.version(t, m.ID)}}).Expect(t, 303, f.page)
		f.b.Get(f.page).Has(t, "rita@example.com now has the role Admin.")
		row := f.b.Post(f.path(m.ID, "role")+"?q=ri", url.Values{"role": {"member"}, "version": {f.version(t, m.ID)}}, webtest.HTMX...).Expect(t, 200)
		row.Has(t, `<tr id="member-`+m.ID+`"`, "now has the role Member.", `value="member" selected`, `/role?q=ri"`).Lacks(t, "<html", "Invite by email")

		// A stale version: the message next to the row, the choice kept.
		stale := f.version(t, m.ID)
		if _, err := d.UpdateMembership(context.Background(), f.ws.Live(), db.MembershipRef{ID: m.ID}, db.MembershipChange{Role: "admin"}); err != nil {
			t.Fatal(err)
		}
		p := f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"member"}, "version": {stale}}).Expect(t, 422)
		p.Has(t, "Someone changed this member since you loaded the page: their role is now Admin.", `value="admin" selected`, "<html")
		if f.current(t, m.ID).Role.Slug != "admin" {
			t.Fatal("a stale edit was saved")
		}
		f.b.Post(f.path(m.ID, "permissions"), url.Values{"permissions": {"org.manage"}, "version": {stale}}, webtest.HTMX...).Expect(t, 422).
			Has(t, "Someone changed this member", `value="org.manage" checked`).Lacks(t, "<html")

		// Permissions: ticked ones become direct; the role's are locked.
		f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"member"}}).Expect(t, 303)
		f.b.Get(f.page).Has(t, `<input type="checkbox" checked disabled aria-describedby="locked-`+m.ID+`"> billing.read`)
		f.b.Post(f.path(m.ID, "permissions"), url.Values{"permissions": {"billing.manage", "org.manage"}, "version": {f.version(t, m.ID)}}).Expect(t, 303)
		f.b.Get(f.page).Has(t, "Saved the direct permissions of rita@example.com: billing.manage, org.manage.")
		if got := f.current(t, m.ID).Permissions; fmt.Sprint(got) != "[billing.manage org.manage]" {
			t.Fatalf("direct permissions %v", got)
		}
		f.b.Post(f.path(m.ID, "permissions"), url.Values{"permissions": {"gone.away"}, "version": {f.version(t, m.ID)}}).Expect(t, 422).
			Has(t, "Not in the permission catalog: gone.away.")

		// A direct permission the role also gives survives a save of the others.
		if _, err := d.UpdateMembership(context.Background(), f.ws.Live(), db.MembershipRef{ID: m.ID}, db.MembershipChange{Add: []string{"members.read"}}); err != nil {
			t.Fatal(err)
		}
		f.b.Post(f.path(m.ID, "permissions"), url.Values{"version": {f.version(t, m.ID)}}).Expect(t, 303)
		if got := f.current(t, m.ID).Permissions; fmt.Sprint(got) != "[members.read]" {
			t.Fatalf("direct permissions after unticking all %v", got)
		}

		// Resend: a new link in the row, the old one dead.
		old := f.b.Get(f.page)
		oldLink := linkOf(t, old.Body, m.ID)
		f.b.Post(f.path(m.ID, "resend"), nil, webtest.HTMX...).Expect(t, 200).Has(t, "Sent a new invitation to rita@example.com").Lacks(t, oldLink)
		newLink := linkOf(t, f.b.Get(f.page).Body, m.ID)
		if newLink == oldLink || !strings.HasPrefix(newLink, "http://roster.test/invitations/") {
			t.Fatalf("link after resend %q (before %q)", newLink, oldLink)
		}

		// Revoke: a confirmation page without scripts, then the invitation.revoked event.
		f.b.Get(f.path(m.ID, "revoke")+"?status=invited").Expect(t, 200).
			Has(t, "Revoke the invitation of rita@example.com?", `action="`+f.path(m.ID, "revoke")+`?status=invited"`)
		f.b.Post(f.path(m.ID, "revoke")+"?status=invited", url.Values{"version": {f.version(t, m.ID)}}).Expect(t, 303, f.page+"?status=invited")
		f.b.Get(f.page).Has(t, "Revoked the invitation of rita@example.com").Lacks(t, `id="member-`+m.ID+`"`)
		if evs := f.history(t, f.sk, m.ID); !strings.Contains(eventTypes(evs), "invitation.revoked,membership.deleted") {
			t.Fatalf("events %s", eventTypes(evs))
		}
		// Gone since: said next to where the row was.
		f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"admin"}}, webtest.HTMX...).Expect(t, 200).Has(t, "someone removed them since you loaded the page")
	})
}

// linkOf is the invitation link the page shows for membership id.
func linkOf(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="link-` + id + `" class="invite-link" rows="3" readonly>([^<]+)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no invitation link for %s", id)
	}
	return m[1]
}

func TestMembersPageLastOwnerAndRemove(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		owner := f.addMember(f.sk, f.acct, link(f.ws.StaffID, "owner"))
		other := f.addMember(f.sk, f.acct, link(f.staff("ann@acme.example", db.RoleAdmin), "member"))

		f.b.Post(f.path(owner.ID, "role"), url.Values{"role": {"admin"}, "version": {f.version(t, owner.ID)}}).Expect(t, 422).
			Has(t, "This is the account&#39;s last active owner: make someone else owner before giving them another role.", `value="owner" selected`).
			Lacks(t, `value="admin" selected`) // the role the member really has, next to the reason
		f.b.Get(f.path(owner.ID, "remove")).Expect(t, 200).Has(t, "Remove "+f.ws.OwnerEmail+" from Shop?", "Remove member", "Cancel")
		f.b.Post(f.path(owner.ID, "remove"), url.Values{"version": {f.version(t, owner.ID)}}, webtest.HTMX...).Expect(t, 422).
			Has(t, "make someone else owner before removing them").Lacks(t, "<html")

		// Remove with htmx: the row says so.
		f.b.Post(f.path(other.ID, "remove"), url.Values{"version": {f.version(t, other.ID)}}, webtest.HTMX...).Expect(t, 200).
			Has(t, `<tr id="member-`+other.ID+`" class="gone">`, "Removed ann@acme.example from the account.")
		f.b.Get(f.path(other.ID, "remove")).Expect(t, 404)
		// Revoking an active member's invitation is refused: remove them instead.
		f.b.Post(f.path(owner.ID, "revoke"), url.Values{"version": {f.version(t, owner.ID)}}).Expect(t, 422).
			Has(t, "This person has accepted the invitation already")
		f.b.Get(f.path(owner.ID, "revoke")).Expect(t, 303, f.page)
		if f.current(t, owner.ID).Status != db.StatusActive {
			t.Fatal("owner touched")
		}
	})
}

func TestMembersPageFiltersAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		ctx := context.Background()
		for i := range 53 {
			role := "member"
			if i%10 == 0 {
				role = "admin"
			}
			if _, _, err := d.CreateMembership(ctx, f.ws.Live(), f.acct, db.NewMembership{Email: fmt.Sprintf("p%02d@example.com", i), Role: role}); err != nil {
				t.Fatal(err)
			}
		}
		f.addMember(f.sk, f.acct, link(f.ws.StaffID, "owner"))
		first := f.b.Get(f.page).Expect(t, 200).Has(t, "p00@example.com", "p49@example.com", "Next page").Lacks(t, "p50@example.com", "First page")
		next := regexp.MustCompile(`href="(/accounts/[^"?]+\?after=am_[0-9A-Z]+)"`).FindStringSubmatch(first.Body)
		if next == nil {
			t.Fatal("no next page link")
		}
		f.b.Get(next[1]).Has(t, "p50@example.com", "p52@example.com", f.ws.OwnerEmail, "First page").Lacks(t, "p49@example.com", "Next page")

		f.b.Get(f.page+"?role=admin").Has(t, "p00@example.com", "p50@example.com").Lacks(t, "p01@example.com")
		f.b.Get(f.page+"?status=active").Has(t, f.ws.OwnerEmail).Lacks(t, "p00@example.com")
		f.b.Get(f.page+"?q=P1").Has(t, "p10@example.com", "p19@example.com").Lacks(t, "p20@example.com", "p01@example.com")
		f.b.Get(f.page+"?q=zzz").Has(t, "No member matches these filters.", "Show all members")
		f.b.Get(f.page+"?status=bogus").Expect(t, 200).Has(t, "p00@example.com")
		frag := f.b.Get(f.page+"?q=p2", webtest.HTMX...).Expect(t, 200)
		frag.Has(t, `id="members-results"`, "p20@example.com").Lacks(t, "<html", "p30@example.com")
		// A form posted with htmx returns to the page it was sent from.
		m := f.current(t, f.firstID(t, "p21@example.com"))
		row := f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"admin"}}, "HX-Request", "true", "HX-Current-URL", "http://roster.test"+f.page+"?q=p2")
		row.Expect(t, 200).Has(t, `/role?q=p2"`)
	})
}

// firstID is the id of the account's first membership whose email starts with q.
func (f membersFixture) firstID(t *testing.T, q string) string {
	t.Helper()
	ms, err := f.db.ListMemberships(context.Background(), f.ws.Live(), f.acct, db.MembershipFilter{Q: q}, db.Page{Limit: 1})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no member %s: %v", q, err)
	}
	return ms[0].ID
}

func TestMembersPageSupportStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		staffWithPassword(t, d, f.ws, "help@acme.example", db.RoleSupport, "support password")
		inv := f.invited("rita@example.com")
		active := f.addMember(f.sk, f.acct, link(f.ws.StaffID, "owner"))
		b := f.browser()
		b.SignIn("help@acme.example", "support password")
		p := b.Get(f.page).Expect(t, 200).Has(t, "Resend invitation", `class="invite-link"`, "rita@example.com")
		p.Lacks(t, "Invite by email", "Link workspace members", `/role"`, "/permissions", "Remove…", "Revoke…", "Edit permissions")

		forged := []struct{ method, path string }{
			{"POST", f.page + "/invite"}, {"POST", f.page + "/link"},
			{"POST", f.path(active.ID, "role")}, {"POST", f.path(active.ID, "permissions")},
			{"GET", f.path(active.ID, "remove")}, {"POST", f.path(active.ID, "remove")},
			{"GET", f.path(inv.ID, "revoke")}, {"POST", f.path(inv.ID, "revoke")},
		}
		form := url.Values{"emails": {"x@example.com"}, "staff": {f.ws.StaffID}, "role": {"member"}, "permissions": {"org.manage"}}
		for _, fg := range forged {
			t.Run(fg.method+" "+fg.path, func(t *testing.T) {
				if fg.method == "GET" {
					b.Get(fg.path).Expect(t, 403).Has(t, "You may not do this")
				} else {
					b.Post(fg.path, form).Expect(t, 403).Has(t, "You may not do this")
				}
			})
		}
		if ms, _ := d.ListMemberships(context.Background(), f.ws.Live(), f.acct, db.MembershipFilter{}, db.Page{Limit: 10}); len(ms) != 2 ||
			ms[0].Status != db.StatusInvited || ms[1].Role.Slug != "owner" || len(ms[1].Permissions) != 0 {
			t.Fatalf("members after forged writes: %+v", ms)
		}
		b.Post(f.path(inv.ID, "resend"), nil).Expect(t, 303, f.page)
		b.Get(f.page).Has(t, "Sent a new invitation to rita@example.com")
	})
}

func TestMembersPageCSRFAndModes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		m := f.invited("rita@example.com")
		f.b.Get(f.page)
		f.b.Post(f.path(m.ID, "role"), url.Values{"_csrf": {""}, "role": {"admin"}}).Expect(t, 403).Has(t, "This form has expired")
		f.b.Post(f.page+"/invite", url.Values{"_csrf": {"forged"}, "emails": {"x@example.com"}}).Expect(t, 403)
		if f.current(t, m.ID).Role.Slug != "member" {
			t.Fatal("a POST without its token changed the role")
		}

		// A test-mode account's members are never shown in live mode.
		tk := f.key(false, db.KeySecret)
		testAcct := f.createAccount(tk, "Sandbox")
		tm := f.addMember(tk, testAcct, `{"email":"sandy@example.com"}`)
		f.b.Get("/accounts/"+testAcct).Expect(t, 404)
		f.b.Post("/accounts/"+testAcct+"/members/"+tm.ID+"/resend", nil).Expect(t, 404)
		f.b.Post(f.path(tm.ID, "role"), url.Values{"role": {"admin"}}).Expect(t, 303) // reported gone, not found in this mode
		f.b.Get(f.page).Has(t, "someone removed them").Lacks(t, "sandy@example.com")
		f.b.Post("/mode", url.Values{"mode": {"test"}}).Expect(t, 303)
		f.b.Get("/accounts/"+testAcct).Expect(t, 200).Has(t, "sandy@example.com", "Test mode")
		f.b.Get(f.page).Expect(t, 404)
	})
}

func TestInvitationPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		f.b.Post(f.page+"/invite", url.Values{"emails": {"nina@example.com"}, "role": {"admin"}}).Expect(t, 303)
		token := strings.TrimPrefix(linkOf(t, f.b.Get(f.page).Body, f.firstID(t, "nina")), "http://roster.test/invitations/")

		visitor := f.browser()
		p := visitor.Get("/invitations/"+token).Expect(t, 200)
		p.Has(t, "Join Shop", f.ws.OwnerEmail+" invited <strong>nina@example.com</strong>", "with the role Admin", "What happens next", "Accept invitation")
		if p.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("Referrer-Policy %q", p.Header.Get("Referrer-Policy"))
		}
		visitor.Post("/invitations/"+token, url.Values{"_csrf": {""}, "name": {"Nina"}}).Expect(t, 403)
		visitor.Post("/invitations/"+token, url.Values{"name": {strings.Repeat("n", 201)}}).Expect(t, 422).Has(t, "Your name must be at most 200 characters.")
		visitor.Post("/invitations/"+token, url.Values{"name": {"  Nina N. "}}).Expect(t, 303, "/invitations/accepted")
		visitor.Get("/invitations/accepted").Expect(t, 200).Has(t, "You have joined Shop", "with the role Admin")
		visitor.Get("/invitations/accepted").Has(t, "Invitation accepted").Lacks(t, "You have joined Shop")

		m := f.current(t, f.firstID(t, "nina"))
		if m.Status != db.StatusActive || m.User.Name != "Nina N." {
			t.Fatalf("after acceptance: %s %q", m.Status, m.User.Name)
		}
		f.b.Get(f.page+"?status=active").Has(t, "Nina N.", "nina@example.com")

		gone := "This invitation is no longer valid"
		visitor.Get("/invitations/"+token).Expect(t, 404).Has(t, gone).Lacks(t, "Go to the accounts")
		visitor.Post("/invitations/"+token, url.Values{"name": {"Again"}}).Expect(t, 404).Has(t, gone)
		visitor.Get("/invitations/nope").Expect(t, 404).Has(t, gone)

		revoked := f.invited("otto@example.com")
		f.b.Post(f.path(revoked.ID, "revoke"), nil).Expect(t, 303)
		visitor.Get("/invitations/"+revoked.token(t)).Expect(t, 404).Has(t, gone)

		expired := f.invited("eddie@example.com")
		if _, err := d.Exec(d.Rebind(`UPDATE invitations SET expires_at = ? WHERE membership_id = ?`), "2001-01-01 00:00:00+00:00", expired.ID); err != nil {
			t.Fatal(err)
		}
		visitor.Get("/invitations/"+expired.token(t)).Expect(t, 404).Has(t, gone)
		f.b.Get(f.page).Has(t, "Invitation expired", "resend it to send a new link")

		// A membership that ended before it was accepted cannot be accepted.
		ended := f.invited("ella@example.com")
		if _, err := d.Exec(d.Rebind(`UPDATE account_memberships SET expires_at = ? WHERE id = ?`), "2001-01-01 00:00:00+00:00", ended.ID); err != nil {
			t.Fatal(err)
		}
		visitor.Get("/invitations/"+ended.token(t)).Expect(t, 404).Has(t, gone)
		visitor.Post("/invitations/"+ended.token(t), url.Values{"name": {"Ella"}}).Expect(t, 404).Has(t, gone)
		if m := f.current(t, ended.ID); m.Status != db.StatusInvited {
			t.Fatalf("an ended membership was accepted: %s", m.Status)
		}
	})
}

func TestInvitationTokenNeverLogged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var logs webtest.SyncBuffer
		f := newMembersFixture(t, d, func(c *web.Config) { c.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(&logs), nil)) })
		m := f.invited("lou@example.com")
		token := m.token(t)
		visitor := f.browser()
		visitor.Get("/invitations/"+token).Expect(t, 200)
		visitor.Get("/INVITATIONS/"+token).Expect(t, 404) // paths are case-sensitive; still never logged
		visitor.Get("//invitations/"+token+"/x").Expect(t, 404)
		visitor.Post("/invitations/"+token, url.Values{"name": {"Lou"}}).Expect(t, 303)
		visitor.Get("/invitations/accepted").Expect(t, 200)
		visitor.Get("/invitations/"+token).Expect(t, 404)
		if _, err := d.Exec(`DROP TABLE invitation_token_lookup`); err != nil { // the first table a token is looked up in
			t.Fatal(err)
		}
		visitor.Get("/invitations/"+token).Expect(t, 500)

		out := logs.String()
		if strings.Contains(out, token) || strings.Contains(out, token[:12]) {
			t.Fatalf("a log line holds the token:\n%s", out)
		}
		if strings.Count(out, "path=/invitations/[token]") < 4 || !strings.Contains(out, "path=/invitations/accepted") ||
			!strings.Contains(out, `msg="request failed"`) {
			t.Fatalf("the invitation requests are not logged as expected:\n%s", out)
		}
	})
}
