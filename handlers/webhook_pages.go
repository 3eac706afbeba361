package handlers

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// WebhookPageStore is what the webhooks pages need of the database: the
// API's own store, the old secrets still signing and the accounts an
// endpoint may be confined to.
type WebhookPageStore interface {
	WebhookStore
	OldWebhookSecrets(ctx context.Context, sc db.Scope, endpointID string) ([]time.Time, error)
	ListAccounts(ctx context.Context, sc db.Scope, q string, page db.Page) ([]db.Account, error)
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
}

// WebhookPages serves the console's webhooks pages: the mode's endpoints
// (GET /webhooks), one endpoint with its deliveries (GET /webhooks/{id})
// and the forms on them, changed through the store of /v1/webhook-endpoints.
type WebhookPages struct {
	*Console
	Store WebhookPageStore
}

// Sizes of the webhooks pages' lists.
var (
	endpointsPage   = db.Page{Limit: 100}
	accountChoices  = db.Page{Limit: 100} // beyond these, the form asks for an account's id
	deliveriesShown = 20
)

var endpointLabels = labels{"url": "The URL", "description": "The description", "enabled_events": "The events",
	"account_id": "The account", "expires_in": "The time"}

// newSecretOnce is where an endpoint's new signing secret waits for the
// endpoint's page.
var newSecretOnce = once{slot: NewSecretSlot, cookie: "roster_new_secret", path: "/webhooks"}

// List answers GET /webhooks: the mode's endpoints and the form that adds one.
func (h *WebhookPages) List(c *fiber.Ctx) error {
	f := views.Form{Multi: map[string][]string{"enabled_events": {db.AllEvents}}}
	return h.list(c, fiber.StatusOK, f)
}

// list shows the endpoints page with the add form f.
func (h *WebhookPages) list(c *fiber.Ctx, status int, f views.Form) error {
	p := PrincipalOf(c)
	page := db.Page{Limit: endpointsPage.Limit, After: c.Query("after")}
	eps, err := h.Store.ListWebhookEndpoints(ctx(c), p.Scope, page)
	if err != nil {
		return err
	}
	accounts, err := h.Store.ListAccounts(ctx(c), p.Scope, "", accountChoices)
	if err != nil {
		return err
	}
	accounts, more, _ := db.Trim(accounts, accountChoices, func(a db.Account) string { return a.ID })
	eps, moreEps, next := db.Trim(eps, page, func(ep db.WebhookEndpoint) string { return ep.ID })
	v := views.WebhooksPage{Live: p.Scope.Live, Endpoints: eps, Accounts: accounts, MoreAccounts: more,
		EventTypes: webhookEventTypes(), CanWrite: p.MayChange(), Form: f}
	v.FirstURL, v.NextURL = pageURLs("/webhooks", url.Values{}, page.After, moreEps, next)
	return h.render(c, status, "Webhooks", "webhooks", views.Webhooks(v))
}

// webhookEventTypes are the types an endpoint may ask for: every type but
// the test event, which goes to one endpoint whatever it asks for.
func webhookEventTypes() []string {
	return slices.DeleteFunc(slices.Clone(db.EventTypes), func(t string) bool { return t == db.TestEventType })
}

// Create answers POST /webhooks: an endpoint of the session's mode, whose
// page then shows its secret once.
func (h *WebhookPages) Create(c *fiber.Ctx) error {
	f := formOf(c, "url", "description", "account_id")
	events := formMulti(c, f, "enabled_events")
	if len(events) == 0 {
		f.Errors["enabled_events"] = "Choose at least one event, or All events."
	}
	if f.Invalid() {
		return h.list(c, statusFormErrors, f)
	}
	in := db.WebhookEndpointInput{URL: f.Value("url"), Description: f.Value("description"), EnabledEvents: events,
		AccountID: f.Value("account_id")}
	ep, err := h.Store.CreateWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, in)
	if f, ok := refused(f, err, endpointLabels); ok {
		return h.list(c, statusFormErrors, f)
	}
	if err != nil {
		return err
	}
	if err := newSecretOnce.put(h.Console, c, views.NewSecret{EndpointID: ep.ID, Secret: ep.Secret}); err != nil {
		return err
	}
	h.flash(c, "Added the endpoint "+ep.URL+".")
	return Redirect(c, endpointPath(ep.ID))
}

