package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// membership is an account membership as the tests read it.
type membership struct {
	Object                string  `json:"object"`
	ID                    string  `json:"id"`
	AccountID             string  `json:"account_id"`
	UserID                string  `json:"user_id"`
	WorkspaceMembershipID *string `json:"workspace_membership_id"`
	Status                string  `json:"status"`
	Role                  struct {
		ID          string   `json:"id"`
		Slug        string   `json:"slug"`
		Name        string   `json:"name"`
		Permissions []string `json:"permissions"`
		IsDefault   bool     `json:"is_default"`
	} `json:"role"`
	Permissions          []string `json:"permissions"`
	EffectivePermissions []string `json:"effective_permissions"`
	Invitation           *struct {
		ExpiresAt string `json:"expires_at"`
		AcceptURL string `json:"accept_url"`
	} `json:"invitation"`
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"user"`
	Livemode  bool   `json:"livemode"`
	CreatedAt string `json:"created_at"`
	Links     struct {
		Self string `json:"self"`
	} `json:"links"`
}

// token is the invitation token of the membership's accept link.
func (m membership) token(t *testing.T) string {
	t.Helper()
	if m.Invitation == nil || !strings.HasPrefix(m.Invitation.AcceptURL, "http://roster.test/invitations/") {
		t.Fatalf("membership %s has no accept link: %+v", m.ID, m.Invitation)
	}
	return strings.TrimPrefix(m.Invitation.AcceptURL, "http://roster.test/invitations/")
}

// memberOf reads the membership of an answer.
func memberOf(t testing.TB, r response) membership {
	t.Helper()
	var m membership
	r.Data(t, &m)
	return m
}

// addMember creates a membership of the account through the API.
func (e *env) addMember(token, accountID, body string) membership {
	e.t.Helper()
	r := e.Call(e.t, "POST", "/v1/account-memberships?account_id="+accountID, token, body)
	r.Expect(e.t, 201, "")
	return memberOf(e.t, r)
}

// staff puts a user with the workspace role on the staff and returns the id
// of their workspace membership.
func (e *env) staff(email, role string) string {
	e.t.Helper()
	addStaff(e.t, e.db, e.ws, email, role)
	return e.staffID(e.t, email)
}

// link is the body that links a workspace member with a role.
func link(wmID, role string) string {
	return `{"workspace_membership_id":"` + wmID + `","role":"` + role + `"}`
}

// history is the membership's events as token sees them, oldest first.
func (e *env) history(t *testing.T, token, membershipID string) []event {
	t.Helper()
	evs := e.events(t, token, "membership_id="+membershipID)
	slices.Reverse(evs)
	return evs
}

// eventTypes lists the types of the events, comma-separated.
func eventTypes(evs []event) string {
	var ts []string
	for _, ev := range evs {
		ts = append(ts, ev.Type)
	}
	return strings.Join(ts, ",")
}

const missingID = "_01HQZC8G2T9YX5J8VQBW3KPQR7"

// TestMembershipErrorRows produces every row of the API's error table that
// the membership endpoints can reach.
func TestMembershipErrorRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct, other := e.createAccount(sk, "Shop"), e.createAccount(sk, "Other shop")
		wm := e.staff("linked@acme.example", db.RoleAdmin)
		owner := e.addMember(sk, acct, link(wm, "owner"))
		invited := e.addMember(sk, acct, `{"email":"invited@example.com"}`)
		elsewhere := e.addMember(sk, other, `{"email":"elsewhere@example.com"}`)
		list := "/v1/account-memberships?account_id=" + acct
		one := "/v1/account-memberships/" + invited.ID
		e.run(t, []apiCase{
			{"no account_id", "POST", "/v1/account-memberships", sk, `{"email":"a@example.com"}`, 400, "validation_error", "account_id", ""},
			{"both email and workspace member", "POST", list, sk, `{"email":"a@example.com","workspace_membership_id":"` + wm + `"}`, 400, "validation_error", "email", "not both"},
			{"neither email nor workspace member", "POST", list, sk, `{"role":"admin"}`, 400, "validation_error", "workspace_membership_id", "either"},
			{"unknown permissions", "POST", list, sk, `{"email":"a@example.com","permissions":["members.read","nope.x","zz.top"]}`, 400, "validation_error", "permissions", "nope.x, zz.top"},
			{"bad email", "POST", list, sk, `{"email":"not-an-email"}`, 400, "validation_error", "email", ""},
			{"email too long", "POST", list, sk, `{"email":"` + strings.Repeat("a", 250) + `@example.com"}`, 400, "validation_error", "email", "254"},
			{"name too long", "POST", list, sk, `{"email":"a@example.com","name":"` + strings.Repeat("n", 201) + `"}`, 400, "validation_error", "name", "200"},
			{"name without email", "POST", list, sk, `{"workspace_membership_id":"` + wm + `","name":"X"}`, 400, "validation_error", "name", ""},
			{"unknown field", "POST", list, sk, `{"email":"a@example.com","colour":"red"}`, 400, "validation_error", "colour", ""},
			{"wrong type", "POST", list, sk, `{"email":"a@example.com","permissions":"members.read"}`, 400, "validation_error", "permissions", ""},
			{"bad status filter", "GET", list + "&status=gone", sk, "", 400, "validation_error", "status", ""},
			{"PUT without permissions", "PUT", one, sk, `{"role":"admin"}`, 400, "validation_error", "permissions", ""},
			{"PUT with unknown permissions", "PUT", one, sk, `{"permissions":["nope"]}`, 400, "validation_error", "permissions", "nope"},
			{"PATCH with two spellings of role", "PATCH", one, sk, `{"role":"admin","roleSlug":"member"}`, 400, "validation_error", "roleSlug", ""},
			{"PATCH with an empty role", "PATCH", one, sk, `{"role":" "}`, 400, "validation_error", "role", "must name a role"},
			{"invite with an empty role", "POST", list, sk, `{"email":"a@example.com","role_slug":""}`, 400, "validation_error", "role_slug", "leave the field out"},
			{"PATCH adding unknown keys", "PATCH", one, sk, `{"add_permissions":["members.read","x.y"]}`, 400, "validation_error", "add_permissions", "x.y"},
			{"PATCH adding and removing one key", "PATCH", one, sk, `{"add_permissions":["org.manage"],"remove_permissions":["org.manage"]}`, 400, "validation_error", "remove_permissions", "org.manage"},
			{"accept without token", "POST", "/v1/invitations/accept", "", `{"name":"x"}`, 400, "validation_error", "token", ""},
			{"unknown account", "POST", "/v1/account-memberships?account_id=acct" + missingID, sk, `{"email":"a@example.com"}`, 404, "account.not_found", "id", ""},
			{"list of unknown account", "GET", "/v1/account-memberships?account_id=acct" + missingID, sk, "", 404, "account.not_found", "id", ""},
			{"nested unknown account", "GET", "/v1/accounts/acct" + missingID + "/memberships/" + invited.ID, sk, "", 404, "account.not_found", "id", ""},
			{"unknown organization", "GET", "/v1/organizations/acct" + missingID + "/memberships", sk, "", 404, "organization.not_found", "id", ""},
			{"unknown organization, members alias", "DELETE", "/v1/organizations/acct" + missingID + "/members/" + invited.ID, sk, "", 404, "organization.not_found", "id", ""},
			{"unknown membership", "GET", "/v1/account-memberships/am" + missingID, sk, "", 404, "membership.not_found", "id", ""},
			{"nested unknown membership", "PATCH", "/v1/accounts/" + acct + "/memberships/am" + missingID, sk, `{"role":"admin"}`, 404, "membership.not_found", "id", ""},
			{"membership of another account", "GET", "/v1/organizations/" + acct + "/members/" + elsewhere.ID, sk, "", 404, "membership.not_found", "id", ""},
			{"unknown workspace member", "POST", list, sk, `{"workspace_membership_id":"wm` + missingID + `"}`, 404, "workspace_membership.not_found", "id", ""},
			{"unknown role", "POST", list, sk, `{"email":"a@example.com","role":"overlord"}`, 400, "validation_error", "role", "not a role of the workspace"},
			{"unknown invitation", "POST", "/v1/invitations/accept", "", `{"token":"` + db.RandomToken(43) + `"}`, 404, "invitation.not_found", "", ""},
			{"second membership by email", "POST", list, sk, `{"email":"INVITED@example.com"}`, 409, "membership.already_exists", "membership_id", invited.ID},
			{"second membership by link", "POST", "/v1/accounts/" + acct + "/memberships", sk, link(wm, "member"), 409, "membership.already_exists", "membership_id", owner.ID},
			{"demoting the last owner", "PATCH", "/v1/account-memberships/" + owner.ID, sk, `{"role":"admin"}`, 409, "membership.last_owner", "id", ""},
			{"removing the last owner", "DELETE", "/v1/account-memberships/" + owner.ID, sk, "", 409, "membership.last_owner", "id", ""},
			{"resending to an active member", "POST", "/v1/account-memberships/" + owner.ID + "/resend-invitation", sk, "", 409, "membership.not_invited", "status", "active"},
		})
		for _, tc := range []struct {
			name, method, path, body string
			headers                  []string
			status                   int
			typ                      string
		}{
			{"Idempotency-Key too long", "POST", list, `{"email":"a@example.com"}`, []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "validation_error"},
			{"stale If-Match", "PATCH", one, `{"role":"admin"}`, []string{"If-Match", `"7"`}, 412, "precondition_failed"},
			{"malformed If-Match", "DELETE", one, "", []string{"If-Match", "yesterday"}, 412, "precondition_failed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.Call(t, tc.method, tc.path, sk, tc.body, tc.headers...).Expect(t, tc.status, tc.typ)
			})
		}
		t.Run("nothing changed", func(t *testing.T) {
			r := e.Call(t, "GET", one, sk, "")
			if m := memberOf(t, r); m.Role.Slug != "member" || len(m.Permissions) != 0 || r.Header.Get("ETag") != `"1"` {
				t.Fatalf("after refused changes: %s %s", r.Header.Get("ETag"), r.Raw)
			}
			r = e.Call(t, "GET", list, sk, "")
			var ms []membership
			r.Data(t, &ms)
			if len(ms) != 2 {
				t.Fatalf("%d memberships after refused creations", len(ms))
			}
		})
	})
}

// TestMembershipObject checks the object's shape through its life:
// permissions sorted and unique, the accept link only where it was made,
// the ETag on every single-membership answer and If-Match honoured.
func TestMembershipObject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		r := e.Call(t, "POST", "/v1/accounts/"+acct+"/memberships", sk,
			`{"email":"  Bob@Example.com ","name":" Bob ","role":"member","permissions":["org.manage","billing.manage","org.manage"]}`)
		r.Expect(t, 201, "")
		m := memberOf(t, r)
		want := map[string]string{
			"object":      "account_membership",
			"account":     acct,
			"status":      "invited",
			"role":        "member Member [billing.read members.read] true",
			"permissions": "[billing.manage org.manage]",
			"effective":   "[billing.manage billing.read members.read org.manage]",
			"user":        "Bob@Example.com Bob",
			"livemode":    "false",
			"self":        "/v1/account-memberships/" + m.ID,
			"wm":          "<nil>",
			"etag":        `"1"`,
		}
		got := map[string]string{
			"object":      m.Object,
			"account":     m.AccountID,
			"status":      m.Status,
			"role":        fmt.Sprint(m.Role.Slug, " ", m.Role.Name, " ", m.Role.Permissions, " ", m.Role.IsDefault),
			"permissions": fmt.Sprint(m.Permissions),
			"effective":   fmt.Sprint(m.EffectivePermissions),
			"user":        m.User.Email + " " + m.User.Name,
			"livemode":    fmt.Sprint(m.Livemode),
			"self":        m.Links.Self,
			"wm":          fmt.Sprint(m.WorkspaceMembershipID),
			"etag":        r.Header.Get("ETag"),
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		if !strings.HasPrefix(m.ID, "am_") || m.User.ID != m.UserID || !strings.HasSuffix(m.CreatedAt, "Z") {
			t.Errorf("ids or times: %s", r.Raw)
		}
		tok := m.token(t)
		if m.Invitation.ExpiresAt == "" || len(tok) < 32 {
			t.Fatalf("invitation %+v", m.Invitation)
		}

		for _, path := range []string{"/v1/account-memberships/" + m.ID, "/v1/organizations/" + acct + "/members/" + m.ID} {
			r = e.Call(t, "GET", path, sk, "")
			r.Expect(t, 200, "")
			if r.Header.Get("ETag") != `"1"` || strings.Contains(r.Raw, "accept_url") || !strings.Contains(r.Raw, `"expires_at"`) {
				t.Fatalf("GET %s: ETag %s, %s", path, r.Header.Get("ETag"), r.Raw)
			}
		}
		r = e.Call(t, "GET", "/v1/account-memberships?account_id="+acct, sk, "")
		if strings.Contains(r.Raw, "accept_url") || strings.Contains(r.Raw, tok) {
			t.Fatalf("list shows the accept link: %s", r.Raw)
		}

		steps := []struct {
			name, method, body, ifMatch string
			status                      int
			etag, permissions, role     string
		}{
			{"PATCH adds and removes", "PATCH", `{"add_permissions":["members.manage","billing.read"],"remove_permissions":["org.manage"]}`, `"1"`, 200, `"2"`, "[billing.manage billing.read members.manage]", "member"},
			{"PATCH that changes nothing", "PATCH", `{"add_permissions":["billing.read"]}`, "", 200, `"2"`, "[billing.manage billing.read members.manage]", "member"},
			{"PATCH with role_slug", "PATCH", `{"role_slug":"admin"}`, `W/"2"`, 200, `"3"`, "[billing.manage billing.read members.manage]", "admin"},
			{"PUT with the old version", "PUT", `{"permissions":[]}`, `"2"`, 412, "", "", ""},
			{"PUT replaces", "PUT", `{"permissions":["org.manage"],"role":"member"}`, `"1", "3"`, 200, `"4"`, "[org.manage]", "member"},
			{"PUT empties", "PUT", `{"permissions":[]}`, "*", 200, `"5"`, "[]", "member"},
		}
		for _, s := range steps {
			r := e.Call(t, s.method, "/v1/account-memberships/"+m.ID, sk, s.body, "If-Match", s.ifMatch)
			if s.status != 200 {
				r.Expect(t, s.status, "precondition_failed")
				continue
			}
			r.Expect(t, 200, "")
			got := memberOf(t, r)
			if r.Header.Get("ETag") != s.etag || fmt.Sprint(got.Permissions) != s.permissions || got.Role.Slug != s.role {
				t.Fatalf("%s: ETag %s, %s", s.name, r.Header.Get("ETag"), r.Raw)
			}
		}
		evs := e.history(t, sk, m.ID)
		if got := eventTypes(evs); got != "membership.created,invitation.sent,membership.updated,membership.updated,membership.updated,membership.updated" {
			t.Fatalf("events %s", got)
		}
		var prev map[string]any
		if err := json.Unmarshal(evs[3].PreviousAttributes, &prev); err != nil || prev["role"] == nil || prev["permissions"] != nil {
			t.Fatalf("role change previous_attributes %s", evs[3].PreviousAttributes)
		}

		e.Call(t, "DELETE", "/v1/account-memberships/"+m.ID, sk, "", "If-Match", `"4"`).Expect(t, 412, "precondition_failed")
		r = e.Call(t, "DELETE", "/v1/account-memberships/"+m.ID, sk, "", "If-Match", `"5"`)
		r.Expect(t, 200, "")
		if len(r.Body.Data) != 0 {
			t.Fatalf("DELETE answered data: %s", r.Raw)
		}
		e.Call(t, "GET", "/v1/account-memberships/"+m.ID, sk, "").Expect(t, 404, "membership.not_found")
		e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+tok+`"}`).Expect(t, 404, "invitation.not_found")
		if got := eventTypes(e.history(t, sk, m.ID)); !strings.HasSuffix(got, "invitation.revoked,membership.deleted") {
			t.Fatalf("events after deleting an invitation: %s", got)
		}
	})
}

