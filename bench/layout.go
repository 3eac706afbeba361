package main

import (
	"fmt"
	"slices"
)

// seededAccount is one account of the seed. Its members were created, one
// every step ticks, from tick start on; a membership's id is its creation
// tick and the account's number, in digits (valid ULID characters), so ids
// sort by creation time as Roster's prefix+ULID ids do, the accounts' ids
// interleave as real ones do, and pgbench computes the same ids.
type seededAccount struct {
	no          int // from 1; the last part of its members' ids
	size        int
	id          string
	start, step int64
}

// tick is when the account's i-th member was created.
func (a seededAccount) tick(i int) int64 { return a.start + int64(i)*a.step }

// memberID is the id of the account's i-th membership (from 0, oldest
// first).
func (a seededAccount) memberID(i int) string { return fmt.Sprintf("am_%013d%013d", a.tick(i), a.no) }

// userID is the id of the user of the account's i-th membership.
func (a seededAccount) userID(i int) string { return fmt.Sprintf("usr_%013d%013d", a.tick(i), a.no) }

// eventID is the id of the event of the account's i-th membership.
func (a seededAccount) eventID(i int) string { return fmt.Sprintf("evt_%013d%013d", a.tick(i), a.no) }

// suffix is the last part of the account's membership ids, for pgbench.
func (a seededAccount) suffix() string { return fmt.Sprintf("%013d", a.no) }

// layout places the accounts' members on one time line of 100 ticks per
// member. The largest account grew first and stopped at 80 % of it; every
// other account started a little later and is still growing; the spread
// accounts are staggered across the middle. So every account's ids are
// mixed with the others', and the ids after the largest account's last
// member are other accounts' — the layout under which a plan that walks
// the primary key filtering by account reads rows that grow with the
// table, not with the page.
func layout(sizes []int, spread, spreadSize int) []seededAccount {
	total := spread * spreadSize
	for _, n := range sizes {
		total += n
	}
	span := int64(total) * 100
	largest := slices.Max(sizes)
	place := func(no, size int, from, to float64) seededAccount {
		start, end := int64(from*float64(span)), int64(to*float64(span))
		return seededAccount{no: no, size: size, start: start, step: max(1, (end-start)/int64(size))}
	}
	var as []seededAccount
	for i, n := range sizes {
		if n == largest {
			as = append(as, place(len(as)+1, n, 0, 0.8))
		} else {
			as = append(as, place(len(as)+1, n, 0.05*float64(i), 1))
		}
	}
	for k := range spread {
		f := 0.3 * float64(k) / float64(spread)
		as = append(as, place(len(as)+1, spreadSize, f, 0.7+f))
	}
	return as
}

// member is one seeded membership: its account's index in the layout and
// its number in the account.
type member struct {
	account int
	i       int
}

// creationOrder lists every seeded membership in the order of its id, the
// order in which they were created.
func creationOrder(as []seededAccount) []member {
	var ms []member
	for k, a := range as {
		for i := range a.size {
			ms = append(ms, member{k, i})
		}
	}
	slices.SortFunc(ms, func(x, y member) int {
		tx, ty := as[x.account].tick(x.i), as[y.account].tick(y.i)
		switch {
		case tx < ty:
			return -1
		case tx > ty:
			return 1
		}
		return as[x.account].no - as[y.account].no
	})
	return ms
}
