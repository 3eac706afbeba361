package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// WebhookDelivery is one event sent to one endpoint: written in the
// event's transaction (the transactional outbox, see fanOut), then
// claimed and attempted by the dispatchers until it succeeds or fails.
type WebhookDelivery struct {
	Object        string     `db:"object" json:"object"`
	ID            string     `db:"id" json:"id"`
	WorkspaceID   string     `db:"workspace_id" json:"-"`
	Livemode      bool       `db:"livemode" json:"livemode"`
	EndpointID    string     `db:"endpoint_id" json:"endpoint_id"`
	EventID       string     `db:"event_id" json:"event_id"`
	EventType     string     `db:"event_type" json:"event_type"`
	Status        string     `db:"status" json:"status"`
	Attempts      int        `db:"attempts" json:"attempts"`
	LastStatus    *int       `db:"last_status" json:"last_status"`
	LastError     *string    `db:"last_error" json:"last_error"`
	LastResponse  *string    `db:"last_response" json:"last_response"`
	NextAttemptAt *time.Time `db:"next_attempt_at" json:"next_attempt_at"`
	SucceededAt   *time.Time `db:"succeeded_at" json:"succeeded_at"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	// Once is a delivery retried by hand: one attempt, nothing after it.
	Once bool `db:"once" json:"-"`
	// LeaseToken names the claim of the process attempting it.
	LeaseToken string `db:"lease_token" json:"-"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliverySending   = "sending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
	DeliverySkipped   = "skipped"
)

// DeliveryStates are the states a list of deliveries may be filtered by.
var DeliveryStates = []string{DeliveryPending, DeliverySending, DeliverySucceeded, DeliveryFailed, DeliverySkipped}

const deliveryFields = `'webhook_delivery' AS object, id, workspace_id, livemode, endpoint_id, event_id, event_type, status,
	attempts, last_status, last_error, last_response, next_attempt_at, succeeded_at, created_at, once,
	COALESCE(lease_token, '') AS lease_token`

const deliveryColumns = deliveryFields + ` FROM webhook_deliveries`

// fanOutSQL writes the deliveries of one event: a row for every enabled
// endpoint of its workspace and mode whose enabled_events hold its type
// (or "*") and whose account is none or the event's. Its arguments:
// the event id (for the delivery ids, and as itself), its type, the time,
// the workspace, the mode, the account and the type between spaces. A
// delivery id is whd_ and a ULID made of the event's time and 64 random
// bits. On PostgreSQL the event's INSERT goes first in the same
// statement (see record), so that a workspace without endpoints pays no
// round trip for its webhooks.
var fanOutSQL = dialectSQL{
	postgres: `INSERT INTO webhook_deliveries (workspace_id, id, livemode, endpoint_id, event_id, event_type, status,
		next_attempt_at, created_at)
		SELECT e.workspace_id, 'whd_' || substr(?, 5, 10) || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 16)),
		e.livemode, e.id, ?, ?, 'pending', ?, ? FROM webhook_endpoints e
		WHERE e.workspace_id = ? AND e.livemode = ? AND e.status = 'enabled' AND (e.account_id IS NULL OR e.account_id = ?)
		AND (e.enabled_events = ' * ' OR strpos(e.enabled_events, ?) > 0)`,
	sqlite: `INSERT INTO webhook_deliveries (workspace_id, id, livemode, endpoint_id, event_id, event_type, status,
		next_attempt_at, created_at)
		SELECT e.workspace_id, 'whd_' || substr(?, 5, 10) || hex(randomblob(8)),
		e.livemode, e.id, ?, ?, 'pending', ?, ? FROM webhook_endpoints e
		WHERE e.workspace_id = ? AND e.livemode = ? AND e.status = 'enabled' AND (e.account_id IS NULL OR e.account_id = ?)
		AND (e.enabled_events = ' * ' OR instr(e.enabled_events, ?) > 0)`,
}

// fanOutArgs are the arguments of fanOutSQL for an event.
func fanOutArgs(sc Scope, id, typ, accountID string, t time.Time) []any {
	return []any{id, id, typ, t, t, sc.WorkspaceID, sc.Live, nullString(accountID), " " + typ + " "}
}

// onlyTo narrows fanOutSQL and its arguments to one endpoint, whatever
// its enabled_events and account (the test event).
func onlyTo(q string, args []any, endpointID string) (string, []any) {
	q = q[:strings.Index(q, "AND e.status")]
	return q + `AND e.id = ?`, append(args[:7:7], endpointID)
}

