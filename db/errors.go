package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Kind sorts domain errors into the few answers a caller can give.
type Kind int

// The kinds of domain error.
const (
	KindNotFound     Kind = iota + 1 // the thing does not exist in the caller's scope
	KindConflict                     // a rule of the domain refuses the change
	KindInvalid                      // the input is malformed or breaks a field rule
	KindForbidden                    // the caller may not do this
	KindPrecondition                 // the caller's version is stale
)

// Error is a domain error: what went wrong in the words of the API (its
// type, e.g. "membership.last_owner"), a sentence for people, and details
// that name the offending ids or fields. Each type is declared once, as
// one of the Err… values below; the stores return those values or copies
// of them with details (With, For) or another sentence (Saying), and
// errors.Is matches a copy with the value it was made from: an Error is
// another when their types are the same.
type Error struct {
	Kind    Kind
	Type    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return e.Message }

// Is reports whether target is a domain error of e's type.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Type == e.Type
}

// With returns a copy of e whose details are details.
func (e *Error) With(details map[string]any) *Error {
	c := *e
	c.Details = details
	return &c
}

// For returns a copy of e about the thing with this id.
func (e *Error) For(id string) *Error { return e.With(map[string]any{"id": id}) }

// Saying returns a copy of e with another sentence for people.
func (e *Error) Saying(message string) *Error {
	c := *e
	c.Message = message
	return &c
}

// Things not found in the caller's scope (404).
var (
	ErrAccountNotFound    = notFound("account.not_found", "Account not found")
	ErrMembershipNotFound = notFound("membership.not_found", "Membership not found")
	ErrStaffNotFound      = notFound("workspace_membership.not_found", "Workspace membership not found")
	ErrRoleNotFound       = notFound("role.not_found", "Role not found")
	ErrPermissionNotFound = notFound("permission.not_found", "Permission not found")
	ErrWorkspaceNotFound  = notFound("workspace.not_found", "Workspace not found")
	ErrAPIKeyNotFound     = notFound("api_key.not_found", "API key not found")
	ErrEventNotFound      = notFound("event.not_found", "Event not found")
	ErrUserNotFound       = notFound("user.not_found", "User not found")
	// ErrInvitationNotFound answers every token that cannot be accepted
	// (used, revoked, expired or unknown) alike, and never repeats the
	// token.
	ErrInvitationNotFound = notFound("invitation.not_found",
		"Invitation not found: the link was already used, revoked or has expired")
	// ErrPortalLinkNotFound answers every portal link that cannot be used
	// (used, expired or unknown) alike, and never repeats the token.
	ErrPortalLinkNotFound = notFound("portal_session.not_found", "This link has expired or was already used: ask for a new one")
)

// Changes a rule of the domain refuses (409).
var (
	ErrAlreadyMember          = conflict("membership.already_exists", "This person is already a member of the account")
	ErrLastOwner              = conflict("membership.last_owner", "An account keeps at least one active owner: make someone else owner first")
	ErrNotInvited             = conflict("membership.not_invited", "Only an invited membership has an invitation to resend")
	ErrPermissionExists       = conflict("permission.already_exists", "The catalog already has this permission")
	ErrPermissionSystem       = conflict("permission.system", "Roster itself relies on this permission: it stays in every workspace's catalog")
	ErrPermissionInUse        = conflict("permission.in_use", "Roles or members hold this permission: take it from them first")
	ErrRoleExists             = conflict("role.already_exists", "A role with this slug already exists")
	ErrRolePermanent          = conflict("role.permanent", "The owner role cannot be deleted")
	ErrRoleIsDefault          = conflict("role.is_default", "The default role cannot be deleted: make another role the default first")
	ErrRoleInUse              = conflict("role.in_use", "Members hold this role: give them another role first")
	ErrAlreadyStaff           = conflict("workspace_membership.already_exists", "This person is already on the workspace's staff")
	ErrLastStaffOwner         = conflict("workspace_membership.last_owner", "The workspace's last owner stays: make someone else owner first")
	ErrWorkspaceExists        = conflict("workspace.exists", "A workspace of that name already exists")
	ErrKeyInactive            = conflict("api_key.inactive", "This key is revoked or expired; create a new one instead")
	ErrIdempotencyKeyConflict = conflict("idempotency.conflict", "This Idempotency-Key was used with another request; use a new key for a new request")
)

