package dbtest_test

import (
	"context"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestPostgres opens a fresh PostgreSQL database. Without PostgreSQL it is
// the suite's one skip that says how to run the PostgreSQL half; with
// ROSTER_TEST_REQUIRE_POSTGRES=1 it fails instead.
func TestPostgres(t *testing.T) {
	d, err := db.Open(dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Ping(context.Background()); err != nil {
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
}
