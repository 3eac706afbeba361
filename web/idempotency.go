package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 255

// replayedHeaders are the response headers a replay repeats besides the
// body (Cache-Control: no-store keeps a replayed accept_url out of caches).
var replayedHeaders = []string{fiber.HeaderETag, fiber.HeaderLocation, fiber.HeaderCacheControl}

// errNotStored rolls back the claim of a key whose request failed without
// returning an error.
var errNotStored = errors.New("web: failed request, idempotency key released")

// idempotent makes a POST that carries an Idempotency-Key happen once per
// key within the workspace and mode (requests without a credential share
// one space). The key is claimed in the transaction that does the request's
// work and the answer stored in it, so a failed request stores nothing and
// a request racing one with the same key waits for it and then replays its
// answer, marked Idempotent-Replayed: true. It runs before the route's
// access rule, so a request counts as the same only when it comes from the
// same credential: nobody replays an answer they could not have got.
func (s *Server) idempotent(c *fiber.Ctx) error {
	key := c.Get("Idempotency-Key")
	if c.Method() != fiber.MethodPost || key == "" {
		return c.Next()
	}
	if len(key) > maxIdempotencyKey {
		return db.Invalid(map[string]string{"Idempotency-Key": "must be at most 255 characters"})
	}
	sc := handlers.PrincipalOf(c).Scope
	hash := requestHash(c)
	outer := c.UserContext()
	defer c.SetUserContext(outer)
	var stored *db.IdempotentResponse
	err := s.db.WithTx(outer, func(ctx context.Context) error {
		prior, claimed, err := s.db.ClaimIdempotencyKey(ctx, sc, key, hash)
		if err != nil {
			return err
		}
		if !claimed {
			stored = &prior
			return nil
		}
		c.SetUserContext(ctx)
		if err := c.Next(); err != nil {
			return err
		}
		res := c.Response()
		if res.StatusCode() >= 400 {
			return errNotStored
		}
		r := db.IdempotentResponse{Status: res.StatusCode(), Body: res.Body(), Headers: map[string]string{}}
		for _, h := range replayedHeaders {
			if v := c.GetRespHeader(h); v != "" {
				r.Headers[h] = v
			}
		}
		return s.db.SaveIdempotentResponse(ctx, sc, key, r)
	})
	switch {
	case errors.Is(err, errNotStored):
		return nil
	case err != nil:
		return err
	case stored != nil:
		for h, v := range stored.Headers {
			c.Set(h, v)
		}
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(stored.Status).Send(stored.Body)
	}
	return nil
}

// requestHash identifies a request by its credential, method, path with
// query, and body.
func requestHash(c *fiber.Ctx) string {
	a := handlers.PrincipalOf(c).Actor()
	who := a.Type + ":" + a.ID
	if a.UserID != "" {
		// A member principal is its user: the membership it acts
		// through is only known to the store.
		who += ":" + a.UserID
	}
	if email := handlers.JoinerOf(c); email != "" {
		who += ":joiner:" + db.FoldEmail(email)
	}
	h := sha256.New()
	h.Write([]byte(who + "\n" + c.Method() + " " + c.OriginalURL() + "\n"))
	h.Write(c.Body())
	return hex.EncodeToString(h.Sum(nil))
}
