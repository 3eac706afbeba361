package handlers

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// SignInStore is what signing in needs of the database.
type SignInStore interface {
	SignIn(ctx context.Context, email, password string) (db.StaffMember, error)
	HasOwner(ctx context.Context) (bool, error)
	WorkspaceByID(ctx context.Context, id string) (db.Workspace, error)
}

// SignIn serves /login, /logout and the live/test switch.
type SignIn struct {
	*Console
	Store SignInStore
}

// badCredentials is the one answer to a wrong email or a wrong password.
const badCredentials = "The email or the password is wrong."

// Form answers GET /login.
func (h *SignIn) Form(c *fiber.Ctx) error {
	next := SafePath(c.Query("next"), Home)
	if PrincipalOf(c).Credential == CredentialSession {
		return Redirect(c, next)
	}
	return h.show(c, fiber.StatusOK, views.Form{Values: map[string]string{}}, next)
}

// show renders the sign-in page, saying how to create the first owner while
// there is none.
func (h *SignIn) show(c *fiber.Ctx, status int, f views.Form, next string) error {
	hasOwner, err := h.Store.HasOwner(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, status, "Sign in", "", views.Login(views.LoginPage{Form: f, Next: next, NoOwner: !hasOwner}))
}

// Submit answers POST /login: a new session token for the signed-in person
// (so a token planted before sign-in is worth nothing), in live mode.
func (h *SignIn) Submit(c *fiber.Ctx) error {
	f := formOf(c, "email", "next")
	next := SafePath(f.Value("next"), Home)
	ctx := c.UserContext()
	sm, err := h.Store.SignIn(ctx, f.Value("email"), c.FormValue("password"))
	if errors.Is(err, db.ErrBadCredentials) {
		f.Error = badCredentials
		return h.show(c, fiber.StatusUnauthorized, f, next)
	}
	if err != nil {
		return err
	}
	ws, err := h.Store.WorkspaceByID(ctx, sm.WorkspaceID)
	if err != nil {
		return err
	}
	if err := h.Session.SignIn(ctx, SignedIn{UserID: sm.UserID, WorkspaceID: sm.WorkspaceID, WorkspaceName: ws.Name}); err != nil {
		return err
	}
	return Redirect(c, next)
}

// Throttled answers a sign-in attempt past the limit, with the same words
// whether or not the email exists.
func (h *SignIn) Throttled(c *fiber.Ctx) error {
	f := formOf(c, "email", "next")
	f.Error = "Too many sign-in attempts. Wait a few minutes, then try again."
	return h.show(c, fiber.StatusTooManyRequests, f, SafePath(f.Value("next"), Home))
}

// SignOut answers POST /logout: the session is gone from the database.
func (h *SignIn) SignOut(c *fiber.Ctx) error {
	if err := h.Session.SignOut(c.UserContext()); err != nil {
		return err
	}
	h.flash(c, "You have signed out.")
	return Redirect(c, "/login")
}

// SwitchMode answers POST /mode: the session's mode becomes live or test,
// and the person returns to the page they were on.
func (h *SignIn) SwitchMode(c *fiber.Ctx) error {
	f := formOf(c, "mode", "next")
	test := f.Value("mode") == "test"
	h.Session.SetTestMode(c.UserContext(), test)
	if test {
		h.flash(c, "You are in test mode: you see and change test data only.")
	} else {
		h.flash(c, "You are in live mode.")
	}
	return Redirect(c, f.Value("next"))
}
