package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// CreateMembership adds a member to an account: it links a staff member
// (status active) or invites a person by email (status invited, with an
// invitation and, when SendEmail, its email in the outbox). Linking a person
// whose membership here is still invited activates that membership instead
// and answers created = false. Any other membership of the same person is
// membership.already_exists, however many requests race.
func (s *DB) CreateMembership(ctx context.Context, sc Scope, accountID string, in NewMembership) (Membership, bool, error) {
	if err := in.Validate(); err != nil {
		return Membership{}, false, err
	}
	var m Membership
	created := false
	err := s.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockAccount(ctx, sc, accountID)
		if err != nil {
			return err
		}
		var by Membership
		if by, ctx, err = s.memberActing(ctx, sc, a.ID, PermMembersManage); err != nil {
			return err
		}
		if by.ID != "" && in.StaffID != "" {
			return ErrStaffOnly.Saying("Only the workspace's staff may link a staff member to an account")
		}
		e, err := s.newMembershipEdit(ctx, sc.WorkspaceID, in)
		if err != nil {
			return err
		}
		// Refused keys are told before any conflict of the person's.
		if err := s.checkCatalog(ctx, sc.WorkspaceID, "permissions", in.Permissions); err != nil {
			return err
		}
		user, staffID, err := s.newMember(ctx, sc.WorkspaceID, in)
		if err != nil {
			return err
		}
		existing, err := s.membershipOfUser(ctx, sc, a.ID, user.ID)
		switch {
		case err == nil && staffID != "" && existing.Status == StatusInvited:
			if m, err = s.activateByLink(ctx, sc, existing, staffID, e); err != nil {
				return err
			}
			return s.noticeIfNear(ctx, sc, m)
		case err == nil:
			return alreadyMember(existing.ID)
		case !errors.Is(err, ErrMembershipNotFound):
			return err
		}
		if err := s.settleNewRole(ctx, sc.WorkspaceID, by, &e, in); err != nil {
			return err
		}
		created = true
		m, err = s.insertMembership(ctx, sc, a, user.ID, staffID, e, in)
		return err
	})
	return m, created, err
}

// newMembershipEdit checks a validated new membership's role and expiry
// against the workspace.
func (s *DB) newMembershipEdit(ctx context.Context, wsID string, in NewMembership) (edit, error) {
	ch := MembershipChange{Role: in.Role}
	if in.ExpiresAt != nil {
		ch.Expiry = &Expiry{At: in.ExpiresAt}
	}
	if in.Permissions != nil {
		ch.Permissions = &in.Permissions
	}
	return s.editOf(ctx, wsID, ch)
}

// settleNewRole gives the edit of a new membership (for a person with no
// membership of the account) the default role when it names none, and
// refuses what by may not give and an owner that expires.
func (s *DB) settleNewRole(ctx context.Context, wsID string, by Membership, e *edit, in NewMembership) error {
	if e.role == nil {
		r, err := s.roleOrDefault(ctx, wsID, "")
		if err != nil {
			return err
		}
		e.role = &r
	}
	if err := by.mayGive(e.role, in.Permissions); err != nil {
		return err
	}
	if e.role.Slug == OwnerRoleSlug && in.ExpiresAt != nil {
		return ErrOwnerCannotExpire
	}
	return nil
}

// alreadyMember is the conflict of a second membership for one person.
func alreadyMember(id string) error {
	var details map[string]any
	if id != "" {
		details = map[string]any{"membership_id": id}
	}
	return ErrAlreadyMember.With(details)
}

// newMember finds the user a new membership is for: the linked workspace
// member's user, or the invited person's, created when new.
func (s *DB) newMember(ctx context.Context, wsID string, in NewMembership) (User, string, error) {
	if in.StaffID != "" {
		sm, err := s.StaffByID(ctx, wsID, in.StaffID)
		return sm.User, sm.ID, err
	}
	u, err := s.findOrCreateUser(ctx, wsID, in.Email, in.Name)
	return u, "", err
}

