package db

import (
	"context"
	"database/sql"
	"slices"
	"time"
)

// Authorization is the answer of POST /v1/authorize: whether the person
// holds every permission asked for in the account, which of them they
// hold, and why not when they are no active member.
type Authorization struct {
	Object       string   `json:"object"`
	Allowed      bool     `json:"allowed"`
	MembershipID *string  `json:"membership_id"`
	Status       *string  `json:"status"`
	Granted      []string `json:"granted"`
	Missing      []string `json:"missing"`
	Reason       *string  `json:"reason"`
}

// Reasons an authorization is refused, whatever the permissions.
const (
	ReasonNotAMember = "not_a_member"
	ReasonInactive   = "inactive"
	ReasonExpired    = "expired"
)

// authorizeSQL answers an authorization in one statement: a row for each
// key asked for that is in the catalog (a key without a row is unknown),
// with the person's membership of the account, if any, and whether it
// holds the key through its role or directly. The membership's status
// (and, with the lifecycle's states, its expiry) comes back in the same
// row, so the reason needs no second query. Its arguments are the
// workspace id, the mode, the account id, the person (see
// authorizeByUser), the workspace id and the keys (a listing's list).
const authorizeSQL = `SELECT p.key, m.id AS membership_id, m.status, m.expires_at,
	CASE WHEN m.id IS NULL THEN FALSE ELSE
		(EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.workspace_id = p.workspace_id AND rp.role_id = m.role_id AND rp.permission_key = p.key)
		OR EXISTS (SELECT 1 FROM membership_permissions mp WHERE mp.workspace_id = p.workspace_id AND mp.membership_id = m.id AND mp.permission_key = p.key))
	END AS held
	FROM permissions p
	LEFT JOIN (SELECT am.id, am.status, am.expires_at, am.role_id FROM account_memberships am `

// authorizeTail closes authorizeSQL.
const authorizeTail = `) m ON TRUE
	WHERE p.workspace_id = ? AND p.key IN (?)`

// authorizeByUser and authorizeByEmail are authorizeSQL naming the person
// by user id (the membership's own column: no join) or by email (through
// the person's user).
var (
	authorizeByUser = listing(authorizeSQL +
		`WHERE am.workspace_id = ? AND am.livemode = ? AND am.account_id = ? AND am.user_id = ?` + authorizeTail)
	authorizeByEmail = listing(authorizeSQL + `JOIN users u ON u.workspace_id = am.workspace_id AND u.id = am.user_id
		WHERE am.workspace_id = ? AND am.livemode = ? AND am.account_id = ? AND u.email_lower = ?` + authorizeTail)
)

// AuthorizeByUserQuery returns authorizeByUser in the DB's dialect: the
// bench explains it.
func (s *DB) AuthorizeByUserQuery() string { return s.dialect(authorizeByUser) }

// authorizeRow is a row of authorizeSQL.
type authorizeRow struct {
	Key          string         `db:"key"`
	MembershipID sql.NullString `db:"membership_id"`
	Status       sql.NullString `db:"status"`
	ExpiresAt    *time.Time     `db:"expires_at"`
	Held         bool           `db:"held"`
}

// Authorize answers whether a person holds permissions in an account, in
// one round trip. A person who is not an active member, an unknown person
// and an account the scope lacks are all refused as not_a_member; keys
// that are not in the catalog are a bad input.
func (s *DB) Authorize(ctx context.Context, sc Scope, in AuthorizationQuestion) (Authorization, error) {
	if err := in.Validate(); err != nil {
		return Authorization{}, err
	}
	query, person := authorizeByUser, in.UserID
	if in.Email != "" {
		query, person = authorizeByEmail, FoldEmail(in.Email)
	}
	rows, err := s.authorizeRows(ctx, s.dialect(query),
		sc.WorkspaceID, sc.Live, in.AccountID, person, sc.WorkspaceID, listArg(in.Permissions))
	if err != nil {
		return Authorization{}, wrap(err, "authorize in account %s", in.AccountID)
	}
	return authorization(in, rows, s.clock())
}

// authorizeRows runs a query of authorizeSQL, scanning its columns in
// order (a hot read: see query).
func (s *DB) authorizeRows(ctx context.Context, query string, args ...any) ([]authorizeRow, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []authorizeRow
	for rows.Next() {
		var r authorizeRow
		if err := rows.Scan(&r.Key, &r.MembershipID, &r.Status, &r.ExpiresAt, &r.Held); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// authorization reads the rows of authorizeSQL into the answer.
func authorization(in AuthorizationQuestion, rows []authorizeRow, at time.Time) (Authorization, error) {
	a := Authorization{Object: "authorization", Granted: []string{}, Missing: []string{}}
	known := make([]string, 0, len(rows))
	for _, r := range rows {
		known = append(known, r.Key)
		if r.MembershipID.Valid {
			m := Membership{Status: r.Status.String, ExpiresAt: r.ExpiresAt}
			m.settle(at)
			a.MembershipID, a.Status = &r.MembershipID.String, &m.Status
		}
	}
	if unknown := difference(in.Permissions, known); len(unknown) > 0 {
		return a, notInCatalog(in.Field, unknown...)
	}
	reason := refusedStatus(a.Status)
	for _, r := range rows {
		if r.Held && reason == "" {
			a.Granted = append(a.Granted, r.Key)
		} else {
			a.Missing = append(a.Missing, r.Key)
		}
	}
	slices.Sort(a.Granted)
	slices.Sort(a.Missing)
	if reason != "" {
		a.Reason = &reason
	}
	a.Allowed = reason == "" && len(a.Missing) == 0
	return a, nil
}

// refusedStatus is why a membership of this status (nil for none) grants
// nothing, "" for an active one. The lifecycle's states map here: an
// inactive membership is "inactive", an expired one "expired".
func refusedStatus(status *string) string {
	switch {
	case status == nil:
		return ReasonNotAMember
	case *status == StatusActive:
		return ""
	case *status == ReasonInactive, *status == ReasonExpired:
		return *status
	}
	return ReasonNotAMember
}
