package handlers

import (
	"context"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// AccountStore is what the account handlers need of the database.
type AccountStore interface {
	ListAccounts(ctx context.Context, sc db.Scope, q string, page db.Page) ([]db.Account, error)
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
	CreateAccount(ctx context.Context, sc db.Scope, in db.AccountInput) (db.Account, error)
	RenameAccount(ctx context.Context, sc db.Scope, id string, in db.AccountInput) (db.Account, error)
	UpdateAccount(ctx context.Context, sc db.Scope, id string, ch db.AccountChange) (db.Account, error)
	DeleteAccount(ctx context.Context, sc db.Scope, id string, ifMatch db.IfMatch) error
	TransferOwnership(ctx context.Context, sc db.Scope, accountID string, in db.TransferInput) (db.OwnershipTransfer, error)
}

// Accounts serves /v1/accounts.
type Accounts struct {
	Store AccountStore
}

type accountBody struct {
	Name      string         `json:"name"`
	SeatLimit jsontext.Value `json:"seat_limit"`
}

// patchAccountBody is the body of PATCH /v1/accounts/{id}: each field
// optional.
type patchAccountBody struct {
	Name      *string        `json:"name"`
	SeatLimit jsontext.Value `json:"seat_limit"`
}

// seatLimitOf reads a seat_limit member: given says whether the body has
// one, limit is nil for null (unlimited).
func seatLimitOf(raw jsontext.Value) (limit *int, given bool, err error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if err := json.Unmarshal(raw, &limit); err != nil {
		return nil, true, db.Invalid(map[string]string{"seat_limit": "must be null (unlimited) or a whole number from 0"})
	}
	return limit, true, nil
}

// List answers GET /v1/accounts.
func (h *Accounts) List(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	rows, err := h.Store.ListAccounts(ctx(c), PrincipalOf(c).Scope, c.Query("q"), p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(a db.Account) string { return a.ID })
}

// Create answers POST /v1/accounts.
func (h *Accounts) Create(c *fiber.Ctx) error {
	var b accountBody
	if err := decode(c, &b); err != nil {
		return err
	}
	limit, _, err := seatLimitOf(b.SeatLimit)
	if err != nil {
		return err
	}
	a, err := h.Store.CreateAccount(ctx(c), PrincipalOf(c).Scope, db.AccountInput{Name: b.Name, SeatLimit: limit})
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusCreated, a, a.Version)
}

// Get answers GET /v1/accounts/{id}.
func (h *Accounts) Get(c *fiber.Ctx) error {
	a, err := h.Store.Account(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, a, a.Version)
}

// Rename answers PATCH (and POST) /v1/accounts/{id}: the name, the seat
// limit, or both, honouring If-Match.
func (h *Accounts) Rename(c *fiber.Ctx) error {
	var b patchAccountBody
	if err := decode(c, &b); err != nil {
		return err
	}
	limit, given, err := seatLimitOf(b.SeatLimit)
	if err != nil {
		return err
	}
	ch := db.AccountChange{Name: b.Name, SetSeatLimit: given, SeatLimit: limit, IfMatch: ifMatchOf(c)}
	a, err := h.Store.UpdateAccount(ctx(c), PrincipalOf(c).Scope, c.Params("id"), ch)
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, a, a.Version)
}

// Delete answers DELETE /v1/accounts/{id}.
func (h *Accounts) Delete(c *fiber.Ctx) error {
	if err := h.Store.DeleteAccount(ctx(c), PrincipalOf(c).Scope, c.Params("id"), ifMatchOf(c)); err != nil {
		return err
	}
	return writeVoid(c)
}

// transferBody is the body of POST /v1/accounts/{id}/transfer-ownership.
type transferBody struct {
	ToMembershipID    string `json:"to_membership_id"`
	FromMembershipID  string `json:"from_membership_id"`
	PreviousOwnerRole string `json:"previous_owner_role"`
}

// TransferOwnership answers POST /v1/accounts/{id}/transfer-ownership,
// honouring If-Match with the account's ETag; the answer carries the
// account's new ETag.
func (h *Accounts) TransferOwnership(c *fiber.Ctx) error {
	var b transferBody
	if err := decode(c, &b); err != nil {
		return err
	}
	in := db.TransferInput{To: b.ToMembershipID, From: b.FromMembershipID, PreviousOwnerRole: b.PreviousOwnerRole, IfMatch: ifMatchOf(c)}
	t, err := h.Store.TransferOwnership(ctx(c), PrincipalOf(c).Scope, c.Params("id"), in)
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, t, t.AccountVersion)
}
