package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bulkTarget is how many members P13 invites into each empty account at
// most, and bulkBatch how many one bulk request carries.
const (
	bulkTarget = 100_000
	bulkBatch  = 100
)

// measureBulk is P13, on a server of its own over the seeded database:
// members invited per second at bulkClients clients, one per request (POST /v1/account-memberships) into one empty account,
// and bulkBatch per request (POST …/memberships/bulk) into another, each
// for o.duration or until the account holds bulkTarget members, and the
// ratio of the two.
func measureBulk(ctx context.Context, o options, dialect, dbURL string, s seeded) ([]result, error) {
	srv, err := startServer(ctx, o.roster, dbURL, nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c := newClient(srv.base, s.key)
	var rates [2]float64
	for i, per := range []int{1, bulkBatch} {
		var acct struct{ ID string }
		if err := c.call(request{"POST", "/v1/accounts", fmt.Sprintf(`{"name":"Bulk %d"}`, per)}, 201, &acct); err != nil {
			return nil, err
		}
		if rates[i], err = c.invites(acct.ID, per, o.duration); err != nil {
			return nil, fmt.Errorf("%d per request: %w", per, err)
		}
	}
	what := fmt.Sprintf("bulk invite of %d per request at %d clients into an empty account up to %d members, members/s", bulkBatch, bulkClients, bulkTarget)
	return []result{
		info(dialect, "P13", fmt.Sprintf("single-item invite at %d clients into an empty account, members/s", bulkClients), fmt.Sprintf("%.0f", rates[0])),
		info(dialect, "P13", what, fmt.Sprintf("%.0f", rates[1])),
		atLeast(dialect, "P13", fmt.Sprintf("bulk / single-item invite, members/s (%.0f → %.0f)", rates[0], rates[1]), rates[1]/rates[0], 5),
	}, nil
}

// bulkClients is how many clients P13 invites with.
const bulkClients = 8

// invites runs bulkClients clients inviting new people into the account,
// per people a request, for d or until it holds bulkTarget members, and
// returns the members invited per second. Every person must be invited:
// a request or item that fails fails the run.
func (c *client) invites(accountID string, per int, d time.Duration) (float64, error) {
	var next, invited atomic.Int64
	var once sync.Once
	var failure error
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range bulkClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				from := next.Add(int64(per)) - int64(per)
				if from+int64(per) > bulkTarget {
					return
				}
				if err := c.invite(accountID, from, per); err != nil {
					once.Do(func() { failure = err })
					return
				}
				invited.Add(int64(per))
			}
		}()
	}
	wg.Wait()
	if failure != nil {
		return 0, failure
	}
	return float64(invited.Load()) / time.Since(start).Seconds(), nil
}

// invite invites the people numbered from … from+per-1: one by one with
// per 1, else in one bulk request.
func (c *client) invite(accountID string, from int64, per int) error {
	email := func(i int64) string { return fmt.Sprintf(`"p%d-%s@bulk.example"`, i, accountID) }
	if per == 1 {
		return c.call(request{"POST", "/v1/account-memberships?account_id=" + accountID, `{"email":` + email(from) + `}`}, 201, nil)
	}
	ops := make([]string, per)
	for i := range ops {
		ops[i] = `{"op":"invite","email":` + email(from+int64(i)) + `}`
	}
	var res struct {
		Summary struct{ Succeeded, Failed int }
		Results []struct{ Status int }
	}
	body := `{"operations":[` + strings.Join(ops, ",") + `]}`
	if err := c.call(request{"POST", "/v1/accounts/" + accountID + "/memberships/bulk", body}, 200, &res); err != nil {
		return err
	}
	if res.Summary.Succeeded != per {
		b, _ := json.Marshal(res)
		return fmt.Errorf("bulk: %d of %d invited: %.300s", res.Summary.Succeeded, per, b)
	}
	return nil
}

// measureBulkOnly is P13 alone, on a fresh database holding only the
// seeded workspace (bench -bulk-only).
func measureBulkOnly(ctx context.Context, o options, dialect, tmp string) ([]result, error) {
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp, "roster_bulk")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	s, err := seed(ctx, o.roster, dbURL, layout([]int{10}, 1, 10))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "%s: P13 bulk invitations…\n", dialect)
	return measureBulk(ctx, o, dialect, dbURL, s)
}
