package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Membership statuses.
const (
	StatusInvited = "invited"
	StatusActive  = "active"
)

// ownerSlug is the slug of the role the last-owner rule protects.
const ownerSlug = "owner"

// Membership is a user's membership of an account: the API's
// account_membership object.
type Membership struct {
	Object                string         `db:"object" json:"object"`
	ID                    string         `db:"id" json:"id"`
	WorkspaceID           string         `db:"workspace_id" json:"-"`
	AccountID             string         `db:"account_id" json:"account_id"`
	UserID                string         `db:"user_id" json:"user_id"`
	WorkspaceMembershipID *string        `db:"workspace_membership_id" json:"workspace_membership_id"`
	Status                string         `db:"status" json:"status"`
	Role                  MembershipRole `db:"role" json:"role"`
	Permissions           []string       `db:"-" json:"permissions"`
	EffectivePermissions  []string       `db:"-" json:"effective_permissions"`
	Invitation            *Invitation    `db:"-" json:"invitation"`
	InvitationExpiresAt   *time.Time     `db:"invitation_expires_at" json:"-"`
	User                  User           `db:"user" json:"user"`
	Livemode              bool           `db:"livemode" json:"livemode"`
	Version               int64          `db:"version" json:"-"`
	CreatedAt             time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt             time.Time      `db:"updated_at" json:"updated_at"`
	Links                 Links          `db:"-" json:"links"`
}

// MembershipRole is the role of a membership as the membership shows it.
type MembershipRole struct {
	ID          string   `db:"id" json:"id"`
	Slug        string   `db:"slug" json:"slug"`
	Name        string   `db:"name" json:"name"`
	Permissions []string `db:"-" json:"permissions"`
	IsDefault   bool     `db:"is_default" json:"is_default"`
}

// Invitation is the pending half of an invited membership. AcceptURL, which
// holds the secret token, is set only in the answer that created or resent
// the invitation.
type Invitation struct {
	ExpiresAt time.Time `json:"expires_at"`
	AcceptURL string    `json:"accept_url,omitempty"`
}

// Links are an object's links.
type Links struct {
	Self string `json:"self"`
}

// MembershipRef names a membership by id; with AccountID set, under that
// account, so that a missing account is told apart from a missing membership.
type MembershipRef struct {
	AccountID string
	ID        string
}

// IfMatch lists the versions an If-Match header accepts; nil accepts any.
type IfMatch []int64

// check refuses a version the caller did not name.
func (m IfMatch) check(version int64) error {
	if m == nil {
		return nil
	}
	for _, v := range m {
		if v == version {
			return nil
		}
	}
	return ErrStale
}

const membershipSelect = `SELECT 'account_membership' AS object, am.id, am.workspace_id, am.account_id, am.user_id,
	am.workspace_membership_id, am.status, am.livemode, am.version, am.created_at, am.updated_at,
	r.id AS "role.id", r.slug AS "role.slug", r.name AS "role.name", r.is_default AS "role.is_default",
	u.id AS "user.id", u.email AS "user.email", u.name AS "user.name",
	i.expires_at AS invitation_expires_at
	FROM account_memberships am
	JOIN users u ON u.id = am.user_id AND u.workspace_id = am.workspace_id
	JOIN roles r ON r.id = am.role_id
	LEFT JOIN invitations i ON i.membership_id = am.id
	WHERE am.workspace_id = ? AND am.livemode = ?`

// MembershipFilter narrows a list of memberships; empty fields match
// everything. Role is a role's slug (or id); Q a prefix of the member's
// email or name, compared case-insensitively.
type MembershipFilter struct {
	Status string
	Role   string
	Q      string
}

// ListMemberships returns a page of an account's memberships, oldest first.
func (s *DB) ListMemberships(ctx context.Context, sc Scope, accountID string, f MembershipFilter, page Page) ([]Membership, error) {
	if f.Status != "" && f.Status != StatusInvited && f.Status != StatusActive {
		return nil, Invalid(map[string]string{"status": "must be invited or active"})
	}
	if _, err := s.Account(ctx, sc, accountID); err != nil {
		return nil, err
	}
	q := membershipSelect + ` AND am.account_id = ? AND am.id > ?`
	args := []any{sc.WorkspaceID, sc.Live, accountID, page.After}
	if f.Status != "" {
		q += ` AND am.status = ?`
		args = append(args, f.Status)
	}
	if f.Role != "" {
		var roleID string
		err := s.get(ctx, &roleID, `SELECT id FROM roles WHERE workspace_id = ? AND (slug = ? OR id = ?)`, sc.WorkspaceID, f.Role, f.Role)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, wrap(err, "find role %s", f.Role)
		}
		q += ` AND am.role_id = ?`
		args = append(args, roleID)
	}
	if f.Q != "" {
		q += ` AND (u.email_lower LIKE ? ESCAPE '\' OR LOWER(u.name) LIKE ? ESCAPE '\')`
		args = append(args, likePrefix(f.Q), likePrefix(f.Q))
	}
	ms, err := s.loadMemberships(ctx, q+` ORDER BY am.id LIMIT ?`, append(args, page.fetch())...)
	return ms, wrap(err, "list memberships of account %s", accountID)
}

