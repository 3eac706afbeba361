package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// bulkAnswer is the data of a bulk answer.
type bulkAnswer struct {
	Object  string `json:"object"`
	DryRun  bool   `json:"dry_run"`
	Atomic  bool   `json:"atomic"`
	Summary struct {
		Succeeded int `json:"succeeded"`
		Failed    int `json:"failed"`
	} `json:"summary"`
	Results []bulkItem `json:"results"`
}

// bulkItem is one result of a bulk answer.
type bulkItem struct {
	Index  int                  `json:"index"`
	Status int                  `json:"status"`
	Data   *versioned           `json:"data"`
	Error  *webtest.ErrorObject `json:"error"`
}

// versioned is a membership with its version.
type versioned struct {
	membership
	Version int64 `json:"version"`
}

// bulk sends a bulk request to the account and expects 200.
func (e *env) bulk(t *testing.T, token, accountID, body string, headers ...string) bulkAnswer {
	t.Helper()
	r := e.Call(t, "POST", "/v1/accounts/"+accountID+"/memberships/bulk", token, body, headers...)
	r.Expect(t, 200, "")
	var a bulkAnswer
	r.Data(t, &a)
	if a.Object != "bulk_result" {
		t.Fatalf("object %q: %s", a.Object, r.Raw)
	}
	return a
}

