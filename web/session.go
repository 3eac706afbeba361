package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/dnstxt"
	"roster/handlers"
)

// Session defaults: a console session ends after two idle hours, and a day
// after sign-in whatever happens.
const (
	defaultIdleTimeout = 2 * time.Hour
	defaultLifetime    = 24 * time.Hour
)

// withConsoleDefaults fills in the console's settings left unset.
func (cfg Config) withConsoleDefaults() Config {
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

// startConsole builds the console's sessions and pages, and the portal's,
// and purges expired sessions and counters until the server shuts down.
func (s *Server) startConsole() {
	s.sessions = newSessions(s.db, s.cfg)
	s.session = handlers.NewSession(s.sessions)
	s.console = &sessionBridge{sm: s.sessions, session: s.session, idle: s.cfg.SessionIdleTimeout}
	portal := newPortalSessions(s.db, s.cfg)
	s.portal = &sessionBridge{sm: portal, session: handlers.NewSession(portal), idle: portalIdleTimeout}
	s.csrfKey = &sharedKey{db: s.db, name: "csrf"}
	s.pages = handlers.NewPages(s.db, s.session, handlers.PageOptions{
		BaseURL: s.cfg.BaseURL, Secure: s.cfg.Secure, CSRFToken: s.csrfToken,
		PortalSession: s.portal.session, PortalCSRFToken: s.portalCSRFToken,
		DNS: dnstxt.Resolver{Server: s.cfg.DNSServer},
	})
	purge, stop := context.WithCancel(context.Background())
	s.App.Hooks().OnShutdown(func() error { stop(); return nil })
	go s.db.PurgeEvery(purge, s.cfg.PurgeInterval, func(err error) {
		s.cfg.Logger.Warn("purging expired sessions failed", "err", err)
	})
}

// newSessions configures the console's sessions: kept in the database,
// tokens hashed there, a cookie scripts cannot read, sent on top-level
// navigation only, over TLS only when the server is reached over TLS.
func newSessions(store *db.DB, cfg Config) *scs.SessionManager {
	sm := scs.New()
	// scs would write the session on every request to push its idle
	// expiry forward; the bridge does that itself, at most every
	// idleRefresh, and the store caps each write at the idle timeout.
	sm.Store = idleStore{SessionStore: store.Sessions(), idle: cfg.SessionIdleTimeout}
	sm.HashTokenInStore = true
	sm.Lifetime = cfg.SessionLifetime
	sm.Cookie.Name = "roster_session"
	sm.Cookie.Path = "/"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Secure
	sm.Cookie.Persist = false
	return sm
}

// sessionBridge is one kind of session (the console's, the portal's): its
// manager, its values typed, and how long it lasts unused.
type sessionBridge struct {
	sm      *scs.SessionManager
	session *handlers.Session
	idle    time.Duration
}

// loadSession bridges the console's sessions to Fiber (sessionBridge.load).
func (s *Server) loadSession(c *fiber.Ctx) error { return s.console.load(c) }

// load bridges scs to Fiber: scs's own middleware is net/http's, and
// through Fiber's adaptor it would save the session before the handler
// ran. The session is loaded into the request's context, the handler runs,
// then a changed session is saved and its cookie set, a destroyed one's
// cookie expired. The handler's error is returned untouched.
func (b *sessionBridge) load(c *fiber.Ctx) error {
	token := c.Cookies(b.sm.Cookie.Name)
	ctx, err := b.sm.Load(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.SetUserContext(ctx)
	c.Vary(fiber.HeaderCookie)
	b.keepAlive(ctx)
	herr := c.Next()
	switch b.sm.Status(ctx) {
	case scs.Modified:
		b.session.MarkSeen(ctx, time.Now())
		token, _, err := b.sm.Commit(ctx)
		if err != nil {
			return errors.Join(herr, err)
		}
		b.cookie(c, token)
	case scs.Destroyed:
		b.cookie(c, "")
	}
	return herr
}

// idleStore saves sessions until the idle timeout from the time of saving,
// or their absolute deadline if that comes first.
type idleStore struct {
	*db.SessionStore
	idle time.Duration
}

// CommitCtx saves a session with its expiry capped at the idle timeout.
func (s idleStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if idle := time.Now().Add(s.idle); idle.Before(expiry) {
		expiry = idle
	}
	return s.SessionStore.CommitCtx(ctx, token, data, expiry)
}

// Commit is CommitCtx without a context.
func (s idleStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

// keepAlive marks a signed-in session as used, so that it is saved with a
// new idle expiry; it does so at most every idleRefresh, so that reading a
// page costs no write. The session may thus end up to idleRefresh before
// the idle timeout has fully passed, never after.
func (b *sessionBridge) keepAlive(ctx context.Context) {
	if b.session.Empty(ctx) {
		return
	}
	refresh := min(time.Minute, b.idle/4)
	if time.Since(b.session.Seen(ctx)) >= refresh {
		b.session.MarkSeen(ctx, time.Now())
	}
}

// cookie sets the session cookie for the browser's session (the server
// enforces the expiry); "" deletes it.
func (b *sessionBridge) cookie(c *fiber.Ctx, token string) {
	handlers.SetCookie(c, b.sm.Cookie.Name, token, b.sm.Cookie.Path, 0, b.sm.Cookie.Secure)
}
