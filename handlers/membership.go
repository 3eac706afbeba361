package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// MembershipStore is what the account membership handlers need of the
// database.
type MembershipStore interface {
	ListMemberships(ctx context.Context, sc db.Scope, accountID string, f db.MembershipFilter, page db.Page) ([]db.Membership, error)
	Membership(ctx context.Context, sc db.Scope, ref db.MembershipRef) (db.Membership, error)
	CreateMembership(ctx context.Context, sc db.Scope, accountID string, in db.NewMembership) (db.Membership, bool, error)
	UpdateMembership(ctx context.Context, sc db.Scope, ref db.MembershipRef, ch db.MembershipChange) (db.Membership, error)
	DeleteMembership(ctx context.Context, sc db.Scope, ref db.MembershipRef, ifMatch db.IfMatch) error
	ResendInvitation(ctx context.Context, sc db.Scope, ref db.MembershipRef, acceptURL func(token string) string) (db.Membership, error)
	AcceptInvitation(ctx context.Context, in db.Acceptance) (db.Membership, error)
	Deactivate(ctx context.Context, sc db.Scope, ref db.MembershipRef, ifMatch db.IfMatch) (db.Membership, error)
	Reactivate(ctx context.Context, sc db.Scope, ref db.MembershipRef, ifMatch db.IfMatch) (db.Membership, error)
}

// Memberships serves /v1/account-memberships, the same resource under
// /v1/accounts/{account_id}/memberships (and its /v1/organizations
// aliases), and /v1/invitations/accept.
type Memberships struct {
	Store   MembershipStore
	BaseURL string // where the console serves /invitations/{token}
}

// acceptURL is the link an invitation token is accepted at.
func (h *Memberships) acceptURL(token string) string {
	return acceptURLs(h.BaseURL)(token)
}

// roleField is the role of a membership body, under each of its accepted
// spellings.
type roleField struct {
	Role      *string `json:"role"`
	RoleID    *string `json:"role_id"`
	RoleSlug  *string `json:"role_slug"`
	RoleSlugC *string `json:"roleSlug"`
}

// role returns the one role given ("" for none), refusing under bad two
// spellings at once (a quirk of the API, whose seeds spell the field four
// ways) and a role given empty, which names none.
func (r roleField) role(bad map[string]string) string {
	var got []string
	var value string
	for name, v := range map[string]*string{"role": r.Role, "role_id": r.RoleID, "role_slug": r.RoleSlug, "roleSlug": r.RoleSlugC} {
		if v != nil {
			got = append(got, name)
			value = *v
		}
	}
	if len(got) > 1 {
		for _, name := range got {
			bad[name] = "give the role once: role, role_id, role_slug and roleSlug are spellings of one field"
		}
		return ""
	}
	if len(got) == 1 && strings.TrimSpace(value) == "" {
		bad[got[0]] = "must name a role, by its slug or id: leave the field out to keep the role (or take the default)"
	}
	return value
}

