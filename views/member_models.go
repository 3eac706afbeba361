package views

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster/db"
)

// MembersPage is an account's members: the forms that add people, the
// filters and one page of the table.
type MembersPage struct {
	Account  db.Account
	Filter   MemberFilter
	Table    MemberTable
	Rows     []MemberRow
	FirstURL string // the first page, "" on it
	NextURL  string // the next page, "" on the last
	Invite   AddForm
	Link     AddForm
	Staff    []LinkCandidate // the team members who may be linked
}

// MemberFilter narrows the table: a status, a role's slug, and the start of
// an email or name.
type MemberFilter struct {
	Status, Role, Q string
}

// Active reports whether any filter is set.
func (f MemberFilter) Active() bool { return f.Status != "" || f.Role != "" || f.Q != "" }

// MemberTable is what every row of the members table needs to know: the
// same table serves the staff console (/accounts/{id}) and the portal
// (/portal), where an account's own member acts within their rights.
type MemberTable struct {
	AccountID string
	Base      string // the members page's path, which every form's path starts with
	Query     string // the list's filters and page ("?q=…&after=…", or ""), where every form returns
	CanWrite  bool   // staff owners and admins, or a member holding members.manage; support staff may only resend invitations and copy their links
	Roles     []db.Role
	Catalog   []db.Permission
	Now       time.Time
	Member    *MemberViewer // the portal's viewer; nil in the staff console
}

// MemberViewer is the account's member who views the portal: the table
// offers only what the stores would let them do (db/member.go).
type MemberViewer struct {
	MembershipID string   // their own membership: its role and permissions are not theirs to change
	Owner        bool     // an owner may give and change the role owner
	Holds        []string // their effective permissions: nothing beyond them is offered
}

// refusedInvite is what was wrong with an invite sent from a page that
// offers none (a forged form, or rights lost since): said above the
// table, as the form it belongs to is absent.
func (p MembersPage) refusedInvite() string {
	if p.Table.CanWrite {
		return ""
	}
	msgs := []string{}
	if p.Invite.Form.Error != "" {
		msgs = append(msgs, p.Invite.Form.Error)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Invite.Form.Errors)) {
		msgs = append(msgs, p.Invite.Form.Errors[k])
	}
	return strings.Join(msgs, " ")
}

// MembersBase is the path of an account's members page in the console.
func MembersBase(accountID string) string { return "/accounts/" + accountID }

// offersRole reports whether the table offers to give role r: to staff
// always, to a member when it carries nothing beyond their own
// permissions (and the role owner only to an owner).
func (t MemberTable) offersRole(r db.Role) bool {
	v := t.Member
	return v == nil || (r.Slug != db.OwnerRoleSlug || v.Owner) && subset(r.Permissions, v.Holds)
}

// offersPermission reports whether the table offers to give the key.
func (t MemberTable) offersPermission(key string) bool {
	return t.Member == nil || slices.Contains(t.Member.Holds, key)
}

// editsRow reports whether the viewer may change m's role and direct
// permissions: never their own, an owner's only as an owner.
func (t MemberTable) editsRow(m db.Membership) bool {
	v := t.Member
	return t.CanWrite && (v == nil || m.ID != v.MembershipID && (m.Role.Slug != db.OwnerRoleSlug || v.Owner))
}

// removesRow reports whether the viewer may remove m: a member may always
// try to leave (the last owner is refused, and told why).
func (t MemberTable) removesRow(m db.Membership) bool {
	if v := t.Member; v != nil && m.ID == v.MembershipID {
		return true
	}
	return t.editsRow(m)
}

// mayResend reports whether the viewer may resend m's invitation (and see
// its link): every staff member, and a member holding members.manage, an
// owner's invitation only as an owner.
func (t MemberTable) mayResend(m db.Membership) bool {
	v := t.Member
	return v == nil || t.CanWrite && (m.Role.Slug != db.OwnerRoleSlug || v.Owner)
}

