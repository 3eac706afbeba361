package handlers

import (
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// RolePages serves the console's roles page: the workspace's roles and its
// permission catalog, through the same store as /v1/roles and
// /v1/permissions.
type RolePages struct {
	*Console
	Store CatalogStore
}

var (
	roleLabels       = labels{"slug": "The slug", "name": "The name", "description": "The description", "permissions": "These permissions are"}
	permissionLabels = labels{"key": "The key", "description": "The description"}
)

// List answers GET /roles.
func (h *RolePages) List(c *fiber.Ctx) error {
	return h.list(c, fiber.StatusOK, views.RolesPage{})
}

// list shows the roles page; v names the form shown again, if any.
func (h *RolePages) list(c *fiber.Ctx, status int, v views.RolesPage) error {
	p := PrincipalOf(c)
	var err error
	if v.Roles, err = h.Store.ListRoles(ctx(c), p.Scope.WorkspaceID); err != nil {
		return err
	}
	if v.Permissions, err = h.Store.ListPermissions(ctx(c), p.Scope.WorkspaceID); err != nil {
		return err
	}
	v.CanWrite = p.MayChange()
	if v.CanWrite && !p.Scope.Live {
		v.Disabled = "Roles and the permission catalog change in live mode only: switch to live mode to change them."
	}
	return h.render(c, status, "Roles", "roles", views.Roles(v))
}

// showRefusal shows the roles page again with the error on the form of
// section, when the error is the user's to fix; it returns err otherwise.
func (h *RolePages) showRefusal(c *fiber.Ctx, section string, f views.Form, err error, fields labels) error {
	if f, ok := refused(f, err, fields); ok {
		return h.list(c, statusFormErrors, views.RolesPage{Failed: section, Form: f})
	}
	return err
}

// Create answers POST /roles.
func (h *RolePages) Create(c *fiber.Ctx) error {
	f := formOf(c, "slug", "name", "description")
	in := db.NewRole{Slug: f.Value("slug"), Name: f.Value("name"), Description: f.Value("description"),
		Permissions: formMulti(c, f, "permissions")}
	r, err := h.Store.CreateRole(ctx(c), PrincipalOf(c).Scope, in)
	if err != nil {
		return h.showRefusal(c, "new-role", f, err, roleLabels)
	}
	h.flash(c, "Created the role “"+r.Name+"” ("+r.Slug+").")
	return Redirect(c, "/roles")
}

// Update answers POST /roles/{id}: the role's name, description and
// permissions become those of the form (no box checked: none).
func (h *RolePages) Update(c *fiber.Ctx) error {
	id := c.Params("id")
	f := formOf(c, "name", "description")
	name, description := f.Value("name"), f.Value("description")
	permissions := formMulti(c, f, "permissions")
	if permissions == nil {
		permissions = []string{}
	}
	p := db.RolePatch{Name: &name, Description: &description, Permissions: &permissions}
	r, err := h.Store.UpdateRole(ctx(c), PrincipalOf(c).Scope, id, p)
	if err != nil {
		return h.showRefusal(c, views.RoleSection(id), f, err, roleLabels)
	}
	h.flash(c, "Saved the role “"+r.Name+"”.")
	return Redirect(c, "/roles")
}

// MakeDefault answers POST /roles/{id}/default: new members get this role
// when none is chosen; the previous default stops being it.
func (h *RolePages) MakeDefault(c *fiber.Ctx) error {
	id := c.Params("id")
	yes := true
	r, err := h.Store.UpdateRole(ctx(c), PrincipalOf(c).Scope, id, db.RolePatch{IsDefault: &yes})
	if err != nil {
		return h.showRefusal(c, views.RoleSection(id), views.Form{}, err, nil)
	}
	h.flash(c, "“"+r.Name+"” is now the default role: members added without a role get it.")
	return Redirect(c, "/roles")
}

// ConfirmDelete answers GET /roles/{id}/delete: the page that asks first,
// for browsers without scripts (with them, hx-confirm asks).
func (h *RolePages) ConfirmDelete(c *fiber.Ctx) error {
	r, err := h.Store.RoleByRef(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("id"))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "Delete role", "roles", views.RoleDeletion(views.RoleConfirm{Role: r}))
}

// Delete answers POST /roles/{id}/delete. The store refuses the owner
// role, the default role and a role members hold; the refusal is shown
// next to the role.
func (h *RolePages) Delete(c *fiber.Ctx) error {
	id := c.Params("id")
	sc := PrincipalOf(c).Scope
	r, err := h.Store.RoleByRef(ctx(c), sc.WorkspaceID, id)
	if err != nil {
		return err
	}
	if err := h.Store.DeleteRole(ctx(c), sc, r.ID); err != nil {
		return h.showRefusal(c, views.RoleSection(r.ID), views.Form{}, err, nil)
	}
	h.flash(c, "Deleted the role “"+r.Name+"”.")
	return Redirect(c, "/roles")
}

// CreatePermission answers POST /permissions: a key added to the catalog.
func (h *RolePages) CreatePermission(c *fiber.Ctx) error {
	f := formOf(c, "key", "description")
	in := db.NewPermission{Key: f.Value("key"), Description: f.Value("description")}
	perm, err := h.Store.CreatePermission(ctx(c), PrincipalOf(c).Scope, in)
	if err != nil {
		return h.showRefusal(c, "new-permission", f, err, permissionLabels)
	}
	h.flash(c, "Added the permission "+perm.Key+" to the catalog.")
	return Redirect(c, "/roles")
}

// ConfirmDeletePermission answers GET /permissions/{key}/delete.
func (h *RolePages) ConfirmDeletePermission(c *fiber.Ctx) error {
	wsID := PrincipalOf(c).Scope.WorkspaceID
	perm, err := h.Store.Permission(ctx(c), wsID, c.Params("key"))
	if err != nil {
		return err
	}
	roles, err := h.Store.ListRoles(ctx(c), wsID)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "Delete permission", "roles",
		views.PermissionDeletion(views.PermissionConfirm{Permission: perm, Roles: roles}))
}

// DeletePermission answers POST /permissions/{key}/delete; a permission
// that roles or members hold stays, and the page says so next to it.
func (h *RolePages) DeletePermission(c *fiber.Ctx) error {
	key := c.Params("key")
	if err := h.Store.DeletePermission(ctx(c), PrincipalOf(c).Scope, key); err != nil {
		return h.showRefusal(c, views.PermissionSection(key), views.Form{}, err, nil)
	}
	h.flash(c, "Deleted the permission "+key+" from the catalog.")
	return Redirect(c, "/roles")
}
