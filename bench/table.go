package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// result is one figure of the run.
type result struct {
	dialect, id, what string
	value             string
	target            string
	pass              *bool // nil: no target on this database
}

func figure(dialect, id, what, value, target string, pass bool) result {
	return result{dialect: dialect, id: id, what: what, value: value, target: target, pass: &pass}
}

// atLeast is a ratio that must be at least min.
func atLeast(dialect, id, what string, ratio, min float64) result {
	return figure(dialect, id, what, fmt.Sprintf("%.2f", ratio), fmt.Sprintf("≥ %.2g", min), ratio >= min)
}

// atMost is a ratio that must be at most max.
func atMost(dialect, id, what string, ratio, max float64) result {
	return figure(dialect, id, what, fmt.Sprintf("%.2f", ratio), fmt.Sprintf("≤ %.2g", max), ratio <= max)
}

func info(dialect, id, what, value string) result {
	return result{dialect: dialect, id: id, what: what, value: value, target: "-"}
}

// printTable prints every figure with its target and verdict.
func printTable(w io.Writer, rs []result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "db\tid\tmeasure\tvalue\ttarget\tverdict")
	for _, r := range rs {
		verdict := "-"
		if r.pass != nil {
			verdict = "FAIL"
			if *r.pass {
				verdict = "pass"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.dialect, r.id, r.what, r.value, r.target, verdict)
	}
	tw.Flush()
}
