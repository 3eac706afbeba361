package handlers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// maxInvites is the most addresses one invite form takes.
const maxInvites = 50

// The two forms that add members, and what their flash says was done.
const (
	addInvite = "invite"
	addLink   = "link"
)

var addVerbs = map[string]string{addInvite: "Invited", addLink: "Linked"}

// Invite answers POST /accounts/{id}/invite: each address of the form
// (separated by commas, semicolons, spaces or new lines) is invited with
// the role and direct permissions chosen, each on its own, so that one
// person who is already a member does not stop the others.
func (h *MemberPages) Invite(c *fiber.Ctx) error {
	f := formOf(c, "emails", "role", "expires_at")
	perms := formMulti(c, f, "permissions")
	expiry := formExpiryField(f)
	emails, same := splitEmails(f.Value("emails"))
	switch {
	case len(emails) == 0:
		f.Errors["emails"] = "Enter at least one email address."
	case len(emails) > maxInvites:
		f.Errors["emails"] = fmt.Sprintf("Invite at most %d people at once.", maxInvites)
	}
	if f.Invalid() {
		return h.show(c, statusFormErrors, pageState{invite: views.AddForm{Form: f}})
	}
	a, err := addEach(f, emails, func(email string) (views.AddResult, error) {
		return h.inviteOne(c, email, f.Value("role"), perms, expiry)
	}, inviteSays(perms))
	if err != nil {
		return err
	}
	f = a.form
	f.Values["emails"] = strings.Join(a.failed, "\n")
	if len(a.failed) > 0 && f.Errors["emails"] == "" {
		f.Errors["emails"] = "Not invited: " + strings.Join(a.failed, ", ") + ". Correct or remove these addresses, then send again."
	}
	a.results = append(a.results, same...)
	return h.added(c, addInvite, a)
}

// splitEmails splits what was typed into addresses, each once whatever its
// case, in the order typed; an address typed again in another case is said
// to be the same (as an outcome of its own, which is no failure).
func splitEmails(s string) ([]string, []views.AddResult) {
	first := map[string]string{}
	var out []string
	var same []views.AddResult
	for _, e := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}) {
		k := db.FoldEmail(e)
		switch was, seen := first[k]; {
		case !seen:
			first[k] = e
			out = append(out, e)
		case was != e:
			same = append(same, views.AddResult{Who: was, OK: true, Says: was + " and " + e + " are the same address: invited once", Same: true})
		}
	}
	return out, same
}

// inviteOne invites one address; an error is returned only when it
// concerns the whole form or is not the person's to fix.
func (h *MemberPages) inviteOne(c *fiber.Ctx, email, role string, perms []string, expiry *time.Time) (views.AddResult, error) {
	in := db.NewMembership{Email: email, Role: role, Permissions: perms, SendEmail: true, AcceptURL: h.AcceptURL, ExpiresAt: expiry}
	_, _, err := h.Store.CreateMembership(ctx(c), PrincipalOf(c).Scope, listOf(c).accountID, in)
	var bad *db.InvalidInput
	switch {
	case err == nil:
		return views.AddResult{Who: email, OK: true, Says: "invited"}, nil
	case errors.Is(err, db.ErrAlreadyMember):
		return views.AddResult{Who: email, Says: "already a member of this account"}, nil
	case errors.Is(err, db.ErrSeatLimitReached):
		return views.AddResult{Who: email, Says: seatRefusal(err)}, nil
	case errors.As(err, &bad) && bad.Fields["email"] != "":
		return views.AddResult{Who: email, Says: "not a valid email address"}, nil
	}
	return views.AddResult{}, err
}

// Link answers POST /accounts/{id}/link: the team members ticked become
// active members with the role chosen (an invited one's membership becomes
// active).
func (h *MemberPages) Link(c *fiber.Ctx) error {
	f := formOf(c, "role", "expires_at")
	ids := formMulti(c, f, "staff")
	expiry := formExpiryField(f)
	if len(ids) == 0 {
		f.Errors["staff"] = "Choose at least one person to link."
	}
	if f.Invalid() {
		return h.show(c, statusFormErrors, pageState{link: views.AddForm{Form: f}})
	}
	sc := PrincipalOf(c).Scope
	staff, err := h.Store.ListStaff(ctx(c), sc.WorkspaceID, allStaff)
	if err != nil {
		return err
	}
	emails := make(map[string]string, len(staff))
	for _, sm := range staff {
		emails[sm.ID] = sm.User.Email
	}
	a, err := addEach(f, ids, func(id string) (views.AddResult, error) {
		return h.linkOne(c, id, emails[id], f.Value("role"), expiry)
	}, nil)
	if err != nil {
		return err
	}
	a.form.Multi["staff"] = a.failed
	return h.added(c, addLink, a)
}

