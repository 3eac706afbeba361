package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// exportPageSize is how many members an export reads at a time: it holds
// one page in memory, never the whole account.
const exportPageSize = 100

// exportFilename is the name an export is saved under: fixed, so that
// nothing a person typed reaches a header.
const exportFilename = "members.csv"

// Export answers GET /accounts/{id}/members.csv (and /portal/members.csv):
// the members the page's filters show, as CSV (exportColumns), oldest
// first. The first page is read before anything is sent, so that an
// account not found or a reader not allowed gets its error page; the rest
// is streamed page by page.
func (h *MemberPages) Export(c *fiber.Ctx) error {
	p, l, cx := PrincipalOf(c), listOf(c), ctx(c)
	filter := db.MembershipFilter{Status: l.filter.Status, Role: l.filter.Role, Q: l.filter.Q}
	next := func(after string) ([]db.Membership, bool, string, error) {
		page := db.Page{Limit: exportPageSize, After: after}
		ms, err := h.Store.ListMemberships(cx, p.Scope, l.accountID, filter, page)
		ms, more, cursor := db.Trim(ms, page, func(m db.Membership) string { return m.ID })
		return ms, more, cursor, err
	}
	first, more, cursor, err := next("")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+exportFilename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		streamExport(cx, w, first, more, cursor, next)
	})
	return nil
}

// streamExport writes the header, the first page and every page after
// it. A page that cannot be read ends the file with a row saying so,
// which the person sees where the members stop.
func streamExport(cx context.Context, w *bufio.Writer, ms []db.Membership, more bool, cursor string,
	next func(after string) ([]db.Membership, bool, string, error)) {
	out := csv.NewWriter(w)
	_ = out.Write(exportColumns)
	for {
		for _, m := range ms {
			_ = out.Write(exportRecord(m))
		}
		out.Flush()
		if !more || out.Error() != nil || w.Flush() != nil {
			return
		}
		var err error
		if ms, more, cursor, err = next(cursor); err != nil {
			slog.ErrorContext(cx, "export members", slog.String("request_id", db.RequestID(cx)), slog.Any("error", err))
			_ = out.Write([]string{"The export stopped here because of an error: download it again."})
			out.Flush()
			return
		}
	}
}