type createMembershipBody struct {
	roleField
	expiresAtField
	StaffID     string    `json:"workspace_membership_id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Permissions *[]string `json:"permissions"`
	SendEmail   *bool     `json:"send_email"`
}

// input is the store's input the body fills; the store checks its fields.
func (b *createMembershipBody) input(acceptURL func(string) string) (db.NewMembership, error) {
	bad := map[string]string{}
	in := db.NewMembership{
		StaffID:   b.StaffID,
		Email:     b.Email,
		Name:      b.Name,
		Role:      b.role(bad),
		SendEmail: b.SendEmail == nil || *b.SendEmail,
		AcceptURL: acceptURL,
	}
	if b.Permissions != nil {
		in.Permissions = *b.Permissions
	}
	if e := b.expiry(bad); e != nil {
		in.ExpiresAt = e.At
	}
	return in, invalid(bad)
}

type replaceMembershipBody struct {
	roleField
	expiresAtField
	Permissions *[]string `json:"permissions"`
}

type patchMembershipBody struct {
	roleField
	expiresAtField
	AddPermissions    []string `json:"add_permissions"`
	RemovePermissions []string `json:"remove_permissions"`
}

type acceptBody struct {
	Token string `json:"token"`
	Name  string `json:"name"`
}

// List answers GET /v1/account-memberships?account_id= (or ?user_id=,
// ?email=: a person's memberships across accounts) and
// GET /v1/accounts/{account_id}/memberships.
func (h *Memberships) List(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	filter := db.MembershipFilter{
		Status: c.Query("status"),
		Role:   c.Query("role"),
		Q:      strings.TrimSpace(c.Query("q")),
		UserID: c.Query("user_id"),
		Email:  c.Query("email"),
	}
	if err := expiresBeforeOf(c, &filter); err != nil {
		return err
	}
	// The store asks for an account unless the filter names a person.
	accountID, _ := accountOf(c)
	rows, err := h.Store.ListMemberships(ctx(c), PrincipalOf(c).Scope, accountID, filter, p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(m db.Membership) string { return m.ID })
}

// Create answers POST /v1/account-memberships?account_id= and
// POST /v1/accounts/{account_id}/memberships: 201 with a new membership, 200
// when linking activated an invited one.
func (h *Memberships) Create(c *fiber.Ctx) error {
	var b createMembershipBody
	if err := decode(c, &b); err != nil {
		return err
	}
	accountID, err := accountOf(c)
	if err != nil {
		return err
	}
	in, err := b.input(h.acceptURL)
	if err != nil {
		return err
	}
	m, created, err := h.Store.CreateMembership(ctx(c), PrincipalOf(c).Scope, accountID, in)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return writeMembership(c, status, m)
}

// Get answers GET /v1/account-memberships/{id}.
func (h *Memberships) Get(c *fiber.Ctx) error {
	m, err := h.Store.Membership(ctx(c), PrincipalOf(c).Scope, refOf(c))
	if err != nil {
		return err
	}
	return writeMembership(c, fiber.StatusOK, m)
}

// Replace answers PUT /v1/account-memberships/{id}: the direct permissions
// (required, may be empty) and optionally the role.
func (h *Memberships) Replace(c *fiber.Ctx) error {
	var b replaceMembershipBody
	if err := decode(c, &b); err != nil {
		return err
	}
	bad := map[string]string{}
	ch := db.MembershipChange{Role: b.role(bad), Permissions: b.Permissions, IfMatch: ifMatchOf(c), Expiry: b.expiry(bad)}
	if b.Permissions == nil {
		bad["permissions"] = "is required (an empty list takes every direct permission away)"
	}
	return h.update(c, ch, bad)
}

// Patch answers PATCH /v1/account-memberships/{id}: add_permissions,
// remove_permissions and the role, each optional.
func (h *Memberships) Patch(c *fiber.Ctx) error {
	var b patchMembershipBody
	if err := decode(c, &b); err != nil {
		return err
	}
	bad := map[string]string{}
	ch := db.MembershipChange{Role: b.role(bad), Add: b.AddPermissions, Remove: b.RemovePermissions, IfMatch: ifMatchOf(c),
		Expiry: b.expiry(bad)}
	return h.update(c, ch, bad)
}

// update makes a change and answers with the membership, unless the body
// was refused (bad).
func (h *Memberships) update(c *fiber.Ctx, ch db.MembershipChange, bad map[string]string) error {
	if err := invalid(bad); err != nil {
		return err
	}
	m, err := h.Store.UpdateMembership(ctx(c), PrincipalOf(c).Scope, refOf(c), ch)
	if err != nil {
		return err
	}
	return writeMembership(c, fiber.StatusOK, m)
}

// Delete answers DELETE /v1/account-memberships/{id}.
func (h *Memberships) Delete(c *fiber.Ctx) error {
	if err := h.Store.DeleteMembership(ctx(c), PrincipalOf(c).Scope, refOf(c), ifMatchOf(c)); err != nil {
		return err
	}
	return writeVoid(c)
}

// Resend answers POST /v1/account-memberships/{id}/resend-invitation.
func (h *Memberships) Resend(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err // it takes no body: {} or none
	}
	m, err := h.Store.ResendInvitation(ctx(c), PrincipalOf(c).Scope, refOf(c), h.acceptURL)
	if err != nil {
		return err
	}
	return writeMembership(c, fiber.StatusOK, m)
}

// Accept answers POST /v1/invitations/accept, which takes no credential:
// the token is the proof.
func (h *Memberships) Accept(c *fiber.Ctx) error {
	var b acceptBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := db.WithActor(c.UserContext(), Principal{}.Actor())
	m, err := h.Store.AcceptInvitation(ctx, db.Acceptance{Token: b.Token, Name: b.Name})
	if err != nil {
		return err
	}
	return writeMembership(c, fiber.StatusOK, m)
}

// writeMembership answers with one membership and its ETag; an answer
// that carries an invitation's accept_url (a secret) is not to be stored
// by any cache.
func writeMembership(c *fiber.Ctx, status int, m db.Membership) error {
	if m.Invitation != nil && m.Invitation.AcceptURL != "" {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return writeVersioned(c, status, m, m.Version)
}

// accountOf is the account a membership request is about: the path's
// account (or organization), else the account_id query parameter.
func accountOf(c *fiber.Ctx) (string, error) {
	for _, id := range []string{c.Params("account_id"), c.Params("organization_id"), c.Query("account_id")} {
		if id != "" {
			return id, nil
		}
	}
	return "", db.Invalid(map[string]string{"account_id": "is required"})
}

// refOf names the membership of the path, under its account when the path
// has one.
func refOf(c *fiber.Ctx) db.MembershipRef {
	account := c.Params("account_id")
	if account == "" {
		account = c.Params("organization_id")
	}
	return db.MembershipRef{AccountID: account, ID: c.Params("id")}
}

// ifMatchOf reads If-Match: nil when absent or "*", else the versions of
// its entity tags ("3", W/"3"); a tag that is no version matches nothing.
func ifMatchOf(c *fiber.Ctx) db.IfMatch {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" || h == "*" {
		return nil
	}
	m := db.IfMatch{}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(tag), "W/"), `"`)
		v, err := strconv.ParseInt(tag, 10, 64)
		if err != nil {
			v = -1
		}
		m = append(m, v)
	}
	return m
}
