package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
)

// The permission keys that mean something to Roster itself: they decide
// what an account's own members may do there (self-service.md).
const (
	PermMembersRead   = "members.read"
	PermMembersManage = "members.manage"
	PermOrgManage     = "org.manage"
)

// SystemPermissions are the keys every workspace's catalog keeps: they
// cannot be deleted (permission.system).
var SystemPermissions = []string{PermMembersManage, PermMembersRead, PermOrgManage}

// IsSystemPermission reports whether key is one of SystemPermissions.
func IsSystemPermission(key string) bool { return slices.Contains(SystemPermissions, key) }

// Why a member principal is refused, as details.reason says it.
const (
	ReasonOwnerOnly  = "owner_only"
	ReasonEscalation = "escalation"
	ReasonSelfChange = "self_change"
	ReasonStaffOnly  = "staff_only"
)

// refusal is the 403 of a member principal for reason.
func refusal(reason, message string) error {
	return ErrForbidden.Saying(message).With(map[string]any{"reason": reason})
}

// lacking is the 403 of a member principal without the permission key.
func lacking(key string) error {
	return ErrForbidden.Saying("This needs the permission " + key + " in the account").
		With(map[string]any{"required_permission": key})
}

// memberAccountIDs selects the accounts where a user is an active member
// (not expired by now); its arguments are the workspace id, the mode, the
// user's id and the time (memberArgs).
const memberAccountIDs = `SELECT am.account_id FROM account_memberships am
	WHERE am.workspace_id = ? AND am.livemode = ? AND am.user_id = ? AND am.status = 'active'` + notExpiredSQL

// accountsReadByMember is the condition that a row's account_id
// (unqualified) is one of memberAccountIDs where the user holds
// members.read, through their role or directly.
const accountsReadByMember = ` AND account_id IN (` + memberAccountIDs + `
	AND (EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.workspace_id = am.workspace_id AND rp.role_id = am.role_id
			AND rp.permission_key = '` + PermMembersRead + `')
		OR EXISTS (SELECT 1 FROM membership_permissions mp WHERE mp.workspace_id = am.workspace_id
			AND mp.membership_id = am.id AND mp.permission_key = '` + PermMembersRead + `')))`

// memberArgs are the arguments of memberAccountIDs and accountsReadByMember.
func (s *DB) memberArgs(sc Scope) []any { return []any{sc.WorkspaceID, sc.Live, sc.Member, s.clock()} }

// MemberByEmail returns the user with this email who can act as a member
// principal in the mode: not on the workspace's staff, and an active
// member of at least one of its accounts in that mode. wsID may be "" when
// only one workspace has such a user; ErrUserNotFound otherwise.
func (s *DB) MemberByEmail(ctx context.Context, wsID, email string, live bool) (User, error) {
	q := `SELECT u.id, u.workspace_id, u.email, u.name FROM users u WHERE u.email_lower = ?`
	args := []any{FoldEmail(email)}
	if wsID != "" {
		q += ` AND u.workspace_id = ?`
		args = append(args, wsID)
	}
	q += ` AND NOT EXISTS (SELECT 1 FROM workspace_memberships wm WHERE wm.workspace_id = u.workspace_id AND wm.user_id = u.id)
		AND EXISTS (SELECT 1 FROM account_memberships am WHERE am.workspace_id = u.workspace_id AND am.user_id = u.id
			AND am.livemode = ? AND am.status = 'active'` + notExpiredSQL + `) LIMIT 2`
	var users []User
	if err := s.selectAll(ctx, &users, q, append(args, live, s.clock())...); err != nil {
		return User{}, wrap(err, "find member by email")
	}
	if len(users) != 1 {
		return User{}, ErrUserNotFound.For(email)
	}
	return users[0], nil
}

// actingMember is the membership through which the scope's member
// principal acts on an account (its active membership there, with its
// effective permissions); the zero Membership when the scope is not a
// member's. An account the member is not an active member of does not
// exist for them (account.not_found). With lock (inside the transaction
// of a change) the membership's row is first locked FOR SHARE: a removal
// or demotion of the member, which updates or deletes that row, either
// committed before (and the member is refused here) or waits until the
// change commits.
func (s *DB) actingMember(ctx context.Context, sc Scope, accountID string, lock bool) (Membership, error) {
	if sc.Member == "" {
		return Membership{}, nil
	}
	notMember := ErrAccountNotFound.For(accountID)
	if lock {
		var id string
		err := s.get(ctx, &id, `SELECT am.id FROM account_memberships am WHERE am.workspace_id = ? AND am.livemode = ?
			AND am.account_id = ? AND am.user_id = ? AND am.status = 'active'`+notExpiredSQL+s.forShare(),
			sc.WorkspaceID, sc.Live, accountID, sc.Member, s.clock())
		if errors.Is(err, sql.ErrNoRows) {
			return Membership{}, notMember
		}
		if err != nil {
			return Membership{}, wrap(err, "lock membership of user %s", sc.Member)
		}
	}
	ms, err := s.loadMemberships(ctx, s.MembershipSelect()+` AND am.account_id = ? AND am.user_id = ? AND am.status = 'active'`,
		sc.WorkspaceID, sc.Live, accountID, sc.Member)
	if err != nil {
		return Membership{}, wrap(err, "get membership of user %s", sc.Member)
	}
	if len(ms) == 0 || ms[0].Status != StatusActive { // expired since the lock
		return Membership{}, notMember
	}
	return ms[0], nil
}

