package db

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The stores' input types and their field rules. Every surface (the API's
// JSON bodies, the console's forms, the command line's flags) fills one of
// these types and hands it to its store method, which calls Validate
// first: it trims the input in place and refuses, as one InvalidInput
// naming every bad field, what breaks a rule that the input alone decides
// (lengths, email syntax, slug and key patterns, the staff roles, the
// either-or of a new membership). The rules that need the database (the
// role exists, the permission is in the catalog, the last owner stays) are
// the stores', inside their transactions.

// AccountInput is what an account is created or renamed with.
type AccountInput struct {
	Name string
	// SeatLimit is a new account's seat limit (nil: unlimited); staff and
	// keys only, renaming ignores it.
	SeatLimit *int
}

// Validate trims the input and checks its fields.
func (in *AccountInput) Validate() error {
	f := fieldErrors{}
	f.name("name", &in.Name, true)
	f.seatLimit("seat_limit", in.SeatLimit)
	return f.err()
}

// NewMembership is what a membership is made from: either a workspace
// member to link (StaffID) or a person to invite (Email, with
// an optional Name).
type NewMembership struct {
	StaffID     string
	Email       string
	Name        string
	Role        string     // a role's slug or id; "" for the default role
	Permissions []string   // direct permissions; nil when not given
	SendEmail   bool       // queue the invitation email
	ExpiresAt   *time.Time // when the membership ends by itself; nil: never
	// AcceptURL makes the link an invitation token is accepted at.
	AcceptURL func(token string) string
}

// Validate trims the input, checks its fields, then the either-or of
// linking and inviting.
func (in *NewMembership) Validate() error {
	f := fieldErrors{}
	f.ref("workspace_membership_id", &in.StaffID)
	f.email("email", &in.Email, false)
	f.name("name", &in.Name, false)
	f.ref("role", &in.Role)
	if in.Permissions != nil {
		in.Permissions = f.list("permissions", in.Permissions)
	}
	if err := f.err(); err != nil {
		return err
	}
	const both = "give either email or workspace_membership_id, not both"
	const neither = "is required: give either email or workspace_membership_id"
	switch {
	case in.StaffID != "" && in.Email != "":
		return Invalid(map[string]string{"email": both, "workspace_membership_id": both})
	case in.StaffID == "" && in.Email == "":
		return Invalid(map[string]string{"email": neither, "workspace_membership_id": neither})
	case in.Name != "" && in.Email == "":
		return Invalid(map[string]string{"name": "is taken only with email: a linked member keeps their own name"})
	}
	return nil
}

// MembershipChange is a change of a membership's role and direct
// permissions: PUT sets Permissions, replacing them; PATCH adds and removes.
type MembershipChange struct {
	Role        string    // a role's slug or id; "" keeps the role
	Permissions *[]string // the new direct permissions; nil keeps them
	Add         []string  // direct permissions to add
	Remove      []string  // direct permissions to take away
	IfMatch     IfMatch   // the versions the caller expects
	Expiry      *Expiry   // a new expires_at; nil keeps it
}

// Expiry is a new expires_at of a membership: At, or none when At is nil.
type Expiry struct {
	At *time.Time
}

// Validate trims the change and checks its fields: lists of at most
// MaxListItems keys, none both added and removed.
func (in *MembershipChange) Validate() error {
	f := fieldErrors{}
	f.ref("role", &in.Role)
	if in.Permissions != nil {
		set := f.list("permissions", *in.Permissions)
		in.Permissions = &set
	}
	in.Add = f.list("add_permissions", in.Add)
	in.Remove = f.list("remove_permissions", in.Remove)
	if err := f.err(); err != nil {
		return err
	}
	if both := intersect(SortedUnique(in.Add), SortedUnique(in.Remove)); len(both) > 0 {
		return Invalid(map[string]string{"remove_permissions": "also in add_permissions: " + strings.Join(both, ", ")})
	}
	return nil
}

// MembershipFilter narrows a list of memberships; empty fields match
// everything. Role is a role's slug (or id); Q a prefix of the member's
// email or name, compared case-insensitively; UserID and Email name one
// person, whose memberships across accounts the list may then hold.
type MembershipFilter struct {
	Status string
	Role   string
	Q      string
	UserID string
	Email  string
	// ExpiresBefore keeps memberships whose expires_at is before it.
	ExpiresBefore *time.Time
}

