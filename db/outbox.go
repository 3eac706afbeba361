package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Email is a message of the outbox: queued in the transaction of the change
// that sends it, handed to SMTP (or, without SMTP, only logged) by the
// dispatcher, and kept, so that support can copy an invitation's link.
type Email struct {
	ID           string     `db:"id"`
	WorkspaceID  string     `db:"workspace_id"`
	Livemode     bool       `db:"livemode"`
	MembershipID *string    `db:"membership_id"`
	To           string     `db:"to_email"`
	Subject      string     `db:"subject"`
	Body         string     `db:"body"`
	CreatedAt    time.Time  `db:"created_at"`
	SentAt       *time.Time `db:"sent_at"`
	// LeaseToken names the claim of the process handling the email.
	LeaseToken string `db:"lease_token"`
}

const emailColumns = `id, workspace_id, livemode, membership_id, to_email, subject, body, created_at, sent_at,
	COALESCE(lease_token, '') AS lease_token`

// insertEmailSQL writes one email into the outbox.
const insertEmailSQL = `INSERT INTO outbox (id, workspace_id, livemode, membership_id, to_email, subject, body, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// queueEmail puts an email of a membership in the outbox (at the end of
// a bulk request, in one statement with its other emails).
func (s *DB) queueEmail(ctx context.Context, sc Scope, membershipID, to, subject, body string) error {
	t := now()
	row := []any{NewID("email"), sc.WorkspaceID, sc.Live, nullString(membershipID), to, subject, body, t, t}
	if w := heldWrites(ctx); w != nil {
		w.emails = append(w.emails, pendingEmail{membershipID: membershipID, row: row})
		return nil
	}
	_, err := s.exec(ctx, insertEmailSQL, row...)
	return wrap(err, "queue email of membership %s", membershipID)
}

// dropUnsentEmails removes the emails of a membership not sent yet: their
// link is dead once the invitation is resent, accepted or dropped.
func (s *DB) dropUnsentEmails(ctx context.Context, sc Scope, membershipID string) error {
	if w := heldWrites(ctx); w != nil {
		w.dropEmails(membershipID)
	}
	_, err := s.exec(ctx, `DELETE FROM outbox WHERE workspace_id = ? AND livemode = ? AND membership_id = ? AND sent_at IS NULL`,
		sc.WorkspaceID, sc.Live, membershipID)
	return wrap(err, "drop unsent emails of membership %s", membershipID)
}

// PendingEmails returns up to limit emails not yet handed over, oldest
// first, of every workspace (multi-shard), claimed or not: what support
// and the tests see of the queue.
func (s *DB) PendingEmails(ctx context.Context, limit int) ([]Email, error) {
	var es []Email
	err := s.selectAll(ctx, &es, `SELECT `+multiShard+emailColumns+` FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?`, limit)
	return es, wrap(err, "list pending emails")
}

// emailQueue is the outbox as a lease queue (lease.go): an email is due
// until it is handed over.
var emailQueue = leaseQueue{table: "outbox", due: "sent_at IS NULL AND next_attempt_at <= ?", columns: emailColumns}

// ClaimEmails claims up to limit due emails of every workspace for this
// process until the lease ends: of several processes one handles each,
// and an email a process does not finish is due again when its lease
// ends.
func (s *DB) ClaimEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Email, error) {
	return claimLeased[Email](ctx, s, emailQueue, now, now.Add(lease), limit)
}

// EmailsSent marks claimed emails handed over, one statement for the
// emails of each workspace and claim, and returns how many it marked: an
// email whose lease ran out, which another process has, is not.
func (s *DB) EmailsSent(ctx context.Context, es []Email) (int, error) {
	type claim struct{ workspace, token string }
	var claims []claim
	ids := map[claim][]string{}
	for _, e := range es {
		c := claim{e.WorkspaceID, e.LeaseToken}
		if _, ok := ids[c]; !ok {
			claims = append(claims, c)
		}
		ids[c] = append(ids[c], e.ID)
	}
	t, marked := now(), int64(0)
	for _, c := range claims {
		n, err := s.finishAllLeased(ctx, emailQueue, c.workspace, ids[c], c.token, "sent_at = ?", t)
		if err != nil {
			return int(marked), err
		}
		marked += n
	}
	return int(marked), nil
}

// EmailFailed puts a claimed email back in the queue, due at retryAt.
func (s *DB) EmailFailed(ctx context.Context, e Email, retryAt time.Time) error {
	_, err := s.finishLeased(ctx, emailQueue, e.WorkspaceID, e.ID, e.LeaseToken, "next_attempt_at = ?", stamp(retryAt))
	return err
}

// InvitationEmail returns the newest email of a membership's invitation,
// whose body holds the accept link support can copy.
func (s *DB) InvitationEmail(ctx context.Context, sc Scope, membershipID string) (Email, error) {
	var e Email
	err := s.get(ctx, &e, `SELECT `+emailColumns+` FROM outbox WHERE workspace_id = ? AND livemode = ? AND membership_id = ?
		ORDER BY id DESC LIMIT 1`, sc.WorkspaceID, sc.Live, membershipID)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrInvitationNotFound.Saying("Invitation not found").For(membershipID)
	}
	return e, wrap(err, "get invitation email of membership %s", membershipID)
}

// OutboxBacklog is the outbox's queue: how many emails wait to be handed
// over, and when the oldest of them was queued (zero when none waits).
// Both read the partial index of unsent emails, so a scrape costs little;
// both are over every workspace (multi-shard).
func (s *DB) OutboxBacklog(ctx context.Context) (pending int, oldest time.Time, err error) {
	if err := s.get(ctx, &pending, `SELECT `+multiShard+`COUNT(*) FROM outbox WHERE sent_at IS NULL`); err != nil {
		return 0, time.Time{}, wrap(err, "count pending emails")
	}
	if pending == 0 {
		return 0, time.Time{}, nil
	}
	err = s.get(ctx, &oldest, `SELECT `+multiShard+`created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) { // handed over meanwhile
		return pending, time.Time{}, nil
	}
	return pending, oldest, wrap(err, "find the oldest pending email")
}
