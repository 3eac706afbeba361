// Package web is the only package that knows how Fiber is configured: the
// server, its one route table, the middleware and the error handler.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/dnstxt"
	"roster/handlers"
)

// Config is what the server needs from the command line and environment.
type Config struct {
	BaseURL   string       // for links in emails, e.g. http://127.0.0.1:8080
	JWT       JWTConfig    // how JWT access tokens are verified
	RateLimit int          // API requests per second per authenticated credential, else per client address; 0: no limit
	Logger    *slog.Logger // where request lines go
	Secure    bool         // cookies only over TLS
	SMTPURL   string       // where the outbox's emails go; "" keeps them there
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (see identifyClient); from anyone
	// else those headers are ignored.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins whose browsers may call the routes
	// publishable keys may use (see cors.go); none: no CORS at all.
	CORSOrigins []string
	// Metrics counts requests and more for Prometheus, served by
	// ServeMetrics on a listener of its own; PProf adds /debug/pprof/
	// there. Neither is ever on the public listener.
	Metrics, PProf bool

	// SecretKey encrypts the webhook endpoints' signing secrets
	// (ROSTER_SECRET_KEY); "" uses a key generated into the database on
	// the first start.
	SecretKey string
	// WebhookAllowNets are the networks of otherwise refused addresses
	// (loopback, private, link-local…) webhooks may still be sent to
	// (ROSTER_WEBHOOK_ALLOW_NETS).
	WebhookAllowNets []netip.Prefix
	// DNSServer is the host:port of the DNS server domain verification
	// asks for TXT records (ROSTER_DNS_SERVER); "" asks the system resolver.
	DNSServer string
	// Webhooks tune the webhook dispatcher (its clock, its lease…); the
	// zero value is the defaults.
	Webhooks WebhookOptions

	SessionIdleTimeout time.Duration // a console session ends after this long unused (default 2 h)
	SessionLifetime    time.Duration // and this long after sign-in in any case (default 24 h)
	LoginAttempts      int           // failed sign-ins per email per LoginWindow (default 5; per client address, 4 times as many)
	LoginWindow        time.Duration // the window sign-in attempts are counted in (default 15 min)
	PurgeInterval      time.Duration // how often expired sessions and counters are deleted (default 10 min)
	// RequestTimeout bounds the database work of one API request (waiting
	// for a connection, a lock or an answer); past it the request is 503
	// unavailable. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is the RequestTimeout of a Config that sets none.
const DefaultRequestTimeout = 10 * time.Second

// Server is Roster's HTTP server.
type Server struct {
	App      *fiber.App
	cfg      Config
	db       *db.DB
	jwt      *jwtVerifier
	mail     *Dispatcher
	hooks    *WebhookDispatcher
	sweeper  *Sweeper            // memberships' expiry and its notice
	sessions *scs.SessionManager // the console's
	session  *handlers.Session   // its values, typed
	console  *sessionBridge      // the console's sessions, bridged to Fiber
	portal   *sessionBridge      // the portal's: separate sessions, their own cookie
	pages    *handlers.Pages     // the console's and the portal's
	csrfKey  *sharedKey          // what the console's CSRF tokens are signed with
	// corsPaths are the API paths browsers of CORSOrigins may call: set
	// while routes are registered, read-only afterwards.
	corsPaths map[string]bool
	// metrics and its server exist when Config.Metrics is set.
	metrics       *metrics
	metricsServer *http.Server
}

// New builds the server with every route.
func New(ctx context.Context, store *db.DB, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg = cfg.withConsoleDefaults()
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	jv, err := newJWTVerifier(ctx, cfg.JWT)
	if err != nil {
		return nil, err
	}
	useSecretKey(ctx, store, cfg)
	store.UseNetPolicy(db.NetPolicy{Allow: cfg.WebhookAllowNets})
	outbox, err := NewDispatcher(store, cfg.SMTPURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	hooks := NewWebhookDispatcher(store, db.NetPolicy{Allow: cfg.WebhookAllowNets}, cfg.Webhooks, cfg.Logger)
	s := &Server{cfg: cfg, db: store, jwt: jv, mail: outbox, hooks: hooks, sweeper: NewSweeper(store, cfg.Logger)}
	if cfg.Metrics {
		s.metrics = newMetrics(store)
	}
	s.App = fiber.New(fiber.Config{
		AppName:        "roster",
		BodyLimit:      1 << 20,
		ReadBufferSize: 16 << 10, // the request line and headers: room for large JWTs
		// Paths are case-sensitive, as isPage classifies them: /V1/events
		// is no API route but a console page that does not exist.
		CaseSensitive: true,
		// A path's percent-escapes are decoded before routing, as clients
		// generated from the OpenAPI document send them: the permission
		// key billing:read arrives as /v1/permissions/billing%3Aread.
		UnescapePath: true,
		// Every string Fiber hands out (Params, Query, Get, Cookies,
		// FormValue, Path, Body) is a copy, not a view into a buffer the
		// next request reuses: handlers and stores may keep what they read.
		// It costs a few small allocations per request (see architecture.md).
		Immutable: true,
		// A multipart body is parsed when a handler asks for it, not while
		// the request is read: a malformed one failed before routing, with
		// no path to tell an API request from a page (an HTML 400 on /v1).
		DisablePreParseMultipartForm: true,
		ErrorHandler:                 s.handleError,
		DisableStartupMessage:        true,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  120 * time.Second,
	})
	s.startConsole()
	s.routes(handlers.New(store, handlers.Options{BaseURL: cfg.BaseURL, Logger: cfg.Logger,
		DNS: dnstxt.Resolver{Server: cfg.DNSServer}}))
	s.startMetrics()
	outbox.Start()
	hooks.Start()
	s.sweeper.Start()
	return s, nil
}

// useSecretKey sets the key webhook secrets are encrypted with: the
// configured one, else the database's, saying so in the log when this
// start generated it. A database that cannot be read now is read when a
// secret is first needed: the server starts without it.
func useSecretKey(ctx context.Context, store *db.DB, cfg Config) {
	if cfg.SecretKey != "" {
		store.UseSecretKey(cfg.SecretKey)
		return
	}
	generated, err := store.SecretKeyFromDatabase(ctx)
	switch {
	case err != nil:
		cfg.Logger.Warn("cannot read the server key of webhook secrets yet; reading it when first needed", "err", err)
	case generated:
		cfg.Logger.Info("generated the server key that encrypts webhook secrets and stored it in the database; " +
			"set ROSTER_SECRET_KEY to keep it elsewhere")
	}
}

// Sweeper is the server's membership sweeper: tests run it.
func (s *Server) Sweeper() *Sweeper { return s.sweeper }

// Webhooks is the server's webhook dispatcher: tests flush it.
func (s *Server) Webhooks() *WebhookDispatcher { return s.hooks }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.Serve(ln)
}

// Serve serves on ln until Shutdown; its connections close gracefully
// (see lingeringListener).
func (s *Server) Serve(ln net.Listener) error { return s.App.Listener(lingeringListener{ln}) }

// Shutdown stops accepting connections and waits up to timeout for the
// requests in flight, and stops the outbox's and the webhooks'
// dispatchers, the membership sweeper and the metrics listener.
func (s *Server) Shutdown(timeout time.Duration) error {
	defer s.mail.Stop()
	defer s.hooks.Stop()
	defer s.sweeper.Stop()
	return errors.Join(s.App.ShutdownWithTimeout(timeout), s.stopMetrics(timeout))
}
