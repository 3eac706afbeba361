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

// Membership is a user's membership of an account: the API's
// account_membership object.
type Membership struct {
	Object               string         `db:"object" json:"object"`
	ID                   string         `db:"id" json:"id"`
	WorkspaceID          string         `db:"workspace_id" json:"-"`
	AccountID            string         `db:"account_id" json:"account_id"`
	UserID               string         `db:"user_id" json:"user_id"`
	StaffID              *string        `db:"workspace_membership_id" json:"workspace_membership_id"`
	Status               string         `db:"status" json:"status"`
	Role                 MembershipRole `db:"role" json:"role"`
	Permissions          []string       `db:"-" json:"permissions"`
	EffectivePermissions []string       `db:"-" json:"effective_permissions"`
	Invitation           *Invitation    `db:"-" json:"invitation"`
	InvitationExpiresAt  *time.Time     `db:"invitation_expires_at" json:"-"`
	ExpiresAt            *time.Time     `db:"expires_at" json:"expires_at"`
	User                 User           `db:"user" json:"user"`
	Livemode             bool           `db:"livemode" json:"livemode"`
	Version              int64          `db:"version" json:"version"`
	CreatedAt            time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt            time.Time      `db:"updated_at" json:"updated_at"`
	Links                Links          `db:"-" json:"links"`
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

// membershipSQL reads memberships with their user, role and invitation
// and, in the same query, the keys of their direct and of their role's
// permissions, space-separated (keys hold no spaces) and in no order. It is
// written for PostgreSQL; MembershipSelect gives it in the DB's dialect.
// The invitation is a subquery, looked up by its key for each row read: as
// a join, a plan made while the table was small read the workspace's
// invitations whole and matched each row against them. Only an invited
// membership has one (accepting, linking or removing it drops it), so the
// others, nearly every row read, skip the lookup: the condition on the
// status, which the subquery's own table does not answer, is tested once
// before its index is opened (a one-time filter on PostgreSQL). It is a
// condition of the subquery, not a CASE around it, so that SQLite still
// gives the column its declared type (DATETIME), which the driver parses.
const membershipSQL = `SELECT am.id, am.workspace_id, am.account_id, am.user_id,
	am.workspace_membership_id, am.status, am.expires_at, am.livemode, am.version, am.created_at, am.updated_at,
	r.id AS "role.id", r.slug AS "role.slug", r.name AS "role.name", r.is_default AS "role.is_default",
	u.email AS "user.email", u.name AS "user.name",
	(SELECT i.expires_at FROM invitations i
		WHERE am.status = 'invited' AND i.workspace_id = am.workspace_id AND i.membership_id = am.id) AS invitation_expires_at,
	` + permissionKeysSQL + `
	FROM account_memberships am
	JOIN users u ON u.workspace_id = am.workspace_id AND u.id = am.user_id
	JOIN roles r ON r.workspace_id = am.workspace_id AND r.id = am.role_id
	WHERE am.workspace_id = ? AND am.livemode = ?`

// permissionKeysSQL are the columns direct_keys and role_keys of a
// membership (am): the keys of its direct and of its role's permissions,
// space-separated, in no order (keyList reads them).
const permissionKeysSQL = `(SELECT string_agg(mp.permission_key, ' ') FROM membership_permissions mp
		WHERE mp.workspace_id = am.workspace_id AND mp.membership_id = am.id) AS direct_keys,
	(SELECT string_agg(rp.permission_key, ' ') FROM role_permissions rp
		WHERE rp.workspace_id = am.workspace_id AND rp.role_id = am.role_id) AS role_keys`

// membershipQuery is membershipSQL in both dialects.
var membershipQuery = aggregating(membershipSQL)

// MembershipSelect returns the query every read of memberships starts
// from, in the DB's dialect, open to more "AND …" conditions; its
// arguments are the workspace id and the mode. The bench explains it.
func (s *DB) MembershipSelect() string { return s.dialect(membershipQuery) }

// membershipRow is a row of membershipSQL.
type membershipRow struct {
	Membership
	DirectKeys sql.NullString `db:"direct_keys"`
	RoleKeys   sql.NullString `db:"role_keys"`
}

// scan reads the current row of membershipSQL, whose columns come in this
// order, and into more the columns a query adds after them.
func (r *membershipRow) scan(rows *sqlx.Rows, more ...any) error {
	m := &r.Membership
	return rows.Scan(append([]any{&m.ID, &m.WorkspaceID, &m.AccountID, &m.UserID,
		&m.StaffID, &m.Status, &m.ExpiresAt, &m.Livemode, &m.Version, &m.CreatedAt, &m.UpdatedAt,
		&m.Role.ID, &m.Role.Slug, &m.Role.Name, &m.Role.IsDefault,
		&m.User.Email, &m.User.Name,
		&m.InvitationExpiresAt, &r.DirectKeys, &r.RoleKeys}, more...)...)
}

// membersOfAccount frames the list of an account's memberships, oldest
// first; a list filtered by status or role is framed by the index of that
// column (membersBy).
var membersOfAccount = accountKeyset{alias: "am"}

// membersBy frames the list of an account's memberships of one status or
// one role ("status" or "role_id").
func membersBy(column string) accountKeyset {
	return accountKeyset{alias: "am", fixed: []string{column}}
}

// MembershipListQuery is the statement ListMemberships runs without
// filters for a page of limit rows, in the DB's dialect; its arguments are
// the workspace id, the mode and AccountPageArgs. The bench and the plan
// tests explain it.
func (s *DB) MembershipListQuery(limit int) string {
	return s.MembershipSelect() + membersOfAccount.where(s.Dialect) + membersOfAccount.order(Page{Limit: limit})
}

// AccountPageArgs are the arguments that MembershipListQuery,
// MembershipListQueryBy, EventListQuery and RemovedMembershipsQuery take
// after the workspace id and the mode, in the DB's dialect: the account,
// the filtered column's value (values, for MembershipListQueryBy) and the
// cursor.
func (s *DB) AccountPageArgs(accountID string, values []any, cursor string) []any {
	return membersOfAccount.args(s.Dialect, accountID, values, cursor)
}

// MembershipListQueryBy is the statement ListMemberships runs filtered by
// one column, "status" or "role_id" (the role's id), for a page of limit
// rows; its arguments are the workspace id, the mode and AccountPageArgs
// with the column's value.
func (s *DB) MembershipListQueryBy(column string, limit int) string {
	k := membersBy(column)
	return s.MembershipSelect() + k.where(s.Dialect) + k.order(Page{Limit: limit})
}

// ListMemberships returns a page of an account's memberships, oldest
// first; with accountID "", the memberships across accounts of the person
// the filter names (a list only staff and keys read).
func (s *DB) ListMemberships(ctx context.Context, sc Scope, accountID string, f MembershipFilter, page Page) ([]Membership, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if accountID == "" {
		return s.membershipsOfPerson(ctx, sc, f, page)
	}
	if err := s.memberReading(ctx, sc, accountID); err != nil {
		return nil, err
	}
	k, fixed := membersOfAccount, []any(nil)
	more, moreArgs, byStatus := s.statusFilter(f.Status) // filters beyond the keyset's
	if byStatus {
		k, fixed = membersBy("status"), []any{f.Status}
	}
	before, beforeArgs := expiresBeforeFilter(f)
	more, moreArgs = more+before, append(moreArgs, beforeArgs...)
	if f.Role != "" {
		var roleID string
		err := s.get(ctx, &roleID, `SELECT id FROM roles WHERE workspace_id = ? AND (slug = ? OR id = ?)`, sc.WorkspaceID, f.Role, f.Role)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, s.accountExists(ctx, sc, accountID)
		}
		if err != nil {
			return nil, wrap(err, "find role %s", f.Role)
		}
		if fixed == nil {
			k, fixed = membersBy("role_id"), []any{roleID}
		} else {
			more, moreArgs = more+` AND am.role_id = ?`, append(moreArgs, roleID)
		}
	}
	if f.Q != "" {
		more += ` AND (u.email_lower LIKE ? ESCAPE '\' OR ` + s.lowerSQL("u.name") + ` LIKE ? ESCAPE '\')`
		moreArgs = append(moreArgs, escapeLike(FoldEmail(f.Q))+"%", likePrefix(f.Q))
	}
	more, moreArgs = f.person(more, moreArgs)
	args := append([]any{sc.WorkspaceID, sc.Live}, k.args(s.Dialect, accountID, fixed, page.After)...)
	ms, err := s.loadMemberships(ctx, s.MembershipSelect()+k.where(s.Dialect)+more+k.order(page), append(args, moreArgs...)...)
	if err != nil {
		return nil, wrap(err, "list memberships of account %s", accountID)
	}
	ms = fetched(ms, page)
	if len(ms) == 0 {
		return ms, s.accountExists(ctx, sc, accountID)
	}
	return ms, nil
}

