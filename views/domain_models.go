package views

import (
	"slices"

	"roster/db"
)

// DomainsPage is an account's email domains: the staff console's
// (/accounts/{id}/domains) or, for a member holding org.manage, the
// portal's (/portal/domains).
type DomainsPage struct {
	Account    db.Account
	Base       string // the page's path, which every form's path starts with
	MembersURL string // the account's members page
	Domains    []db.Domain
	Roles      []db.Role // the roles a domain may give: never owner, nor beyond a member's own
	CanWrite   bool      // staff owners and admins, or a member holding org.manage
	ByHand     bool      // may mark a domain verified by hand: staff owners and admins
	Portal     bool
	Notice     string // what the action just done did
	Form       Form   // the add form
	// Refused is the domain whose action was refused, with the message
	// in RowForm.
	Refused string
	RowForm Form
}

// DomainConfirm asks before giving up an account's claim of a domain.
type DomainConfirm struct {
	Domain db.Domain
	Base   string
}

// DomainRoles are the roles a domain may give from roles: none is owner,
// and for a member (holds not nil) none carries a permission beyond holds.
func DomainRoles(roles []db.Role, holds []string) []db.Role {
	return slices.DeleteFunc(slices.Clone(roles), func(r db.Role) bool {
		if r.Slug == db.OwnerRoleSlug {
			return true
		}
		return holds != nil && slices.ContainsFunc(r.Permissions, func(k string) bool { return !slices.Contains(holds, k) })
	})
}

// enrollmentWords say what an enrollment does, for people.
var enrollmentWords = map[string]string{
	db.EnrollManual:   "Manual: nothing happens",
	db.EnrollSuggest:  "Suggest: offered to join",
	db.EnrollAutoJoin: "Auto-join: made a member",
}

// domainsLinkOf is where a members page links to the account's domains,
// "" when the viewer may not see them (a member without org.manage).
func domainsLinkOf(p MembersPage) string {
	if p.Table.Member == nil {
		return MembersBase(p.Account.ID) + "/domains"
	}
	if slices.Contains(p.Table.Member.Holds, db.PermOrgManage) {
		return "/portal/domains"
	}
	return ""
}
