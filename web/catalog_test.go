package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// role is a role as a test reads it.
type role struct {
	ID          string
	Slug        string
	Name        string
	Description string
	Permissions []string
	IsDefault   bool `json:"is_default"`
}

// event is an event as a test reads it.
type event struct {
	ID    string
	Type  string
	Actor struct {
		Type   string
		ID     string
		UserID string `json:"user_id"`
	}
	CreatedAt          time.Time       `json:"created_at"`
	TargetID           string          `json:"target_id"`
	AccountID          *string         `json:"account_id"`
	MembershipID       *string         `json:"membership_id"`
	RequestID          string          `json:"request_id"`
	Livemode           bool            `json:"livemode"`
	Data               json.RawMessage `json:"data"`
	PreviousAttributes json.RawMessage `json:"previous_attributes"`
}

// events lists the events token sees, with the query (e.g. "type=role.created").
func (e *env) events(t *testing.T, token, query string) []event {
	t.Helper()
	r := e.Call(t, "GET", "/v1/events?limit=100&"+query, token, "")
	r.Expect(t, 200, "")
	var evs []event
	r.Data(t, &evs)
	return evs
}

// roles lists the workspace's roles through the API.
func (e *env) roles(t *testing.T, token string) []role {
	t.Helper()
	r := e.Call(t, "GET", "/v1/roles", token, "")
	r.Expect(t, 200, "")
	var rs []role
	r.Data(t, &rs)
	return rs
}

// defaults names the default roles among rs.
func defaults(rs []role) []string {
	var out []string
	for _, r := range rs {
		if r.IsDefault {
			out = append(out, r.Slug)
		}
	}
	return out
}

// jwt signs a token for the staff member with this email, in test mode
// when test is set.
func jwtFor(t *testing.T, email string, test bool) string {
	t.Helper()
	c := staffClaims(email)
	if test {
		c["mode"] = "test"
	}
	return signHS256(t, c)
}

