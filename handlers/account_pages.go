package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// AccountPages serves the console's accounts page.
type AccountPages struct {
	*Console
	Store AccountStore
}

// consolePageSize is how many rows a console list shows at once.
const consolePageSize = 20

var accountLabels = labels{"name": "The name"}

// List answers GET /accounts: the mode's accounts, oldest first, whose
// name starts with q.
func (h *AccountPages) List(c *fiber.Ctx) error {
	return h.list(c, fiber.StatusOK, views.Form{})
}

func (h *AccountPages) list(c *fiber.Ctx, status int, f views.Form) error {
	p := PrincipalOf(c)
	q := strings.TrimSpace(c.Query("q"))
	page := db.Page{Limit: consolePageSize, After: c.Query("after")}
	rows, err := h.Store.ListAccounts(ctx(c), p.Scope, q, page)
	if err != nil {
		return err
	}
	rows, more, next := db.Trim(rows, page, func(a db.Account) string { return a.ID })
	v := views.AccountsPage{Live: p.Scope.Live, Query: q, Accounts: rows, CanCreate: p.MayChange(), Form: f}
	v.FirstURL, v.NextURL = pageURLs("/accounts", url.Values{"q": {q}}, page.After, more, next)
	return h.render(c, status, "Accounts", "accounts", views.Accounts(v))
}

// Create answers POST /accounts.
func (h *AccountPages) Create(c *fiber.Ctx) error {
	f := formOf(c, "name")
	a, err := h.Store.CreateAccount(ctx(c), PrincipalOf(c).Scope, db.AccountInput{Name: f.Value("name")})
	if f, ok := refused(f, err, accountLabels); ok {
		return h.list(c, statusFormErrors, f)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Created the account “"+a.Name+"”: invite its first members.")
	return Redirect(c, "/accounts/"+a.ID)
}

// pageURLs are the links of a keyset-paginated list at path with the
// filters q: the first page unless on it, the next one when there is one.
func pageURLs(path string, q url.Values, after string, more bool, next string) (first, nextURL string) {
	for k, vs := range q {
		if len(vs) == 0 || vs[0] == "" {
			delete(q, k)
		}
	}
	withQuery := func(q url.Values) string {
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	if after != "" {
		first = withQuery(q)
	}
	if more {
		q.Set("after", next)
		nextURL = withQuery(q)
	}
	return first, nextURL
}