// membershipsOfPerson is the list of one person's memberships across the
// scope's accounts, oldest first.
func (s *DB) membershipsOfPerson(ctx context.Context, sc Scope, f MembershipFilter, page Page) ([]Membership, error) {
	switch {
	case !f.acrossAccounts():
		return nil, Invalid(map[string]string{"account_id": "is required, unless user_id or email names a person"})
	case sc.Member != "":
		return nil, ErrStaffOnly
	case f.Role != "":
		return nil, Invalid(map[string]string{"role": "filters one account's memberships: give account_id too"})
	}
	q, args := f.person(s.MembershipSelect()+` AND am.id > ?`, []any{sc.WorkspaceID, sc.Live, page.After})
	cond, condArgs, byStatus := s.statusFilter(f.Status)
	if byStatus {
		q += ` AND am.status = ?`
		args = append(args, f.Status)
	}
	before, beforeArgs := expiresBeforeFilter(f)
	q, args = q+cond+before, append(append(args, condArgs...), beforeArgs...)
	if f.Q != "" {
		q += ` AND (u.email_lower LIKE ? ESCAPE '\' OR ` + s.lowerSQL("u.name") + ` LIKE ? ESCAPE '\')`
		args = append(args, escapeLike(FoldEmail(f.Q))+"%", likePrefix(f.Q))
	}
	ms, err := s.loadMemberships(ctx, q+` ORDER BY am.id LIMIT ?`, append(args, page.fetch())...)
	return ms, wrap(err, "list memberships of a person")
}

