package handlers

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"roster/db"
	"roster/views"
)

// MemberStore is what an account's members page needs of the database:
// it changes memberships through the API's own store.
type MemberStore interface {
	MembershipStore
	RevokeInvitation(ctx context.Context, sc db.Scope, ref db.MembershipRef, ifMatch db.IfMatch) error
	Account(ctx context.Context, sc db.Scope, id string) (db.Account, error)
	ListRoles(ctx context.Context, wsID string) ([]db.Role, error)
	ListPermissions(ctx context.Context, wsID string) ([]db.Permission, error)
	ListStaff(ctx context.Context, wsID string, page db.Page) ([]db.StaffMember, error)
	StaffOfAccount(ctx context.Context, sc db.Scope, accountID string, page db.Page) ([]db.StaffStatus, error)
	InvitationLinks(ctx context.Context, sc db.Scope, membershipIDs []string) (map[string]string, error)
}

// MemberPages serves an account's members page (GET /accounts/{id}) and
// the forms on it.
type MemberPages struct {
	*Console
	Store     MemberStore
	AcceptURL func(token string) string // the link an invitation token is accepted at
}

// membersPageSize is how many members the table shows at once.
const membersPageSize = 50

// memberList is the state of the members table a request comes from: the
// account, the filters and the page. Every form on the page returns to it.
type memberList struct {
	accountID string
	base      string // the members page's path: /accounts/{id}, or /portal
	filter    views.MemberFilter
	after     string
}

// listOf reads the table's state from the query; a form posted with htmx
// reads it from the page it was sent from, whose table may have been
// filtered in place since the form was rendered.
func listOf(c *fiber.Ctx) memberList {
	l := memberList{accountID: pageAccount(c), base: views.MembersBase(c.Params("id"))}
	if PrincipalOf(c).Portal != nil {
		l.base = PortalHome
	}
	q := url.Values{}
	for k, v := range c.Context().QueryArgs().All() {
		q.Add(string(k), string(v))
	}
	if c.Method() == fiber.MethodPost && isHTMX(c) {
		if u, err := url.Parse(c.Get(HeaderHXCurrentURL)); err == nil && u.Path == l.base {
			q = u.Query()
		}
	}
	l.filter = views.MemberFilter{Status: q.Get("status"), Role: strings.TrimSpace(q.Get("role")), Q: strings.TrimSpace(q.Get("q"))}
	if !slices.Contains(db.MembershipStatuses, l.filter.Status) {
		l.filter.Status = ""
	}
	l.after = q.Get("after")
	return l
}

// values are the list's filters as query parameters.
func (l memberList) values() url.Values {
	return url.Values{"status": {l.filter.Status}, "role": {l.filter.Role}, "q": {l.filter.Q}}
}