// holdRole makes an account membership of the scope that holds the role
// and the direct permissions, written straight to the database: account
// memberships have their own API.
func (e *env) holdRole(t *testing.T, sc db.Scope, roleRef string, perms ...string) {
	t.Helper()
	ctx := context.Background()
	r, err := e.db.RoleByRef(ctx, sc.WorkspaceID, roleRef)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := e.db.CreateAccount(ctx, sc, db.AccountInput{Name: "Holder"})
	if err != nil {
		t.Fatal(err)
	}
	wm, err := e.db.CreateStaff(ctx, sc.WorkspaceID, db.NewStaff{Email: strings.ToLower(db.NewID("h")) + "@acme.example", Role: db.RoleSupport})
	if err != nil {
		t.Fatal(err)
	}
	amID, now := db.NewID("am"), time.Now().UTC()
	if _, err := e.db.Exec(e.db.Rebind(`INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id, role_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)`), amID, sc.WorkspaceID, sc.Live, acct.ID, wm.UserID, r.ID, now, now); err != nil {
		t.Fatal(err)
	}
	for _, p := range perms {
		if _, err := e.db.Exec(e.db.Rebind(`INSERT INTO membership_permissions (membership_id, workspace_id, permission_key) VALUES (?, ?, ?)`),
			amID, sc.WorkspaceID, p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRoles walks every rule and error of /v1/roles.
func TestRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk, skTest := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		addStaff(t, d, e.ws, "admin@acme.example", db.RoleAdmin)
		addStaff(t, d, e.ws, "support@acme.example", db.RoleSupport)
		admin, support := jwtFor(t, "admin@acme.example", false), jwtFor(t, "support@acme.example", false)
		pk := e.key(true, db.KeyPublishable)
		reader := e.key(true, db.KeySecret, "roles:read")
		writer := e.key(true, db.KeySecret, "roles:write")
		e.holdRole(t, e.ws.Test(), "admin")
		long := "r" + strings.Repeat("x", 40)

		e.run(t, []apiCase{
			{"create", "POST", "/v1/roles", sk, `{"slug":"billing","name":" Billing ","description":"Pays","permissions":["billing.read","billing.manage","billing.read"]}`, 201, "", "", `"permissions":["billing.manage","billing.read"]`},
			{"create by a role writer", "POST", "/v1/roles", writer, `{"slug":"viewer","name":"Viewer"}`, 201, "", "", `"permissions":[]`},
			{"test mode creates none", "POST", "/v1/roles", skTest, `{"slug":"tester","name":"Tester"}`, 403, "forbidden", "reason", `"live_only"`},
			{"test mode changes none", "PATCH", "/v1/roles/member", skTest, `{"name":"Tester"}`, 403, "forbidden", "reason", `"live_only"`},
			{"test mode deletes none", "DELETE", "/v1/roles/member", skTest, "", 403, "forbidden", "reason", `"live_only"`},
			{"create by an admin", "POST", "/v1/roles", admin, `{"slug":"by-admin","name":"By admin"}`, 201, "", "", ""},
			{"duplicate slug", "POST", "/v1/roles", sk, `{"slug":"billing","name":"Again"}`, 409, "role.already_exists", "slug", ""},
			{"slug with capitals", "POST", "/v1/roles", sk, `{"slug":"Billing2","name":"x"}`, 400, "validation_error", "slug", ""},
			{"slug starting with a digit", "POST", "/v1/roles", sk, `{"slug":"2nd","name":"x"}`, 400, "validation_error", "slug", ""},
			{"slug too long", "POST", "/v1/roles", sk, `{"slug":"` + long + `","name":"x"}`, 400, "validation_error", "slug", ""},
			{"no slug, no name", "POST", "/v1/roles", sk, `{}`, 400, "validation_error", "name", `"slug":"is required"`},
			{"unknown permissions", "POST", "/v1/roles", sk, `{"slug":"x","name":"x","permissions":["members.read","nope.one","nope.two"]}`, 400, "validation_error", "permissions", "nope.one, nope.two"},
			{"unknown field", "POST", "/v1/roles", sk, `{"slug":"x","name":"x","colour":"red"}`, 400, "validation_error", "colour", ""},
			{"permissions not an array", "POST", "/v1/roles", sk, `{"slug":"x","name":"x","permissions":"members.read"}`, 400, "validation_error", "permissions", ""},
			{"get by slug", "GET", "/v1/roles/billing", sk, "", 200, "", "", `"name":"Billing"`},
			{"get unknown", "GET", "/v1/roles/nope", sk, "", 404, "role.not_found", "id", ""},
			{"rename and replace permissions", "PATCH", "/v1/roles/billing", sk, `{"name":"Billing team","permissions":["billing.read"]}`, 200, "", "", `"permissions":["billing.read"]`},
			{"patch unknown permission", "PATCH", "/v1/roles/billing", sk, `{"permissions":["nope"]}`, 400, "validation_error", "permissions", "nope"},
			{"patch blank name", "PATCH", "/v1/roles/billing", sk, `{"name":"  "}`, 400, "validation_error", "name", ""},
			{"patch unknown role", "PATCH", "/v1/roles/nope", sk, `{"name":"x"}`, 404, "role.not_found", "id", ""},
			{"default cannot give up the flag", "PATCH", "/v1/roles/member", sk, `{"is_default":false}`, 400, "validation_error", "is_default", ""},
			{"owner cannot be the default", "PATCH", "/v1/roles/owner", sk, `{"is_default":true}`, 400, "validation_error", "is_default", ""},
			{"false on a non-default changes nothing", "PATCH", "/v1/roles/admin", sk, `{"is_default":false}`, 200, "", "", `"is_default":false`},
			{"delete the default", "DELETE", "/v1/roles/member", sk, "", 409, "role.is_default", "slug", ""},
			{"delete owner", "DELETE", "/v1/roles/owner", sk, "", 409, "role.permanent", "slug", ""},
			{"delete a role members hold", "DELETE", "/v1/roles/admin", sk, "", 409, "role.in_use", "slug", ""},
			{"delete", "DELETE", "/v1/roles/viewer", sk, "", 200, "", "", ""},
			{"deleted is gone", "GET", "/v1/roles/viewer", sk, "", 404, "role.not_found", "", ""},
			{"delete unknown", "DELETE", "/v1/roles/nope", sk, "", 404, "role.not_found", "", ""},
			{"publishable lists roles", "GET", "/v1/roles", pk, "", 200, "", "", ""},
			{"publishable gets no role", "GET", "/v1/roles/member", pk, "", 403, "forbidden", "", ""},
			{"publishable creates none", "POST", "/v1/roles", pk, `{"slug":"x","name":"x"}`, 403, "forbidden", "", ""},
			{"reader reads", "GET", "/v1/roles/member", reader, "", 200, "", "", ""},
			{"reader cannot create", "POST", "/v1/roles", reader, `{"slug":"x","name":"x"}`, 403, "forbidden", "required_scope", "roles:write"},
			{"reader cannot delete", "DELETE", "/v1/roles/billing", reader, "", 403, "forbidden", "required_scope", ""},
			{"support reads", "GET", "/v1/roles/member", support, "", 200, "", "", ""},
			{"support cannot patch", "PATCH", "/v1/roles/billing", support, `{"name":"x"}`, 403, "forbidden", "", ""},
		})

		t.Run("get by id", func(t *testing.T) {
			var r role
			e.Call(t, "GET", "/v1/roles/billing", sk, "").Data(t, &r)
			var again role
			e.Call(t, "GET", "/v1/roles/"+r.ID, sk, "").Data(t, &again)
			if again.Slug != "billing" || !strings.HasPrefix(r.ID, "role_") {
				t.Fatalf("by id %s: %+v", r.ID, again)
			}
		})
		t.Run("moving the default", func(t *testing.T) {
			r := e.Call(t, "PATCH", "/v1/roles/billing", sk, `{"is_default":true}`)
			r.Expect(t, 200, "")
			if got := defaults(e.roles(t, sk)); strings.Join(got, ",") != "billing" {
				t.Fatalf("defaults %v, want [billing]", got)
			}
			e.Call(t, "POST", "/v1/roles", sk, `{"slug":"newcomer","name":"Newcomer","is_default":true}`).Expect(t, 201, "")
			if got := defaults(e.roles(t, sk)); strings.Join(got, ",") != "newcomer" {
				t.Fatalf("defaults %v, want [newcomer]", got)
			}
			e.Call(t, "DELETE", "/v1/roles/billing", sk, "").Expect(t, 200, "")
		})
		t.Run("events", func(t *testing.T) {
			want := map[string]int{"role.created": 4, "role.updated": 4, "role.deleted": 2}
			for typ, n := range want {
				if got := len(e.events(t, sk, "type="+typ)); got != n {
					t.Errorf("%d live %s events, want %d", got, typ, n)
				}
			}
			if test := e.events(t, skTest, "type=role.created"); len(test) != 0 {
				t.Fatalf("test-mode role.created events: %+v", test)
			}
			e.Call(t, "GET", "/v1/roles/tester", sk, "").Expect(t, 404, "role.not_found")
			renamed := e.events(t, sk, "type=role.updated")[3]
			var prev map[string]any
			if err := json.Unmarshal(renamed.PreviousAttributes, &prev); err != nil {
				t.Fatal(err)
			}
			if prev["name"] != "Billing" || prev["permissions"] == nil || !strings.Contains(string(renamed.Data), `"name":"Billing team"`) {
				t.Fatalf("role.updated of the rename: data %s, previous %s", renamed.Data, renamed.PreviousAttributes)
			}
			// Moving the default records the role that lost the flag too,
			// before the role that took it.
			lost := e.events(t, sk, "type=role.updated")[2]
			if !strings.Contains(string(lost.Data), `"slug":"member"`) || !strings.Contains(string(lost.PreviousAttributes), `"is_default":true`) {
				t.Fatalf("the old default's event: %s %s", lost.Data, lost.PreviousAttributes)
			}
		})
	})
}