// person adds the filter's user id and email to a membership query.
func (f MembershipFilter) person(q string, args []any) (string, []any) {
	if f.UserID != "" {
		q += ` AND am.user_id = ?`
		args = append(args, f.UserID)
	}
	if f.Email != "" {
		q += ` AND u.email_lower = ?`
		args = append(args, FoldEmail(f.Email))
	}
	return q, args
}

// accountExists answers account.not_found for an account the scope lacks.
// Reads of an account's memberships call it only when they found none: a
// membership found in the scope proves its account, and the common read
// saves a round trip.
func (s *DB) accountExists(ctx context.Context, sc Scope, accountID string) error {
	_, err := s.Account(ctx, sc, accountID)
	return err
}

// Membership returns one membership of the scope.
func (s *DB) Membership(ctx context.Context, sc Scope, ref MembershipRef) (Membership, error) {
	m, err := s.membershipAt(ctx, sc, ref)
	if err == nil {
		err = hideMembership(ref, s.memberReading(ctx, sc, m.AccountID))
	}
	return m, err
}

// membershipAt reads the membership ref names: account.not_found when ref
// names an account the scope lacks, membership.not_found when the
// membership is not the scope's (or not that account's).
func (s *DB) membershipAt(ctx context.Context, sc Scope, ref MembershipRef) (Membership, error) {
	m, err := s.membershipIn(ctx, sc, ref.AccountID, ref.ID)
	if errors.Is(err, ErrMembershipNotFound) && ref.AccountID != "" {
		if aerr := s.accountExists(ctx, sc, ref.AccountID); aerr != nil {
			return Membership{}, aerr
		}
	}
	return m, err
}

// membershipIn reads one membership, of the account when accountID is set.
func (s *DB) membershipIn(ctx context.Context, sc Scope, accountID, id string) (Membership, error) {
	q := s.MembershipSelect() + ` AND am.id = ?`
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
		return Membership{}, ErrMembershipNotFound.For(id)
	}
	return ms[0], nil
}

// loadMemberships runs a membership query and completes what it read.
func (s *DB) loadMemberships(ctx context.Context, query string, args ...any) ([]Membership, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ms := []Membership{}
	for rows.Next() {
		var row membershipRow
		if err := row.scan(rows); err != nil {
			return nil, err
		}
		ms = append(ms, s.membershipOfRow(row))
	}
	return ms, rows.Err()
}

// membershipOfRow is the membership a row of membershipSQL holds.
func (s *DB) membershipOfRow(row membershipRow) Membership {
	m := row.Membership
	m.Permissions = keyList(row.DirectKeys)
	m.Role.Permissions = keyList(row.RoleKeys)
	return s.completeMembership(m)
}

