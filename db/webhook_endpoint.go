package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WebhookEndpoint is where a workspace's events of one mode are sent
// (docs/webhooks.md). Its secret is stored sealed (secretbox.go) and
// shown once, by CreateWebhookEndpoint and RotateWebhookSecret.
type WebhookEndpoint struct {
	Object         string     `db:"object" json:"object"`
	ID             string     `db:"id" json:"id"`
	WorkspaceID    string     `db:"workspace_id" json:"-"`
	URL            string     `db:"url" json:"url"`
	Description    string     `db:"description" json:"description"`
	EventsText     string     `db:"enabled_events" json:"-"`
	EnabledEvents  []string   `db:"-" json:"enabled_events"`
	AccountID      *string    `db:"account_id" json:"account_id"`
	Status         string     `db:"status" json:"status"`
	DisabledReason *string    `db:"disabled_reason" json:"disabled_reason"`
	Livemode       bool       `db:"livemode" json:"livemode"`
	Version        int64      `db:"version" json:"version"`
	SealedSecret   string     `db:"secret" json:"-"`
	LastSuccessAt  *time.Time `db:"last_success_at" json:"-"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at" json:"updated_at"`
	// Secret is the signing secret, in the answers of creation and
	// rotation only.
	Secret string `db:"-" json:"secret,omitempty"`
}

// Endpoint states and why one is disabled.
const (
	EndpointEnabled  = "enabled"
	EndpointDisabled = "disabled"
	DisabledManual   = "manual"
	DisabledFailing  = "failing"
	DisabledGone     = "gone"
)

// AllEvents is the enabled_events entry that matches every type; it stands alone.
const AllEvents = "*"

// Webhook endpoint errors.
var (
	ErrEndpointNotFound = notFound("webhook_endpoint.not_found", "Webhook endpoint not found")
	ErrDeliveryNotFound = notFound("webhook_delivery.not_found", "Webhook delivery not found")
	ErrEndpointDisabled = conflict("webhook_endpoint.disabled", "This webhook endpoint is disabled: enable it first")
	// ErrURLNotAllowed refuses an endpoint whose host is an address
	// deliveries may not connect to.
	ErrURLNotAllowed = &Error{Kind: KindInvalid, Type: "webhook_endpoint.url_not_allowed",
		Message: "Webhooks may not be sent to this address (loopback, private, link-local, multicast or unspecified)"}
	// ErrRotationLimit refuses a rotation beyond MaxOldSecrets.
	ErrRotationLimit = &Error{Kind: KindInvalid, Type: "webhook_endpoint.rotation_limit",
		Message: fmt.Sprintf("This endpoint already has %d old secrets that have not expired: wait for one to expire, or rotate with expires_in 0", MaxOldSecrets)}
)

// Limits of endpoints.
const (
	MaxOldSecrets    = 10                 // unexpired old secrets an endpoint keeps signing with
	MaxSecretExpiry  = 7 * 24 * time.Hour // how long an old secret may keep signing
	maxWebhookURL    = 2048               // bytes of an endpoint's URL
	DefaultOldSecret = 24 * time.Hour     // how long an old secret keeps signing by default
)

// WebhookEndpointInput is a new endpoint (POST /v1/webhook-endpoints).
type WebhookEndpointInput struct {
	URL           string
	Description   string
	EnabledEvents []string // nil: every type
	AccountID     string   // "": every account
}

// WebhookEndpointPatch changes the fields that are set (PATCH): AccountID
// set to "" confines the endpoint to no account; Status "enabled"
// re-enables it, "disabled" disables it (manual).
type WebhookEndpointPatch struct {
	URL           *string
	Description   *string
	EnabledEvents *[]string
	AccountID     *string
	Status        *string
	// IfMatch, when set, names the versions (ETags) the change may apply
	// to: another is precondition_failed.
	IfMatch IfMatch
}