// Validate checks the status and the email asked for.
func (in *MembershipFilter) Validate() error {
	f := fieldErrors{}
	if in.Status != "" && !slices.Contains(MembershipStatuses, in.Status) {
		f["status"] = "must be invited, active, inactive or expired"
	}
	f.ref("user_id", &in.UserID)
	f.email("email", &in.Email, false)
	return f.err()
}

// acrossAccounts reports whether the filter names a person, whose
// memberships a list may hold without naming an account.
func (in MembershipFilter) acrossAccounts() bool { return in.UserID != "" || in.Email != "" }

// Acceptance is what accepts an invitation: its token and, optionally, the
// name the invited person goes by.
type Acceptance struct {
	Token string
	Name  string
}

// Validate trims the input and checks its fields.
func (in *Acceptance) Validate() error {
	f := fieldErrors{}
	f.required("token", &in.Token)
	f.name("name", &in.Name, false)
	return f.err()
}

// NewRole is a role to create.
type NewRole struct {
	Slug        string
	Name        string
	Description string
	Permissions []string
	IsDefault   bool
}

// Validate trims the role's fields and checks them.
func (in *NewRole) Validate() error {
	f := fieldErrors{}
	f.match("slug", &in.Slug, roleSlugPattern, roleSlugRule)
	f.name("name", &in.Name, true)
	f.description("description", &in.Description)
	in.Permissions = f.list("permissions", in.Permissions)
	return f.err()
}

// RolePatch changes some of a role's fields; nil fields stay as they are.
type RolePatch struct {
	Name        *string
	Description *string
	Permissions *[]string
	IsDefault   *bool
}

// Validate trims the fields given and checks them.
func (in *RolePatch) Validate() error {
	f := fieldErrors{}
	if in.Name != nil {
		name := *in.Name
		f.name("name", &name, true)
		in.Name = &name
	}
	if in.Description != nil {
		description := *in.Description
		f.description("description", &description)
		in.Description = &description
	}
	if in.Permissions != nil {
		keys := f.list("permissions", *in.Permissions)
		in.Permissions = &keys
	}
	return f.err()
}

// NewPermission is a key to add to the permission catalog.
type NewPermission struct {
	Key         string
	Description string
}

// Validate trims the permission's fields and checks them.
func (in *NewPermission) Validate() error {
	f := fieldErrors{}
	f.match("key", &in.Key, permissionKeyPattern, permissionKeyRule)
	f.description("description", &in.Description)
	return f.err()
}

// NewStaff is a person to put on a workspace's staff: found by email (or
// created, with the name, when new), with a console role and, from the
// command line, a console password.
type NewStaff struct {
	Email    string
	Name     string
	Role     string
	Password string // "" leaves the person's password as it is
	// JoinURL, when set, makes the link to join the staff of a token: a
	// person added without a password, who has none, is emailed one to
	// set it (inviteStaff).
	JoinURL func(token string) string
}

// Validate trims the input and checks its fields.
func (in *NewStaff) Validate() error {
	f := fieldErrors{}
	f.email("email", &in.Email, true)
	f.name("name", &in.Name, false)
	f.staffRole("role", &in.Role)
	f.password("password", in.Password, false)
	return f.err()
}

// StaffChange is a staff member's new console role.
type StaffChange struct {
	Role string
}

// Validate trims the role and checks it is a console role.
func (in *StaffChange) Validate() error {
	f := fieldErrors{}
	f.staffRole("role", &in.Role)
	return f.err()
}

// NewAPIKey is a key to create: its kind, a name to recognise it by, and
// for a secret key the scopes it is limited to (none: all of them).
type NewAPIKey struct {
	Kind   string
	Name   string
	Scopes []string
}

