package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// measure runs every figure on one database: the reference on its own
// database, Roster's on a seeded one, each of Roster's figures that is
// compared with another run side by side with it.
func measure(ctx context.Context, o options, dialect, tmp string) ([]result, error) {
	as := layout(o.sizes, o.spread, o.sizes[0])
	ref, f, err := startReference(ctx, o, dialect, tmp, as, as[slices.Index(o.sizes, o.patchSize)])
	if err != nil {
		return nil, err
	}
	defer ref.stop()
	dbURL, cleanup, err := freshDatabase(ctx, o, dialect, tmp, "roster")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	fmt.Fprintf(stderr, "%s: seeding accounts of %v members and %d of %d, interleaved…\n", dialect, o.sizes, o.spread, o.sizes[0])
	s, err := seed(ctx, o.roster, dbURL, as)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, o.roster, dbURL, nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c := newClient(srv.base, s.key)
	big := s.sized(o.patchSize)

	// P1, P7, P8: the PATCH at the PATCH account, side by side with the
	// reference's PATCH and with the same PATCH spread over the small
	// accounts; then pgbench running Roster's statements.
	spread := s.accounts[len(o.sizes):]
	fmt.Fprintf(stderr, "%s: P1/P7/P8 PATCH, the reference's, one account's and %d accounts', %d clients, in turns for %s each…\n",
		dialect, len(spread), o.clients, o.duration)
	patches, err := sideBySide(o.duration, ref.c.loop(o.clients, ref.patch),
		c.loop(o.clients, patchOn([]seededAccount{big})), c.loop(o.clients, patchOn(spread)))
	if err != nil {
		return nil, fmt.Errorf("P1: %w", err)
	}
	p1, p8 := patches[1], patches[2]
	f.patch = patches[0]
	rs := []result{info(dialect, "P1", fmt.Sprintf("PATCH membership (%d-member account), req/s", big.size), perSecond(p1))}
	if dialect == "postgres" {
		same, err := rosterPatch(ctx, dbURL, o, s, big)
		if err != nil {
			return nil, fmt.Errorf("pgbench: %w", err)
		}
		rs = append(rs,
			info(dialect, "P1", "pgbench, same SQL, tx/s", fmt.Sprintf("%.0f", same)),
			atLeast(dialect, "P1", "ratio roster/pgbench", p1.perSecond/same, 0.70))
	}

	// P14: the same PATCH with a seat limit on the account.
	fmt.Fprintf(stderr, "%s: P14 PATCH with a seat limit…\n", dialect)
	seats, err := measureSeats(c, dialect, o, big)
	if err != nil {
		return nil, fmt.Errorf("P14: %w", err)
	}
	rs = append(rs, seats...)

	// P2: GET latency at half of the measured maximum.
	fmt.Fprintf(stderr, "%s: P2/P6/P10 GET, the reference's, Roster's and POST /v1/authorize, in turns…\n", dialect)
	get := func(int64) request {
		return request{"GET", "/v1/account-memberships/" + big.memberID(rand.IntN(big.size)), ""}
	}
	gets, err := sideBySide(o.duration, ref.c.loop(o.clients, ref.get), c.loop(o.clients, get), c.loop(o.clients, authorizeOn(big)))
	if err != nil {
		return nil, fmt.Errorf("P2 max: %w", err)
	}
	maxGet, maxAuth := gets[1], gets[2]
	f.get = gets[0]
	rs = append(rs, floorRows(dialect, f)...)
	lat, server, err := c.openLoop(maxGet.perSecond/2, o.duration, o.clients*2, get)
	if err != nil {
		return nil, fmt.Errorf("P2: %w", err)
	}
	p99 := percentile(lat, 99)
	half := fmt.Sprintf("%.0f req/s", maxGet.perSecond/2)
	rs = append(rs,
		info(dialect, "P2", "GET membership max req/s", perSecond(maxGet)),
		info(dialect, "P2", "GET p50 at "+half, ms(percentile(lat, 50))),
		figure(dialect, "P2", "GET p99 at "+half, ms(p99), "< 10 ms", p99 < 10*time.Millisecond),
		info(dialect, "P2", "  of which in the server, p99", ms(percentile(server, 99))))

	// P3 and P4: first and deep pages at each size, API and console.
	fmt.Fprintf(stderr, "%s: P3/P4 pages…\n", dialect)
	console, err := signIn(srv.base, s.email, s.password)
	if err != nil {
		return nil, err
	}
	page, err := pages(c, console, dialect, s, o)
	if err != nil {
		return nil, fmt.Errorf("P3: %w", err)
	}
	rs = append(rs, page...)

	// P6, P7, P8: against the floors, and one account against many.
	rs = append(rs,
		atLeast(dialect, "P6", fmt.Sprintf("GET roster/reference (%s → %s)", perSecond(f.get), perSecond(maxGet)), maxGet.perSecond/f.get.perSecond, 0.5),
		atLeast(dialect, "P7", fmt.Sprintf("PATCH roster/reference (%s → %s)", perSecond(f.patch), perSecond(p1)), p1.perSecond/f.patch.perSecond, 0.7),
		info(dialect, "P8", fmt.Sprintf("PATCH over %d accounts of %d, req/s", len(spread), spread[0].size), perSecond(p8)),
		atLeast(dialect, "P8", fmt.Sprintf("PATCH one %d-member account / %d accounts", big.size, len(spread)), p1.perSecond/p8.perSecond, 0.8))

	// P9: lists at the largest account under load.
	fmt.Fprintf(stderr, "%s: P9 lists under %d clients…\n", dialect, o.clients)
	rs = append(rs, atScale(c, console, dialect, s, o)...)

	// P10, P11: the questions a product asks.
	fmt.Fprintf(stderr, "%s: P10/P11 authorize and me…\n", dialect)
	q, err := questions(c, dialect, s, big, o, maxGet, maxAuth)
	if err != nil {
		return nil, err
	}
	rs = append(rs, q...)

	// P5: the server's peak RSS over the whole run.
	rss, err := srv.peakRSS()
	if err != nil {
		return nil, err
	}
	rs = append(rs, figure(dialect, "P5", "server peak RSS (whole run)", fmt.Sprintf("%.1f MB", float64(rss)/1e6), "< 80 MB", rss < 80e6))

	if o.explain {
		plans, err := explain(ctx, dbURL, s, o)
		if err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
		rs = append(rs, plans...)
	}

	// P12: webhooks, on a server of their own (it trusts the bench's receiver).
	if o.webhooks {
		srv.stop()
		fmt.Fprintf(stderr, "%s: P12 webhooks…\n", dialect)
		hooks, err := measureWebhooks(ctx, o, dialect, tmp, dbURL, s, big)
		if err != nil {
			return nil, fmt.Errorf("P12: %w", err)
		}
		rs = append(rs, hooks...)
	}
	// P13: bulk invitations next to single ones, on a server of their own.
	if o.bulk {
		srv.stop()
		fmt.Fprintf(stderr, "%s: P13 bulk invitations…\n", dialect)
		bulk, err := measureBulk(ctx, o, dialect, dbURL, s)
		if err != nil {
			return nil, fmt.Errorf("P13: %w", err)
		}
		rs = append(rs, bulk...)
	}
	slices.SortStableFunc(rs, func(a, b result) int { return cmp.Compare(rank(a.id), rank(b.id)) })
	return rs, nil
}