// checkURL validates an endpoint URL in a mode under the net policy.
func checkURL(f fieldErrors, raw *string, live bool, p NetPolicy) error {
	if !f.text("url", raw) {
		return nil
	}
	u, err := url.Parse(*raw)
	switch {
	case *raw == "":
		f["url"] = "is required"
	case len(*raw) > maxWebhookURL:
		f["url"] = fmt.Sprintf("must be at most %d characters", maxWebhookURL)
	case err != nil || u.Host == "" || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http"):
		f["url"] = "must be an absolute https:// URL"
		if !live {
			f["url"] = "must be an absolute https:// or http:// URL"
		}
	case u.Scheme == "http" && live:
		f["url"] = "must be https:// in live mode (http:// is accepted in test mode)"
	case u.User != nil:
		f["url"] = "must not hold a user name or password"
	case u.Fragment != "":
		f["url"] = "must not hold a fragment (#…)"
	default:
		if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
			if why := p.Refusal(ip); why != "" {
				return ErrURLNotAllowed.With(map[string]any{"url": *raw, "reason": why})
			}
		}
	}
	return nil
}

// checkEvents validates enabled_events: known types, or "*" alone, at
// least one; it returns them sorted without duplicates.
func checkEvents(f fieldErrors, events []string) []string {
	events = f.list("enabled_events", events)
	if _, bad := f["enabled_events"]; bad {
		return events
	}
	events = SortedUnique(events)
	switch {
	case len(events) == 0:
		f["enabled_events"] = "must name at least one event type, or \"*\" for all"
	case slices.Contains(events, AllEvents) && len(events) > 1:
		f["enabled_events"] = "\"*\" stands alone: it already means every event type"
	default:
		for _, e := range events {
			if e != AllEvents && (!KnownEventType(e) || e == TestEventType) {
				f["enabled_events"] = fmt.Sprintf("%q is not an event type (see Event.type in the OpenAPI document)", e)
				break
			}
		}
	}
	return events
}

// TestEventType is the event POST /v1/webhook-endpoints/{id}/test sends
// to one endpoint, whatever its enabled_events.
const TestEventType = "webhook_endpoint.test"

// eventsText is how enabled_events is stored: the types between spaces.
func eventsText(events []string) string { return " " + strings.Join(events, " ") + " " }

// newWebhookSecret is a fresh signing secret: whsec_ and the padded base64
// of 32 random bytes.
func newWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

const endpointColumns = `'webhook_endpoint' AS object, id, workspace_id, url, description, enabled_events, account_id,
	status, disabled_reason, livemode, version, secret, last_success_at, created_at, updated_at FROM webhook_endpoints`

// staffOnly refuses member principals, who have no webhooks.
func staffOnly(sc Scope) error {
	if sc.Member != "" {
		return ErrStaffOnly
	}
	return nil
}