// membershipOfUser returns the user's membership of the account.
func (s *DB) membershipOfUser(ctx context.Context, sc Scope, accountID, userID string) (Membership, error) {
	var id string
	err := s.get(ctx, &id, `SELECT id FROM account_memberships
		WHERE workspace_id = ? AND livemode = ? AND account_id = ? AND user_id = ?`, sc.WorkspaceID, sc.Live, accountID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Membership{}, ErrMembershipNotFound
	}
	if err != nil {
		return Membership{}, wrap(err, "find membership of user %s", userID)
	}
	return s.membershipIn(ctx, sc, accountID, id)
}

// insertMembership writes a new membership holding a seat of the account,
// with its permissions and, for an invitation, its token and email, and
// records what happened. The seat is counted first and written with the
// row, as bulk invitations write theirs: no second write of the row.
func (s *DB) insertMembership(ctx context.Context, sc Scope, a Account, userID, staffID string, e edit, in NewMembership) (Membership, error) {
	status, id, t := newMembershipStatus(staffID), NewID("am"), now()
	seat := Membership{Status: status, ExpiresAt: e.expiresAt()}
	var inv *invitationRows
	if status == StatusInvited {
		r := newInvitation(ctx, sc, id, t)
		inv, seat.InvitationExpiresAt = &r, &r.expiresAt
	}
	if err := s.takeNewSeats(ctx, sc, a.ID, 1); err != nil {
		return Membership{}, err
	}
	s.aboutToWriteMembership(ctx)
	_, err := s.exec(ctx, insertMembershipSQL, newMembershipRow(sc, a.ID, id, userID, staffID, e, t, seatEnd(seat))...)
	if isUniqueViolation(err) {
		return Membership{}, alreadyMember("")
	}
	if isForeignKeyViolation(err) {
		return Membership{}, s.vanished(ctx, err, sc.WorkspaceID, e.role.ID, staffID)
	}
	if err != nil {
		return Membership{}, wrap(err, "insert membership")
	}
	if e.set != nil {
		if err := s.addPermissions(ctx, sc, id, *e.set, "permissions"); err != nil {
			return Membership{}, err
		}
	}
	token := ""
	if inv != nil {
		if token, err = s.firstInvitation(ctx, *inv); err != nil {
			return Membership{}, err
		}
	}
	m, err := s.membershipIn(ctx, sc, a.ID, id)
	if err != nil {
		return m, err
	}
	return s.announceMembership(ctx, sc, a, m, token, in)
}

// announceMembership records the creation of membership m, as written
// with its seat, tells its member of a near expiry and, for an
// invitation (token), announces it (announceInvitation).
func (s *DB) announceMembership(ctx context.Context, sc Scope, a Account, m Membership, token string, in NewMembership) (Membership, error) {
	if err := s.record(ctx, sc, change{Type: "membership.created", TargetID: m.ID, AccountID: a.ID, MembershipID: m.ID, Data: m}); err != nil {
		return m, err
	}
	if err := s.noticeIfNear(ctx, sc, m); err != nil {
		return m, err
	}
	if token == "" {
		return m, nil
	}
	return s.announceInvitation(ctx, sc, a, m, token, invitationNotice{send: in.SendEmail, acceptURL: in.AcceptURL})
}

