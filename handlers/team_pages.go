package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// TeamStore is what the team page needs of the database.
type TeamStore interface {
	ListStaff(ctx context.Context, wsID string, page db.Page) ([]db.WorkspaceMembership, error)
	CreateStaff(ctx context.Context, wsID, email, name, role string) (db.WorkspaceMembership, error)
}

// TeamPages serves the console's team page: the workspace's staff.
type TeamPages struct {
	*Console
	Store TeamStore
}

// allStaff is a page that holds a whole workspace's staff: a workspace has
// a handful of people, not thousands.
var allStaff = db.Page{Limit: 1000}

var teamLabels = map[string]string{"email": "The email", "name": "The name", "role": "The role"}

// List answers GET /team.
func (h *TeamPages) List(c *fiber.Ctx) error {
	return h.list(c, fiber.StatusOK, views.Form{Values: map[string]string{"role": db.RoleSupport}})
}

func (h *TeamPages) list(c *fiber.Ctx, status int, f views.Form) error {
	p := PrincipalOf(c)
	staff, err := h.Store.ListStaff(ctx(c), p.Scope.WorkspaceID, allStaff)
	if err != nil {
		return err
	}
	v := views.TeamPage{Staff: staff, Roles: grantableRoles(p), Form: f}
	switch {
	case !p.MayChange():
	case !p.Scope.Live:
		v.Blocked = "The team changes in live mode only: switch to live mode to add someone."
	default:
		v.CanInvite = true
	}
	return h.render(c, status, "Team", "team", views.Team(v))
}

// grantableRoles are the console roles p may give: only an owner makes
// owners.
func grantableRoles(p Principal) []string {
	if p.Staff != nil && p.Staff.Role == db.RoleOwner {
		return []string{db.RoleSupport, db.RoleAdmin, db.RoleOwner}
	}
	return []string{db.RoleSupport, db.RoleAdmin}
}

// Invite answers POST /team: the person with the email (created when new)
// joins the staff with the chosen role.
func (h *TeamPages) Invite(c *fiber.Ctx) error {
	f := formOf(c, "email", "name", "role")
	p := PrincipalOf(c)
	email, name, role := f.Value("email"), f.Value("name"), f.Value("role")
	fs := fields{}
	fs.email("email", &email, true)
	fs.name("name", &name, false)
	if !contains(grantableRoles(p), role) {
		fs["role"] = "must be one of the roles offered"
		if role == db.RoleOwner {
			fs["role"] = "can be given by an owner only"
		}
	}
	err := fs.err()
	if err == nil {
		_, err = h.Store.CreateStaff(ctx(c), p.Scope.WorkspaceID, email, name, role)
	}
	if f, ok := withErrors(f, err, teamLabels); ok {
		return h.list(c, statusFormErrors, f)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Added "+email+" to the team as "+role+".")
	return redirect(c, "/team")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
