package handlers

import (
	"encoding/json"
	"fmt"
	"testing"

	"roster/db"
)

func TestEventSentences(t *testing.T) {
	admin := `{"id":"role_2","slug":"admin","name":"Admin","is_default":false}`
	member := `{"id":"role_1","slug":"member","name":"Member","is_default":true}`
	bob := `"user":{"email":"bob@example.com"}`
	for _, c := range []struct {
		typ, prev, now, what, changes string
	}{
		{"membership.updated", `{"role":` + member + `,"effective_permissions":["a"],"updated_at":"2026-01-01T00:00:00Z"}`,
			`{"role":` + admin + `,"effective_permissions":["a","b"],"updated_at":"2026-01-02T00:00:00Z",` + bob + `}`,
			"changed the role of bob@example.com from Member to Admin", "[{Role Member Admin}]"},
		{"membership.updated", `{"permissions":[],"updated_at":"x"}`, `{"permissions":["org.manage"],` + bob + `}`,
			"changed the direct permissions of bob@example.com", "[{Permissions none org.manage}]"},
		{"membership.deleted", `null`, `{` + bob + `}`, "removed bob@example.com", "[]"},
		{"invitation.sent", `null`, `{"role":` + member + `,` + bob + `}`, "invited bob@example.com as Member", "[]"},
		{"invitation.sent", `{"invitation":{"expires_at":"x"},"updated_at":"x"}`, `{"role":` + member + `,` + bob + `}`, "resent the invitation of bob@example.com", "[]"},
		{"role.updated", `{"is_default":false,"updated_at":"x"}`, `{"name":"Admin","is_default":true}`, "made Admin the default role", "[{Default role no yes}]"},
		{"role.updated", `{"is_default":true,"updated_at":"x"}`, `{"name":"Member","is_default":false}`, "Member stopped being the default role", "[{Default role yes no}]"},
		{"workspace_membership.updated", `{"role":"support"}`, `{"role":"admin",` + bob + `}`, "changed the console role of bob@example.com from support to admin", "[{Role support admin}]"},
		{"api_key.rolled", `{"expires_at":null}`, `{"kind":"secret","name":"Billing","expires_at":null}`, "rolled the secret key Billing", "[]"},
		{"account.updated", `{"name":"Old"}`, `{"name":"New"}`, "renamed the account Old to", "[{Name Old New}]"},
		{"something.new", `null`, `{}`, "something.new", "[]"},
	} {
		prev, now := parseObject(json.RawMessage(c.prev)), parseObject(json.RawMessage(c.now))
		if got := eventWhat(c.typ, prev, now); got != c.what {
			t.Errorf("%s: %q, want %q", c.typ, got, c.what)
		}
		if got := fmt.Sprint(fieldChanges(prev, now)); got != c.changes {
			t.Errorf("%s: changes %s, want %s", c.typ, got, c.changes)
		}
	}
}

func TestEventWho(t *testing.T) {
	names := db.EventNames{"usr_1": "ana@example.com", "key_1": "Billing", "am_1": "mia@example.com"}
	for _, c := range []struct {
		actor db.Actor
		want  string
	}{
		{db.Actor{Type: "user", ID: "usr_1"}, "ana@example.com"},
		{db.Actor{Type: "api_key", ID: "key_1"}, "The key Billing"},
		{db.Actor{Type: "api_key", ID: "key_gone"}, "An API key"},
		{db.Actor{Type: "system", ID: "roster"}, "Roster"},
		{db.Actor{Type: "member", ID: "am_1"}, "mia@example.com"},
		{db.Actor{Type: "user", ID: "usr_gone"}, "user usr_gone"},
	} {
		if got := eventWho(c.actor, names); got != c.want {
			t.Errorf("%+v: %q, want %q", c.actor, got, c.want)
		}
	}
}
