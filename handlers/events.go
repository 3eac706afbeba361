package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// EventStore is what the event handlers need of the database.
type EventStore interface {
	ListEvents(ctx context.Context, sc db.Scope, f db.EventFilter, page db.Page) ([]db.Event, error)
	EventByID(ctx context.Context, sc db.Scope, id string) (db.Event, error)
}

// Events serves /v1/events: the audit trail of the credential's mode.
type Events struct {
	Store EventStore
}

// List answers GET /v1/events: newest first, filtered by account_id,
// membership_id and type.
func (h *Events) List(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	f := db.EventFilter{
		AccountID:    c.Query("account_id"),
		MembershipID: c.Query("membership_id"),
		Type:         c.Query("type"),
	}
	rows, err := h.Store.ListEvents(ctx(c), PrincipalOf(c).Scope, f, p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(e db.Event) string { return e.ID })
}

// Get answers GET /v1/events/{id}.
func (h *Events) Get(c *fiber.Ctx) error {
	e, err := h.Store.EventByID(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, e)
}
