package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// pendingDeliveries lists an endpoint's pending deliveries.
func pendingDeliveries(t *testing.T, d *db.DB, sc db.Scope, endpointID string) []db.WebhookDelivery {
	t.Helper()
	ds, err := d.ListWebhookDeliveries(context.Background(), sc, endpointID, db.DeliveryPending, db.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestWebhookOutbox: the deliveries of an event are written in its
// transaction: a change that rolls back leaves none, a committed one
// leaves one per matching endpoint (its type or "*", its account or
// none, its mode), never for a disabled endpoint.
func TestWebhookOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		sc := f.Test()
		all, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/all"})
		if err != nil {
			t.Fatal(err)
		}
		rolledBack := errors.New("rolled back")
		err = d.WithTx(ctx, func(ctx context.Context) error {
			if _, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Never"}); err != nil {
				return err
			}
			if n := len(pendingDeliveries(t, d, sc, all.ID)); n != 0 {
				// read outside the transaction: nothing shows before commit
				t.Errorf("%d deliveries seen before the commit", n)
			}
			return rolledBack
		})
		if !errors.Is(err, rolledBack) {
			t.Fatal(err)
		}
		if n := len(pendingDeliveries(t, d, sc, all.ID)); n != 0 {
			t.Fatalf("%d deliveries of a change that rolled back", n)
		}
		acct, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		renames, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/renames",
			EnabledEvents: []string{"account.updated"}, AccountID: acct.ID})
		if err != nil {
			t.Fatal(err)
		}
		live, err := d.CreateWebhookEndpoint(ctx, f.Live(), db.WebhookEndpointInput{URL: "https://hooks.example.com/live"})
		if err != nil {
			t.Fatal(err)
		}
		off := db.EndpointDisabled
		disabled, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/off"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.UpdateWebhookEndpoint(ctx, sc, disabled.ID, db.WebhookEndpointPatch{Status: &off}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{acct.ID, other.ID} {
			if _, err := d.RenameAccount(ctx, sc, id, db.AccountInput{Name: "Renamed " + id}); err != nil {
				t.Fatal(err)
			}
		}
		// all: Shop, Other, two test endpoints created (not the live one), the disabling, two renames.
		for _, c := range []struct {
			sc   db.Scope
			id   string
			want int
		}{{sc, all.ID, 7}, {sc, renames.ID, 1}, {f.Live(), live.ID, 0}, {sc, disabled.ID, 0}} {
			if n := len(pendingDeliveries(t, d, c.sc, c.id)); n != c.want {
				t.Errorf("endpoint %s: %d deliveries, want %d", c.id, n, c.want)
			}
		}
	})
}

// TestWebhookLease: of claimants at once each delivery goes to one; a
// lease that ran out makes it due again, and the first claimant, whose
// lease is lost, cannot record an outcome over the second's.
func TestWebhookLease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		sc := f.Test()
		if _, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/"}); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			if _, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"}); err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Now().Add(time.Second)
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ds, err := d.ClaimWebhookDeliveries(ctx, t0, time.Minute, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, x := range ds {
						seen[x.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Fatalf("%d deliveries claimed, want 20", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%s claimed %d times under one lease", id, n)
			}
		}
		again, err := d.ClaimWebhookDeliveries(ctx, t0.Add(2*time.Minute), time.Minute, 100)
		if err != nil || len(again) != 20 || again[0].Attempts != 2 {
			t.Fatalf("after the leases ran out: %d claimed, %v", len(again), err)
		}
		stale := again[0]
		stale.LeaseToken = "lost"
		if held, err := d.FinishWebhookDelivery(ctx, stale, db.DeliveryOutcome{Succeeded: true, Status: 200}, t0); held || err != nil {
			t.Fatalf("a lost lease recorded an outcome: %v %v", held, err)
		}
		if held, err := d.FinishWebhookDelivery(ctx, again[0], db.DeliveryOutcome{Succeeded: true, Status: 200}, t0); !held || err != nil {
			t.Fatalf("the lease holder could not record: %v %v", held, err)
		}
	})
}

