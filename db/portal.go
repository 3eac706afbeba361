package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// PortalLinkLifetime is how long a portal link can be opened.
const PortalLinkLifetime = 5 * time.Minute

// PortalSession is the answer of POST /v1/portal-sessions: the link (URL,
// holding the single-use token) and until when it can be opened.
type PortalSession struct {
	Object    string    `json:"object"`
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PortalGrant is what a portal link, used once, signs its person into: one
// membership of one account in one mode, and the way back to the product.
// The portal reads the membership's rights again on every request.
type PortalGrant struct {
	SessionID    string `db:"id"`
	WorkspaceID  string `db:"workspace_id"`
	Live         bool   `db:"livemode"`
	AccountID    string `db:"account_id"`
	MembershipID string `db:"membership_id"`
	UserID       string `db:"user_id"`
	ReturnURL    string `db:"return_url"`
	ReturnLabel  string `db:"return_label"`
}

// Scope is the scope the grant's pages act in: its account's mode, as its
// member, whose rights the stores read on every call.
func (g PortalGrant) Scope() Scope {
	return Scope{WorkspaceID: g.WorkspaceID, Live: g.Live, Member: g.UserID}
}

// CreatePortalSession makes a portal link for an active member of the
// account who holds members.read (403 not_allowed otherwise); the token is
// stored as its SHA-256 only.
func (s *DB) CreatePortalSession(ctx context.Context, sc Scope, in NewPortalSession) (PortalSession, error) {
	if err := in.Validate(); err != nil {
		return PortalSession{}, err
	}
	var ps PortalSession
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.account(ctx, sc, in.AccountID, ""); err != nil {
			return err
		}
		q, args := MembershipFilter{UserID: in.UserID, Email: in.Email}.person(
			s.MembershipSelect()+` AND am.account_id = ?`, []any{sc.WorkspaceID, sc.Live, in.AccountID})
		ms, err := s.loadMemberships(ctx, q, args...)
		if err != nil {
			return wrap(err, "find member of account %s", in.AccountID)
		}
		if len(ms) == 0 || ms[0].Status != StatusActive || !ms[0].mayUse(PermMembersRead) {
			return errNotAllowed
		}
		token, t := RandomToken(43), now()
		ps = PortalSession{Object: "portal_session", ID: NewID("ps"), URL: in.URL(token), ExpiresAt: t.Add(PortalLinkLifetime)}
		_, err = s.exec(ctx, `INSERT INTO portal_sessions (workspace_id, id, livemode, account_id, membership_id, user_id,
			token_hash, return_url, return_label, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sc.WorkspaceID, ps.ID, sc.Live, in.AccountID, ms[0].ID, ms[0].UserID, HashSecret(token), in.ReturnURL, in.ReturnLabel, ps.ExpiresAt, t)
		return wrap(err, "insert portal session")
	})
	return ps, err
}

// ExchangePortalToken uses a portal link's token, once: one conditional
// UPDATE marks it used unless it was used or has expired, so of any number
// of concurrent exchanges exactly one gets the grant. Every token that
// cannot be used is portal_session.not_found, with the way back of a used
// or expired link in the grant (see spentPortalLink). The token names no
// workspace: the statement is multi-shard (see multiShard).
func (s *DB) ExchangePortalToken(ctx context.Context, token string) (PortalGrant, error) {
	var g PortalGrant
	t := now()
	err := s.writeAlone(ctx, func(ctx context.Context) error {
		return s.get(ctx, &g, `UPDATE `+multiShard+`portal_sessions SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
			RETURNING id, workspace_id, livemode, account_id, membership_id, user_id, return_url, return_label`, t, HashSecret(token), t)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return s.spentPortalLink(ctx, token)
	}
	return g, wrap(err, "exchange portal token")
}

// spentPortalLink answers a token that cannot be used: always
// portal_session.not_found, with the way back of a link that was used or
// has expired (its grant's return URL and label only, which are no secret)
// and nothing of an unknown one. Multi-shard, like the exchange.
func (s *DB) spentPortalLink(ctx context.Context, token string) (PortalGrant, error) {
	var g PortalGrant
	err := s.get(ctx, &g, `SELECT `+multiShard+`return_url, return_label FROM portal_sessions WHERE token_hash = ?`, HashSecret(token))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return PortalGrant{}, wrap(err, "find spent portal link")
	}
	return g, ErrPortalLinkNotFound
}