// TestLinkActivatesInvitation links the workspace member whose email was
// invited: the invited membership becomes active (200, same id) and its
// invitation is gone.
func TestLinkActivatesInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		wm := e.staff("carol@acme.example", db.RoleSupport)
		invited := e.addMember(sk, acct, `{"email":"CAROL@acme.example","role":"admin","permissions":["org.manage"]}`)

		r := e.Call(t, "POST", "/v1/account-memberships?account_id="+acct, sk, `{"workspace_membership_id":"`+wm+`"}`)
		r.Expect(t, 200, "")
		m := memberOf(t, r)
		if m.ID != invited.ID || m.Status != "active" || m.Invitation != nil || m.WorkspaceMembershipID == nil || *m.WorkspaceMembershipID != wm ||
			m.Role.Slug != "admin" || fmt.Sprint(m.Permissions) != "[org.manage]" || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("activated membership %s %s", r.Header.Get("ETag"), r.Raw)
		}
		e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+invited.token(t)+`"}`).Expect(t, 404, "invitation.not_found")
		e.Call(t, "POST", "/v1/account-memberships?account_id="+acct, sk, `{"workspace_membership_id":"`+wm+`"}`).Expect(t, 409, "membership.already_exists")
		e.Call(t, "POST", "/v1/account-memberships/"+m.ID+"/resend-invitation", sk, "").Expect(t, 409, "membership.not_invited")
	})
}