// linkOne links one team member, like inviteOne.
func (h *MemberPages) linkOne(c *fiber.Ctx, staffID, email, role string, expiry *time.Time) (views.AddResult, error) {
	if email == "" {
		return views.AddResult{Who: staffID, Says: "no longer on the team"}, nil
	}
	in := db.NewMembership{StaffID: staffID, Role: role, ExpiresAt: expiry}
	_, created, err := h.Store.CreateMembership(ctx(c), PrincipalOf(c).Scope, listOf(c).accountID, in)
	switch {
	case err == nil && created:
		return views.AddResult{Who: email, OK: true, Says: "linked"}, nil
	case err == nil:
		return views.AddResult{Who: email, OK: true, Says: "linked: their invitation is no longer needed"}, nil
	case errors.Is(err, db.ErrAlreadyMember):
		return views.AddResult{Who: email, Says: "already a member of this account"}, nil
	case errors.Is(err, db.ErrStaffNotFound):
		return views.AddResult{Who: email, Says: "no longer on the team"}, nil
	case errors.Is(err, db.ErrSeatLimitReached):
		return views.AddResult{Who: email, Says: seatRefusal(err)}, nil
	}
	return views.AddResult{}, err
}

// adding is the outcome of an invite or a link: the form, what happened
// to each person, those not added, and the refusal of the whole form
// that stopped it, if one did.
type adding struct {
	form    views.Form
	results []views.AddResult
	failed  []string
	refusal error
}

// addEach adds each person in turn, each on their own. A refusal of the
// whole form (a role or permission no longer there, or beyond the
// member's own) stops it, put on the form in the words of says (nil for
// the store's), and the people not tried count as not added; any other
// error is returned.
func addEach(f views.Form, people []string, add func(string) (views.AddResult, error), says func(error) []saying) (adding, error) {
	a := adding{form: f}
	for i, who := range people {
		res, err := add(who)
		if err != nil {
			own := []saying{{db.ErrUnknownRole, "role", "This role no longer exists: choose another."},
				{db.ErrOwnerCannotExpire, "expires_at", "An owner's membership cannot end by itself: choose another role, or leave the end empty."}}
			if says != nil {
				own = append(says(err), own...)
			}
			var ok bool
			if a.form, ok = refused(f, err, addLabels, own...); !ok {
				return a, err
			}
			a.failed, a.refusal = append(a.failed, people[i:]...), err
			return a, nil
		}
		a.results = append(a.results, res)
		if !res.OK {
			a.failed = append(a.failed, who)
		}
	}
	return a, nil
}

// inviteSays puts a member's limits next to what went beyond them: the
// direct permissions chosen when they are among those not held, else the
// role.
func inviteSays(perms []string) func(error) []saying {
	return func(err error) []saying {
		var e *db.Error
		if !errors.As(err, &e) {
			return nil
		}
		field := "role"
		if keys, ok := e.Details["permissions"].([]string); ok && e.Details["reason"] == db.ReasonEscalation {
			for _, k := range keys {
				if slices.Contains(perms, k) {
					field = "permissions"
				}
			}
		}
		return forbiddenSays(err, field)
	}
}

// addLabels name the fields of the invite and link forms: the reason alone
// says what is wrong with them.
var addLabels = labels{"role": "", "permissions": "", "expires_at": "The end"}

// added ends an invite or a link. Everyone added: the flash and back to the
// list; with htmx, the section says who was added, its form empty again,
// and the table follows. Anyone not added: the form again with 422, the
// outcome for each person, and only those not added kept in it.
func (h *MemberPages) added(c *fiber.Ctx, kind string, a adding) error {
	form := views.AddForm{Form: a.form, Results: a.results}
	status := statusFormErrors
	if a.refusal != nil && !isFragment(c) {
		status = refusedStatus(a.refusal)
	}
	if len(a.failed) == 0 && !a.form.Invalid() {
		if !isFragment(c) {
			h.flash(c, addedFlash(kind, a.results))
			return Redirect(c, listOf(c).url())
		}
		form.Form, status = views.Form{}, fiber.StatusOK
	}
	st := pageState{invite: form}
	if kind == addLink {
		st = pageState{link: form}
	}
	return h.show(c, status, st)
}

// addedFlash says who was added, and which addresses were the same.
func addedFlash(kind string, results []views.AddResult) string {
	var who, notes []string
	for _, r := range results {
		if r.Same {
			notes = append(notes, " "+r.Says+".")
		} else {
			who = append(who, r.Who)
		}
	}
	return addVerbs[kind] + " " + strings.Join(who, ", ") + "." + strings.Join(notes, "")
}
