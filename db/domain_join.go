package db

import (
	"context"
	"errors"
)

// DomainJoin is what a verified domain does for a person whose email is
// at it, in one account (POST /v1/me/domain-joins).
type DomainJoin struct {
	Object       string    `json:"object"`
	Account      AccountOf `json:"account"`
	Result       string    `json:"result"`
	Reason       *string   `json:"reason"`
	MembershipID *string   `json:"membership_id"`
}

// Results of a domain join.
const (
	JoinJoined        = "joined"
	JoinSuggested     = "suggested"
	JoinAlreadyMember = "already_member"
	JoinRefused       = "refused"
)

// ReasonSeatLimit is why a join is refused when the account has no seat
// left.
const ReasonSeatLimit = "seat_limit_reached"

// seatLimitType is the error type of a refusal for want of a seat
// (lifecycle.md "Seat limits"), which a join answers as refused.
var seatLimitType = ErrSeatLimitReached.Type

// viaDomain is the actor of the memberships domain joins make.
var viaDomain = Actor{Type: "system", ID: "roster", Via: "domain"}

// joinable is a verified domain that lets people at it join an account.
type joinable struct {
	AccountID   string `db:"account_id"`
	AccountName string `db:"account_name"`
	Enrollment  string `db:"enrollment"`
	RoleID      string `db:"role_id"`
	RoleSlug    string `db:"role_slug"`
}

// joinableSQL reads the verified domain of an email's domain that lets
// people join (suggest or auto_join), with its account and role (the
// default role when it names none that exists). Its arguments are the
// workspace id, the mode and the domain; at most one account of the mode
// has it verified (account_domains_claimed).
const joinableSQL = `SELECT d.account_id, a.name AS account_name, d.enrollment,
	COALESCE(r.id, dr.id) AS role_id, COALESCE(r.slug, dr.slug) AS role_slug
	FROM account_domains d
	JOIN accounts a ON a.workspace_id = d.workspace_id AND a.id = d.account_id
	LEFT JOIN roles r ON r.workspace_id = d.workspace_id AND r.id = d.role_id
	LEFT JOIN roles dr ON dr.workspace_id = d.workspace_id AND dr.is_default
	WHERE d.workspace_id = ? AND d.livemode = ? AND d.domain = ? AND d.state = 'verified' AND d.enrollment <> 'manual'`

// joinables reads the domains that let email's person join accounts of
// the scope (of accountID only, when set).
func (s *DB) joinables(ctx context.Context, sc Scope, email, accountID string) ([]joinable, error) {
	domain := EmailDomain(email)
	if domain == "" {
		return nil, nil
	}
	q, args := joinableSQL, []any{sc.WorkspaceID, sc.Live, domain}
	if accountID != "" {
		q, args = q+` AND d.account_id = ?`, append(args, accountID)
	}
	var js []joinable
	err := s.selectAll(ctx, &js, q+` ORDER BY d.account_id`, args...)
	return js, wrap(err, "find domains of %s", domain)
}

