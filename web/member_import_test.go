package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"mime/multipart"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// csvRows parses an export, failing the test unless it is a CSV file
// download with the export's header.
func csvRows(t *testing.T, p page) [][]string {
	t.Helper()
	p.Expect(t, 200)
	if ct := p.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := p.Header.Get("Content-Disposition"); cd != `attachment; filename="members.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, p.Body)
	}
	if want := []string{"email", "name", "role", "permissions", "status", "created_at"}; !slices.Equal(recs[0], want) {
		t.Fatalf("header %v, want %v", recs[0], want)
	}
	return recs[1:]
}

// signedIn is a browser signed in as a new staff member with the role.
func (f membersFixture) signedIn(t *testing.T, email, role string) *browser {
	t.Helper()
	staffWithPassword(t, f.db, f.ws, email, role, "staff password 1")
	b := f.browser()
	b.SignIn(email, "staff password 1")
	return b
}

// emailsOf are the first cells of an export's rows.
func emailsOf(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

// TestMembersExport: the members page's export is the CSV of the members
// its filters show, oldest first, every page of them; cells a spreadsheet
// would run as formulas are escaped; support staff may export, another
// mode's account is not found, and the portal exports its own account.
func TestMembersExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		f.addMember(f.sk, f.acct, `{"email":"ana@example.com","name":"=HYPERLINK(\"http://evil.example\")","role":"admin","send_email":false}`)
		f.addMember(f.sk, f.acct, `{"email":"ben@example.com","name":"+1 ben","permissions":["billing.manage","billing.read"],"send_email":false}`)
		f.addMember(f.sk, f.acct, `{"email":"cy@example.com","name":"@cy","send_email":false}`)

		f.b.Get(f.page).Has(t, `href="`+f.page+`/members.csv"`, "Export all members as CSV")
		rows := csvRows(t, f.b.Get(f.page+"/members.csv"))
		if got := emailsOf(rows); !slices.Equal(got, []string{"ana@example.com", "ben@example.com", "cy@example.com"}) {
			t.Fatalf("exported %v", got)
		}
		if rows[0][1] != `'=HYPERLINK("http://evil.example")` || rows[1][1] != "'+1 ben" || rows[2][1] != "'@cy" {
			t.Fatalf("formulas not escaped: %q", rows)
		}
		if rows[0][2] != "admin" || rows[1][2] != "member" || rows[1][3] != "billing.manage;billing.read" || rows[1][4] != "invited" ||
			!strings.HasSuffix(rows[1][5], "Z") {
			t.Fatalf("row %q", rows[1])
		}

		// The filters of the page: its link carries them.
		f.b.Get(f.page+"?role=admin").Has(t, `href="`+f.page+`/members.csv?role=admin"`, "Export the members shown as CSV")
		if got := emailsOf(csvRows(t, f.b.Get(f.page+"/members.csv?role=admin"))); !slices.Equal(got, []string{"ana@example.com"}) {
			t.Fatalf("role=admin exported %v", got)
		}
		if got := emailsOf(csvRows(t, f.b.Get(f.page+"/members.csv?q=BEN"))); !slices.Equal(got, []string{"ben@example.com"}) {
			t.Fatalf("q=BEN exported %v", got)
		}
		if got := emailsOf(csvRows(t, f.b.Get(f.page+"/members.csv?status=active"))); len(got) != 0 {
			t.Fatalf("status=active exported %v", got)
		}

		// Every page, each member once, in order.
		var want []string
		for _, r := range rows {
			want = append(want, r[0])
		}
		for i := range 230 {
			email := fmt.Sprintf("m%03d@example.com", i)
			if _, _, err := d.CreateMembership(context.Background(), f.ws.Live(), f.acct, db.NewMembership{Email: email}); err != nil {
				t.Fatal(err)
			}
			want = append(want, email)
		}
		if got := emailsOf(csvRows(t, f.b.Get(f.page+"/members.csv"))); !slices.Equal(got, want) {
			t.Fatalf("exported %d members, want %d", len(got), len(want))
		}

		// Support staff read, so they export; another mode's account is not found.
		sue := f.signedIn(t, "sue@acme.example", db.RoleSupport)
		if got := csvRows(t, sue.Get(f.page+"/members.csv?role=admin")); len(got) != 1 {
			t.Fatalf("support exported %v", got)
		}
		testAcct := f.createAccount(f.key(false, db.KeySecret), "Test shop")
		f.b.Get("/accounts/"+testAcct+"/members.csv").Expect(t, 404)
		f.browser().Get(f.page+"/members.csv").Expect(t, 303)
	})
}

