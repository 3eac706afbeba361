package views

import (
	"strconv"

	"roster/db"
)

// SeatLimitPage is the form that sets an account's seat limit (staff
// owners and admins).
type SeatLimitPage struct {
	Account db.Account
	Form    Form // seat_limit ("" for no limit) and the account's version
}

// TransferConfirm asks before making a member the account's owner.
type TransferConfirm struct {
	Account db.Account
	Member  db.Membership // the member who becomes owner
	Base    string        // the members page's path
	Query   string        // the list's state, to return to
}

// seatsSaying is the account's seat count in words: "7 of 10 seats", or
// "7 seats used" when it has no limit.
func seatsSaying(a db.Account) string {
	if a.SeatLimit == nil {
		return seatWord(a.SeatsUsed) + " used, no limit"
	}
	return strconv.Itoa(a.SeatsUsed) + " of " + seatWord(*a.SeatLimit)
}

// seatWord is n seats.
func seatWord(n int) string {
	if n == 1 {
		return "1 seat"
	}
	return strconv.Itoa(n) + " seats"
}

// SeatsPath is the path of an account's seat limit form in the console.
func SeatsPath(accountID string) string { return MembersBase(accountID) + "/seats" }

// setsSeats reports whether the table's viewer may set the seat limit:
// staff owners and admins, never an account's member.
func (t MemberTable) setsSeats() bool { return t.CanWrite && t.Member == nil }

// transfers reports whether the table offers to make m the account's
// owner: an active member who is not an owner, offered to staff owners
// and admins, and in the portal to an owner (for anyone but themselves).
func (t MemberTable) transfers(m db.Membership) bool {
	if m.Status != db.StatusActive || m.IsOwner() || !t.CanWrite {
		return false
	}
	return t.Member == nil || t.Member.Owner && t.Member.MembershipID != m.ID
}

// transferPath is the path that makes m the owner, keeping the list's
// state.
func transferPath(t MemberTable, m db.Membership) string { return memberPath(t, m, "transfer") }

// transferQuestion is what is asked before making m the owner.
func transferQuestion(m db.Membership) string {
	return "Make " + m.User.Email + " the owner of this account? The current owner keeps their membership with the default role."
}

// accountVersion is the account's version, for If-Match.
func accountVersion(a db.Account) string { return strconv.FormatInt(a.Version, 10) }