// completeMembership fills what a membership shows beyond its columns
// (its permissions and its role's, sorted, set): its object name and its
// user's id (the membership's user_id), its status and effective
// permissions now, its invitation, its times in UTC and its links.
func (s *DB) completeMembership(m Membership) Membership {
	m.Object, m.User.ID = "account_membership", m.UserID
	m.settle(s.clock())
	if m.InvitationExpiresAt != nil {
		m.Invitation = &Invitation{ExpiresAt: m.InvitationExpiresAt.UTC()}
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	m.Links = Links{Self: "/v1/account-memberships/" + m.ID}
	return m
}

// lockMembership reads a membership for a change and locks its row until
// the transaction ends (see lockedMembership), so the version check holds
// under concurrency. With wholeAccount it first locks the membership's
// account (and returns it; else the Account is zero), as a change that can
// lower the number of owners must (see lockAccount); a change of direct
// permissions alone touches no rule beyond the membership and locks only
// its row, so it does not queue behind the account's other changes. The
// account lock comes first on both paths that take both, so they cannot
// deadlock.
func (s *DB) lockMembership(ctx context.Context, sc Scope, ref MembershipRef, wholeAccount bool) (Membership, Account, error) {
	m, a, _, err := s.lockMembershipAsking(ctx, sc, ref, wholeAccount, nil)
	return m, a, err
}

// lockMembershipAsking is lockMembership that also answers which of keys
// are in the workspace's permission catalog, read with the lock on
// PostgreSQL (nil on SQLite, or when keys is empty: not read), so that a
// change naming keys the membership lacks needs no statement of its own
// to check them.
func (s *DB) lockMembershipAsking(ctx context.Context, sc Scope, ref MembershipRef, wholeAccount bool, keys []string) (Membership, Account, *[]string, error) {
	var a Account
	if wholeAccount {
		var err error
		if ref.AccountID == "" {
			if ref.AccountID, err = s.accountOfMembership(ctx, sc, ref, ""); err != nil {
				return Membership{}, a, nil, err
			}
		}
		if a, err = s.lockAccount(ctx, sc, ref.AccountID); err != nil {
			return Membership{}, a, nil, err
		}
	}
	m, known, err := s.lockedMembership(ctx, sc, ref, keys)
	return m, a, known, err
}

// lockedMembershipSQL is membershipSQL (PostgreSQL) with two more columns:
// the membership's version as the statement's snapshot saw it, and which
// of a list of keys (its first argument) are in the catalog.
var lockedMembershipSQL = strings.Replace(membershipSQL, "\n\tFROM account_memberships am\n",
	`,
	(SELECT seen.version FROM account_memberships seen
		WHERE seen.workspace_id = am.workspace_id AND seen.id = am.id) AS seen_version,
	(SELECT string_agg(p.key, ' ') FROM permissions p
		WHERE p.workspace_id = am.workspace_id AND p.key IN (SELECT json_array_elements_text(?::json))) AS known_keys
	FROM account_memberships am
`, 1)

// lockedMembership reads the membership ref names (as membershipAt) and
// locks its row until the transaction ends; on PostgreSQL it also reads
// which of keys are in the catalog (see lockMembershipAsking). On
// PostgreSQL one statement reads and locks (FOR UPDATE OF am). When it had
// to wait for the row, PostgreSQL gives it the row as the change it waited
// for left it, but the membership's other tables (its permissions, its
// invitation) as the statement's snapshot saw them, before that change:
// the version that snapshot saw then differs from the row's, and the
// membership is read again, now that the row is locked. SQLite's
// transactions are serialised and read what was committed when they
// began: the read is the lock.
func (s *DB) lockedMembership(ctx context.Context, sc Scope, ref MembershipRef, keys []string) (Membership, *[]string, error) {
	if s.Dialect == SQLite {
		m, err := s.membershipAt(ctx, sc, ref)
		return m, nil, err
	}
	q, args := lockedMembershipSQL+` AND am.id = ?`, []any{listArg(keys), sc.WorkspaceID, sc.Live, ref.ID}
	if ref.AccountID != "" {
		q += ` AND am.account_id = ?`
		args = append(args, ref.AccountID)
	}
	rows, err := s.query(ctx, q+` FOR UPDATE OF am`, args...)
	if err != nil {
		return Membership{}, nil, wrap(err, "lock membership %s", ref.ID)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Membership{}, nil, wrap(err, "lock membership %s", ref.ID)
		}
		rows.Close()
		m, err := s.membershipAt(ctx, sc, ref) // not found: which of the two
		return m, nil, err
	}
	var row membershipRow
	var seen int64
	var knownKeys sql.NullString
	if err := row.scan(rows, &seen, &knownKeys); err != nil {
		return Membership{}, nil, wrap(err, "lock membership %s", ref.ID)
	}
	rows.Close()
	var known *[]string
	if len(keys) > 0 {
		k := keyList(knownKeys)
		known = &k
	}
	if m := s.membershipOfRow(row); seen == m.Version {
		return m, known, nil
	}
	m, err := s.membershipIn(ctx, sc, row.AccountID, ref.ID)
	return m, known, err
}

