package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Account is what members are added to: a merchant, an organization.
type Account struct {
	Object      string `db:"object" json:"object"`
	ID          string `db:"id" json:"id"`
	WorkspaceID string `db:"workspace_id" json:"-"`
	Name        string `db:"name" json:"name"`
	// SeatLimit is the most seats its memberships may hold; nil: unlimited.
	SeatLimit *int `db:"seat_limit" json:"seat_limit"`
	// SeatsUsed is the seats held: active memberships and invitations not
	// yet expired (db/seats.go).
	SeatsUsed int       `db:"seats_used" json:"seats_used"`
	Livemode  bool      `db:"livemode" json:"livemode"`
	Version   int64     `db:"version" json:"version"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// accountColumns reads accounts with their seats used; its one argument,
// before those of the WHERE it is followed by, is the time (DB.clock) at
// which seats lapse.
const accountColumns = `'account' AS object, id, workspace_id, name, seat_limit,
	seats_held - (` + lapsedSeatsOf + `) AS seats_used, livemode, version, created_at, updated_at FROM accounts`

// lapsedSeatsOf is lapsedSeatsSQL for the account of the row read.
const lapsedSeatsOf = `SELECT COUNT(*) FROM account_memberships ls WHERE ls.workspace_id = accounts.workspace_id
	AND ls.livemode = accounts.livemode AND ls.account_id = accounts.id AND ls.holds_seat AND ls.seat_until <= ?`

// ListAccounts returns a page of the scope's accounts, oldest first;
// q, when set, keeps those whose name starts with it (case-insensitively).
func (s *DB) ListAccounts(ctx context.Context, sc Scope, q string, page Page) ([]Account, error) {
	query := `SELECT ` + accountColumns + ` WHERE workspace_id = ? AND livemode = ? AND id > ?`
	args := []any{s.clock(), sc.WorkspaceID, sc.Live, page.After}
	if sc.Member != "" {
		query += ` AND id IN (` + memberAccountIDs + `)`
		args = append(args, s.memberArgs(sc)...)
	}
	if q != "" {
		query += ` AND ` + s.lowerSQL("name") + ` LIKE ? ESCAPE '\'`
		args = append(args, likePrefix(q))
	}
	var as []Account
	err := s.selectAll(ctx, &as, query+` ORDER BY id LIMIT ?`, append(args, page.fetch())...)
	return as, wrap(err, "list accounts")
}

// Account returns one account of the scope: for a member principal, one
// where they are an active member.
func (s *DB) Account(ctx context.Context, sc Scope, id string) (Account, error) {
	a, err := s.account(ctx, sc, id, "")
	if err == nil {
		_, err = s.actingMember(ctx, sc, id, false)
	}
	return a, err
}

// lockAccount reads an account for a change and locks it until the
// transaction ends (see forUpdate): every change of an account, and every
// change of its memberships that a rule spanning them could refuse (the
// last owner, one membership per person), takes this lock first, so those
// rules hold under concurrency. A change of direct permissions alone locks
// only the membership (see lockMembership).
// In a bulk request, which took the lock first, the items read it plainly.
func (s *DB) lockAccount(ctx context.Context, sc Scope, id string) (Account, error) {
	if lockedForBulk(ctx, id) {
		return s.account(ctx, sc, id, "")
	}
	return s.account(ctx, sc, id, s.forUpdate())
}

// account reads an account of the scope, the query ending with lock.
func (s *DB) account(ctx context.Context, sc Scope, id, lock string) (Account, error) {
	var a Account
	err := s.get(ctx, &a, `SELECT `+accountColumns+` WHERE workspace_id = ? AND livemode = ? AND id = ?`+lock,
		s.clock(), sc.WorkspaceID, sc.Live, id)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrAccountNotFound.For(id)
	}
	return a, wrap(err, "get account %s", id)
}

