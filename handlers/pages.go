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
	Activity *ActivityPages
	Staff    *StaffPages
	Roles    *RolePages
	Members  *MemberPages
	Invite   *InvitationPages
}

// PageOptions are the settings of the console's pages besides the
// database and the sessions.
type PageOptions struct {
	BaseURL   string                           // where the server is reached, for the links of invitations
	Secure    bool                             // cookies over TLS only
	CSRFToken func(*fiber.Ctx) (string, error) // the token of each answer's forms
}

// NewPages builds the console's page handlers over one database and the
// console's sessions.
func NewPages(store *db.DB, session *Session, opts PageOptions) *Pages {
	console := &Console{Session: session, CSRFToken: opts.CSRFToken, Secure: opts.Secure}
	return &Pages{
		Console:  console,
		SignIn:   &SignIn{Console: console, Store: store},
		Accounts: &AccountPages{Console: console, Store: store},
		Keys:     &KeyPages{Console: console, Store: store},
		Activity: &ActivityPages{Console: console, Store: store},
		Staff:    &StaffPages{Console: console, Store: store},
		Roles:    &RolePages{Console: console, Store: store},
		Members:  &MemberPages{Console: console, Store: store, AcceptURL: acceptURLs(opts.BaseURL)},
		Invite:   &InvitationPages{Console: console, Store: store},
	}
}
