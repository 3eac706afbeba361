package handlers

import (
	"log/slog"

	"roster/db"
)

// Options are the settings handlers need besides the database.
type Options struct {
	BaseURL  string
	Logger   *slog.Logger
	Sessions SessionManager // the console's sessions
}

// Handlers is every handler of the server, built once with its dependencies.
type Handlers struct {
	Health   *Health
	Accounts *Accounts
	Catalog  *Catalog

	// The console's pages.
	Console      *Console
	SignIn       *SignIn
	AccountPages *AccountPages
	KeyPages     *KeyPages
	Activity     *ActivityPages
	Team         *TeamPages
}

// New builds the handlers over one database.
func New(store *db.DB, opts Options) *Handlers {
	console := &Console{Session: opts.Sessions}
	return &Handlers{
		Health:   &Health{DB: store},
		Accounts: &Accounts{Store: store},
		Catalog:  &Catalog{Store: store},

		Console:      console,
		SignIn:       &SignIn{Console: console, Store: store},
		AccountPages: &AccountPages{Console: console, Store: store},
		KeyPages:     &KeyPages{Console: console, Store: store},
		Activity:     &ActivityPages{Console: console, Store: store},
		Team:         &TeamPages{Console: console, Store: store},
	}
}
