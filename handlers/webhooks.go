package handlers

import (
	"context"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// WebhookStore is what the webhook handlers need of the database.
type WebhookStore interface {
	ListWebhookEndpoints(ctx context.Context, sc db.Scope, page db.Page) ([]db.WebhookEndpoint, error)
	WebhookEndpoint(ctx context.Context, sc db.Scope, id string) (db.WebhookEndpoint, error)
	CreateWebhookEndpoint(ctx context.Context, sc db.Scope, in db.WebhookEndpointInput) (db.WebhookEndpoint, error)
	UpdateWebhookEndpoint(ctx context.Context, sc db.Scope, id string, p db.WebhookEndpointPatch) (db.WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, sc db.Scope, id string, ifMatch db.IfMatch) error
	RotateWebhookSecret(ctx context.Context, sc db.Scope, id string, expiresIn time.Duration) (db.WebhookEndpoint, error)
	TestWebhookEndpoint(ctx context.Context, sc db.Scope, id string) (db.WebhookDelivery, error)
	ListWebhookDeliveries(ctx context.Context, sc db.Scope, endpointID, status string, page db.Page) ([]db.WebhookDelivery, error)
	RetryWebhookDelivery(ctx context.Context, sc db.Scope, id string) (db.WebhookDelivery, error)
	RecoverWebhookDeliveries(ctx context.Context, sc db.Scope, endpointID string, since time.Time) (int64, error)
}

// Webhooks serves /v1/webhook-endpoints and /v1/webhook-deliveries.
type Webhooks struct {
	Store WebhookStore
}

type endpointCreateBody struct {
	URL           string   `json:"url"`
	Description   string   `json:"description"`
	EnabledEvents []string `json:"enabled_events"`
	AccountID     *string  `json:"account_id"`
}

// ListEndpoints answers GET /v1/webhook-endpoints.
func (h *Webhooks) ListEndpoints(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	rows, err := h.Store.ListWebhookEndpoints(ctx(c), PrincipalOf(c).Scope, p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(ep db.WebhookEndpoint) string { return ep.ID })
}

// CreateEndpoint answers POST /v1/webhook-endpoints: 201 with the secret, shown this once.
func (h *Webhooks) CreateEndpoint(c *fiber.Ctx) error {
	var b endpointCreateBody
	if err := decode(c, &b); err != nil {
		return err
	}
	in := db.WebhookEndpointInput{URL: b.URL, Description: b.Description, EnabledEvents: b.EnabledEvents}
	if b.AccountID != nil {
		in.AccountID = *b.AccountID
	}
	ep, err := h.Store.CreateWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, in)
	if err != nil {
		return err
	}
	return writeSecret(c, fiber.StatusCreated, ep)
}

// writeSecret answers with an endpoint and its secret, which no cache may keep.
func writeSecret(c *fiber.Ctx, status int, ep db.WebhookEndpoint) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return writeVersioned(c, status, ep, ep.Version)
}

// GetEndpoint answers GET /v1/webhook-endpoints/{id}.
func (h *Webhooks) GetEndpoint(c *fiber.Ctx) error {
	ep, err := h.Store.WebhookEndpoint(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, ep, ep.Version)
}

type endpointPatchBody struct {
	URL           *string   `json:"url"`
	Description   *string   `json:"description"`
	EnabledEvents *[]string `json:"enabled_events"`
	// AccountID is null to send every account's events, an id for one's.
	AccountID jsontext.Value `json:"account_id"`
	Status    *string        `json:"status"`
}

// patch is the change the body asks for.
func (b *endpointPatchBody) patch() (db.WebhookEndpointPatch, error) {
	p := db.WebhookEndpointPatch{URL: b.URL, Description: b.Description, EnabledEvents: b.EnabledEvents, Status: b.Status}
	if len(b.AccountID) > 0 {
		account := ""
		if b.AccountID.Kind() != 'n' {
			if err := json.Unmarshal(b.AccountID, &account); err != nil || account == "" {
				return p, db.Invalid(map[string]string{"account_id": "must be an account id, or null for every account"})
			}
		}
		p.AccountID = &account
	}
	return p, nil
}

