package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is an append-only audit record of one change.
type Event struct {
	Object             string          `db:"object" json:"object"`
	ID                 string          `db:"id" json:"id"`
	Type               string          `db:"type" json:"type"`
	ActorType          string          `db:"actor_type" json:"-"`
	ActorID            string          `db:"actor_id" json:"-"`
	ActorUserID        *string         `db:"actor_user_id" json:"-"`
	ActorVia           *string         `db:"actor_via" json:"-"`
	Actor              Actor           `db:"-" json:"actor"`
	AccountID          *string         `db:"account_id" json:"account_id"`
	MembershipID       *string         `db:"membership_id" json:"membership_id"`
	TargetID           string          `db:"target_id" json:"target_id"`
	DataText           string          `db:"data" json:"-"`
	PreviousText       *string         `db:"previous_attributes" json:"-"`
	Data               json.RawMessage `db:"-" json:"data"`
	PreviousAttributes json.RawMessage `db:"-" json:"previous_attributes"`
	RequestID          string          `db:"request_id" json:"request_id"`
	Livemode           bool            `db:"livemode" json:"livemode"`
	CreatedAt          time.Time       `db:"created_at" json:"created_at"`
}

// change describes an event to record: its type, the target and the object
// after the change, and the fields that changed as they were (nil for none).
type change struct {
	Type         string
	TargetID     string
	AccountID    string
	MembershipID string
	Data         any
	Previous     map[string]any
	// only, when set, is the one webhook endpoint the event goes to,
	// whatever its enabled_events (the test event).
	only string
	// with, when set, is the write the event records, made by the
	// event's own statement on PostgreSQL (a WITH before its INSERT) and
	// just before it on SQLite: one round trip fewer for the change.
	with *write
}

// write is one statement that changes rows, with its arguments.
type write struct {
	sql  string
	args []any
}

// record writes the event of a change and its webhook deliveries; call it
// inside the change's transaction.
func (s *DB) record(ctx context.Context, sc Scope, c change) error {
	_, err := s.recordEvent(ctx, sc, c)
	return err
}