// statuses lists each item's status, and its error type when it failed.
func (a bulkAnswer) statuses() string {
	var parts []string
	for _, it := range a.Results {
		s := fmt.Sprint(it.Status)
		if it.Error != nil {
			s += " " + it.Error.Type
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// ops is a bulk body of the operations, with the switches.
func ops(switches string, operations ...string) string {
	return `{"operations": [` + strings.Join(operations, ",") + `]` + switches + `}`
}

// countOf counts the rows of a table of the workspace.
func (e *env) countOf(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.GetContext(context.Background(), &n, e.db.Rebind(`SELECT COUNT(*) FROM `+table+` WHERE workspace_id = ?`), e.ws.WorkspaceID); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBulkItems runs every kind of operation in one request: each item
// gets its single-item status, and failures do not stop the others.
func TestBulkItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		kept := e.addMember(sk, acct, `{"email":"kept@example.com","send_email":false}`)
		gone := e.addMember(sk, acct, `{"email":"gone@example.com","send_email":false}`)
		staffID := e.staff("sam@example.com", "admin")
		a := e.bulk(t, sk, acct, ops("",
			`{"op":"invite","email":"a@example.com","name":"A","role":"admin","permissions":["billing.manage"]}`,
			`{"op":"invite","email":"kept@example.com"}`,
			`{"op":"link","workspace_membership_id":"`+staffID+`"}`,
			`{"op":"update","membership_id":"`+kept.ID+`","role":"admin","add_permissions":["billing.manage"],"if_version":1}`,
			`{"op":"update","membership_id":"`+kept.ID+`","role":"member","if_version":1}`,
			`{"op":"remove","membership_id":"`+gone.ID+`"}`,
			`{"op":"invite","email":"not-an-email"}`,
			`{"op":"invite","email":"b@example.com","role":"nope"}`,
			`{"op":"rename","membership_id":"`+kept.ID+`"}`,
			`{"op":"remove","membership_id":"am_missing"}`))
		want := "201, 409 membership.already_exists, 201, 200, 412 precondition_failed, 204, 400 validation_error, " +
			"400 validation_error, 400 validation_error, 404 membership.not_found"
		if got := a.statuses(); got != want {
			t.Fatalf("statuses %s, want %s", got, want)
		}
		if a.Summary.Succeeded != 4 || a.Summary.Failed != 6 || a.DryRun || a.Atomic {
			t.Fatalf("summary %+v", a)
		}
		inv := a.Results[0].Data
		if inv == nil || inv.Status != "invited" || inv.Role.Slug != "admin" || fmt.Sprint(inv.Permissions) != "[billing.manage]" ||
			inv.Invitation == nil || !strings.HasPrefix(inv.Invitation.AcceptURL, acceptBase) {
			t.Fatalf("invited %+v", inv)
		}
		if up := a.Results[3].Data; up == nil || up.Version != 2 || up.Role.Slug != "admin" {
			t.Fatalf("updated %+v", up)
		}
		if a.Results[2].Data.Status != "active" || a.Results[5].Data != nil || a.Results[9].Error.Code != 404 {
			t.Fatalf("results %+v", a.Results)
		}
		if _, ok := a.Results[7].Error.Details["role"]; !ok {
			t.Fatalf("unknown role: %+v", a.Results[7].Error)
		}
		// One event per change, as if each had been sent alone.
		for typ, n := range map[string]int{"membership.created": 4, "invitation.sent": 1, "membership.updated": 1, "membership.deleted": 1, "invitation.revoked": 1} {
			r := e.Call(t, "GET", "/v1/events?account_id="+acct+"&type="+typ+"&limit=100", sk, "")
			var evs []json.RawMessage
			r.Data(t, &evs)
			if len(evs) != n {
				t.Fatalf("%d %s events, want %d", len(evs), typ, n)
			}
		}
		// The default send_email is true: one email, for a@ (the others were sent without).
		if n := e.countOf(t, "outbox"); n != 1 {
			t.Fatalf("%d emails queued, want 1", n)
		}
	})
}

// TestBulkRequestRefusals: what is wrong with the request itself is
// answered for the whole request.
func TestBulkRequestRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		many := make([]string, 101)
		for i := range many {
			many[i] = fmt.Sprintf(`{"op":"invite","email":"p%d@example.com"}`, i)
		}
		path := "/v1/accounts/" + acct + "/memberships/bulk"
		e.run(t, []apiCase{
			{name: "too many", method: "POST", path: path, token: sk, body: ops("", many...), status: 400, typ: "bulk.too_many_operations"},
			{name: "none", method: "POST", path: path, token: sk, body: `{"operations":[]}`, status: 400, typ: "validation_error", detail: "operations"},
			{name: "missing", method: "POST", path: path, token: sk, body: `{}`, status: 400, typ: "validation_error", detail: "operations"},
			{name: "unknown field", method: "POST", path: path, token: sk, body: ops("", `{"op":"invite","email":"a@example.com","color":"red"}`),
				status: 400, typ: "validation_error", detail: "operations[0].color"},
			{name: "field of another op", method: "POST", path: path, token: sk, body: ops("", `{"op":"remove","membership_id":"am_x","role":"admin"}`),
				status: 400, typ: "validation_error", detail: "operations[0].role"},
			{name: "not an object", method: "POST", path: path, token: sk, body: ops("", `"invite"`), status: 400, typ: "validation_error", detail: "operations[0]"},
			{name: "bad expiry", method: "POST", path: path, token: sk, body: ops("", `{"op":"invite","email":"a@example.com","expires_at":"soon"}`),
				status: 400, typ: "validation_error", detail: "operations[0].expires_at"},
			{name: "no account", method: "POST", path: "/v1/accounts/acct_missing/memberships/bulk", token: sk,
				body: ops("", `{"op":"invite","email":"a@example.com"}`), status: 404, typ: "account.not_found"},
			{name: "organization alias", method: "POST", path: "/v1/organizations/acct_missing/members/bulk", token: sk,
				body: ops("", `{"op":"invite","email":"a@example.com"}`), status: 404, typ: "organization.not_found"},
			{name: "read-only key", method: "POST", path: path, token: e.key(true, "secret", "memberships:read"),
				body: ops("", `{"op":"invite","email":"a@example.com"}`), status: 403, typ: "forbidden", detail: "required_scope"},
			{name: "other mode", method: "POST", path: path, token: e.key(false, "secret"),
				body: ops("", `{"op":"invite","email":"a@example.com"}`), status: 404, typ: "account.not_found"},
		})
		if n := e.countOf(t, "account_memberships"); n != 0 {
			t.Fatalf("%d memberships after refused requests", n)
		}
	})
}