// self reports whether m is the viewer's own membership.
func (t MemberTable) self(m db.Membership) bool {
	return t.Member != nil && m.ID == t.Member.MembershipID
}

// offeredRoles are the roles the viewer may give, keeping current (a
// member's role now, "" for none) in the list.
func (t MemberTable) offeredRoles(current string) []db.Role {
	var out []db.Role
	for _, r := range t.Roles {
		if r.Slug == current || t.offersRole(r) {
			out = append(out, r)
		}
	}
	return out
}

// offeredPermissions are the catalog's keys the viewer may give, and
// those the row's member holds directly already (which they may take).
func (t MemberTable) offeredPermissions(held []string) []db.Permission {
	var out []db.Permission
	for _, p := range t.Catalog {
		if t.offersPermission(p.Key) || slices.Contains(held, p.Key) {
			out = append(out, p)
		}
	}
	return out
}

// subset reports whether every key is held.
func subset(keys, held []string) bool {
	for _, k := range keys {
		if !slices.Contains(held, k) {
			return false
		}
	}
	return true
}

// MemberRow is one membership of the table.
type MemberRow struct {
	Member db.Membership
	Link   string // the invitation's accept link, from its email; "" when there is none
	Edit   string // the row's form just sent: "role", "permissions", "remove", "revoke" or "resend"
	Form   Form   // what that form sent, kept with its errors
	Note   string // what just happened to the row
	Gone   bool   // the member was just removed: the row only says so
}

// AddForm is the invite or link form, with the outcome for each person of
// the last submission.
type AddForm struct {
	Form    Form
	Results []AddResult
}

// AddResult is what happened to one person of an invite or link.
type AddResult struct {
	Who  string // an email address, as typed or as the team knows it
	OK   bool
	Says string // "invited", "already a member of this account", …
	Same bool   // an address typed twice in different cases: Says says so
}

// LinkCandidate is a team member who is not an active member of the account.
type LinkCandidate struct {
	Staff   db.StaffMember
	Invited bool // invited already: linking makes the membership active
}

// MemberConfirm asks before removing a member or revoking an invitation;
// it is where the row's links lead without scripts.
type MemberConfirm struct {
	Account db.Account
	Member  db.Membership
	Action  string // "remove" or "revoke"
	Base    string // the members page's path
	Query   string // the list's state, to return to
	Self    bool   // the viewer's own membership: they leave the account
}

// InvitationPage is the public page an invitation's link opens.
type InvitationPage struct {
	Invitation db.PendingInvitation
	Action     string // where the form posts: the page's own path
	Form       Form
}

// InvitationAccepted is the page shown once an invitation is accepted.
type InvitationAccepted struct {
	Account, Role, Workspace string // empty when the page is opened again later
}

// rowID is the id of a membership's table row, which htmx swaps.
func rowID(m db.Membership) string { return "member-" + m.ID }

// memberPath is the path of a row action, keeping the list's state.
func memberPath(t MemberTable, m db.Membership, action string) string {
	return t.Base + "/members/" + m.ID + "/" + action + t.Query
}

// addPath is the path of the invite or link form, keeping the list's state.
func addPath(p MembersPage, action string) string {
	return p.Table.Base + "/" + action + p.Table.Query
}

// title is the question of the confirmation page.
func (p MemberConfirm) title() string {
	if p.Action == "revoke" {
		return "Revoke the invitation of " + p.Member.User.Email + "?"
	}
	if p.Self {
		return "Leave " + p.Account.Name + "?"
	}
	return "Remove " + p.Member.User.Email + " from " + p.Account.Name + "?"
}