// TestPortalExport: a portal member exports their own account's members.
func TestPortalExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newMemberFixture(t, e)
		reader, _ := e.inPortal(t, f, "pia@members.example")
		reader.Get("/portal").Has(t, `href="/portal/members.csv"`)
		got := emailsOf(csvRows(t, reader.Get("/portal/members.csv")))
		if !slices.Equal(got, []string{"olga@members.example", "adam@members.example", "pia@members.example", "ivy@members.example"}) {
			t.Fatalf("the portal exported %v", got)
		}
		if got := emailsOf(csvRows(t, reader.Get("/portal/members.csv?status=invited"))); !slices.Equal(got, []string{"ivy@members.example"}) {
			t.Fatalf("the portal exported %v", got)
		}
	})
}

// sendFile posts a CSV file as the import form's file field, as a
// browser does (multipart), with the CSRF token of the last page read.
func sendFile(b *browser, path, content string) page {
	b.T.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", b.CSRF)
	fw, _ := w.CreateFormFile("file", "members.csv")
	_, _ = fw.Write([]byte(content))
	_ = w.WriteField("csv", "")
	_ = w.Close()
	return b.Send("POST", path, &body, "Content-Type", w.FormDataContentType())
}

// memberCount is how many memberships the account has.
func memberCount(t *testing.T, d *db.DB, sc db.Scope, acct string) int {
	t.Helper()
	ms, err := d.ListMemberships(context.Background(), sc, acct, db.MembershipFilter{}, db.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

// eventCount is how many events the account has.
func eventCount(t *testing.T, d *db.DB, sc db.Scope, acct string) int {
	t.Helper()
	evs, err := d.ListEvents(context.Background(), sc, db.EventFilter{AccountID: acct}, db.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// importWithBadRows is a file with good rows and a row of each kind of
// refusal (taken@example.com is a member already).
const importWithBadRows = "Email,Name,Role,Permissions\r\n" +
	"ana@example.com,Ana,admin,\r\n" +
	"not-an-email,Bad,member,\r\n" +
	"ben@example.com,Ben,nope,\r\n" +
	"cy@example.com,Cy,member,billing.read;no.such\r\n" +
	"\r\n" +
	"Ana@Example.com,Again,member,\r\n" +
	"taken@example.com,,member,\r\n" +
	"dee@example.com,'=cmd,,billing.manage; billing.read\r\n"

// TestMembersImport: the preview says row by row what the import would
// do and writes nothing; the import checks the file again, invites the
// good rows and reports the bad ones by their row number; a file of more
// than 1,000 members, or without its header, is refused whole.
func TestMembersImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		f.invited("taken@example.com")
		events := eventCount(t, d, f.ws.Live(), f.acct)
		f.b.Get(f.page).Has(t, "Import from CSV…", `action="`+f.page+`/import/preview"`, `enctype="multipart/form-data"`)

		p := sendFile(f.b, f.page+"/import/preview", importWithBadRows).Expect(t, 200)
		p.Has(t, "Preview: nothing is imported yet", "2 members will be invited.", "5 of the rows would be refused",
			"<td>2</td><td class=\"mono\">ana@example.com</td><td><span class=\"status active\">Will invite as Admin</span>",
			"<td>3</td><td class=\"mono\">not-an-email</td><td><span class=\"field-error\">The email must be",
			"<td>4</td><td class=\"mono\">ben@example.com</td><td><span class=\"field-error\">The workspace has no role with the slug nope",
			"<td>5</td><td class=\"mono\">cy@example.com</td><td><span class=\"field-error\">Not in the permission catalog: no.such.",
			"<td>7</td><td class=\"mono\">Ana@Example.com</td><td><span class=\"field-error\">The same email as row 2: only that row is imported.",
			"<td>8</td><td class=\"mono\">taken@example.com</td><td><span class=\"field-error\">Already a member of this account.",
			"<td>9</td><td class=\"mono\">dee@example.com</td><td><span class=\"status active\">Will invite as Member",
			`action="`+f.page+`/import"`, "Import 2 members")
		if n, evs := memberCount(t, d, f.ws.Live(), f.acct), eventCount(t, d, f.ws.Live(), f.acct); n != 1 || evs != events {
			t.Fatalf("the preview wrote: %d members, %d events (%d before)", n, evs, events)
		}
		sent := webtestHidden(t, p.Body, "csv")
		if sent != strings.ReplaceAll(importWithBadRows, "\r\n", "\n") && sent != importWithBadRows {
			t.Fatalf("the import form carries %q", sent)
		}

		r := f.b.Post(f.page+"/import", url.Values{"csv": {sent}}).Expect(t, 200)
		r.Has(t, "Imported 2 members", "5 of the rows were refused",
			"<td>2</td><td class=\"mono\">ana@example.com</td><td><span class=\"status active\">Invited as Admin",
			"<td>3</td><td class=\"mono\">not-an-email</td><td><span class=\"field-error\">The email must be",
			"<td>9</td><td class=\"mono\">dee@example.com</td><td><span class=\"status active\">Invited as Member")
		ms, err := d.ListMemberships(context.Background(), f.ws.Live(), f.acct, db.MembershipFilter{}, db.Page{Limit: 10})
		if err != nil || len(ms) != 3 {
			t.Fatalf("imported %+v, %v", ms, err)
		}
		if ana, dee := ms[1], ms[2]; ana.User.Email != "ana@example.com" || ana.Role.Slug != "admin" || ana.User.Name != "Ana" ||
			dee.User.Email != "dee@example.com" || dee.Role.Slug != "member" || dee.User.Name != "=cmd" ||
			!slices.Equal(dee.Permissions, []string{"billing.manage", "billing.read"}) || dee.Status != db.StatusInvited {
			t.Fatalf("imported %+v and %+v", ms[1], ms[2])
		}
		if _, err := d.InvitationEmail(context.Background(), f.ws.Live(), ms[2].ID); err != nil {
			t.Fatalf("an imported member got no email: %v", err)
		}

		// Nothing of the preview is trusted: the import reads the file again.
		f.b.Post(f.page+"/import", url.Values{"csv": {"email,role\nana@example.com,member\neve@example.com,owner\n"}}).Expect(t, 200).
			Has(t, "Imported 1 member", "Already a member of this account.", "Invited as Owner")

		// Refused whole: nothing is imported.
		var many strings.Builder
		many.WriteString("email\n")
		for i := range 1001 {
			fmt.Fprintf(&many, "x%04d@example.com\n", i)
		}
		for _, path := range []string{"/import/preview", "/import"} {
			f.b.Post(f.page+path, url.Values{"csv": {many.String()}}).Expect(t, 422).
				Has(t, "The file has more than 1000 members: import at most 1000 at once", `aria-invalid="true"`)
		}
		if n := memberCount(t, d, f.ws.Live(), f.acct); n != 4 {
			t.Fatalf("1,001 rows: %d members", n)
		}
		refusals := map[string]string{
			"":                             "Choose a CSV file, or paste its rows.",
			"ana@example.com,Ana\n":        "The first row names a column &#34;ana@example.com&#34; this import does not know",
			"name,role\nAna,member\n":      "one of them must be email",
			"email\n":                      "has no member",
			"email,email\na@example.com\n": "names the column email twice",
			"email\n\"a@example.com\n":     "Row 2 is not valid CSV",
		}
		for text, says := range refusals {
			f.b.Post(f.page+"/import/preview", url.Values{"csv": {text}}).Expect(t, 422).Has(t, says, "Preview the import")
		}
		sendFile(f.b, f.page+"/import/preview", "email\n\xff@example.com\n").Expect(t, 422).Has(t, "not UTF-8")
		// An export imports again: its status and created_at are ignored.
		export := f.b.Get(f.page + "/members.csv").Body
		f.b.Get(f.page)
		sendFile(f.b, f.page+"/import/preview", export).Expect(t, 200).Has(t, "0 members will be invited.", "No row of this file can be imported.").
			Lacks(t, "Import 0 members")
	})
}

// webtestHidden is the value of the hidden input name of a page.
func webtestHidden(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input type="hidden" name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden %s in the page", name)
	}
	return html.UnescapeString(m[1])
}

