package handlers

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"roster/db"
)

// fields collects per-field validation problems of one request.
type fields map[string]string

// err returns the validation error, or nil when every field is fine.
func (f fields) err() error {
	if len(f) == 0 {
		return nil
	}
	return db.Invalid(f)
}

// name trims *s and checks it is at most 200 characters (and present when
// required).
func (f fields) name(field string, s *string, required bool) {
	*s = strings.TrimSpace(*s)
	switch {
	case required && *s == "":
		f[field] = "is required"
	case utf8.RuneCountInString(*s) > 200:
		f[field] = "must be at most 200 characters"
	}
}

// email trims *s and checks it is one valid address of at most 254 characters.
func (f fields) email(field string, s *string, required bool) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		if required {
			f[field] = "is required"
		}
		return
	}
	if len(*s) > 254 {
		f[field] = "must be at most 254 characters"
		return
	}
	if a, err := mail.ParseAddress(*s); err != nil || a.Address != *s || !strings.Contains(a.Address[strings.LastIndex(a.Address, "@"):], ".") {
		f[field] = "must be an email address like name@example.com"
	}
}

// Shapes of the catalog's identifiers.
var (
	roleSlugPattern      = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	permissionKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)
)

// maxDescription is the most characters a description may have.
const maxDescription = 1000

// match trims *s and checks it is present and matches re, described by rule.
func (f fields) match(field string, s *string, re *regexp.Regexp, rule string) {
	*s = strings.TrimSpace(*s)
	switch {
	case *s == "":
		f[field] = "is required"
	case !re.MatchString(*s):
		f[field] = rule
	}
}

// description trims *s and checks it is at most maxDescription characters.
func (f fields) description(field string, s *string) {
	*s = strings.TrimSpace(*s)
	if utf8.RuneCountInString(*s) > maxDescription {
		f[field] = fmt.Sprintf("must be at most %d characters", maxDescription)
	}
}

// trimAll trims each string of xs in place.
func trimAll(xs []string) {
	for i := range xs {
		xs[i] = strings.TrimSpace(xs[i])
	}
}

// staffRole checks *s is a console role.
func (f fields) staffRole(field string, s *string) {
	*s = strings.TrimSpace(*s)
	switch {
	case *s == "":
		f[field] = "is required"
	case !slices.Contains(db.StaffRoles, *s):
		f[field] = "must be owner, admin or support"
	}
}