// endpointPath is the page of an endpoint.
func endpointPath(id string) string { return "/webhooks/" + id }

// Show answers GET /webhooks/{id}: the endpoint, a page of its deliveries
// (newest first, ?after= for older ones) and, once, its new secret.
func (h *WebhookPages) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, c.Params("id"), endpointState{})
}

// endpointState is what an action leaves on an endpoint's page: what it
// did, a secret to show, or what was refused.
type endpointState struct {
	notice string
	secret *views.NewSecret
	form   views.Form
}

// show renders an endpoint's page; a secret waiting for it is shown on a
// whole page only.
func (h *WebhookPages) show(c *fiber.Ctx, status int, id string, st endpointState) error {
	p := PrincipalOf(c)
	ep, err := h.Store.WebhookEndpoint(ctx(c), p.Scope, id)
	if err != nil {
		return err
	}
	v := views.WebhookPage{Live: p.Scope.Live, Endpoint: ep, CanWrite: p.MayChange(), Notice: st.notice,
		NewSecret: st.secret, Form: st.form, Now: time.Now()}
	after := ""
	if c.Method() == fiber.MethodGet {
		after = c.Query("after")
	}
	page := db.Page{Limit: deliveriesShown, After: after}
	ds, err := h.Store.ListWebhookDeliveries(ctx(c), p.Scope, ep.ID, "", page)
	if err != nil {
		return err
	}
	ds, more, next := db.Trim(ds, page, func(d db.WebhookDelivery) string { return d.ID })
	v.Deliveries = ds
	v.FirstURL, v.NextURL = pageURLs(endpointPath(ep.ID), url.Values{}, after, more, next)
	if v.OldSecrets, err = h.Store.OldWebhookSecrets(ctx(c), p.Scope, ep.ID); err != nil {
		return err
	}
	if ep.AccountID != nil {
		a, err := h.Store.Account(ctx(c), p.Scope, *ep.AccountID)
		if err != nil && !errors.Is(err, db.ErrAccountNotFound) {
			return err
		}
		v.AccountName = a.Name
	}
	var ns views.NewSecret
	if v.NewSecret == nil && !isFragment(c) && newSecretOnce.pop(h.Console, c, &ns) && ns.EndpointID == ep.ID {
		v.NewSecret = &ns
	}
	return h.render(c, status, "Webhook endpoint", "webhooks", views.Webhook(v))
}

// done answers a successful action on an endpoint: in place for htmx,
// with what it did said there; else a flash and the endpoint's page.
func (h *WebhookPages) done(c *fiber.Ctx, id, notice string) error {
	if isFragment(c) {
		return h.show(c, fiber.StatusOK, id, endpointState{notice: notice})
	}
	h.flash(c, notice)
	return Redirect(c, endpointPath(id))
}

// refusal shows an endpoint's page again with what a rule refused, when
// it is the person's to fix; it returns err otherwise.
func (h *WebhookPages) refusal(c *fiber.Ctx, id string, f views.Form, err error) error {
	if f, ok := refused(f, err, endpointLabels); ok {
		return h.show(c, statusFormErrors, id, endpointState{form: f})
	}
	return err
}

