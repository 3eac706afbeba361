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
	CreateRole(ctx context.Context, sc db.Scope, in db.NewRole) (db.Role, error)
	UpdateRole(ctx context.Context, sc db.Scope, ref string, p db.RolePatch) (db.Role, error)
	DeleteRole(ctx context.Context, sc db.Scope, ref string) error
	ListPermissions(ctx context.Context, wsID string) ([]db.Permission, error)
	Permission(ctx context.Context, wsID, key string) (db.Permission, error)
	CreatePermission(ctx context.Context, sc db.Scope, in db.NewPermission) (db.Permission, error)
	DeletePermission(ctx context.Context, sc db.Scope, key string) error
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
	r, err := h.Store.RoleByRef(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("id_or_slug"))
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, r, r.Version)
}

type roleCreateBody struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
	IsDefault   bool     `json:"is_default"`
}

// newRole is the role the body asks for.
func (b *roleCreateBody) newRole() db.NewRole {
	return db.NewRole{Slug: b.Slug, Name: b.Name, Description: b.Description, Permissions: b.Permissions, IsDefault: b.IsDefault}
}

// CreateRole answers POST /v1/roles.
func (h *Catalog) CreateRole(c *fiber.Ctx) error {
	var b roleCreateBody
	if err := decode(c, &b); err != nil {
		return err
	}
	r, err := h.Store.CreateRole(ctx(c), PrincipalOf(c).Scope, b.newRole())
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusCreated, r, r.Version)
}

type rolePatchBody struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
	IsDefault   *bool     `json:"is_default"`
}

// patch is the change the body asks for.
func (b *rolePatchBody) patch() db.RolePatch {
	return db.RolePatch{Name: b.Name, Description: b.Description, Permissions: b.Permissions, IsDefault: b.IsDefault}
}

// UpdateRole answers PATCH /v1/roles/{id_or_slug}: the fields sent change,
// permissions are replaced as a whole.
func (h *Catalog) UpdateRole(c *fiber.Ctx) error {
	var b rolePatchBody
	if err := decode(c, &b); err != nil {
		return err
	}
	r, err := h.Store.UpdateRole(ctx(c), PrincipalOf(c).Scope, c.Params("id_or_slug"), b.patch())
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, r, r.Version)
}

// DeleteRole answers DELETE /v1/roles/{id_or_slug}.
func (h *Catalog) DeleteRole(c *fiber.Ctx) error {
	if err := h.Store.DeleteRole(ctx(c), PrincipalOf(c).Scope, c.Params("id_or_slug")); err != nil {
		return err
	}
	return writeVoid(c)
}

// ListPermissions answers GET /v1/permissions: the whole catalog, by key.
func (h *Catalog) ListPermissions(c *fiber.Ctx) error {
	ps, err := h.Store.ListPermissions(ctx(c), PrincipalOf(c).Scope.WorkspaceID)
	if err != nil {
		return err
	}
	return writeList(c, ps, db.Page{Limit: len(ps)}, func(p db.Permission) string { return p.Key })
}

// GetPermission answers GET /v1/permissions/{key}.
func (h *Catalog) GetPermission(c *fiber.Ctx) error {
	p, err := h.Store.Permission(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("key"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, p)
}

type permissionBody struct {
	Key         string `json:"key"`
	Description string `json:"description"`
}

// CreatePermission answers POST /v1/permissions.
func (h *Catalog) CreatePermission(c *fiber.Ctx) error {
	var b permissionBody
	if err := decode(c, &b); err != nil {
		return err
	}
	p, err := h.Store.CreatePermission(ctx(c), PrincipalOf(c).Scope, db.NewPermission{Key: b.Key, Description: b.Description})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusCreated, p)
}

// DeletePermission answers DELETE /v1/permissions/{key}.
func (h *Catalog) DeletePermission(c *fiber.Ctx) error {
	if err := h.Store.DeletePermission(ctx(c), PrincipalOf(c).Scope, c.Params("key")); err != nil {
		return err
	}
	return writeVoid(c)
}