// Validate trims the input and checks its fields: a known kind, known
// scopes, and none on a publishable key.
func (in *NewAPIKey) Validate() error {
	f := fieldErrors{}
	if in.Kind = strings.TrimSpace(in.Kind); in.Kind != KeySecret && in.Kind != KeyPublishable {
		f["kind"] = "must be secret or publishable"
	}
	f.name("name", &in.Name, false)
	in.Scopes = f.list("scopes", in.Scopes)
	if _, bad := f["scopes"]; !bad {
		for _, sc := range in.Scopes {
			if !slices.Contains(Scopes, sc) {
				f["scopes"] = "include the unknown scope " + sc
				break
			}
		}
	}
	if len(in.Scopes) > 0 && in.Kind == KeyPublishable {
		f["scopes"] = "publishable keys take no scopes"
	}
	return f.err()
}

// NewWorkspace is what Bootstrap makes a workspace from: its name and its
// first owner's email and console password. Its fields are named as the
// command line's flags: workspace, email, password.
type NewWorkspace struct {
	Name     string
	Email    string
	Password string
}

// Validate trims the input and checks its fields.
func (in *NewWorkspace) Validate() error {
	f := fieldErrors{}
	f.name("workspace", &in.Name, true)
	f.email("email", &in.Email, true)
	f.password("password", in.Password, true)
	return f.err()
}

// The field rules.

// MaxListItems is the most entries one list of an input may hold (the
// permissions of a membership or a role, those to add or remove, a key's
// scopes): past it the input is refused naming the list. Every list a
// query takes as parameters is bounded by it.
const MaxListItems = 500

// The longest texts the rules allow.
const (
	maxName        = 200  // characters of a name
	maxEmail       = 254  // bytes of an email address
	maxDescription = 1000 // characters of a description
	minPassword    = 8    // characters of a console password, at least
	maxPassword    = 72   // bytes of a console password: bcrypt reads no more
)

// Shapes of the catalog's identifiers, and the rules as people read them.
var (
	roleSlugPattern      = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	permissionKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)
)

const (
	roleSlugRule      = "must be a lower-case letter followed by up to 39 lower-case letters, digits, '_' or '-'"
	permissionKeyRule = "must be a lower-case letter followed by up to 63 lower-case letters, digits, '_', '.', ':' or '-'"
)

// fieldErrors collects why each bad field of one input is refused.
type fieldErrors map[string]string

// err is the InvalidInput of the fields collected, or nil when there is none.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f)
}

// text trims *s and reports whether it is text that a database stores as
// it is: UTF-8 without the NUL character.
func (f fieldErrors) text(field string, s *string) bool {
	*s = strings.TrimSpace(*s)
	if !utf8.ValidString(*s) || strings.ContainsRune(*s, 0) {
		f[field] = "must be UTF-8 text without the NUL character"
		return false
	}
	return true
}

// ref trims *s, the id or slug of something the input names.
func (f fieldErrors) ref(field string, s *string) { f.text(field, s) }

// required trims *s and checks it is present.
func (f fieldErrors) required(field string, s *string) {
	if f.text(field, s) && *s == "" {
		f[field] = "is required"
	}
}

// name trims *s and checks it is at most maxName characters (and present
// when required).
func (f fieldErrors) name(field string, s *string, required bool) {
	switch {
	case !f.text(field, s):
	case required && *s == "":
		f[field] = "is required"
	case utf8.RuneCountInString(*s) > maxName:
		f[field] = fmt.Sprintf("must be at most %d characters", maxName)
	}
}

// email trims *s and checks it is one valid address of at most maxEmail
// bytes (and present when required).
func (f fieldErrors) email(field string, s *string, required bool) {
	switch {
	case !f.text(field, s):
	case *s == "" && required:
		f[field] = "is required"
	case *s == "":
	case len(*s) > maxEmail:
		f[field] = fmt.Sprintf("must be at most %d characters", maxEmail)
	case !isEmail(*s):
		f[field] = "must be an email address like name@example.com"
	}
}

// isEmail reports whether s is exactly one address, with a dot in its domain.
func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

// match trims *s and checks it is present and matches re, described by rule.
func (f fieldErrors) match(field string, s *string, re *regexp.Regexp, rule string) {
	switch {
	case !f.text(field, s):
	case *s == "":
		f[field] = "is required"
	case !re.MatchString(*s):
		f[field] = rule
	}
}

// description trims *s and checks it is at most maxDescription characters.
func (f fieldErrors) description(field string, s *string) {
	if f.text(field, s) && utf8.RuneCountInString(*s) > maxDescription {
		f[field] = fmt.Sprintf("must be at most %d characters", maxDescription)
	}
}

