package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// errCSRF is a state-changing request without the token of a form this
// site rendered for this session.
var errCSRF = errors.New("web: missing or invalid CSRF token")

// csrfCookie holds, for a visitor without a session, the random value
// their CSRF token is bound to.
const csrfCookie = "roster_csrf"

// csrfLocal is the request local holding the request's *csrfState.
type csrfLocal struct{}

// A CSRF token is an HMAC, under a key every process on the database
// shares, of what it is bound to: the session's token when someone is
// signed in, else the random value of the visitor's roster_csrf cookie,
// which is dropped whenever the session token changes. So a token is worth
// nothing in another session, sign-in and sign-out give a new one, and
// nothing is stored for it: a page view writes nothing. Session tokens are
// kept hashed in the database, so the database does not tell the tokens
// either. The portal's tokens are made the same way, bound to its own
// session (portal.go).

// csrfState is what the CSRF middleware knows of one request.
type csrfState struct {
	session string // the session token the request came with
	visitor string // the roster_csrf value a token without a session is bound to
	minted  bool   // visitor is new, sent with this answer
}

// csrfProtection refuses state-changing requests whose token, sent as the
// X-CSRF-Token header (htmx, through hx-headers on <body>) or the _csrf
// form field, is not the token of the request's signed-in session (or,
// without one, of its roster_csrf cookie). When the session token changes (sign-in,
// sign-out, a session ended), the visitor's cookie is dropped, so that
// the token before is not the token after.
func (s *Server) csrfProtection(c *fiber.Ctx) error {
	ctx := c.UserContext()
	st := &csrfState{session: s.sessions.Token(ctx), visitor: c.Cookies(csrfCookie)}
	c.Locals(csrfLocal{}, st)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
	default:
		if err := s.checkCSRF(c, st); err != nil {
			return err
		}
	}
	err := c.Next()
	if s.sessions.Token(ctx) != st.session && !st.minted && c.Cookies(csrfCookie) != "" {
		s.setCSRFCookie(c, "")
	}
	return err
}

// checkCSRF returns errCSRF unless the request sends its token.
func (s *Server) checkCSRF(c *fiber.Ctx, st *csrfState) error {
	binding := s.csrfBinding(c, st, false)
	if binding == "" {
		return errCSRF
	}
	want, err := s.signCSRF(c.UserContext(), binding)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(sentCSRFToken(c)), []byte(want)) {
		return errCSRF
	}
	return nil
}

// csrfToken is the token the forms of this answer send back; for a
// visitor without a session or cookie it makes the cookie.
func (s *Server) csrfToken(c *fiber.Ctx) (string, error) {
	st, _ := c.Locals(csrfLocal{}).(*csrfState)
	if st == nil {
		return "", errors.New("web: CSRF token asked for outside the console")
	}
	return s.signCSRF(c.UserContext(), s.csrfBinding(c, st, true))
}

// csrfBinding is what the request's token is bound to, "" when there is
// nothing yet (and mint is false).
func (s *Server) csrfBinding(c *fiber.Ctx, st *csrfState, mint bool) string {
	ctx := c.UserContext()
	if _, ok := s.session.SignedIn(ctx); ok {
		return "session:" + s.sessions.Token(ctx)
	}
	if s.sessions.Token(ctx) != st.session && !st.minted {
		st.visitor = "" // the session changed in this request: the cookie from before goes with it
	}
	if st.visitor == "" && mint {
		st.visitor, st.minted = db.RandomToken(32), true
		s.setCSRFCookie(c, st.visitor)
	}
	if st.visitor == "" {
		return ""
	}
	return "visitor:" + st.visitor
}

// signCSRF is the token of a binding.
func (s *Server) signCSRF(ctx context.Context, binding string) (string, error) {
	key, err := s.csrfKey.get(ctx)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// setCSRFCookie sets the visitor's roster_csrf cookie, or with "" deletes it.
func (s *Server) setCSRFCookie(c *fiber.Ctx, value string) {
	handlers.SetCookie(c, csrfCookie, value, "/", 0, s.cfg.Secure)
}

// sentCSRFToken is the token a request sends: header first, then form field.
func sentCSRFToken(c *fiber.Ctx) string {
	if t := c.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return c.FormValue("_csrf")
}

// sharedKey is a server secret (db.ServerSecret) read on first use, not
// at start, so that a server starts while its database is away; once read
// it is kept, being the same for every process. Requests that need it
// before then each ask the database, none waiting behind another.
type sharedKey struct {
	db   *db.DB
	name string
	key  atomic.Pointer[[]byte]
}

// get returns the key, reading it from the database until once read.
func (k *sharedKey) get(ctx context.Context) ([]byte, error) {
	if key := k.key.Load(); key != nil {
		return *key, nil
	}
	key, err := k.db.ServerSecret(ctx, k.name)
	if err != nil {
		return nil, err
	}
	k.key.Store(&key)
	return key, nil
}
