package web

// The webhook dispatcher delivers the deliveries the stores write in the
// transaction of each event (the transactional outbox, db/webhook_delivery.go):
// it claims the due ones with a lease, POSTs each event signed as the
// Standard Webhooks specification says, and records the outcome with its
// next attempt. Several processes share the work through the lease; one
// that dies mid-attempt leaves a lease that runs out, and another tries
// again (docs/webhooks.md).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"roster/db"
)

// WebhookStore is what the webhook dispatcher needs of the database.
type WebhookStore interface {
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]db.WebhookDelivery, error)
	WebhookAttemptsOf(ctx context.Context, ds []db.WebhookDelivery, t time.Time) ([]db.WebhookAttempt, error)
	FinishWebhookDelivery(ctx context.Context, d db.WebhookDelivery, o db.DeliveryOutcome, t time.Time) (bool, error)
	FinishWebhookDeliveries(ctx context.Context, fs []db.WebhookFinish) (int, error)
}

// The dispatcher's defaults and limits.
const (
	// WebhookTimeout bounds one attempt: a 2xx within it is success.
	WebhookTimeout = 15 * time.Second
	// DefaultWebhookLease is how long a claim lasts: longer than an
	// attempt, so that no attempt runs twice at once.
	DefaultWebhookLease = time.Minute
	// MaxWebhookBody is the largest body sent; a larger event goes with
	// its data cut down (see webhookBody).
	MaxWebhookBody = 20 << 10
	// maxWebhookResponse is how much of a response body is kept.
	maxWebhookResponse = 2 << 10
	// minThrottledWait is the least wait after a 429 or a timeout.
	minThrottledWait = time.Minute
)

// webhookSchedule is the wait before each retry (±20 % jitter): after
// the last, a delivery has failed.
var webhookSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// WebhookOptions tune the webhook dispatcher; zero values are the defaults.
type WebhookOptions struct {
	Interval time.Duration    // how often to look for due deliveries (250 ms)
	Lease    time.Duration    // how long a claim lasts (DefaultWebhookLease)
	Workers  int              // attempts in flight at once (16)
	Now      func() time.Time // the clock (time.Now); tests set their own
	Version  string           // in the User-Agent, Roster-Webhooks/<version>
	// Resolver, when set, resolves endpoint host names (tests point a name
	// at 127.0.0.1 with it).
	Resolver *net.Resolver
	// TLS, when set, is the TLS configuration of the connections (tests
	// trust their receiver's certificate with it).
	TLS *tls.Config
}

// WebhookDispatcher sends due webhook deliveries while it runs.
type WebhookDispatcher struct {
	Store  WebhookStore
	Logger *slog.Logger
	opts   WebhookOptions
	client *http.Client

	// failedInARow counts the attempts that failed since the last one
	// that succeeded, in this process.
	failedInARow atomic.Int64

	stop context.CancelFunc
	done chan struct{}
	once sync.Once
}

// NewWebhookDispatcher makes a dispatcher that connects only where the
// policy allows, checked at connection time on the address dialled, so
// that no DNS answer gets around it.
func NewWebhookDispatcher(store WebhookStore, policy db.NetPolicy, opts WebhookOptions, logger *slog.Logger) *WebhookDispatcher {
	if opts.Interval <= 0 {
		opts.Interval = 250 * time.Millisecond
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultWebhookLease
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: guardDial(policy), Resolver: opts.Resolver}
	transport := &http.Transport{
		Proxy:               nil, // a proxy would connect for us, past the guard
		DialContext:         dialer.DialContext,
		TLSClientConfig:     opts.TLS,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: opts.Workers,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   attemptTimeout(opts.Lease),
		// A redirect is not followed: the 3xx is the answer, a failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &WebhookDispatcher{Store: store, Logger: logger, opts: opts, client: client}
}

// attemptTimeout is WebhookTimeout, or less when the lease is shorter
// (tests), so that an attempt always ends before its lease.
func attemptTimeout(lease time.Duration) time.Duration {
	return min(WebhookTimeout, lease*3/4)
}

// refusedAddress is a connection the net policy refuses.
type refusedAddress struct{ reason string }

func (e *refusedAddress) Error() string { return "refused by ROSTER_WEBHOOK_ALLOW_NETS: " + e.reason }

// guardDial is the dialer's Control: it runs on the resolved address of
// every connection and refuses what the policy refuses.
func guardDial(policy db.NetPolicy) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &refusedAddress{reason: "unreadable address " + address}
		}
		if why := policy.Refusal(ap.Addr()); why != "" {
			return &refusedAddress{reason: why}
		}
		return nil
	}
}

// Start runs the dispatcher in the background until Stop.
func (w *WebhookDispatcher) Start() {
	ctx, cancel := context.WithCancel(db.Background(context.Background()))
	w.stop, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		w.run(ctx)
	}()
}

