package handlers

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// StaffJoinStore is what the page of a link to join the staff needs of the
// database.
type StaffJoinStore interface {
	StaffJoinByToken(ctx context.Context, token string) (db.StaffJoin, error)
	JoinStaff(ctx context.Context, in db.StaffJoining) (db.StaffJoin, error)
}

// StaffJoinPages serves /join/{token}, the page the email to someone added
// to the staff without a password links to: no session needed, the token
// is the proof.
type StaffJoinPages struct {
	*Console
	Store StaffJoinStore
}

// Show answers GET /join/{token}.
func (h *StaffJoinPages) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, views.Form{})
}

// show renders the link's page with its form, or the page saying it is no
// longer valid. The token is in the address, so no other site is told it
// through a Referer.
func (h *StaffJoinPages) show(c *fiber.Ctx, status int, f views.Form) error {
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	token := c.Params("token")
	j, err := h.Store.StaffJoinByToken(ctx(c), token)
	if errors.Is(err, db.ErrStaffJoinNotFound) {
		return h.render(c, fiber.StatusNotFound, "Link no longer valid", "", views.StaffJoinGone())
	}
	if err != nil {
		return err
	}
	if f.Values == nil {
		f.Values = map[string]string{"name": j.Name}
	}
	return h.render(c, status, "Join the "+j.WorkspaceName+" team", "", views.StaffJoin(views.StaffJoinPage{Join: j, Action: "/join/" + token, Form: f}))
}

// Join answers POST /join/{token}: the person's password is set, and they
// are sent to sign in with it.
func (h *StaffJoinPages) Join(c *fiber.Ctx) error {
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	f := formOf(c, "name", "password")
	j, err := h.Store.JoinStaff(ctx(c), db.StaffJoining{Token: c.Params("token"), Name: f.Value("name"), Password: c.FormValue("password")})
	if errors.Is(err, db.ErrStaffJoinNotFound) {
		return h.show(c, fiber.StatusNotFound, f)
	}
	if f, ok := refused(f, err, labels{"name": "Your name", "password": "The password"}); ok {
		return h.show(c, statusFormErrors, f)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Your password is set: sign in as "+j.Email+".")
	return Redirect(c, "/login")
}