// ListWebhookDeliveries returns a page of an endpoint's deliveries,
// newest first, of one status when status is not "". Newest is by event:
// an endpoint has one delivery per event, and its deliveries are listed
// through the index that keeps it so (see the migrations "deliveries by
// event"); the page after a delivery starts at the event before its event.
func (s *DB) ListWebhookDeliveries(ctx context.Context, sc Scope, endpointID, status string, page Page) ([]WebhookDelivery, error) {
	if status != "" && !slices.Contains(DeliveryStates, status) {
		return nil, Invalid(map[string]string{"status": "must be one of " + strings.Join(DeliveryStates, ", ")})
	}
	if _, err := s.WebhookEndpoint(ctx, sc, endpointID); err != nil {
		return nil, err
	}
	q, args := `SELECT `+deliveryColumns+` WHERE workspace_id = ? AND endpoint_id = ? AND livemode = ?`, []any{sc.WorkspaceID, endpointID, sc.Live}
	if status != "" {
		q, args = q+` AND status = ?`, append(args, status)
	}
	if page.After != "" {
		q, args = q+` AND event_id < (SELECT c.event_id FROM webhook_deliveries c WHERE c.workspace_id = ? AND c.endpoint_id = ? AND c.id = ?)`,
			append(args, sc.WorkspaceID, endpointID, page.After)
	}
	var ds []WebhookDelivery
	err := s.selectAll(ctx, &ds, q+` ORDER BY event_id DESC LIMIT ?`, append(args, page.fetch())...)
	return ds, wrap(err, "list deliveries of webhook endpoint %s", endpointID)
}

// WebhookDelivery returns one delivery of the scope.
func (s *DB) WebhookDelivery(ctx context.Context, sc Scope, id string) (WebhookDelivery, error) {
	if err := staffOnly(sc); err != nil {
		return WebhookDelivery{}, err
	}
	var d WebhookDelivery
	err := s.get(ctx, &d, `SELECT `+deliveryColumns+` WHERE workspace_id = ? AND livemode = ? AND id = ?`, sc.WorkspaceID, sc.Live, id)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrDeliveryNotFound.For(id)
	}
	return d, wrap(err, "get webhook delivery %s", id)
}

// TestWebhookEndpoint records a webhook_endpoint.test event delivered to
// this endpoint only, whatever its enabled_events, and returns that
// delivery; a disabled endpoint is ErrEndpointDisabled.
func (s *DB) TestWebhookEndpoint(ctx context.Context, sc Scope, id string) (WebhookDelivery, error) {
	if err := staffOnly(sc); err != nil {
		return WebhookDelivery{}, err
	}
	var d WebhookDelivery
	err := s.WithTx(ctx, func(ctx context.Context) error {
		ep, err := s.endpoint(ctx, sc, id, s.forUpdate())
		if err != nil {
			return err
		}
		if ep.Status != EndpointEnabled {
			return ErrEndpointDisabled.For(ep.ID)
		}
		eventID, err := s.recordEvent(ctx, sc, change{Type: TestEventType, TargetID: ep.ID, Data: ep, only: ep.ID})
		if err != nil {
			return err
		}
		err = s.get(ctx, &d, `SELECT `+deliveryColumns+` WHERE workspace_id = ? AND endpoint_id = ? AND event_id = ?`,
			sc.WorkspaceID, ep.ID, eventID)
		return wrap(err, "read the test delivery of webhook endpoint %s", ep.ID)
	})
	return d, err
}

