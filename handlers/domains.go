package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// DomainStore is what the domain handlers need of the database.
type DomainStore interface {
	ListDomains(ctx context.Context, sc db.Scope, accountID string, page db.Page) ([]db.Domain, error)
	AccountDomain(ctx context.Context, sc db.Scope, id string) (db.Domain, error)
	CreateDomain(ctx context.Context, sc db.Scope, accountID string, in db.NewDomain) (db.Domain, error)
	UpdateDomain(ctx context.Context, sc db.Scope, id string, p db.DomainPatch) (db.Domain, error)
	DeleteDomain(ctx context.Context, sc db.Scope, id string) error
	VerifyDomain(ctx context.Context, sc db.Scope, id string, check db.DomainCheck) (db.Domain, error)
}

// TXTResolver looks up the TXT records of a name (dnstxt.Resolver).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Domains serves /v1/accounts/{account_id}/domains and /v1/account-domains.
type Domains struct {
	Store DomainStore
	DNS   TXTResolver
}

type newDomainBody struct {
	Domain     string `json:"domain"`
	Enrollment string `json:"enrollment"`
	Role       string `json:"role"`
}

type domainPatchBody struct {
	Enrollment *string `json:"enrollment"`
	Role       *string `json:"role"`
}

type verifyBody struct {
	Method string `json:"method"`
}

// List answers GET /v1/accounts/{account_id}/domains.
func (h *Domains) List(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	rows, err := h.Store.ListDomains(ctx(c), PrincipalOf(c).Scope, c.Params("account_id"), p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(d db.Domain) string { return d.ID })
}

// Create answers POST /v1/accounts/{account_id}/domains.
func (h *Domains) Create(c *fiber.Ctx) error {
	var b newDomainBody
	if err := decode(c, &b); err != nil {
		return err
	}
	d, err := h.Store.CreateDomain(ctx(c), PrincipalOf(c).Scope, c.Params("account_id"),
		db.NewDomain{Domain: b.Domain, Enrollment: b.Enrollment, Role: b.Role})
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusCreated, d)
}

// Get answers GET /v1/account-domains/{id}.
func (h *Domains) Get(c *fiber.Ctx) error {
	d, err := h.Store.AccountDomain(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	return answer(c, d, err)
}

// Patch answers PATCH /v1/account-domains/{id}.
func (h *Domains) Patch(c *fiber.Ctx) error {
	var b domainPatchBody
	if err := decode(c, &b); err != nil {
		return err
	}
	d, err := h.Store.UpdateDomain(ctx(c), PrincipalOf(c).Scope, c.Params("id"), db.DomainPatch{Enrollment: b.Enrollment, Role: b.Role})
	return answer(c, d, err)
}

// Delete answers DELETE /v1/account-domains/{id}.
func (h *Domains) Delete(c *fiber.Ctx) error {
	if err := h.Store.DeleteDomain(ctx(c), PrincipalOf(c).Scope, c.Params("id")); err != nil {
		return err
	}
	return writeVoid(c)
}

// Verify answers POST /v1/account-domains/{id}/verify: the TXT record
// looked up ("method": "dns_txt", the default) or, for staff and secret
// keys, the domain marked verified by hand ("method": "manual").
func (h *Domains) Verify(c *fiber.Ctx) error {
	var b verifyBody
	if err := decode(c, &b); err != nil {
		return err
	}
	check, err := checkDomain(ctx(c), h.Store, h.DNS, PrincipalOf(c).Scope, c.Params("id"), b.Method)
	if err != nil {
		return err
	}
	d, err := h.Store.VerifyDomain(ctx(c), PrincipalOf(c).Scope, c.Params("id"), check)
	return answer(c, d, err)
}

// checkDomain makes the verification of a domain by method: by hand, or
// the TXT records at its verification name (none when the lookup fails:
// the domain fails its check, and may be checked again). The API and the
// console's pages verify through it.
func checkDomain(ctx context.Context, store DomainStore, dns TXTResolver, sc db.Scope, id, method string) (db.DomainCheck, error) {
	switch method {
	case "manual":
		return db.DomainCheck{Manual: true}, nil
	case "", "dns_txt":
	default:
		return db.DomainCheck{}, db.Invalid(map[string]string{"method": "must be dns_txt or manual"})
	}
	d, err := store.AccountDomain(ctx, sc, id)
	if err != nil || d.State == db.DomainVerified {
		return db.DomainCheck{}, err
	}
	records, _ := dns.LookupTXT(ctx, d.Verification.Name)
	return db.DomainCheck{Records: records}, nil
}
