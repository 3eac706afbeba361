package handlers

import (
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// StaffPages serves the console's team page: the workspace's staff, changed
// through the same store as /v1/workspace-memberships, whose rules (only an
// owner grants or takes away owner, nobody changes their own role or
// removes themselves, the last owner stays) decide.
type StaffPages struct {
	*Console
	Store StaffStore
	// JoinURL makes the link a person added without a password sets one at.
	JoinURL func(token string) string
}

// allStaff is a page that holds a whole workspace's staff: a workspace has
// a handful of people, not thousands.
var allStaff = db.Page{Limit: 1000}

var staffLabels = labels{"email": "The email", "name": "The name", "role": "The role"}

// List answers GET /team.
func (h *StaffPages) List(c *fiber.Ctx) error {
	return h.list(c, fiber.StatusOK, views.StaffPage{})
}

// list shows the team page; v carries a form shown again, if any.
func (h *StaffPages) list(c *fiber.Ctx, status int, v views.StaffPage) error {
	p := PrincipalOf(c)
	staff, err := h.Store.ListStaff(ctx(c), p.Scope.WorkspaceID, allStaff)
	if err != nil {
		return err
	}
	v.Staff, v.Roles, v.You = staff, db.StaffRoles, p.Staff.ID
	if v.Form.Values == nil {
		v.Form = views.Form{Values: map[string]string{"role": db.RoleSupport}}
	}
	v.Controls = p.MayChange()
	if v.Controls && !p.Scope.Live {
		v.Disabled = "The team changes in live mode only: switch to live mode to add, change or remove someone."
	}
	return h.render(c, status, "Team", "team", views.Staff(v))
}

// Invite answers POST /team: the person with the email (created when new)
// joins the staff with the chosen role; one without a password is emailed
// a link to set it.
func (h *StaffPages) Invite(c *fiber.Ctx) error {
	f := formOf(c, "email", "name", "role")
	in := db.NewStaff{Email: f.Value("email"), Name: f.Value("name"), Role: f.Value("role"), JoinURL: h.JoinURL}
	sm, err := h.Store.AddStaff(ctx(c), PrincipalOf(c).StaffEditor(), in)
	if f, ok := refused(f, err, staffLabels); ok {
		return h.list(c, statusFormErrors, views.StaffPage{Form: f})
	}
	if err != nil {
		return err
	}
	h.flash(c, "Added "+in.Email+" to the team as "+sm.Role+"."+joinedSays(sm))
	return Redirect(c, "/team")
}

// ChangeRole answers POST /team/{id}/role.
func (h *StaffPages) ChangeRole(c *fiber.Ctx) error {
	id := c.Params("id")
	f := formOf(c, "role")
	sm, err := h.Store.ChangeStaffRole(ctx(c), PrincipalOf(c).StaffEditor(), id, db.StaffChange{Role: f.Value("role")})
	if err != nil {
		return h.showRefusal(c, id, f, err)
	}
	h.flash(c, sm.User.Email+" is now "+sm.Role+".")
	return Redirect(c, "/team")
}

// ConfirmRemove answers GET /team/{id}/remove: the page that asks first,
// for browsers without scripts.
func (h *StaffPages) ConfirmRemove(c *fiber.Ctx) error {
	sm, err := h.Store.StaffByID(ctx(c), PrincipalOf(c).Scope.WorkspaceID, c.Params("id"))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "Remove from the team", "team", views.StaffRemoval(views.StaffConfirm{Member: sm}))
}

// Remove answers POST /team/{id}/remove: the person leaves the staff; their
// user and account memberships stay.
func (h *StaffPages) Remove(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	sm, err := h.Store.StaffByID(ctx(c), p.Scope.WorkspaceID, c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.Store.RemoveStaff(ctx(c), p.StaffEditor(), sm.ID); err != nil {
		return h.showRefusal(c, sm.ID, views.Form{}, err)
	}
	h.flash(c, "Took "+sm.User.Email+" off the team.")
	return Redirect(c, "/team")
}

// showRefusal shows the team page again with a rule's refusal next to the
// staff member's row, when it is the user's to fix; it returns err
// otherwise.
func (h *StaffPages) showRefusal(c *fiber.Ctx, id string, f views.Form, err error) error {
	if f, ok := refused(f, err, labels{"role": "The role"}); ok {
		return h.list(c, statusFormErrors, views.StaffPage{Row: id, RowForm: f})
	}
	return err
}

// joinedSays is what the team page adds about someone just added: that
// they were emailed a link to set their password, when they have none.
func joinedSays(sm db.StaffMember) string {
	if sm.User.PasswordHash.Valid {
		return ""
	}
	return " They were emailed a link to set their password."
}
