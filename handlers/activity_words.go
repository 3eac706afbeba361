package handlers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"roster/db"
	"roster/views"
)

// eventWords are the action types of the activity page's filter, in words.
var eventWords = map[string]string{
	"account.created":               "Account created",
	"account.updated":               "Account renamed or its seat limit changed",
	"account.ownership_transferred": "Ownership transferred",
	"account.deleted":               "Account deleted",
	"membership.created":            "Member added",
	"membership.updated":            "Member's role or permissions changed",
	"membership.deleted":            "Member removed",
	"invitation.sent":               "Invitation sent",
	"invitation.accepted":           "Invitation accepted",
	"invitation.revoked":            "Invitation revoked",
	"role.created":                  "Role created",
	"role.updated":                  "Role changed",
	"role.deleted":                  "Role deleted",
	"permission.created":            "Permission added",
	"permission.deleted":            "Permission deleted",
	"api_key.created":               "API key created",
	"api_key.revoked":               "API key revoked",
	"api_key.rolled":                "API key rolled",
	"workspace_membership.created":  "Staff member added",
	"workspace_membership.updated":  "Staff member's console role changed",
	"workspace_membership.deleted":  "Staff member removed",
	"webhook_endpoint.created":      "Webhook endpoint added",
	"webhook_endpoint.updated":      "Webhook endpoint changed",
	"webhook_endpoint.deleted":      "Webhook endpoint deleted",
	"webhook_endpoint.disabled":     "Webhook endpoint disabled by Roster",
	"webhook_endpoint.test":         "Webhook test event sent",
	"domain.created":                "Email domain added",
	"domain.updated":                "Email domain changed or not verified",
	"domain.verified":               "Email domain verified",
	"domain.deleted":                "Email domain removed",
	"membership.deactivated":        "Member deactivated",
	"membership.reactivated":        "Member reactivated",
	"membership.expiring":           "Member told their membership ends within seven days",
	"membership.expired":            "Membership expired",
}

// eventWord is an action type in words; a type without words is shown as
// it is.
func eventWord(typ string) string {
	if w, ok := eventWords[typ]; ok {
		return w
	}
	return typ
}

// eventActions are the filter's choices: each type of the mode's events,
// in words.
func eventActions(types []string) []views.EventAction {
	out := make([]views.EventAction, 0, len(types))
	for _, t := range types {
		out = append(out, views.EventAction{Type: t, Words: eventWord(t)})
	}
	return out
}

// noiseFields change with every change and say nothing to people (a
// resent invitation says so in its sentence).
var noiseFields = []string{"updated_at", "effective_permissions", "version", "seats_used", "invitation"}

// fieldLabels name an event's fields as the console does.
var fieldLabels = map[string]string{
	"role": "Role", "permissions": "Permissions", "is_default": "Default role", "name": "Name",
	"description": "Description", "status": "Status", "revoked_at": "Revoked", "expires_at": "Expires",
	"user": "Person", "scopes": "Scopes",
}

// object is an event's JSON object, read generically.
type object map[string]any

// parseObject reads raw as an object; anything else is an empty one.
func parseObject(raw json.RawMessage) object {
	var o object
	_ = json.Unmarshal(raw, &o)
	return o
}

// text is the field as people read it: a string as it is, an object by
// its name (a role), a list joined, nothing as a dash.
func (o object) text(field string) string { return valueText(o[field]) }

