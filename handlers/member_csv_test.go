package handlers

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
	"time"

	"roster/db"
)

// TestMemberCSVRoundTrip: an export escapes every cell a spreadsheet would
// run as a formula, and imports again as it was (its status and
// created_at ignored, its BOM dropped).
func TestMemberCSVRoundTrip(t *testing.T) {
	names := []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tTab", "\rCR", "'=kept as typed", "Plain", ""}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.Write(exportColumns)
	for i, name := range names {
		m := db.Membership{User: db.User{Email: "m" + string(rune('a'+i)) + "@example.com", Name: name},
			Role: db.MembershipRole{Slug: "member"}, Permissions: []string{"billing.read", "billing.manage"}, Status: db.StatusActive, CreatedAt: time.Now()}
		rec := exportRecord(m)
		if formulaLike(name) && rec[1] != "'"+name {
			t.Errorf("%q exported as %q", name, rec[1])
		}
		_ = w.Write(rec)
	}
	w.Flush()
	rows, err := readImport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		want := names[i]
		if want == "\tTab" || want == "\rCR" {
			want = want[1:] // cells are trimmed on import
		}
		if r.Row != i+2 || r.Name != want || r.Role != "member" || !slices.Equal(r.Permissions, []string{"billing.read", "billing.manage"}) {
			t.Errorf("row %d: %+v, want the name %q", i+2, r, want)
		}
	}
}
