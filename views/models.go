// Package views holds the console's templ components and their view
// models. Components only show what they are given: no store calls, no
// Fiber.
package views

import (
	"context"
	"encoding/json"
	"time"

	"roster/db"
)

// Layout is what the frame around every page shows.
type Layout struct {
	Title     string // the page's title, before " · Roster"
	Nav       string // the navigation entry of the page: "accounts", "team", "roles", "api-keys", "webhooks", "activity"; in the portal "members", "activity"
	SignedIn  bool
	UserEmail string
	Role      string        // the signed-in person's console role
	Workspace string        // the workspace's name
	Live      bool          // live mode; false shows the test-mode banner
	Flash     string        // a message about the last action
	Path      string        // the page's path and query, where the mode switch returns
	Portal    *PortalHeader // the portal's header in place of the console's; nil in the console
}

// PortalHeader is what the portal's header shows: whose page it is, and
// the way back to the product that sent the person there.
type PortalHeader struct {
	Workspace   string
	Account     string
	Email       string
	ReturnURL   string // "" when the product gave none
	ReturnLabel string
}

// PortalEnd is the portal's page of a link that cannot be used or a
// session that has ended, with the ways back there are.
type PortalEnd struct {
	Title, Message string
	Home           bool   // the portal session is open: back to its members page
	ReturnURL      string // the product's page, "" when unknown
	ReturnLabel    string
}

// testMode reports whether the page shows the test-mode banner.
func (l Layout) testMode() bool { return (l.SignedIn || l.Portal != nil) && !l.Live }

// portalNav are the portal's pages.
var portalNav = []navItem{
	{"members", "Members", "/portal"},
	{"activity", "Activity", "/portal/activity"},
}

// Form is a submitted form: what was typed, kept to show again, and what is
// wrong with it, per field and as a whole.
type Form struct {
	Values map[string]string
	Multi  map[string][]string // fields that take several values (checkboxes)
	Errors map[string]string
	Error  string // a problem with the form as a whole
}

// Value is what was typed into a field.
func (f Form) Value(field string) string { return f.Values[field] }

// Err is what is wrong with a field, or "".
func (f Form) Err(field string) string { return f.Errors[field] }

// Checked reports whether value was chosen among a field's values.
func (f Form) Checked(field, value string) bool {
	for _, v := range f.Multi[field] {
		if v == value {
			return true
		}
	}
	return false
}

// Invalid reports whether the form has any problem.
func (f Form) Invalid() bool { return f.Error != "" || len(f.Errors) > 0 }

// LoginPage is the sign-in form.
type LoginPage struct {
	Form    Form
	Next    string // where to go once signed in
	NoOwner bool   // the database has no owner yet: say how to create one
}

// AccountsPage lists the mode's accounts.
type AccountsPage struct {
	Live      bool
	Query     string
	Accounts  []db.Account
	NextURL   string // the next page, "" on the last
	FirstURL  string // the first page, "" on it
	CanCreate bool
	Form      Form
}

// KeysPage lists the mode's API keys.
type KeysPage struct {
	Live     bool
	Keys     []db.APIKey
	Now      time.Time
	NewKey   *NewKey // the key just created or rolled, shown this once
	CanWrite bool
	Scopes   []string // every scope a secret key may be limited to
	Form     Form
}

// NewKey is a key's secret, shown once after creating or rolling it.
type NewKey struct {
	ID, Secret, Kind string
	Name             string // the key's name, which labels the secret
}

// KeyConfirm asks whether to revoke or roll a key.
type KeyConfirm struct {
	Key    db.APIKey
	Action string // "revoke" or "roll"
	Form   Form
}

// ActivityPage lists the mode's events, newest first.
type ActivityPage struct {
	Base                  string // the page's path: /activity, or /portal/activity for one account's member
	Portal                bool   // one account's activity, for its member: no account filter, no link to the console
	Account, Member, Type string // the filters
	Actions               []EventAction
	Events                []EventRow
	NextURL               string
	FirstURL              string
}

// EventAction is a choice of the action filter: an event type in words.
type EventAction struct {
	Type, Words string
}

// EventRow is one event as people read it: a sentence (who, what, where)
// and the fields that changed.
type EventRow struct {
	ID           string
	Type         string
	Action       string // the type in words
	Who          string // a person's email, a key's name, or Roster
	What         string // what they did, to whom, in words
	Target       string // the target's id
	AccountID    string
	AccountName  string // where: the account's name ("" when not about an account)
	AboutAccount bool   // the event is the account's own: What ends with "the account", its name follows
	Member       string // the membership concerned, if any
	At           time.Time
	Changes      []Change // before and after of each field that changed
	Data         string   // the object after the change, as indented JSON
	Previous     string   // the changed fields as they were, as indented JSON ("" for none)
}

