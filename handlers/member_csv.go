package handlers

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"roster/db"
	"roster/views"
)

// The members CSV: what an import reads and an export writes. An export
// has the columns of an import and then status and created_at, so that an
// exported file can be imported again (its extra columns are ignored).
var (
	importColumns = []string{"email", "name", "role", "permissions"}
	exportColumns = append(append([]string{}, importColumns...), "status", "created_at")
)

// maxImportRows is the most members one import takes.
const maxImportRows = views.MaxImportRows

// permissionSeparator separates the keys of the permissions column.
const permissionSeparator = ";"

// importRow is one member of an import: the row of the file it is on
// (the header is row 1, as a spreadsheet numbers it) and what it asks for.
type importRow struct {
	Row         int
	Email       string
	Name        string
	Role        string
	Permissions []string
}

// fileProblem is what is wrong with a members CSV as a whole, in a
// sentence for the person: nothing of the file is imported.
type fileProblem string

func (p fileProblem) Error() string { return string(p) }

// refuseFile is a fileProblem said with fmt.Sprintf's format and args.
func refuseFile(format string, args ...any) error {
	return fileProblem(fmt.Sprintf(format, args...))
}

// The problems of a file without members.
var (
	errNoRows   error = fileProblem("The file is empty: its first row names the columns (email, name, role, permissions), one member on each row after it.")
	errNoEmail  error = fileProblem("The first row must name the columns, and one of them must be email: email,name,role,permissions.")
	errNoMember error = fileProblem("The file names its columns but has no member: add one member on each row after the first.")
)

// readImport reads a members CSV: a header row naming the columns (any
// order, any case; email required, status and created_at ignored), then
// at most maxImportRows members. Rows with every cell empty are skipped.
// An error refuses the whole file, in words for the person.
func readImport(r io.Reader) ([]importRow, error) {
	cr := csv.NewReader(stripBOM(r))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errNoRows
	}
	if err != nil {
		return nil, csvProblem(err)
	}
	cols, err := columnsOf(header)
	if err != nil {
		return nil, err
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvProblem(err)
		}
		if blank(rec) {
			continue
		}
		if len(rows) == maxImportRows {
			return nil, refuseFile("The file has more than %d members: import at most %d at once, in several files. Nothing was imported.", maxImportRows, maxImportRows)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, rowOf(line, rec, cols))
	}
	if len(rows) == 0 {
		return nil, errNoMember
	}
	return rows, nil
}

// stripBOM drops the byte order mark spreadsheets put before UTF-8 text.
func stripBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	return br
}

// csvProblem says what is wrong with a file that is not CSV, and where.
func csvProblem(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return refuseFile("Row %d is not valid CSV (%v): put a cell that holds commas or quotes in double quotes, and double the quotes inside it.", pe.StartLine, pe.Err)
	}
	return refuseFile("The file could not be read as CSV: %v.", err)
}

// columnsOf maps the header's column names to their positions.
func columnsOf(header []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(unescapeCell(name)))
		_, twice := cols[name]
		switch {
		case name == "status" || name == "created_at" || name == "":
		case !slices.Contains(importColumns, name):
			return nil, refuseFile("The first row names a column %q this import does not know: the columns are email, name, role and permissions.", name)
		case twice:
			return nil, refuseFile("The first row names the column %s twice.", name)
		default:
			cols[name] = i
		}
	}
	if _, ok := cols["email"]; !ok {
		return nil, errNoEmail
	}
	return cols, nil
}

// rowOf is the member of a row of the file.
func rowOf(line int, rec []string, cols map[string]int) importRow {
	cell := func(name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(unescapeCell(strings.TrimSpace(rec[i])))
		}
		return ""
	}
	r := importRow{Row: line, Email: cell("email"), Name: cell("name"), Role: cell("role")}
	for _, k := range strings.Split(cell("permissions"), permissionSeparator) {
		if k = strings.TrimSpace(k); k != "" {
			r.Permissions = append(r.Permissions, k)
		}
	}
	return r
}

// blank reports whether every cell of a row is empty.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (or hide it): an export puts an apostrophe before
// them, which spreadsheets show as text, and an import takes it off.
const formulaStarts = "=+-@\t\r"

// formulaLike reports whether v, after any apostrophes it starts with,
// starts like a formula: the cells escapeCell escapes, so that a value
// that starts with an apostrophe of its own comes back as it was.
func formulaLike(v string) bool {
	v = strings.TrimLeft(v, "'")
	return v != "" && strings.ContainsRune(formulaStarts, rune(v[0]))
}

// escapeCell defends a cell against CSV (formula) injection.
func escapeCell(v string) string {
	if formulaLike(v) {
		return "'" + v
	}
	return v
}

// unescapeCell takes off the apostrophe escapeCell put on.
func unescapeCell(v string) string {
	if strings.HasPrefix(v, "'") && formulaLike(v) {
		return v[1:]
	}
	return v
}

// exportRecord is a membership as a row of an export.
func exportRecord(m db.Membership) []string {
	rec := []string{m.User.Email, m.User.Name, m.Role.Slug, strings.Join(m.Permissions, permissionSeparator),
		m.Status, m.CreatedAt.UTC().Format(time.RFC3339)}
	for i, v := range rec {
		rec[i] = escapeCell(v)
	}
	return rec
}
