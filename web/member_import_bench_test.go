package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster/db"
	"roster/web/webtest"
)

// BenchmarkConsoleImport1000 imports a CSV file of 1,000 members through
// the console end to end, over HTTP: the preview (a dry run of every row),
// then the import (every row checked again and invited, with its email
// queued), into a new account each time. The target is under 5 s.
func BenchmarkConsoleImport1000(b *testing.B) {
	benchDialects(b, func(b *testing.B, d *db.DB) {
		e := newEnv(b, d)
		sk := e.key(true, db.KeySecret)
		br := webtest.NewBrowser(b, webtest.OverHTTP(time.Minute), e.listen())
		br.SignIn(e.ws.OwnerEmail, e.ws.Password)
		n := 0
		var preview, imported time.Duration
		for b.Loop() {
			b.StopTimer()
			n++
			acct := e.createAccount(sk, fmt.Sprintf("Import %d", n))
			var file strings.Builder
			file.WriteString("email,name,role,permissions\n")
			for i := range 1000 {
				fmt.Fprintf(&file, "p%d-%d@example.com,Person %d,member,billing.read\n", n, i, i)
			}
			page := "/accounts/" + acct
			br.Get(page + "/import")
			b.StartTimer()
			start := time.Now()
			sendFile(br, page+"/import/preview", file.String()).Expect(b, 200).Has(b, "Import 1000 members")
			mid := time.Now()
			br.Post(page+"/import", url.Values{"csv": {file.String()}}).Expect(b, 200).Has(b, "Imported 1000 members")
			preview, imported = preview+mid.Sub(start), imported+time.Since(mid)
		}
		b.ReportMetric(preview.Seconds()/float64(n), "s-preview/op")
		b.ReportMetric(imported.Seconds()/float64(n), "s-import/op")
	})
}
