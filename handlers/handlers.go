package handlers

import (
	"log/slog"

	"roster/db"
)

// Options are the settings handlers need besides the database.
type Options struct {
	BaseURL string
	Logger  *slog.Logger
}

// Handlers is every handler of the server, built once with its dependencies.
type Handlers struct {
	Health   *Health
	Accounts *Accounts
	Catalog  *Catalog
}

// New builds the handlers over one database.
func New(store *db.DB, opts Options) *Handlers {
	return &Handlers{
		Health:   &Health{DB: store},
		Accounts: &Accounts{Store: store},
		Catalog:  &Catalog{Store: store},
	}
}