// forShare is the suffix that locks rows read against updates and
// deletions (not against other readers) on PostgreSQL; SQLite's
// transactions are serialised and need none.
func (s *DB) forShare() string {
	if s.Dialect == Postgres {
		return " FOR SHARE"
	}
	return ""
}

// memberActing checks, inside a change's transaction, that the scope's
// member principal may act on the account with the permission key ("" for
// none), and returns its membership and the context whose events name it
// as their actor. For staff and keys it returns the zero Membership and
// ctx as it is.
func (s *DB) memberActing(ctx context.Context, sc Scope, accountID, key string) (Membership, context.Context, error) {
	by, err := s.actingMember(ctx, sc, accountID, true)
	if err != nil || by.ID == "" {
		return by, ctx, err
	}
	if key != "" && !by.mayUse(key) {
		return by, ctx, lacking(key)
	}
	return by, WithActor(ctx, Actor{Type: "member", ID: by.ID, UserID: by.UserID}), nil
}

// memberActingOn is memberActing for a change of membership m named by
// ref: an account the member is not in hides the membership, unless ref
// names the account.
func (s *DB) memberActingOn(ctx context.Context, sc Scope, ref MembershipRef, m Membership, key string) (Membership, context.Context, error) {
	by, ctx, err := s.memberActing(ctx, sc, m.AccountID, key)
	return by, ctx, hideMembership(ref, err)
}

// hideMembership answers membership.not_found for a membership of an
// account the member principal is not in, when ref names no account.
func hideMembership(ref MembershipRef, err error) error {
	if errors.Is(err, ErrAccountNotFound) && ref.AccountID == "" {
		return ErrMembershipNotFound.For(ref.ID)
	}
	return err
}

// memberReading checks that the scope's member principal holds
// members.read in the account (nil for staff and keys).
func (s *DB) memberReading(ctx context.Context, sc Scope, accountID string) error {
	by, err := s.actingMember(ctx, sc, accountID, false)
	if err == nil && by.ID != "" && !by.mayUse(PermMembersRead) {
		return lacking(PermMembersRead)
	}
	return err
}

// mayUse reports whether a membership's effective permissions allow what
// key allows: org.manage allows everything members.manage does.
func (m Membership) mayUse(key string) bool {
	held := m.EffectivePermissions
	return slices.Contains(held, key) || key == PermMembersManage && slices.Contains(held, PermOrgManage)
}

// Allows reports whether the membership's effective permissions allow
// what key allows (org.manage allows what members.manage does): what
// the portal offers its member, which the stores check again.
func (m Membership) Allows(key string) bool { return m.mayUse(key) }

// IsOwner reports whether the membership's role is owner.
func (m Membership) IsOwner() bool { return m.isOwner() }

// isOwner reports whether the membership's role is owner.
func (m Membership) isOwner() bool { return m.Role.Slug == OwnerRoleSlug }

// mayGive refuses a member giving a role or direct permissions beyond
// their own effective permissions, and a non-owner giving the role owner.
// by is the zero Membership for staff and keys, who may.
func (by Membership) mayGive(role *Role, keys []string) error {
	if by.ID == "" {
		return nil
	}
	if role != nil && role.Slug == OwnerRoleSlug && !by.isOwner() {
		return refusal(ReasonOwnerOnly, "Only an owner may make someone an owner")
	}
	var carried []string
	if role != nil {
		carried = role.Permissions
	}
	if beyond := difference(SortedUnique(append(slices.Clone(carried), keys...)), by.EffectivePermissions); len(beyond) > 0 {
		return ErrForbidden.Saying("You may only give permissions you hold yourself").
			With(map[string]any{"reason": ReasonEscalation, "permissions": beyond})
	}
	return nil
}

// mayEdit refuses a member principal's change e of membership m that
// breaks the limits of self-service.md: members.manage, never oneself,
// an owner's membership only by an owner, nothing given beyond one's own.
func (by Membership) mayEdit(m Membership, e edit) error {
	if by.ID == "" {
		return nil
	}
	if m.ID == by.ID {
		return refusal(ReasonSelfChange, "You cannot change your own role or permissions")
	}
	if m.isOwner() && !by.isOwner() {
		return refusal(ReasonOwnerOnly, "Only an owner may change an owner's membership")
	}
	var role *Role
	if e.role != nil && e.role.ID != m.Role.ID {
		role = e.role
	}
	gained := e.add
	if e.set != nil {
		gained = difference(*e.set, m.Permissions)
	}
	return by.mayGive(role, gained)
}

// mayRestore refuses a member principal's reactivation of m when what m
// grants once active (its role's and direct permissions) is beyond the
// member's own effective permissions: giving them back is giving them.
func (by Membership) mayRestore(m Membership) error {
	return by.mayGive(&Role{Permissions: m.Role.Permissions}, m.Permissions)
}

// mayRemove refuses a member principal's removal of m: anyone may leave
// (the last owner rule aside), removing others takes members.manage, and
// an owner's membership an owner.
func (by Membership) mayRemove(m Membership) error {
	switch {
	case by.ID == "" || m.ID == by.ID:
		return nil
	case !by.mayUse(PermMembersManage):
		return lacking(PermMembersManage)
	case m.isOwner() && !by.isOwner():
		return refusal(ReasonOwnerOnly, "Only an owner may remove an owner")
	}
	return nil
}
