package db

import (
	"context"
	"time"
)

// The statuses of a membership that grants nothing (lifecycle.md): one
// deactivated by hand, and one whose expires_at has passed.
const (
	StatusInactive = "inactive"
	StatusExpired  = "expired"
)

// MembershipStatuses are every status a membership can have, as lists
// filter them.
var MembershipStatuses = []string{StatusInvited, StatusActive, StatusInactive, StatusExpired}

// MinExpiry is how far in the future a new expires_at must be at least.
const MinExpiry = time.Minute

// ExpiringNotice is how long before its expiry a membership's member is
// told that it ends (membership.expiring and an email).
const ExpiringNotice = 7 * 24 * time.Hour

// Errors of the lifecycle (409).
var (
	ErrNotActive = conflict("membership.not_active",
		"Only an active membership can be deactivated: revoke an invitation instead, or move an expired membership's expires_at")
	ErrOwnerCannotExpire = conflict("membership.owner_cannot_expire",
		"An owner's membership cannot expire: remove its expires_at, or give it another role")
)

// errNotInactive refuses to reactivate a membership that is not inactive.
var errNotInactive = ErrNotActive.Saying(
	"Only an inactive membership can be reactivated: an invited one becomes active when accepted, an expired one when its expires_at moves later")

// systemActor is who the lifecycle's own changes are by.
var systemActor = Actor{Type: "system", ID: "roster"}

// clock is the time the lifecycle compares expiries with: DB.Now when
// set, else the system clock, as stores write time stamps.
func (s *DB) clock() time.Time {
	if s.Now != nil {
		return stamp(s.Now())
	}
	return now()
}

// settle completes a membership read at time at: an active one whose
// expires_at has passed is expired, whatever the sweeper has stored yet,
// and its effective permissions are what it grants.
func (m *Membership) settle(at time.Time) {
	if m.ExpiresAt != nil {
		t := m.ExpiresAt.UTC()
		m.ExpiresAt = &t
		if m.Status == StatusActive && !t.After(at) {
			m.Status = StatusExpired
		}
	}
	m.EffectivePermissions = m.granted()
}

// granted is what a membership grants: its role's and direct
// permissions, nothing when inactive or expired.
func (m Membership) granted() []string {
	if m.Status == StatusInactive || m.Status == StatusExpired {
		return []string{}
	}
	return effective(m.Role.Permissions, m.Permissions)
}

// Deactivate makes an active membership inactive: it keeps its role and
// direct permissions but grants nothing. An inactive one is answered as it
// is, with no event; an invited or expired one is membership.not_active;
// the account's last active owner stays (membership.last_owner).
func (s *DB) Deactivate(ctx context.Context, sc Scope, ref MembershipRef, ifMatch IfMatch) (Membership, error) {
	return s.changeStatus(ctx, sc, ref, ifMatch, func(ctx context.Context, _, m Membership) (Membership, error) {
		switch m.Status {
		case StatusInactive:
			return m, nil
		case StatusActive:
		default:
			return m, ErrNotActive.With(map[string]any{"id": m.ID, "status": m.Status})
		}
		if err := s.keepOwner(ctx, sc, m); err != nil {
			return m, err
		}
		return s.setStatus(ctx, sc, m, StatusInactive, "membership.deactivated")
	})
}

// Reactivate makes an inactive membership active again, with what it
// had. An active one is answered as it is, with no event; an invited or
// expired one is membership.not_active. A member principal may reactivate
// only a membership that grants nothing beyond their own permissions
// (escalation).
func (s *DB) Reactivate(ctx context.Context, sc Scope, ref MembershipRef, ifMatch IfMatch) (Membership, error) {
	return s.changeStatus(ctx, sc, ref, ifMatch, func(ctx context.Context, by, m Membership) (Membership, error) {
		switch m.Status {
		case StatusActive:
			return m, nil
		case StatusInactive:
			if err := by.mayRestore(m); err != nil {
				return m, err
			}
			return s.reactivate(ctx, sc, m)
		}
		return m, errNotInactive.With(map[string]any{"id": m.ID, "status": m.Status})
	})
}

// changeStatus runs fn on the locked membership ref names, in one
// transaction with its account locked (deactivating can lower the
// owners, reactivating takes a seat), once the caller may change it: the
// same authorization as editing it (a member principal with
// members.manage, never on itself, an owner's membership only as an
// owner). fn is given the acting member's membership (the zero one for
// staff and keys) and the membership.
func (s *DB) changeStatus(ctx context.Context, sc Scope, ref MembershipRef, ifMatch IfMatch,
	fn func(ctx context.Context, by, m Membership) (Membership, error)) (Membership, error) {
	var m Membership
	err := s.WithTx(ctx, func(ctx context.Context) error {
		before, _, err := s.lockMembership(ctx, sc, ref, true)
		if err != nil {
			return err
		}
		by, ctx, err := s.memberActingOn(ctx, sc, ref, before, PermMembersManage)
		if err != nil {
			return err
		}
		if err := by.mayEdit(before, edit{}); err != nil {
			return err
		}
		if err := ifMatch.check(before.Version); err != nil {
			return err
		}
		m, err = fn(ctx, by, before)
		return err
	})
	return m, err
}

