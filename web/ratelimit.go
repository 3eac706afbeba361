package web

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// Every limit is counted in the database, one atomic statement per check
// (db.CountHit), in fixed windows every process agrees on: N processes
// allow what one would. Fiber's limiter middleware is not used: it counts
// in process memory, or reads a count from its Storage and writes it back,
// which two processes overwrite.

// rateLimit limits API requests per second, answering 429 with
// Retry-After past the limit; every answer tells the budget in the
// X-RateLimit-Limit, -Remaining and -Reset headers. A token that
// authenticated on this process has its own budget; every other request,
// without a token or with one that never authenticated here (a flood of
// distinct garbage tokens), draws on its client address's. A token's first
// request on a process counts against its address, and a token that stops
// authenticating (revoked, expired) goes back to it.
func (s *Server) rateLimit() fiber.Handler {
	if s.cfg.RateLimit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	known := newKnownTokens(10*time.Minute, 10000)
	return func(c *fiber.Ctx) error {
		bucket := "api:addr:" + handlers.ClientOf(c).Addr
		token, hasToken := bearer(c)
		var key string
		if hasToken {
			key = tokenKey(token)
			if known.has(key) {
				bucket = "api:token:" + key
			}
		}
		h, err := s.db.CountHit(c.UserContext(), bucket, time.Second, time.Now())
		if err != nil {
			return err
		}
		reset := secondsUntil(h.End)
		c.Set("X-RateLimit-Limit", strconv.Itoa(s.cfg.RateLimit))
		c.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, s.cfg.RateLimit-h.Count)))
		c.Set("X-RateLimit-Reset", reset)
		if h.Count > s.cfg.RateLimit {
			c.Set(fiber.HeaderRetryAfter, reset)
			s.metrics.refused("api")
			return fiber.ErrTooManyRequests
		}
		err = c.Next()
		if hasToken {
			known.learn(key, c, err)
		}
		return err
	}
}

// signInThrottle limits sign-in attempts per email (hashed, so the table
// holds no addresses) and, four times as many, per client address, in
// windows of LoginWindow. An attempt counts when it is made, before the
// password is compared, so that attempts at once cannot pass the limit
// together; one that signs in is taken back. Whether the email exists
// changes nothing. Past the limit, throttled answers, with Retry-After.
func (s *Server) signInThrottle(throttled fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		limits := []struct {
			name, bucket string
			max          int
		}{
			{"signin_address", "signin:addr:" + handlers.ClientOf(c).Addr, s.cfg.LoginAttempts * 4},
			{"signin_email", "signin:email:" + tokenKey(db.FoldEmail(c.FormValue("email"))), s.cfg.LoginAttempts},
		}
		hits := make([]db.LimitHit, 0, len(limits))
		for _, l := range limits {
			h, err := s.db.CountHit(ctx, l.bucket, s.cfg.LoginWindow, time.Now())
			if err != nil {
				return err
			}
			if h.Count > l.max {
				c.Set(fiber.HeaderRetryAfter, secondsUntil(h.End))
				s.metrics.refused(l.name)
				s.metrics.signInRefused("throttled")
				return throttled(c)
			}
			hits = append(hits, h)
		}
		err := c.Next()
		if c.Response().StatusCode() == fiber.StatusUnauthorized {
			s.metrics.signInRefused("bad_credentials")
		}
		if err == nil && c.Response().StatusCode() < fiber.StatusBadRequest {
			for _, h := range hits {
				if ferr := s.db.ForgetHit(ctx, h); ferr != nil {
					// The person is signed in; the attempt merely still counts.
					s.cfg.Logger.Warn("taking back a sign-in attempt failed", "request_id", db.RequestID(c.UserContext()), "err", ferr)
				}
			}
		}
		return err
	}
}

// secondsUntil is how many whole seconds, at least one, are left until t,
// as Retry-After and X-RateLimit-Reset tell it.
func secondsUntil(t time.Time) string {
	return strconv.Itoa(max(1, int(math.Ceil(time.Until(t).Seconds()))))
}

// knownTokens are the hashes of tokens that authenticated recently, each
// kept for ttl, at most max of them.
type knownTokens struct {
	mu     sync.Mutex
	ttl    time.Duration
	max    int
	expiry map[string]time.Time
}

func newKnownTokens(ttl time.Duration, max int) *knownTokens {
	return &knownTokens{ttl: ttl, max: max, expiry: map[string]time.Time{}}
}

// has reports whether the token authenticated within ttl.
func (k *knownTokens) has(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return time.Now().Before(k.expiry[key])
}

// add notes that the token authenticated; when max are kept, the expired
// ones are dropped first, and all of them if none has expired.
func (k *knownTokens) add(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	if _, ok := k.expiry[key]; !ok && len(k.expiry) >= k.max {
		for t, exp := range k.expiry {
			if !now.Before(exp) {
				delete(k.expiry, t)
			}
		}
		if len(k.expiry) >= k.max {
			clear(k.expiry)
		}
	}
	k.expiry[key] = now.Add(k.ttl)
}

// remove forgets a token that failed to authenticate.
func (k *knownTokens) remove(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.expiry, key)
}

// learn notes what the request that carried the token showed: it
// authenticated (its principal is set), or it was refused as unauthorized.
// Anything else (a 429 before authentication) changes nothing.
func (k *knownTokens) learn(key string, c *fiber.Ctx, err error) {
	switch {
	case handlers.PrincipalOf(c).Credential != "":
		k.add(key)
	case errors.Is(err, errUnauthorized):
		k.remove(key)
	}
}
