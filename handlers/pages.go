package handlers

import (
	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// Pages is every page handler of the console, built once with its
// dependencies: the console is its own surface, next to the API's Handlers.
type Pages struct {
	Console  *Console
	SignIn   *SignIn
	Accounts *AccountPages
	Keys     *KeyPages
	Webhooks *WebhookPages
	Activity *ActivityPages
	Staff    *StaffPages
	Roles    *RolePages
	Members  *MemberPages
	Imports  *MemberImports // members imported from a CSV file
	Invite   *InvitationPages
	Join     *StaffJoinPages // the page of a link to join the staff
	Portal   *PortalPages    // one account's members page for its member, over the portal's sessions
	Seats    *SeatPages      // an account's seat limit and the transfer of its ownership
	Domains  *DomainPages
}

// PageOptions are the settings of the console's pages besides the
// database and the sessions.
type PageOptions struct {
	BaseURL   string                           // where the server is reached, for the links of invitations
	Secure    bool                             // cookies over TLS only
	CSRFToken func(*fiber.Ctx) (string, error) // the token of each answer's forms
	// PortalSession and PortalCSRFToken are the portal's sessions and
	// the tokens of its forms, bound to those sessions.
	PortalSession   *Session
	PortalCSRFToken func(*fiber.Ctx) (string, error)
	// DNS looks up the TXT records that verify domains.
	DNS TXTResolver
}

// NewPages builds the console's page handlers over one database and the
// console's sessions.
func NewPages(store *db.DB, session *Session, opts PageOptions) *Pages {
	console := &Console{Session: session, CSRFToken: opts.CSRFToken, Secure: opts.Secure}
	portal := &Console{Session: opts.PortalSession, CSRFToken: opts.PortalCSRFToken, Secure: opts.Secure}
	return &Pages{
		Console:  console,
		SignIn:   &SignIn{Console: console, Store: store},
		Accounts: &AccountPages{Console: console, Store: store},
		Keys:     &KeyPages{Console: console, Store: store},
		Webhooks: &WebhookPages{Console: console, Store: store},
		Activity: &ActivityPages{Console: console, Store: store},
		Staff:    &StaffPages{Console: console, Store: store, JoinURL: joinURLs(opts.BaseURL)},
		Roles:    &RolePages{Console: console, Store: store},
		Members:  &MemberPages{Console: console, Store: store, AcceptURL: acceptURLs(opts.BaseURL)},
		Imports:  &MemberImports{Console: console, Store: store, AcceptURL: acceptURLs(opts.BaseURL)},
		Invite:   &InvitationPages{Console: console, Store: store},
		Join:     &StaffJoinPages{Console: console, Store: store},
		Seats:    &SeatPages{Console: console, Store: store},
		Portal: &PortalPages{Console: portal, Store: store, Seats: &SeatPages{Console: portal, Store: store},
			Members:  &MemberPages{Console: portal, Store: store, AcceptURL: acceptURLs(opts.BaseURL)},
			Imports:  &MemberImports{Console: portal, Store: store, AcceptURL: acceptURLs(opts.BaseURL)},
			Activity: &ActivityPages{Console: portal, Store: store},
			Domains:  &DomainPages{Console: portal, Store: store, DNS: opts.DNS}},
		Domains: &DomainPages{Console: console, Store: store, DNS: opts.DNS},
	}
}