// reactivate is the write of Reactivate: the inactive membership m is
// active again.
func (s *DB) reactivate(ctx context.Context, sc Scope, m Membership) (Membership, error) {
	return s.setStatus(ctx, sc, m, StatusActive, "membership.reactivated")
}

// setStatus stores a locked membership's new status and records the
// event of type typ.
func (s *DB) setStatus(ctx context.Context, sc Scope, m Membership, status, typ string) (Membership, error) {
	if err := s.storeStatus(ctx, sc, m.ID, status); err != nil {
		return m, err
	}
	after := m
	after.Status = status
	after.settle(s.clock())
	if err := s.settleSeat(ctx, sc, after); err != nil {
		return m, err
	}
	prev := map[string]any{"status": m.Status, "effective_permissions": m.EffectivePermissions}
	return s.finishChange(ctx, sc, m, after, prev, typ)
}

// storeStatus writes a membership's status.
func (s *DB) storeStatus(ctx context.Context, sc Scope, id, status string) error {
	_, err := s.exec(ctx, `UPDATE account_memberships SET status = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
		status, sc.WorkspaceID, sc.Live, id)
	return wrap(err, "set status of membership %s", id)
}

// unexpire is the write that brings an expired membership back to active
// (its expires_at moved later or away): the caller records the change.
func (s *DB) unexpire(ctx context.Context, sc Scope, m Membership) error {
	return s.storeStatus(ctx, sc, m.ID, StatusActive)
}

// checkExpiry refuses an expires_at less than MinExpiry in the future.
func (s *DB) checkExpiry(at *time.Time) error {
	if at != nil && at.Before(s.clock().Add(MinExpiry)) {
		return Invalid(map[string]string{"expires_at": "must be at least a minute in the future"})
	}
	return nil
}

// applyExpiry sets a locked membership's expires_at (none when at is
// nil) as part of an edit, bringing an expired membership back to active
// when the new expiry is in the future, and forgetting that its member was
// told of an expiry that is no longer near.
func (s *DB) applyExpiry(ctx context.Context, sc Scope, m Membership, after *Membership, prev map[string]any, at *time.Time) error {
	if sameTime(at, m.ExpiresAt) {
		return nil
	}
	t := s.clock()
	forget := at == nil || at.After(t.Add(ExpiringNotice))
	q := `UPDATE account_memberships SET expires_at = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`
	if forget {
		q = `UPDATE account_memberships SET expires_at = ?, expiring_notified_at = NULL WHERE workspace_id = ? AND livemode = ? AND id = ?`
	}
	if _, err := s.exec(ctx, q, at, sc.WorkspaceID, sc.Live, m.ID); err != nil {
		return wrap(err, "set expiry of membership %s", m.ID)
	}
	prev["expires_at"], after.ExpiresAt = m.ExpiresAt, at
	if m.Status == StatusExpired && (at == nil || at.After(t)) {
		if err := s.unexpire(ctx, sc, m); err != nil {
			return err
		}
		prev["status"], after.Status = m.Status, StatusActive
	}
	return s.settleSeat(ctx, sc, *after)
}

// sameTime reports whether two optional times are the same.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// ownerMayNotExpire refuses a membership that would be an owner's with an
// expires_at.
func ownerMayNotExpire(m Membership) error {
	if m.isOwner() && m.ExpiresAt != nil {
		return ErrOwnerCannotExpire.With(map[string]any{"id": m.ID})
	}
	return nil
}

// notExpiredSQL is the condition that a membership (am) has not expired
// by the time that is its argument.
const notExpiredSQL = ` AND (am.expires_at IS NULL OR am.expires_at > ?)`

// expiredSQL is the condition that a membership (am) is expired by the
// time that is its argument, stored so or not yet swept: it walks the
// account's memberships with an expiry (account_memberships_expiry_list).
const expiredSQL = ` AND am.expires_at IS NOT NULL AND (am.status = 'expired' OR am.status = 'active' AND am.expires_at <= ?)`

// statusFilter is the condition of a list's status filter beyond the
// status column that the keyset may fix: the expiry that tells an active
// membership from an expired one. fixed reports whether the status column
// is to be matched to status (all but expired, which two stored statuses
// make).
func (s *DB) statusFilter(status string) (cond string, args []any, fixed bool) {
	switch status {
	case StatusActive:
		return notExpiredSQL, []any{s.clock()}, true
	case StatusExpired:
		return expiredSQL, []any{s.clock()}, false
	}
	return "", nil, status != ""
}

// expiresBeforeFilter is the condition of the expires_before filter.
func expiresBeforeFilter(f MembershipFilter) (string, []any) {
	if f.ExpiresBefore == nil {
		return "", nil
	}
	return ` AND am.expires_at IS NOT NULL AND am.expires_at < ?`, []any{stamp(*f.ExpiresBefore)}
}
