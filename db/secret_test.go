package db_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestServerSecret asks for a new secret from eight places at once, as
// server processes starting together would: all get the same key, and a
// secret of another name is another key.
func TestServerSecret(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		keys := make([][]byte, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() { keys[i], errs[i] = d.ServerSecret(context.Background(), "csrf") })
		}
		wg.Wait()
		for i, k := range keys {
			if errs[i] != nil || len(k) != 32 || !bytes.Equal(k, keys[0]) {
				t.Fatalf("secret %d: %x (%v), want the 32 bytes of the first, %x", i, k, errs[i], keys[0])
			}
		}
		other, err := d.ServerSecret(context.Background(), "other")
		if err != nil || bytes.Equal(other, keys[0]) {
			t.Fatalf("another name's secret %x (%v)", other, err)
		}
	})
}
