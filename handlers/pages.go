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
	Team     *TeamPages
	Roles    *RolePages
	Members  *MemberPages
	Invite   *InvitationPages
}

// NewPages builds the console's page handlers over one database and the
// console's sessions, with csrfToken giving the token of each answer's
// forms; baseURL is where the server is reached, for the links of
// invitations.
func NewPages(store *db.DB, sessions SessionManager, csrfToken func(*fiber.Ctx) (string, error), baseURL string) *Pages {
	console := &Console{Session: sessions, CSRFToken: csrfToken}
	return &Pages{
		Console:  console,
		SignIn:   &SignIn{Console: console, Store: store},
		Accounts: &AccountPages{Console: console, Store: store},
		Keys:     &KeyPages{Console: console, Store: store},
		Activity: &ActivityPages{Console: console, Store: store},
		Team:     &TeamPages{Console: console, Store: store},
		Roles:    &RolePages{Console: console, Store: store},
		Members:  &MemberPages{Console: console, Store: store, AcceptURL: acceptURLs(baseURL)},
		Invite:   &InvitationPages{Console: console, Store: store},
	}
}
