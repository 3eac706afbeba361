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
// fixed body, its GET and its PATCH (each side by side with Roster's), and
// pgbench running the PATCH's essential transaction (PostgreSQL only; 0 on
// SQLite).
type floors struct {
	fixed, get, patch throughput
	essential         float64
}

// reference is the reference server, seeded with as many members as the
// PATCH account has, serving its own database for the whole of a
// database's measurement, so that its GET and PATCH are measured side by
// side with Roster's.
type reference struct {
	srv     *server
	c       *client
	members int
	cleanup func()
}

// get is the reference's GET of a random member, and patch its PATCH.
func (r *reference) get(int64) request { return request{"GET", r.member(), ""} }

func (r *reference) patch(i int64) request { return request{"PATCH", r.member(), patchBody(i)} }

func (r *reference) member() string { return "/memberships/" + referenceMember(rand.IntN(r.members)) }

// stop stops the reference server and drops its database.
func (r *reference) stop() {
	r.srv.stop()
	r.cleanup()
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

// startReference seeds the reference's own database with as many members
// as the PATCH account has and serves it; then it measures the floors that
// are not compared side by side: the fixed body and, on PostgreSQL, pgbench
// running the essential transaction.
func startReference(ctx context.Context, o options, dialect, tmp string) (*reference, floors, error) {
	var f floors
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp, "reference")
	if err != nil {
		return nil, f, err
	}
	members := o.patchSize
	seed := exec.CommandContext(ctx, o.reference, "-database-url", dbURL, "-seed", fmt.Sprint(members))
	seed.Stdout, seed.Stderr = os.Stderr, os.Stderr
	if err := seed.Run(); err != nil {
		cleanup()
		return nil, f, fmt.Errorf("seed the reference: %w", err)
	}
	srv, err := startProcess(ctx, o.reference, func(addr string) []string {
		return []string{"-database-url", dbURL, "-addr", addr}
	})
	if err != nil {
		cleanup()
		return nil, f, err
	}
	r := &reference{srv: srv, c: newClient(srv.base, ""), members: members, cleanup: cleanup}
	fmt.Fprintf(stderr, "%s: reference: fixed body…\n", dialect)
	if f.fixed, err = r.c.closedLoop(o.clients, o.duration, func(int64) request { return request{"GET", "/fixed", ""} }); err != nil {
		r.stop()
		return nil, f, fmt.Errorf("reference: %w", err)
	}
	if dialect == "postgres" {
		fmt.Fprintf(stderr, "%s: pgbench, essential PATCH transaction…\n", dialect)
		if f.essential, err = essentialPatch(ctx, dbURL, o, members); err != nil {
			r.stop()
			return nil, f, fmt.Errorf("pgbench essential: %w", err)
		}
	}
	return r, f, nil
}