// joiner is what comes between what an event did and the account's name.
func (e EventRow) joiner() string {
	if e.AboutAccount {
		return " "
	}
	return " in "
}

// Change is one field of an event: its value before and after.
type Change struct {
	Field, Before, After string
}

// StaffPage lists the workspace's staff.
type StaffPage struct {
	Staff    []db.StaffMember
	You      string   // the signed-in person's staff id: no controls on their own row
	Controls bool     // show the controls that add, change and remove staff (not to support staff)
	Disabled string   // why the controls are shown disabled (test mode), "" when they work
	Roles    []string // the console roles
	Form     Form     // the form that adds someone
	Row      string   // the staff member whose row shows RowForm's errors
	RowForm  Form
}

// rowForm is the form of a staff member's row: the one a rule refused,
// else their role as it is.
func (p StaffPage) rowForm(sm db.StaffMember) Form {
	f := Form{Values: map[string]string{"role": sm.Role}}
	if p.Row != sm.ID {
		return f
	}
	return shownAgain(f, p.RowForm)
}

// shownAgain is a form refused: as it was sent when it was sent (typed
// values kept), else (an action without fields, such as a delete) the
// form as it is with the refusal.
func shownAgain(def, refused Form) Form {
	if refused.Values != nil {
		return refused
	}
	def.Error, def.Errors = refused.Error, refused.Errors
	return def
}

// StaffConfirm asks before taking someone off the staff.
type StaffConfirm struct {
	Member db.StaffMember
}

// RolesPage shows the workspace's roles and its permission catalog.
type RolesPage struct {
	Roles       []db.Role
	Permissions []db.Permission
	CanWrite    bool
	Disabled    string // why the controls are shown disabled (test mode), "" when they work
	// Failed is the part of the page whose form Form shows again with its
	// errors: RoleSection(id), PermissionSection(key), "new-role" or
	// "new-permission".
	Failed string
	Form   Form
}

// RoleSection is the id of a role's part of the roles page.
func RoleSection(id string) string { return "role-" + id }

// PermissionSection names a permission's row of the catalog.
func PermissionSection(key string) string { return "permission:" + key }

// formOf returns the form of section: the failed one, or def.
func (p RolesPage) formOf(section string, def Form) Form {
	if p.Failed != section {
		return def
	}
	return shownAgain(def, p.Form)
}

// roleForm is the form that edits r: what was typed when it failed, else
// the role as it is.
func (p RolesPage) roleForm(r db.Role) Form {
	return p.formOf(RoleSection(r.ID), Form{
		Values: map[string]string{"name": r.Name, "description": r.Description},
		Multi:  map[string][]string{"permissions": r.Permissions},
	})
}

// heldBy lists the slugs of the roles that hold a permission.
func heldBy(roles []db.Role, key string) []string {
	var slugs []string
	for _, r := range roles {
		for _, k := range r.Permissions {
			if k == key {
				slugs = append(slugs, r.Slug)
			}
		}
	}
	return slugs
}

// RoleConfirm asks before deleting a role.
type RoleConfirm struct {
	Role db.Role
}

// PermissionConfirm asks before deleting a permission of the catalog.
type PermissionConfirm struct {
	Permission db.Permission
	Roles      []db.Role // the workspace's roles, to name those that hold it
}

// ErrorPage explains a failed request.
type ErrorPage struct {
	Status    int
	Title     string
	Message   string
	RequestID string
	Portal    bool // on the portal's pages: the way on is its members page
}

// When formats a time for people: UTC, to the minute.
func When(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// WhenPtr formats an optional time, "never" when absent.
func WhenPtr(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return When(*t)
}

type csrfKey struct{}

// WithCSRF returns a context carrying the CSRF token every form sends.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// csrfToken is the token WithCSRF put in ctx.
func csrfToken(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey{}).(string)
	return s
}

// csrfHeaders is the hx-headers value that makes htmx send the token.
func csrfHeaders(ctx context.Context) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": csrfToken(ctx)})
	return string(b)
}

// htmxConfig makes htmx swap 422 answers (a form shown again with its
// errors) into the form's target, show other errors as the whole page,
// keep no page snapshots in the browser's storage (they could hold a key's
// secret) and inject no inline styles (the content security policy allows
// none).
const htmxConfig = `{"includeIndicatorStyles":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},` +
	`{"code":"[45]..","swap":true,"error":true,"target":"body","swapOverride":"innerHTML","select":"#page"}]}`

// navItem is an entry of the header's navigation.
type navItem struct{ key, label, href string }

var nav = []navItem{
	{"accounts", "Accounts", "/accounts"},
	{"team", "Team", "/team"},
	{"roles", "Roles", "/roles"},
	{"api-keys", "API keys", "/api-keys"},
	{"webhooks", "Webhooks", "/webhooks"},
	{"activity", "Activity", "/activity"},
}