// TestOneDefaultRoleUnderConcurrency makes several roles the default at
// once: every request succeeds and exactly one role is the default after.
func TestOneDefaultRoleUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk := e.key(true, db.KeySecret)
		slugs := []string{"a", "b", "c", "d", "e", "f"}
		for _, s := range slugs {
			e.Call(t, "POST", "/v1/roles", sk, `{"slug":"`+s+`","name":"`+s+`"}`).Expect(t, 201, "")
		}
		for round := range 3 {
			rs := e.Race(t, len(slugs), func(i int) (string, string, string, string) {
				body := `{"is_default":true}`
				if i%2 == round%2 {
					body = `{"is_default":true,"name":"renamed"}`
				}
				return "PATCH", "/v1/roles/" + slugs[i], sk, body
			})
			for _, r := range rs {
				r.Expect(t, 200, "")
			}
			if got := defaults(e.roles(t, sk)); len(got) != 1 {
				t.Fatalf("round %d: default roles %v, want exactly one", round, got)
			}
		}
	})
}

// TestPermissions walks every rule and error of /v1/permissions.
func TestPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk, skTest := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		pk := e.key(false, db.KeyPublishable)
		reader := e.key(true, db.KeySecret, "roles:read")
		other := e.keyIn(dbtest.Workspace(t, d, "Globex"), true, db.KeySecret)
		e.Call(t, "POST", "/v1/permissions", sk, `{"key":"direct.only"}`).Expect(t, 201, "")
		e.holdRole(t, e.ws.Test(), "member", "direct.only")

		e.run(t, []apiCase{
			{"create", "POST", "/v1/permissions", sk, `{"key":" reports.read ","description":"See reports"}`, 201, "", "", `"id":"reports.read"`},
			{"create with a colon", "POST", "/v1/permissions", sk, `{"key":"billing:export"}`, 201, "", "", `"key":"billing:export"`},
			{"test mode creates none", "POST", "/v1/permissions", skTest, `{"key":"test.only"}`, 403, "forbidden", "reason", `"live_only"`},
			{"test mode deletes none", "DELETE", "/v1/permissions/billing:export", skTest, "", 403, "forbidden", "reason", `"live_only"`},
			{"duplicate", "POST", "/v1/permissions", sk, `{"key":"reports.read"}`, 409, "permission.already_exists", "key", ""},
			{"duplicate of the default catalog", "POST", "/v1/permissions", sk, `{"key":"members.read"}`, 409, "permission.already_exists", "key", ""},
			{"another workspace may have it", "POST", "/v1/permissions", other, `{"key":"reports.read"}`, 201, "", "", ""},
			{"no key", "POST", "/v1/permissions", sk, `{"description":"x"}`, 400, "validation_error", "key", ""},
			{"key with capitals", "POST", "/v1/permissions", sk, `{"key":"Reports"}`, 400, "validation_error", "key", ""},
			{"key with a space", "POST", "/v1/permissions", sk, `{"key":"a b"}`, 400, "validation_error", "key", ""},
			{"key too long", "POST", "/v1/permissions", sk, `{"key":"k` + strings.Repeat("x", 64) + `"}`, 400, "validation_error", "key", ""},
			{"description too long", "POST", "/v1/permissions", sk, `{"key":"x","description":"` + strings.Repeat("x", 1001) + `"}`, 400, "validation_error", "description", ""},
			{"get", "GET", "/v1/permissions/reports.read", sk, "", 200, "", "", `"description":"See reports"`},
			{"get with a colon", "GET", "/v1/permissions/billing:export", sk, "", 200, "", "", ""},
			{"get with the colon escaped, as generated clients send it", "GET", "/v1/permissions/billing%3Aexport", sk, "", 200, "", "", `"key":"billing:export"`},
			{"get unknown", "GET", "/v1/permissions/nope", sk, "", 404, "permission.not_found", "id", ""},
			{"other workspace does not see it", "GET", "/v1/permissions/direct.only", other, "", 404, "permission.not_found", "", ""},
			{"delete held by a role", "DELETE", "/v1/permissions/billing.manage", sk, "", 409, "permission.in_use", "key", ""},
			{"a system key, held or not", "DELETE", "/v1/permissions/org.manage", sk, "", 409, "permission.system", "key", ""},
			{"delete held by a membership", "DELETE", "/v1/permissions/direct.only", sk, "", 409, "permission.in_use", "key", ""},
			{"delete", "DELETE", "/v1/permissions/reports.read", sk, "", 200, "", "", ""},
			{"deleted is gone", "GET", "/v1/permissions/reports.read", sk, "", 404, "permission.not_found", "", ""},
			{"delete with a colon", "DELETE", "/v1/permissions/billing:export", sk, "", 200, "", "", ""},
			{"delete unknown", "DELETE", "/v1/permissions/nope", sk, "", 404, "permission.not_found", "", ""},
			{"publishable lists", "GET", "/v1/permissions", pk, "", 200, "", "", `"key":"org.manage"`},
			{"publishable gets none", "GET", "/v1/permissions/org.manage", pk, "", 403, "forbidden", "", ""},
			{"publishable creates none", "POST", "/v1/permissions", pk, `{"key":"x"}`, 403, "forbidden", "", ""},
			{"reader cannot create", "POST", "/v1/permissions", reader, `{"key":"x"}`, 403, "forbidden", "required_scope", "roles:write"},
			{"reader cannot delete", "DELETE", "/v1/permissions/direct.only", reader, "", 403, "forbidden", "required_scope", ""},
		})
		t.Run("a permission of the catalog can be given to a role", func(t *testing.T) {
			e.Call(t, "POST", "/v1/permissions", sk, `{"key":"reports.read"}`).Expect(t, 201, "")
			e.Call(t, "PATCH", "/v1/roles/owner", sk, `{"permissions":["org.manage","reports.read"]}`).Expect(t, 200, "")
			e.Call(t, "DELETE", "/v1/permissions/reports.read", sk, "").Expect(t, 409, "permission.in_use")
		})
		t.Run("events", func(t *testing.T) {
			for _, tc := range []struct {
				token, typ string
				n          int
			}{{sk, "permission.created", 4}, {sk, "permission.deleted", 2}, {skTest, "permission.created", 0}, {skTest, "permission.deleted", 0}} {
				evs := e.events(t, tc.token, "type="+tc.typ)
				if len(evs) != tc.n {
					t.Errorf("%d %s events, want %d: %+v", len(evs), tc.typ, tc.n, evs)
				}
			}
			deleted := e.events(t, sk, "type=permission.deleted")[1]
			if deleted.TargetID != "reports.read" || !strings.Contains(string(deleted.Data), `"description":"See reports"`) {
				t.Fatalf("permission.deleted: %+v %s", deleted, deleted.Data)
			}
		})
	})
}
