package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"sort"
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

// Error is a domain error: what went wrong in the words of the API
// (its type, e.g. "membership.last_owner"), a sentence for people, and
// details that name the offending ids or fields.
type Error struct {
	Kind    Kind
	Type    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string {
	if e.Kind != KindInvalid {
		return e.Message
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %v", k, e.Details[k])
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// NotFound is the error for a missing entity ("account", "membership", …);
// its type is "<entity>.not_found".
func NotFound(entity, id string) *Error {
	label := strings.ReplaceAll(entity, "_", " ")
	return &Error{
		Kind:    KindNotFound,
		Type:    entity + ".not_found",
		Message: strings.ToUpper(label[:1]) + label[1:] + " not found",
		Details: map[string]any{"id": id},
	}
}

// Conflict is the error for a change a rule of the domain refuses.
func Conflict(typ, message string, details map[string]any) *Error {
	return &Error{Kind: KindConflict, Type: typ, Message: message, Details: details}
}

// Invalid is a validation error naming each bad field and why.
func Invalid(fields map[string]string) *Error {
	d := make(map[string]any, len(fields))
	for k, v := range fields {
		d[k] = v
	}
	return &Error{Kind: KindInvalid, Type: "validation_error", Message: "The request is invalid", Details: d}
}

// Forbidden is the error for a caller who may not do what it asked.
func Forbidden(message string, details map[string]any) *Error {
	return &Error{Kind: KindForbidden, Type: "forbidden", Message: message, Details: details}
}

// ErrStale is returned when an If-Match version no longer matches.
var ErrStale = &Error{Kind: KindPrecondition, Type: "precondition_failed", Message: "The resource has changed since you read it"}

// As returns the domain error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsType reports whether err is a domain error of the given type.
func IsType(err error, typ string) bool {
	e, ok := As(err)
	return ok && e.Type == typ
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
	if _, ok := As(err); ok {
		return err
	}
	return fmt.Errorf("db: "+format+": %w", append(args, err)...)
}