// JoinByDomains answers for the person with this (verified) email, the
// user created when new: for each verified domain at their email's
// domain, auto_join makes them an active member with the domain's role,
// suggest lists the account, manual does nothing. No existing membership
// is ever changed.
func (s *DB) JoinByDomains(ctx context.Context, sc Scope, email string) ([]DomainJoin, error) {
	u, err := s.joiner(ctx, sc, email)
	if err != nil {
		return nil, err
	}
	js, err := s.joinables(ctx, sc, email, "")
	if err != nil {
		return nil, err
	}
	out := make([]DomainJoin, 0, len(js))
	for _, j := range js {
		var r DomainJoin
		if j.Enrollment == EnrollAutoJoin {
			r, err = s.joinByDomain(ctx, sc, j, u.ID)
		} else {
			r, err = s.suggestion(ctx, sc, j, u.ID)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// JoinByDomain makes the person with this (verified) email an active
// member of the account, when a verified domain of it at their email's
// domain lets them (suggest or auto_join); account.not_found otherwise.
func (s *DB) JoinByDomain(ctx context.Context, sc Scope, email, accountID string) (DomainJoin, error) {
	u, err := s.joiner(ctx, sc, email)
	if err != nil {
		return DomainJoin{}, err
	}
	js, err := s.joinables(ctx, sc, email, accountID)
	if err != nil {
		return DomainJoin{}, err
	}
	if len(js) == 0 {
		return DomainJoin{}, ErrAccountNotFound.For(accountID)
	}
	return s.joinByDomain(ctx, sc, js[0], u.ID)
}

// joiner is the workspace's user with the email, created when new.
func (s *DB) joiner(ctx context.Context, sc Scope, email string) (User, error) {
	var u User
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		u, err = s.findOrCreateUser(ctx, sc.WorkspaceID, email, "")
		return err
	})
	return u, err
}

// suggestion is a suggest domain's answer: the account, unless the
// person already has a membership there.
func (s *DB) suggestion(ctx context.Context, sc Scope, j joinable, userID string) (DomainJoin, error) {
	r := DomainJoin{Object: "domain_join", Account: AccountOf{ID: j.AccountID, Name: j.AccountName}, Result: JoinSuggested}
	m, err := s.membershipOfUser(ctx, sc, j.AccountID, userID)
	switch {
	case err == nil:
		r.Result, r.MembershipID = JoinAlreadyMember, &m.ID
	case !errors.Is(err, ErrMembershipNotFound):
		return r, err
	}
	return r, nil
}

// joinByDomain makes the user an active member of the domain's account
// with its role, in one transaction under the account's lock: a person
// who already has a membership there (whatever its status) keeps it as
// it is (already_member).
func (s *DB) joinByDomain(ctx context.Context, sc Scope, j joinable, userID string) (DomainJoin, error) {
	r := DomainJoin{Object: "domain_join", Account: AccountOf{ID: j.AccountID, Name: j.AccountName}}
	ctx = WithActor(ctx, viaDomain)
	err := s.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockAccount(ctx, sc, j.AccountID)
		if err != nil {
			return err
		}
		if m, err := s.membershipOfUser(ctx, sc, a.ID, userID); err == nil {
			r.Result, r.MembershipID = JoinAlreadyMember, &m.ID
			return nil
		} else if !errors.Is(err, ErrMembershipNotFound) {
			return err
		}
		if j.RoleSlug == OwnerRoleSlug {
			// A domain never makes owners (the default role became
			// owner since): nothing happens, as for manual.
			r.Result = JoinRefused
			return nil
		}
		// The new membership takes a seat (insertJoined): a refusal for
		// the limit becomes the result "refused", seat_limit_reached.
		m, err := s.insertJoined(ctx, sc, a, userID, j.RoleID)
		if err != nil {
			return err
		}
		r.Result, r.MembershipID = JoinJoined, &m.ID
		return nil
	})
	var e *Error
	if errors.As(err, &e) && e.Type == seatLimitType {
		reason := ReasonSeatLimit
		r.Result, r.Reason, r.MembershipID = JoinRefused, &reason, nil
		return r, nil
	}
	return r, err
}

// insertJoined writes the active membership of a domain join and records
// membership.created, whose actor is Roster via the domain.
func (s *DB) insertJoined(ctx context.Context, sc Scope, a Account, userID, roleID string) (Membership, error) {
	id, t := NewID("am"), now()
	// Its seat first, then the membership holding it (see insertMembership).
	if err := s.takeNewSeats(ctx, sc, a.ID, 1); err != nil {
		return Membership{}, err
	}
	s.aboutToWriteMembership(ctx)
	_, err := s.exec(ctx, `INSERT INTO account_memberships (id, workspace_id, livemode, account_id, user_id,
		role_id, status, created_at, updated_at, holds_seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE)`,
		id, sc.WorkspaceID, sc.Live, a.ID, userID, roleID, StatusActive, t, t)
	if isUniqueViolation(err) {
		return Membership{}, alreadyMember("")
	}
	if err != nil {
		return Membership{}, wrap(err, "insert membership by domain")
	}
	m, err := s.membershipIn(ctx, sc, a.ID, id)
	if err != nil {
		return m, err
	}
	return m, s.record(ctx, sc, change{Type: "membership.created", TargetID: id, AccountID: a.ID, MembershipID: id, Data: m})
}

// WorkspaceOfEmail is the one workspace where the email is a user's, for
// a JWT that names none; ErrWorkspaceNotFound when it is none or several.
func (s *DB) WorkspaceOfEmail(ctx context.Context, email string) (string, error) {
	var ids []string
	if err := s.selectAll(ctx, &ids, `SELECT workspace_id FROM user_email_lookup WHERE email_lower = ? LIMIT 2`,
		FoldEmail(email)); err != nil {
		return "", wrap(err, "find the workspaces of an email")
	}
	if len(ids) != 1 {
		return "", ErrWorkspaceNotFound
	}
	return ids[0], nil
}