// TestMembershipIsolation: a membership is invisible, and unchangeable, from
// the other mode and from another workspace.
func TestMembershipIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		live := e.key(true, db.KeySecret)
		acct := e.createAccount(live, "Live shop")
		m := e.addMember(live, acct, `{"email":"dave@example.com"}`)
		test := e.key(false, db.KeySecret)
		stranger := e.keyIn(dbtest.Workspace(t, d, "Globex"), true, db.KeySecret)
		for _, token := range []string{test, stranger} {
			for _, tc := range []struct{ method, path, body, typ string }{
				{"GET", "/v1/account-memberships/" + m.ID, "", "membership.not_found"},
				{"PATCH", "/v1/account-memberships/" + m.ID, `{"role":"admin"}`, "membership.not_found"},
				{"PUT", "/v1/account-memberships/" + m.ID, `{"permissions":[]}`, "membership.not_found"},
				{"DELETE", "/v1/account-memberships/" + m.ID, "", "membership.not_found"},
				{"POST", "/v1/account-memberships/" + m.ID + "/resend-invitation", "", "membership.not_found"},
				{"GET", "/v1/account-memberships?account_id=" + acct, "", "account.not_found"},
				{"POST", "/v1/accounts/" + acct + "/memberships", `{"email":"eve@example.com"}`, "account.not_found"},
				{"GET", "/v1/accounts/" + acct + "/memberships/" + m.ID, "", "account.not_found"},
			} {
				e.Call(t, tc.method, tc.path, token, tc.body).Expect(t, 404, tc.typ)
			}
		}
		r := e.Call(t, "GET", "/v1/account-memberships/"+m.ID, live, "")
		if got := memberOf(t, r); got.Status != "invited" || got.Role.Slug != "member" || !got.Livemode {
			t.Fatalf("live membership after foreign attempts: %s", r.Raw)
		}
	})
}

