package handlers

import (
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// expiryRule is why an expires_at is refused before the store sees it.
const expiryRule = "must be a time in RFC 3339 like 2026-01-15T10:00:00Z, or null"

// expiresAtField is a body's expires_at: absent (nil), null, or an RFC
// 3339 time.
type expiresAtField struct {
	ExpiresAt jsontext.Value `json:"expires_at"`
}

// expiry reads the field: nil when absent, else the new expiry (At nil
// for null); a value that is no RFC 3339 time is noted in bad.
func (f expiresAtField) expiry(bad map[string]string) *db.Expiry {
	if f.ExpiresAt == nil {
		return nil
	}
	if string(f.ExpiresAt) == "null" {
		return &db.Expiry{}
	}
	var text string
	if err := json.Unmarshal(f.ExpiresAt, &text); err != nil {
		bad["expires_at"] = expiryRule
		return nil
	}
	at, err := ParseExpiry(text)
	if err != nil || at == nil {
		bad["expires_at"] = expiryRule
		return nil
	}
	return &db.Expiry{At: at}
}

// ParseExpiry reads an expiry as the API and the forms give it: RFC 3339
// (nil for ""), or a browser's datetime-local value (taken as UTC).
func ParseExpiry(text string) (*time.Time, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	at, err := time.Parse(time.RFC3339, text)
	if err != nil {
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
			if at, err = time.Parse(layout, text); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	at = at.UTC()
	return &at, nil
}

// Deactivate answers POST /v1/account-memberships/{id}/deactivate.
func (h *Memberships) Deactivate(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err // it takes no body: {} or none
	}
	m, err := h.Store.Deactivate(ctx(c), PrincipalOf(c).Scope, refOf(c), ifMatchOf(c))
	if err != nil {
		return err
	}
	return writeMembership(c, fiber.StatusOK, m)
}

// Reactivate answers POST /v1/account-memberships/{id}/reactivate.
func (h *Memberships) Reactivate(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err // it takes no body: {} or none
	}
	m, err := h.Store.Reactivate(ctx(c), PrincipalOf(c).Scope, refOf(c), ifMatchOf(c))
	if err != nil {
		return err
	}
	return writeMembership(c, fiber.StatusOK, m)
}

// expiresBeforeOf reads the list filter expires_before (RFC 3339).
func expiresBeforeOf(c *fiber.Ctx, f *db.MembershipFilter) error {
	text := c.Query("expires_before")
	if text == "" {
		return nil
	}
	at, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return db.Invalid(map[string]string{"expires_before": "must be a time in RFC 3339 like 2026-01-15T10:00:00Z"})
	}
	f.ExpiresBefore = &at
	return nil
}