// RetryWebhookDelivery makes one more attempt of a delivery due now,
// whatever its state, with nothing scheduled after it; a delivery being
// attempted right now is left to that attempt. Its endpoint must be enabled.
func (s *DB) RetryWebhookDelivery(ctx context.Context, sc Scope, id string) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if d, err = s.WebhookDelivery(ctx, sc, id); err != nil {
			return err
		}
		ep, err := s.endpoint(ctx, sc, d.EndpointID, "")
		if err != nil {
			return err
		}
		if ep.Status != EndpointEnabled {
			return ErrEndpointDisabled.For(ep.ID)
		}
		t := now()
		if _, err := s.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, once = ?
			WHERE workspace_id = ? AND livemode = ? AND id = ? AND status <> 'sending'`, t, true, sc.WorkspaceID, sc.Live, d.ID); err != nil {
			return wrap(err, "retry webhook delivery %s", d.ID)
		}
		d, err = s.WebhookDelivery(ctx, sc, id)
		return err
	})
	return d, err
}

// MaxRecovery is how far back RecoverWebhookDeliveries reaches.
const MaxRecovery = 14 * 24 * time.Hour

// RecoverWebhookDeliveries queues again, on a fresh retry schedule, every
// failed or skipped delivery of an enabled endpoint created since then
// (at most MaxRecovery ago), and returns how many.
func (s *DB) RecoverWebhookDeliveries(ctx context.Context, sc Scope, endpointID string, since time.Time) (int64, error) {
	t := now()
	if since.Before(t.Add(-MaxRecovery)) || since.After(t) {
		return 0, Invalid(map[string]string{"since": "must be a time in the last 14 days"})
	}
	var n int64
	err := s.WithTx(ctx, func(ctx context.Context) error {
		ep, err := s.endpoint(ctx, sc, endpointID, s.forUpdate())
		if err != nil {
			return err
		}
		if ep.Status != EndpointEnabled {
			return ErrEndpointDisabled.For(ep.ID)
		}
		n, err = s.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, once = ?, attempts = 0,
			finished_at = NULL WHERE workspace_id = ? AND endpoint_id = ? AND status IN ('failed', 'skipped') AND created_at >= ?`,
			t, false, sc.WorkspaceID, ep.ID, since)
		return wrap(err, "recover deliveries of webhook endpoint %s", ep.ID)
	})
	return n, err
}

// skipPending marks an endpoint's pending deliveries skipped.
func (s *DB) skipPending(ctx context.Context, sc Scope, endpointID string) error {
	_, err := s.exec(ctx, `UPDATE webhook_deliveries SET status = 'skipped', next_attempt_at = NULL
		WHERE workspace_id = ? AND endpoint_id = ? AND status = 'pending'`, sc.WorkspaceID, endpointID)
	return wrap(err, "skip pending deliveries of webhook endpoint %s", endpointID)
}

// deliveryQueue is the webhook deliveries as a lease queue (lease.go): a
// pending delivery once due, and one being sent whose lease ran out.
var deliveryQueue = leaseQueue{table: "webhook_deliveries", due: "status IN ('pending', 'sending') AND next_attempt_at <= ?",
	claimed: ", status = 'sending', attempts = attempts + 1", columns: deliveryFields}

// ClaimWebhookDeliveries claims up to limit deliveries due at now, of
// every workspace, until the lease ends; each claim counts an attempt.
func (s *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error) {
	return claimLeased[WebhookDelivery](ctx, s, deliveryQueue, now, now.Add(lease), limit)
}

// WebhookAttempt is what an attempt of a claimed delivery sends: to the
// endpoint's URL, the event, signed with each secret. Err, when set, is
// why it cannot be sent: ErrEndpointDisabled (or not found) for an
// endpoint disabled or deleted meanwhile, ErrEventNotFound, or a secret
// the server key does not open.
type WebhookAttempt struct {
	Delivery WebhookDelivery
	Endpoint WebhookEndpoint
	Secrets  []string // the current secret first, then the unexpired old ones
	Event    Event
	Err      error
}

// eventsByIDSQL reads the events of a list of ids of one workspace and mode.
var eventsByIDSQL = listing(`SELECT ` + eventColumns + ` WHERE workspace_id = ? AND livemode = ? AND id IN (?)`)

