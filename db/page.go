package db

import (
	"strconv"
	"strings"
)

// Page asks for one page of a keyset-paginated list: at most Limit rows
// after the row whose id is After.
type Page struct {
	Limit int
	After string
}

// fetch is how many rows to read: one more than the limit tells whether
// another page follows.
func (p Page) fetch() int { return p.Limit + 1 }

// readSizes are the row counts a page of one account's rows reads: a
// page's fetch rounded up to one of them is written into the statement as a
// literal LIMIT (see accountKeyset.order).
var readSizes = []int{11, 26, 51, 101}

// rowsToRead is the page's fetch rounded up to a read size.
func (p Page) rowsToRead() int {
	for _, n := range readSizes {
		if p.fetch() <= n {
			return n
		}
	}
	return p.fetch()
}

// fetched cuts rows read with a keyset's LIMIT back to the page's fetch.
func fetched[T any](rows []T, p Page) []T {
	if len(rows) > p.fetch() {
		return rows[:p.fetch()]
	}
	return rows
}

// Trim cuts a fetched list to the page's limit and tells whether more
// follow and the cursor of the next page.
func Trim[T any](rows []T, p Page, id func(T) string) (page []T, hasMore bool, next string) {
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		return rows, true, id(rows[len(rows)-1])
	}
	return rows, false, ""
}

// accountKeyset frames a page of one account's rows of a table (alias),
// in the order of an index that starts with (account_id, then the fixed
// columns, then id): the rows of the account (and of the fixed columns'
// values) after the cursor, oldest first, or before it, newest first.
//
// The condition bounds the rows as a range of that index alone: a row
// comparison from the cursor ((account_id, …, id) > (?, …, ?)) and the
// account (and each fixed column) at most its value (at least, newest
// first), never "account_id = ?". With the account fixed by an equality,
// PostgreSQL reduces the order to id alone, which the primary key also
// gives, and may walk the primary key filtering by account, reading every
// row of the table after the cursor; as a range, only the index that
// starts with (account_id, …, id) gives the order, on every plan, custom
// or generic. The rows are the same: an account_id at most the account's
// and a row at least the cursor's is the account's.
type accountKeyset struct {
	alias  string
	fixed  []string // columns fixed to one value each, in the index's order
	newest bool     // newest first: before the cursor, in descending order
}

// where is the keyset's condition in the dialect, starting with " AND ";
// its arguments are those of args.
//
// SQLite, which keeps no statistics here, prefers any index it can match
// by equality (the workspace's) to a range of the account's, and sorts the
// workspace; and it does not take a row comparison that repeats a column
// it matches by equality as a range of the index (it scanned the account
// from its first row to a deep page). There the account and the fixed
// columns are equalities and the cursor a plain range on id, which only
// the account's index matches; SQLite does not reduce the order as
// PostgreSQL does (TestSQLiteListPlans).
func (k accountKeyset) where(d Dialect) string {
	cols := append(append([]string{"account_id"}, k.fixed...), "id")
	bound, cmp := " <= ?", " > "
	if k.newest {
		bound, cmp = " >= ?", " < "
	}
	var b strings.Builder
	if d == SQLite {
		for _, c := range cols[:len(cols)-1] {
			b.WriteString(" AND " + k.alias + "." + c + " = ?")
		}
		b.WriteString(" AND " + k.alias + ".id" + cmp + "?")
		return b.String()
	}
	for _, c := range cols[:len(cols)-1] {
		b.WriteString(" AND " + k.alias + "." + c + bound)
	}
	b.WriteString(" AND (" + k.alias + "." + strings.Join(cols, ", "+k.alias+".") + ")" + cmp + "(")
	b.WriteString(strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")")
	return b.String()
}

// args are the arguments of where in the dialect: the account and the
// fixed columns' values (twice on PostgreSQL, bound and row comparison),
// then the cursor ("" for the first page oldest first).
func (k accountKeyset) args(d Dialect, accountID string, values []any, cursor string) []any {
	bounds := append([]any{accountID}, values...)
	if d == Postgres {
		bounds = append(bounds, bounds...)
	}
	return append(bounds, cursor)
}

// order is the keyset's ORDER BY and the LIMIT of the page, as a literal:
// PostgreSQL plans a LIMIT parameter as a tenth of the rows, and a generic
// plan made for that many rows may sort the whole account where 51 rows
// of its index were the answer. The page's fetch is rounded up to one of
// readSizes, so that the statements stay few; fetched cuts the rows back.
func (k accountKeyset) order(page Page) string {
	cols := append(append([]string{"account_id"}, k.fixed...), "id")
	dir := ""
	if k.newest {
		dir = " DESC"
	}
	return " ORDER BY " + k.alias + "." + strings.Join(cols, dir+", "+k.alias+".") + dir +
		" LIMIT " + strconv.Itoa(page.rowsToRead())
}