// insertMembershipSQL writes a new membership; its arguments are those of
// newMembershipRow.
const insertMembershipSQL = `INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id,
	workspace_membership_id, role_id, status, created_at, updated_at, expires_at, holds_seat, seat_until)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// newMembershipStatus is the status of a new membership: active for a
// linked staff member, invited for a person invited by email.
func newMembershipStatus(staffID string) string {
	if staffID == "" {
		return StatusInvited
	}
	return StatusActive
}

// newMembershipRow is the row (insertMembershipSQL's arguments) of a new
// membership made at t, holding a seat until seatUntil (nil: for as long
// as it lasts): a new membership is written with its seat, counted first
// (takeSeats).
func newMembershipRow(sc Scope, accountID, id, userID, staffID string, e edit, t time.Time, seatUntil *time.Time) []any {
	return []any{id, sc.WorkspaceID, sc.Live, accountID, userID, nullString(staffID), e.role.ID, newMembershipStatus(staffID),
		t, t, e.expiresAt(), true, seatUntil}
}

// aboutToWriteMembership runs the test hook beforeMembershipWrite, if any.
func (s *DB) aboutToWriteMembership(ctx context.Context) {
	if s.beforeMembershipWrite != nil {
		s.beforeMembershipWrite(ctx)
	}
}

// vanished answers the foreign-key violation of a new membership: the role
// or the staff member it names was read, then deleted by a transaction
// that committed before the insert (PostgreSQL; SQLite's transactions are
// serialised). PostgreSQL names the constraint; SQLite does not, but its
// transaction outlives the failed statement, so the rows are read again.
func (s *DB) vanished(ctx context.Context, err error, wsID, roleID, staffID string) error {
	if constraint := violatedConstraint(err); constraint != "" {
		switch {
		case strings.Contains(constraint, "workspace_membership_id"):
			return ErrStaffNotFound.For(staffID)
		case strings.Contains(constraint, "role_id"):
			return ErrUnknownRole
		}
		return wrap(err, "insert membership")
	}
	if staffID != "" {
		if _, serr := s.StaffByID(ctx, wsID, staffID); errors.Is(serr, ErrStaffNotFound) {
			return serr
		}
	}
	var n int
	if rerr := s.get(ctx, &n, `SELECT COUNT(*) FROM roles WHERE workspace_id = ? AND id = ?`, wsID, roleID); rerr == nil && n == 0 {
		return ErrUnknownRole
	}
	return wrap(err, "insert membership")
}

// activateByLink makes an invited membership active as the linked
// staff member's, dropping its invitation; a role or permissions given
// with the link replace the invited ones.
func (s *DB) activateByLink(ctx context.Context, sc Scope, m Membership, staffID string, e edit) (Membership, error) {
	if _, err := s.exec(ctx, `DELETE FROM invitations WHERE workspace_id = ? AND livemode = ? AND membership_id = ?`,
		sc.WorkspaceID, sc.Live, m.ID); err != nil {
		return m, wrap(err, "drop invitation of membership %s", m.ID)
	}
	if err := s.dropUnsentEmails(ctx, sc, m.ID); err != nil {
		return m, err
	}
	s.aboutToWriteMembership(ctx)
	_, err := s.exec(ctx, `UPDATE account_memberships SET status = ?, workspace_membership_id = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`, StatusActive, staffID, sc.WorkspaceID, sc.Live, m.ID)
	if isForeignKeyViolation(err) {
		return m, ErrStaffNotFound.For(staffID)
	}
	if err != nil {
		return m, wrap(err, "activate membership %s", m.ID)
	}
	after, prev, err := s.apply(ctx, sc, m, e)
	if err != nil {
		return m, err
	}
	prev["status"], prev["workspace_membership_id"], prev["invitation"] = m.Status, m.StaffID, m.Invitation
	after.Status, after.StaffID, after.Invitation, after.InvitationExpiresAt = StatusActive, &staffID, nil, nil
	if err := s.settleSeat(ctx, sc, after); err != nil {
		return m, err
	}
	return s.finishChange(ctx, sc, m, after, prev, "membership.updated")
}

// edit is a MembershipChange whose role is checked against the
// workspace's roles; its keys, sorted and each once, are checked against
// the catalog when they are written (addPermissions) or, for a key to
// remove that the membership lacks, by apply.
type edit struct {
	role        *Role
	set         *[]string
	add, remove []string
	expiry      *Expiry   // checked: at least MinExpiry in the future
	knownRemove *[]string // the catalog's keys among remove, when read with the lock (lockMembershipAsking)
}

// expiresAt is the expires_at an edit gives a new membership.
func (e edit) expiresAt() *time.Time {
	if e.expiry == nil {
		return nil
	}
	return e.expiry.At
}

// editOf checks a validated change's role against the workspace.
func (s *DB) editOf(ctx context.Context, wsID string, ch MembershipChange) (edit, error) {
	e := edit{add: SortedUnique(ch.Add), remove: SortedUnique(ch.Remove)}
	if ch.Role != "" {
		r, err := s.RoleByRef(ctx, wsID, ch.Role)
		if errors.Is(err, ErrRoleNotFound) {
			return e, ErrUnknownRole
		}
		if err != nil {
			return e, err
		}
		e.role = &r
	}
	if ch.Permissions != nil {
		set := SortedUnique(*ch.Permissions)
		e.set = &set
	}
	if ch.Expiry != nil {
		e.expiry = &Expiry{}
		if ch.Expiry.At != nil {
			at := stamp(*ch.Expiry.At)
			e.expiry.At = &at
		}
		if err := s.checkExpiry(e.expiry.At); err != nil {
			return e, err
		}
	}
	return e, nil
}

// UpdateMembership changes a membership's role or direct permissions. A
// change that changes nothing answers the membership as it is, with no new
// version and no event.
func (s *DB) UpdateMembership(ctx context.Context, sc Scope, ref MembershipRef, ch MembershipChange) (Membership, error) {
	if err := ch.Validate(); err != nil {
		return Membership{}, err
	}
	var m Membership
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		// A member principal's changes all lock the account first, so
		// that the locks of two members' changes cannot cross.
		// Bringing an expired membership back takes a seat of the account.
		// The keys to remove are checked against the catalog with the
		// lock: those the membership lacks need it (keysToChange).
		var known *[]string
		if m, _, known, err = s.lockMembershipAsking(ctx, sc, ref, ch.Role != "" || sc.Member != "" || ch.Expiry != nil,
			SortedUnique(ch.Remove)); err != nil {
			return err
		}
		var by Membership
		if by, ctx, err = s.memberActingOn(ctx, sc, ref, m, PermMembersManage); err != nil {
			return err
		}
		if err := ch.IfMatch.check(m.Version); err != nil {
			return err
		}
		e, err := s.editOf(ctx, sc.WorkspaceID, ch)
		if err != nil {
			return err
		}
		e.knownRemove = known
		if err := by.mayEdit(m, e); err != nil {
			return err
		}
		after, prev, err := s.apply(ctx, sc, m, e)
		if err != nil || len(prev) == 0 {
			return err
		}
		if m, err = s.finishChange(ctx, sc, m, after, prev, "membership.updated"); err != nil {
			return err
		}
		return s.noticeIfNear(ctx, sc, m)
	})
	return m, err
}

// apply makes an edit of a locked membership and returns the membership
// as it now is (built from what the transaction already holds, not read
// again) and the fields it changed, as they were. Its permission keys are
// written first, so that keys not in the catalog are refused before the
// role's conflicts (the last owner).
func (s *DB) apply(ctx context.Context, sc Scope, m Membership, e edit) (Membership, map[string]any, error) {
	after, prev := m, map[string]any{}
	add, remove, err := s.keysToChange(ctx, sc, m, e)
	if err != nil {
		return m, nil, err
	}
	addField := "add_permissions"
	if e.set != nil {
		addField = "permissions"
	}
	if err := s.addPermissions(ctx, sc, m.ID, add, addField); err != nil {
		return m, nil, err
	}
	if err := s.removePermissions(ctx, sc, m.ID, remove); err != nil {
		return m, nil, err
	}
	if len(add)+len(remove) > 0 {
		prev["permissions"] = m.Permissions
		after.Permissions = SortedUnique(difference(append(append([]string{}, m.Permissions...), add...), remove))
	}
	if e.role != nil && e.role.ID != m.Role.ID {
		if err := s.keepOwner(ctx, sc, m); err != nil {
			return m, nil, err
		}
		s.aboutToWriteMembership(ctx)
		_, err := s.exec(ctx, `UPDATE account_memberships SET role_id = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			e.role.ID, sc.WorkspaceID, sc.Live, m.ID)
		if isForeignKeyViolation(err) {
			return m, nil, ErrUnknownRole // deleted since editOf read it
		}
		if err != nil {
			return m, nil, wrap(err, "change role of membership %s", m.ID)
		}
		prev["role"] = m.Role
		after.Role = e.role.asMembershipRole()
	}
	if e.expiry != nil {
		if err := s.applyExpiry(ctx, sc, m, &after, prev, e.expiry.At); err != nil {
			return m, nil, err
		}
	}
	if err := ownerMayNotExpire(after); err != nil {
		return m, nil, err
	}
	if len(prev) > 0 {
		prev["effective_permissions"] = m.EffectivePermissions
		after.EffectivePermissions = after.granted()
	}
	return after, prev, nil
}