// query is the list's state as a query string, "" when it has none.
func (l memberList) query() string {
	q := url.Values{}
	for k, vs := range l.values() {
		if vs[0] != "" {
			q[k] = vs
		}
	}
	if l.after != "" {
		q.Set("after", l.after)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// url is the members page the list's state shows.
func (l memberList) url() string { return l.base + l.query() }

// pageAccount is the account of a members page's request: the path's, or
// in the portal the one its session was granted.
func pageAccount(c *fiber.Ctx) string {
	if pa := PrincipalOf(c).Portal; pa != nil {
		return pa.Visit.Grant.AccountID
	}
	return c.Params("id")
}

// pageState is what an action leaves on the page it shows again: a row's
// kept form, or the outcome of an invite or a link.
type pageState struct {
	row    *views.MemberRow
	invite views.AddForm
	link   views.AddForm
}

// List answers GET /accounts/{id}: a page of the account's members, oldest
// first, filtered by status, role and the start of an email or name.
func (h *MemberPages) List(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, pageState{})
}

// show renders the members page of the request's list state. The page's
// independent reads (the account, its members, the roles, the catalog, the
// team) run at once: on PostgreSQL each is a round trip.
func (h *MemberPages) show(c *fiber.Ctx, status int, st pageState) error {
	p, l, cx := PrincipalOf(c), listOf(c), ctx(c)
	page := db.Page{Limit: membersPageSize, After: l.after}
	var (
		acct  db.Account
		ms    []db.Membership
		t     views.MemberTable
		staff []views.LinkCandidate
	)
	g, gctx := errgroup.WithContext(cx)
	g.Go(func() (err error) { acct, err = h.Store.Account(gctx, p.Scope, l.accountID); return err })
	g.Go(func() (err error) {
		ms, err = h.Store.ListMemberships(gctx, p.Scope, l.accountID, db.MembershipFilter{Status: l.filter.Status, Role: l.filter.Role, Q: l.filter.Q}, page)
		return err
	})
	t = h.tableHead(p, l)
	g.Go(func() (err error) { t.Roles, err = h.Store.ListRoles(gctx, p.Scope.WorkspaceID); return err })
	g.Go(func() (err error) { t.Catalog, err = h.Store.ListPermissions(gctx, p.Scope.WorkspaceID); return err })
	if p.MayChange() && p.Portal == nil {
		g.Go(func() (err error) { staff, err = h.linkable(gctx, p.Scope, l.accountID); return err })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	ms, more, next := db.Trim(ms, page, func(m db.Membership) string { return m.ID })
	rows, err := h.rows(c, ms, st.row)
	if err != nil {
		return err
	}
	v := views.MembersPage{Account: acct, Filter: l.filter, Table: t, Rows: rows, Invite: st.invite, Link: st.link, Staff: staff}
	v.FirstURL, v.NextURL = pageURLs(l.base, l.values(), l.after, more, next)
	if t.CanWrite {
		v.Invite.Form = withDefaultRole(v.Invite.Form, t.Roles)
		v.Link.Form = withDefaultRole(v.Link.Form, t.Roles)
	}
	return h.render(c, status, acct.Name, "accounts", views.Members(v))
}

// table is what every row needs: the workspace's roles and catalog, and
// whether the signed-in person may change things.
func (h *MemberPages) table(c *fiber.Ctx, l memberList) (views.MemberTable, error) {
	p := PrincipalOf(c)
	t := h.tableHead(p, l)
	var err error
	if t.Roles, err = h.Store.ListRoles(ctx(c), p.Scope.WorkspaceID); err != nil {
		return t, err
	}
	t.Catalog, err = h.Store.ListPermissions(ctx(c), p.Scope.WorkspaceID)
	return t, err
}

// tableHead is a table without its roles and catalog.
func (h *MemberPages) tableHead(p Principal, l memberList) views.MemberTable {
	t := views.MemberTable{AccountID: l.accountID, Base: l.base, Query: l.query(), CanWrite: p.MayChange(), Now: time.Now()}
	if pa := p.Portal; pa != nil {
		m := pa.Membership
		t.Member = &views.MemberViewer{MembershipID: m.ID, Owner: m.IsOwner(), Holds: m.EffectivePermissions}
	}
	return t
}

// rows are the page's memberships with their invitation links (one query
// for the page), and the row just acted on in place of its own, or first
// when the page does not hold it, so that its message is seen.
func (h *MemberPages) rows(c *fiber.Ctx, ms []db.Membership, edited *views.MemberRow) ([]views.MemberRow, error) {
	var invited []string
	for _, m := range ms {
		if m.Status == db.StatusInvited {
			invited = append(invited, m.ID)
		}
	}
	links, err := h.Store.InvitationLinks(ctx(c), PrincipalOf(c).Scope, invited)
	if err != nil {
		return nil, err
	}
	rows := make([]views.MemberRow, 0, len(ms)+1)
	found := edited == nil
	for _, m := range ms {
		r := views.MemberRow{Member: m, Link: links[m.ID]}
		if edited != nil && m.ID == edited.Member.ID {
			r, found = *edited, true
			r.Link = links[m.ID]
		}
		rows = append(rows, r)
	}
	if !found {
		rows = append([]views.MemberRow{*edited}, rows...)
	}
	return rows, nil
}

// linkable are the team members who are not active members of the account.
func (h *MemberPages) linkable(cx context.Context, sc db.Scope, accountID string) ([]views.LinkCandidate, error) {
	staff, err := h.Store.StaffOfAccount(cx, sc, accountID, allStaff)
	if err != nil {
		return nil, err
	}
	var out []views.LinkCandidate
	for _, s := range staff {
		if s.Status != db.StatusActive {
			out = append(out, views.LinkCandidate{Staff: s.StaffMember, Invited: s.Status == db.StatusInvited})
		}
	}
	return out, nil
}

// withDefaultRole preselects the workspace's default role in a form that
// has no role yet.
func withDefaultRole(f views.Form, roles []db.Role) views.Form {
	if f.Values == nil {
		f.Values = map[string]string{}
	}
	if f.Values["role"] != "" {
		return f
	}
	for _, r := range roles {
		if r.IsDefault {
			f.Values["role"] = r.Slug
		}
	}
	return f
}
