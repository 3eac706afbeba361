package db

import (
	"context"
	"strings"
	"time"
)

// Sweep is what one SweepMemberships did: how many memberships it stored
// expired, and how many members it told that theirs ends soon.
type Sweep struct {
	Expired  int
	Notified int
}

// sweepRow names a membership the sweeper looks at.
type sweepRow struct {
	WorkspaceID string `db:"workspace_id"`
	Livemode    bool   `db:"livemode"`
	ID          string `db:"id"`
}

// scope is the scope of the row's membership.
func (r sweepRow) scope() Scope { return Scope{WorkspaceID: r.WorkspaceID, Live: r.Livemode} }

// SweepMemberships stores status expired for up to limit active
// memberships of every workspace whose expires_at has passed, writing
// membership.expired for each, and tells up to limit members whose
// membership enters its last ExpiringNotice (membership.expiring and an
// email). Each is a conditional update in its own transaction: of several
// sweepers at once (goroutines or processes) exactly one writes each
// event. Reads need none of it: they compute the expiry themselves.
func (s *DB) SweepMemberships(ctx context.Context, limit int) (Sweep, error) {
	var sw Sweep
	ctx = WithActor(ctx, systemActor)
	at := s.clock()
	var due []sweepRow
	if err := s.selectAll(ctx, &due, `SELECT `+multiShard+`workspace_id, livemode, id FROM account_memberships am
		WHERE am.status = 'active' AND am.expires_at IS NOT NULL AND am.expires_at <= ? ORDER BY am.expires_at LIMIT ?`, at, limit); err != nil {
		return sw, wrap(err, "find expired memberships")
	}
	for _, r := range due {
		done, err := s.expire(ctx, r.scope(), r.ID, at)
		if err != nil {
			return sw, err
		}
		if done {
			sw.Expired++
		}
	}
	var near []sweepRow
	if err := s.selectAll(ctx, &near, `SELECT `+multiShard+`workspace_id, livemode, id FROM account_memberships am
		WHERE am.status = 'active' AND am.expires_at IS NOT NULL AND am.expiring_notified_at IS NULL
		AND am.expires_at <= ? AND am.expires_at > ? ORDER BY am.expires_at LIMIT ?`, at.Add(ExpiringNotice), at, limit); err != nil {
		return sw, wrap(err, "find expiring memberships")
	}
	for _, r := range near {
		done, err := s.noticeExpiring(ctx, r.scope(), r.ID)
		if err != nil {
			return sw, err
		}
		if done {
			sw.Notified++
		}
	}
	return sw, nil
}

// expire stores status expired for an active membership whose expiry
// has passed by at, and records membership.expired, in one transaction;
// false when another sweep (or a change) got there first.
func (s *DB) expire(ctx context.Context, sc Scope, id string, at time.Time) (bool, error) {
	done := false
	err := s.WithTx(ctx, func(ctx context.Context) error {
		n, err := s.exec(ctx, `UPDATE account_memberships SET status = 'expired', version = version + 1, updated_at = ?
			WHERE workspace_id = ? AND livemode = ? AND id = ? AND status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?`,
			now(), sc.WorkspaceID, sc.Live, id, at)
		if err != nil {
			return wrap(err, "expire membership %s", id)
		}
		if n != 1 {
			return nil // swept already, or no longer due
		}
		if err := s.freeSeat(ctx, sc, id); err != nil {
			return err
		}
		m, err := s.membershipIn(ctx, sc, "", id)
		if err != nil {
			return err
		}
		done = true
		return s.record(ctx, sc, change{Type: "membership.expired", TargetID: id, AccountID: m.AccountID, MembershipID: id,
			Data: m, Previous: map[string]any{"status": StatusActive}})
	})
	return done, err
}

// noticeIfNear tells the member of a membership just changed whose
// expiry is within ExpiringNotice at once, rather than at the next sweep.
func (s *DB) noticeIfNear(ctx context.Context, sc Scope, m Membership) error {
	at := s.clock()
	if m.Status != StatusActive || m.ExpiresAt == nil || m.ExpiresAt.After(at.Add(ExpiringNotice)) {
		return nil
	}
	_, err := s.noticeExpiring(WithActor(ctx, systemActor), sc, m.ID)
	return err
}

// noticeExpiring marks an active membership whose expiry is within
// ExpiringNotice as told, and records membership.expiring and queues the
// email to its member, in one transaction; false when it was told
// already (by another sweep) or its expiry is no longer near.
func (s *DB) noticeExpiring(ctx context.Context, sc Scope, id string) (bool, error) {
	done := false
	err := s.WithTx(ctx, func(ctx context.Context) error {
		at := s.clock()
		n, err := s.exec(ctx, `UPDATE account_memberships SET expiring_notified_at = ?
			WHERE workspace_id = ? AND livemode = ? AND id = ? AND status = 'active' AND expiring_notified_at IS NULL
			AND expires_at IS NOT NULL AND expires_at <= ? AND expires_at > ?`,
			at, sc.WorkspaceID, sc.Live, id, at.Add(ExpiringNotice), at)
		if err != nil {
			return wrap(err, "mark membership %s told of its expiry", id)
		}
		if n != 1 {
			return nil // told already, or no longer near
		}
		m, err := s.membershipIn(ctx, sc, "", id)
		if err != nil {
			return err
		}
		a, err := s.account(ctx, sc, m.AccountID, "")
		if err != nil {
			return err
		}
		subject, body := expiringEmail(a.Name, m.User.Name, *m.ExpiresAt)
		if err := s.queueEmail(ctx, sc, m.ID, m.User.Email, subject, body); err != nil {
			return err
		}
		done = true
		return s.record(ctx, sc, change{Type: "membership.expiring", TargetID: id, AccountID: m.AccountID, MembershipID: id, Data: m})
	})
	return done, err
}

// expiringEmail is the subject and plain-text body of the email that
// tells a member their membership ends soon.
func expiringEmail(account, name string, expires time.Time) (subject, body string) {
	account = strings.Join(strings.Fields(account), " ")
	greeting := "Hello,"
	if name != "" {
		greeting = "Hello " + name + ","
	}
	when := expires.UTC().Format("2 January 2006 15:04 MST")
	subject = "Your membership of " + account + " ends on " + expires.UTC().Format("2 January 2006")
	body = greeting + "\n\nYour membership of " + account + " ends on " + when + ".\n" +
		"If you still need it after then, ask an administrator of " + account + " to extend it.\n"
	return subject, body
}
