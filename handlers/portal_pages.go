package handlers

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// CredentialPortal is the credential of a portal session: an account's
// member, signed in by a portal link, on the portal's pages only.
const CredentialPortal = "portal"

// PortalHome is the portal's members page.
const PortalHome = "/portal"

// PortalVisit is what a portal session is signed into: the grant of the
// link it was opened with, the names its header shows, and whether its
// member has just left the account.
type PortalVisit struct {
	Grant         db.PortalGrant `json:"grant"`
	WorkspaceName string         `json:"workspace_name"`
	AccountName   string         `json:"account_name"`
	Left          bool           `json:"left,omitempty"`
}

// PortalAccess is a portal request's member: the visit, and the acting
// membership as the database holds it now (read on every request).
type PortalAccess struct {
	Visit      PortalVisit
	Membership db.Membership
}

// PortalStore is what opening a portal link needs of the database.
type PortalStore interface {
	ExchangePortalToken(ctx context.Context, token string) (db.PortalGrant, error)
	WorkspaceByID(ctx context.Context, id string) (db.Workspace, error)
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
}

// PortalPages serves the portal: opening a link, and one account's
// members and activity for its member, with the console's own page
// handlers over the portal's session (Members, Activity).
type PortalPages struct {
	*Console
	Store    PortalStore
	Members  *MemberPages
	Imports  *MemberImports
	Activity *ActivityPages
	Seats    *SeatPages   // the transfer of ownership, for an owner
	Domains  *DomainPages // the account's email domains, for a member holding org.manage
}

// endedKey is the request local holding the PortalVisit of a portal
// session that ended on this request.
type endedKey struct{}

// SetEnded records that the request's portal session has just ended: its
// member is no longer an active member holding members.read.
func SetEnded(c *fiber.Ctx, v PortalVisit) { c.Locals(endedKey{}, v) }

// Open answers GET /portal/{token}: a link used once signs its person
// into a portal session and goes on to /portal, so that the token leaves
// the address bar; a link used, expired or unknown says it has expired.
func (h *PortalPages) Open(c *fiber.Ctx) error {
	g, err := h.Store.ExchangePortalToken(ctx(c), c.Params("token"))
	if errors.Is(err, db.ErrPortalLinkNotFound) {
		return h.expired(c, g)
	}
	if err != nil {
		return err
	}
	ws, err := h.Store.WorkspaceByID(ctx(c), g.WorkspaceID)
	if err != nil {
		return err
	}
	acct, err := h.Store.Account(ctx(c), g.Scope(), g.AccountID)
	if errors.Is(err, db.ErrAccountNotFound) {
		SetEnded(c, PortalVisit{Grant: g, WorkspaceName: ws.Name})
		return h.Ended(c)
	}
	if err != nil {
		return err
	}
	v := PortalVisit{Grant: g, WorkspaceName: ws.Name, AccountName: acct.Name}
	if err := h.Session.EnterPortal(ctx(c), v); err != nil {
		return err
	}
	return Redirect(c, PortalHome)
}

// expired is the page of a link that cannot be used (404). The way back:
// the members page when this browser's portal session is still open, and
// the product it came from (the open session's, or the spent link's).
func (h *PortalPages) expired(c *fiber.Ctx, spent db.PortalGrant) error {
	p := views.PortalEnd{Title: "This link has expired",
		Message:   "Portal links work once, for 5 minutes. Go back to the product that sent you here and open the members page again.",
		ReturnURL: spent.ReturnURL, ReturnLabel: spent.ReturnLabel}
	if pa := PrincipalOf(c).Portal; pa != nil {
		p.Home = true
		p.ReturnURL, p.ReturnLabel = pa.Visit.Grant.ReturnURL, pa.Visit.Grant.ReturnLabel
	}
	return h.render(c, fiber.StatusNotFound, p.Title, "", views.PortalEnded(p))
}

// Ended answers a portal page without a portal session (401): it never
// had one, it timed out, or it has just ended because its member left,
// was removed or deactivated, or no longer holds members.read.
func (h *PortalPages) Ended(c *fiber.Ctx) error {
	p := views.PortalEnd{Title: "Your session has ended",
		Message: "Open the members page again from the product that sent you here."}
	status := fiber.StatusUnauthorized
	if v, ok := c.Locals(endedKey{}).(PortalVisit); ok {
		p.ReturnURL, p.ReturnLabel = v.Grant.ReturnURL, v.Grant.ReturnLabel
		p.Message = "You are no longer a member of " + orAccount(v.AccountName) + " who may see its members, so this page is closed."
		if v.Left {
			p.Title, p.Message, status = "You have left "+orAccount(v.AccountName), "You are no longer a member of it. Someone who manages its members can add you again.", fiber.StatusOK
		}
	}
	return h.render(c, status, p.Title, "", views.PortalEnded(p))
}

// orAccount is an account's name, or words for it when it is not known.
func orAccount(name string) string {
	if name == "" {
		return "the account"
	}
	return name
}