// CreateWebhookEndpoint adds an endpoint to the scope, recording
// webhook_endpoint.created, and returns it with its secret.
func (s *DB) CreateWebhookEndpoint(ctx context.Context, sc Scope, in WebhookEndpointInput) (WebhookEndpoint, error) {
	if err := staffOnly(sc); err != nil {
		return WebhookEndpoint{}, err
	}
	f := fieldErrors{}
	if err := checkURL(f, &in.URL, sc.Live, s.NetPolicy()); err != nil {
		return WebhookEndpoint{}, err
	}
	f.description("description", &in.Description)
	if in.EnabledEvents == nil {
		in.EnabledEvents = []string{AllEvents}
	}
	events := checkEvents(f, in.EnabledEvents)
	f.ref("account_id", &in.AccountID)
	if err := f.err(); err != nil {
		return WebhookEndpoint{}, err
	}
	box, err := s.box(ctx)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	t := now()
	ep := WebhookEndpoint{Object: "webhook_endpoint", ID: NewID("we"), WorkspaceID: sc.WorkspaceID, URL: in.URL,
		Description: in.Description, EventsText: eventsText(events), EnabledEvents: events, Status: EndpointEnabled,
		Livemode: sc.Live, Version: 1, CreatedAt: t, UpdatedAt: t, Secret: newWebhookSecret()}
	if in.AccountID != "" {
		ep.AccountID = &in.AccountID
	}
	ep.SealedSecret = box.seal(ep.Secret)
	err = s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.endpointAccount(ctx, sc, ep.AccountID); err != nil {
			return err
		}
		// The event first: an endpoint gets the events written after it exists.
		if err := s.record(ctx, sc, change{Type: "webhook_endpoint.created", TargetID: ep.ID, Data: ep.public()}); err != nil {
			return err
		}
		_, err := s.exec(ctx, `INSERT INTO webhook_endpoints (workspace_id, id, livemode, url, description, enabled_events,
			account_id, status, secret, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sc.WorkspaceID, ep.ID, sc.Live, ep.URL, ep.Description, ep.EventsText, ep.AccountID, ep.Status,
			ep.SealedSecret, ep.Version, t, t)
		return wrap(err, "insert webhook endpoint")
	})
	return ep, err
}

// public is the endpoint without its secret, as events and lists show it.
func (ep WebhookEndpoint) public() WebhookEndpoint {
	ep.Secret = ""
	return ep
}

// endpointAccount checks an endpoint's account is one of the scope.
func (s *DB) endpointAccount(ctx context.Context, sc Scope, id *string) error {
	if id == nil {
		return nil
	}
	_, err := s.account(ctx, sc, *id, "")
	if errors.Is(err, ErrAccountNotFound) {
		return Invalid(map[string]string{"account_id": "is not an account of this workspace and mode"})
	}
	return err
}

// ListWebhookEndpoints returns a page of the scope's endpoints, oldest first.
func (s *DB) ListWebhookEndpoints(ctx context.Context, sc Scope, page Page) ([]WebhookEndpoint, error) {
	if err := staffOnly(sc); err != nil {
		return nil, err
	}
	var eps []WebhookEndpoint
	err := s.selectAll(ctx, &eps, `SELECT `+endpointColumns+` WHERE workspace_id = ? AND livemode = ? AND id > ?
		ORDER BY id LIMIT ?`, sc.WorkspaceID, sc.Live, page.After, page.fetch())
	for i := range eps {
		eps[i].decode()
	}
	return eps, wrap(err, "list webhook endpoints")
}

// WebhookEndpoint returns one endpoint of the scope, without its secret.
func (s *DB) WebhookEndpoint(ctx context.Context, sc Scope, id string) (WebhookEndpoint, error) {
	if err := staffOnly(sc); err != nil {
		return WebhookEndpoint{}, err
	}
	return s.endpoint(ctx, sc, id, "")
}

// endpoint reads one endpoint of the scope; lock is "" or forUpdate().
func (s *DB) endpoint(ctx context.Context, sc Scope, id, lock string) (WebhookEndpoint, error) {
	var ep WebhookEndpoint
	err := s.get(ctx, &ep, `SELECT `+endpointColumns+` WHERE workspace_id = ? AND livemode = ? AND id = ?`+lock,
		sc.WorkspaceID, sc.Live, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ep, ErrEndpointNotFound.For(id)
	}
	ep.decode()
	return ep, wrap(err, "get webhook endpoint %s", id)
}

// decode fills the fields the API shows from the stored columns.
func (ep *WebhookEndpoint) decode() {
	ep.EnabledEvents = strings.Fields(ep.EventsText)
}

// UpdateWebhookEndpoint changes an endpoint, recording
// webhook_endpoint.updated with the fields as they were. Disabling it
// skips its pending deliveries; enabling it redelivers nothing. A version
// p.IfMatch does not name is precondition_failed.
func (s *DB) UpdateWebhookEndpoint(ctx context.Context, sc Scope, id string, p WebhookEndpointPatch) (WebhookEndpoint, error) {
	if err := staffOnly(sc); err != nil {
		return WebhookEndpoint{}, err
	}
	f := fieldErrors{}
	if p.URL != nil {
		if err := checkURL(f, p.URL, sc.Live, s.NetPolicy()); err != nil {
			return WebhookEndpoint{}, err
		}
	}
	if p.Description != nil {
		f.description("description", p.Description)
	}
	if p.EnabledEvents != nil {
		*p.EnabledEvents = checkEvents(f, *p.EnabledEvents)
	}
	if p.AccountID != nil {
		f.ref("account_id", p.AccountID)
	}
	if p.Status != nil && *p.Status != EndpointEnabled && *p.Status != EndpointDisabled {
		f["status"] = "must be enabled or disabled"
	}
	if err := f.err(); err != nil {
		return WebhookEndpoint{}, err
	}
	var ep WebhookEndpoint
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if ep, err = s.endpoint(ctx, sc, id, s.forUpdate()); err != nil {
			return err
		}
		if err := p.IfMatch.check(ep.Version); err != nil {
			return err
		}
		prev, err := s.patchEndpoint(ctx, sc, &ep, p)
		if err != nil || len(prev) == 0 {
			return err
		}
		prev["updated_at"], ep.UpdatedAt = ep.UpdatedAt, now()
		ep.Version++
		if _, err := s.exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, enabled_events = ?, account_id = ?,
			status = ?, disabled_reason = ?, version = ?, updated_at = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			ep.URL, ep.Description, ep.EventsText, ep.AccountID, ep.Status, ep.DisabledReason, ep.Version, ep.UpdatedAt,
			sc.WorkspaceID, sc.Live, ep.ID); err != nil {
			return wrap(err, "update webhook endpoint %s", ep.ID)
		}
		if ep.Status == EndpointDisabled {
			if err := s.skipPending(ctx, sc, ep.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, sc, change{Type: "webhook_endpoint.updated", TargetID: ep.ID, Data: ep, Previous: prev})
	})
	return ep, err
}

// patchEndpoint applies p to ep and returns the fields that changed, as they were.
func (s *DB) patchEndpoint(ctx context.Context, sc Scope, ep *WebhookEndpoint, p WebhookEndpointPatch) (map[string]any, error) {
	prev := map[string]any{}
	if p.URL != nil && *p.URL != ep.URL {
		prev["url"], ep.URL = ep.URL, *p.URL
	}
	if p.Description != nil && *p.Description != ep.Description {
		prev["description"], ep.Description = ep.Description, *p.Description
	}
	if p.EnabledEvents != nil && !slices.Equal(*p.EnabledEvents, ep.EnabledEvents) {
		prev["enabled_events"], ep.EnabledEvents = ep.EnabledEvents, *p.EnabledEvents
		ep.EventsText = eventsText(ep.EnabledEvents)
	}
	if p.AccountID != nil {
		var next *string
		if *p.AccountID != "" {
			next = p.AccountID
		}
		if err := s.endpointAccount(ctx, sc, next); err != nil {
			return nil, err
		}
		if (next == nil) != (ep.AccountID == nil) || (next != nil && *next != *ep.AccountID) {
			prev["account_id"], ep.AccountID = ep.AccountID, next
		}
	}
	if p.Status != nil && *p.Status != ep.Status {
		prev["status"], prev["disabled_reason"] = ep.Status, ep.DisabledReason
		ep.Status, ep.DisabledReason = *p.Status, nil
		if ep.Status == EndpointDisabled {
			reason := DisabledManual
			ep.DisabledReason = &reason
		}
	}
	return prev, nil
}

// DeleteWebhookEndpoint removes an endpoint and its deliveries, recording
// webhook_endpoint.deleted. A version ifMatch does not name is
// precondition_failed.
func (s *DB) DeleteWebhookEndpoint(ctx context.Context, sc Scope, id string, ifMatch IfMatch) error {
	if err := staffOnly(sc); err != nil {
		return err
	}
	return s.WithTx(ctx, func(ctx context.Context) error {
		ep, err := s.endpoint(ctx, sc, id, s.forUpdate())
		if err != nil {
			return err
		}
		if err := ifMatch.check(ep.Version); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?`,
			`DELETE FROM webhook_endpoint_secrets WHERE workspace_id = ? AND endpoint_id = ?`,
			`DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`,
		} {
			if _, err := s.exec(ctx, q, sc.WorkspaceID, ep.ID); err != nil {
				return wrap(err, "delete webhook endpoint %s", ep.ID)
			}
		}
		return s.record(ctx, sc, change{Type: "webhook_endpoint.deleted", TargetID: ep.ID, Data: ep})
	})
}

