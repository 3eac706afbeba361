package views

import (
	"time"

	"roster/db"
)

// WebhooksPage lists the mode's webhook endpoints, with the form that
// adds one.
type WebhooksPage struct {
	Live      bool
	Endpoints []db.WebhookEndpoint
	NextURL   string // the next page of endpoints, "" on the last
	FirstURL  string // the first page, "" on it
	// Accounts are the choices of the account an endpoint is confined
	// to; MoreAccounts says the mode has more than these, so that the
	// form asks for an account's id instead.
	Accounts     []db.Account
	MoreAccounts bool
	EventTypes   []string // the checklist of event types an endpoint may receive
	CanWrite     bool
	Form         Form
}

// accountName names the account of an endpoint: by its name when it is
// among the page's accounts, else by its id.
func (p WebhooksPage) accountName(id *string) string {
	if id == nil {
		return "Every account"
	}
	for _, a := range p.Accounts {
		if a.ID == *id {
			return a.Name
		}
	}
	return *id
}

// WebhookPage is one endpoint: its status, its controls, its old secrets
// still signing and its recent deliveries.
type WebhookPage struct {
	Live        bool
	Endpoint    db.WebhookEndpoint
	AccountName string      // the name of the endpoint's account, "" for every account
	OldSecrets  []time.Time // when each old secret that still signs stops, latest first
	Deliveries  []db.WebhookDelivery
	NextURL     string // older deliveries, "" when none
	FirstURL    string // the newest, "" when shown
	NewSecret   *NewSecret
	CanWrite    bool
	Notice      string // what the action just done did, shown in place
	Form        Form   // a refused action: the rotation's choice and the message
	Now         time.Time
}

// NewSecret is an endpoint's signing secret, shown once after the
// endpoint is created or its secret rotated.
type NewSecret struct {
	EndpointID string     `json:"endpoint_id"`
	Secret     string     `json:"secret"`
	OldUntil   *time.Time `json:"old_until"` // after a rotation: until when the old secret keeps signing
	Rotated    bool       `json:"rotated"`
}

// WebhookConfirm asks before deleting an endpoint.
type WebhookConfirm struct {
	Endpoint db.WebhookEndpoint
}
