package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// once is where a secret waits, between the action that made it (a key
// created or rolled, an endpoint created or its secret rotated) and the
// one page that shows it: sealed in the session's slot, the key that
// opens it in a cookie sent to path only, for ten minutes. The database
// never holds the secret in a form it alone can read, and neither does
// the cookie.
type once struct {
	slot   OnceSlot
	cookie string
	path   string
}

// put seals v (as JSON) for the next page under the path.
func (o once) put(h *Console, c *fiber.Ctx, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("handlers: encode a secret shown once: %w", err)
	}
	opener := make([]byte, 32)
	rand.Read(opener) // never fails (crypto/rand)
	sealed, err := seal(opener, b)
	if err != nil {
		return fmt.Errorf("handlers: seal a secret shown once: %w", err)
	}
	h.Session.PutOnce(c.UserContext(), o.slot, sealed)
	SetCookie(c, o.cookie, base64.RawURLEncoding.EncodeToString(opener), o.path, 600, h.Secure)
	return nil
}

// pop opens what put sealed into v, once: both halves are dropped.
// Without either half there is nothing to show, and pop reports false.
func (o once) pop(h *Console, c *fiber.Ctx, v any) bool {
	sealed := h.Session.PopOnce(c.UserContext(), o.slot)
	opener, err := base64.RawURLEncoding.DecodeString(c.Cookies(o.cookie))
	if c.Cookies(o.cookie) != "" {
		SetCookie(c, o.cookie, "", o.path, 0, h.Secure)
	}
	if sealed == "" || err != nil {
		return false
	}
	b, err := unseal(opener, sealed)
	return err == nil && json.Unmarshal(b, v) == nil
}
