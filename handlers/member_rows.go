package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// The actions of a row of the members table, each a form of its own.
const (
	actRole        = "role"
	actPermissions = "permissions"
	actRemove      = "remove"
	actRevoke      = "revoke"
	actResend      = "resend"
)

// rowRef names the membership of a row action's path, under its account.
func rowRef(c *fiber.Ctx) db.MembershipRef {
	return db.MembershipRef{AccountID: pageAccount(c), ID: c.Params("mid")}
}

// versionOf is the precondition a row form sends: the version of the member
// the page showed. A form without one has none; a version that is not a
// number matches nothing.
func versionOf(f views.Form) db.IfMatch {
	raw := f.Value("version")
	if raw == "" {
		return nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		v = -1
	}
	return db.IfMatch{v}
}

// ChangeRole answers POST /accounts/{id}/members/{mid}/role. Making
// someone an owner is confirmed first: a form without confirm=owner asks
// (with htmx in the row, without it on the confirmation page).
func (h *MemberPages) ChangeRole(c *fiber.Ctx) error {
	f := formOf(c, "role", "version", "confirm")
	var m db.Membership
	var err error
	switch {
	case f.Value("role") == "":
		err = db.Invalid(map[string]string{"role": "choose a role"})
	case f.Value("role") == db.OwnerRoleSlug && f.Value("confirm") != db.OwnerRoleSlug:
		return h.askOwner(c, f)
	default:
		m, err = h.Store.UpdateMembership(ctx(c), PrincipalOf(c).Scope, rowRef(c), db.MembershipChange{Role: f.Value("role"), IfMatch: versionOf(f)})
	}
	return h.rowDone(c, actRole, f, m, err, m.User.Email+" now has the role "+m.Role.Name+".")
}

// askOwner asks before making a member an owner: htmx gets the row with
// the question in place of the role's select; a plain form goes to the
// confirmation page (a GET, so that reload and Back work). A member who
// is an owner already is only shown again.
func (h *MemberPages) askOwner(c *fiber.Ctx, f views.Form) error {
	m, err := h.Store.Membership(ctx(c), PrincipalOf(c).Scope, rowRef(c))
	if errors.Is(err, db.ErrMembershipNotFound) {
		return h.rowDone(c, actRole, f, m, err, "")
	}
	if err != nil {
		return err
	}
	if m.Role.Slug == db.OwnerRoleSlug {
		return h.rowChanged(c, views.MemberRow{Member: m, Edit: actRole, Note: m.User.Email + " is an owner already."})
	}
	if isFragment(c) {
		return h.row(c, fiber.StatusOK, views.MemberRow{Member: m, Edit: views.EditConfirmOwner, Form: f})
	}
	l := listOf(c)
	q := url.Values{"grant": {db.OwnerRoleSlug}, "version": {f.Value("version")}}
	return Redirect(c, memberActionPath(l, m.ID, actRole)+"?"+q.Encode()+listParams(l))
}

// ConfirmOwner answers GET /accounts/{id}/members/{mid}/role: with
// grant=owner, the page that asks before making the member an owner;
// otherwise (a bookmark, a reload of a refused form) the members page.
func (h *MemberPages) ConfirmOwner(c *fiber.Ctx) error {
	l := listOf(c)
	if c.Query("grant") != db.OwnerRoleSlug || !PrincipalOf(c).MayChange() {
		return Redirect(c, l.url())
	}
	sc := PrincipalOf(c).Scope
	acct, err := h.Store.Account(ctx(c), sc, l.accountID)
	if err != nil {
		return err
	}
	m, err := h.Store.Membership(ctx(c), sc, rowRef(c))
	if err != nil {
		return err
	}
	v := views.OwnerConfirm{Account: acct, Member: m, Version: c.Query("version"), Base: l.base, Query: l.query()}
	return h.render(c, fiber.StatusOK, "Make owner", "accounts", views.OwnerConfirmation(v))
}

// memberActionPath is the path of a row action, without the list's state.
func memberActionPath(l memberList, memberID, action string) string {
	return l.base + "/members/" + memberID + "/" + action
}

// listParams are the list's state as more query parameters ("&…"), or "".
func listParams(l memberList) string {
	if q := l.query(); q != "" {
		return "&" + q[1:]
	}
	return ""
}

// BackToMembers answers a GET of a members page's form address (a
// bookmark, or the address bar after a refused form without scripts):
// the members page, rather than a dead end.
func (h *MemberPages) BackToMembers(c *fiber.Ctx) error {
	return Redirect(c, listOf(c).url())
}