// accountOfMembership reads the account of a membership of the scope (and
// of ref's account, when ref names one: account.not_found when that
// account is not the scope's), the query ending with lock.
func (s *DB) accountOfMembership(ctx context.Context, sc Scope, ref MembershipRef, lock string) (string, error) {
	var accountID string
	err := s.get(ctx, &accountID, `SELECT account_id FROM account_memberships
		WHERE workspace_id = ? AND livemode = ? AND id = ?`+lock, sc.WorkspaceID, sc.Live, ref.ID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && ref.AccountID != "" && ref.AccountID != accountID {
		if ref.AccountID != "" {
			if err := s.accountExists(ctx, sc, ref.AccountID); err != nil {
				return "", err
			}
		}
		return "", ErrMembershipNotFound.For(ref.ID)
	}
	return accountID, wrap(err, "find account of membership %s", ref.ID)
}

// keepOwner refuses to remove or demote m when it is the account's last
// active owner.
func (s *DB) keepOwner(ctx context.Context, sc Scope, m Membership) error {
	if m.Status != StatusActive || m.Role.Slug != OwnerRoleSlug {
		return nil
	}
	var others int
	err := s.get(ctx, &others, `SELECT COUNT(*) FROM account_memberships am
		JOIN roles r ON r.workspace_id = am.workspace_id AND r.id = am.role_id
		WHERE am.workspace_id = ? AND am.livemode = ? AND am.account_id = ? AND am.status = ? AND r.slug = ? AND am.id <> ?`,
		sc.WorkspaceID, sc.Live, m.AccountID, StatusActive, OwnerRoleSlug, m.ID)
	if err != nil {
		return wrap(err, "count owners of account %s", m.AccountID)
	}
	if others == 0 {
		return ErrLastOwner.With(map[string]any{"id": m.ID, "account_id": m.AccountID})
	}
	return nil
}

// addPermissionsStatement gives a membership the keys of a list that are
// in the workspace's catalog, and returns those it inserted.
var addPermissionsStatement = listing(`INSERT INTO membership_permissions (membership_id, workspace_id, permission_key)
	SELECT ?, workspace_id, key FROM permissions WHERE workspace_id = ? AND key IN (?)
	ON CONFLICT DO NOTHING RETURNING permission_key`)

// addPermissions gives a membership direct permissions it lacks (none of
// keys may be held already), checking them against the catalog in the same
// statement: a key it did not insert is not in the catalog, refused under
// field.
func (s *DB) addPermissions(ctx context.Context, sc Scope, id string, keys []string, field string) error {
	if len(keys) == 0 {
		return nil
	}
	var added []string
	err := s.selectAll(ctx, &added, s.dialect(addPermissionsStatement), id, sc.WorkspaceID, listArg(keys))
	if isForeignKeyViolation(err) {
		return notInCatalog(field, keys...) // deleted from the catalog since read
	}
	if err != nil {
		return wrap(err, "add permissions to membership %s", id)
	}
	if unknown := difference(keys, added); len(unknown) > 0 {
		return notInCatalog(field, unknown...)
	}
	return nil
}

// removePermissionsStatement deletes a list of a membership's direct permissions.
var removePermissionsStatement = listing(`DELETE FROM membership_permissions
	WHERE workspace_id = ? AND membership_id = ? AND permission_key IN (?)`)

// removePermissions takes direct permissions from a membership.
func (s *DB) removePermissions(ctx context.Context, sc Scope, id string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := s.exec(ctx, s.dialect(removePermissionsStatement), sc.WorkspaceID, id, listArg(keys))
	return wrap(err, "remove permissions of membership %s", id)
}

// bump records that a membership changed: a new version and updated_at,
// which it returns.
func (s *DB) bump(ctx context.Context, sc Scope, id string) (time.Time, error) {
	t := now()
	b := bumpAt(sc, id, t)
	_, err := s.exec(ctx, b.sql, b.args...)
	return t, wrap(err, "update membership %s", id)
}

// bumpAt is the write of bump, with t as the new updated_at.
func bumpAt(sc Scope, id string, t time.Time) *write {
	return &write{sql: `UPDATE account_memberships SET version = version + 1, updated_at = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`, args: []any{t, sc.WorkspaceID, sc.Live, id}}
}

// effective is the permissions a membership grants: its role's and its
// direct ones, sorted, each once.
func effective(role, direct []string) []string {
	return SortedUnique(append(append([]string{}, role...), direct...))
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