// keysToChange is what an edit changes of a locked membership's direct
// permissions: the keys it lacks and gains, and the keys it holds and
// loses. A key to remove that it does not hold changes nothing but must
// still be in the catalog (as read with the lock, or now); the keys it
// holds are (a foreign key to the catalog says so).
func (s *DB) keysToChange(ctx context.Context, sc Scope, m Membership, e edit) (add, remove []string, err error) {
	if e.set != nil {
		return difference(*e.set, m.Permissions), difference(m.Permissions, *e.set), nil
	}
	lacked := difference(e.remove, m.Permissions)
	if e.knownRemove != nil {
		err = inCatalog("remove_permissions", lacked, *e.knownRemove)
	} else {
		err = s.checkCatalog(ctx, sc.WorkspaceID, "remove_permissions", lacked)
	}
	if err != nil {
		return nil, nil, err
	}
	return difference(e.add, m.Permissions), intersection(e.remove, m.Permissions), nil
}

// finishChange gives a changed membership its new version and records the
// event of the change; after is the membership as the change left it. The
// version is written with the event (change.with): the membership is
// locked, so the new version is the one it held plus one.
func (s *DB) finishChange(ctx context.Context, sc Scope, before, after Membership, prev map[string]any, typ string) (Membership, error) {
	t := now()
	after.Version, after.UpdatedAt = before.Version+1, t
	prev["updated_at"] = before.UpdatedAt
	err := s.record(ctx, sc, change{Type: typ, TargetID: after.ID, AccountID: after.AccountID,
		MembershipID: after.ID, Data: after.withoutSecrets(), Previous: prev, with: bumpAt(sc, before.ID, t)})
	if err != nil {
		return before, err
	}
	return after, nil
}