// UpdateEndpoint answers PATCH /v1/webhook-endpoints/{id}.
func (h *Webhooks) UpdateEndpoint(c *fiber.Ctx) error {
	var b endpointPatchBody
	if err := decode(c, &b); err != nil {
		return err
	}
	p, err := b.patch()
	if err != nil {
		return err
	}
	p.IfMatch = ifMatchOf(c)
	ep, err := h.Store.UpdateWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, c.Params("id"), p)
	if err != nil {
		return err
	}
	return writeVersioned(c, fiber.StatusOK, ep, ep.Version)
}

// DeleteEndpoint answers DELETE /v1/webhook-endpoints/{id}.
func (h *Webhooks) DeleteEndpoint(c *fiber.Ctx) error {
	if err := h.Store.DeleteWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, c.Params("id"), ifMatchOf(c)); err != nil {
		return err
	}
	return writeVoid(c)
}

type rotateBody struct {
	ExpiresIn *int64 `json:"expires_in"`
}

// RotateSecret answers POST /v1/webhook-endpoints/{id}/rotate-secret: the
// endpoint with its new secret; the old one signs beside it for
// expires_in seconds (default a day).
func (h *Webhooks) RotateSecret(c *fiber.Ctx) error {
	var b rotateBody
	if err := decode(c, &b); err != nil {
		return err
	}
	expiresIn := db.DefaultOldSecret
	if b.ExpiresIn != nil {
		if *b.ExpiresIn < 0 || *b.ExpiresIn > int64(db.MaxSecretExpiry.Seconds()) {
			return db.Invalid(map[string]string{"expires_in": "must be from 0 to 604800 seconds"})
		}
		expiresIn = time.Duration(*b.ExpiresIn) * time.Second
	}
	ep, err := h.Store.RotateWebhookSecret(ctx(c), PrincipalOf(c).Scope, c.Params("id"), expiresIn)
	if err != nil {
		return err
	}
	return writeSecret(c, fiber.StatusOK, ep)
}

// Test answers POST /v1/webhook-endpoints/{id}/test: 202 with the
// delivery of a webhook_endpoint.test event to this endpoint alone.
func (h *Webhooks) Test(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err
	}
	d, err := h.Store.TestWebhookEndpoint(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusAccepted, d)
}

// ListDeliveries answers GET /v1/webhook-endpoints/{id}/deliveries: newest
// first, filtered by status.
func (h *Webhooks) ListDeliveries(c *fiber.Ctx) error {
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	rows, err := h.Store.ListWebhookDeliveries(ctx(c), PrincipalOf(c).Scope, c.Params("id"), c.Query("status"), p)
	if err != nil {
		return err
	}
	return writeList(c, rows, p, func(d db.WebhookDelivery) string { return d.ID })
}

// RetryDelivery answers POST /v1/webhook-deliveries/{id}/retry: one more
// attempt now, nothing scheduled after it.
func (h *Webhooks) RetryDelivery(c *fiber.Ctx) error {
	if err := decode(c, &struct{}{}); err != nil {
		return err
	}
	d, err := h.Store.RetryWebhookDelivery(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusAccepted, d)
}

type recoverBody struct {
	Since *time.Time `json:"since"`
}

// Recovery is the answer of a recover: how many deliveries were queued again.
type Recovery struct {
	Object string `json:"object"`
	Queued int64  `json:"queued"`
}

// Recover answers POST /v1/webhook-endpoints/{id}/recover: every failed
// or skipped delivery since then (at most 14 days back) is queued again.
func (h *Webhooks) Recover(c *fiber.Ctx) error {
	var b recoverBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Since == nil {
		return db.Invalid(map[string]string{"since": "is required: a time (RFC 3339) in the last 14 days"})
	}
	n, err := h.Store.RecoverWebhookDeliveries(ctx(c), PrincipalOf(c).Scope, c.Params("id"), *b.Since)
	if err != nil {
		return err
	}
	return writeOne(c, fiber.StatusAccepted, Recovery{Object: "webhook_recovery", Queued: n})
}