// rank orders the figures in the table: the floors, P1 … P13, the plans.
func rank(id string) int {
	switch {
	case id == "floor":
		return 0
	case strings.HasPrefix(id, "P"):
		n, _ := strconv.Atoi(id[1:])
		return n
	}
	return 100
}

// floorRows are the floors' figures.
func floorRows(dialect string, f floors) []result {
	rs := []result{
		info(dialect, "floor", "Fiber, fixed body, req/s", perSecond(f.fixed)),
		info(dialect, "floor", "reference GET, req/s", perSecond(f.get)),
		info(dialect, "floor", "reference PATCH, req/s", perSecond(f.patch)),
	}
	if f.essential > 0 {
		rs = append(rs,
			info(dialect, "floor", "pgbench, essential PATCH transaction, tx/s", fmt.Sprintf("%.0f", f.essential)),
			info(dialect, "floor", "  reference PATCH / pgbench", fmt.Sprintf("%.2f", f.patch.perSecond/f.essential)))
	}
	return rs
}

// patchOn is the PATCH of P1 on a random member of a random one of the
// accounts.
func patchOn(as []seededAccount) func(int64) request {
	return func(i int64) request {
		a := as[rand.IntN(len(as))]
		return request{"PATCH", "/v1/account-memberships/" + a.memberID(rand.IntN(a.size)), patchBody(i)}
	}
}