// CreateAccount creates an account in the scope.
func (s *DB) CreateAccount(ctx context.Context, sc Scope, in AccountInput) (Account, error) {
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	if sc.Member != "" && in.SeatLimit != nil {
		return Account{}, errSeatLimitStaffOnly
	}
	t := now()
	a := Account{Object: "account", ID: NewID("acct"), WorkspaceID: sc.WorkspaceID, Name: in.Name, SeatLimit: in.SeatLimit,
		Livemode: sc.Live, Version: 1, CreatedAt: t, UpdatedAt: t}
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `INSERT INTO accounts (id, workspace_id, livemode, name, seat_limit, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.ID, a.WorkspaceID, a.Livemode, a.Name, a.SeatLimit, t, t); err != nil {
			return wrap(err, "insert account")
		}
		return s.record(ctx, sc, change{Type: "account.created", TargetID: a.ID, AccountID: a.ID, Data: a})
	})
	return a, err
}

// RenameAccount changes an account's name.
func (s *DB) RenameAccount(ctx context.Context, sc Scope, id string, in AccountInput) (Account, error) {
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	return s.UpdateAccount(ctx, sc, id, AccountChange{Name: &in.Name})
}

// maxRemovedIDs is the most membership ids an account.deleted event lists.
const maxRemovedIDs = 1000

// DeletedAccount is the data of an account.deleted event: the account as
// it was and what went with it.
type DeletedAccount struct {
	Account
	Removed AccountRemovals `json:"removed"`
}

// AccountRemovals counts the memberships removed with an account (an
// invited one's pending invitation with it) and lists their ids, oldest
// first, up to maxRemovedIDs: each membership's own events, which carry the
// account's id, tell the rest.
type AccountRemovals struct {
	Memberships           int      `json:"memberships"`
	Active                int      `json:"active"`
	Invited               int      `json:"invited"` // the invitations revoked
	MembershipIDs         []string `json:"membership_ids"`
	MembershipIDsComplete bool     `json:"membership_ids_complete"`
}

// DeleteAccount deletes an account and, with it, its memberships and their
// invitations, recording account.deleted with what went (two bounded
// queries, whatever the account's size); a version ifMatch does not name
// is precondition_failed.
func (s *DB) DeleteAccount(ctx context.Context, sc Scope, id string, ifMatch IfMatch) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockAccount(ctx, sc, id)
		if err != nil {
			return err
		}
		if err := ifMatch.check(a.Version); err != nil {
			return err
		}
		removed, err := s.accountRemovals(ctx, sc, id)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, `DELETE FROM accounts WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			sc.WorkspaceID, sc.Live, id); err != nil {
			return wrap(err, "delete account %s", id)
		}
		return s.record(ctx, sc, change{Type: "account.deleted", TargetID: a.ID, AccountID: a.ID,
			Data: DeletedAccount{Account: a, Removed: removed}})
	})
}

// accountRemovals reads what deleting the (locked) account removes with it.
func (s *DB) accountRemovals(ctx context.Context, sc Scope, id string) (AccountRemovals, error) {
	r := AccountRemovals{MembershipIDs: []string{}}
	var counts []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.selectAll(ctx, &counts, `SELECT status, COUNT(*) AS n FROM account_memberships
		WHERE workspace_id = ? AND livemode = ? AND account_id = ? GROUP BY status`, sc.WorkspaceID, sc.Live, id); err != nil {
		return r, wrap(err, "count memberships of account %s", id)
	}
	for _, c := range counts {
		r.Memberships += c.N
		switch c.Status {
		case StatusActive:
			r.Active = c.N
		case StatusInvited:
			r.Invited = c.N
		}
	}
	args := append([]any{sc.WorkspaceID, sc.Live}, membersOfAccount.args(s.Dialect, id, nil, "")...)
	if err := s.selectAll(ctx, &r.MembershipIDs, s.RemovedMembershipsQuery(), args...); err != nil {
		return r, wrap(err, "list memberships of account %s", id)
	}
	r.MembershipIDsComplete = len(r.MembershipIDs) == r.Memberships
	return r, nil
}

// RemovedMembershipsQuery is the statement that lists the first
// maxRemovedIDs ids of the memberships an account's deletion removes; its
// arguments are the workspace id, the mode, the account id twice and ""
// (the cursor). The bench explains it.
func (s *DB) RemovedMembershipsQuery() string {
	return `SELECT am.id FROM account_memberships am WHERE am.workspace_id = ? AND am.livemode = ?` +
		membersOfAccount.where(s.Dialect) + membersOfAccount.order(Page{Limit: maxRemovedIDs - 1})
}