// TestMembershipList pages through an account's members and filters them.
func TestMembershipList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct, other := e.createAccount(sk, "Shop"), e.createAccount(sk, "Other")
		e.addMember(sk, other, `{"email":"alice@example.com"}`)
		var ids []string
		for _, body := range []string{
			`{"email":"alice@example.com","name":"Alice Zed"}`,
			`{"email":"bob@example.com","name":"Zara Bob","role":"admin"}`,
			`{"email":"a_b@example.com"}`,
			link(e.staff("carol@acme.example", db.RoleAdmin), "admin"),
			link(e.staff("dan@acme.example", db.RoleAdmin), "owner"),
			`{"email":"emile@example.com","name":"Émile Zola"}`,
		} {
			ids = append(ids, e.addMember(sk, acct, body).ID)
		}
		if paged := e.walk(t, "/v1/accounts/"+acct+"/memberships", sk, 2); fmt.Sprint(paged) != fmt.Sprint(ids) {
			t.Fatalf("pages %v, want %v", paged, ids)
		}
		for _, tc := range []struct {
			query string
			want  []int
		}{
			{"status=invited", []int{0, 1, 2, 5}},
			{"status=active", []int{3, 4}},
			{"role=admin", []int{1, 3}},
			{"role=owner&status=active", []int{4}},
			{"role=nobody", nil},
			{"q=ALI", []int{0}},
			{"q=z", []int{1}},
			{"q=a_", []int{2}},
			{"q=a%25", nil},
			{"q=carol%40acme", []int{3}},
			{"q=%C3%89mile", []int{5}}, // É: lower-cased by Unicode's rules on both databases
			{"q=%C3%A9MILE+z", []int{5}},
		} {
			r := e.Call(t, "GET", "/v1/account-memberships?account_id="+acct+"&"+tc.query, sk, "")
			r.Expect(t, 200, "")
			var ms []membership
			r.Data(t, &ms)
			var got, want []string
			for _, m := range ms {
				got = append(got, m.ID)
			}
			for _, i := range tc.want {
				want = append(want, ids[i])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: got %v, want %v", tc.query, got, want)
			}
		}
	})
}

