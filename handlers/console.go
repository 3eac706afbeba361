package handlers

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// statusFormErrors is the status of a form shown again with its errors:
// htmx is configured to swap it like a success (see views.htmxConfig).
const statusFormErrors = fiber.StatusUnprocessableEntity

// Console is what every page handler shares: the session, and how pages
// are framed and answered.
type Console struct {
	Session *Session
	// CSRFToken is the token the forms of an answer must send back, bound
	// to the visitor's session.
	CSRFToken func(c *fiber.Ctx) (string, error)
	// Secure sends cookies over TLS only.
	Secure bool
}

// layout is the frame of a full page.
func (h *Console) layout(c *fiber.Ctx, title, nav string) views.Layout {
	l := views.Layout{Title: title, Nav: nav, Path: string(c.Request().RequestURI())}
	p := PrincipalOf(c)
	if pa := p.Portal; pa != nil {
		l.Live, l.Nav = p.Scope.Live, portalNav(nav)
		l.Portal = &views.PortalHeader{Workspace: pa.Visit.WorkspaceName, Account: pa.Visit.AccountName,
			Email: pa.Membership.User.Email, ReturnURL: pa.Visit.Grant.ReturnURL, ReturnLabel: pa.Visit.Grant.ReturnLabel}
		return l
	}
	if p.Credential == CredentialSession && p.Staff != nil {
		l.SignedIn = true
		l.UserEmail = p.Staff.User.Email
		l.Role = p.Staff.Role
		l.Live = p.Scope.Live
		who, _ := h.Session.SignedIn(c.UserContext())
		l.Workspace = who.WorkspaceName
	}
	return l
}

// portalNav is the portal's navigation entry for a console page's: the
// members pages are the portal's "members".
func portalNav(nav string) string {
	if nav == "accounts" {
		return "members"
	}
	return nav
}

// render answers with a page: only its content for an htmx fragment
// request, else the content in the frame, with the flash message left by
// the last action. It renders into a buffer first, so a failing component
// leaves no half page behind.
func (h *Console) render(c *fiber.Ctx, status int, title, nav string, content templ.Component) error {
	c.Vary(HeaderHXRequest)
	component := content
	if !isFragment(c) {
		l := h.layout(c, title, nav)
		l.Flash = h.Session.PopFlash(c.UserContext())
		component = views.Page(l, content)
	}
	return h.send(c, status, component)
}

// send renders component with the request's context and the CSRF token.
func (h *Console) send(c *fiber.Ctx, status int, component templ.Component) error {
	token, err := h.CSRFToken(c)
	if err != nil {
		return err
	}
	return h.write(c, status, component, token)
}

// write renders component with the request's context and the CSRF token.
func (h *Console) write(c *fiber.Ctx, status int, component templ.Component, token string) error {
	var buf bytes.Buffer
	if err := component.Render(views.WithCSRF(c.UserContext(), token), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Status(status).Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// ErrorPage answers with an error page, always whole: htmx shows it in
// place of the page (see views.htmxConfig).
func (h *Console) ErrorPage(c *fiber.Ctx, status int, title, message string) error {
	c.Vary(HeaderHXRequest)
	p := views.ErrorPage{Status: status, Title: title, Message: message, Portal: PrincipalOf(c).Portal != nil}
	if status >= 500 {
		p.RequestID = db.RequestID(c.UserContext())
	}
	// An error page is shown even when no CSRF token can be made (the
	// database is away, or the request never reached the console's
	// middleware); its forms are then refused, as they should be.
	token, _ := h.CSRFToken(c)
	return h.write(c, status, views.Page(h.layout(c, title, ""), views.Error(p)), token)
}

// flash leaves a message for the next page shown.
func (h *Console) flash(c *fiber.Ctx, message string) {
	h.Session.Flash(c.UserContext(), message)
}

// SetCookie is how the console sets its cookies: HttpOnly, SameSite=Lax,
// over TLS only when secure or when the request came over TLS, for path;
// kept for maxAge seconds, or with 0 for the browser's session. An empty
// value deletes the cookie.
func SetCookie(c *fiber.Ctx, name, value, path string, maxAge int, secure bool) {
	ck := &fiber.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge, SessionOnly: maxAge == 0,
		HTTPOnly: true, Secure: secure || ClientOf(c).HTTPS, SameSite: fiber.CookieSameSiteLaxMode,
	}
	if value == "" {
		ck.Expires, ck.MaxAge, ck.SessionOnly = time.Unix(1, 0), -1, false
	}
	c.Cookie(ck)
}

// Home is the console's first page, where a redirect to anywhere else
// than a path of this site goes instead.
const Home = "/accounts"

// SafePath returns to when it is a path of this site, else fallback: a
// sign-in or mode switch never sends anyone to another site, and nothing
// but a path reaches a response header. A path of this site starts with
// exactly one "/" (no "/" or "\" after it, even percent-encoded), has
// no scheme or host, and holds no control or whitespace character
// (browsers drop tabs and newlines, so "/\t/evil.example" would be
// "//evil.example"; CR and LF would end the header). Its bytes beyond
// ASCII come back percent-encoded.
func SafePath(to, fallback string) string {
	if !sitePath(to) {
		return fallback
	}
	var b strings.Builder
	for i := range len(to) {
		if to[i] >= utf8.RuneSelf {
			fmt.Fprintf(&b, "%%%02X", to[i])
		} else {
			b.WriteByte(to[i])
		}
	}
	return b.String()
}

// sitePath reports whether to is a path of this site (see SafePath).
func sitePath(to string) bool {
	if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") || strings.HasPrefix(to, "/\\") || !utf8.ValidString(to) {
		return false
	}
	u, err := url.Parse(to)
	return err == nil && u.Scheme == "" && u.Opaque == "" && u.User == nil && u.Host == "" &&
		!strings.HasPrefix(u.Path, "//") && !strings.Contains(u.Path, "\\") && printable(to) && printable(u.Path)
}

// printable reports whether s holds only printable characters other than
// spaces.
func printable(s string) bool {
	for _, r := range s {
		if r == ' ' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// formOf reads the named fields of a posted form, trimmed.
func formOf(c *fiber.Ctx, names ...string) views.Form {
	f := views.Form{Values: map[string]string{}, Multi: map[string][]string{}, Errors: map[string]string{}}
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(c.FormValue(n))
	}
	return f
}

// formMulti reads a field that may be sent several times (checkboxes).
// More than db.MaxListItems values is an error on the field (f.Invalid());
// the values are returned all the same, for the stores refuse them too.
func formMulti(c *fiber.Ctx, f views.Form, name string) []string {
	if n := len(c.Context().PostArgs().PeekMulti(name)); n > db.MaxListItems {
		f.Errors[name] = fmt.Sprintf("Choose at most %d.", db.MaxListItems)
	}
	var vs []string
	for _, v := range c.Context().PostArgs().PeekMulti(name) {
		vs = append(vs, string(v))
	}
	f.Multi[name] = vs
	return vs
}

// sortedKeys are the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// BackTo answers a GET of an address that only takes forms (a bookmark, or
// the address bar after a refused form without scripts) with the page the
// form belongs to, rather than a dead end.
func BackTo(page string) fiber.Handler {
	return func(c *fiber.Ctx) error { return Redirect(c, page) }
}
