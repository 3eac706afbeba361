package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

func TestActivityPageSentences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		m := f.invited("rita@example.com") // by the API key named "test"
		f.b.Post(f.path(m.ID, "role"), url.Values{"role": {"admin"}, "version": {f.version(t, m.ID)}}).Expect(t, 303)
		if _, err := d.UpdateMembership(context.Background(), f.ws.Live(), db.MembershipRef{ID: m.ID}, db.MembershipChange{Add: []string{"org.manage"}}); err != nil {
			t.Fatal(err)
		}

		page := f.b.Get("/activity").Expect(t, 200)
		link := ` in <a href="/accounts/` + f.acct + `">Shop</a>`
		page.Has(t,
			"<strong>"+f.ws.OwnerEmail+"</strong> changed the role of rita@example.com from Member to Admin"+link,
			"<strong>The key test</strong> invited rita@example.com as Member"+link,
			"<strong>Roster</strong> changed the direct permissions of rita@example.com"+link, // no actor in the context: the system
			`<span class="field">Role</span>: <del>Member</del> → <ins>Admin</ins>`,
			`<span class="field">Permissions</span>: <del>none</del> → <ins>org.manage</ins>`,
			"<summary>Raw event data</summary>",
			`<option value="membership.updated">Member&#39;s role or permissions changed</option>`)
		// Only what changed: no timestamps, no derived lists, no raw role objects.
		page.Lacks(t, `<span class="field">updated_at`, `<span class="field">effective_permissions`, `<del>{`)

		// Filtered by an action, said in words.
		f.b.Get("/activity?type=invitation.sent").Has(t, "invited rita@example.com", `value="invitation.sent" selected>Invitation sent</option>`).
			Lacks(t, "changed the role of")
	})
}

func TestActivityPageNamesOnePageInOneQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			f.invited(email)
		}
		evs, err := d.ListEvents(context.Background(), f.ws.Live(), db.EventFilter{}, db.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		names, err := d.NamesOfEvents(context.Background(), f.ws.Live(), evs, []string{f.ws.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if names[f.acct] != "Shop" || names[f.ws.UserID] != f.ws.OwnerEmail {
			t.Fatalf("names %v", names)
		}
		for _, e := range evs {
			if e.Actor.Type == "api_key" && names[e.Actor.ID] != "test" {
				t.Fatalf("the key %s is named %q", e.Actor.ID, names[e.Actor.ID])
			}
		}
		// Test mode's page names nothing of live mode.
		test, err := d.NamesOfEvents(context.Background(), db.Scope{WorkspaceID: f.ws.WorkspaceID, Live: false}, evs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if test[f.acct] != "" || strings.Contains(strings.Join(mapValues(test), ","), "test") {
			t.Fatalf("test mode named live objects: %v", test)
		}
	})
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// A member acting on their own account (the self-service actor "member")
// is named by their email, through their membership.
func TestActivityPageNamesMemberActors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		m := f.invited("mia@example.com")
		if _, err := d.Exec(d.Rebind(`UPDATE events SET actor_type = 'member', actor_id = ? WHERE membership_id = ? AND type = 'invitation.sent'`), m.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		f.b.Get("/activity?type=invitation.sent").Expect(t, 200).Has(t, "<strong>mia@example.com</strong> invited mia@example.com as Member")
	})
}
