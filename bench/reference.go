package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
)

// The reference server's workspace and an event of the size it writes
// (bench/reference), for the essential pgbench script.
const (
	referenceWorkspace = "ws_reference"
	referenceEvent     = `{"object":"account_membership","id":"rm_00000000000000000000012345","account_id":"acct_reference",` +
		`"user_id":"usr_00000000000000000000012345","status":"active","role":{"slug":"member","permissions":["billing.read","members.read"]},` +
		`"permissions":["billing.manage"],"effective_permissions":["billing.manage","billing.read","members.read"],` +
		`"user":{"email":"member12345@reference.example","name":"Member 12345"},"livemode":true,` +
		`"created_at":"2026-11-22T06:34:37.413455Z","updated_at":"2026-11-22T06:34:39.35929Z"}`
)

// floors are what the reference measured on one database: Fiber with a
// fixed body, its GET and its PATCH, and pgbench running the PATCH's
// essential transaction (PostgreSQL only; 0 on SQLite).
type floors struct {
	fixed, get, patch throughput
	essential         float64
}

// referenceMember is the reference's id of its n-th member.
func referenceMember(n int) string { return fmt.Sprintf("rm_%026d", n) }

// patchBody adds billing.manage on odd requests and removes it on even
// ones: the PATCH that Roster and the reference are measured with.
func patchBody(i int64) string {
	if i%2 == 0 {
		return `{"remove_permissions":["billing.manage"]}`
	}
	return `{"add_permissions":["billing.manage"]}`
}

// measureFloors seeds the reference's own database with as many members as
// the PATCH account has, serves it and measures it with the same clients,
// duration and requests as Roster.
func measureFloors(ctx context.Context, o options, dialect, tmp string) (floors, error) {
	var f floors
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp, "reference")
	if err != nil {
		return f, err
	}
	defer cleanup()
	members := o.patchSize
	seed := exec.CommandContext(ctx, o.reference, "-database-url", dbURL, "-seed", fmt.Sprint(members))
	seed.Stdout, seed.Stderr = os.Stderr, os.Stderr
	if err := seed.Run(); err != nil {
		return f, fmt.Errorf("seed the reference: %w", err)
	}
	srv, err := startProcess(ctx, o.reference, func(addr string) []string {
		return []string{"-database-url", dbURL, "-addr", addr}
	})
	if err != nil {
		return f, err
	}
	defer srv.stop()
	c := newClient(srv.base, "")
	member := func() string { return "/memberships/" + referenceMember(rand.IntN(members)) }
	fmt.Fprintf(stderr, "%s: reference: fixed body, GET, PATCH…\n", dialect)
	for _, run := range []struct {
		dst  *throughput
		next func(int64) request
	}{
		{&f.fixed, func(int64) request { return request{"GET", "/fixed", ""} }},
		{&f.get, func(int64) request { return request{"GET", member(), ""} }},
		{&f.patch, func(i int64) request { return request{"PATCH", member(), patchBody(i)} }},
	} {
		if *run.dst, err = c.closedLoop(o.clients, o.duration, run.next); err != nil {
			return f, fmt.Errorf("reference: %w", err)
		}
	}
	if dialect == "postgres" {
		fmt.Fprintf(stderr, "%s: pgbench, essential PATCH transaction…\n", dialect)
		if f.essential, err = essentialPatch(ctx, dbURL, o, members); err != nil {
			return f, fmt.Errorf("pgbench essential: %w", err)
		}
	}
	return f, nil
}