// WebhookAttemptsOf reads what the attempts of claimed deliveries at t
// send, in their order: each endpoint and its secrets once, and the
// events of each workspace and mode in one query. An error is the
// database's.
func (s *DB) WebhookAttemptsOf(ctx context.Context, ds []WebhookDelivery, t time.Time) ([]WebhookAttempt, error) {
	t = stamp(t)
	type endpointKey struct{ ws, id string }
	type scopeKey struct {
		ws   string
		live bool
	}
	endpoints := map[endpointKey]WebhookAttempt{}
	eventIDs := map[scopeKey][]string{}
	for _, d := range ds {
		k := endpointKey{d.WorkspaceID, d.EndpointID}
		eventIDs[scopeKey{d.WorkspaceID, d.Livemode}] = append(eventIDs[scopeKey{d.WorkspaceID, d.Livemode}], d.EventID)
		if _, ok := endpoints[k]; ok {
			continue
		}
		var a WebhookAttempt
		a.Endpoint, a.Err = s.endpoint(ctx, Scope{WorkspaceID: d.WorkspaceID, Live: d.Livemode}, d.EndpointID, "")
		switch {
		case a.Err != nil && !errors.Is(a.Err, ErrEndpointNotFound):
			return nil, a.Err
		case a.Err == nil && a.Endpoint.Status != EndpointEnabled:
			a.Err = ErrEndpointDisabled.For(d.EndpointID)
		case a.Err == nil:
			a.Secrets, a.Err = s.signingSecrets(ctx, a.Endpoint, t)
			if a.Err != nil && !errors.Is(a.Err, errSecretKey) {
				return nil, a.Err
			}
		}
		endpoints[k] = a
	}
	events := map[string]Event{}
	for sk, ids := range eventIDs {
		var evs []Event
		if err := s.selectAll(ctx, &evs, s.dialect(eventsByIDSQL), sk.ws, sk.live, listArg(ids)); err != nil {
			return nil, wrap(err, "read the events of %d deliveries", len(ids))
		}
		for _, e := range evs {
			e.decode()
			events[e.ID] = e
		}
	}
	as := make([]WebhookAttempt, len(ds))
	for i, d := range ds {
		as[i] = endpoints[endpointKey{d.WorkspaceID, d.EndpointID}]
		as[i].Delivery = d
		ev, ok := events[d.EventID]
		switch {
		case as[i].Err != nil:
		case !ok:
			as[i].Err = ErrEventNotFound.For(d.EventID)
		default:
			as[i].Event = ev
		}
	}
	return as, nil
}

// DeliveryOutcome is how an attempt ended.
type DeliveryOutcome struct {
	Succeeded bool
	Status    int    // the HTTP status, 0 for none
	Error     string // why it failed, "" when it succeeded
	Response  string // the start of the response body
	// RetryAt is when to try again after a failure; zero: never (the
	// delivery has failed).
	RetryAt time.Time
	// Gone is a 410 answer: the endpoint is disabled at once.
	Gone bool
	// Skipped: the endpoint was disabled meanwhile; nothing was sent.
	Skipped bool
}

// Giving up on a failing endpoint: after this long without a success
// and FailingRun finished deliveries failed in a row.
const (
	FailingFor = 5 * 24 * time.Hour
	FailingRun = 10
)

// FinishWebhookDelivery records the outcome of an attempt at t, if this
// process still holds the delivery's lease (false otherwise): the
// delivery succeeds, waits for RetryAt or fails. A 410 disables the
// endpoint (gone); a failure that ends the delivery disables an endpoint
// that has had no success for FailingFor and whose last FailingRun
// finished deliveries failed (failing).
func (s *DB) FinishWebhookDelivery(ctx context.Context, d WebhookDelivery, o DeliveryOutcome, t time.Time) (bool, error) {
	var held bool
	err := s.WithTx(ctx, func(ctx context.Context) error {
		ep, err := s.lockEndpointOf(ctx, d)
		if err != nil {
			return err
		}
		held, err = s.finishDelivery(ctx, d, ep, o, t)
		return err
	})
	return held, err
}

// lockEndpointOf locks the row of a delivery's endpoint (PostgreSQL: FOR
// NO KEY UPDATE, which leaves the fan-out's inserts of deliveries free)
// before the outcomes of its deliveries are written, as
// DeleteWebhookEndpoint locks it before it deletes them: a deletion and a
// batch of outcomes then never hold rows the other waits for. Nil when
// the endpoint is gone (its deliveries with it).
func (s *DB) lockEndpointOf(ctx context.Context, d WebhookDelivery) (*WebhookEndpoint, error) {
	lock := ""
	if s.Dialect == Postgres {
		lock = " FOR NO KEY UPDATE"
	}
	ep, err := s.endpoint(ctx, Scope{WorkspaceID: d.WorkspaceID, Live: d.Livemode}, d.EndpointID, lock)
	if errors.Is(err, ErrEndpointNotFound) {
		return nil, nil
	}
	return &ep, err
}

