package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// StaffStore is what the workspace membership handlers need of the database.
type StaffStore interface {
	ListStaff(ctx context.Context, wsID string, page db.Page) ([]db.WorkspaceMembership, error)
	StaffByID(ctx context.Context, wsID, id string) (db.WorkspaceMembership, error)
	AddStaff(ctx context.Context, ed db.StaffEditor, in db.NewStaff) (db.WorkspaceMembership, error)
	ChangeStaffRole(ctx context.Context, ed db.StaffEditor, id string, in db.StaffChange) (db.WorkspaceMembership, error)
	RemoveStaff(ctx context.Context, ed db.StaffEditor, id string) error
}

// Staff serves /v1/workspace-memberships: the workspace's own staff.
type Staff struct {
	Store StaffStore
}

// List answers GET /v1/workspace-memberships.
func (h *Staff) List(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	rows, err := h.Store.ListStaff(ctx(c), PrincipalOf(c).Scope.WorkspaceID, p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(wm db.WorkspaceMembership) string { return wm.ID })
}

// Get answers GET /v1/workspace-memberships/{id}.
func (h *Staff) Get(c *fiber.Ctx) error {
	wm, err := h.Store.StaffByID(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("id"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, wm)
}

type staffCreateBody struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// Create answers POST /v1/workspace-memberships.
func (h *Staff) Create(c *fiber.Ctx) error {
	var b staffCreateBody
	if err := decode(c, &b); err != nil {
		return err
	}
	wm, err := h.Store.AddStaff(ctx(c), PrincipalOf(c).StaffEditor(), db.NewStaff{Email: b.Email, Name: b.Name, Role: b.Role})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusCreated, wm)
}

type staffPatchBody struct {
	Role string `json:"role"`
}

// ChangeRole answers PATCH /v1/workspace-memberships/{id}.
func (h *Staff) ChangeRole(c *fiber.Ctx) error {
	var b staffPatchBody
	if err := decode(c, &b); err != nil {
		return err
	}
	wm, err := h.Store.ChangeStaffRole(ctx(c), PrincipalOf(c).StaffEditor(), c.Params("id"), db.StaffChange{Role: b.Role})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, wm)
}

// Delete answers DELETE /v1/workspace-memberships/{id}.
func (h *Staff) Delete(c *fiber.Ctx) error {
	if err := h.Store.RemoveStaff(ctx(c), PrincipalOf(c).StaffEditor(), c.Params("id")); err != nil {
		return err
	}
	return writeVoid(c)
}
