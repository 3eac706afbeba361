package web

import (
	"github.com/gofiber/fiber/v2"

	"roster/handlers"
	"roster/static"
)

// routes is the route table: the index of everything the server answers.
func (s *Server) routes(h *handlers.Handlers) {
	app := s.App
	app.Use(requestID)
	if s.metrics != nil {
		app.Use(s.metrics.observe)
	}
	app.Use(s.identifyClient, s.logRequests, s.recoverPanics)

	app.Get("/healthz", h.Health.Live)
	app.Get("/readyz", h.Health.Ready)
	s.consoleRoutes(s.pages)
	s.portalRoutes(s.pages.Portal)

	v1 := app.Group("/v1", s.cors, s.deadline, s.rateLimit(), checkText)
	v1.Get("/openapi.json", h.OpenAPI.Document)
	// Accepting an invitation takes no credential: it is registered before
	// the group whose middleware authenticates every /v1 path after it.
	v1.Post("/invitations/accept", s.idempotent, h.Memberships.Accept)
	// Domain joins take any person's JWT, known or not (web/domain_joins.go).
	v1.Post("/me/domain-joins", s.authenticateJoiner, s.idempotent, h.DomainJoins.List)
	v1.Post("/me/domain-joins/:account_id", s.authenticateJoiner, s.idempotent, h.DomainJoins.Join)
	api := v1.Group("", s.authenticateAPI, s.idempotent)

	// Member principals reach their own accounts (and rename them with
	// org.manage), their memberships and events, and read the catalog; the
	// stores decide which (db/member.go). Every other route is staff-only.
	accountsRead, accountsRename := allow(forMembers(read("accounts:read"))), allow(forMembers(write("accounts:write")))
	for _, base := range []string{"/accounts", "/organizations"} {
		api.Get(base, accountsRead, h.Accounts.List)
		api.Post(base, allow(write("accounts:write")), h.Accounts.Create)
		api.Get(base+"/:id", accountsRead, h.Accounts.Get)
		api.Patch(base+"/:id", accountsRename, h.Accounts.Rename)
		api.Post(base+"/:id", accountsRename, h.Accounts.Rename)
		api.Delete(base+"/:id", allow(write("accounts:write")), h.Accounts.Delete)
		api.Post(base+"/:id/transfer-ownership", accountsRename, h.Accounts.TransferOwnership)
	}

	// Account memberships and invitations.
	membersRead, membersWrite := allow(forMembers(read("memberships:read"))), allow(forMembers(write("memberships:write")))
	api.Get("/account-memberships", membersRead, h.Memberships.List)
	api.Post("/account-memberships", membersWrite, h.Memberships.Create)
	api.Get("/account-memberships/:id", membersRead, h.Memberships.Get)
	api.Put("/account-memberships/:id", membersWrite, h.Memberships.Replace)
	api.Patch("/account-memberships/:id", membersWrite, h.Memberships.Patch)
	api.Delete("/account-memberships/:id", membersWrite, h.Memberships.Delete)
	api.Post("/account-memberships/:id/deactivate", membersWrite, h.Memberships.Deactivate)
	api.Post("/account-memberships/:id/reactivate", membersWrite, h.Memberships.Reactivate)
	api.Post("/account-memberships/:id/resend-invitation",
		allow(access{scope: "memberships:write", write: true, support: true, members: true}), h.Memberships.Resend)
	for _, base := range []string{"/accounts/:account_id/memberships",
		"/organizations/:organization_id/memberships", "/organizations/:organization_id/members"} {
		api.Post(base+"/bulk", membersWrite, h.Bulk.Run)
		api.Get(base, membersRead, h.Memberships.List)
		api.Post(base, membersWrite, h.Memberships.Create)
		api.Get(base+"/:id", membersRead, h.Memberships.Get)
		api.Put(base+"/:id", membersWrite, h.Memberships.Replace)
		api.Patch(base+"/:id", membersWrite, h.Memberships.Patch)
		api.Delete(base+"/:id", membersWrite, h.Memberships.Delete)
		api.Post(base+"/:id/deactivate", membersWrite, h.Memberships.Deactivate)
		api.Post(base+"/:id/reactivate", membersWrite, h.Memberships.Reactivate)
	}

	// Roles, permissions, workspace memberships and events.
	// Roles, the permission catalog and the staff are shared by both modes:
	// they change in live mode only.
	catalogRead, catalogWrite := access{scope: "roles:read", publishable: true, members: true}, allow(shared("roles:write"))
	// A route publishable keys may use, browsers may call too (cors.go).
	get := func(path string, a access, h fiber.Handler) {
		api.Get(path, allow(a), h)
		if a.publishable {
			s.corsRoute("/v1" + path)
		}
	}
	get("/roles", catalogRead, h.Catalog.ListRoles)
	api.Post("/roles", catalogWrite, h.Catalog.CreateRole)
	api.Get("/roles/:id_or_slug", allow(forMembers(read("roles:read"))), h.Catalog.GetRole)
	api.Patch("/roles/:id_or_slug", catalogWrite, h.Catalog.UpdateRole)
	api.Delete("/roles/:id_or_slug", catalogWrite, h.Catalog.DeleteRole)
	get("/permissions", catalogRead, h.Catalog.ListPermissions)
	api.Post("/permissions", catalogWrite, h.Catalog.CreatePermission)
	api.Get("/permissions/:key", allow(forMembers(read("roles:read"))), h.Catalog.GetPermission)
	api.Delete("/permissions/:key", catalogWrite, h.Catalog.DeletePermission)
	staffRead, staffWrite := allow(read("staff:read")), allow(shared("staff:write"))
	api.Get("/workspace-memberships", staffRead, h.Staff.List)
	api.Post("/workspace-memberships", staffWrite, h.Staff.Create)
	api.Get("/workspace-memberships/:id", staffRead, h.Staff.Get)
	api.Patch("/workspace-memberships/:id", staffWrite, h.Staff.ChangeRole)
	api.Delete("/workspace-memberships/:id", staffWrite, h.Staff.Delete)
	// The questions a product asks, and links to the hosted members page.
	api.Get("/me", allow(forMembers(read(""))), h.People.Me)
	api.Post("/authorize", allow(read("memberships:read")), h.People.Authorize)
	api.Post("/portal-sessions", allow(write("memberships:write")), h.Portal.Create)
	eventsRead := allow(forMembers(read("events:read")))
	api.Get("/events", eventsRead, h.Events.List)
	api.Get("/events/:id", eventsRead, h.Events.Get)
	// Webhooks: staff owners and admins manage them, support reads.
	hooksRead, hooksWrite := allow(read("webhooks:read")), allow(write("webhooks:write"))
	api.Get("/webhook-endpoints", hooksRead, h.Webhooks.ListEndpoints)
	api.Post("/webhook-endpoints", hooksWrite, h.Webhooks.CreateEndpoint)
	api.Get("/webhook-endpoints/:id", hooksRead, h.Webhooks.GetEndpoint)
	api.Patch("/webhook-endpoints/:id", hooksWrite, h.Webhooks.UpdateEndpoint)
	api.Delete("/webhook-endpoints/:id", hooksWrite, h.Webhooks.DeleteEndpoint)
	api.Post("/webhook-endpoints/:id/rotate-secret", hooksWrite, h.Webhooks.RotateSecret)
	api.Post("/webhook-endpoints/:id/test", hooksWrite, h.Webhooks.Test)
	api.Post("/webhook-endpoints/:id/recover", hooksWrite, h.Webhooks.Recover)
	api.Get("/webhook-endpoints/:id/deliveries", hooksRead, h.Webhooks.ListDeliveries)
	api.Post("/webhook-deliveries/:id/retry", hooksWrite, h.Webhooks.RetryDelivery)
	// Email domains of accounts: staff and keys (accounts:*), and member
	// principals with org.manage in their own accounts (db/domain.go).
	domainsRead, domainsWrite := allow(forMembers(read("accounts:read"))), allow(forMembers(write("accounts:write")))
	for _, base := range []string{"/accounts/:account_id/domains", "/organizations/:account_id/domains"} {
		api.Get(base, domainsRead, h.Domains.List)
		api.Post(base, domainsWrite, h.Domains.Create)
	}
	api.Get("/account-domains/:id", domainsRead, h.Domains.Get)
	api.Patch("/account-domains/:id", domainsWrite, h.Domains.Patch)
	api.Delete("/account-domains/:id", domainsWrite, h.Domains.Delete)
	api.Post("/account-domains/:id/verify", domainsWrite, h.Domains.Verify)

}

