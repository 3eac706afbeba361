package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// ImportStore is what importing members needs of the database: every row
// is checked and invited by the bulk API's own store; a preview runs the
// whole file in one transaction that it rolls back.
type ImportStore interface {
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
	Bulk(ctx context.Context, sc db.Scope, accountID string, ops []db.BulkOp, opt db.BulkOptions) ([]db.BulkItem, error)
	WithTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// MemberImports serves the import of members from a CSV file on an
// account's members page (/accounts/{id}/import, and /portal/import): the
// form, the preview (a dry run of the whole file) and the import.
type MemberImports struct {
	*Console
	Store     ImportStore
	AcceptURL func(token string) string // the link an invitation token is accepted at
}

// importBatch is how many rows go to the store at once: the most one bulk
// request takes.
const importBatch = db.MaxBulkOperations

// errPreviewed rolls back the transaction of a preview.
var errPreviewed = errors.New("handlers: import previewed, rolled back")

// Form answers GET /accounts/{id}/import: the import's form on a page of
// its own.
func (h *MemberImports) Form(c *fiber.Ctx) error {
	if err := mayImport(PrincipalOf(c)); err != nil {
		return err
	}
	return h.show(c, fiber.StatusOK, views.ImportPage{})
}

// Preview answers POST /accounts/{id}/import/preview: what importing the
// file would do, row by row, with nothing written.
func (h *MemberImports) Preview(c *fiber.Ctx) error { return h.run(c, true) }

// Import answers POST /accounts/{id}/import: the file the preview showed,
// read and checked again row by row (nothing of the preview is trusted),
// each row invited on its own, and the report of what was done.
func (h *MemberImports) Import(c *fiber.Ctx) error { return h.run(c, false) }

// run reads the posted file and previews or imports it; a file that
// cannot be imported as a whole is shown again on the form.
func (h *MemberImports) run(c *fiber.Ctx, dryRun bool) error {
	if err := mayImport(PrincipalOf(c)); err != nil {
		return err
	}
	text, pasted, err := postedCSV(c)
	f := views.Form{Values: map[string]string{"csv": pasted}, Errors: map[string]string{}}
	var rows []importRow
	if err == nil {
		rows, err = readImport(strings.NewReader(text))
	}
	var problem fileProblem
	if errors.As(err, &problem) {
		f.Errors["csv"] = problem.Error()
		return h.show(c, statusFormErrors, views.ImportPage{Form: f})
	}
	if err != nil {
		return err
	}
	out, err := h.invite(c, rows, dryRun)
	if err != nil {
		return err
	}
	return h.show(c, fiber.StatusOK, views.ImportPage{CSV: text, Rows: out, Done: !dryRun})
}

// show renders the import page of the request's account.
func (h *MemberImports) show(c *fiber.Ctx, status int, v views.ImportPage) error {
	l := listOf(c)
	acct, err := h.Store.Account(ctx(c), PrincipalOf(c).Scope, l.accountID)
	if err != nil {
		return err
	}
	v.Account, v.Base = acct, l.base
	return h.render(c, status, "Import members: "+acct.Name, "accounts", views.Import(v))
}

// mayImport refuses an import to whoever the members page offers none:
// support staff (the routes refuse them too) and a portal member without
// members.manage. The store checks every row again.
func mayImport(p Principal) error {
	if p.MayChange() {
		return nil
	}
	if p.Portal != nil {
		return db.ErrForbidden.Saying("This needs the permission " + db.PermMembersManage + " in the account").
			With(map[string]any{"required_permission": db.PermMembersManage})
	}
	return db.ErrForbidden.Saying("Support staff may read members but not import them")
}

// postedCSV is the file of the form: the one chosen, else the rows
// pasted (also what the import form sends back), and the pasted text to
// show again.
func postedCSV(c *fiber.Ctx) (text, pasted string, err error) {
	pasted = c.FormValue("csv")
	text = strings.Clone(pasted)
	if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
		if text, err = uploaded(fh); err != nil {
			return "", pasted, err
		}
	}
	switch {
	case strings.TrimSpace(text) == "":
		return "", pasted, fileProblem("Choose a CSV file, or paste its rows.")
	case !utf8.ValidString(text):
		return "", pasted, fileProblem("The file is not UTF-8 text: save it as \"CSV UTF-8\" and choose it again.")
	}
	return text, pasted, nil
}

