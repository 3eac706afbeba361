package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// AccountStore is what the account handlers need of the database.
type AccountStore interface {
	ListAccounts(ctx context.Context, sc db.Scope, q string, page db.Page) ([]db.Account, error)
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
	CreateAccount(ctx context.Context, sc db.Scope, in db.AccountInput) (db.Account, error)
	RenameAccount(ctx context.Context, sc db.Scope, id string, in db.AccountInput) (db.Account, error)
	DeleteAccount(ctx context.Context, sc db.Scope, id string) error
}

// Accounts serves /v1/accounts.
type Accounts struct {
	Store AccountStore
}

type accountBody struct {
	Name string `json:"name"`
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
	a, err := h.Store.CreateAccount(ctx(c), PrincipalOf(c).Scope, db.AccountInput{Name: b.Name})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusCreated, a)
}

// Get answers GET /v1/accounts/{id}.
func (h *Accounts) Get(c *fiber.Ctx) error {
	a, err := h.Store.Account(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, a)
}

// Rename answers PATCH (and POST, PUT) /v1/accounts/{id}.
func (h *Accounts) Rename(c *fiber.Ctx) error {
	var b accountBody
	if err := decode(c, &b); err != nil {
		return err
	}
	a, err := h.Store.RenameAccount(ctx(c), PrincipalOf(c).Scope, c.Params("id"), db.AccountInput{Name: b.Name})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, a)
}

// Delete answers DELETE /v1/accounts/{id}.
func (h *Accounts) Delete(c *fiber.Ctx) error {
	if err := h.Store.DeleteAccount(ctx(c), PrincipalOf(c).Scope, c.Params("id")); err != nil {
		return err
	}
	return writeVoid(c)
}
