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
		return db.ErrForbidden.Saying("Domain joins are for a person signed in with a JWT, not for an API key")
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