// finishDelivery is FinishWebhookDelivery inside its transaction, with
// the delivery's endpoint locked (nil when gone).
func (s *DB) finishDelivery(ctx context.Context, d WebhookDelivery, ep *WebhookEndpoint, o DeliveryOutcome, t time.Time) (bool, error) {
	sc := Scope{WorkspaceID: d.WorkspaceID, Live: d.Livemode}
	f := finishOf(d, ep, o, t)
	held, err := s.writeFinish(ctx, d, f, o.Skipped)
	if err != nil || !held {
		return held, err
	}
	switch {
	case o.Succeeded:
		return true, s.noteSuccess(ctx, d.WorkspaceID, d.EndpointID, f.at)
	case o.Gone:
		return true, s.disableEndpointOf(ctx, sc, ep, DisabledGone)
	case f.status == DeliveryFailed:
		failing, err := s.endpointFailing(ctx, sc, d.EndpointID, f.at)
		if err != nil || !failing {
			return true, err
		}
		return true, s.disableEndpointOf(ctx, sc, ep, DisabledFailing)
	}
	return true, nil
}

// writeFinish writes f into delivery d's row if this process still holds
// its lease (false otherwise); a skip, which sent nothing, leaves
// last_status, last_error and last_response as they were. One row by its
// whole key: the plan is a primary-key lookup whatever the statistics say
// (a batch joined to a VALUES list of outcomes was planned, on a queue
// that had grown since it was analyzed, as a scan of every delivery of
// the workspace: 21 ms a batch, docs/performance.md).
func (s *DB) writeFinish(ctx context.Context, d WebhookDelivery, f deliveryFinish, skipped bool) (bool, error) {
	set := `status = ?, next_attempt_at = ?, finished_at = COALESCE(?, finished_at),
		succeeded_at = COALESCE(?, succeeded_at), once = ?`
	args := []any{f.status, f.next, f.finished, f.succeeded, false}
	if !skipped {
		set += `, last_status = ?, last_error = ?, last_response = ?`
		args = append(args, f.lastStatus, f.lastError, f.lastResponse)
	}
	return s.finishLeased(ctx, deliveryQueue, d.WorkspaceID, d.ID, d.LeaseToken, set, args...)
}

// deliveryFinish is what an outcome writes into its delivery's row.
type deliveryFinish struct {
	at                        time.Time // when the attempt ended
	status                    string
	next, finished, succeeded *time.Time
	lastStatus                sql.NullInt64
	lastError, lastResponse   sql.NullString
}

// finishOf is what outcome o of delivery d at t writes, its endpoint ep
// locked (nil when gone): a success, a failure that ends the delivery, a
// wait for the retry, or a skip (nothing sent, or a retry that an
// endpoint disabled meanwhile will not get).
func finishOf(d WebhookDelivery, ep *WebhookEndpoint, o DeliveryOutcome, t time.Time) deliveryFinish {
	t, retry := stamp(t), stamp(o.RetryAt)
	f := deliveryFinish{at: t, status: DeliveryFailed, finished: &t,
		lastStatus: sql.NullInt64{Int64: int64(o.Status), Valid: o.Status != 0},
		lastError:  nullString(o.Error), lastResponse: nullString(o.Response)}
	switch {
	case o.Skipped:
		f.status, f.finished = DeliverySkipped, nil
	case o.Succeeded:
		f.status, f.succeeded = DeliverySucceeded, &f.at
	case !o.RetryAt.IsZero() && !d.Once && !o.Gone:
		f.status, f.next, f.finished = DeliveryPending, &retry, nil
	}
	if f.status == DeliveryPending && (ep == nil || ep.Status != EndpointEnabled) {
		f.status, f.next = DeliverySkipped, nil // not again for an endpoint disabled meanwhile
	}
	return f
}

// endsQuietly reports whether outcome o of delivery d, its endpoint ep
// locked, changes nothing but its delivery and the endpoint's last
// success (what finishDelivery does after the row): not a 410, not a
// failure that ends the delivery (which may disable the endpoint).
func endsQuietly(d WebhookDelivery, ep *WebhookEndpoint, o DeliveryOutcome) bool {
	return !o.Gone && finishOf(d, ep, o, time.Time{}).status != DeliveryFailed
}

// noteSuccess notes a success of an endpoint at t, at most once a
// minute: only the 5-day rule reads it.
func (s *DB) noteSuccess(ctx context.Context, wsID, endpointID string, t time.Time) error {
	_, err := s.exec(ctx, `UPDATE webhook_endpoints SET last_success_at = ? WHERE workspace_id = ? AND id = ?
		AND (last_success_at IS NULL OR last_success_at < ?)`, t, wsID, endpointID, t.Add(-time.Minute))
	return wrap(err, "note the success of webhook endpoint %s", endpointID)
}