// staffRole trims *s and checks it is a console role.
func (f fieldErrors) staffRole(field string, s *string) {
	switch {
	case !f.text(field, s):
	case *s == "":
		f[field] = "is required"
	case !slices.Contains(StaffRoles, *s):
		f[field] = "must be owner, admin or support"
	}
}

// password checks a console password (never trimmed): at least
// minPassword characters, at most maxPassword bytes; "" passes when it
// is not required.
func (f fieldErrors) password(field, s string, required bool) {
	switch {
	case s == "" && !required:
	case utf8.RuneCountInString(s) < minPassword:
		f[field] = fmt.Sprintf("must be at least %d characters", minPassword)
	case len(s) > maxPassword:
		f[field] = fmt.Sprintf("must be at most %d bytes", maxPassword)
	}
}

// list checks a list holds at most MaxListItems entries (as sent) and
// returns a copy with each entry trimmed; nil stays nil.
func (f fieldErrors) list(field string, xs []string) []string {
	if len(xs) > MaxListItems {
		f[field] = fmt.Sprintf("must hold at most %d entries", MaxListItems)
		return xs
	}
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		if !f.text(field, &x) {
			return xs
		}
		out[i] = x
	}
	return out
}

// AuthorizationQuestion asks whether a person (UserID or Email, exactly
// one) holds every one of Permissions in an account: POST /v1/authorize.
// Field names the input's list as the caller gave it ("permission" or
// "permissions"), for the errors.
type AuthorizationQuestion struct {
	AccountID   string
	UserID      string
	Email       string
	Permissions []string
	Field       string
}

// Validate trims the input and checks its fields.
func (in *AuthorizationQuestion) Validate() error {
	f := fieldErrors{}
	f.required("account_id", &in.AccountID)
	f.person(&in.UserID, &in.Email)
	if in.Field == "" {
		in.Field = "permissions"
	}
	in.Permissions = f.list(in.Field, in.Permissions)
	if len(in.Permissions) == 0 && f[in.Field] == "" {
		f[in.Field] = "is required: name at least one permission key"
	}
	for i := range in.Permissions {
		if f[in.Field] == "" {
			f.match(in.Field, &in.Permissions[i], permissionKeyPattern, permissionKeyRule)
		}
	}
	in.Permissions = SortedUnique(in.Permissions)
	return f.err()
}

// person checks the either-or of a user id and an email that name one
// person.
func (f fieldErrors) person(userID, email *string) {
	f.ref("user_id", userID)
	f.email("email", email, false)
	switch {
	case *userID == "" && *email == "" && f["email"] == "":
		f["user_id"] = "or email is required"
	case *userID != "" && *email != "":
		f["user_id"], f["email"] = "give user_id or email, not both", "give user_id or email, not both"
	}
}

// NewPortalSession asks for a link to the hosted members page for a
// person (UserID or Email, exactly one) of an account: ReturnURL, when
// set, is where its link back goes (https, or http on a loopback host),
// ReturnLabel its words ("Back" when empty). URL makes the link of a token.
type NewPortalSession struct {
	AccountID   string
	UserID      string
	Email       string
	ReturnURL   string
	ReturnLabel string
	URL         func(token string) string
}

// maxReturnURL is the longest return_url accepted, in bytes.
const maxReturnURL = 2048

// Validate trims the input, checks its fields and fills the default label.
func (in *NewPortalSession) Validate() error {
	f := fieldErrors{}
	f.required("account_id", &in.AccountID)
	f.person(&in.UserID, &in.Email)
	if f.text("return_url", &in.ReturnURL) && in.ReturnURL != "" && !isReturnURL(in.ReturnURL) {
		f["return_url"] = "must be an absolute https:// URL (http:// only on a loopback host such as localhost)"
	}
	f.name("return_label", &in.ReturnLabel, false)
	if in.ReturnLabel == "" {
		in.ReturnLabel = "Back"
	}
	return f.err()
}

// isReturnURL reports whether s is an absolute https URL, or an http URL
// of a loopback host, of at most maxReturnURL bytes.
func isReturnURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || len(s) > maxReturnURL || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
	}
	return false
}
