package db

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// roleCache holds the roles a bulk request has read, by query: its items
// resolve the same few roles, which no item changes, so each is read once
// per request rather than once per item.
type roleCache struct {
	mu    sync.Mutex
	reads map[string][]Role
}

type roleCacheKey struct{}

// withRoleCache returns a context whose role reads (roles) are cached.
func withRoleCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, roleCacheKey{}, &roleCache{reads: map[string][]Role{}})
}

// roleReadKey names a read of roles by its condition and arguments.
func roleReadKey(more string, args []any) string { return fmt.Sprintf("%s\x00%v", more, args) }

// cachedRoles returns the roles a read of ctx's bulk request made before.
func cachedRoles(ctx context.Context, more string, args []any) ([]Role, bool) {
	c, ok := ctx.Value(roleCacheKey{}).(*roleCache)
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	roles, ok := c.reads[roleReadKey(more, args)]
	return slices.Clone(roles), ok
}

// cacheRoles keeps what a read of ctx's bulk request found.
func cacheRoles(ctx context.Context, more string, args []any, roles []Role) {
	if c, ok := ctx.Value(roleCacheKey{}).(*roleCache); ok {
		c.mu.Lock()
		c.reads[roleReadKey(more, args)] = slices.Clone(roles)
		c.mu.Unlock()
	}
}
