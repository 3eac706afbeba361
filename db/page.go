package db

// Page asks for one page of a keyset-paginated list: at most Limit rows
// after the row whose id is After.
type Page struct {
	Limit int
	After string
}

// fetch is how many rows to read: one more than the limit tells whether
// another page follows.
func (p Page) fetch() int { return p.Limit + 1 }

// Trim cuts a fetched list to the page's limit and tells whether more
// follow and the cursor of the next page.
func Trim[T any](rows []T, p Page, id func(T) string) (page []T, hasMore bool, next string) {
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		return rows, true, id(rows[len(rows)-1])
	}
	return rows, false, ""
}
