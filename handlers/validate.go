package handlers

import (
	"net/mail"
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
