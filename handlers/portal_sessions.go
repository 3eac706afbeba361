package handlers

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// PortalSessionStore is what POST /v1/portal-sessions needs of the
// database.
type PortalSessionStore interface {
	CreatePortalSession(ctx context.Context, sc db.Scope, in db.NewPortalSession) (db.PortalSession, error)
}

// PortalSessions serves POST /v1/portal-sessions: links to the hosted
// members page, served under BaseURL.
type PortalSessions struct {
	Store   PortalSessionStore
	BaseURL string
}

type portalSessionBody struct {
	AccountID   string `json:"account_id"`
	UserID      string `json:"user_id"`
	Email       string `json:"email"`
	ReturnURL   string `json:"return_url"`
	ReturnLabel string `json:"return_label"`
}

// Create answers POST /v1/portal-sessions: 201 with the link, which holds
// a secret and is not to be stored by any cache.
func (h *PortalSessions) Create(c *fiber.Ctx) error {
	var b portalSessionBody
	if err := decode(c, &b); err != nil {
		return err
	}
	base := strings.TrimRight(h.BaseURL, "/")
	ps, err := h.Store.CreatePortalSession(ctx(c), PrincipalOf(c).Scope, db.NewPortalSession{
		AccountID: b.AccountID, UserID: b.UserID, Email: b.Email, ReturnURL: b.ReturnURL, ReturnLabel: b.ReturnLabel,
		URL: func(token string) string { return base + "/portal/" + token },
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return writeOne(c, fiber.StatusCreated, ps)
}
