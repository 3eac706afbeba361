package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// StaffStore is what the staff handlers need of the database.
type StaffStore interface {
	ListStaff(ctx context.Context, wsID string, page db.Page) ([]db.StaffMember, error)
	StaffByID(ctx context.Context, wsID, id string) (db.StaffMember, error)
	AddStaff(ctx context.Context, ed db.StaffEditor, in db.NewStaff) (db.StaffMember, error)
	ChangeStaffRole(ctx context.Context, ed db.StaffEditor, id string, in db.StaffChange) (db.StaffMember, error)
	RemoveStaff(ctx context.Context, ed db.StaffEditor, id string) error
}

// Staff serves /v1/workspace-memberships: the workspace's own staff.
type Staff struct {
	Store StaffStore
	// JoinURL makes the link a person added without a password sets one at.
	JoinURL func(token string) string
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
	return writeList(c, rows, p, func(sm db.StaffMember) string { return sm.ID })
}

// Get answers GET /v1/workspace-memberships/{id}.
func (h *Staff) Get(c *fiber.Ctx) error {
	sm, err := h.Store.StaffByID(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("id"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, sm)
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
	sm, err := h.Store.AddStaff(ctx(c), PrincipalOf(c).StaffEditor(), db.NewStaff{Email: b.Email, Name: b.Name, Role: b.Role, JoinURL: h.JoinURL})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusCreated, sm)
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
	sm, err := h.Store.ChangeStaffRole(ctx(c), PrincipalOf(c).StaffEditor(), c.Params("id"), db.StaffChange{Role: b.Role})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusOK, sm)
}

// Delete answers DELETE /v1/workspace-memberships/{id}.
func (h *Staff) Delete(c *fiber.Ctx) error {
	if err := h.Store.RemoveStaff(ctx(c), PrincipalOf(c).StaffEditor(), c.Params("id")); err != nil {
		return err
	}
	return writeVoid(c)
}
