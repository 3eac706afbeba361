package handlers

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// InvitationStore is what the public invitation page needs of the database.
type InvitationStore interface {
	InvitationByToken(ctx context.Context, token string) (db.PendingInvitation, error)
	AcceptInvitation(ctx context.Context, in db.Acceptance) (db.Membership, error)
}

// InvitationPages serves /invitations/{token}, the page an invitation email
// links to: no session needed, the token is the proof.
type InvitationPages struct {
	*Console
	Store InvitationStore
}

// acceptURLs makes the links invitation tokens are accepted at, under the
// server's public base URL.
func acceptURLs(baseURL string) func(token string) string {
	base := strings.TrimRight(baseURL, "/")
	return func(token string) string { return base + "/invitations/" + token }
}

// joinURLs makes the links that people added to the staff without a
// password set one at, under the server's public base URL.
func joinURLs(baseURL string) func(token string) string {
	base := strings.TrimRight(baseURL, "/")
	return func(token string) string { return base + "/join/" + token }
}

// Show answers GET /invitations/{token}.
func (h *InvitationPages) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, views.Form{})
}

// show renders the invitation of the path's token with the accept form, or
// the page saying it is no longer valid. The token is in the address, so
// no other site is told it through a Referer.
func (h *InvitationPages) show(c *fiber.Ctx, status int, f views.Form) error {
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	token := c.Params("token")
	inv, err := h.Store.InvitationByToken(ctx(c), token)
	if errors.Is(err, db.ErrInvitationNotFound) {
		return h.gone(c)
	}
	if err != nil {
		return err
	}
	if f.Values == nil {
		f.Values = map[string]string{"name": inv.Name}
	}
	v := views.InvitationPage{Invitation: inv, Action: "/invitations/" + token, Form: f}
	return h.render(c, status, "Invitation to "+inv.AccountName, "", views.Invitation(v))
}

// gone answers a token that cannot be accepted (used, revoked, expired or
// unknown) alike, with 404.
func (h *InvitationPages) gone(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusNotFound, "Invitation no longer valid", "", views.InvitationGone())
}

// Accept answers POST /invitations/{token}: the membership becomes active
// (under the rules of POST /v1/invitations/accept), and the person is sent
// to a page that says so.
func (h *InvitationPages) Accept(c *fiber.Ctx) error {
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	f := formOf(c, "name")
	token := c.Params("token")
	inv, err := h.Store.InvitationByToken(ctx(c), token)
	if err == nil {
		actx := db.WithActor(c.UserContext(), Principal{}.Actor())
		_, err = h.Store.AcceptInvitation(actx, db.Acceptance{Token: token, Name: f.Value("name")})
	}
	if errors.Is(err, db.ErrInvitationNotFound) {
		return h.gone(c)
	}
	if f, ok := refused(f, err, labels{"name": "Your name"}); ok {
		return h.show(c, statusFormErrors, f)
	}
	if err != nil {
		return err
	}
	h.Session.PutAccepted(c.UserContext(), views.InvitationAccepted{Account: inv.AccountName, Role: inv.RoleName, Workspace: inv.WorkspaceName})
	return Redirect(c, "/invitations/accepted")
}

// Accepted answers GET /invitations/accepted: what the acceptance did, shown
// once; opened again, only that it is done.
func (h *InvitationPages) Accepted(c *fiber.Ctx) error {
	done := h.Session.PopAccepted(c.UserContext())
	return h.render(c, fiber.StatusOK, "Invitation accepted", "", views.InvitationDone(done))
}