// ErrForbidden refuses a caller who may not do what it asked (403); its
// copies say why.
var ErrForbidden = &Error{Kind: KindForbidden, Type: "forbidden", Message: "You are not allowed to do this"}

// ErrStaffOnly refuses a member principal what only the workspace's staff
// (and its keys) may do (details.reason staff_only, see member.go).
var ErrStaffOnly = ErrForbidden.Saying("Only the workspace's staff may do this").With(map[string]any{"reason": ReasonStaffOnly})

// errNotAllowed refuses a portal link for someone who may not read the
// account's members there.
var errNotAllowed = ErrForbidden.Saying("This person is not an active member of the account holding members.read").
	With(map[string]any{"reason": "not_allowed"})

// ErrStale is returned when an If-Match version no longer matches (412).
var ErrStale = &Error{Kind: KindPrecondition, Type: "precondition_failed", Message: "The resource has changed since you read it"}

// ErrInvalid is the type of every InvalidInput (400): an InvalidInput
// unwraps to it, with its fields as details.
var ErrInvalid = &Error{Kind: KindInvalid, Type: "validation_error", Message: "The request is invalid"}

func notFound(typ, message string) *Error {
	return &Error{Kind: KindNotFound, Type: typ, Message: message}
}

func conflict(typ, message string) *Error {
	return &Error{Kind: KindConflict, Type: typ, Message: message}
}

// InvalidInput is input the stores refuse for what its fields hold: for
// each field (as the API names it), why, in words that follow its name
// ("email": "must be an email address like name@example.com"). It is one
// error for all of an input's bad fields. errors.Is(err, ErrInvalid)
// holds for it, and errors.As finds it as an *Error of ErrInvalid's type
// whose details are the fields: what the API answers.
type InvalidInput struct {
	Fields map[string]string
}

// Invalid is the error of input whose fields break the field rules.
func Invalid(fields map[string]string) *InvalidInput { return &InvalidInput{Fields: fields} }

// ErrUnknownRole refuses a role named in the input that the workspace
// does not have: a bad field (400 naming it), for a role the path names is
// ErrRoleNotFound (404). It is matched by errors.Is.
var ErrUnknownRole = Invalid(map[string]string{"role": "is not a role of the workspace: give the slug or id of one"})

// Error names each bad field and why, in the order of their names.
func (e *InvalidInput) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, field := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, field+" "+e.Fields[field])
	}
	return ErrInvalid.Message + ": " + strings.Join(parts, "; ")
}

// Unwrap is ErrInvalid with the fields as its details.
func (e *InvalidInput) Unwrap() error {
	details := make(map[string]any, len(e.Fields))
	for k, v := range e.Fields {
		details[k] = v
	}
	return ErrInvalid.With(details)
}

// IsUnavailable reports whether err means the database cannot be reached,
// as opposed to a query that failed.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P: operator intervention
		// (shutdown); 57014: the statement was cancelled, which lib/pq
		// asks for when the request's deadline passes.
		return strings.HasPrefix(string(pe.Code), "08") || strings.HasPrefix(string(pe.Code), "57P") || pe.Code == "57014"
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "bad connection") ||
		strings.Contains(msg, "database is locked")
}

// isUniqueViolation reports whether err is a unique-constraint violation.
func isUniqueViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isForeignKeyViolation reports whether err is a foreign-key violation.
func isForeignKeyViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// violatedConstraint is the name of the constraint a PostgreSQL error
// names, or "": SQLite's errors name none.
func violatedConstraint(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Constraint
	}
	return ""
}

// wrap adds what was being done to an error that is not a domain error.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("db: "+format+": %w", append(args, err)...)
}
