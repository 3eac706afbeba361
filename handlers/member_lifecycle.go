package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// Deactivate answers POST /accounts/{id}/members/{mid}/deactivate (and
// the portal's): the member keeps their role and permissions but is
// granted nothing until reactivated.
func (h *MemberPages) Deactivate(c *fiber.Ctx) error {
	f := formOf(c, "version")
	m, err := h.Store.Deactivate(ctx(c), PrincipalOf(c).Scope, rowRef(c), versionOf(f))
	return h.rowDone(c, views.ActDeactivate, f, m, err,
		"Deactivated "+m.User.Email+": they keep their role and permissions but are granted nothing until reactivated.")
}

// Reactivate answers POST /accounts/{id}/members/{mid}/reactivate.
func (h *MemberPages) Reactivate(c *fiber.Ctx) error {
	f := formOf(c, "version")
	m, err := h.Store.Reactivate(ctx(c), PrincipalOf(c).Scope, rowRef(c), versionOf(f))
	return h.rowDone(c, views.ActReactivate, f, m, err, "Reactivated "+m.User.Email+": they have their role and permissions again.")
}

// SetExpiry answers POST /accounts/{id}/members/{mid}/expiry: the time
// (UTC) the membership ends by itself, none when empty.
func (h *MemberPages) SetExpiry(c *fiber.Ctx) error {
	f := formOf(c, "version", "expires_at")
	at, err := formExpiry(f)
	var m db.Membership
	if err == nil {
		m, err = h.Store.UpdateMembership(ctx(c), PrincipalOf(c).Scope, rowRef(c),
			db.MembershipChange{Expiry: &db.Expiry{At: at}, IfMatch: versionOf(f)})
	}
	note := m.User.Email + " stays a member with no end."
	if m.ExpiresAt != nil {
		note = m.User.Email + "'s membership ends " + views.When(*m.ExpiresAt) + "."
	}
	return h.rowDone(c, views.ActExpiry, f, m, err, note)
}

// formExpiry reads a form's expires_at (RFC 3339 or a datetime-local
// value, in UTC; nil when empty), refusing what is no time as the stores
// refuse a bad field.
func formExpiry(f views.Form) (*time.Time, error) {
	at, err := ParseExpiry(f.Value("expires_at"))
	if err != nil {
		return nil, db.Invalid(map[string]string{"expires_at": "must be a date and time, like 2026-01-15 10:00"})
	}
	return at, nil
}

// lifecycleSays are the members table's words for the lifecycle's
// refusals of a row's action.
func lifecycleSays(action string) []saying {
	return []saying{
		{db.ErrNotActive, action, "Only an active member can be deactivated, and only an inactive one reactivated: " +
			"revoke an invitation instead, or move an expired member's end later."},
		{db.ErrOwnerCannotExpire, action, "An owner's membership cannot end by itself: give them another role first, or leave the end empty."},
	}
}

// formExpiryField reads the optional expires_at of an invite or link
// form, putting a value that is no time next to the field.
func formExpiryField(f views.Form) *time.Time {
	at, err := ParseExpiry(f.Value("expires_at"))
	if err != nil {
		f.Errors["expires_at"] = "The end must be a date and time, like 2026-01-15 10:00."
	}
	return at
}
