package db

import (
	"context"
	"strconv"
)

// AccountChange is a change of an account (PATCH /v1/accounts/{id}, the
// console): each field that is set replaces the account's.
type AccountChange struct {
	Name *string
	// SetSeatLimit says that SeatLimit is the account's new seat limit
	// (nil: unlimited); staff and keys only.
	SetSeatLimit bool
	SeatLimit    *int
	IfMatch      IfMatch
}

// errSeatLimitStaffOnly refuses a member principal a seat limit.
var errSeatLimitStaffOnly = ErrStaffOnly.Saying("Only the workspace's staff may set an account's seat limit")

// maxSeatLimit is the largest seat limit an account can have.
const maxSeatLimit = 1_000_000_000

// seatLimit checks a seat limit: nil (unlimited) or a whole number from 0.
func (f fieldErrors) seatLimit(field string, limit *int) {
	if limit != nil && (*limit < 0 || *limit > maxSeatLimit) {
		f[field] = "must be null (unlimited) or a whole number from 0 to " + strconv.Itoa(maxSeatLimit)
	}
}

// Validate trims the change and checks its fields.
func (ch *AccountChange) Validate() error {
	f := fieldErrors{}
	if ch.Name != nil {
		f.name("name", ch.Name, true)
	}
	if ch.SetSeatLimit {
		f.seatLimit("seat_limit", ch.SeatLimit)
	}
	return f.err()
}

// UpdateAccount changes an account's name or seat limit (a member
// principal needs org.manage, and may not set the seat limit); a version
// ch.IfMatch does not name is precondition_failed. A change that changes
// nothing answers the account as it is, with no new version and no event.
// Lowering the limit below the seats used removes nobody: new seats are
// refused until enough leave.
func (s *DB) UpdateAccount(ctx context.Context, sc Scope, id string, ch AccountChange) (Account, error) {
	if err := ch.Validate(); err != nil {
		return Account{}, err
	}
	var a Account
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if a, err = s.lockAccount(ctx, sc, id); err != nil {
			return err
		}
		if _, ctx, err = s.memberActing(ctx, sc, id, PermOrgManage); err != nil {
			return err
		}
		if sc.Member != "" && ch.SetSeatLimit {
			return errSeatLimitStaffOnly
		}
		if err := ch.IfMatch.check(a.Version); err != nil {
			return err
		}
		prev := a.changeBy(ch)
		if len(prev) == 0 {
			return nil
		}
		prev["updated_at"], prev["version"] = a.UpdatedAt, a.Version
		if ch.Name != nil {
			a.Name = *ch.Name
		}
		if ch.SetSeatLimit {
			a.SeatLimit = ch.SeatLimit
		}
		if err := s.bumpAccount(ctx, sc, &a); err != nil {
			return err
		}
		return s.record(ctx, sc, change{Type: "account.updated", TargetID: a.ID, AccountID: a.ID, Data: a, Previous: prev})
	})
	return a, err
}

// changeBy is what ch changes of the account: the fields, as they are.
func (a Account) changeBy(ch AccountChange) map[string]any {
	prev := map[string]any{}
	if ch.Name != nil && *ch.Name != a.Name {
		prev["name"] = a.Name
	}
	if ch.SetSeatLimit && !sameLimit(a.SeatLimit, ch.SeatLimit) {
		prev["seat_limit"] = a.SeatLimit
	}
	return prev
}

// sameLimit reports whether two seat limits are the same.
func sameLimit(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// bumpAccount writes a locked account's name and seat limit with a new
// version and updated_at, which it sets in a.
func (s *DB) bumpAccount(ctx context.Context, sc Scope, a *Account) error {
	a.Version, a.UpdatedAt = a.Version+1, now()
	_, err := s.exec(ctx, `UPDATE accounts SET name = ?, seat_limit = ?, version = ?, updated_at = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`,
		a.Name, a.SeatLimit, a.Version, a.UpdatedAt, sc.WorkspaceID, sc.Live, a.ID)
	return wrap(err, "update account %s", a.ID)
}