// TestMembersImportAuthorization: support staff may not import (no form,
// 403 forged); a portal member needs members.manage, and imports within
// their own limits, row by row.
func TestMembersImportAuthorization(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		sue := f.signedIn(t, "sue@acme.example", db.RoleSupport)
		sue.Get(f.page).Lacks(t, "Import from CSV")
		sue.Get(f.page+"/import").Expect(t, 403)
		for _, path := range []string{"/import/preview", "/import"} {
			sue.Post(f.page+path, url.Values{"csv": {"email\nzed@example.com\n"}}).Expect(t, 403)
		}
		f.b.Get(f.page)
		f.b.Post(f.page+"/import", url.Values{"_csrf": {""}, "csv": {"email\nzed@example.com\n"}}).Expect(t, 403)
		if n := memberCount(t, d, f.ws.Live(), f.acct); n != 0 {
			t.Fatalf("a refused import wrote %d members", n)
		}

		e := f.env
		mf := newMemberFixture(t, e)
		reader, p := e.inPortal(t, mf, "pia@members.example")
		p.Lacks(t, "Import from CSV")
		reader.Get("/portal/import").Expect(t, 403)
		reader.CSRF = headerToken(t, p)
		reader.Post("/portal/import", url.Values{"csv": {"email\nzed@members.example\n"}}).Expect(t, 403).
			Has(t, "needs the permission members.manage")

		admin, p := e.inPortal(t, mf, "adam@members.example")
		p.Has(t, "Import from CSV…", `action="/portal/import/preview"`)
		file := "email,role,permissions\nnew@members.example,member,\nboss@members.example,owner,\nroot@members.example,member,org.manage\n"
		sendFile(admin, "/portal/import/preview", file).Expect(t, 200).
			Has(t, "Will invite as Member", "Only an owner may make someone an owner.",
				"You may only give permissions you hold yourself, and you do not hold org.manage.", "Import 1 member")
		admin.Post("/portal/import", url.Values{"csv": {file}}).Expect(t, 200).Has(t, "Imported 1 member", "Invited as Member")
		if n := memberCount(t, d, e.ws.Live(), mf.account); n != 5 {
			t.Fatalf("the portal import: %d members, want 5", n)
		}
	})
}

