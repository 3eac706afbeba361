package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"roster/handlers"
)

// routes is the route table: the index of everything the server answers.
func (s *Server) routes(h *handlers.Handlers) {
	app := s.App
	app.Use(requestID, s.logRequests, s.recoverPanics)

	app.Get("/healthz", h.Health.Live)
	app.Get("/readyz", h.Health.Ready)

	v1 := app.Group("/v1", s.rateLimit())
	api := v1.Group("", s.authenticateAPI)

	api.Get("/accounts", allow(read("accounts:read")), h.Accounts.List)
	api.Post("/accounts", allow(write("accounts:write")), h.Accounts.Create)
	api.Get("/accounts/:id", allow(read("accounts:read")), h.Accounts.Get)
	api.Patch("/accounts/:id", allow(write("accounts:write")), h.Accounts.Rename)
	api.Post("/accounts/:id", allow(write("accounts:write")), h.Accounts.Rename)
	api.Delete("/accounts/:id", allow(write("accounts:write")), h.Accounts.Delete)
	api.Get("/organizations", allow(read("accounts:read")), h.Accounts.List)
	api.Post("/organizations", allow(write("accounts:write")), h.Accounts.Create)
	api.Get("/organizations/:id", allow(read("accounts:read")), h.Accounts.Get)
	api.Patch("/organizations/:id", allow(write("accounts:write")), h.Accounts.Rename)
	api.Post("/organizations/:id", allow(write("accounts:write")), h.Accounts.Rename)
	api.Delete("/organizations/:id", allow(write("accounts:write")), h.Accounts.Delete)

	// Account memberships and invitations.

	// Roles, permissions, workspace memberships and events.
	catalogRead := access{scope: "roles:read", publishable: true}
	api.Get("/roles", allow(catalogRead), h.Catalog.ListRoles)
	api.Get("/roles/:ref", allow(read("roles:read")), h.Catalog.GetRole)
	api.Get("/permissions", allow(catalogRead), h.Catalog.ListPermissions)

}

// rateLimit limits API requests per credential (or client address without
// one), answering 429 with Retry-After past the limit.
func (s *Server) rateLimit() fiber.Handler {
	if s.cfg.RateLimit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:               s.cfg.RateLimit,
		Expiration:        time.Second,
		LimiterMiddleware: limiter.SlidingWindow{},
		KeyGenerator: func(c *fiber.Ctx) string {
			if token, ok := bearer(c); ok {
				return "t:" + tokenKey(token)
			}
			return "ip:" + c.IP()
		},
		LimitReached: func(c *fiber.Ctx) error { return fiber.ErrTooManyRequests },
	})
}
