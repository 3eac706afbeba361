package web_test

import (
	"context"
	"fmt"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// benchDialects runs a benchmark once per dialect of dbtest.Dialects,
// each on a fresh database.
func benchDialects(b *testing.B, bench func(b *testing.B, d *db.DB)) {
	for _, dialect := range dbtest.Dialects(b) {
		b.Run(string(dialect), func(b *testing.B) { bench(b, dbtest.Open(b, dialect)) })
	}
}

// bigAccount creates an account of n invited members in e's workspace.
func bigAccount(b *testing.B, e *env, n int) (db.Account, []db.Membership) {
	ctx := context.Background()
	acct, err := e.db.CreateAccount(ctx, e.ws.Live(), db.AccountInput{Name: "Big"})
	if err != nil {
		b.Fatal(err)
	}
	ms := make([]db.Membership, n)
	for i := range n {
		if ms[i], _, err = e.db.CreateMembership(ctx, e.ws.Live(), acct.ID, db.NewMembership{Email: fmt.Sprintf("m%d@example.com", i)}); err != nil {
			b.Fatal(err)
		}
	}
	return acct, ms
}

// BenchmarkMembersPage renders the members page of a 1,000-member account:
// the server's time for 50 rows, through the whole stack.
func BenchmarkMembersPage(b *testing.B) {
	benchDialects(b, func(b *testing.B, d *db.DB) {
		e := newEnv(b, d)
		acct, _ := bigAccount(b, e, 1000)
		br := e.browser()
		br.SignIn(e.ws.OwnerEmail, e.ws.Password)
		b.ResetTimer()
		for b.Loop() {
			if p := br.Get("/accounts/" + acct.ID); p.Status != 200 {
				b.Fatalf("status %d", p.Status)
			}
		}
	})
}

// BenchmarkGetMembership reads one membership through the API, as P2 of
// make bench does over the network.
func BenchmarkGetMembership(b *testing.B) {
	benchDialects(b, func(b *testing.B, d *db.DB) {
		e := newEnv(b, d)
		_, ms := bigAccount(b, e, 100)
		key := e.key(true, "secret")
		b.ResetTimer()
		i := 0
		for b.Loop() {
			i++
			if r := e.Call(b, "GET", "/v1/account-memberships/"+ms[i%len(ms)].ID, key, ""); r.Status != 200 {
				b.Fatalf("status %d", r.Status)
			}
		}
	})
}

// BenchmarkPatchMembership adds or removes a direct permission of one
// membership through the API, as P1 of make bench does over the network.
func BenchmarkPatchMembership(b *testing.B) {
	benchDialects(b, func(b *testing.B, d *db.DB) {
		e := newEnv(b, d)
		_, ms := bigAccount(b, e, 100)
		key := e.key(true, "secret")
		b.ResetTimer()
		i := 0
		for b.Loop() {
			i++
			op := "add_permissions"
			if (i/len(ms))%2 == 1 {
				op = "remove_permissions"
			}
			body := `{"` + op + `":["billing.manage"]}`
			if r := e.Call(b, "PATCH", "/v1/account-memberships/"+ms[i%len(ms)].ID, key, body); r.Status != 200 {
				b.Fatalf("status %d: %+v", r.Status, r.Body)
			}
		}
	})
}
