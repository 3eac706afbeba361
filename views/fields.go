package views

import (
	"strings"

	"github.com/a-h/templ"
)

// input is a text input of a form (textField): the field's name, its
// label, its type ("text" when ""), a placeholder, a hint shown under it
// (a rule it must follow), its autocomplete token, whether it is required,
// and its id, "field-" + name unless set.
type input struct {
	id, name, label, kind, placeholder, hint, autocomplete string
	required                                               bool
}

// controlID is the input's id.
func (in input) controlID() string {
	if in.id != "" {
		return in.id
	}
	return "field-" + in.name
}

// typ is the input's type.
func (in input) typ() string {
	if in.kind == "" {
		return "text"
	}
	return in.kind
}

// errorID is the id of the message that says what is wrong with the
// control id: one convention for every control of the console.
func errorID(control string) string { return control + "-error" }

// hintID is the id of the hint (a rule, an explanation) under the control
// id.
func hintID(control string) string { return control + "-hint" }

// aria ties the control id to what describes it: its hint (when hint) and
// the message of its error (when err is not ""), which also marks it
// invalid. It is the console's one way to say so to assistive technology.
func aria(id, err string, hint bool) templ.Attributes {
	var ids []string
	if hint {
		ids = append(ids, hintID(id))
	}
	if err != "" {
		ids = append(ids, errorID(id))
	}
	a := describedBy(ids...)
	if err != "" {
		a["aria-invalid"] = "true"
	}
	return a
}

// describedBy points a control to the elements with the ids, which
// describe it; no attribute when there are none.
func describedBy(ids ...string) templ.Attributes {
	if len(ids) == 0 {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-describedby": strings.Join(ids, " ")}
}

// swaps makes a form or link of htmx replace the element target (an id
// selector, "#…") with the element of the same id in the answer: the
// console's one way to update part of a page.
func swaps(target string) templ.Attributes {
	return templ.Attributes{"hx-target": target, "hx-select": target, "hx-swap": "outerHTML"}
}
