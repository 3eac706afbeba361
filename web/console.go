package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"roster/db"
	"roster/handlers"
	"roster/static"
)

// isPage reports whether path belongs to the console's pages: not the API,
// the assets or the health checks.
func isPage(path string) bool {
	for _, p := range []string{"/v1/", static.Prefix} {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return path != "/v1" && path != "/healthz" && path != "/readyz"
}

// pagesOnly runs h on the console's pages and skips it elsewhere.
func pagesOnly(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !isPage(c.Path()) {
			return c.Next()
		}
		return h(c)
	}
}

// contentSecurityPolicy allows the console's own scripts and styles only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// pageHeaders are the security headers of every page.
func pageHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	return c.Next()
}

// assets serves the embedded CSS and scripts; their URLs carry a hash of
// their content, so browsers may keep them for a year.
func assets() fiber.Handler {
	return filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 365 * 24 * 60 * 60})
}

// loadPrincipal makes the session's staff member the request's principal,
// reading their role from the database on every request: a demoted member
// has fewer rights on their very next request, a removed one is signed out.
func (s *Server) loadPrincipal(c *fiber.Ctx) error {
	ctx := c.UserContext()
	who, ok := s.session.SignedIn(ctx)
	if !ok {
		return c.Next()
	}
	staff, err := s.db.StaffByUser(ctx, who.WorkspaceID, who.UserID)
	if errors.Is(err, db.ErrStaffNotFound) {
		if err := s.session.SignOut(ctx); err != nil {
			return err
		}
		return c.Next()
	}
	if err != nil {
		return err
	}
	handlers.SetPrincipal(c, handlers.Principal{
		Scope:      db.Scope{WorkspaceID: who.WorkspaceID, Live: !who.Test},
		Credential: handlers.CredentialSession,
		Staff:      &staff,
	})
	return c.Next()
}

// signedIn sends people without a session to the sign-in page, which
// brings them back to the page they asked for.
func signedIn(c *fiber.Ctx) error {
	if handlers.PrincipalOf(c).Credential == handlers.CredentialSession {
		return c.Next()
	}
	to := "/login"
	if c.Method() == fiber.MethodGet {
		to += "?" + url.Values{"next": {string(c.Request().RequestURI())}}.Encode()
	}
	return handlers.Redirect(c, to)
}