// TestBulkDuplicates: every occurrence of an email after the first is
// bulk.duplicate_item, compared as emails are everywhere, whatever
// became of the first.
func TestBulkDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		a := e.bulk(t, sk, acct, ops("",
			`{"op":"invite","email":"Dup@Example.com","role":"nope"}`,
			`{"op":"invite","email":" dup@example.COM "}`,
			`{"op":"invite","email":"other@example.com"}`,
			`{"op":"invite","email":"dup@example.com"}`))
		if got := a.statuses(); got != "400 validation_error, 409 bulk.duplicate_item, 201, 409 bulk.duplicate_item" {
			t.Fatalf("statuses %s", got)
		}
		if first := a.Results[3].Error.Details["first_index"]; first != float64(0) {
			t.Fatalf("first_index %v", first)
		}

		// A link names a staff member: the same one twice is a duplicate.
		staff := e.staff("twice@acme.example", db.RoleSupport)
		link := `{"op":"link","workspace_membership_id":"` + staff + `"}`
		if got := e.bulk(t, sk, acct, ops("", link, link)).statuses(); got != "201, 409 bulk.duplicate_item" {
			t.Fatalf("the same staff member linked twice: %s", got)
		}
	})
}

// TestBulkDryRun: a dry run answers what would happen and keeps, sends and
// records nothing.
func TestBulkDryRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		old := e.addMember(sk, acct, `{"email":"old@example.com","send_email":false}`)
		members, events, emails := e.countOf(t, "account_memberships"), e.countOf(t, "events"), e.countOf(t, "outbox")
		body := ops(`, "dry_run": true`,
			`{"op":"invite","email":"new@example.com"}`,
			`{"op":"invite","email":"old@example.com"}`,
			`{"op":"update","membership_id":"`+old.ID+`","role":"admin"}`,
			`{"op":"remove","membership_id":"`+old.ID+`"}`,
			`{"op":"update","membership_id":"`+old.ID+`","role":"admin"}`)
		for _, headers := range [][]string{nil, {"Idempotency-Key", "dry-1"}} {
			a := e.bulk(t, sk, acct, body, headers...)
			if got := a.statuses(); got != "201, 409 membership.already_exists, 200, 204, 404 membership.not_found" || !a.DryRun {
				t.Fatalf("statuses %s", got)
			}
			if a.Summary.Succeeded != 3 || a.Summary.Failed != 2 || a.Results[0].Data.Invitation.AcceptURL != "" {
				t.Fatalf("dry run %+v", a)
			}
			if m, ev, em := e.countOf(t, "account_memberships"), e.countOf(t, "events"), e.countOf(t, "outbox"); m != members || ev != events || em != emails {
				t.Fatalf("a dry run kept %d memberships, %d events, %d emails", m-members, ev-events, em-emails)
			}
		}
		r := e.Call(t, "GET", "/v1/account-memberships/"+old.ID, sk, "")
		r.Expect(t, 200, "")
		var m versioned
		r.Data(t, &m)
		if m.Version != 1 {
			t.Fatal("a dry run changed a membership")
		}
	})
}

// TestBulkAtomic: an atomic request keeps all or nothing; its failure is
// the failing item's error envelope with failed_index and the results
// before it.
func TestBulkAtomic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		e.addMember(sk, acct, `{"email":"taken@example.com","send_email":false}`)
		members, events := e.countOf(t, "account_memberships"), e.countOf(t, "events")
		path := "/v1/accounts/" + acct + "/memberships/bulk"
		for _, headers := range [][]string{nil, {"Idempotency-Key", "atomic-1"}} {
			r := e.Call(t, "POST", path, sk, ops(`, "atomic": true`,
				`{"op":"invite","email":"a@example.com"}`,
				`{"op":"invite","email":"b@example.com"}`,
				`{"op":"invite","email":"taken@example.com"}`,
				`{"op":"invite","email":"c@example.com"}`), headers...)
			r.Expect(t, 409, "membership.already_exists")
			det := r.Body.Error.Details
			results, _ := det["results"].([]any)
			if det["failed_index"] != float64(2) || len(results) != 2 || det["membership_id"] == nil {
				t.Fatalf("details %v", det)
			}
			first, _ := results[0].(map[string]any)
			data, _ := first["data"].(map[string]any)
			inv, _ := data["invitation"].(map[string]any)
			if first["status"] != float64(201) || inv == nil || inv["accept_url"] != nil {
				t.Fatalf("first result %v", first)
			}
			if m, ev := e.countOf(t, "account_memberships"), e.countOf(t, "events"); m != members || ev != events {
				t.Fatalf("a failed atomic request kept %d memberships, %d events", m-members, ev-events)
			}
		}
		a := e.bulk(t, sk, acct, ops(`, "atomic": true`, `{"op":"invite","email":"a@example.com"}`, `{"op":"invite","email":"b@example.com"}`))
		if a.statuses() != "201, 201" || !a.Atomic || e.countOf(t, "account_memberships") != members+2 {
			t.Fatalf("atomic success %s", a.statuses())
		}
	})
}