// pageTimes are the server's times of an account's pages.
type pageTimes struct{ api, apiDeep, ui, uiDeep time.Duration }

// pages times, one request at a time, the first and a deep page of the
// list API and of the members console page at each account size, each
// against the smallest (P3), and the console page's median at the PATCH
// account (P4). The sizes take turns for each page (see timed).
func pages(c, console *client, d string, s seeded, o options) ([]result, error) {
	times := map[int]*pageTimes{}
	for _, n := range o.sizes {
		times[n] = &pageTimes{}
	}
	for _, page := range []struct {
		dst   func(*pageTimes) *time.Duration
		probe func(seededAccount) probe
	}{
		{func(t *pageTimes) *time.Duration { return &t.api }, func(a seededAccount) probe { return probe{c, listPage(a, "")} }},
		{func(t *pageTimes) *time.Duration { return &t.apiDeep }, func(a seededAccount) probe { return probe{c, listPage(a, deepCursor(a))} }},
		{func(t *pageTimes) *time.Duration { return &t.ui }, func(a seededAccount) probe {
			return probe{console, request{"GET", membersPage(a.id, ""), ""}}
		}},
		{func(t *pageTimes) *time.Duration { return &t.uiDeep }, func(a seededAccount) probe {
			return probe{console, request{"GET", membersPage(a.id, deepCursor(a)), ""}}
		}},
	} {
		probes := make([]probe, len(o.sizes))
		for i, n := range o.sizes {
			probes[i] = page.probe(s.sized(n))
		}
		medians, err := timed(200, probes...)
		if err != nil {
			return nil, err
		}
		for i, n := range o.sizes {
			*page.dst(times[n]) = medians[i]
		}
	}
	var rs []result
	small := *times[o.sizes[0]]
	for _, n := range o.sizes[1:] {
		big := *times[n]
		sizes := fmt.Sprintf("%d/%d", n, o.sizes[0])
		for _, p := range []struct {
			what       string
			small, big time.Duration
		}{
			{"list API first page", small.api, big.api},
			{"list API deep page", small.apiDeep, big.apiDeep},
			{"members page first", small.ui, big.ui},
			{"members page deep", small.uiDeep, big.uiDeep},
		} {
			rs = append(rs, atMost(d, "P3", fmt.Sprintf("%s %s (%s → %s)", p.what, sizes, ms(p.small), ms(p.big)),
				float64(p.big)/float64(p.small), 1.3))
		}
	}
	p4 := times[o.patchSize].ui
	rs = append(rs, figure(d, "P4", fmt.Sprintf("members page (50 rows, %d members) server time median", o.patchSize), ms(p4), "< 5 ms", p4 < 5*time.Millisecond))
	return rs, nil
}

// listPage is the list API's page of 50 of the account's members after the
// cursor.
func listPage(a seededAccount, after string) request {
	path := "/v1/account-memberships?limit=50&account_id=" + a.id
	if after != "" {
		path += "&starting_after=" + after
	}
	return request{"GET", path, ""}
}

// deepCursor is the cursor of the account's deep page: 50 members before
// its last.
func deepCursor(a seededAccount) string { return a.memberID(a.size - 51) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func perSecond(t throughput) string { return fmt.Sprintf("%.0f", t.perSecond) }