// finishQuietly records outcomes that end quietly (endsQuietly) of one
// endpoint's deliveries (ep locked; nil when gone), with one note of the
// endpoint's last success, and returns how many were still held.
func (s *DB) finishQuietly(ctx context.Context, ep *WebhookEndpoint, fs []WebhookFinish) (int, error) {
	held := 0
	var success time.Time // the last held success
	for _, f := range fs {
		w := finishOf(f.Delivery, ep, f.Outcome, f.At)
		ok, err := s.writeFinish(ctx, f.Delivery, w, f.Outcome.Skipped)
		if err != nil {
			return held, err
		}
		if !ok {
			continue
		}
		held++
		if f.Outcome.Succeeded && w.at.After(success) {
			success = w.at
		}
	}
	if success.IsZero() {
		return held, nil
	}
	d := fs[0].Delivery
	return held, s.noteSuccess(ctx, d.WorkspaceID, d.EndpointID, success)
}

// disableEndpointOf disables a delivery's locked endpoint (nil: gone) and
// notes it, so that the batch's next outcomes for it see it disabled.
func (s *DB) disableEndpointOf(ctx context.Context, sc Scope, ep *WebhookEndpoint, reason string) error {
	if ep == nil {
		return nil
	}
	if err := s.disableEndpoint(ctx, sc, ep.ID, reason); err != nil {
		return err
	}
	ep.Status = EndpointDisabled
	return nil
}

// WebhookFinish is the outcome of one attempt at a time, for FinishWebhookDeliveries.
type WebhookFinish struct {
	Delivery WebhookDelivery
	Outcome  DeliveryOutcome
	At       time.Time
}

// FinishWebhookDeliveries records several outcomes in one transaction (as
// FinishWebhookDelivery each; a dispatcher's writes then cost one commit
// per batch) and returns how many were still held. Each endpoint's row is
// locked once, before its deliveries' outcomes, in the order of their
// ids, so that batches of several processes never wait for each other in
// a circle, nor a batch and DeleteWebhookEndpoint. The outcomes of an
// endpoint that end quietly (successes, retries, skips: nearly all) note
// its last success once; a 410 or a failure that ends its delivery goes
// alone, after those before it, as it may disable the endpoint for those
// after it.
func (s *DB) FinishWebhookDeliveries(ctx context.Context, fs []WebhookFinish) (int, error) {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b WebhookFinish) int {
		return strings.Compare(a.Delivery.WorkspaceID+" "+a.Delivery.EndpointID, b.Delivery.WorkspaceID+" "+b.Delivery.EndpointID)
	})
	held := 0
	err := s.WithTx(ctx, func(ctx context.Context) error {
		held = 0
		var ep *WebhookEndpoint
		var quiet []WebhookFinish // of ep, not written yet
		flush := func() error {
			n, err := s.finishQuietly(ctx, ep, quiet)
			held, quiet = held+n, quiet[:0]
			return err
		}
		for i, f := range fs {
			if prev := fs[max(i-1, 0)].Delivery; i == 0 || prev.WorkspaceID != f.Delivery.WorkspaceID || prev.EndpointID != f.Delivery.EndpointID {
				if err := flush(); err != nil {
					return err
				}
				var err error
				if ep, err = s.lockEndpointOf(ctx, f.Delivery); err != nil {
					return err
				}
			}
			if endsQuietly(f.Delivery, ep, f.Outcome) {
				quiet = append(quiet, f)
				continue
			}
			if err := flush(); err != nil {
				return err
			}
			ok, err := s.finishDelivery(ctx, f.Delivery, ep, f.Outcome, f.At)
			if err != nil {
				return err
			}
			if ok {
				held++
			}
		}
		return flush()
	})
	return held, err
}

// endpointFailing reports whether an endpoint has had no success since
// FailingFor before t and its last FailingRun finished deliveries failed.
func (s *DB) endpointFailing(ctx context.Context, sc Scope, id string, t time.Time) (bool, error) {
	ep, err := s.endpoint(ctx, sc, id, "")
	if err != nil {
		return false, err
	}
	since := ep.CreatedAt
	if ep.LastSuccessAt != nil {
		since = *ep.LastSuccessAt
	}
	if t.Sub(since) < FailingFor {
		return false, nil
	}
	var last []string
	err = s.selectAll(ctx, &last, `SELECT status FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?
		AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?`, sc.WorkspaceID, id, FailingRun)
	if err != nil {
		return false, wrap(err, "read the last deliveries of webhook endpoint %s", id)
	}
	if len(last) < FailingRun {
		return false, nil
	}
	for _, st := range last {
		if st != DeliveryFailed {
			return false, nil
		}
	}
	return true, nil
}

