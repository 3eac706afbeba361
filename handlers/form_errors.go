package handlers

import (
	"errors"
	"strings"

	"roster/db"
	"roster/views"
)

// The console's one translator of the stores' refusals into what a form
// shows: a message next to each field at fault, and one for the form as a
// whole.

// labels name a form's fields in the sentences that say what is wrong
// with them: "name" → "The name" gives "The name is required."; a field
// labelled "" is told by its reason alone ("Not in the permission
// catalog: x.").
type labels map[string]string

// saying is a form's own words for one refusal, in place of the store's:
// when errors.Is(err, refusal), says goes next to field ("" for the form as
// a whole).
type saying struct {
	refusal error
	field   string
	says    string
}

// refused puts a refusal of the stores on the form f, and reports whether
// it was one the person can do something about; any other error (a thing
// not found, a failure) is left to the error handler, which answers with
// an error page.
//
// A refusal the form has its own words for (own) is said in them. An
// invalid input puts each field's reason next to the field, after its
// label, or above the form for a field the form does not show. Any other
// refusal (a rule of the domain, a rule the caller may not break, a stale
// version) is said next to the field its details name, or above the form.
func refused(f views.Form, err error, fields labels, own ...saying) (views.Form, bool) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	for _, o := range own {
		if errors.Is(err, o.refusal) {
			return said(f, o.field, o.says), true
		}
	}
	var inv *db.InvalidInput
	if errors.As(err, &inv) {
		for _, field := range sortedKeys(inv.Fields) {
			reason := inv.Fields[field]
			label, shown := fields[field]
			switch {
			case !shown:
				f = said(f, "", capitalize(field)+" "+reason)
			case label == "":
				f = said(f, field, capitalize(reason))
			default:
				f = said(f, field, label+" "+reason)
			}
		}
		return f, true
	}
	var e *db.Error
	if !errors.As(err, &e) || e.Kind == db.KindNotFound {
		return f, false
	}
	for _, field := range sortedKeys(e.Details) {
		if _, shown := fields[field]; shown {
			return said(f, field, e.Message), true
		}
	}
	return said(f, "", e.Message), true
}

// said is f with msg, as a sentence, next to field ("" for the form as a
// whole), after what is said there already.
func said(f views.Form, field, msg string) views.Form {
	msg = strings.TrimSuffix(msg, ".") + "."
	if field == "" {
		f.Error = strings.TrimSpace(f.Error + " " + msg)
	} else {
		f.Errors[field] = strings.TrimSpace(f.Errors[field] + " " + msg)
	}
	return f
}

// gathered is f with every message it holds in one, next to field: a row
// of a table shows one message, next to the action that failed.
func gathered(f views.Form, field string) views.Form {
	var all []string
	if f.Error != "" {
		all = append(all, f.Error)
	}
	for _, k := range sortedKeys(f.Errors) {
		all = append(all, f.Errors[k])
	}
	f.Error, f.Errors = "", map[string]string{field: strings.Join(all, " ")}
	return f
}
