package db

import (
	"context"
	"time"
)

// A lease queue is a table of work that server processes share: the
// webhook deliveries and the email outbox. A process claims the items
// that are due with one conditional UPDATE, which sets their
// next_attempt_at to the end of its lease and a lease_token of its own;
// of several processes claiming at once each item goes to one. The
// claimant finishes an item by an UPDATE that names its token, so a
// process whose lease ran out (it stalled, or died and the item was
// claimed again) changes nothing. An item whose lease ran out is due
// again: nothing is lost to a process that dies mid-work, and no attempt
// runs twice at once while leases outlast the work.

// leaseQueue describes one such table.
type leaseQueue struct {
	table   string // its name
	due     string // the condition of an item that may be claimed; its one ? is the time now
	claimed string // the assignments a claim makes besides the lease's, each after ", "
	columns string // what a claim returns of each item
}

// claimLeased claims up to limit items of q due at now, until the lease
// ends, and returns them. Over every workspace (multi-shard). On
// PostgreSQL the items are picked first, locked, in a materialized WITH
// (an IN subquery may run again for each row updated, and would then
// pick more), and claimants skip the rows another is claiming instead of
// waiting for it; SQLite has one writer at a time.
func claimLeased[T any](ctx context.Context, s *DB, q leaseQueue, now, until time.Time, limit int) ([]T, error) {
	now, until = stamp(now), stamp(until)
	set := ` SET next_attempt_at = ?, lease_token = ?` + q.claimed
	pick := `SELECT workspace_id, id FROM ` + q.table + ` WHERE ` + q.due + ` ORDER BY next_attempt_at LIMIT ?`
	query, args := `UPDATE `+multiShard+q.table+set+` WHERE (workspace_id, id) IN (`+pick+`) AND `+q.due+
		` RETURNING `+q.columns, []any{until, RandomToken(20), now, limit, now}
	if s.Dialect == Postgres {
		query = `WITH due (due_workspace, due_id) AS MATERIALIZED (` + pick + ` FOR UPDATE SKIP LOCKED) UPDATE ` + multiShard +
			q.table + set + ` FROM due WHERE ` + q.table + `.workspace_id = due.due_workspace AND ` + q.table + `.id = due.due_id` +
			` RETURNING ` + q.columns
		args = []any{now, limit, until, args[1]}
	}
	var items []T
	err := s.writeAlone(ctx, func(ctx context.Context) error { return s.selectAll(ctx, &items, query, args...) })
	return items, wrap(err, "claim due %s", q.table)
}

// finishLeased applies set (assignments, with args) to one item of q
// still held by the lease token; false when the lease was lost.
func (s *DB) finishLeased(ctx context.Context, q leaseQueue, wsID, id, token, set string, args ...any) (bool, error) {
	n, err := s.exec(ctx, finishLeasedSQL(q, set, "id = ?"), append(args, wsID, token, id)...)
	return n == 1, wrap(err, "finish %s %s", q.table, id)
}

// finishAllLeased applies set (assignments, with args) to the items ids of
// q, all of workspace wsID, that the lease token still holds, in one
// statement, and returns how many it held.
func (s *DB) finishAllLeased(ctx context.Context, q leaseQueue, wsID string, ids []string, token, set string, args ...any) (int64, error) {
	n, err := s.exec(ctx, s.dialect(listing(finishLeasedSQL(q, set, "id IN (?)"))), append(args, wsID, token, listArg(ids))...)
	return n, wrap(err, "finish %d of %s", len(ids), q.table)
}

// finishLeasedSQL is the UPDATE that finishes the items of q that which
// picks, of one workspace, held by one lease token: its arguments are
// set's, the workspace, the token and which's.
func finishLeasedSQL(q leaseQueue, set, which string) string {
	return `UPDATE ` + q.table + ` SET ` + set + `, lease_token = NULL WHERE workspace_id = ? AND lease_token = ? AND ` + which
}
