package views

import (
	"net/url"
	"strconv"

	"github.com/a-h/templ"

	"roster/db"
)

// MaxImportRows is the most members one import takes.
const MaxImportRows = 1000

// ImportPage is the import of members from a CSV file: the form, then the
// preview of what importing it would do row by row (with the button that
// imports it), then the report of what the import did.
type ImportPage struct {
	Account db.Account
	Base    string // the members page's path: /accounts/{id}, or /portal
	Form    Form   // the field "csv" (the pasted text) and the problems of the file as a whole
	CSV     string // the file previewed, which the import form sends again
	Rows    []ImportRow
	Done    bool // Rows are what the import did, not what it would do
}

// ImportRow is one member of the file: the row it is on (the header is
// row 1), who, and what happens to them.
type ImportRow struct {
	Row   int
	Email string
	OK    bool
	Says  string // "Will invite as Member", "Invited as Member", or why not
}

// Succeeding is how many rows are (or would be) imported.
func (p ImportPage) Succeeding() int {
	n := 0
	for _, r := range p.Rows {
		if r.OK {
			n++
		}
	}
	return n
}

// Refused is how many rows are (or would be) refused.
func (p ImportPage) Refused() int { return len(p.Rows) - p.Succeeding() }

// importPath is the path of an import's action ("import" or
// "import/preview") under the members page.
func (p ImportPage) importPath(action string) string { return p.Base + "/" + action }

// importButton is the label of the button that imports the previewed file.
func (p ImportPage) importButton() string { return "Import " + members(p.Succeeding()) }

// members counts people: "1 member", "12 members".
func members(n int) string {
	if n == 1 {
		return "1 member"
	}
	return strconv.Itoa(n) + " members"
}

// exportURL is the CSV of the members the page's filters show.
func (p MembersPage) exportURL() string {
	q := url.Values{}
	for k, v := range map[string]string{"status": p.Filter.Status, "role": p.Filter.Role, "q": p.Filter.Q} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u := p.Table.Base + "/members.csv"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// fileAria ties the file input to its hint and to the problem of the
// file, which is said once, under the pasted rows (field "csv"), for
// both ways of giving the file.
func fileAria(f Form) templ.Attributes {
	ids := []string{hintID("field-import-file")}
	if f.Err("csv") == "" {
		return describedBy(ids...)
	}
	a := describedBy(append(ids, errorID("field-import-csv"))...)
	a["aria-invalid"] = "true"
	return a
}