// TestMembersImportRace: the same file imported by three people at once,
// while a fourth previews it, invites each of its members once.
func TestMembersImportRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newMembersFixture(t, d)
		var file strings.Builder
		file.WriteString("email,role\n")
		for i := range 150 {
			fmt.Fprintf(&file, "racer%03d@example.com,member\n", i)
		}
		var people []*browser
		for i := range 4 {
			b := f.signedIn(t, fmt.Sprintf("admin%d@acme.example", i), db.RoleAdmin)
			b.Get(f.page)
			people = append(people, b)
		}
		pages := make([]page, len(people))
		var wg sync.WaitGroup
		for i, b := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := f.page + "/import"
				if i == 3 {
					path += "/preview"
				}
				pages[i] = b.Post(path, url.Values{"csv": {file.String()}})
			}()
		}
		wg.Wait()
		invited := 0
		for i, p := range pages[:3] {
			p.Expect(t, 200)
			invited += strings.Count(p.Body, "Invited as Member")
			if strings.Count(p.Body, "Invited as Member")+strings.Count(p.Body, "Already a member of this account.") != 150 {
				t.Fatalf("report %d does not account for every row", i)
			}
		}
		pages[3].Expect(t, 200).Has(t, "Preview: nothing is imported yet")
		if n := memberCount(t, d, f.ws.Live(), f.acct); invited != 150 || n != 150 {
			t.Fatalf("%d rows invited, %d members, want 150 of each", invited, n)
		}
	})
}
