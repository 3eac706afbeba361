package main

import (
	"path/filepath"
	"roster/web/webtest"
	"strings"
	"testing"
)

// TestMetricsListener starts roster serve with ROSTER_METRICS_ADDR and
// ROSTER_PPROF=1: the metrics listener answers /metrics, with the route
// patterns of the requests served, and /debug/pprof/; the public one
// answers neither. The process still stops cleanly.
func TestMetricsListener(t *testing.T) {
	metrics := "http://" + loopbackAddr(t)
	t.Setenv("ROSTER_PPROF", "1")
	srv := startServers(t, buildRoster(t), 1, "sqlite:"+filepath.Join(t.TempDir(), "roster.db"),
		"--metrics-addr", strings.TrimPrefix(metrics, "http://"))[0]
	get := func(url string) (int, string) { t.Helper(); return webtest.Fetch(t, url) }
	status, body := get(metrics + "/metrics")
	if status != 200 || !strings.Contains(body, `roster_http_requests_total{method="GET",route="/readyz",status="200"}`) ||
		!strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics: %d\n%s", status, body)
	}
	if status, body := get(metrics + "/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/ on the metrics listener: %d", status)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/"} {
		if status, body := get(srv.URL + path); status != 404 || strings.Contains(body, "roster_http_requests_total") {
			t.Fatalf("the public listener answers %s: %d", path, status)
		}
	}
	if !strings.Contains(srv.Output(), "Metrics on "+metrics+"/metrics") {
		t.Fatalf("serve did not say where the metrics are:\n%s", srv.Output())
	}
}
