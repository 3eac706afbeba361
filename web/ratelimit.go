package web

import (
	"errors"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"roster/handlers"
)

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