// MemberStatuses returns the status of each of the users' memberships of
// the account, by user id; a user without one is absent.
func (s *DB) MemberStatuses(ctx context.Context, sc Scope, accountID string, userIDs []string) (map[string]string, error) {
	statuses := make(map[string]string, len(userIDs))
	if len(userIDs) == 0 {
		return statuses, nil
	}
	q, args, err := sqlx.In(`SELECT user_id, status FROM account_memberships
		WHERE workspace_id = ? AND livemode = ? AND account_id = ? AND user_id IN (?)`, sc.WorkspaceID, sc.Live, accountID, userIDs)
	if err != nil {
		return nil, wrap(err, "find members of account %s", accountID)
	}
	var rows []struct {
		UserID string `db:"user_id"`
		Status string `db:"status"`
	}
	if err := s.selectAll(ctx, &rows, q, args...); err != nil {
		return nil, wrap(err, "find members of account %s", accountID)
	}
	for _, r := range rows {
		statuses[r.UserID] = r.Status
	}
	return statuses, nil
}

// Membership returns one membership of the scope.
func (s *DB) Membership(ctx context.Context, sc Scope, ref MembershipRef) (Membership, error) {
	if ref.AccountID != "" {
		if _, err := s.Account(ctx, sc, ref.AccountID); err != nil {
			return Membership{}, err
		}
	}
	return s.membershipIn(ctx, sc, ref.AccountID, ref.ID)
}

// membershipIn reads one membership, of the account when accountID is set.
func (s *DB) membershipIn(ctx context.Context, sc Scope, accountID, id string) (Membership, error) {
	q := membershipSelect + ` AND am.id = ?`
	args := []any{sc.WorkspaceID, sc.Live, id}
	if accountID != "" {
		q += ` AND am.account_id = ?`
		args = append(args, accountID)
	}
	ms, err := s.loadMemberships(ctx, q, args...)
	if err != nil {
		return Membership{}, wrap(err, "get membership %s", id)
	}
	if len(ms) == 0 {
		return Membership{}, NotFound("membership", id)
	}
	return ms[0], nil
}

// loadMemberships runs a membership query, then reads the direct and the
// role permissions of every membership it found in one query each.
func (s *DB) loadMemberships(ctx context.Context, query string, args ...any) ([]Membership, error) {
	var ms []Membership
	if err := s.selectAll(ctx, &ms, query, args...); err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return ms, nil
	}
	ids := make([]string, len(ms))
	roleIDs := make([]string, 0, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
		roleIDs = append(roleIDs, m.Role.ID)
	}
	direct, err := s.permissionsOf(ctx, `SELECT membership_id AS owner, permission_key FROM membership_permissions
		WHERE workspace_id = ? AND membership_id IN (?) ORDER BY permission_key`, ms[0].WorkspaceID, ids)
	if err != nil {
		return nil, err
	}
	byRole, err := s.permissionsOf(ctx, `SELECT role_id AS owner, permission_key FROM role_permissions
		WHERE workspace_id = ? AND role_id IN (?) ORDER BY permission_key`, ms[0].WorkspaceID, SortedUnique(roleIDs))
	if err != nil {
		return nil, err
	}
	for i := range ms {
		m := &ms[i]
		m.Permissions = nonNil(direct[m.ID])
		m.Role.Permissions = nonNil(byRole[m.Role.ID])
		m.EffectivePermissions = SortedUnique(append(append([]string{}, m.Role.Permissions...), m.Permissions...))
		if m.InvitationExpiresAt != nil {
			m.Invitation = &Invitation{ExpiresAt: m.InvitationExpiresAt.UTC()}
		}
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		m.Links = Links{Self: "/v1/account-memberships/" + m.ID}
	}
	return ms, nil
}

// permissionsOf runs a query of (owner, permission_key) rows whose "IN (?)"
// takes ids, and groups the keys by owner.
func (s *DB) permissionsOf(ctx context.Context, query, wsID string, ids []string) (map[string][]string, error) {
	q, args, err := sqlx.In(query, wsID, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Owner string `db:"owner"`
		Key   string `db:"permission_key"`
	}
	if err := s.selectAll(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ids))
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.Key)
	}
	return out, nil
}

