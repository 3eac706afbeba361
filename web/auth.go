package web

import (
	"errors"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// keyPattern is the shape of an API key: kind, mode, a base62 body.
var keyPattern = regexp.MustCompile(`^(sk|pk)_(live|test)_[0-9A-Za-z]{32,}$`)

// Token kinds, as classify tells them apart.
const (
	tokenSecret      = "secret"
	tokenPublishable = "publishable"
	tokenJWT         = "jwt"
)

// ClassifyToken tells what kind of credential a bearer token is: a secret
// key when "sk_" occurs in its first 32 characters, else a publishable key
// when it contains "pk_", else a JWT. A token with a dot is a JWT whatever
// it contains: keys are base62 and never hold one, while a JWT's base64url
// segments hold "pk_" or "sk_" by chance (about one signed token in a
// thousand), and taking those for keys refused valid tokens.
func ClassifyToken(token string) string {
	head := token
	if len(head) > 32 {
		head = head[:32]
	}
	switch {
	case strings.Contains(token, "."):
		return tokenJWT
	case strings.Contains(head, "sk_"):
		return tokenSecret
	case strings.Contains(token, "pk_"):
		return tokenPublishable
	default:
		return tokenJWT
	}
}

// errUnauthorized is every failed authentication: which part failed is not
// told.
var errUnauthorized = fiber.NewError(fiber.StatusUnauthorized)

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authenticateAPI resolves the request's credential into its principal,
// reading the principal's rights from the database every time.
func (s *Server) authenticateAPI(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return errUnauthorized
	}
	var p handlers.Principal
	var err error
	switch ClassifyToken(token) {
	case tokenSecret, tokenPublishable:
		p, err = s.keyPrincipal(c, token)
	default:
		p, err = s.jwtPrincipal(c, token)
	}
	if err != nil {
		return err
	}
	handlers.SetPrincipal(c, p)
	return c.Next()
}

// keyPrincipal authenticates an API key.
func (s *Server) keyPrincipal(c *fiber.Ctx, token string) (handlers.Principal, error) {
	if !keyPattern.MatchString(token) {
		return handlers.Principal{}, errUnauthorized
	}
	k, err := s.db.APIKeyBySecret(c.UserContext(), token)
	if err != nil {
		if errors.Is(err, db.ErrAPIKeyNotFound) {
			return handlers.Principal{}, errUnauthorized
		}
		return handlers.Principal{}, err
	}
	if err := s.db.TouchAPIKey(c.UserContext(), k); err != nil {
		return handlers.Principal{}, err
	}
	if k.Orphaned() {
		// Its creator left the staff: the key has nobody's rights left.
		return handlers.Principal{}, errUnauthorized
	}
	cred := handlers.CredentialSecret
	if k.Kind == db.KeyPublishable {
		cred = handlers.CredentialPublishable
	}
	p := handlers.Principal{Scope: db.Scope{WorkspaceID: k.WorkspaceID, Live: k.Livemode}, Credential: cred, Key: &k}
	if k.CreatedBy != "" {
		p.Staff = &db.StaffMember{Object: "workspace_membership", ID: k.Creator.StaffID,
			WorkspaceID: k.WorkspaceID, UserID: k.CreatedBy, Role: k.Creator.Role}
	}
	return p, nil
}

// jwtPrincipal authenticates a JWT from the auth provider: its user's
// staff member decides what it may do; a user who is not staff but an
// active member of accounts in the token's mode is a member principal.
func (s *Server) jwtPrincipal(c *fiber.Ctx, token string) (handlers.Principal, error) {
	claims, err := s.jwt.verify(token)
	if err != nil {
		return handlers.Principal{}, errUnauthorized
	}
	live := claims.Mode != "test"
	staff, err := s.db.StaffByEmail(c.UserContext(), claims.WorkspaceID, claims.Email)
	if errors.Is(err, db.ErrStaffNotFound) {
		return s.memberPrincipal(c, claims.WorkspaceID, claims.Email, live)
	}
	if err != nil {
		return handlers.Principal{}, err
	}
	return handlers.Principal{
		Scope:      db.Scope{WorkspaceID: staff.WorkspaceID, Live: live},
		Credential: handlers.CredentialJWT,
		Staff:      &staff,
	}, nil
}

// memberPrincipal is the member principal of the person with this email:
// 401 unless they are an active member of some account in the mode.
func (s *Server) memberPrincipal(c *fiber.Ctx, wsID, email string, live bool) (handlers.Principal, error) {
	u, err := s.db.MemberByEmail(c.UserContext(), wsID, email, live)
	if errors.Is(err, db.ErrUserNotFound) {
		return handlers.Principal{}, errUnauthorized
	}
	if err != nil {
		return handlers.Principal{}, err
	}
	return handlers.Principal{
		Scope:      db.Scope{WorkspaceID: u.WorkspaceID, Live: live, Member: u.ID},
		Credential: handlers.CredentialJWT,
		Member:     &u,
	}, nil
}

// access says who may use a route.
type access struct {
	scope       string // the scope a limited secret key needs
	write       bool   // the route changes something
	publishable bool   // publishable keys may use it
	support     bool   // support staff may use it although it writes
	liveOnly    bool   // it changes what both modes share: live mode only
	members     bool   // member principals may use it (the stores decide what they reach)
}

// forMembers is a, opened to member principals too.
func forMembers(a access) access { a.members = true; return a }

// read is the access of a route that reads within scope.
func read(scope string) access { return access{scope: scope} }

// write is the access of a route that changes things within scope.
func write(scope string) access { return access{scope: scope, write: true} }

// shared is the access of a route that changes what live and test mode
// share (roles, the permission catalog, the staff): live mode only.
func shared(scope string) access { return access{scope: scope, write: true, liveOnly: true} }

// allow refuses principals that may not use a route with access a.
func allow(a access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := a.check(handlers.PrincipalOf(c)); err != nil {
			return err
		}
		return c.Next()
	}
}

// check is the authorization decision of access a for principal p.
func (a access) check(p handlers.Principal) error {
	switch p.Credential {
	case handlers.CredentialPublishable:
		if !a.publishable {
			return db.ErrForbidden.Saying("Publishable keys may only read roles and permissions")
		}
	case handlers.CredentialSecret:
		if !p.Key.HasScope(a.scope) {
			return db.ErrForbidden.Saying("This key lacks the scope " + a.scope).With(map[string]any{"required_scope": a.scope})
		}
	case handlers.CredentialJWT, handlers.CredentialSession:
		if p.Member != nil && !a.members {
			return db.ErrStaffOnly
		}
	default:
		return errUnauthorized
	}
	if a.write && !a.support && !p.MayChange() {
		if p.Key != nil {
			return db.ErrForbidden.Saying("This key's creator is support staff now, who may only read and resend invitations").With(map[string]any{"reason": "creator_role"})
		}
		return db.ErrForbidden.Saying("Support staff may only read and resend invitations")
	}
	if a.write && a.liveOnly && !p.Scope.Live {
		return db.ErrForbidden.Saying("Roles, permissions and the workspace's staff are shared by live and test mode: they change in live mode only").With(map[string]any{"reason": "live_only"})
	}
	return nil
}

// tokenKey identifies a token without keeping the token itself.
func tokenKey(token string) string { return db.HashSecret(token)[:32] }
