package handlers

import (
	"log/slog"

	"roster/db"
)

// Options are the settings handlers need besides the database.
type Options struct {
	BaseURL string
	Logger  *slog.Logger
	// DNS looks up the TXT records that verify domains.
	DNS TXTResolver
}

// Handlers is every handler of the server, built once with its dependencies.
type Handlers struct {
	Health      *Health
	Accounts    *Accounts
	Memberships *Memberships
	Bulk        *BulkMemberships
	Catalog     *Catalog
	Staff       *Staff
	Events      *Events
	People      *People
	Portal      *PortalSessions
	Webhooks    *Webhooks
	Domains     *Domains
	DomainJoins *DomainJoins
	OpenAPI     *OpenAPI
}

// New builds the handlers over one database.
func New(store *db.DB, opts Options) *Handlers {
	return &Handlers{
		Health:      &Health{DB: store},
		Accounts:    &Accounts{Store: store},
		Memberships: &Memberships{Store: store, BaseURL: opts.BaseURL},
		Bulk:        &BulkMemberships{Store: store, BaseURL: opts.BaseURL},
		Catalog:     &Catalog{Store: store},
		Staff:       &Staff{Store: store, JoinURL: joinURLs(opts.BaseURL)},
		Events:      &Events{Store: store},
		People:      &People{Store: store},
		Portal:      &PortalSessions{Store: store, BaseURL: opts.BaseURL},
		Webhooks:    &Webhooks{Store: store},
		Domains:     &Domains{Store: store, DNS: opts.DNS},
		DomainJoins: &DomainJoins{Store: store},
		OpenAPI:     NewOpenAPI(opts.BaseURL),
	}
}