// TestBulkLastOwner: the last-owner guard counts the batch as it goes.
func TestBulkLastOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		o1 := e.activeMember(t, sk, acct, "o1@example.com", "owner", "")
		o2 := e.activeMember(t, sk, acct, "o2@example.com", "owner", "")
		a := e.bulk(t, sk, acct, ops("",
			`{"op":"update","membership_id":"`+o1.ID+`","role":"admin"}`,
			`{"op":"remove","membership_id":"`+o2.ID+`"}`,
			`{"op":"update","membership_id":"`+o2.ID+`","role":"member"}`))
		if got := a.statuses(); got != "200, 409 membership.last_owner, 409 membership.last_owner" {
			t.Fatalf("statuses %s", got)
		}
		r := e.Call(t, "GET", "/v1/account-memberships/"+o2.ID, sk, "")
		if memberOf(t, r).Role.Slug != "owner" {
			t.Fatal("the last owner lost the role")
		}
	})
}

// TestBulkIdempotent: one Idempotency-Key covers the whole request.
func TestBulkIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		path := "/v1/accounts/" + acct + "/memberships/bulk"
		body := ops("", `{"op":"invite","email":"a@example.com"}`, `{"op":"invite","email":"b@example.com"}`)
		first := e.Call(t, "POST", path, sk, body, "Idempotency-Key", "k1")
		first.Expect(t, 200, "")
		again := e.Call(t, "POST", path, sk, body, "Idempotency-Key", "k1")
		again.Expect(t, 200, "")
		if again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != first.Raw {
			t.Fatalf("replay %v %s", again.Header, again.Raw)
		}
		e.Call(t, "POST", path, sk, ops("", `{"op":"invite","email":"c@example.com"}`), "Idempotency-Key", "k1").
			Expect(t, 409, "idempotency.conflict")
		if n := e.countOf(t, "account_memberships"); n != 2 {
			t.Fatalf("%d memberships", n)
		}
		if n := e.countOf(t, "outbox"); n != 2 {
			t.Fatalf("%d emails", n)
		}
	})
}

