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
	ListStaff(ctx context.Context, wsID string, page db.Page) ([]db.StaffMember, error)
	ListAPIKeys(ctx context.Context, sc db.Scope) ([]db.APIKey, error)
}

// ActivityPages serves the console's activity page: the audit log.
type ActivityPages struct {
	*Console
	Store ActivityStore
}

// List answers GET /activity: the mode's events, newest first, filtered by
// account id, membership id and action type.
func (h *ActivityPages) List(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	f := db.EventFilter{
		AccountID:    strings.TrimSpace(c.Query("account")),
		MembershipID: strings.TrimSpace(c.Query("member")),
		Type:         strings.TrimSpace(c.Query("type")),
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
	actors, err := h.actors(c, p.Scope)
	if err != nil {
		return err
	}
	v := views.ActivityPage{Account: f.AccountID, Member: f.MembershipID, Type: f.Type, Types: types}
	for _, e := range evs {
		v.Events = append(v.Events, eventRow(e, actors))
	}
	v.FirstURL, v.NextURL = pageURLs("/activity", url.Values{"account": {f.AccountID}, "member": {f.MembershipID}, "type": {f.Type}}, page.After, more, next)
	return h.render(c, fiber.StatusOK, "Activity", "activity", views.Activity(v))
}

// actors names the workspace's people (by email) and the mode's keys (by
// prefix), as events refer to them by id.
func (h *ActivityPages) actors(c *fiber.Ctx, sc db.Scope) (map[string]string, error) {
	staff, err := h.Store.ListStaff(ctx(c), sc.WorkspaceID, allStaff)
	if err != nil {
		return nil, err
	}
	keys, err := h.Store.ListAPIKeys(ctx(c), sc)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, sm := range staff {
		names[sm.UserID] = sm.User.Email
	}
	for _, k := range keys {
		names[k.ID] = "API key " + k.Prefix + "…"
	}
	return names, nil
}

// eventRow is an event as people read it.
func eventRow(e db.Event, actors map[string]string) views.EventRow {
	r := views.EventRow{ID: e.ID, Type: e.Type, Target: e.TargetID, At: e.CreatedAt, Actor: actors[e.Actor.ID]}
	if r.Actor == "" {
		r.Actor = e.Actor.Type + " " + e.Actor.ID
	}
	if e.Actor.Type == "system" {
		r.Actor = "Roster"
	}
	if e.AccountID != nil {
		r.AccountID = *e.AccountID
	}
	if e.MembershipID != nil {
		r.Member = *e.MembershipID
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, e.Data, "", "  ") == nil {
		r.Data = pretty.String()
	}
	r.Changes = changes(e.PreviousAttributes, e.Data)
	return r
}

// changes pairs each field of previous (the fields that changed, as they
// were) with its value in after.
func changes(previous, after json.RawMessage) []views.Change {
	var before, now map[string]json.RawMessage
	if json.Unmarshal(previous, &before) != nil || len(before) == 0 {
		return nil
	}
	_ = json.Unmarshal(after, &now)
	fields := sortedKeys(before)
	out := make([]views.Change, 0, len(fields))
	for _, f := range fields {
		out = append(out, views.Change{Field: f, Before: jsonText(before[f]), After: jsonText(now[f])})
	}
	return out
}

// jsonText shows a JSON value to people: strings without quotes, nothing
// as a dash.
func jsonText(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return "—"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}
