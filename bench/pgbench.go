package main

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
)

// patchScript is the SQL that one PATCH /v1/account-memberships/{id}
// executes, statement for statement, as a pgbench script.
//
//go:embed patch.pgbench
var patchScript string

// essentialScript is the least SQL that PATCH needs, on the reference's
// schema: lock the membership, grant or revoke, bump the version, insert
// an event.
//
//go:embed essential.pgbench
var essentialScript string

// eventData and eventPrevious are what a PATCH writes into its event: the
// membership after the change and the fields it changed.
const (
	eventData = `{"object":"account_membership","id":"am_00000000000000000000012345","account_id":"acct_01M80ZDF91471P8K6DMRN8WEGT",` +
		`"user_id":"usr_00000000000000000000012345","workspace_membership_id":null,"status":"active",` +
		`"role":{"id":"role_01M80ZDE0D5PAVWHMBDYQQ8PVS","slug":"member","name":"Member","permissions":["billing.read","members.read"],"is_default":true},` +
		`"permissions":["billing.manage"],"effective_permissions":["billing.manage","billing.read","members.read"],"invitation":null,` +
		`"user":{"id":"usr_00000000000000000000012345","email":"member12345@bench.example","name":"Member 12345"},"livemode":true,` +
		`"created_at":"2026-11-22T06:34:37.413455Z","updated_at":"2026-11-22T06:34:39.35929Z","links":{"self":"/v1/account-memberships/am_00000000000000000000012345"}}`
	eventPrevious = `{"effective_permissions":["billing.read","members.read"],"permissions":[],"updated_at":"2026-11-22T06:34:37.413455Z"}`
)

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// rosterPatch runs Roster's own PATCH statements (patch.pgbench) on
// random members of account a, with their generic plans as roster's
// connections do (plan_cache_mode, db/open.go), and returns pgbench's
// transactions per second.
func rosterPatch(ctx context.Context, dbURL string, o options, s seeded, a seededAccount) (float64, error) {
	return pgbench(ctx, dbURL, o, patchScript, "-c plan_cache_mode=force_generic_plan", map[string]string{
		"start": strconv.FormatInt(a.start, 10), "step": strconv.FormatInt(a.step, 10), "size": strconv.Itoa(a.size),
		"suffix": a.suffix(), "data": eventData, "prev": eventPrevious, "ws": s.workspaceID, "acct": a.id,
	})
}

// essentialPatch runs the essential transaction of the PATCH
// (essential.pgbench) on the reference's schema, on random members of
// account a, and returns pgbench's transactions per second: the
// database's floor for that request.
func essentialPatch(ctx context.Context, dbURL string, o options, a seededAccount) (float64, error) {
	return pgbench(ctx, dbURL, o, essentialScript, "", map[string]string{
		"start": strconv.FormatInt(a.start, 10), "step": strconv.FormatInt(a.step, 10), "size": strconv.Itoa(a.size),
		"suffix": a.suffix(), "ws": referenceWorkspace, "data": referenceEvent,
	})
}

// pgbench runs script (-M prepared: roster and the reference, too, prepare
// their statements) with the bench's client count and duration, and the
// server settings pgOptions (PGOPTIONS) if any, and returns its
// transactions per second.
func pgbench(ctx context.Context, dbURL string, o options, script, pgOptions string, vars map[string]string) (float64, error) {
	dir, err := os.MkdirTemp("", "roster-pgbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "script.pgbench")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		return 0, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return 0, err
	}
	pass, _ := u.User.Password()
	args := []string{"-n", "-M", "prepared", "-f", path,
		"-c", strconv.Itoa(o.clients), "-j", "2", "-T", strconv.Itoa(max(1, int(o.duration.Seconds()))),
		"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username()}
	for k, v := range vars {
		args = append(args, "-D", k+"="+v)
	}
	cmd := exec.CommandContext(ctx, "pgbench", append(args, u.Path[1:])...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+pass, "PGOPTIONS="+pgOptions)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench output: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