// SetPermissions answers POST /accounts/{id}/members/{mid}/permissions: the
// ticked boxes become the member's direct permissions. Direct permissions
// the role also gives keep: their boxes are locked, so they are not sent.
func (h *MemberPages) SetPermissions(c *fiber.Ctx) error {
	f := formOf(c, "version")
	ticked := formMulti(c, f, "permissions")
	sc, ref := PrincipalOf(c).Scope, rowRef(c)
	m, err := h.Store.Membership(ctx(c), sc, ref)
	if f.Invalid() {
		err = db.Invalid(f.Errors)
	}
	if err == nil {
		set := db.SortedUnique(append(ticked, lockedDirect(m)...))
		m, err = h.Store.UpdateMembership(ctx(c), sc, ref, db.MembershipChange{Permissions: &set, IfMatch: versionOf(f)})
	}
	direct := "none"
	if len(m.Permissions) > 0 {
		direct = strings.Join(m.Permissions, ", ")
	}
	return h.rowDone(c, actPermissions, f, m, err, "Saved the direct permissions of "+m.User.Email+": "+direct+".")
}

// lockedDirect are the member's direct permissions its role gives too.
func lockedDirect(m db.Membership) []string {
	var out []string
	for _, k := range m.Permissions {
		for _, r := range m.Role.Permissions {
			if k == r {
				out = append(out, k)
			}
		}
	}
	return out
}

// Remove answers POST /accounts/{id}/members/{mid}/remove, and …/revoke,
// which removes a member who has not accepted their invitation yet (the
// store records invitation.revoked). The member must still be as the page
// showed them.
func (h *MemberPages) Remove(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f := formOf(c, "version")
		sc, ref := PrincipalOf(c).Scope, rowRef(c)
		m, err := h.Store.Membership(ctx(c), sc, ref)
		if err == nil {
			ifMatch := versionOf(f)
			if ifMatch == nil {
				ifMatch = db.IfMatch{m.Version}
			}
			remove := h.Store.DeleteMembership
			if action == actRevoke {
				remove = h.Store.RevokeInvitation
			}
			err = remove(ctx(c), sc, ref, ifMatch)
		}
		if err != nil {
			return h.rowDone(c, action, f, m, err, "")
		}
		if leaving(c, m) {
			h.Session.LeavePortal(ctx(c))
			return Redirect(c, PortalHome)
		}
		note := "Removed " + m.User.Email + " from the account."
		if action == actRevoke {
			note = "Revoked the invitation of " + m.User.Email + ": its link no longer works."
		}
		return h.rowChanged(c, views.MemberRow{Member: m, Gone: true, Note: note})
	}
}

// leaving reports whether removing m is the portal's member leaving the
// account: their own membership.
func leaving(c *fiber.Ctx, m db.Membership) bool {
	pa := PrincipalOf(c).Portal
	return pa != nil && m.ID == pa.Membership.ID
}

// Resend answers POST /accounts/{id}/members/{mid}/resend, which support
// staff may use too: a new link and email, the old link dead.
func (h *MemberPages) Resend(c *fiber.Ctx) error {
	m, err := h.Store.ResendInvitation(ctx(c), PrincipalOf(c).Scope, rowRef(c), h.AcceptURL)
	return h.rowDone(c, actResend, formOf(c), m, err, "Sent a new invitation to "+m.User.Email+": the previous link no longer works.")
}

// Confirm answers GET /accounts/{id}/members/{mid}/remove and …/revoke: the
// page that asks first, where the row's links lead without scripts (with
// them, hx-confirm asks).
func (h *MemberPages) Confirm(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, l := PrincipalOf(c).Scope, listOf(c)
		acct, err := h.Store.Account(ctx(c), sc, l.accountID)
		if err != nil {
			return err
		}
		m, err := h.Store.Membership(ctx(c), sc, rowRef(c))
		if err != nil {
			return err
		}
		if action == actRevoke && m.Status != db.StatusInvited {
			h.flash(c, m.User.Email+" has accepted the invitation already.")
			return Redirect(c, l.url())
		}
		title := "Remove member"
		if action == actRevoke {
			title = "Revoke invitation"
		}
		v := views.MemberConfirm{Account: acct, Member: m, Action: action, Base: l.base, Query: l.query()}
		if leaving(c, m) {
			v.Self, title = true, "Leave account"
		}
		return h.render(c, fiber.StatusOK, title, "accounts", views.MemberConfirmation(v))
	}
}

