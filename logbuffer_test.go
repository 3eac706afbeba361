package main

import (
	"strings"
	"testing"
	"time"

	"roster/web/webtest"
)

// TestLogBuffer: log lines reach the output within a few flush intervals
// without a write per line, whole and in order, and Close writes out what
// is left at once.
func TestLogBuffer(t *testing.T) {
	var out webtest.SyncBuffer
	b := newLogBuffer(&out)
	var want strings.Builder
	for i := range 100 {
		line := strings.Repeat("x", i) + "\n"
		want.WriteString(line)
		if _, err := b.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * logFlushInterval)
	for out.String() != want.String() && time.Now().Before(deadline) {
		time.Sleep(logFlushInterval / 4)
	}
	if out.String() != want.String() {
		t.Fatalf("after %s the output holds %d of %d bytes", 20*logFlushInterval, len(out.String()), want.Len())
	}
	if _, err := b.Write([]byte("last\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasSuffix(got, "\nlast\n") {
		t.Errorf("Close did not write out the last line: %q", got[max(0, len(got)-20):])
	}
}