// TestBulkMemberPrincipal: a member principal may do in bulk exactly what
// their single-item calls may.
func TestBulkMemberPrincipal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		staffID := e.staff("sam@example.com", "admin")
		a := e.bulk(t, f.adminJWT, f.account, ops("",
			`{"op":"invite","email":"x@example.com","role":"member"}`,
			`{"op":"invite","email":"y@example.com","role":"owner"}`,
			`{"op":"invite","email":"z@example.com","permissions":["org.manage"]}`,
			`{"op":"link","workspace_membership_id":"`+staffID+`"}`,
			`{"op":"update","membership_id":"`+f.admin.ID+`","role":"member"}`,
			`{"op":"update","membership_id":"`+f.owner.ID+`","role":"member"}`,
			`{"op":"remove","membership_id":"`+f.plain.ID+`"}`))
		want := "201, 403 forbidden, 403 forbidden, 403 forbidden, 403 forbidden, 403 forbidden, 204"
		if got := a.statuses(); got != want {
			t.Fatalf("statuses %s, want %s", got, want)
		}
		for i, reason := range map[int]string{1: "owner_only", 2: "escalation", 3: "staff_only", 4: "self_change", 5: "owner_only"} {
			if got := a.Results[i].Error.Details["reason"]; got != reason {
				t.Fatalf("item %d: reason %v, want %s", i, got, reason)
			}
		}
		r := e.Call(t, "GET", "/v1/events?type=membership.created&account_id="+f.account, f.sk, "")
		var evs []struct {
			Actor db.Actor `json:"actor"`
		}
		r.Data(t, &evs)
		if len(evs) == 0 || evs[0].Actor.Type != "member" || evs[0].Actor.ID != f.admin.ID {
			t.Fatalf("events %+v", evs)
		}
		// A plain member lacks members.manage: each item says so.
		p := e.bulk(t, f.plainJWT, f.other, ops("", `{"op":"invite","email":"q@example.com"}`))
		if p.statuses() != "403 forbidden" || p.Results[0].Error.Details["required_permission"] != "members.manage" {
			t.Fatalf("plain member %s %+v", p.statuses(), p.Results[0].Error)
		}
		// An account the member is not in does not exist for them.
		e.Call(t, "POST", "/v1/accounts/"+f.other+"/memberships/bulk", f.adminJWT, ops("", `{"op":"invite","email":"q@example.com"}`)).
			Expect(t, 404, "account.not_found")
	})
}

// TestBulkRacesSingleInvites: bulk requests and single invitations of
// the same people, at once: each person gets one membership, and every
// answer is true to what was kept.
func TestBulkRacesSingleInvites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, "secret")
		acct := e.createAccount(sk, "Shop")
		const people = 30
		var emails []string
		for i := range people {
			emails = append(emails, fmt.Sprintf(`{"op":"invite","email":"p%d@example.com","send_email":false}`, i))
		}
		var mu sync.Mutex
		created := map[string]int{}
		var wg sync.WaitGroup
		fail := make(chan string, 100)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if w%2 == 0 {
					r, err := e.Send("POST", "/v1/accounts/"+acct+"/memberships/bulk", sk, ops("", emails...))
					var a bulkAnswer
					if err != nil || r.Status != 200 || json.Unmarshal(r.Body.Data, &a) != nil {
						fail <- fmt.Sprint(r.Status, err, r.Raw)
						return
					}
					for _, it := range a.Results {
						switch {
						case it.Status == 201:
							mu.Lock()
							created[it.Data.User.Email]++
							mu.Unlock()
						case it.Error == nil || it.Error.Type != "membership.already_exists":
							fail <- fmt.Sprintf("item %d: %d %+v", it.Index, it.Status, it.Error)
						}
					}
					return
				}
				for i := range people {
					email := fmt.Sprintf("p%d@example.com", (i*7+w)%people)
					r, err := e.Send("POST", "/v1/accounts/"+acct+"/memberships", sk, `{"email":"`+email+`","send_email":false}`)
					switch {
					case err == nil && r.Status == 201:
						mu.Lock()
						created[email]++
						mu.Unlock()
					case err != nil || r.ErrType() != "membership.already_exists":
						fail <- fmt.Sprint(r.Status, err, r.Raw)
					}
				}
			}()
		}
		wg.Wait()
		close(fail)
		for f := range fail {
			t.Error(f)
		}
		if len(created) != people {
			t.Fatalf("%d people created", len(created))
		}
		for email, n := range created {
			if n != 1 {
				t.Fatalf("%s created %d times", email, n)
			}
		}
		if n := e.countOf(t, "account_memberships"); n != people {
			t.Fatalf("%d memberships, want %d", n, people)
		}
		var evs int
		if err := e.db.GetContext(context.Background(), &evs, e.db.Rebind(`SELECT COUNT(*) FROM events WHERE workspace_id = ? AND type = 'membership.created'`), e.ws.WorkspaceID); err != nil || evs != people {
			t.Fatalf("%d membership.created events, %v", evs, err)
		}
	})
}