// explanation says what the confirmed action does.
func (p MemberConfirm) explanation() string {
	if p.Action == "revoke" {
		return "The link sent to them stops working, and they are no longer listed in " + p.Account.Name + ". You can invite them again later."
	}
	if p.Self {
		return "You lose the role " + p.Member.Role.Name + " and every permission in this account, and this page closes. Someone who manages its members can add you again."
	}
	return "They lose the role " + p.Member.Role.Name + " and every permission in this account. You can add them again later."
}

// button is the label of the button that confirms.
func (p MemberConfirm) button() string {
	if p.Action == "revoke" {
		return "Revoke invitation"
	}
	if p.Self {
		return "Leave account"
	}
	return "Remove member"
}

// confirmPath is where a confirmation page's form posts.
func confirmPath(p MemberConfirm) string {
	return p.Base + "/members/" + p.Member.ID + "/" + p.Action + p.Query
}

// joinOr lists keys, or says none.
func joinOr(keys []string, none string) string {
	if len(keys) == 0 {
		return none
	}
	return strings.Join(keys, ", ")
}

// staffLabel names a team member that may be linked.
func staffLabel(c LinkCandidate) string {
	s := c.Staff.User.Email
	if c.Staff.User.Name != "" {
		s += " (" + c.Staff.User.Name + ")"
	}
	if c.Invited {
		s += ": invited already, linking makes them active"
	}
	return s
}

// versionVals is the hx-vals of a row link that posts: the version shown.
func versionVals(m db.Membership) string {
	b, _ := json.Marshal(map[string]string{"version": version(m)})
	return string(b)
}

func version(m db.Membership) string { return strconv.FormatInt(m.Version, 10) }

// kept reports whether the row shows what its form sent rather than the
// membership: after an error, so that nothing typed is lost.
func (r MemberRow) kept(action string) bool { return r.Edit == action && r.Form.Invalid() }

// role is the role slug the row's select shows: the member's own, even
// after a refused change, whose reason is shown next to it.
func (r MemberRow) role() string { return r.Member.Role.Slug }

// EditConfirmOwner is the Edit of a row that asks before making its member
// an owner.
const EditConfirmOwner = "confirm-owner"

// OwnerConfirm asks before making a member an owner, for browsers without
// scripts (with them, the row asks).
type OwnerConfirm struct {
	Account db.Account
	Member  db.Membership
	Version string // the version of the member the form was sent with
	Base    string // the members page's path
	Query   string // the list's state, to return to
}

// ownerQuestion is what is asked before making m an owner.
func ownerQuestion(m db.Membership) string {
	return "Make " + m.User.Email + " an owner of this account? Owners can change everything in it, other owners included."
}

// direct reports whether the row's permission box for key is ticked.
func (r MemberRow) direct(key string) bool {
	if r.kept("permissions") {
		return r.Form.Checked("permissions", key)
	}
	return slices.Contains(r.Member.Permissions, key)
}

// fromRole reports whether the member's role gives key: its box is locked.
func (r MemberRow) fromRole(key string) bool { return slices.Contains(r.Member.Role.Permissions, key) }

// invited reports whether the member has yet to accept an invitation.
func (r MemberRow) invited() bool { return r.Member.Status == db.StatusInvited }

// expired reports whether the member's invitation can no longer be accepted.
func (r MemberRow) expired(now time.Time) bool {
	return r.Member.Invitation != nil && !r.Member.Invitation.ExpiresAt.After(now)
}

// actionError is the problem of the row's remove, revoke or resend.
func (r MemberRow) actionError() string {
	for _, a := range []string{"remove", "revoke", "resend"} {
		if e := r.Form.Err(a); e != "" {
			return e
		}
	}
	return ""
}

// inviter is who sent an invitation, as the invitee reads it.
func inviter(inv db.PendingInvitation) string {
	switch {
	case inv.InviterName != nil && *inv.InviterName != "":
		return *inv.InviterName + " (" + deref(inv.InviterEmail) + ")"
	case inv.InviterEmail != nil:
		return *inv.InviterEmail
	}
	return "the " + inv.WorkspaceName + " team"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
