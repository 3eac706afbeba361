package dbtest

import (
	"sync"
	"time"
)

// Clock is a time a test moves, safe for concurrent use: give its Now to
// DB.Now (or to anything else that reads the time) and move it on.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock that reads t until it is moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// CatchUp moves the clock to the real time if it is behind.
func (c *Clock) CatchUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); c.t.Before(now) {
		c.t = now
	}
}