// consoleRoutes are the console's pages, with sessions, CSRF and the same
// access rules as the API (support staff read only); never on /v1.
func (s *Server) consoleRoutes(p *handlers.Pages) {
	app := s.App
	app.Use(static.Prefix, assets())
	app.Use(pagesOnly(pageHeaders), consoleOnly(s.loadSession), consoleOnly(s.csrfProtection), consoleOnly(s.loadPrincipal))
	app.Get("/login", p.SignIn.Form)
	app.Post("/login", s.signInThrottle(p.SignIn.Throttled), p.SignIn.Submit)
	app.Post("/logout", signedIn, p.SignIn.SignOut)
	app.Post("/mode", signedIn, p.SignIn.SwitchMode)
	home := func(c *fiber.Ctx) error { return handlers.Redirect(c, handlers.Home) }
	app.Get("/", signedIn, home)
	// Signing out and switching modes are forms (a link could not be a
	// forgery's target); their addresses, opened, lead home.
	app.Get("/logout", signedIn, home)
	app.Get("/mode", signedIn, home)
	app.Get("/accounts", signedIn, allow(read("accounts:read")), p.Accounts.List)
	app.Post("/accounts", signedIn, allow(write("accounts:write")), p.Accounts.Create)
	app.Get("/api-keys", signedIn, allow(read("")), p.Keys.List)
	app.Post("/api-keys", signedIn, allow(write("")), p.Keys.Create)
	app.Get("/api-keys/:id/revoke", signedIn, allow(write("")), p.Keys.Confirm("revoke"))
	app.Post("/api-keys/:id/revoke", signedIn, allow(write("")), p.Keys.Revoke)
	app.Get("/api-keys/:id/roll", signedIn, allow(write("")), p.Keys.Confirm("roll"))
	app.Post("/api-keys/:id/roll", signedIn, allow(write("")), p.Keys.Roll)
	// Webhooks: owners and admins manage the mode's endpoints, support reads.
	hooksRead, hooksWrite := allow(read("webhooks:read")), allow(write("webhooks:write"))
	app.Get("/webhooks", signedIn, hooksRead, p.Webhooks.List)
	app.Post("/webhooks", signedIn, hooksWrite, p.Webhooks.Create)
	app.Get("/webhooks/:id", signedIn, hooksRead, p.Webhooks.Show)
	app.Post("/webhooks/:id/rotate", signedIn, hooksWrite, p.Webhooks.Rotate)
	app.Post("/webhooks/:id/status", signedIn, hooksWrite, p.Webhooks.SetStatus)
	app.Post("/webhooks/:id/test", signedIn, hooksWrite, p.Webhooks.Test)
	app.Post("/webhooks/:id/deliveries/:did/retry", signedIn, hooksWrite, p.Webhooks.Retry)
	for _, path := range []string{"/webhooks/:id/rotate", "/webhooks/:id/status", "/webhooks/:id/test", "/webhooks/:id/deliveries/:did/retry"} {
		app.Get(path, signedIn, hooksRead, p.Webhooks.Back)
	}
	app.Get("/webhooks/:id/delete", signedIn, hooksWrite, p.Webhooks.ConfirmDelete)
	app.Post("/webhooks/:id/delete", signedIn, hooksWrite, p.Webhooks.Delete)
	app.Get("/activity", signedIn, allow(read("events:read")), p.Activity.List)
	app.Get("/team", signedIn, allow(read("")), p.Staff.List)
	staffWrite := allow(shared(""))
	app.Post("/team", signedIn, staffWrite, p.Staff.Invite)
	app.Post("/team/:id/role", signedIn, staffWrite, p.Staff.ChangeRole)
	app.Get("/team/:id/role", signedIn, allow(read("")), handlers.BackTo("/team"))
	app.Get("/team/:id/remove", signedIn, staffWrite, p.Staff.ConfirmRemove)
	app.Post("/team/:id/remove", signedIn, staffWrite, p.Staff.Remove)
	rolesWrite := allow(shared("roles:write"))
	app.Get("/roles", signedIn, allow(read("roles:read")), p.Roles.List)
	app.Post("/roles", signedIn, rolesWrite, p.Roles.Create)
	app.Post("/roles/:id", signedIn, rolesWrite, p.Roles.Update)
	app.Post("/roles/:id/default", signedIn, rolesWrite, p.Roles.MakeDefault)
	for _, path := range []string{"/roles/:id", "/roles/:id/default", "/permissions"} {
		app.Get(path, signedIn, allow(read("roles:read")), handlers.BackTo("/roles"))
	}
	app.Get("/roles/:id/delete", signedIn, rolesWrite, p.Roles.ConfirmDelete)
	app.Post("/roles/:id/delete", signedIn, rolesWrite, p.Roles.Delete)
	app.Post("/permissions", signedIn, rolesWrite, p.Roles.CreatePermission)
	app.Get("/permissions/:key/delete", signedIn, rolesWrite, p.Roles.ConfirmDeletePermission)
	app.Post("/permissions/:key/delete", signedIn, rolesWrite, p.Roles.DeletePermission)

	// An account's members: support staff read, resend and copy links only.
	app.Get("/accounts/:id", signedIn, allow(read("memberships:read")), p.Members.List)
	app.Get("/accounts/:id/members.csv", signedIn, allow(read("memberships:read")), p.Members.Export)
	membersWrite := allow(write("memberships:write"))
	app.Post("/accounts/:id/invite", signedIn, membersWrite, p.Members.Invite)
	app.Post("/accounts/:id/link", signedIn, membersWrite, p.Members.Link)
	app.Get("/accounts/:id/import", signedIn, membersWrite, p.Imports.Form)
	app.Post("/accounts/:id/import", signedIn, membersWrite, p.Imports.Import)
	app.Post("/accounts/:id/import/preview", signedIn, membersWrite, p.Imports.Preview)
	app.Get("/accounts/:id/import/preview", signedIn, membersWrite, p.Imports.Form)
	app.Post("/accounts/:id/members/:mid/role", signedIn, membersWrite, p.Members.ChangeRole)
	app.Post("/accounts/:id/members/:mid/permissions", signedIn, membersWrite, p.Members.SetPermissions)
	app.Post("/accounts/:id/members/:mid/deactivate", signedIn, membersWrite, p.Members.Deactivate)
	app.Post("/accounts/:id/members/:mid/reactivate", signedIn, membersWrite, p.Members.Reactivate)
	app.Post("/accounts/:id/members/:mid/expiry", signedIn, membersWrite, p.Members.SetExpiry)
	for _, action := range []string{"deactivate", "reactivate", "expiry"} {
		app.Get("/accounts/:id/members/:mid/"+action, signedIn, allow(read("memberships:read")), p.Members.BackToMembers)
	}
	app.Get("/accounts/:id/members/:mid/role", signedIn, allow(read("memberships:read")), p.Members.ConfirmOwner)
	for _, path := range []string{"/accounts/:id/invite", "/accounts/:id/link", "/accounts/:id/members/:mid/permissions", "/accounts/:id/members/:mid/resend"} {
		app.Get(path, signedIn, allow(read("memberships:read")), p.Members.BackToMembers)
	}
	for _, action := range []string{"remove", "revoke"} {
		app.Get("/accounts/:id/members/:mid/"+action, signedIn, membersWrite, p.Members.Confirm(action))
		app.Post("/accounts/:id/members/:mid/"+action, signedIn, membersWrite, p.Members.Remove(action))
	}
	// Seats and ownership: staff owners and admins (db/seats.go, db/ownership.go).
	app.Get("/accounts/:id/seats", signedIn, membersWrite, p.Seats.SeatLimitForm)
	app.Post("/accounts/:id/seats", signedIn, allow(write("accounts:write")), p.Seats.SetSeatLimit)
	app.Get("/accounts/:id/members/:mid/transfer", signedIn, membersWrite, p.Seats.ConfirmTransfer)
	app.Post("/accounts/:id/members/:mid/transfer", signedIn, allow(write("accounts:write")), p.Seats.Transfer)
	app.Post("/accounts/:id/members/:mid/resend", signedIn,
		allow(access{scope: "memberships:write", write: true, support: true}), p.Members.Resend)

	// An account's email domains: owners and admins change them, support reads.
	domainsWrite := allow(write("accounts:write"))
	app.Get("/accounts/:id/domains", signedIn, allow(read("accounts:read")), p.Domains.List)
	app.Post("/accounts/:id/domains", signedIn, domainsWrite, p.Domains.Create)
	app.Post("/accounts/:id/domains/:did", signedIn, domainsWrite, p.Domains.Update)
	app.Post("/accounts/:id/domains/:did/verify", signedIn, domainsWrite, p.Domains.Verify)
	for _, path := range []string{"/accounts/:id/domains/:did", "/accounts/:id/domains/:did/verify"} {
		app.Get(path, signedIn, allow(read("accounts:read")), p.Domains.Back)
	}
	app.Get("/accounts/:id/domains/:did/delete", signedIn, domainsWrite, p.Domains.ConfirmDelete)
	app.Post("/accounts/:id/domains/:did/delete", signedIn, domainsWrite, p.Domains.Delete)

	// The public page of an invitation's link: no session needed.
	app.Get("/invitations/accepted", p.Invite.Accepted)
	app.Get("/invitations/:token", p.Invite.Show)
	app.Post("/invitations/:token", p.Invite.Accept)
	// The public page of the link to join the staff, sent to someone added
	// without a password: no session needed either.
	app.Get("/join/:token", p.Join.Show)
	app.Post("/join/:token", p.Join.Join)
}
