package db

import (
	"context"
	"time"
)

// Seats (lifecycle.md "Seat limits"): an account's seat_limit (NULL for
// unlimited) bounds its seats_held, the number of its memberships whose
// holds_seat is set. Every path that adds a seat counts it with takeSeats,
// inside the transaction of its change, by one conditional UPDATE of the
// account's counter, so no concurrency can pass the limit: a new
// membership is then written holding its seat, an existing one is marked
// by takeSeat; removals free it with freeSeat. A seat with a seat_until
// (an invitation's expiry) lapses by itself at that time: it is no longer
// counted as used, and the next takeSeats of its account releases it for
// good.

// ErrSeatLimitReached refuses a new seat in an account whose seats are all
// used (409); its details are seat_limit and seats_used.
var ErrSeatLimitReached = conflict("account.seat_limit_reached",
	"Every seat of this account is taken: raise its seat limit or free a seat first")

// lapsedSeatsSQL counts an account's lapsed seats; its arguments are the
// workspace id, the mode, the account id and the time. It reads
// account_memberships_seats (holds_seat, by seat_until): its cost is the
// number of lapsed seats, not the account's size.
const lapsedSeatsSQL = `SELECT COUNT(*) FROM account_memberships ls
	WHERE ls.workspace_id = ? AND ls.livemode = ? AND ls.account_id = ? AND ls.holds_seat AND ls.seat_until <= ?`

// takeSeat gives a membership of the account a seat until until (nil: for
// as long as it lasts), inside the caller's transaction: a membership that
// holds a seat not lapsed yet only has its seat_until moved; any other
// (its lapsed seat released first) takes a free seat (takeSeats), or is
// refused with account.seat_limit_reached when none is left.
func (s *DB) takeSeat(ctx context.Context, sc Scope, accountID, membershipID string, until *time.Time) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		// By the primary key alone: with the account in the condition, a
		// generic plan may walk the account's seats (account_memberships_seats).
		n, err := s.exec(ctx, `UPDATE account_memberships SET seat_until = ?
			WHERE workspace_id = ? AND livemode = ? AND id = ? AND holds_seat AND (seat_until IS NULL OR seat_until > ?)`,
			until, sc.WorkspaceID, sc.Live, membershipID, s.clock())
		if err != nil || n == 1 {
			return wrap(err, "move the seat of membership %s", membershipID)
		}
		if err := s.takeNewSeats(ctx, sc, accountID, 1); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE account_memberships SET holds_seat = TRUE, seat_until = ?
			WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			until, sc.WorkspaceID, sc.Live, membershipID)
		return wrap(err, "give membership %s a seat", membershipID)
	})
}

// takeNewSeats is takeSeats for n memberships that must have them:
// account.seat_limit_reached when the seats left do not hold them.
func (s *DB) takeNewSeats(ctx context.Context, sc Scope, accountID string, n int) error {
	ok, err := s.takeSeats(ctx, sc, accountID, n)
	if err != nil || ok {
		return err
	}
	return s.seatLimitReached(ctx, sc, accountID)
}

// takeSeats counts n more seats of the account as held, inside the
// caller's transaction, after releasing its lapsed seats; false, taking
// none, when its seats left do not hold them. The memberships holding
// them are the caller's to mark (holds_seat).
func (s *DB) takeSeats(ctx context.Context, sc Scope, accountID string, n int) (bool, error) {
	if err := s.releaseLapsedSeats(ctx, sc, accountID); err != nil {
		return false, err
	}
	taken, err := s.exec(ctx, `UPDATE accounts SET seats_held = seats_held + ?
		WHERE workspace_id = ? AND livemode = ? AND id = ? AND (seat_limit IS NULL OR seats_held + ? <= seat_limit)`,
		n, sc.WorkspaceID, sc.Live, accountID, n)
	return taken == 1, wrap(err, "take %d seats of account %s", n, accountID)
}

// releaseLapsedSeats frees the account's seats whose seat_until has
// passed, lowering its counter by as many as this call freed.
func (s *DB) releaseLapsedSeats(ctx context.Context, sc Scope, accountID string) error {
	n, err := s.exec(ctx, `UPDATE account_memberships SET holds_seat = FALSE, seat_until = NULL
		WHERE workspace_id = ? AND livemode = ? AND account_id = ? AND holds_seat AND seat_until <= ?`,
		sc.WorkspaceID, sc.Live, accountID, s.clock())
	if err != nil || n == 0 {
		return wrap(err, "release lapsed seats of account %s", accountID)
	}
	_, err = s.exec(ctx, `UPDATE accounts SET seats_held = seats_held - ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
		n, sc.WorkspaceID, sc.Live, accountID)
	return wrap(err, "count released seats of account %s", accountID)
}

// seatLimitReached is the refusal of a seat in the account, with its limit
// and the seats it uses.
func (s *DB) seatLimitReached(ctx context.Context, sc Scope, accountID string) error {
	var a struct {
		SeatLimit *int `db:"seat_limit"`
		SeatsHeld int  `db:"seats_held"`
	}
	if err := s.get(ctx, &a, `SELECT seat_limit, seats_held FROM accounts WHERE workspace_id = ? AND livemode = ? AND id = ?`,
		sc.WorkspaceID, sc.Live, accountID); err != nil {
		return wrap(err, "read seats of account %s", accountID)
	}
	limit := 0
	if a.SeatLimit != nil {
		limit = *a.SeatLimit
	}
	return ErrSeatLimitReached.With(map[string]any{"seat_limit": limit, "seats_used": a.SeatsHeld})
}

// freeSeat gives up a membership's seat, if it holds one; freeing a seat
// that is not held changes nothing.
func (s *DB) freeSeat(ctx context.Context, sc Scope, membershipID string) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		var accounts []string
		err := s.selectAll(ctx, &accounts, `UPDATE account_memberships SET holds_seat = FALSE, seat_until = NULL
			WHERE workspace_id = ? AND livemode = ? AND id = ? AND holds_seat RETURNING account_id`,
			sc.WorkspaceID, sc.Live, membershipID)
		if err != nil || len(accounts) == 0 {
			return wrap(err, "free the seat of membership %s", membershipID)
		}
		_, err = s.exec(ctx, `UPDATE accounts SET seats_held = seats_held - 1 WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			sc.WorkspaceID, sc.Live, accounts[0])
		return wrap(err, "count the freed seat of account %s", accounts[0])
	})
}

// seatEnd is when the seat of membership m lapses by itself: the earlier
// of its invitation's expiry, while it is invited, and its expires_at; nil
// when it lasts as long as the membership.
func seatEnd(m Membership) *time.Time {
	var end *time.Time
	if m.Status == StatusInvited {
		end = m.InvitationExpiresAt
	}
	if m.ExpiresAt != nil && (end == nil || m.ExpiresAt.Before(*end)) {
		end = m.ExpiresAt
	}
	return end
}

// settleSeat makes a membership's seat follow its state after a change,
// inside the change's transaction: an invited or active one holds a seat
// until seatEnd (taking one, within the limit, if it had none); an inactive
// or expired one holds none.
func (s *DB) settleSeat(ctx context.Context, sc Scope, m Membership) error {
	switch m.Status {
	case StatusInvited, StatusActive:
		return s.takeSeat(ctx, sc, m.AccountID, m.ID, seatEnd(m))
	}
	return s.freeSeat(ctx, sc, m.ID)
}
