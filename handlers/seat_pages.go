package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// SeatStore is what the seat limit and transfer pages need of the database.
type SeatStore interface {
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
	Membership(ctx context.Context, sc db.Scope, ref db.MembershipRef) (db.Membership, error)
	UpdateAccount(ctx context.Context, sc db.Scope, id string, ch db.AccountChange) (db.Account, error)
	TransferOwnership(ctx context.Context, sc db.Scope, accountID string, in db.TransferInput) (db.OwnershipTransfer, error)
}

// SeatPages serve an account's seat limit page and the transfer of its
// ownership from the members page, in the console and in the portal.
type SeatPages struct {
	*Console
	Store SeatStore
}

var seatLabels = labels{"seat_limit": "The seat limit"}

// SeatLimitForm answers GET /accounts/{id}/seats.
func (h *SeatPages) SeatLimitForm(c *fiber.Ctx) error {
	a, err := h.Store.Account(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	f := views.Form{Values: map[string]string{"version": strconv.FormatInt(a.Version, 10)}, Errors: map[string]string{}}
	if a.SeatLimit != nil {
		f.Values["seat_limit"] = strconv.Itoa(*a.SeatLimit)
	}
	return h.render(c, fiber.StatusOK, "Seat limit", "accounts", views.SeatLimit(views.SeatLimitPage{Account: a, Form: f}))
}

// SetSeatLimit answers POST /accounts/{id}/seats: a whole number, or
// nothing for no limit; a change made meanwhile is refused (the version).
func (h *SeatPages) SetSeatLimit(c *fiber.Ctx) error {
	f := formOf(c, "seat_limit", "version")
	sc, id := PrincipalOf(c).Scope, c.Params("id")
	ch := db.AccountChange{SetSeatLimit: true, IfMatch: versionOf(f)}
	if raw := f.Value("seat_limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			f.Errors["seat_limit"] = "The seat limit must be a whole number, or empty for no limit."
			return h.seatLimitAgain(c, sc, id, f)
		}
		ch.SeatLimit = &n
	}
	a, err := h.Store.UpdateAccount(ctx(c), sc, id, ch)
	if f, ok := refused(f, err, seatLabels, saying{db.ErrStale, "", "Someone changed this account meanwhile: here it is as it is now. Set the limit again."}); ok {
		return h.seatLimitAgain(c, sc, id, f)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Saved the seat limit: "+seatsNow(a)+".")
	return Redirect(c, views.MembersBase(id))
}

// seatLimitAgain shows the seat limit form again with what was sent and
// what is wrong with it, and the account's current version.
func (h *SeatPages) seatLimitAgain(c *fiber.Ctx, sc db.Scope, id string, f views.Form) error {
	a, err := h.Store.Account(ctx(c), sc, id)
	if err != nil {
		return err
	}
	f.Values["version"] = strconv.FormatInt(a.Version, 10)
	return h.render(c, statusFormErrors, "Seat limit", "accounts", views.SeatLimit(views.SeatLimitPage{Account: a, Form: f}))
}

// seatsNow is an account's seats in words.
func seatsNow(a db.Account) string {
	if a.SeatLimit == nil {
		return "no limit, " + strconv.Itoa(a.SeatsUsed) + " used"
	}
	return strconv.Itoa(a.SeatsUsed) + " of " + strconv.Itoa(*a.SeatLimit) + " seats used"
}

// ConfirmTransfer answers GET …/members/{mid}/transfer: the page that asks
// before making the member the owner, for browsers without scripts.
func (h *SeatPages) ConfirmTransfer(c *fiber.Ctx) error {
	sc, l := PrincipalOf(c).Scope, listOf(c)
	a, err := h.Store.Account(ctx(c), sc, l.accountID)
	if err != nil {
		return err
	}
	m, err := h.Store.Membership(ctx(c), sc, rowRef(c))
	if err != nil {
		return err
	}
	v := views.TransferConfirm{Account: a, Member: m, Base: l.base, Query: l.query()}
	return h.render(c, fiber.StatusOK, "Transfer ownership", "accounts", views.TransferConfirmation(v))
}

// Transfer answers POST …/members/{mid}/transfer: the member becomes the
// owner, the current owner takes the default role. Either way the members
// page follows, saying what happened or why not.
func (h *SeatPages) Transfer(c *fiber.Ctx) error {
	f := formOf(c, "account_version")
	sc, l := PrincipalOf(c).Scope, listOf(c)
	in := db.TransferInput{To: c.Params("mid")}
	if raw := f.Value("account_version"); raw != "" {
		f.Values["version"] = raw
		in.IfMatch = versionOf(f)
	}
	t, err := h.Store.TransferOwnership(ctx(c), sc, l.accountID, in)
	var e *db.Error
	switch {
	case err == nil:
		h.flash(c, t.To.User.Email+" is now the owner of the account.")
	case errors.Is(err, db.ErrForbidden):
		return err // a forged form: refused as every other (403)
	case errors.Is(err, db.ErrStale):
		h.flash(c, "Ownership not transferred: someone changed this account meanwhile. Check the members below and try again.")
	case errors.Is(err, db.ErrOwnerAmbiguous):
		h.flash(c, "Ownership not transferred: this account has several owners. Change one owner's role instead, or use the API's from_membership_id.")
	case errors.As(err, &e) && e.Kind != db.KindNotFound:
		h.flash(c, "Ownership not transferred: "+e.Message+".")
	default:
		return err
	}
	return Redirect(c, l.url())
}

// seatRefusal says why a person was not added: every seat is taken.
func seatRefusal(err error) string {
	var e *db.Error
	errors.As(err, &e)
	return fmt.Sprintf("not added: all %v seats of this account are taken (%v of %v used). Free a seat, or raise the seat limit, first",
		e.Details["seat_limit"], e.Details["seats_used"], e.Details["seat_limit"])
}
