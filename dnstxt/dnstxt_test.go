package dnstxt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"roster/dnstxt"
	"roster/dnstxt/dnstest"
)

// TestResolverAsksTheServer: the resolver reads a name's TXT records from
// the server of ROSTER_DNS_SERVER (set in memory, or a directory's file),
// long records joined, and tells a name without any apart from a failure.
func TestResolverAsksTheServer(t *testing.T) {
	dir := t.TempDir()
	s, err := dnstest.Start("0", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	long := "roster-verify=" + strings.Repeat("x", 300)
	s.Set("_roster-challenge.Example.COM", "v=spf1 -all", long)
	if err := os.WriteFile(filepath.Join(dir, "_roster-challenge.file.example"), []byte("roster-verify=abc\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := dnstxt.Resolver{Server: s.Addr}
	ctx := context.Background()
	got, err := r.LookupTXT(ctx, "_roster-challenge.example.com")
	if err != nil || !slices.Contains(got, long) || !slices.Contains(got, "v=spf1 -all") {
		t.Fatalf("records %q, %v", got, err)
	}
	if got, err := r.LookupTXT(ctx, "_roster-challenge.file.example."); err != nil || !slices.Equal(got, []string{"roster-verify=abc"}) {
		t.Fatalf("records from the directory %q, %v", got, err)
	}
	if _, err := r.LookupTXT(ctx, "_roster-challenge.nothing.example"); !errors.Is(err, dnstxt.ErrNoRecords) {
		t.Fatalf("a name without records: %v", err)
	}
	s.Close()
	if _, err := (dnstxt.Resolver{Server: s.Addr, Timeout: 300e6}).LookupTXT(ctx, "x.example"); err == nil || errors.Is(err, dnstxt.ErrNoRecords) {
		t.Fatalf("a server that does not answer: %v", err)
	}
}

// TestCheckServer: ROSTER_DNS_SERVER is empty or host:port.
func TestCheckServer(t *testing.T) {
	for server, ok := range map[string]bool{"": true, "127.0.0.1:53": true, "[::1]:5353": true, "dns.example:53": true,
		"127.0.0.1": false, ":53": false, "dns.example": false} {
		if err := dnstxt.CheckServer(server); (err == nil) != ok {
			t.Errorf("CheckServer(%q) = %v", server, err)
		}
	}
}
