package web_test

import (
	"context"
	"fmt"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// BenchmarkMembersPage renders the members page of a 1,000-member account:
// the server's time for 50 rows, through the whole stack on SQLite.
func BenchmarkMembersPage(b *testing.B) {
	d := dbtest.Open(b, db.SQLite)
	e := newEnv(b, d)
	ctx := context.Background()
	acct, err := d.CreateAccount(ctx, e.ws.Live(), "Big")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if _, _, err := d.CreateMembership(ctx, e.ws.Live(), acct.ID, db.NewMembership{Email: fmt.Sprintf("m%d@example.com", i)}); err != nil {
			b.Fatal(err)
		}
	}
	br := e.browser()
	br.signIn(e.ws.OwnerEmail, e.ws.Password)
	b.ResetTimer()
	for b.Loop() {
		if p := br.get("/accounts/" + acct.ID); p.Status != 200 {
			b.Fatalf("status %d", p.Status)
		}
	}
}