// DeleteMembership removes a membership and its pending invitation, unless
// it is the account's last active owner.
func (s *DB) DeleteMembership(ctx context.Context, sc Scope, ref MembershipRef, ifMatch IfMatch) error {
	return s.deleteMembership(ctx, sc, ref, ifMatch, false)
}

// errAccepted refuses to revoke the invitation of someone who accepted it.
var errAccepted = ErrNotInvited.Saying("This person has accepted the invitation already: remove them instead")

// RevokeInvitation removes an invited membership with its invitation, as
// DeleteMembership does; a membership whose invitation was accepted is
// membership.not_invited, decided in the transaction that would remove it.
func (s *DB) RevokeInvitation(ctx context.Context, sc Scope, ref MembershipRef, ifMatch IfMatch) error {
	return s.deleteMembership(ctx, sc, ref, ifMatch, true)
}

// deleteMembership removes a membership, only an invited one when
// onlyInvited.
func (s *DB) deleteMembership(ctx context.Context, sc Scope, ref MembershipRef, ifMatch IfMatch, onlyInvited bool) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		m, _, err := s.lockMembership(ctx, sc, ref, true)
		if err != nil {
			return err
		}
		by, ctx, err := s.memberActingOn(ctx, sc, ref, m, "")
		if err != nil {
			return err
		}
		if err := by.mayRemove(m); err != nil {
			return err
		}
		if onlyInvited && m.Status != StatusInvited {
			return errAccepted.With(map[string]any{"id": m.ID, "status": m.Status})
		}
		if err := ifMatch.check(m.Version); err != nil {
			return err
		}
		if err := s.keepOwner(ctx, sc, m); err != nil {
			return err
		}
		if err := s.freeSeat(ctx, sc, m.ID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, `DELETE FROM account_memberships WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			sc.WorkspaceID, sc.Live, m.ID); err != nil {
			return wrap(err, "delete membership %s", m.ID)
		}
		c := change{TargetID: m.ID, AccountID: m.AccountID, MembershipID: m.ID, Data: m}
		if m.Status == StatusInvited {
			c.Type = "invitation.revoked"
			if err := s.record(ctx, sc, c); err != nil {
				return err
			}
		}
		c.Type = "membership.deleted"
		return s.record(ctx, sc, c)
	})
}
