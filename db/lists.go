package db

import "sort"

// SortedUnique returns the strings sorted, each once, never nil.
func SortedUnique(xs []string) []string {
	out := make([]string, 0, len(xs))
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// difference returns the keys of a that are not in b.
func difference(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, k := range b {
		in[k] = true
	}
	var out []string
	for _, k := range a {
		if !in[k] {
			out = append(out, k)
		}
	}
	return out
}

// intersect returns the keys in both a and b.
func intersect(a, b []string) []string {
	return difference(a, difference(a, b))
}

// intersection returns the elements of a that are in b, in a's order.
func intersection(a, b []string) []string {
	return difference(a, difference(a, b))
}
