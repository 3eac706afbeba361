package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// transfer is an ownership_transfer as the tests read it.
type transfer struct {
	Object    string      `json:"object"`
	AccountID string      `json:"account_id"`
	From      *membership `json:"from"`
	To        membership  `json:"to"`
}

// transferPath is the transfer-ownership path of an account.
func transferPath(acct string) string { return "/v1/accounts/" + acct + "/transfer-ownership" }

// owners lists the ids of the account's active owners.
func (e *env) owners(t *testing.T, sk, acct string) []string {
	t.Helper()
	r := e.Call(t, "GET", "/v1/account-memberships?limit=100&role=owner&status=active&account_id="+acct, sk, "")
	r.Expect(t, 200, "")
	var ms []membership
	r.Data(t, &ms)
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestTransferOwnership checks lifecycle.md "Transfer of ownership".
func TestTransferOwnership(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)

		t.Run("a key hands the only owner's ownership over", func(t *testing.T) {
			acct := e.createAccount(sk, "Handed")
			owner := e.activeMember(t, sk, acct, "o@own.example", "owner", "")
			admin := e.activeMember(t, sk, acct, "a@own.example", "admin", "")
			r := e.Call(t, "POST", transferPath(acct), sk, `{"to_membership_id":"`+admin.ID+`"}`, "If-Match", `"1"`)
			r.Expect(t, 200, "")
			var tr transfer
			r.Data(t, &tr)
			if tr.Object != "ownership_transfer" || tr.To.Role.Slug != "owner" || tr.From == nil ||
				tr.From.ID != owner.ID || tr.From.Role.Slug != "member" || r.Header.Get("ETag") != `"2"` {
				t.Fatalf("%s %s", r.Header.Get("ETag"), r.Raw)
			}
			if got := e.owners(t, sk, acct); len(got) != 1 || got[0] != admin.ID {
				t.Fatalf("owners %v", got)
			}
			evs := e.events(t, sk, "account_id="+acct)
			if evs[0].Type != "account.ownership_transferred" || evs[1].Type != "membership.updated" || evs[2].Type != "membership.updated" {
				t.Fatalf("events %s %s %s", evs[0].Type, evs[1].Type, evs[2].Type)
			}
			var data transfer
			if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.From.ID != owner.ID || data.To.ID != admin.ID {
				t.Fatalf("event data %s", evs[0].Data)
			}
			e.Call(t, "POST", transferPath(acct), sk, `{"to_membership_id":"`+owner.ID+`"}`, "If-Match", `"1"`).
				Expect(t, 412, "precondition_failed")
		})

		t.Run("refusals", func(t *testing.T) {
			acct := e.createAccount(sk, "Refusing")
			o1 := e.activeMember(t, sk, acct, "o1@own.example", "owner", "")
			o2 := e.activeMember(t, sk, acct, "o2@own.example", "owner", "")
			m := e.activeMember(t, sk, acct, "m@own.example", "member", "")
			inv := e.addMember(sk, acct, inviteBody("inv@own.example"))
			to := func(id string) string { return `{"to_membership_id":"` + id + `"}` }
			e.Call(t, "POST", transferPath(acct), sk, to(m.ID)).Expect(t, 409, "ownership.ambiguous")
			e.Call(t, "POST", transferPath(acct), sk, to(inv.ID)).Expect(t, 409, "ownership.target_not_active")
			e.Call(t, "POST", transferPath(acct), sk, to(o2.ID)).Expect(t, 409, "ownership.already_owner")
			e.Call(t, "POST", transferPath(acct), sk, `{"to_membership_id":"`+m.ID+`","from_membership_id":"`+o1.ID+`","previous_owner_role":"owner"}`).
				Expect(t, 400, "validation_error")
			e.Call(t, "POST", transferPath(acct), sk, `{"to_membership_id":"`+m.ID+`","from_membership_id":"`+m.ID+`"}`).
				Expect(t, 400, "validation_error")
			e.Call(t, "POST", transferPath(acct), sk, `{}`).Expect(t, 400, "validation_error")
			e.Call(t, "POST", transferPath(acct), sk, to("am_nope")).Expect(t, 404, "membership.not_found")
			ro := e.key(true, db.KeySecret, "accounts:read")
			e.Call(t, "POST", transferPath(acct), ro, to(m.ID)).Expect(t, 403, "forbidden")
			r := e.Call(t, "POST", transferPath(acct), sk, `{"to_membership_id":"`+m.ID+`","from_membership_id":"`+o1.ID+`","previous_owner_role":"admin"}`)
			r.Expect(t, 200, "")
			var tr transfer
			r.Data(t, &tr)
			if tr.From.ID != o1.ID || tr.From.Role.Slug != "admin" {
				t.Fatalf("%s", r.Raw)
			}
			if got := e.owners(t, sk, acct); len(got) != 2 {
				t.Fatalf("owners %v", got)
			}
		})

		t.Run("an account without an owner gets one", func(t *testing.T) {
			acct := e.createAccount(sk, "Ownerless")
			m := e.activeMember(t, sk, acct, "first@own.example", "member", "")
			r := e.Call(t, "POST", "/v1/organizations/"+acct+"/transfer-ownership", sk, `{"to_membership_id":"`+m.ID+`"}`)
			r.Expect(t, 200, "")
			var tr transfer
			r.Data(t, &tr)
			if tr.From != nil || tr.To.Role.Slug != "owner" {
				t.Fatalf("%s", r.Raw)
			}
		})

		t.Run("members: only an owner", func(t *testing.T) {
			f := newMemberFixture(t, e)
			e.Call(t, "POST", transferPath(f.account), f.adminJWT, `{"to_membership_id":"`+f.plain.ID+`"}`).Expect(t, 403, "forbidden")
			// The role the owner takes after handing over is given by them:
			// none with a permission they lack.
			e.Call(t, "POST", "/v1/permissions", sk, `{"key":"reports.export"}`).Expect(t, 201, "")
			e.Call(t, "POST", "/v1/roles", sk, `{"slug":"auditor","name":"Auditor","permissions":["members.read","reports.export"]}`).Expect(t, 201, "")
			r := e.Call(t, "POST", transferPath(f.account), f.ownerJWT, `{"to_membership_id":"`+f.admin.ID+`","previous_owner_role":"auditor"}`)
			r.Expect(t, 403, "forbidden")
			if !strings.Contains(string(r.Raw), `"reason":"escalation"`) || !strings.Contains(string(r.Raw), "reports.export") {
				t.Fatalf("an owner took a role beyond their own: %s", r.Raw)
			}
			if got := e.owners(t, sk, f.account); len(got) != 1 || got[0] != f.owner.ID {
				t.Fatalf("owners after the refusal %v", got)
			}
			r = e.Call(t, "POST", transferPath(f.account), f.ownerJWT, `{"to_membership_id":"`+f.admin.ID+`"}`)
			r.Expect(t, 200, "")
			var tr transfer
			r.Data(t, &tr)
			if tr.From.ID != f.owner.ID || tr.To.ID != f.admin.ID {
				t.Fatalf("%s", r.Raw)
			}
			e.Call(t, "POST", transferPath(f.account), f.ownerJWT, `{"to_membership_id":"`+f.plain.ID+`"}`).Expect(t, 403, "forbidden")
		})

		t.Run("two transfers at once leave one owner", func(t *testing.T) {
			api := webtest.Client{Do: webtest.OverHTTP(30 * time.Second), Base: e.listen()}
			acct := e.createAccount(sk, "Raced")
			e.activeMember(t, sk, acct, "ro@own.example", "owner", "")
			a := e.activeMember(t, sk, acct, "ra@own.example", "member", "")
			b := e.activeMember(t, sk, acct, "rb@own.example", "member", "")
			rs := api.Race(t, 2, func(i int) (string, string, string, string) {
				to := a.ID
				if i == 1 {
					to = b.ID
				}
				return "POST", transferPath(acct), sk, `{"to_membership_id":"` + to + `"}`
			})
			if n := webtest.Statuses(rs); n[200] != 2 {
				t.Fatalf("statuses %v: %s %s", n, rs[0].Raw, rs[1].Raw)
			}
			if got := e.owners(t, sk, acct); len(got) != 1 {
				t.Fatalf("owners %v", got)
			}
			// With the same ETag, one of two transfers happens.
			etag := e.Call(t, "GET", "/v1/accounts/"+acct, sk, "").Header.Get("ETag")
			to := a.ID
			if e.owners(t, sk, acct)[0] == a.ID {
				to = b.ID
			}
			rs = api.Race(t, 2, func(int) (string, string, string, string) {
				return "POST", transferPath(acct), sk, `{"to_membership_id":"` + to + `"}`
			}, "If-Match", etag)
			if n := webtest.Statuses(rs); n[200] != 1 || n[412] != 1 {
				t.Fatalf("statuses %v with one ETag: %s %s", n, rs[0].Raw, rs[1].Raw)
			}
			if got := e.owners(t, sk, acct); len(got) != 1 {
				t.Fatalf("owners %v", got)
			}
		})
	})
}