// uploaded is the content of an uploaded file.
func uploaded(fh *multipart.FileHeader) (string, error) {
	file, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("handlers: open the uploaded file: %w", err)
	}
	defer file.Close()
	b, err := io.ReadAll(file)
	if err != nil {
		return "", fmt.Errorf("handlers: read the uploaded file: %w", err)
	}
	return string(b), nil
}

// invite sends the rows to the store in batches, as invitations, and
// says what became of each. The same email twice in the file (compared as
// emails are everywhere) is refused after its first row, across batches
// as the store refuses it within one.
//
// A preview (dryRun) runs the batches as the import would, in one
// transaction that it then rolls back: each batch sees what the ones
// before it would have done (the seat limit, a member invited by an
// earlier row), and nothing is kept, sent or recorded. The import runs
// each batch in its own transaction (db.Bulk's), each row on its own.
func (h *MemberImports) invite(c *fiber.Ctx, rows []importRow, dryRun bool) ([]views.ImportRow, error) {
	out := make([]views.ImportRow, len(rows))
	first := map[string]int{}
	var ops []db.BulkOp
	var at []int // the row of each op
	for i, r := range rows {
		out[i] = views.ImportRow{Row: r.Row, Email: r.Email}
		email := db.FoldEmail(r.Email)
		if was, twice := first[email]; twice && email != "" {
			out[i].Says = fmt.Sprintf("The same email as row %d: only that row is imported.", was)
			continue
		}
		first[email] = r.Row
		ops = append(ops, db.BulkOp{Op: db.BulkInvite, Email: r.Email, Name: r.Name, Role: r.Role, Permissions: r.Permissions, SendEmail: true})
		at = append(at, i)
	}
	p, l := PrincipalOf(c), listOf(c)
	run := func(cx context.Context) error {
		for start := 0; start < len(ops); start += importBatch {
			end := min(start+importBatch, len(ops))
			items, err := h.Store.Bulk(cx, p.Scope, l.accountID, ops[start:end], db.BulkOptions{AcceptURL: h.AcceptURL})
			if err != nil {
				return err
			}
			for _, it := range items {
				r := &out[at[start+it.Index]]
				if r.OK, r.Says, err = outcome(it, ops[start+it.Index], dryRun); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if !dryRun {
		return out, run(ctx(c))
	}
	err := h.Store.WithTx(ctx(c), func(cx context.Context) error {
		if err := run(cx); err != nil {
			return err
		}
		return errPreviewed
	})
	if errors.Is(err, errPreviewed) {
		err = nil
	}
	return out, err
}

// outcome says what became of one row: invited (or would be), or why not.
// An error that is no refusal of the row is returned.
func outcome(it db.BulkItem, op db.BulkOp, dryRun bool) (bool, string, error) {
	if it.Err == nil {
		role := ""
		if it.Membership != nil {
			role = " as " + it.Membership.Role.Name
		}
		if dryRun {
			return true, "Will invite" + role, nil
		}
		return true, "Invited" + role, nil
	}
	f, ok := refused(views.Form{}, it.Err, importLabels, importSays(it.Err, op)...)
	if !ok {
		return false, "", it.Err
	}
	return false, gathered(f, "row").Errors["row"], nil
}

// importLabels name the columns in the sentences that say what is wrong
// with a row.
var importLabels = labels{"email": "The email", "name": "The name", "role": "", "permissions": ""}

// importSays are the import's own words for the refusals of a row.
func importSays(err error, op db.BulkOp) []saying {
	return append(forbiddenSays(err, ""),
		saying{db.ErrAlreadyMember, "", "Already a member of this account"},
		saying{db.ErrUnknownRole, "", fmt.Sprintf("The workspace has no role with the slug %s: use one of its roles, or leave it empty for the default role", op.Role)})
}
