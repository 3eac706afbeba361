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
}

const emailColumns = `id, workspace_id, livemode, membership_id, to_email, subject, body, created_at, sent_at FROM outbox`

// queueEmail puts an email of a membership in the outbox.
func (s *DB) queueEmail(ctx context.Context, sc Scope, membershipID, to, subject, body string) error {
	_, err := s.exec(ctx, `INSERT INTO outbox (id, workspace_id, livemode, membership_id, to_email, subject, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, NewID("email"), sc.WorkspaceID, sc.Live, nullString(membershipID), to, subject, body, now())
	return wrap(err, "queue email of membership %s", membershipID)
}

// dropUnsentEmails removes the emails of a membership not sent yet: their
// link is dead once the invitation is resent, accepted or dropped.
func (s *DB) dropUnsentEmails(ctx context.Context, sc Scope, membershipID string) error {
	_, err := s.exec(ctx, `DELETE FROM outbox WHERE workspace_id = ? AND livemode = ? AND membership_id = ? AND sent_at IS NULL`,
		sc.WorkspaceID, sc.Live, membershipID)
	return wrap(err, "drop unsent emails of membership %s", membershipID)
}

// PendingEmails returns up to limit emails not yet handled, oldest first,
// of every workspace: the dispatcher works for all of them, so this read
// is over every workspace (multi-shard); it claims each email in its
// workspace.
func (s *DB) PendingEmails(ctx context.Context, limit int) ([]Email, error) {
	var es []Email
	err := s.selectAll(ctx, &es, `SELECT `+multiShard+emailColumns+` WHERE sent_at IS NULL ORDER BY id LIMIT ?`, limit)
	return es, wrap(err, "list pending emails")
}

// ClaimEmail marks an email handled before it is handed over, so that of
// several processes only one sends it; false when another came first.
func (s *DB) ClaimEmail(ctx context.Context, e Email) (bool, error) {
	n, err := s.exec(ctx, `UPDATE outbox SET sent_at = ? WHERE workspace_id = ? AND id = ? AND sent_at IS NULL`,
		now(), e.WorkspaceID, e.ID)
	return n == 1, wrap(err, "claim email %s", e.ID)
}

// UnclaimEmail puts an email back in the queue after a failed send.
func (s *DB) UnclaimEmail(ctx context.Context, e Email) error {
	_, err := s.exec(ctx, `UPDATE outbox SET sent_at = NULL WHERE workspace_id = ? AND id = ?`, e.WorkspaceID, e.ID)
	return wrap(err, "unclaim email %s", e.ID)
}

// InvitationEmail returns the newest email of a membership's invitation,
// whose body holds the accept link support can copy.
func (s *DB) InvitationEmail(ctx context.Context, sc Scope, membershipID string) (Email, error) {
	var e Email
	err := s.get(ctx, &e, `SELECT `+emailColumns+` WHERE workspace_id = ? AND livemode = ? AND membership_id = ?
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