// lockMembership reads a membership for a change, after locking its account:
// every change of an account's memberships takes that lock first, so the
// rules that span memberships (last owner, one per user) and the version
// check hold under concurrency. SQLite's transactions are serialised anyway.
func (s *DB) lockMembership(ctx context.Context, sc Scope, ref MembershipRef) (Membership, Account, error) {
	accountID := ref.AccountID
	if accountID == "" {
		err := s.get(ctx, &accountID, `SELECT account_id FROM account_memberships
			WHERE workspace_id = ? AND livemode = ? AND id = ?`, sc.WorkspaceID, sc.Live, ref.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return Membership{}, Account{}, NotFound("membership", ref.ID)
		}
		if err != nil {
			return Membership{}, Account{}, wrap(err, "find account of membership %s", ref.ID)
		}
	}
	a, err := s.Account(ctx, sc, accountID)
	if err != nil {
		return Membership{}, Account{}, err
	}
	m, err := s.membershipIn(ctx, sc, accountID, ref.ID)
	return m, a, err
}

// keepOwner refuses to remove or demote m when it is the account's last
// active owner.
func (s *DB) keepOwner(ctx context.Context, sc Scope, m Membership) error {
	if m.Status != StatusActive || m.Role.Slug != ownerSlug {
		return nil
	}
	var others int
	err := s.get(ctx, &others, `SELECT COUNT(*) FROM account_memberships am JOIN roles r ON r.id = am.role_id
		WHERE am.workspace_id = ? AND am.livemode = ? AND am.account_id = ? AND am.status = ? AND r.slug = ? AND am.id <> ?`,
		sc.WorkspaceID, sc.Live, m.AccountID, StatusActive, ownerSlug, m.ID)
	if err != nil {
		return wrap(err, "count owners of account %s", m.AccountID)
	}
	if others == 0 {
		return Conflict("membership.last_owner", "An account keeps at least one active owner: make someone else owner first",
			map[string]any{"id": m.ID, "account_id": m.AccountID})
	}
	return nil
}

// catalogKeys trims and sorts permission keys, each once, and refuses
// under field those that are not in the workspace's catalog.
func (s *DB) catalogKeys(ctx context.Context, wsID, field string, keys []string) ([]string, error) {
	trimmed := make([]string, len(keys))
	for i, k := range keys {
		trimmed[i] = strings.TrimSpace(k)
	}
	keys = SortedUnique(trimmed)
	if err := s.checkCatalog(ctx, wsID, field, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// roleOrDefault returns the workspace's role named by ref, or its default
// role when ref is "".
func (s *DB) roleOrDefault(ctx context.Context, wsID, ref string) (Role, error) {
	if ref != "" {
		return s.RoleByRef(ctx, wsID, ref)
	}
	var r Role
	err := s.get(ctx, &r, `SELECT `+roleColumns+` WHERE workspace_id = ? AND is_default`, wsID)
	return r, wrap(err, "get default role")
}

// addPermissions gives a membership direct permissions it lacks and says how
// many it gained.
func (s *DB) addPermissions(ctx context.Context, sc Scope, id string, keys []string) (int64, error) {
	var added int64
	for _, k := range keys {
		n, err := s.exec(ctx, `INSERT INTO membership_permissions (membership_id, workspace_id, permission_key)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, sc.WorkspaceID, k)
		if isForeignKeyViolation(err) {
			return 0, Invalid(map[string]string{"permissions": "not in the permission catalog: " + k})
		}
		if err != nil {
			return 0, wrap(err, "add permission %s to membership %s", k, id)
		}
		added += n
	}
	return added, nil
}

// removePermissions takes direct permissions from a membership and says how
// many it lost.
func (s *DB) removePermissions(ctx context.Context, sc Scope, id string, keys []string) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	q, args, err := sqlx.In(`DELETE FROM membership_permissions WHERE workspace_id = ? AND membership_id = ? AND permission_key IN (?)`,
		sc.WorkspaceID, id, keys)
	if err != nil {
		return 0, wrap(err, "remove permissions of membership %s", id)
	}
	n, err := s.exec(ctx, q, args...)
	return n, wrap(err, "remove permissions of membership %s", id)
}

// bump records that a membership changed: a new version and updated_at.
func (s *DB) bump(ctx context.Context, sc Scope, id string) error {
	_, err := s.exec(ctx, `UPDATE account_memberships SET version = version + 1, updated_at = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`, now(), sc.WorkspaceID, sc.Live, id)
	return wrap(err, "update membership %s", id)
}

// withoutSecrets is the membership as events record it: never a token.
func (m Membership) withoutSecrets() Membership {
	if m.Invitation != nil {
		inv := *m.Invitation
		inv.AcceptURL = ""
		m.Invitation = &inv
	}
	return m
}
