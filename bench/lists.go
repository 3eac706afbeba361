package main

import (
	"fmt"
	"slices"
)

// scaleLoad is a request that must cost the same at the largest account
// as at the smallest, under the bench's concurrent clients (P9).
type scaleLoad struct {
	what    string
	console bool // sent by the signed-in console client, not with the API key
	request func(a seededAccount) request
}

// scaleLoads are P9's requests. Every request whose cost could grow with
// the size of an account belongs here, and gets its figures and targets
// from this entry alone.
var scaleLoads = []scaleLoad{
	{"list API first page", false, func(a seededAccount) request { return listPage(a, "") }},
	{"list API deep page", false, func(a seededAccount) request { return listPage(a, deepCursor(a)) }},
	{"members page", true, func(a seededAccount) request { return request{"GET", membersPage(a.id, ""), ""} }},
	{"authorize", false, func(a seededAccount) request { return authorizeRequest(a, a.size/2) }},
}

// atScale runs each of scaleLoads under load at the smallest and at the
// largest account, and compares the two: the server's median time (its
// Server-Timing) and the throughput, each within 1.3×. A load whose
// requests fail is a failed figure, not the end of the run.
func atScale(c, console *client, d string, s seeded, o options) []result {
	small, large := s.sized(o.sizes[0]), s.sized(slices.Max(o.sizes))
	sizes := fmt.Sprintf("%d/%d", large.size, small.size)
	var rs []result
	for _, l := range scaleLoads {
		cl := c
		if l.console {
			cl = console
		}
		var t [2]throughput
		var failed error
		for i, a := range []seededAccount{small, large} {
			r := l.request(a)
			if t[i], failed = cl.closedLoop(o.clients, o.duration, func(int64) request { return r }); failed != nil {
				break
			}
		}
		if failed != nil {
			rs = append(rs, figure(d, "P9", fmt.Sprintf("%s %s under %d clients", l.what, sizes, o.clients),
				"failed: "+truncate(failed.Error(), 60), "≤ 1.3", false))
			continue
		}
		rs = append(rs,
			atMost(d, "P9", fmt.Sprintf("%s %s server p50 (%s → %s)", l.what, sizes, ms(t[0].server), ms(t[1].server)),
				float64(t[1].server)/float64(t[0].server), 1.3),
			atMost(d, "P9", fmt.Sprintf("%s %s req/s (%s → %s), inverse", l.what, sizes, perSecond(t[0]), perSecond(t[1])),
				t[0].perSecond/t[1].perSecond, 1.3))
	}
	return rs
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
