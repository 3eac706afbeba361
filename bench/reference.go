package main

import (
	"context"
	"encoding/json"
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

// reference is the reference server, seeded with the same accounts as
// Roster (their members' ids interleaved in the same way), serving its own
// database for the whole of a database's measurement, so that its GET and
// PATCH, on random members of the PATCH account, are measured side by side
// with Roster's on the same data.
type reference struct {
	srv     *server
	c       *client
	account seededAccount // the PATCH account
	cleanup func()
}

// get is the reference's GET of a random member, and patch its PATCH.
func (r *reference) get(int64) request { return request{"GET", r.member(), ""} }

func (r *reference) patch(i int64) request { return request{"PATCH", r.member(), patchBody(i)} }

func (r *reference) member() string {
	return "/memberships/" + referenceMember(r.account, rand.IntN(r.account.size))
}

// stop stops the reference server and drops its database.
func (r *reference) stop() {
	r.srv.stop()
	r.cleanup()
}

// referenceMember is the reference's id of account a's i-th member:
// Roster's id of it (seededAccount.memberID) with the reference's prefix.
func referenceMember(a seededAccount, i int) string {
	return fmt.Sprintf("rm_%013d%013d", a.tick(i), a.no)
}

// referenceSeed is the reference's -seed: the accounts as JSON.
func referenceSeed(as []seededAccount) (string, error) {
	type account struct {
		No    int   `json:"no"`
		Size  int   `json:"size"`
		Start int64 `json:"start"`
		Step  int64 `json:"step"`
	}
	spec := make([]account, len(as))
	for i, a := range as {
		spec[i] = account{a.no, a.size, a.start, a.step}
	}
	b, err := json.Marshal(spec)
	return string(b), err
}

// patchBody adds billing.manage on odd requests and removes it on even
// ones: the PATCH that Roster and the reference are measured with.
func patchBody(i int64) string {
	if i%2 == 0 {
		return `{"remove_permissions":["billing.manage"]}`
	}
	return `{"add_permissions":["billing.manage"]}`
}

// startReference seeds the reference's own database with Roster's
// accounts (as) and serves it; then it measures the floors that are not
// compared side by side: the fixed body and, on PostgreSQL, pgbench running
// the essential transaction on random members of the PATCH account.
func startReference(ctx context.Context, o options, dialect, tmp string, as []seededAccount, patch seededAccount) (*reference, floors, error) {
	var f floors
	spec, err := referenceSeed(as)
	if err != nil {
		return nil, f, err
	}
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp, "reference")
	if err != nil {
		return nil, f, err
	}
	seed := exec.CommandContext(ctx, o.reference, "-database-url", dbURL, "-seed", spec)
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
	r := &reference{srv: srv, c: newClient(srv.base, ""), account: patch, cleanup: cleanup}
	fmt.Fprintf(stderr, "%s: reference: fixed body…\n", dialect)
	if f.fixed, err = r.c.closedLoop(o.clients, o.duration, func(int64) request { return request{"GET", "/fixed", ""} }); err != nil {
		r.stop()
		return nil, f, fmt.Errorf("reference: %w", err)
	}
	if dialect == "postgres" {
		fmt.Fprintf(stderr, "%s: pgbench, essential PATCH transaction…\n", dialect)
		if f.essential, err = essentialPatch(ctx, dbURL, o, patch); err != nil {
			r.stop()
			return nil, f, fmt.Errorf("pgbench essential: %w", err)
		}
	}
	return r, f, nil
}