// Stop ends a started dispatcher and waits for the attempts in flight.
func (w *WebhookDispatcher) Stop() {
	w.once.Do(func() {
		if w.stop != nil {
			w.stop()
			<-w.done
		}
	})
}

// run claims due deliveries in batches of Workers and hands them to as
// many workers, whose outcomes one recorder writes in batches (one
// transaction each), until ctx ends. It waits for the next tick when a
// batch of claims was not full, and when the last Workers attempts all
// failed: receivers that fail get one batch per Interval, not as many as
// the processor and the database can make (a receiver failing at once
// cost a third of the requests that write the deliveries); the first
// success ends the wait. A claimed delivery waits at most for one
// attempt ahead of it (the queue holds one batch), well within its lease.
func (w *WebhookDispatcher) run(ctx context.Context) {
	jobs := make(chan db.WebhookAttempt, w.opts.Workers)
	outcomes := make(chan db.WebhookFinish, w.opts.Workers)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		w.record(context.WithoutCancel(ctx), outcomes)
	}()
	var workers sync.WaitGroup
	for range w.opts.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for a := range jobs {
				// An attempt begun is finished and recorded, even while stopping.
				if f, ok := w.try(context.WithoutCancel(ctx), a); ok {
					w.count(f.Outcome)
					outcomes <- f
				}
			}
		}()
	}
	defer func() {
		close(jobs)
		workers.Wait()
		close(outcomes)
		<-recorded
	}()
	tick := time.NewTicker(w.opts.Interval)
	defer tick.Stop()
	for {
		as, err := w.claim(ctx)
		if err != nil && ctx.Err() == nil {
			w.Logger.Error("webhooks: claim", "err", err)
			select { // the database is away: do not ask again at once
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
		for _, a := range as {
			jobs <- a // waits while the queue is full: the claims keep pace with the attempts
		}
		if len(as) == w.opts.Workers && w.failedInARow.Load() < int64(w.opts.Workers) {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// count notes an attempt's outcome in failedInARow.
func (w *WebhookDispatcher) count(o db.DeliveryOutcome) {
	switch {
	case o.Succeeded:
		w.failedInARow.Store(0)
	case !o.Skipped:
		w.failedInARow.Add(1)
	}
}

// record writes the outcomes as they come, each batch of those waiting
// in one transaction, until outcomes is closed; ctx ending does not stop
// it (an attempt made is recorded).
func (w *WebhookDispatcher) record(ctx context.Context, outcomes <-chan db.WebhookFinish) {
	for f := range outcomes {
		batch := []db.WebhookFinish{f}
	gather:
		for len(batch) < 4*w.opts.Workers {
			select {
			case f, ok := <-outcomes:
				if !ok {
					break gather
				}
				batch = append(batch, f)
			default:
				break gather
			}
		}
		held, err := w.Store.FinishWebhookDeliveries(ctx, batch)
		switch {
		case err != nil:
			w.Logger.Error("webhooks: record outcomes", "deliveries", len(batch), "err", err)
		case held < len(batch):
			w.Logger.Warn("webhooks: leases ran out before outcomes were recorded", "lost", len(batch)-held)
		}
		for _, f := range batch {
			if o := f.Outcome; !o.Succeeded && !o.Skipped {
				w.Logger.Info("webhook delivery failed", "delivery_id", f.Delivery.ID, "event_id", f.Delivery.EventID,
					"status", o.Status, "error", o.Error)
			}
		}
	}
}

// claim claims a batch of due deliveries and reads what their attempts send.
func (w *WebhookDispatcher) claim(ctx context.Context) ([]db.WebhookAttempt, error) {
	ds, err := w.Store.ClaimWebhookDeliveries(ctx, w.opts.Now(), w.opts.Lease, w.opts.Workers)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return w.Store.WebhookAttemptsOf(ctx, ds, w.opts.Now())
}

// Flush attempts every delivery due now, one after the other, until none
// is due: what the tests call with their clock.
func (w *WebhookDispatcher) Flush(ctx context.Context) error {
	for {
		as, err := w.claim(ctx)
		if err != nil || len(as) == 0 {
			return err
		}
		for _, a := range as {
			w.attempt(ctx, a)
		}
	}
}

// attempt sends one claimed delivery and records how it went, alone.
func (w *WebhookDispatcher) attempt(ctx context.Context, a db.WebhookAttempt) {
	f, ok := w.try(ctx, a)
	if !ok {
		return
	}
	held, err := w.Store.FinishWebhookDelivery(ctx, f.Delivery, f.Outcome, f.At)
	switch {
	case err != nil:
		w.Logger.Error("webhooks: record the outcome", "delivery_id", f.Delivery.ID, "err", err)
	case !held:
		w.Logger.Warn("webhooks: the lease ran out before the outcome was recorded", "delivery_id", f.Delivery.ID)
	}
}

// try sends one claimed delivery and returns its outcome; false when it
// is left to the next claim, its lease ending before an attempt would.
func (w *WebhookDispatcher) try(ctx context.Context, a db.WebhookAttempt) (db.WebhookFinish, bool) {
	t := w.opts.Now()
	if end := a.Delivery.NextAttemptAt; end != nil && end.Sub(t) < attemptTimeout(w.opts.Lease) {
		return db.WebhookFinish{}, false
	}
	return db.WebhookFinish{Delivery: a.Delivery, Outcome: w.send(ctx, a, t), At: w.opts.Now()}, true
}

// send makes one attempt of a delivery at t.
func (w *WebhookDispatcher) send(ctx context.Context, a db.WebhookAttempt, t time.Time) db.DeliveryOutcome {
	d := a.Delivery
	switch {
	case errors.Is(a.Err, db.ErrEndpointDisabled) || errors.Is(a.Err, db.ErrEndpointNotFound):
		return db.DeliveryOutcome{Skipped: true}
	case errors.Is(a.Err, db.ErrEventNotFound):
		return db.DeliveryOutcome{Error: "the event no longer exists"}
	case a.Err != nil:
		return w.failed(d, t, 0, a.Err.Error(), "", false, 0)
	}
	body, err := webhookBody(a.Event)
	if err != nil {
		return w.failed(d, t, 0, "cannot encode the event: "+err.Error(), "", false, 0)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return w.failed(d, t, 0, "cannot make the request: "+err.Error(), "", false, 0)
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/"+w.opts.Version)
	req.Header.Set("webhook-id", a.Event.ID)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", signatures(a.Secrets, a.Event.ID, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return w.failed(d, t, 0, attemptError(err), "", isTimeout(err), 0)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxWebhookResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	text := strings.ToValidUTF8(strings.ReplaceAll(string(excerpt), "\x00", ""), "")
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return db.DeliveryOutcome{Succeeded: true, Status: resp.StatusCode, Response: text}
	case resp.StatusCode == http.StatusGone:
		return db.DeliveryOutcome{Gone: true, Status: resp.StatusCode, Error: "410 Gone: the endpoint is disabled", Response: text}
	}
	why := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		why += ": redirects are not followed (to " + resp.Header.Get("Location") + ")"
	}
	return w.failed(d, t, resp.StatusCode, why, text, resp.StatusCode == http.StatusTooManyRequests,
		retryAfter(resp.Header.Get("Retry-After"), t))
}

// failed is the outcome of a failed attempt, with its next attempt on
// the schedule: at least minThrottledWait after a 429 or a timeout, and
// a Retry-After honoured up to twice the scheduled wait.
func (w *WebhookDispatcher) failed(d db.WebhookDelivery, t time.Time, status int, why, response string,
	throttled bool, after time.Duration) db.DeliveryOutcome {
	o := db.DeliveryOutcome{Status: status, Error: why, Response: response}
	if d.Attempts > len(webhookSchedule) {
		return o
	}
	wait := jitter(webhookSchedule[d.Attempts-1])
	if throttled {
		wait = max(wait, minThrottledWait)
	}
	if after > wait {
		wait = min(after, 2*wait)
	}
	o.RetryAt = t.Add(wait)
	return o
}

// jitter spreads a wait by ±20 %.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// retryAfter reads a Retry-After header (seconds or an HTTP date) as a
// wait from t; 0 when absent or unreadable.
func retryAfter(h string, t time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(h); err == nil && at.After(t) {
		return at.Sub(t)
	}
	return 0
}

// attemptError says why a request got no answer, in last_error's words.
func attemptError(err error) string {
	var refused *refusedAddress
	switch {
	case errors.As(err, &refused):
		return "connection " + refused.Error()
	case isTimeout(err):
		return fmt.Sprintf("no answer within %s", WebhookTimeout)
	}
	return err.Error()
}

// isTimeout reports whether err is a request that timed out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// signatures is the webhook-signature header: "v1,<signature>" for each
// secret, space-separated, each the base64 HMAC-SHA256 of
// "<id>.<timestamp>.<body>" keyed by the secret's bytes.
func signatures(secrets []string, id, ts string, body []byte) string {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			continue
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// webhookBody is the event as GET /v1/events/{id} answers it; when that
// passes MaxWebhookBody, its data is cut down to the object's object, id
// and version with "truncated": true, and previous_attributes to null.
func webhookBody(e db.Event) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil || len(body) <= MaxWebhookBody {
		return body, err
	}
	var full map[string]any
	if err := json.Unmarshal(e.Data, &full); err != nil {
		return nil, err
	}
	cut := map[string]any{"object": full["object"], "id": full["id"], "version": full["version"], "truncated": true}
	if e.Data, err = json.Marshal(cut); err != nil {
		return nil, err
	}
	e.PreviousAttributes = json.RawMessage("null")
	return json.Marshal(e)
}