// TestInvitationLifecycle invites, resends, accepts and checks the outbox
// and the events along the way.
func TestInvitationLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		ctx := context.Background()
		m := e.addMember(sk, acct, `{"email":"erin@example.com"}`)
		first := m.token(t)
		mail, err := d.InvitationEmail(ctx, e.ws.Test(), m.ID)
		if err != nil || mail.To != "erin@example.com" || !strings.Contains(mail.Body, m.Invitation.AcceptURL) || !strings.Contains(mail.Subject, "Shop") {
			t.Fatalf("outbox %+v, %v", mail, err)
		}

		r := e.Call(t, "POST", "/v1/account-memberships/"+m.ID+"/resend-invitation", sk, "")
		r.Expect(t, 200, "")
		resent := memberOf(t, r)
		second := resent.token(t)
		if second == first || r.Header.Get("ETag") != `"2"` || resent.Invitation.ExpiresAt < m.Invitation.ExpiresAt {
			t.Fatalf("resend: %s %s", r.Header.Get("ETag"), r.Raw)
		}
		if mail, _ := d.InvitationEmail(ctx, e.ws.Test(), m.ID); !strings.Contains(mail.Body, second) {
			t.Fatalf("outbox after resend: %s", mail.Body)
		}
		e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+first+`"}`).Expect(t, 404, "invitation.not_found")

		r = e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+second+`","name":"  Erin E. "}`)
		r.Expect(t, 200, "")
		if got := memberOf(t, r); got.Status != "active" || got.Invitation != nil || got.User.Name != "Erin E." || r.Header.Get("ETag") != `"3"` {
			t.Fatalf("accepted %s %s", r.Header.Get("ETag"), r.Raw)
		}
		e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+second+`"}`).Expect(t, 404, "invitation.not_found")

		expired := e.addMember(sk, acct, `{"email":"frank@example.com","send_email":false}`)
		if _, err := d.InvitationEmail(ctx, e.ws.Test(), expired.ID); !errors.Is(err, db.ErrInvitationNotFound) {
			t.Fatalf("send_email false queued an email: %v", err)
		}
		if _, err := d.Exec(d.Rebind(`UPDATE invitations SET expires_at = ? WHERE membership_id = ?`), "2001-01-01 00:00:00+00:00", expired.ID); err != nil {
			t.Fatal(err)
		}
		e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+expired.token(t)+`"}`).Expect(t, 404, "invitation.not_found")

		evs := e.history(t, sk, m.ID)
		if got := eventTypes(evs); got != "membership.created,invitation.sent,invitation.sent,invitation.accepted" {
			t.Fatalf("events %s", got)
		}
		if a := evs[3].Actor; a.Type != "user" || a.ID != m.UserID || evs[3].RequestID == "" {
			t.Fatalf("acceptance actor %+v, request %q", a, evs[3].RequestID)
		}
		for _, ev := range e.events(t, sk, "") {
			for _, tok := range []string{first, second, expired.token(t)} {
				if strings.Contains(string(ev.Data)+string(ev.PreviousAttributes), tok) {
					t.Fatalf("event %s holds an invitation token", ev.Type)
				}
			}
		}
	})
}

