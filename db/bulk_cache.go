package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

// bulkWrites holds the events (with their webhook fan-out) and emails of
// a bulk request's items, which nothing in the request reads back: they
// are written at its end in a few multi-row statements (flushBulkWrites)
// instead of several statements per item. An item that fails takes its
// own back (mark, restore), as its savepoint's rollback does for its rows.
type bulkWrites struct {
	events []pendingEvent
	emails []pendingEmail
}

// pendingEvent is an event's row (insertEventSQL's arguments) and its
// fan-out's arguments (fanOutArgs).
type pendingEvent struct{ row, fanOut []any }

// pendingEmail is an outbox row and the membership it is about.
type pendingEmail struct {
	membershipID string
	row          []any
}

// bulkMark is where a bulk request's writes stood before an item.
type bulkMark struct {
	events []pendingEvent
	emails []pendingEmail
}

type bulkWritesKey struct{}

// withBulkWrites returns a context whose events and emails are held in w.
func withBulkWrites(ctx context.Context, w *bulkWrites) context.Context {
	return context.WithValue(ctx, bulkWritesKey{}, w)
}

// heldWrites is the bulkWrites of ctx, nil outside a bulk request.
func heldWrites(ctx context.Context) *bulkWrites {
	w, _ := ctx.Value(bulkWritesKey{}).(*bulkWrites)
	return w
}

// mark notes where the writes stand. The slices are only ever appended to
// or replaced, never changed in place, so a mark stays true.
func (w *bulkWrites) mark() bulkMark { return bulkMark{w.events, w.emails} }

// restore takes back what was held since the mark.
func (w *bulkWrites) restore(m bulkMark) { w.events, w.emails = m.events, m.emails }

// dropEmails forgets the held emails of a membership (dropUnsentEmails).
func (w *bulkWrites) dropEmails(membershipID string) {
	kept := make([]pendingEmail, 0, len(w.emails))
	for _, e := range w.emails {
		if e.membershipID != membershipID {
			kept = append(kept, e)
		}
	}
	w.emails = kept
}

// bulkChunk is the most rows one statement of flushBulkWrites writes.
const bulkChunk = 50

// flushBulkWrites writes the held events, their webhook deliveries and
// the held emails, in the request's transaction, before it commits. The
// fan-out runs per event only when the workspace has an enabled endpoint
// in the mode: otherwise it would write nothing.
func (s *DB) flushBulkWrites(ctx context.Context, sc Scope, w *bulkWrites) error {
	events := make([][]any, len(w.events))
	for i, e := range w.events {
		events[i] = e.row
	}
	if err := s.insertRows(ctx, insertEventSQL, events); err != nil {
		return wrap(err, "insert the events of a bulk request")
	}
	if len(w.events) > 0 {
		var endpoints bool
		if err := s.get(ctx, &endpoints, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints
			WHERE workspace_id = ? AND livemode = ? AND status = 'enabled')`, sc.WorkspaceID, sc.Live); err != nil {
			return wrap(err, "look for webhook endpoints")
		}
		for _, e := range w.events {
			if !endpoints {
				break
			}
			if _, err := s.exec(ctx, s.dialect(fanOutSQL), e.fanOut...); err != nil {
				return wrap(err, "queue the webhook deliveries of a bulk request")
			}
		}
	}
	emails := make([][]any, len(w.emails))
	for i, e := range w.emails {
		emails[i] = e.row
	}
	return wrap(s.insertRows(ctx, insertEmailSQL, emails), "queue the emails of a bulk request")
}

// insertRows runs an INSERT … VALUES (?, …) statement for many rows at
// once, bulkChunk rows a statement.
func (s *DB) insertRows(ctx context.Context, insert string, rows [][]any) error {
	_, err := s.insertRowsThen(ctx, insert, "", rows)
	return err
}

// insertRowsThen is insertRows with a clause after the rows (ON CONFLICT
// …); it returns how many rows were written.
func (s *DB) insertRowsThen(ctx context.Context, insert, then string, rows [][]any) (int64, error) {
	_, values, _ := strings.Cut(insert, "VALUES")
	values = strings.TrimSpace(values)
	var written int64
	for len(rows) > 0 {
		n := min(len(rows), bulkChunk)
		q := insert + strings.Repeat(", "+values, n-1) + then
		var args []any
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		w, err := s.exec(ctx, q, args...)
		if err != nil {
			return written, err
		}
		written += w
		rows = rows[n:]
	}
	return written, nil
}

type bulkAccountKey struct{}

// withLockedAccount returns a context saying that its transaction holds
// the lock of the account (lockAccount), taken once for a bulk request.
func withLockedAccount(ctx context.Context, accountID string) context.Context {
	return context.WithValue(ctx, bulkAccountKey{}, accountID)
}

// lockedForBulk reports whether ctx's bulk request holds the account's lock.
func lockedForBulk(ctx context.Context, accountID string) bool {
	id, _ := ctx.Value(bulkAccountKey{}).(string)
	return id != "" && id == accountID
}
