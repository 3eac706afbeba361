package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
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
		staffWithPassword(t, d, f.ws, "sue@acme.example", db.RoleSupport, "support password 1")
		sue := f.browser()
		sue.SignIn("sue@acme.example", "support password 1")
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
