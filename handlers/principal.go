// Package handlers holds Roster's HTTP handlers: the JSON API under /v1 and
// the console's pages, side by side, both calling the same db stores.
package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// Credential kinds a principal authenticated with.
const (
	CredentialSecret      = "secret_key"
	CredentialPublishable = "publishable_key"
	CredentialJWT         = "jwt"
	CredentialSession     = "session"
)

// Principal is who a request acts for: a workspace and mode, and either an
// API key, a staff member (through a JWT or a console session) or an
// account's member acting on their own accounts (Member, through a JWT;
// Scope.Member is their user id, which confines the stores to their
// accounts and rights). A key created by a staff member carries that
// person's current workspace membership as Staff: it never does more than
// they may.
type Principal struct {
	Scope      db.Scope
	Credential string
	Key        *db.APIKey
	Staff      *db.StaffMember
	Member     *db.User
	// Portal is the member of a portal session, on the portal's pages:
	// Scope.Member is their user id, as for a member's JWT.
	Portal *PortalAccess
}

// Actor is how events record the principal. A member's is completed with
// the membership it acts through by the store that checks its rights.
func (p Principal) Actor() db.Actor {
	if p.Key != nil {
		return db.Actor{Type: "api_key", ID: p.Key.ID}
	}
	if p.Member != nil {
		return db.Actor{Type: "member", UserID: p.Member.ID}
	}
	if p.Staff != nil {
		return db.Actor{Type: "user", ID: p.Staff.UserID}
	}
	return db.Actor{Type: "system", ID: "roster"}
}

// MayChange reports whether the principal may make changes other than
// resending invitations: everyone but support staff, and in the portal a
// member holding members.manage (or org.manage).
func (p Principal) MayChange() bool {
	if p.Portal != nil {
		return p.Portal.Membership.Allows(db.PermMembersManage)
	}
	return p.Staff == nil || p.Staff.Role != db.RoleSupport
}

// principalKey is the request local holding the request's Principal.
type principalKey struct{}

// SetPrincipal attaches the authenticated principal to the request, and the
// actor of its changes to the request's context.
func SetPrincipal(c *fiber.Ctx, p Principal) {
	c.Locals(principalKey{}, p)
	c.SetUserContext(db.WithActor(c.UserContext(), p.Actor()))
}

// PrincipalOf returns the request's principal; the zero Principal when the
// request is not authenticated.
func PrincipalOf(c *fiber.Ctx) Principal {
	p, _ := c.Locals(principalKey{}).(Principal)
	return p
}

// ctx is the context a handler passes to the stores.
func ctx(c *fiber.Ctx) context.Context { return c.UserContext() }

// StaffEditor is who the principal is when it changes the workspace's
// staff: its staff member (a key's creator's), and whether it is a
// key, which never touches the role owner.
func (p Principal) StaffEditor() db.StaffEditor {
	ed := db.StaffEditor{WorkspaceID: p.Scope.WorkspaceID, ByKey: p.Key != nil}
	if p.Staff != nil {
		ed.StaffID = p.Staff.ID
	}
	return ed
}