// TestLastOwner: once an account has an active owner it keeps one.
func TestLastOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(false, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		member := e.addMember(sk, acct, link(e.staff("m@acme.example", db.RoleAdmin), "member"))
		e.Call(t, "DELETE", "/v1/account-memberships/"+member.ID, sk, "").Expect(t, 200, "")

		a := e.addMember(sk, acct, link(e.staff("a@acme.example", db.RoleAdmin), "owner"))
		b := e.addMember(sk, acct, link(e.staff("b@acme.example", db.RoleAdmin), "owner"))
		invitedOwner := e.addMember(sk, acct, `{"email":"c@example.com","role":"owner"}`)
		var admin struct{ ID string }
		e.Call(t, "GET", "/v1/roles/admin", sk, "").Data(t, &admin)
		for _, s := range []struct {
			method, id, body string
			status           int
			typ              string
		}{
			{"PATCH", a.ID, `{"role":"admin"}`, 200, ""},
			{"PATCH", b.ID, `{"role_id":"` + admin.ID + `"}`, 409, "membership.last_owner"},
			{"PUT", b.ID, `{"permissions":[],"role":"member"}`, 409, "membership.last_owner"},
			{"DELETE", b.ID, "", 409, "membership.last_owner"},
			{"PATCH", b.ID, `{"add_permissions":["org.manage"]}`, 200, ""},
			{"DELETE", invitedOwner.ID, "", 200, ""},
			{"PATCH", a.ID, `{"role":"owner"}`, 200, ""},
			{"DELETE", b.ID, "", 200, ""},
			{"DELETE", a.ID, "", 409, "membership.last_owner"},
		} {
			e.Call(t, s.method, "/v1/account-memberships/"+s.id, sk, s.body).Expect(t, s.status, s.typ)
		}
	})
}