// disableEndpoint disables an enabled endpoint for a reason (failing,
// gone), skips its pending deliveries, records webhook_endpoint.disabled
// and emails the workspace's owners.
func (s *DB) disableEndpoint(ctx context.Context, sc Scope, id, reason string) error {
	ep, err := s.endpoint(ctx, sc, id, s.forUpdate())
	if err != nil || ep.Status != EndpointEnabled {
		return err
	}
	prev := map[string]any{"status": ep.Status, "disabled_reason": nil, "updated_at": ep.UpdatedAt}
	ep.Status, ep.DisabledReason, ep.UpdatedAt = EndpointDisabled, &reason, now()
	ep.Version++
	if _, err := s.exec(ctx, `UPDATE webhook_endpoints SET status = ?, disabled_reason = ?, version = ?, updated_at = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`, ep.Status, reason, ep.Version, ep.UpdatedAt, sc.WorkspaceID, sc.Live, id); err != nil {
		return wrap(err, "disable webhook endpoint %s", id)
	}
	if err := s.skipPending(ctx, sc, id); err != nil {
		return err
	}
	if err := s.record(ctx, sc, change{Type: "webhook_endpoint.disabled", TargetID: id, Data: ep, Previous: prev}); err != nil {
		return err
	}
	return s.emailOwners(ctx, sc, "Roster disabled a webhook endpoint", disabledText(ep, reason))
}

// disabledText is the email telling owners an endpoint was disabled.
func disabledText(ep WebhookEndpoint, reason string) string {
	why := "it answered 410 Gone"
	if reason == DisabledFailing {
		why = "it has had no successful delivery for 5 days and its last 10 deliveries failed"
	}
	return fmt.Sprintf("Roster stopped sending webhooks to %s (%s, %s mode): %s.\n\n"+
		"Its pending deliveries were skipped. Once the receiver works again, enable the endpoint in the console's "+
		"Webhooks page (or PATCH /v1/webhook-endpoints/%s with status \"enabled\") and recover what it missed "+
		"(POST /v1/webhook-endpoints/%s/recover).\n", ep.URL, ep.ID, ModeName(ep.Livemode), why, ep.ID, ep.ID)
}

// emailOwners queues an email to each owner of the workspace's staff.
func (s *DB) emailOwners(ctx context.Context, sc Scope, subject, body string) error {
	var emails []string
	if err := s.selectAll(ctx, &emails, `SELECT u.email FROM workspace_memberships wm JOIN users u
		ON u.workspace_id = wm.workspace_id AND u.id = wm.user_id WHERE wm.workspace_id = ? AND wm.role = ? ORDER BY u.email`,
		sc.WorkspaceID, RoleOwner); err != nil {
		return wrap(err, "list the owners of workspace %s", sc.WorkspaceID)
	}
	for _, to := range emails {
		if err := s.queueEmail(ctx, sc, "", to, subject, body); err != nil {
			return err
		}
	}
	return nil
}

// WebhookBacklog returns how many webhook deliveries wait to be sent (or
// are being sent), and when the one most overdue fell due (zero when
// none waits). Both read the partial index of the deliveries due, over
// every workspace (multi-shard); a delivery waiting for a retry's time is
// waiting, and falls due then.
func (s *DB) WebhookBacklog(ctx context.Context) (pending int, due time.Time, err error) {
	const waiting = ` FROM webhook_deliveries WHERE status IN ('pending', 'sending')`
	if err := s.get(ctx, &pending, `SELECT `+multiShard+`COUNT(*)`+waiting); err != nil {
		return 0, time.Time{}, wrap(err, "count pending webhook deliveries")
	}
	if pending == 0 {
		return 0, time.Time{}, nil
	}
	err = s.get(ctx, &due, `SELECT `+multiShard+`next_attempt_at`+waiting+` AND next_attempt_at IS NOT NULL ORDER BY next_attempt_at LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) { // sent meanwhile
		return pending, time.Time{}, nil
	}
	return pending, due, wrap(err, "find the most overdue webhook delivery")
}
