package web

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// A portal session ends after 30 idle minutes, and 8 hours after its link
// was opened whatever happens (self-service.md).
const (
	portalIdleTimeout = 30 * time.Minute
	portalLifetime    = 8 * time.Hour
)

// isPortal reports whether path is one of the portal's pages, which have
// their own sessions and none of the console's.
func isPortal(path string) bool {
	return path == handlers.PortalHome || strings.HasPrefix(path, handlers.PortalHome+"/")
}

// consoleOnly runs h on the console's pages but the portal's.
func consoleOnly(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !isPage(c.Path()) || isPortal(c.Path()) {
			return c.Next()
		}
		return h(c)
	}
}

// newPortalSessions configures the portal's sessions like the console's
// (in the same table, tokens hashed), with a cookie of their own, sent to
// the portal's paths only, and the portal's timeouts.
func newPortalSessions(store *db.DB, cfg Config) *scs.SessionManager {
	sm := scs.New()
	sm.Store = idleStore{SessionStore: store.Sessions(), idle: portalIdleTimeout}
	sm.HashTokenInStore = true
	sm.IdleTimeout = portalIdleTimeout
	sm.Lifetime = portalLifetime
	sm.Cookie.Name = "roster_portal"
	sm.Cookie.Path = handlers.PortalHome
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Secure
	sm.Cookie.Persist = false
	return sm
}

// portalRoutes are the portal's pages: opening a link, then one account's
// members and activity for its member, with the console's own page
// handlers. The stores are called with the grant's scope, so they refuse
// whatever the member may not do, whichever form sent it.
func (s *Server) portalRoutes(p *handlers.PortalPages) {
	portal := s.App.Group(handlers.PortalHome, portalHeaders, s.portal.load, s.portalCSRF, s.loadPortalMember)
	in := func(c *fiber.Ctx) error {
		if handlers.PrincipalOf(c).Credential == handlers.CredentialPortal {
			return c.Next()
		}
		return p.Ended(c)
	}
	m := p.Members
	portal.Get("/", in, m.List)
	portal.Get("/activity", in, p.Activity.List)
	portal.Get("/members.csv", in, m.Export)
	portal.Get("/import", in, p.Imports.Form)
	portal.Post("/import", in, p.Imports.Import)
	portal.Post("/import/preview", in, p.Imports.Preview)
	portal.Get("/import/preview", in, p.Imports.Form)
	portal.Post("/invite", in, m.Invite)
	portal.Get("/invite", in, m.BackToMembers)
	portal.Post("/members/:mid/role", in, m.ChangeRole)
	portal.Get("/members/:mid/role", in, m.ConfirmOwner)
	portal.Post("/members/:mid/permissions", in, m.SetPermissions)
	portal.Post("/members/:mid/resend", in, m.Resend)
	portal.Post("/members/:mid/deactivate", in, m.Deactivate)
	portal.Post("/members/:mid/reactivate", in, m.Reactivate)
	portal.Post("/members/:mid/expiry", in, m.SetExpiry)
	for _, action := range []string{"deactivate", "reactivate", "expiry"} {
		portal.Get("/members/:mid/"+action, in, m.BackToMembers)
	}
	for _, path := range []string{"/members/:mid/permissions", "/members/:mid/resend"} {
		portal.Get(path, in, m.BackToMembers)
	}
	for _, action := range []string{"remove", "revoke"} {
		portal.Get("/members/:mid/"+action, in, m.Confirm(action))
		portal.Post("/members/:mid/"+action, in, m.Remove(action))
	}
	portal.Get("/members/:mid/transfer", in, p.Seats.ConfirmTransfer)
	portal.Post("/members/:mid/transfer", in, p.Seats.Transfer)
	// The account's email domains, for a member holding org.manage (the
	// stores refuse anyone else).
	d := p.Domains
	portal.Get("/domains", in, d.List)
	portal.Post("/domains", in, d.Create)
	portal.Post("/domains/:did", in, d.Update)
	portal.Post("/domains/:did/verify", in, d.Verify)
	portal.Get("/domains/:did/delete", in, d.ConfirmDelete)
	portal.Post("/domains/:did/delete", in, d.Delete)
	for _, path := range []string{"/domains/:did", "/domains/:did/verify"} {
		portal.Get(path, in, d.Back)
	}
	portal.Get("/:token", p.Open)
}

// portalHeaders keep the portal's addresses out of Referer headers: the
// first one holds its link's token.
func portalHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Next()
}

// loadPortalMember makes the portal session's member the request's
// principal, reading their membership from the database on every
// request: a session whose member was removed, deactivated or no longer
// holds members.read ends here (the page then says so).
func (s *Server) loadPortalMember(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v, ok := s.portal.session.Visit(ctx)
	if !ok {
		return c.Next()
	}
	g := v.Grant
	m, err := s.db.Membership(ctx, db.Scope{WorkspaceID: g.WorkspaceID, Live: g.Live}, db.MembershipRef{AccountID: g.AccountID, ID: g.MembershipID})
	if err != nil && !errors.Is(err, db.ErrMembershipNotFound) && !errors.Is(err, db.ErrAccountNotFound) {
		return err
	}
	if err != nil || m.UserID != g.UserID || m.Status != db.StatusActive || !m.Allows(db.PermMembersRead) {
		handlers.SetEnded(c, v)
		if err := s.portal.session.SignOut(ctx); err != nil {
			return err
		}
		return c.Next()
	}
	handlers.SetPrincipal(c, handlers.Principal{
		Scope:      g.Scope(),
		Credential: handlers.CredentialPortal,
		Member:     &m.User,
		Portal:     &handlers.PortalAccess{Visit: v, Membership: m},
	})
	return c.Next()
}

// portalCSRF refuses the portal's state-changing requests without the
// token of their portal session (csrf.go's tokens, bound to the portal
// session's token instead of the console's): without a portal session
// there is nothing to change.
func (s *Server) portalCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	want, err := s.portalCSRFToken(c)
	if err != nil {
		return err
	}
	if want == "" || !hmac.Equal([]byte(sentCSRFToken(c)), []byte(want)) {
		return errCSRF
	}
	return c.Next()
}

// portalCSRFToken is the token of the portal session's forms; "" without
// a portal session, whose pages have no form to send.
func (s *Server) portalCSRFToken(c *fiber.Ctx) (string, error) {
	ctx := c.UserContext()
	if _, ok := s.portal.session.Visit(ctx); !ok {
		return "", nil
	}
	return s.signCSRF(ctx, "portal:"+s.portal.sm.Token(ctx))
}