// TestFinishRacesEndpointDeletion: deleting an endpoint while a batch of
// its deliveries' outcomes is being written waits for the batch (or the
// batch for it) instead of deadlocking. The batch writes its second
// delivery's outcome (a retry) first and its first delivery's (a failure
// that ends it) next, and pauses there until the deletion waits.
func TestFinishRacesEndpointDeletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		sc := f.Test()
		ep, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/"})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"}); err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Now().Add(time.Second)
		ds, err := d.ClaimWebhookDeliveries(ctx, t0, time.Minute, 10)
		if err != nil || len(ds) != 2 {
			t.Fatalf("claimed %d: %v", len(ds), err)
		}
		if ds[0].ID > ds[1].ID {
			ds[0], ds[1] = ds[1], ds[0]
		}
		retry := db.DeliveryOutcome{Status: 500, Error: "HTTP 500", RetryAt: t0.Add(time.Minute)}
		failure := db.DeliveryOutcome{Status: 500, Error: "HTTP 500"}
		batch := []db.WebhookFinish{{Delivery: ds[1], Outcome: retry, At: t0}, {Delivery: ds[0], Outcome: failure, At: t0}}

		paused, release := make(chan struct{}), make(chan struct{})
		var outcomes atomic.Int32
		d.OnStatement(func(q string) {
			if strings.HasPrefix(q, "UPDATE webhook_deliveries SET status") && outcomes.Add(1) == 2 {
				close(paused)
				<-release
			}
		})
		defer d.OnStatement(nil)
		finished := make(chan error, 1)
		go func() {
			_, err := d.FinishWebhookDeliveries(ctx, batch)
			finished <- err
		}()
		<-paused
		deleted := make(chan error, 1)
		go func() { deleted <- d.DeleteWebhookEndpoint(ctx, sc, ep.ID, nil) }()
		waitForALockWait(t, d)
		close(release)
		if err := <-finished; err != nil {
			t.Errorf("the batch of outcomes: %v", err)
		}
		if err := <-deleted; err != nil {
			t.Errorf("the deletion: %v", err)
		}
	})
}

// waitForALockWait returns once a session of the database waits for a
// lock (PostgreSQL), or after a moment (SQLite, where the deletion waits
// for the write turn).
func waitForALockWait(t *testing.T, d *db.DB) {
	t.Helper()
	if d.Dialect != db.Postgres {
		time.Sleep(100 * time.Millisecond)
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("the deletion never waited for a lock")
}

// TestFinishBatchOfOutcomes: a batch of outcomes of two endpoints'
// deliveries writes each as it ended (a success, a retry, a skip that
// keeps the last response), none of a lost lease, counts those it held,
// and notes the success on its endpoint only.
func TestFinishBatchOfOutcomes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		sc := f.Test()
		var eps [2]db.WebhookEndpoint
		for i := range eps {
			ep, err := d.CreateWebhookEndpoint(ctx, sc, db.WebhookEndpointInput{URL: "http://hooks.example.com/" + string(rune('a'+i))})
			if err != nil {
				t.Fatal(err)
			}
			eps[i] = ep
		}
		for range 2 {
			if _, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: "Shop"}); err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Now().Add(time.Second)
		ds, err := d.ClaimWebhookDeliveries(ctx, t0, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		of := map[string][]db.WebhookDelivery{}
		for _, dl := range ds {
			if dl.EventType == "account.created" {
				of[dl.EndpointID] = append(of[dl.EndpointID], dl)
			}
		}
		a, b := of[eps[0].ID], of[eps[1].ID]
		if len(a) != 2 || len(b) != 2 {
			t.Fatalf("claimed %d and %d deliveries of the accounts", len(a), len(b))
		}
		lost := b[1]
		lost.LeaseToken = "lost"
		retryAt := t0.Add(time.Hour).Truncate(time.Second)
		batch := []db.WebhookFinish{
			{Delivery: a[0], Outcome: db.DeliveryOutcome{Succeeded: true, Status: 200, Response: "ok"}, At: t0},
			{Delivery: b[0], Outcome: db.DeliveryOutcome{Skipped: true}, At: t0},
			{Delivery: a[1], Outcome: db.DeliveryOutcome{Status: 500, Error: "HTTP 500", RetryAt: retryAt}, At: t0},
			{Delivery: lost, Outcome: db.DeliveryOutcome{Succeeded: true, Status: 200}, At: t0},
		}
		held, err := d.FinishWebhookDeliveries(ctx, batch)
		if err != nil || held != 3 {
			t.Fatalf("held %d of 4 (one lease lost): %v", held, err)
		}
		get := func(id string) db.WebhookDelivery {
			dl, err := d.WebhookDelivery(ctx, sc, id)
			if err != nil {
				t.Fatal(err)
			}
			return dl
		}
		if s := get(a[0].ID); s.Status != db.DeliverySucceeded || s.SucceededAt == nil || s.LastStatus == nil || *s.LastStatus != 200 {
			t.Errorf("the success: %+v", s)
		}
		if r := get(a[1].ID); r.Status != db.DeliveryPending || r.NextAttemptAt == nil || !r.NextAttemptAt.Equal(retryAt) ||
			r.LastError == nil || *r.LastError != "HTTP 500" || r.SucceededAt != nil {
			t.Errorf("the retry: %+v", r)
		}
		if s := get(b[0].ID); s.Status != db.DeliverySkipped || s.LastStatus != nil || s.NextAttemptAt != nil {
			t.Errorf("the skip: %+v", s)
		}
		if l := get(lost.ID); l.Status != db.DeliverySending || l.SucceededAt != nil {
			t.Errorf("the lost lease's delivery changed: %+v", l)
		}
		for i, want := range []bool{true, false} {
			ep, err := d.WebhookEndpoint(ctx, sc, eps[i].ID)
			if err != nil || (ep.LastSuccessAt != nil) != want {
				t.Errorf("endpoint %d's last success %v, want noted %v: %v", i, ep.LastSuccessAt, want, err)
			}
		}
	})
}
