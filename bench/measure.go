package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// measure runs every figure on one database.
func measure(ctx context.Context, o options, dialect, tmp string) ([]result, error) {
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	fmt.Fprintf(stderr, "%s: seeding %v members…\n", dialect, o.sizes)
	s, err := seed(ctx, o.roster, dbURL, o.sizes)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, o.roster, dbURL)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c := newClient(srv.base, s.key)
	big := s.accounts[len(s.accounts)-1]
	var rs []result

	// P1: PATCH throughput at the largest account, next to pgbench.
	fmt.Fprintf(stderr, "%s: P1 PATCH at %d clients for %s…\n", dialect, o.clients, o.duration)
	patch := func(i int64) request {
		n := big.first + rand.IntN(big.size)
		op := "add_permissions"
		if i%2 == 0 {
			op = "remove_permissions"
		}
		return request{"PATCH", "/v1/account-memberships/" + memberID(n), `{"` + op + `":["billing.manage"]}`}
	}
	p1, err := c.closedLoop(o.clients, o.duration, patch)
	if err != nil {
		return nil, fmt.Errorf("P1: %w", err)
	}
	rss, err := srv.peakRSS()
	if err != nil {
		return nil, err
	}
	if dialect == "postgres" {
		floor, err := pgbench(ctx, dbURL, o, s, big)
		if err != nil {
			return nil, fmt.Errorf("pgbench: %w", err)
		}
		rs = append(rs,
			info(dialect, "P1", "PATCH membership, req/s", fmt.Sprintf("%.0f", p1)),
			info(dialect, "P1", "pgbench, same SQL, tx/s", fmt.Sprintf("%.0f", floor)),
			figure(dialect, "P1", "ratio roster/pgbench", fmt.Sprintf("%.2f", p1/floor), "≥ 0.70", p1/floor >= 0.70))
	} else {
		rs = append(rs, info(dialect, "P1", "PATCH membership, req/s", fmt.Sprintf("%.0f", p1)))
	}

	// P2: GET latency at half of the measured maximum.
	fmt.Fprintf(stderr, "%s: P2 GET…\n", dialect)
	get := func(int64) request {
		return request{"GET", "/v1/account-memberships/" + memberID(big.first+rand.IntN(big.size)), ""}
	}
	maxGet, err := c.closedLoop(o.clients, o.duration, get)
	if err != nil {
		return nil, fmt.Errorf("P2 max: %w", err)
	}
	lat, server, err := c.openLoop(maxGet/2, o.duration, o.clients*2, get)
	if err != nil {
		return nil, fmt.Errorf("P2: %w", err)
	}
	p99 := percentile(lat, 99)
	rs = append(rs,
		info(dialect, "P2", "GET membership max req/s", fmt.Sprintf("%.0f", maxGet)),
		info(dialect, "P2", fmt.Sprintf("GET p50 at %.0f req/s", maxGet/2), ms(percentile(lat, 50))),
		figure(dialect, "P2", fmt.Sprintf("GET p99 at %.0f req/s", maxGet/2), ms(p99), "< 10 ms", p99 < 10*time.Millisecond),
		info(dialect, "P2", "  of which in the server, p99", ms(percentile(server, 99))))

	// P3 and P4: first and deep pages at each size, API and console.
	fmt.Fprintf(stderr, "%s: P3/P4 pages…\n", dialect)
	page, err := pages(c, dialect, srv.base, s)
	if err != nil {
		return nil, fmt.Errorf("P3: %w", err)
	}
	rs = append(rs, page...)

	// P5: peak RSS during P1 at the largest account.
	rs = append(rs, figure(dialect, "P5", fmt.Sprintf("server peak RSS (P1, %d members)", big.size),
		fmt.Sprintf("%.1f MB", float64(rss)/1e6), "< 80 MB", rss < 80e6))

	if o.explain {
		plans, err := explain(ctx, dbURL, s, big)
		if err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
		rs = append(rs, plans...)
	}
	return rs, nil
}

// pages times the first and a deep page of the list API and of the members
// console page at each account size (P3), and the console page's median
// (P4).
func pages(c *client, d, base string, s seeded) ([]result, error) {
	console, err := signIn(base, s.email, s.password)
	if err != nil {
		return nil, err
	}
	type pageTimes struct{ api, apiDeep, ui, uiDeep time.Duration }
	times := make([]pageTimes, len(s.accounts))
	for i, a := range s.accounts {
		deep := memberID(a.last - 50)
		var err error
		var t pageTimes
		if t.api, err = c.timed(200, request{"GET", "/v1/account-memberships?limit=50&account_id=" + a.id, ""}); err != nil {
			return nil, err
		}
		if t.apiDeep, err = c.timed(200, request{"GET", "/v1/account-memberships?limit=50&account_id=" + a.id + "&starting_after=" + deep, ""}); err != nil {
			return nil, err
		}
		if t.ui, err = console.timed(200, request{"GET", membersPage(a.id, ""), ""}); err != nil {
			return nil, err
		}
		if t.uiDeep, err = console.timed(200, request{"GET", membersPage(a.id, deep), ""}); err != nil {
			return nil, err
		}
		times[i] = t
	}
	var rs []result
	small, big := times[0], times[len(times)-1]
	sizes := fmt.Sprintf("%d/%d", s.accounts[len(s.accounts)-1].size, s.accounts[0].size)
	for _, p := range []struct {
		what       string
		small, big time.Duration
	}{
		{"list API first page", small.api, big.api},
		{"list API deep page", small.apiDeep, big.apiDeep},
		{"members page first", small.ui, big.ui},
		{"members page deep", small.uiDeep, big.uiDeep},
	} {
		ratio := float64(p.big) / float64(p.small)
		rs = append(rs, figure(d, "P3", fmt.Sprintf("%s %s (%s → %s)", p.what, sizes, ms(p.small), ms(p.big)),
			fmt.Sprintf("%.2f", ratio), "≤ 1.3", ratio <= 1.3))
	}
	rs = append(rs, figure(d, "P4", "members page (50 rows) server time median", ms(big.ui), "< 5 ms", big.ui < 5*time.Millisecond))
	return rs, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
