package db_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// BenchmarkBulkInvite compares bulk invitations of 100 per request with
// single invitations, 8 clients inviting into one account: b.N members
// each way, members per second reported.
func BenchmarkBulkInvite(b *testing.B) {
	for _, dialect := range dbtest.Dialects(b) {
		d := dbtest.Open(b, dialect)
		f := dbtest.Workspace(b, d, "Acme")
		sc := f.Live()
		ctx := context.Background()
		for _, mode := range []string{"single", "bulk"} {
			b.Run(string(dialect)+"/"+mode, func(b *testing.B) {
				a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop " + mode})
				if err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				per := 1
				if mode == "bulk" {
					per = 100
				}
				b.ResetTimer()
				for c := 0; c < 8; c++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							start := next.Add(int64(per)) - int64(per)
							if start >= int64(b.N) {
								return
							}
							ops := make([]db.BulkOp, 0, per)
							for i := start; i < start+int64(per) && i < int64(b.N); i++ {
								ops = append(ops, db.BulkOp{Op: db.BulkInvite, Email: fmt.Sprintf("%s%d@example.com", mode, i), SendEmail: true})
							}
							if mode == "single" {
								_, _, err := d.CreateMembership(ctx, sc, a.ID, db.NewMembership{Email: ops[0].Email, SendEmail: true})
								if err != nil {
									b.Error(err)
									return
								}
								continue
							}
							items, err := d.Bulk(ctx, sc, a.ID, ops, db.BulkOptions{})
							if err != nil || items[0].Err != nil {
								b.Error(err, items[0].Err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "members/s")
			})
		}
	}
}