// TestMembershipAccess: scopes of secret keys and the support role.
func TestMembershipAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		acct := e.createAccount(sk, "Shop")
		m := e.addMember(sk, acct, `{"email":"gina@example.com"}`)
		e.staff("support@acme.example", db.RoleSupport)
		support := signHS256(t, staffClaims("support@acme.example"))
		reader := e.key(true, db.KeySecret, "memberships:read")
		e.run(t, []apiCase{
			{"read scope lists", "GET", "/v1/account-memberships?account_id=" + acct, reader, "", 200, "", "", ""},
			{"read scope cannot invite", "POST", "/v1/account-memberships?account_id=" + acct, reader, `{"email":"h@example.com"}`, 403, "forbidden", "required_scope", "memberships:write"},
			{"support reads", "GET", "/v1/account-memberships/" + m.ID, support, "", 200, "", "", ""},
			{"support resends", "POST", "/v1/account-memberships/" + m.ID + "/resend-invitation", support, "", 200, "", "", ""},
			{"support cannot change", "PATCH", "/v1/account-memberships/" + m.ID, support, `{"role":"admin"}`, 403, "forbidden", "", ""},
			{"support cannot invite", "POST", "/v1/accounts/" + acct + "/memberships", support, `{"email":"h@example.com"}`, 403, "forbidden", "", ""},
			{"publishable key cannot read", "GET", "/v1/account-memberships/" + m.ID, e.key(true, db.KeyPublishable), "", 403, "forbidden", "", ""},
			{"accept needs no credential", "POST", "/v1/invitations/accept", "", `{"token":"nope"}`, 404, "invitation.not_found", "", ""},
			{"other routes still do", "GET", "/v1/nothing-here", "", "", 401, "unauthorized", "", ""},
			{"unknown routes with a credential", "GET", "/v1/nothing-here", sk, "", 404, "not_found", "", ""},
		})
	})
}
