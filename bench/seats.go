package main

import (
	"fmt"
	"time"
)

// measureSeats is P14: the PATCH of P1 (permissions) on the PATCH
// account without a seat limit and with one (its size, so that every seat
// is taken), side by side; the seat checks belong to the paths that add
// seats, so the PATCH must cost the same with a limit. The account is left
// without a limit.
func measureSeats(c *client, dialect string, o options, big seededAccount) ([]result, error) {
	limit := func(body string) error {
		status, _, b, err := c.send(request{"PATCH", "/v1/accounts/" + big.id, body})
		if err == nil && status != 200 {
			err = fmt.Errorf("set the seat limit: %d %.200s", status, b)
		}
		return err
	}
	patch := c.loop(o.clients, patchOn([]seededAccount{big}))
	limited := func(body string) trial {
		return func(d time.Duration) (throughput, error) {
			if err := limit(body); err != nil {
				return throughput{}, err
			}
			return patch(d)
		}
	}
	ts, err := sideBySide(o.duration, limited(`{"seat_limit":null}`), limited(fmt.Sprintf(`{"seat_limit":%d}`, big.size)))
	if err != nil {
		return nil, err
	}
	if err := limit(`{"seat_limit":null}`); err != nil {
		return nil, err
	}
	before, with := ts[0], ts[1]
	return []result{
		info(dialect, "P14", "PATCH membership, no seat limit, req/s", perSecond(before)),
		atLeast(dialect, "P14", fmt.Sprintf("PATCH with a seat limit / without (%s → %s)", perSecond(before), perSecond(with)),
			with.perSecond/before.perSecond, 0.95),
	}, nil
}
