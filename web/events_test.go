package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestEvents reads the audit trail: newest first, page by page, filtered,
// and only of the credential's workspace and mode.
func TestEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sk, skTest := e.key(true, db.KeySecret), e.key(false, db.KeySecret)
		addStaff(t, d, e.ws, "support@acme.example", db.RoleSupport)
		support := jwtFor(t, "support@acme.example", false)
		eventsKey, rolesKey := e.key(true, db.KeySecret, "events:read"), e.key(true, db.KeySecret, "roles:read")
		pk := e.key(true, db.KeyPublishable)
		globex := dbtest.Workspace(t, d, "Globex")
		other := e.keyIn(globex, true, db.KeySecret)
		e.createAccount(other, "Globex shop")

		live, test := e.createAccount(sk, "Live shop"), e.createAccount(skTest, "Test shop")
		rename := e.Call(t, "PATCH", "/v1/accounts/"+live, sk, `{"name":"Live shop 2"}`)
		rename.Expect(t, 200, "")
		e.createAccount(sk, "Another shop")
		const am = "am_01HQZC8G2T9YX5J8VQBW3KPQR7"
		if _, err := d.Exec(d.Rebind(`INSERT INTO events (id, workspace_id, livemode, type, actor_type, actor_id, account_id, membership_id, target_id, data, created_at)
			VALUES (?, ?, ?, 'membership.created', 'system', 'roster', ?, ?, ?, '{}', ?)`),
			db.NewID("evt"), e.ws.WorkspaceID, true, live, am, am, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}

		all := e.events(t, sk, "")
		t.Run("newest first, live only", func(t *testing.T) {
			var types []string
			for i, ev := range all {
				types = append(types, ev.Type)
				if !ev.Livemode || (i > 0 && ev.ID >= all[i-1].ID) {
					t.Fatalf("event %d out of order or of test mode: %+v", i, ev)
				}
			}
			// The setup's staff change and key creations are live too.
			want := []string{"membership.created", "account.created", "account.updated", "account.created"}
			if len(types) < 4 || !slices.Equal(types[:4], want) {
				t.Fatalf("types %v, want them to start with %v", types, want)
			}
		})
		t.Run("test mode sees its own", func(t *testing.T) {
			var types []string
			for _, ev := range e.events(t, skTest, "") {
				types = append(types, ev.Type+" "+ev.TargetID)
				if ev.Livemode {
					t.Fatalf("live event in test mode: %+v", ev)
				}
			}
			if !slices.Contains(types, "account.created "+test) || slices.ContainsFunc(types, func(s string) bool { return strings.Contains(s, live) }) {
				t.Fatalf("test-mode events %v", types)
			}
		})
		t.Run("another workspace sees none", func(t *testing.T) {
			for _, ev := range e.events(t, other, "") {
				if ev.AccountID != nil && (*ev.AccountID == live || *ev.AccountID == test) {
					t.Fatalf("Globex sees %+v", ev)
				}
			}
			e.Call(t, "GET", "/v1/events/"+all[0].ID, other, "").Expect(t, 404, "event.not_found")
		})
		t.Run("pages", func(t *testing.T) {
			var want []string
			for _, ev := range all {
				want = append(want, ev.ID)
			}
			if ids := e.walk(t, "/v1/events", sk, 3); !slices.Equal(ids, want) {
				t.Fatalf("pages gave %v, want %v", ids, want)
			}
		})
		for _, tc := range []struct {
			name, query string
			want        []string // types, newest first
		}{
			{"by account", "account_id=" + live, []string{"membership.created", "account.updated", "account.created"}},
			{"by type", "type=account.updated", []string{"account.updated"}},
			{"by membership", "membership_id=" + am, []string{"membership.created"}},
			{"by account and type", "account_id=" + live + "&type=account.created", []string{"account.created"}},
			{"another mode's account", "account_id=" + test, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var types []string
				for _, ev := range e.events(t, sk, tc.query) {
					types = append(types, ev.Type)
				}
				if !slices.Equal(types, tc.want) {
					t.Fatalf("types %v, want %v", types, tc.want)
				}
			})
		}
		t.Run("one event", func(t *testing.T) {
			renamed := e.events(t, sk, "type=account.updated")[0]
			r := e.Call(t, "GET", "/v1/events/"+renamed.ID, sk, "")
			r.Expect(t, 200, "")
			var ev event
			r.Data(t, &ev)
			k, err := d.APIKeyBySecret(context.Background(), sk)
			if err != nil {
				t.Fatal(err)
			}
			if ev.RequestID != rename.Header.Get("Request-Id") || ev.Actor.Type != "api_key" || ev.Actor.ID != k.ID ||
				!strings.Contains(string(ev.PreviousAttributes), `"name":"Live shop"`) || !strings.Contains(string(ev.Data), `"name":"Live shop 2"`) {
				t.Fatalf("event %s", r.Raw)
			}
			e.Call(t, "GET", "/v1/events/"+renamed.ID, skTest, "").Expect(t, 404, "event.not_found")
			e.Call(t, "GET", "/v1/events/evt_nope", sk, "").Expect(t, 404, "event.not_found")
		})
		for _, tc := range []struct {
			name, path, token string
			status            int
			typ               string
		}{
			{"events key reads", "/v1/events", eventsKey, 200, ""},
			{"events key reads one", "/v1/events/" + all[0].ID, eventsKey, 200, ""},
			{"roles key reads none", "/v1/events", rolesKey, 403, "forbidden"},
			{"publishable reads none", "/v1/events", pk, 403, "forbidden"},
			{"support reads", "/v1/events", support, 200, ""},
			{"no credential", "/v1/events", "", 401, "unauthorized"},
			{"bad limit", "/v1/events?limit=500", sk, 400, "validation_error"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.Call(t, "GET", tc.path, tc.token, "").Expect(t, tc.status, tc.typ)
			})
		}
	})
}