// rowDone ends a row action. Done: see rowChanged. A member removed in the
// meantime: the row says so. A problem the person can fix (a stale version,
// the last owner, a role or permission gone): the row as it is now, what
// they sent kept and the problem next to it, with 422; without htmx, in
// the whole page.
func (h *MemberPages) rowDone(c *fiber.Ctx, action string, f views.Form, m db.Membership, err error, note string) error {
	if err == nil {
		return h.rowChanged(c, views.MemberRow{Member: m, Edit: action, Note: note})
	}
	gone := views.MemberRow{Member: db.Membership{ID: c.Params("mid")}, Gone: true,
		Note: "This member is no longer in the account: someone removed them since you loaded the page."}
	if errors.Is(err, db.ErrMembershipNotFound) {
		return h.rowChanged(c, gone)
	}
	var refusal *db.Error
	if !errors.As(err, &refusal) {
		return err
	}
	cur, cerr := h.Store.Membership(ctx(c), PrincipalOf(c).Scope, rowRef(c))
	if errors.Is(cerr, db.ErrMembershipNotFound) {
		return h.rowChanged(c, gone)
	}
	if cerr != nil {
		return cerr
	}
	f.Errors = nil // what the form itself found is in err
	f, ok := refused(f, err, rowLabels, append(forbiddenSays(err, action), rowSays(action, cur)...)...)
	if !ok {
		return err
	}
	r := views.MemberRow{Member: cur, Edit: action, Form: gathered(f, action)}
	if isFragment(c) {
		return h.row(c, statusFormErrors, r)
	}
	return h.show(c, refusedStatus(err), pageState{row: &r})
}

// rowChanged ends a row action that changed the row: htmx swaps in the row,
// which says what happened; a plain form goes back to the list, which
// shows it as a flash.
func (h *MemberPages) rowChanged(c *fiber.Ctx, r views.MemberRow) error {
	if isFragment(c) {
		return h.row(c, fiber.StatusOK, r)
	}
	h.flash(c, r.Note)
	return Redirect(c, listOf(c).url())
}

// row answers htmx with one row of the table.
func (h *MemberPages) row(c *fiber.Ctx, status int, r views.MemberRow) error {
	t, err := h.table(c, listOf(c))
	if err != nil {
		return err
	}
	if r.Member.Status == db.StatusInvited {
		links, err := h.Store.InvitationLinks(ctx(c), PrincipalOf(c).Scope, []string{r.Member.ID})
		if err != nil {
			return err
		}
		r.Link = links[r.Member.ID]
	}
	return h.render(c, status, "", "accounts", views.MemberRowOnly(t, r))
}

// refusedStatus is the status of a whole page shown again with a refusal:
// 403 when the principal may not do what it sent (a member's limits, a
// control absent from their page, forged or not), else 422. htmx swaps
// only 422 answers in place, so a fragment is always 422.
func refusedStatus(err error) int {
	if errors.Is(err, db.ErrForbidden) {
		return fiber.StatusForbidden
	}
	return statusFormErrors
}

// forbiddenSays are the members page's words for a member's limits
// (db/member.go), naming what was beyond their rights.
func forbiddenSays(err error, field string) []saying {
	var e *db.Error
	if !errors.As(err, &e) || !errors.Is(err, db.ErrForbidden) {
		return nil
	}
	msg := e.Message
	switch {
	case e.Details["reason"] == db.ReasonEscalation:
		msg = "You may only give permissions you hold yourself"
		if keys, ok := e.Details["permissions"].([]string); ok && len(keys) > 0 {
			msg += ", and you do not hold " + strings.Join(keys, ", ")
		}
	case e.Details["required_permission"] != nil:
		msg = "You may not do this: it needs the permission " + fmt.Sprint(e.Details["required_permission"]) + " in this account"
	}
	return []saying{{db.ErrForbidden, field, msg}}
}

// rowLabels name the fields of a row's forms: a row says what is wrong
// with them by the reason alone.
var rowLabels = labels{actRole: "", actPermissions: "", "expires_at": "The end"}

// rowSays are the members table's own words for the refusals of a row's
// action, given the member as they are now.
func rowSays(action string, now db.Membership) []saying {
	stale := "Someone changed this member since you loaded the page. Check the row as it is now, then try again if you still want to."
	lastOwner := "This is the account's last active owner: make someone else owner before removing them."
	switch action {
	case actRole:
		lastOwner = "This is the account's last active owner: make someone else owner before giving them another role."
		stale = "Someone changed this member since you loaded the page: their role is now " + now.Role.Name +
			". Choose the role again and save if you still want to change it."
	case views.ActDeactivate:
		lastOwner = "This is the account's last active owner: make someone else owner before deactivating them."
	case actPermissions:
		stale = "Someone changed this member since you loaded the page (the role is now " + now.Role.Name +
			"). The row shows how they are now, with your choice kept: save again to apply it."
	}
	says := []saying{
		{db.ErrStale, action, stale},
		{db.ErrLastOwner, action, lastOwner},
		{db.ErrUnknownRole, action, "That role no longer exists: reload the page and choose another."},
	}
	says = append(says, lifecycleSays(action)...)
	if action == actResend {
		says = append(says, saying{db.ErrNotInvited, action, "There is no invitation to resend: this person has accepted it already."})
	}
	return says
}