func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return views.When(t)
		}
		return v
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case []any:
		if len(v) == 0 {
			return "none"
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = valueText(x)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if n, ok := v["name"].(string); ok {
			return n
		}
		if e, ok := v["email"].(string); ok {
			return e
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// email is the person an object is about: a membership's or a staff
// member's user.
func (o object) email() string {
	if u, ok := o["user"].(map[string]any); ok {
		if e, ok := u["email"].(string); ok {
			return e
		}
	}
	return "someone"
}

// fieldChanges are the fields that changed, before → after, without the
// noise of timestamps and derived lists.
func fieldChanges(prev, now object) []views.Change {
	var out []views.Change
	for _, f := range sortedKeys(prev) {
		if slices.Contains(noiseFields, f) {
			continue
		}
		before, after := prev.text(f), now.text(f)
		if before == after {
			continue
		}
		label := fieldLabels[f]
		if label == "" {
			label = f
		}
		out = append(out, views.Change{Field: label, Before: before, After: after})
	}
	return out
}

// eventWhat is what an event did, in words, to whom or what: the middle of
// its sentence, after who did it.
func eventWhat(typ string, prev, now object) string {
	noun, verb, _ := strings.Cut(typ, ".")
	switch noun {
	case "membership", "invitation":
		return membershipWhat(verb, prev, now)
	case "workspace_membership":
		return staffWhat(verb, prev, now)
	case "role":
		return roleWhat(verb, prev, now)
	case "permission":
		return map[string]string{"created": "added the permission ", "deleted": "deleted the permission "}[verb] + now.text("key")
	case "api_key":
		return verbPast(verb) + " the " + now.text("kind") + " key " + keyTitle(now)
	case "domain":
		return domainWhat(verb, now)
	case "account": // the account's name, linked, follows
		if verb == "updated" && prev["name"] != nil {
			return "renamed the account " + prev.text("name") + " to"
		}
		return verbPast(verb) + " the account"
	}
	return typ
}

// domainWhat words the events of an account's email domain.
func domainWhat(verb string, now object) string {
	d := now.text("domain")
	switch verb {
	case "updated":
		if now.text("state") == db.DomainFailed {
			return "did not find the TXT record of the domain " + d
		}
		return "changed the domain " + d
	case "verified":
		return "verified the domain " + d
	case "deleted":
		return "removed the domain " + d
	}
	return "added the domain " + d
}

// membershipWhat words the events of an account's member.
func membershipWhat(verb string, prev, now object) string {
	who := now.email()
	switch verb {
	case "created":
		if now["status"] == db.StatusInvited {
			return "added " + who + " (invited) as " + now.text("role")
		}
		return "added " + who + " as " + now.text("role")
	case "sent":
		if _, resent := prev["invitation"]; resent { // a resend names the invitation it replaced
			return "resent the invitation of " + who
		}
		return "invited " + who + " as " + now.text("role")
	case "accepted":
		return "recorded that " + who + " accepted the invitation"
	case "revoked":
		return "revoked the invitation of " + who
	case "deleted":
		return "removed " + who
	}
	var parts []string
	if _, ok := prev["role"]; ok && prev.text("role") != now.text("role") {
		parts = append(parts, "changed the role of "+who+" from "+prev.text("role")+" to "+now.text("role"))
	}
	if _, ok := prev["permissions"]; ok {
		parts = append(parts, "changed the direct permissions of "+who)
	}
	if len(parts) == 0 {
		return "changed " + who
	}
	return strings.Join(parts, " and ")
}

// staffWhat words the events of the workspace's staff.
func staffWhat(verb string, prev, now object) string {
	who := now.email()
	switch verb {
	case "created":
		return "added " + who + " to the team as " + now.text("role")
	case "deleted":
		return "removed " + who + " from the team"
	}
	return "changed the console role of " + who + " from " + prev.text("role") + " to " + now.text("role")
}

// roleWhat words the events of a role.
func roleWhat(verb string, prev, now object) string {
	name := now.text("name")
	if verb != "updated" {
		return verbPast(verb) + " the role " + name
	}
	if d, ok := prev["is_default"].(bool); ok && len(fieldChanges(prev, now)) == 1 {
		if d {
			return name + " stopped being the default role"
		}
		return "made " + name + " the default role"
	}
	if _, ok := prev["name"]; ok {
		return "renamed the role " + prev.text("name") + " to " + name
	}
	return "changed the role " + name
}

// verbPast is an event's verb as its sentence says it: "updated" (and any
// verb without words of its own) is "changed".
func verbPast(verb string) string {
	if slices.Contains([]string{"created", "deleted", "revoked", "rolled"}, verb) {
		return verb
	}
	return "changed"
}

// keyTitle names a key of an event: its name, else its prefix.
func keyTitle(k object) string {
	if n, ok := k["name"].(string); ok && n != "" {
		return n
	}
	return k.text("prefix") + "…"
}

// actorUserID is the user a member actor acts for: self-service events name
// it in the actor's JSON (`user_id`), which the Actor type may not carry
// yet; read through JSON, it is found whenever it is there.
func actorUserID(a db.Actor) string {
	b, err := json.Marshal(a)
	if err != nil {
		return ""
	}
	var fields struct {
		UserID string `json:"user_id"`
	}
	_ = json.Unmarshal(b, &fields)
	return fields.UserID
}

// eventWho is who caused an event: a person's email, a key's name, or
// Roster itself.
func eventWho(a db.Actor, names db.EventNames) string {
	switch a.Type {
	case "system":
		if a.Via == "domain" {
			return "Roster, by email domain,"
		}
		return "Roster"
	case "api_key":
		if n := names[a.ID]; n != "" {
			return "The key " + n
		}
		return "An API key"
	case "member":
		if n := names[actorUserID(a)]; n != "" {
			return n
		}
	}
	if n := names[a.ID]; n != "" {
		return n
	}
	return fmt.Sprintf("%s %s", strings.ReplaceAll(a.Type, "_", " "), a.ID)
}
