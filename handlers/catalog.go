package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// CatalogStore is what the role and permission handlers need of the database.
type CatalogStore interface {
	ListRoles(ctx context.Context, wsID string) ([]db.Role, error)
	RoleByRef(ctx context.Context, wsID, ref string) (db.Role, error)
	ListPermissions(ctx context.Context, wsID string) ([]db.Permission, error)
}

// Catalog serves /v1/roles and /v1/permissions.
type Catalog struct {
	Store CatalogStore
}

// ListRoles answers GET /v1/roles: every role of the workspace (a workspace
// has few), oldest first.
func (h *Catalog) ListRoles(c *fiber.Ctx) error {
	roles, err := h.Store.ListRoles(ctx(c), PrincipalOf(c).Scope.WorkspaceID)
	if err != nil {
		return err
	}
	return writeList(c, roles, db.Page{Limit: len(roles)}, func(r db.Role) string { return r.ID })
}

// GetRole answers GET /v1/roles/{id_or_slug}.
func (h *Catalog) GetRole(c *fiber.Ctx) error {
	r, err := h.Store.RoleByRef(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("ref"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, r)
}

// ListPermissions answers GET /v1/permissions: the whole catalog, by key.
func (h *Catalog) ListPermissions(c *fiber.Ctx) error {
	ps, err := h.Store.ListPermissions(ctx(c), PrincipalOf(c).Scope.WorkspaceID)
	if err != nil {
		return err
	}
	return writeList(c, ps, db.Page{Limit: len(ps)}, func(p db.Permission) string { return p.Key })
}