// Rotate answers POST /webhooks/{id}/rotate: a new secret now, shown
// once; the old one keeps signing for the chosen time.
func (h *WebhookPages) Rotate(c *fiber.Ctx) error {
	id := c.Params("id")
	f := formOf(c, "expires_in")
	keep, ok := graces[f.Value("expires_in")]
	if !ok {
		f.Errors["expires_in"] = "Choose how long the old secret keeps signing."
		return h.show(c, statusFormErrors, id, endpointState{form: f})
	}
	ep, err := h.Store.RotateWebhookSecret(ctx(c), PrincipalOf(c).Scope, id, keep)
	if err != nil {
		return h.refusal(c, id, f, err)
	}
	ns := views.NewSecret{EndpointID: ep.ID, Secret: ep.Secret, Rotated: true}
	if keep > 0 {
		until := time.Now().Add(keep)
		ns.OldUntil = &until
	}
	const notice = "Rotated the signing secret: copy the new one now."
	if isFragment(c) {
		return h.show(c, fiber.StatusOK, ep.ID, endpointState{notice: notice, secret: &ns})
	}
	if err := newSecretOnce.put(h.Console, c, ns); err != nil {
		return err
	}
	h.flash(c, notice)
	return Redirect(c, endpointPath(ep.ID))
}

// SetStatus answers POST /webhooks/{id}/status: status "disabled"
// disables the endpoint (its pending deliveries are skipped), "enabled"
// enables it again (what it missed is not sent again).
func (h *WebhookPages) SetStatus(c *fiber.Ctx) error {
	id := c.Params("id")
	f := formOf(c, "status")
	status := f.Value("status")
	ep, err := h.Store.UpdateWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, id, db.WebhookEndpointPatch{Status: &status})
	if err != nil {
		return h.refusal(c, id, f, err)
	}
	if ep.Status == db.EndpointEnabled {
		return h.done(c, ep.ID, "Enabled the endpoint: it gets the events from now on.")
	}
	return h.done(c, ep.ID, "Disabled the endpoint: it gets no events until it is enabled again.")
}

// Test answers POST /webhooks/{id}/test: a webhook_endpoint.test event
// queued for this endpoint alone.
func (h *WebhookPages) Test(c *fiber.Ctx) error {
	id := c.Params("id")
	d, err := h.Store.TestWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, id)
	if err != nil {
		return h.refusal(c, id, views.Form{}, err)
	}
	return h.done(c, d.EndpointID, "Queued a test event ("+d.EventID+"): its delivery is below.")
}

// Retry answers POST /webhooks/{id}/deliveries/{did}/retry: one more
// attempt of the delivery now.
func (h *WebhookPages) Retry(c *fiber.Ctx) error {
	id := c.Params("id")
	d, err := h.Store.RetryWebhookDelivery(ctx(c), PrincipalOf(c).Scope, c.Params("did"))
	if err != nil {
		return h.refusal(c, id, views.Form{}, err)
	}
	return h.done(c, d.EndpointID, "Retrying the delivery of "+d.EventID+" now.")
}

// ConfirmDelete answers GET /webhooks/{id}/delete: the page that asks
// first, for browsers without scripts (with them, hx-confirm asks).
func (h *WebhookPages) ConfirmDelete(c *fiber.Ctx) error {
	ep, err := h.Store.WebhookEndpoint(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "Delete endpoint", "webhooks", views.WebhookDeletion(views.WebhookConfirm{Endpoint: ep}))
}

// Delete answers POST /webhooks/{id}/delete.
func (h *WebhookPages) Delete(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	ep, err := h.Store.WebhookEndpoint(ctx(c), p.Scope, c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.Store.DeleteWebhookEndpoint(ctx(c), p.Scope, ep.ID, nil); err != nil {
		return h.refusal(c, ep.ID, views.Form{}, err)
	}
	h.flash(c, "Deleted the endpoint "+ep.URL+".")
	return Redirect(c, "/webhooks")
}

// Back answers a GET of an endpoint's form address (a bookmark, a reload
// after a refused form without scripts) with the endpoint's page.
func (h *WebhookPages) Back(c *fiber.Ctx) error {
	return Redirect(c, endpointPath(c.Params("id")))
}
