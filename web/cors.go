package web

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Browsers may call the routes a publishable key may use (GET /v1/roles,
// GET /v1/permissions: those whose access is publishable in routes.go)
// from the origins of ROSTER_CORS_ORIGINS, and no other route. Fiber's cors
// middleware is not used: it applies to whatever it is mounted on, and the
// routes it should cover are told by their access, route by route.

// ParseCORSOrigins reads ROSTER_CORS_ORIGINS: exact origins, as browsers
// send them (scheme://host[:port], no path), separated by commas.
func ParseCORSOrigins(list string) ([]string, error) {
	var origins []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(item, "?") {
			return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port], such as https://app.example.com", item)
		}
		origins = append(origins, strings.ToLower(item))
	}
	return origins, nil
}

// corsRoute marks path as one that browsers of the configured origins may
// call: routes registers every route whose access lets publishable keys in.
func (s *Server) corsRoute(path string) {
	if s.corsPaths == nil {
		s.corsPaths = map[string]bool{}
	}
	s.corsPaths[path] = true
}

// Headers of the CORS answers.
const (
	corsAllowHeaders  = "Authorization, Content-Type"
	corsAllowMethods  = "GET, HEAD"
	corsExposeHeaders = "Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
	corsMaxAge        = "600"
)

// cors answers the preflights of the marked routes and lets the allowed
// origins read their answers (errors included). It never allows
// credentials: a publishable key is sent in the Authorization header, not
// with cookies.
func (s *Server) cors(c *fiber.Ctx) error {
	if len(s.cfg.CORSOrigins) == 0 || !s.corsPaths[c.Path()] {
		return c.Next()
	}
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	method, preflight := c.Method(), false
	if m := c.Get(fiber.HeaderAccessControlRequestMethod); m != "" && method == fiber.MethodOptions {
		method, preflight = m, true
	}
	allowed := slices.Contains(s.cfg.CORSOrigins, origin) && (method == fiber.MethodGet || method == fiber.MethodHead)
	if preflight {
		c.Vary(fiber.HeaderAccessControlRequestMethod, fiber.HeaderAccessControlRequestHeaders)
		if allowed {
			c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
			c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
			c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
	if allowed {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
	}
	return c.Next()
}