// insertEventSQL writes one event; its arguments are those of eventArgs.
const insertEventSQL = `INSERT INTO events (id, workspace_id, livemode, type, actor_type, actor_id, actor_user_id,
	account_id, membership_id, target_id, data, previous_attributes, request_id, created_at, actor_via)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// recordEvent is record, returning the event's id. The event's webhook
// deliveries are written with it, in the transactional outbox: on
// PostgreSQL by the same statement (the event's INSERT in a WITH), on
// SQLite, in process, by a second one. Either is one probe of the
// endpoints' index when the workspace has none.
func (s *DB) recordEvent(ctx context.Context, sc Scope, c change) (string, error) {
	if !KnownEventType(c.Type) {
		return "", fmt.Errorf("db: event type %q is not in EventTypes", c.Type)
	}
	data, err := json.Marshal(c.Data)
	if err != nil {
		return "", wrap(err, "encode event data")
	}
	var prev *string
	if c.Previous != nil {
		b, err := json.Marshal(c.Previous)
		if err != nil {
			return "", wrap(err, "encode event previous attributes")
		}
		p := string(b)
		prev = &p
	}
	a, id, t := actorFrom(ctx), NewID("evt"), now()
	event := []any{id, sc.WorkspaceID, sc.Live, c.Type, a.actor.Type, a.actor.ID, nullString(a.actor.UserID),
		nullString(c.AccountID), nullString(c.MembershipID), c.TargetID, string(data), prev, a.requestID, t, nullString(a.actor.Via)}
	fanOut, fanArgs := s.dialect(fanOutSQL), fanOutArgs(sc, id, c.Type, c.AccountID, t)
	if c.only != "" {
		fanOut, fanArgs = onlyTo(fanOut, fanArgs, c.only)
	}
	w := heldWrites(ctx)
	held := w != nil && c.only == ""
	if c.with != nil && (held || s.Dialect == SQLite) {
		if _, err := s.exec(ctx, c.with.sql, c.with.args...); err != nil {
			return "", wrap(err, "write the change of event %s", c.Type)
		}
	}
	if held {
		w.events = append(w.events, pendingEvent{row: event, fanOut: fanArgs})
		return id, nil
	}
	if s.Dialect == Postgres {
		q, args := oneStatement(c.with, event, fanOut, fanArgs)
		_, err = s.exec(ctx, q, args...)
		return id, wrap(err, "insert event %s", c.Type)
	}
	if _, err = s.exec(ctx, insertEventSQL, event...); err != nil {
		return "", wrap(err, "insert event %s", c.Type)
	}
	_, err = s.exec(ctx, fanOut, fanArgs...)
	return id, wrap(err, "queue the webhook deliveries of event %s", c.Type)
}

// oneStatement is, on PostgreSQL, the one statement that makes the write
// with (if any), inserts the event (insertEventSQL's arguments) and queues
// its deliveries (fanOut): data-changing WITHs all run, and see the same
// snapshot.
func oneStatement(with *write, event []any, fanOut string, fanArgs []any) (string, []any) {
	ctes, args := `event AS (`+insertEventSQL+`)`, append(append([]any{}, event...), fanArgs...)
	if with != nil {
		ctes, args = `change AS (`+with.sql+`), `+ctes, append(append([]any{}, with.args...), args...)
	}
	return `WITH ` + ctes + ` ` + fanOut, args
}

// EventFilter narrows a list of events; empty fields match everything.
type EventFilter struct {
	AccountID    string
	MembershipID string
	Type         string
}

// The frame of a list of events, newest first: the scope's; a list of one
// account's events is framed by eventsOfAccount, with the cursor of
// eventCursor. Filters follow.
var (
	eventsOfScope   = `SELECT ` + eventColumns + ` WHERE workspace_id = ? AND livemode = ?`
	eventsOfAccount = accountKeyset{alias: "events", newest: true}
)

// ListEvents returns events of the scope, newest first, after the cursor
// id; for a member principal, those of the accounts where they hold
// members.read.
func (s *DB) ListEvents(ctx context.Context, sc Scope, f EventFilter, page Page) ([]Event, error) {
	q, order := eventsOfScope, ` ORDER BY id DESC LIMIT `+strconv.Itoa(page.rowsToRead())
	args := []any{sc.WorkspaceID, sc.Live}
	if sc.Member != "" && f.AccountID != "" {
		if err := s.memberReading(ctx, sc, f.AccountID); err != nil {
			return nil, err
		}
	}
	if sc.Member != "" {
		q += accountsReadByMember
		args = append(args, s.memberArgs(sc)...)
	}
	switch {
	case f.AccountID != "":
		q, order = q+eventsOfAccount.where(s.Dialect), eventsOfAccount.order(page)
		args = append(args, eventsOfAccount.args(s.Dialect, f.AccountID, nil, eventCursor(page))...)
	case page.After != "":
		q += ` AND id < ?`
		args = append(args, page.After)
	}
	if f.MembershipID != "" {
		q += ` AND membership_id = ?`
		args = append(args, f.MembershipID)
	}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	var evs []Event
	if err := s.selectAll(ctx, &evs, q+order, args...); err != nil {
		return nil, wrap(err, "list events")
	}
	evs = fetched(evs, page)
	for i := range evs {
		evs[i].decode()
	}
	return evs, nil
}

// lastEventID is above every event id (a ULID's first character is at most
// "7"), in every collation that orders digits before letters and letters
// alphabetically.
var lastEventID = "evt_" + strings.Repeat("Z", 26)

// eventCursor is the keyset cursor of a page of events, newest first: the
// page's, or for the first page lastEventID, so that the first page of an
// account's events is framed as the others are (see accountKeyset) and no
// plan walks every event of the mode filtering by account.
func eventCursor(page Page) string {
	if page.After == "" {
		return lastEventID
	}
	return page.After
}

// EventListQuery is the statement ListEvents runs for a page of limit of
// one account's events without other filters; its arguments are the
// workspace id, the mode, the account id twice and the cursor (LastEventID
// on the first page). The plan tests and the bench explain it.
func (s *DB) EventListQuery(limit int) string {
	return eventsOfScope + eventsOfAccount.where(s.Dialect) + eventsOfAccount.order(Page{Limit: limit})
}

// LastEventID is the cursor of the first page of EventListQuery.
func LastEventID() string { return lastEventID }

// EventByID returns one event of the scope (for a member principal, of an
// account where they hold members.read).
func (s *DB) EventByID(ctx context.Context, sc Scope, id string) (Event, error) {
	var e Event
	q, args := `SELECT `+eventColumns+` WHERE workspace_id = ? AND livemode = ? AND id = ?`, []any{sc.WorkspaceID, sc.Live, id}
	if sc.Member != "" {
		q += accountsReadByMember
		args = append(args, s.memberArgs(sc)...)
	}
	err := s.get(ctx, &e, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrEventNotFound.For(id)
	}
	if err != nil {
		return e, wrap(err, "get event %s", id)
	}
	e.decode()
	return e, nil
}

const eventColumns = `'event' AS object, id, type, actor_type, actor_id, actor_user_id, actor_via, account_id, membership_id, target_id,
	data, previous_attributes, request_id, livemode, created_at FROM events`

// decode fills the fields the API shows from the stored columns.
func (e *Event) decode() {
	e.Actor = Actor{Type: e.ActorType, ID: e.ActorID}
	if e.ActorUserID != nil {
		e.Actor.UserID = *e.ActorUserID
	}
	if e.ActorVia != nil {
		e.Actor.Via = *e.ActorVia
	}
	e.Data = json.RawMessage(e.DataText)
	e.PreviousAttributes = json.RawMessage("null")
	if e.PreviousText != nil {
		e.PreviousAttributes = json.RawMessage(*e.PreviousText)
	}
}

// EventTypes lists the types of the scope's events, for filtering: for a
// member, of the accounts where they hold members.read.
func (s *DB) EventTypes(ctx context.Context, sc Scope) ([]string, error) {
	var types []string
	q, args := `SELECT DISTINCT type FROM events WHERE workspace_id = ? AND livemode = ?`, []any{sc.WorkspaceID, sc.Live}
	if sc.Member != "" {
		q, args = q+accountsReadByMember, append(args, s.memberArgs(sc)...)
	}
	err := s.selectAll(ctx, &types, q+` ORDER BY type`, args...)
	return types, wrap(err, "list event types")
}
