package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// DomainJoinStore is what domain joins need of the database.
type DomainJoinStore interface {
	JoinByDomains(ctx context.Context, sc db.Scope, email string) ([]db.DomainJoin, error)
	JoinByDomain(ctx context.Context, sc db.Scope, email, accountID string) (db.DomainJoin, error)
}

// DomainJoins serves POST /v1/me/domain-joins and
// POST /v1/me/domain-joins/{account_id}.
type DomainJoins struct {
	Store DomainJoinStore
}

// joinerKey is the request local holding the verified email of a domain
// join's JWT.
type joinerKey struct{}

// SetJoiner attaches the verified email of the JWT of a domain join; its
// workspace and mode are the principal's scope.
func SetJoiner(c *fiber.Ctx, email string) { c.Locals(joinerKey{}, email) }

// JoinerOf is the email SetJoiner attached, "" when none: a domain
// join's principal names no user yet, so its Idempotency-Key is the
// person's by their email.
func JoinerOf(c *fiber.Ctx) string {
	email, _ := c.Locals(joinerKey{}).(string)
	return email
}

// List answers POST /v1/me/domain-joins: what each verified domain at
// the person's email domain did for them.
func (h *DomainJoins) List(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err
	}
	joins, err := h.Store.JoinByDomains(ctx(c), PrincipalOf(c).Scope, JoinerOf(c))
	if err != nil {
		return err
	}
	more := false
	return c.JSON(Envelope{Message: "success", Success: true, Data: joins, HasMore: &more})
}

// Join answers POST /v1/me/domain-joins/{account_id}: joins a suggested
// account.
func (h *DomainJoins) Join(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err
	}
	j, err := h.Store.JoinByDomain(ctx(c), PrincipalOf(c).Scope, JoinerOf(c), c.Params("account_id"))
	return answer(c, j, err)
}
