package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// errEmailUnverified refuses a domain join whose JWT does not say that the
// provider verified its email: a domain join trusts the email's domain.
var errEmailUnverified = db.ErrForbidden.Saying("Joining by email domain needs a token whose email_verified claim is true").
	With(map[string]any{"reason": "email_unverified"})

// authenticateJoiner authenticates the JWT of a domain join: any person,
// known or not, whose token names the workspace (its workspace_id claim,
// or the person being a user of exactly one) and says email_verified
// true. Keys name nobody (403); a bad token is 401 as everywhere.
func (s *Server) authenticateJoiner(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return errUnauthorized
	}
	if ClassifyToken(token) != tokenJWT {
		return s.refuseKey(c, token)
	}
	claims, err := s.jwt.verify(token)
	if err != nil {
		return errUnauthorized
	}
	if claims.EmailVerified == nil {
		return errEmailUnverified
	}
	wsID, err := s.joinerWorkspace(c, claims)
	if err != nil {
		return err
	}
	handlers.SetPrincipal(c, handlers.Principal{
		Scope:      db.Scope{WorkspaceID: wsID, Live: claims.Mode != "test"},
		Credential: handlers.CredentialJWT,
	})
	handlers.SetJoiner(c, claims.Email)
	return c.Next()
}

// refuseKey answers a domain join sent with an API key: 401 for a key
// that does not authenticate, else 403, refused as every route no key may
// use is (a scoped key names the scope it lacks).
func (s *Server) refuseKey(c *fiber.Ctx, token string) error {
	p, err := s.keyPrincipal(c, token)
	if err != nil {
		return err
	}
	if err := read("").check(p); err != nil {
		return err
	}
	return db.ErrForbidden.Saying("Domain joins are for a person signed in with a JWT, not for an API key")
}

// joinerWorkspace is the workspace a domain join's token names: 401 when
// it names none that exists.
func (s *Server) joinerWorkspace(c *fiber.Ctx, claims *jwtClaims) (string, error) {
	if claims.WorkspaceID == "" {
		wsID, err := s.db.WorkspaceOfEmail(c.UserContext(), claims.Email)
		if errors.Is(err, db.ErrWorkspaceNotFound) {
			return "", errUnauthorized
		}
		return wsID, err
	}
	ws, err := s.db.WorkspaceByID(c.UserContext(), claims.WorkspaceID)
	if errors.Is(err, db.ErrWorkspaceNotFound) {
		return "", errUnauthorized
	}
	return ws.ID, err
}
