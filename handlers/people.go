package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// PeopleStore is what the questions a product asks about a person need of
// the database.
type PeopleStore interface {
	Me(ctx context.Context, sc db.Scope, u db.User, staff *db.StaffMember) (db.Me, error)
	Authorize(ctx context.Context, sc db.Scope, in db.AuthorizationQuestion) (db.Authorization, error)
}

// People serves GET /v1/me and POST /v1/authorize.
type People struct {
	Store PeopleStore
}

// Me answers GET /v1/me: the person the JWT names (staff or member); keys
// name nobody.
func (h *People) Me(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	switch {
	case p.Member != nil:
		me, err := h.Store.Me(ctx(c), p.Scope, *p.Member, nil)
		return answer(c, me, err)
	case p.Key == nil && p.Staff != nil:
		me, err := h.Store.Me(ctx(c), p.Scope, p.Staff.User, p.Staff)
		return answer(c, me, err)
	}
	return db.ErrForbidden.Saying("GET /v1/me answers for a person signed in with a JWT, not for an API key")
}

type authorizeBody struct {
	AccountID   string    `json:"account_id"`
	UserID      string    `json:"user_id"`
	Email       string    `json:"email"`
	Permission  *string   `json:"permission"`
	Permissions *[]string `json:"permissions"`
}

// Authorize answers POST /v1/authorize: 200 whether allowed or not.
func (h *People) Authorize(c *fiber.Ctx) error {
	var b authorizeBody
	if err := decode(c, &b); err != nil {
		return err
	}
	in := db.AuthorizationQuestion{AccountID: b.AccountID, UserID: b.UserID, Email: b.Email}
	switch {
	case b.Permission != nil && b.Permissions != nil:
		return db.Invalid(map[string]string{"permission": "give permission or permissions, not both", "permissions": "give permission or permissions, not both"})
	case b.Permission != nil:
		in.Permissions, in.Field = []string{*b.Permission}, "permission"
	case b.Permissions != nil:
		in.Permissions, in.Field = *b.Permissions, "permissions"
	}
	a, err := h.Store.Authorize(ctx(c), PrincipalOf(c).Scope, in)
	return answer(c, a, err)
}

// answer writes v with 200, unless err.
func answer(c *fiber.Ctx, v any, err error) error {
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, v)
}
