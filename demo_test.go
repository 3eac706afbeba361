package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"roster/db"
)

func TestDemoCommand(t *testing.T) {
	url := "sqlite:" + t.TempDir() + "/roster.db"
	code, out, errOut := runCmd(t, "demo", "--database-url", url, "--base-url", "https://roster.example/")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, `sign in at https://roster.example/login as:`) || !strings.Contains(out, "sk_test_") {
		t.Fatalf("demo printed:\n%s", out)
	}
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	lines := regexp.MustCompile(`(?m)^  (owner|admin|support) +(\S+@demo\.example) +password (\S+)$`).FindAllStringSubmatch(out, -1)
	if len(lines) != 3 {
		t.Fatalf("sign-in lines %q in:\n%s", lines, out)
	}
	for _, l := range lines {
		if wm, err := d.SignIn(context.Background(), l[2], l[3]); err != nil || wm.Role != l[1] {
			t.Fatalf("sign in with the printed %s password: %+v, %v", l[1], wm, err)
		}
	}
	var body string
	if err := d.Get(&body, `SELECT body FROM outbox LIMIT 1`); err != nil || !strings.Contains(body, "https://roster.example/invitations/") {
		t.Fatalf("invitation email %q (%v)", body, err)
	}

	code, _, errOut = runCmd(t, "demo", "--database-url", url)
	if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `already has the demo workspace "Demo"`) {
		t.Fatalf("second demo: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "demo", "--database-url", url, "--base-url", "ftp://x"); code == 0 || !strings.Contains(errOut, "--base-url") {
		t.Fatalf("bad base URL: exit %d, %q", code, errOut)
	}
}
