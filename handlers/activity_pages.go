package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// ActivityStore is what the activity page needs of the database.
type ActivityStore interface {
	ListEvents(ctx context.Context, sc db.Scope, f db.EventFilter, page db.Page) ([]db.Event, error)
	EventTypes(ctx context.Context, sc db.Scope) ([]string, error)
	NamesOfEvents(ctx context.Context, sc db.Scope, evs []db.Event, userIDs []string) (db.EventNames, error)
}

// ActivityPages serves the console's activity page: the audit log.
type ActivityPages struct {
	*Console
	Store ActivityStore
}

// List answers GET /activity: the mode's events, newest first, filtered by
// account id, membership id and action type, each said as a sentence.
func (h *ActivityPages) List(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	f := db.EventFilter{
		AccountID:    strings.TrimSpace(c.Query("account")),
		MembershipID: strings.TrimSpace(c.Query("member")),
		Type:         strings.TrimSpace(c.Query("type")),
	}
	base, shown := "/activity", f.AccountID
	if pa := p.Portal; pa != nil { // one account's, whatever the query says
		f.AccountID, base, shown = pa.Visit.Grant.AccountID, PortalHome+"/activity", ""
	}
	page := db.Page{Limit: consolePageSize, After: c.Query("after")}
	evs, err := h.Store.ListEvents(ctx(c), p.Scope, f, page)
	if err != nil {
		return err
	}
	evs, more, next := db.Trim(evs, page, func(e db.Event) string { return e.ID })
	types, err := h.Store.EventTypes(ctx(c), p.Scope)
	if err != nil {
		return err
	}
	var members []string
	for _, e := range evs {
		if id := actorUserID(e.Actor); id != "" {
			members = append(members, id)
		}
	}
	names, err := h.Store.NamesOfEvents(ctx(c), p.Scope, evs, members)
	if err != nil {
		return err
	}
	v := views.ActivityPage{Base: base, Portal: p.Portal != nil, Account: shown, Member: f.MembershipID, Type: f.Type, Actions: eventActions(types)}
	for _, e := range evs {
		v.Events = append(v.Events, eventRow(e, names))
	}
	filters := url.Values{"account": {f.AccountID}, "member": {f.MembershipID}, "type": {f.Type}}
	if p.Portal != nil {
		delete(filters, "account")
	}
	v.FirstURL, v.NextURL = pageURLs(base, filters, page.After, more, next)
	return h.render(c, fiber.StatusOK, "Activity", "activity", views.Activity(v))
}

// eventRow is an event as people read it: who did what, where, and the
// fields that changed.
func eventRow(e db.Event, names db.EventNames) views.EventRow {
	prev, now := parseObject(e.PreviousAttributes), parseObject(e.Data)
	r := views.EventRow{ID: e.ID, Type: e.Type, Action: eventWord(e.Type), Target: e.TargetID, At: e.CreatedAt,
		Who: eventWho(e.Actor, names), What: eventWhat(e.Type, prev, now), Changes: fieldChanges(prev, now)}
	if e.AccountID != nil {
		r.AccountID = *e.AccountID
		r.AccountName, r.AboutAccount = names[r.AccountID], strings.HasPrefix(e.Type, "account.")
		if r.AccountName == "" {
			r.AccountName = r.AccountID
		}
	}
	if e.MembershipID != nil {
		r.Member = *e.MembershipID
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, e.Data, "", "  ") == nil {
		r.Data = pretty.String()
	}
	if len(prev) > 0 {
		pretty.Reset()
		if json.Indent(&pretty, e.PreviousAttributes, "", "  ") == nil {
			r.Previous = pretty.String()
		}
	}
	return r
}
