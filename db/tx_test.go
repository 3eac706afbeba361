package db_test

import (
	"context"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestWithTxRollsBackAPanic: a transaction whose work panics leaves
// nothing written, and the next transactions run (on SQLite the writer's
// turn was given back, on PostgreSQL the connection returned clean).
func TestWithTxRollsBackAPanic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sc := dbtest.Workspace(t, d, "Acme").Live()
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not reach WithTx's caller")
				}
			}()
			_ = d.WithTx(ctx, func(ctx context.Context) error {
				if _, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Half done"}); err != nil {
					t.Fatal(err)
				}
				panic("boom")
			})
		}()
		// A transaction left open would hold the connection (and on SQLite
		// the writer's turn): the next ones would wait for it for ever.
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for range 3 {
			if err := d.WithTx(ctx, func(ctx context.Context) error {
				_, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Whole"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		accts, err := d.ListAccounts(ctx, sc, "", db.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accts {
			if a.Name == "Half done" {
				t.Fatal("the account of the transaction that panicked was kept")
			}
		}
		if len(accts) != 3 {
			t.Fatalf("%d accounts, want the 3 committed", len(accts))
		}
	})
}
