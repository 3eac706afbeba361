// Package web is the only package that knows how Fiber is configured: the
// server, its one route table, the middleware and the error handler.
package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// Config is what the server needs from the command line and environment.
type Config struct {
	BaseURL   string       // for links in emails, e.g. http://127.0.0.1:8080
	JWT       JWTConfig    // how JWT access tokens are verified
	RateLimit int          // API requests per second per credential; 0: no limit
	Logger    *slog.Logger // where request lines go
	Secure    bool         // cookies only over TLS
	SMTPURL   string       // where invitation emails go; "" keeps them in the outbox

	SessionIdleTimeout time.Duration // a console session ends after this long unused (default 2 h)
	SessionLifetime    time.Duration // and this long after sign-in in any case (default 24 h)
	LoginAttempts      int           // failed sign-ins per email per LoginWindow (default 5; per client address, 4 times as many)
	LoginWindow        time.Duration // the window sign-in attempts are counted in (default 15 min)
	PurgeInterval      time.Duration // how often expired sessions and counters are deleted (default 10 min)
}

// withDefaults fills in the console's settings left unset.
func (cfg Config) withDefaults() Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionIdleTimeout <= 0 {
		cfg.SessionIdleTimeout = defaultIdleTimeout
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = defaultLifetime
	}
	if cfg.LoginAttempts <= 0 {
		cfg.LoginAttempts = 5
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.PurgeInterval <= 0 {
		cfg.PurgeInterval = 10 * time.Minute
	}
	return cfg
}

// Server is Roster's HTTP server.
type Server struct {
	App       *fiber.App
	cfg       Config
	db        *db.DB
	jwt       *jwtVerifier
	sessions  *scs.SessionManager
	h         *handlers.Handlers
	stopPurge context.CancelFunc
}

// New builds the server with every route.
func New(ctx context.Context, store *db.DB, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	jv, err := newJWTVerifier(ctx, cfg.JWT)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: store, jwt: jv, sessions: newSessions(store, cfg)}
	s.App = fiber.New(fiber.Config{
		AppName:               "roster",
		BodyLimit:             1 << 20,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	s.h = handlers.New(store, handlers.Options{BaseURL: cfg.BaseURL, Logger: cfg.Logger, Sessions: s.sessions})
	s.routes(s.h)
	purge, stop := context.WithCancel(context.Background())
	s.stopPurge = stop
	go store.PurgeEvery(purge, cfg.PurgeInterval, func(err error) { cfg.Logger.Warn("purging expired sessions failed", "err", err) })
	return s, nil
}

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.App.Listen(addr) }

// Shutdown stops accepting connections and waits up to timeout for the
// requests in flight.
func (s *Server) Shutdown(timeout time.Duration) error {
	s.stopPurge()
	return s.App.ShutdownWithTimeout(timeout)
}
