package db_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// TestCountHitUnderConcurrency: 40 checks at once of one bucket each get a
// different count, 1 to 40, on both databases; another bucket and the
// next window count from 1.
func TestCountHitUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Unix(1_800_000_000, 0) // a multiple of 60 s
		const n = 40
		counts := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := d.CountHit(ctx, "test:bucket", time.Minute, at.Add(time.Duration(i)*time.Second))
				counts[i], errs[i] = h.Count, err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("counts %v, want 1 to %d each once", counts, n)
			}
		}
		other, err := d.CountHit(ctx, "test:other", time.Minute, at)
		if err != nil || other.Count != 1 {
			t.Fatalf("another bucket: %+v, %v", other, err)
		}
		next, err := d.CountHit(ctx, "test:bucket", time.Minute, at.Add(time.Minute))
		if err != nil || next.Count != 1 || !next.Start.Equal(at.Add(time.Minute)) || !next.End.Equal(at.Add(2*time.Minute)) {
			t.Fatalf("the next window: %+v, %v", next, err)
		}
	})
}

// TestForgetHit takes hits back in the window they were counted in, never
// below zero.
func TestForgetHit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Unix(1_800_000_000, 0)
		first, _ := d.CountHit(ctx, "test:b", 15*time.Minute, at)
		second, _ := d.CountHit(ctx, "test:b", 15*time.Minute, at.Add(time.Minute))
		if second.Count != 2 {
			t.Fatalf("second hit: %+v", second)
		}
		for range 3 {
			if err := d.ForgetHit(ctx, first); err != nil {
				t.Fatal(err)
			}
		}
		if h, _ := d.CountHit(ctx, "test:b", 15*time.Minute, at.Add(2*time.Minute)); h.Count != 1 {
			t.Fatalf("after taking back more hits than there were: %+v, want a count of 1", h)
		}
		if _, err := d.CountHit(ctx, "test:b", time.Millisecond, at); err == nil {
			t.Fatal("a window under a second was accepted")
		}
	})
}

// TestPurgeEndedWindows: PurgeExpired drops the windows that have ended
// and keeps the current one.
func TestPurgeEndedWindows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.CountHit(ctx, "test:old", time.Second, time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CountHit(ctx, "test:current", time.Hour, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := d.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		var buckets []string
		if err := d.Select(&buckets, `SELECT bucket FROM limit_windows ORDER BY bucket`); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(buckets, []string{"test:current"}) {
			t.Fatalf("windows left: %v, want only the current one", buckets)
		}
	})
}