// RotateWebhookSecret gives an endpoint a new secret, returned with it;
// the old one keeps signing beside it for expiresIn (0..MaxSecretExpiry).
// At most MaxOldSecrets old secrets sign at once (ErrRotationLimit).
func (s *DB) RotateWebhookSecret(ctx context.Context, sc Scope, id string, expiresIn time.Duration) (WebhookEndpoint, error) {
	if err := staffOnly(sc); err != nil {
		return WebhookEndpoint{}, err
	}
	if expiresIn < 0 || expiresIn > MaxSecretExpiry {
		return WebhookEndpoint{}, Invalid(map[string]string{"expires_in": fmt.Sprintf("must be from 0 to %d seconds", int(MaxSecretExpiry.Seconds()))})
	}
	box, err := s.box(ctx)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	var ep WebhookEndpoint
	err = s.WithTx(ctx, func(ctx context.Context) error {
		if ep, err = s.endpoint(ctx, sc, id, s.forUpdate()); err != nil {
			return err
		}
		t := now()
		if _, err := s.exec(ctx, `DELETE FROM webhook_endpoint_secrets WHERE workspace_id = ? AND endpoint_id = ? AND expires_at <= ?`,
			sc.WorkspaceID, ep.ID, t); err != nil {
			return wrap(err, "drop expired secrets of webhook endpoint %s", ep.ID)
		}
		if expiresIn > 0 {
			var old int
			if err := s.get(ctx, &old, `SELECT COUNT(*) FROM webhook_endpoint_secrets WHERE workspace_id = ? AND endpoint_id = ?`,
				sc.WorkspaceID, ep.ID); err != nil {
				return wrap(err, "count old secrets of webhook endpoint %s", ep.ID)
			}
			if old >= MaxOldSecrets {
				return ErrRotationLimit.With(map[string]any{"id": ep.ID, "old_secrets": old})
			}
			if _, err := s.exec(ctx, `INSERT INTO webhook_endpoint_secrets (workspace_id, endpoint_id, id, secret, expires_at)
				VALUES (?, ?, ?, ?, ?)`, sc.WorkspaceID, ep.ID, NewID("whsk"), ep.SealedSecret, t.Add(expiresIn)); err != nil {
				return wrap(err, "keep the old secret of webhook endpoint %s", ep.ID)
			}
		}
		ep.Secret = newWebhookSecret()
		ep.SealedSecret = box.seal(ep.Secret)
		_, err := s.exec(ctx, `UPDATE webhook_endpoints SET secret = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			ep.SealedSecret, sc.WorkspaceID, sc.Live, ep.ID)
		return wrap(err, "rotate the secret of webhook endpoint %s", ep.ID)
	})
	return ep, err
}

// signingSecrets are the secrets an endpoint signs with at t: its current
// one, then its unexpired old ones, newest first.
func (s *DB) signingSecrets(ctx context.Context, ep WebhookEndpoint, t time.Time) ([]string, error) {
	box, err := s.box(ctx)
	if err != nil {
		return nil, err
	}
	var sealed []string
	if err := s.selectAll(ctx, &sealed, `SELECT secret FROM webhook_endpoint_secrets WHERE workspace_id = ? AND endpoint_id = ?
		AND expires_at > ? ORDER BY id DESC`, ep.WorkspaceID, ep.ID, t); err != nil {
		return nil, wrap(err, "read old secrets of webhook endpoint %s", ep.ID)
	}
	secrets := make([]string, 0, 1+len(sealed))
	for _, sl := range append([]string{ep.SealedSecret}, sealed...) {
		plain, err := box.open(sl)
		if err != nil {
			return nil, err
		}
		secrets = append(secrets, plain)
	}
	return secrets, nil
}
