package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// DomainPageStore is what the domains page needs of the database: the
// API's own store, the account and the roles a domain may give.
type DomainPageStore interface {
	DomainStore
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
	ListRoles(ctx context.Context, wsID string) ([]db.Role, error)
}

// DomainPages serves an account's email domains page: the staff
// console's (/accounts/{id}/domains) and the portal's (/portal/domains,
// for a member holding org.manage), and the forms on it, changed through
// the store of /v1/account-domains.
type DomainPages struct {
	*Console
	Store DomainPageStore
	DNS   TXTResolver
}

// domainsShown is how many domains the page lists: an account claims a few.
var domainsShown = db.Page{Limit: 100}

var domainLabels = labels{"domain": "The domain", "enrollment": "The enrollment", "role": "The role"}

// domainsBase is the path of the request's domains page.
func domainsBase(c *fiber.Ctx) string {
	if PrincipalOf(c).Portal != nil {
		return PortalHome + "/domains"
	}
	return views.MembersBase(c.Params("id")) + "/domains"
}

// membersURL is the members page the domains page belongs to.
func membersURL(c *fiber.Ctx) string {
	if PrincipalOf(c).Portal != nil {
		return PortalHome
	}
	return views.MembersBase(c.Params("id"))
}

// domainsState is what an action leaves on the page it shows again.
type domainsState struct {
	notice  string
	form    views.Form // the add form
	refused string     // the domain whose action was refused
	row     views.Form
}

// List answers GET /accounts/{id}/domains (and /portal/domains).
func (h *DomainPages) List(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, domainsState{})
}

// show renders the domains page in the state an action left.
func (h *DomainPages) show(c *fiber.Ctx, status int, st domainsState) error {
	p := PrincipalOf(c)
	a, err := h.Store.Account(ctx(c), p.Scope, pageAccount(c))
	if err != nil {
		return err
	}
	ds, err := h.Store.ListDomains(ctx(c), p.Scope, a.ID, domainsShown)
	if err != nil {
		return err
	}
	ds, _, _ = db.Trim(ds, domainsShown, func(d db.Domain) string { return d.ID })
	roles, err := h.Store.ListRoles(ctx(c), p.Scope.WorkspaceID)
	if err != nil {
		return err
	}
	v := views.DomainsPage{Account: a, Base: domainsBase(c), MembersURL: membersURL(c), Domains: ds,
		Notice: st.notice, Form: st.form, Refused: st.refused, RowForm: st.row}
	if pa := p.Portal; pa != nil {
		v.Portal, v.CanWrite = true, pa.Membership.Allows(db.PermOrgManage)
		v.Roles = views.DomainRoles(roles, pa.Membership.EffectivePermissions)
	} else {
		v.CanWrite, v.ByHand = p.MayChange(), p.MayChange()
		v.Roles = views.DomainRoles(roles, nil)
	}
	return h.render(c, status, "Email domains of "+a.Name, "accounts", views.Domains(v))
}

// done answers a successful action: the page in place for htmx, with
// what it did said there; else a flash and the page.
func (h *DomainPages) done(c *fiber.Ctx, notice string) error {
	if isFragment(c) {
		return h.show(c, fiber.StatusOK, domainsState{notice: notice})
	}
	h.flash(c, notice)
	return Redirect(c, domainsBase(c))
}

// refusal shows the page again with what a rule refused of a domain's
// action, in its row; it returns err when it is no refusal to show.
func (h *DomainPages) refusal(c *fiber.Ctx, id string, err error) error {
	f, ok := refused(views.Form{}, err, labels{})
	if !ok {
		return err
	}
	return h.show(c, statusFormErrors, domainsState{refused: id, row: f})
}

// Create answers POST /accounts/{id}/domains: a domain claimed, pending.
func (h *DomainPages) Create(c *fiber.Ctx) error {
	f := formOf(c, "domain", "enrollment", "role")
	d, err := h.Store.CreateDomain(ctx(c), PrincipalOf(c).Scope, pageAccount(c),
		db.NewDomain{Domain: f.Value("domain"), Enrollment: f.Value("enrollment"), Role: f.Value("role")})
	if f, ok := refused(f, err, domainLabels); ok {
		return h.show(c, statusFormErrors, domainsState{form: f})
	}
	if err != nil {
		return err
	}
	return h.done(c, "Added "+d.Domain+": publish its TXT record "+d.Verification.Name+", then check DNS.")
}

// Update answers POST /accounts/{id}/domains/{did}: its enrollment and role.
func (h *DomainPages) Update(c *fiber.Ctx) error {
	f := formOf(c, "enrollment", "role")
	patch := db.DomainPatch{}
	if v := f.Value("enrollment"); v != "" {
		patch.Enrollment = &v
	}
	if v := f.Value("role"); v != "" {
		patch.Role = &v
	}
	d, err := h.Store.UpdateDomain(ctx(c), PrincipalOf(c).Scope, c.Params("did"), patch)
	if err != nil {
		return h.refusal(c, c.Params("did"), err)
	}
	return h.done(c, "Saved "+d.Domain+": "+d.Enrollment+", as "+d.Role.Name+".")
}

// Verify answers POST /accounts/{id}/domains/{did}/verify: its TXT record
// checked, or (method "manual", staff owners and admins) marked verified.
func (h *DomainPages) Verify(c *fiber.Ctx) error {
	id, sc := c.Params("did"), PrincipalOf(c).Scope
	check, err := checkDomain(ctx(c), h.Store, h.DNS, sc, id, formOf(c, "method").Value("method"))
	if err == nil {
		var d db.Domain
		if d, err = h.Store.VerifyDomain(ctx(c), sc, id, check); err == nil {
			return h.done(c, verifiedNotice(d))
		}
	}
	return h.refusal(c, id, err)
}

// verifiedNotice says what a verification found.
func verifiedNotice(d db.Domain) string {
	if d.State == db.DomainVerified {
		return "Verified " + d.Domain + ": people at it can join as its enrollment says."
	}
	return "The TXT record of " + d.Domain + " was not found: publish " + d.Verification.Name + " with its value, then check again (DNS may take a while)."
}

// ConfirmDelete answers GET /accounts/{id}/domains/{did}/delete: the page
// that asks first, for browsers without scripts.
func (h *DomainPages) ConfirmDelete(c *fiber.Ctx) error {
	d, err := h.Store.AccountDomain(ctx(c), PrincipalOf(c).Scope, c.Params("did"))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "Remove domain", "accounts", views.DomainDeletion(views.DomainConfirm{Domain: d, Base: domainsBase(c)}))
}

// Delete answers POST /accounts/{id}/domains/{did}/delete.
func (h *DomainPages) Delete(c *fiber.Ctx) error {
	sc := PrincipalOf(c).Scope
	d, err := h.Store.AccountDomain(ctx(c), sc, c.Params("did"))
	if err != nil {
		return err
	}
	if err := h.Store.DeleteDomain(ctx(c), sc, d.ID); err != nil {
		return h.refusal(c, d.ID, err)
	}
	return h.done(c, "Removed "+d.Domain+".")
}

// Back answers a GET of a form's address (a bookmark, a reload) with the
// domains page.
func (h *DomainPages) Back(c *fiber.Ctx) error { return Redirect(c, domainsBase(c)) }
