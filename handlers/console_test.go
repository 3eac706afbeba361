package handlers

import (
	"net/url"
	"strings"
	"testing"
)

// hostileNext are targets that must never leave SafePath as they came.
var hostileNext = []string{
	"", "accounts", "https://evil.example/", "http:/evil.example", "javascript:alert(1)", "//evil.example",
	"/\\evil.example", "/\t/evil.example", "/%09/evil.example", "\t/evil.example", "/\r\nSet-Cookie: x=1",
	"/\nLocation: //evil.example", "/accounts\r\n", "/%2F/evil.example", "/%2f%2fevil.example",
	"/%5Cevil.example", "/accounts?x=\x00", "/\u00a0/evil.example", "/\u2028/evil.example",
	"/\u3000/evil.example", "/\u200b/evil.example", "/\ufeff", "/a b", "/\x7f", "/\xff\xfe",
	"/\\/evil.example", "/.\\evil.example",
}

func TestSafePath(t *testing.T) {
	for _, to := range hostileNext {
		if got := SafePath(to, Home); got != Home {
			t.Errorf("SafePath(%q) = %q, want the fallback", to, got)
		}
	}
	for to, want := range map[string]string{
		"/":                                "/",
		"/accounts":                        "/accounts",
		"/activity?type=account.created":   "/activity?type=account.created",
		"/accounts?q=Acme+Shop&after=acc_": "/accounts?q=Acme+Shop&after=acc_",
		"/accounts?q=café":                 "/accounts?q=caf%C3%A9",
		"/accounts/acc_1#members":          "/accounts/acc_1#members",
		"/.//evil.example":                 "/.//evil.example", // a path on this host: browsers keep it here
	} {
		if got := SafePath(to, Home); got != want {
			t.Errorf("SafePath(%q) = %q, want %q", to, got, want)
		}
	}
}

// FuzzSafePath checks that whatever comes in, what comes out is the
// fallback or a printable ASCII path that a browser resolves on this site.
func FuzzSafePath(f *testing.F) {
	for _, s := range hostileNext {
		f.Add(s)
	}
	f.Add("/accounts?q=café")
	base, _ := url.Parse("https://roster.test/login")
	f.Fuzz(func(t *testing.T, to string) {
		got := SafePath(to, "-")
		if got == "-" {
			return
		}
		for i := range len(got) {
			if got[i] <= ' ' || got[i] >= 0x7f {
				t.Fatalf("SafePath(%q) = %q holds byte %#x", to, got, got[i])
			}
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") {
			t.Fatalf("SafePath(%q) = %q is not one path", to, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("SafePath(%q) = %q does not parse: %v", to, got, err)
		}
		// Browsers read a backslash as a slash.
		if r := base.ResolveReference(u); r.Host != "roster.test" || r.Scheme != "https" ||
			strings.HasPrefix(strings.ReplaceAll(u.Path, "\\", "/"), "//") {
			t.Fatalf("SafePath(%q) = %q leads to %s", to, got, r)
		}
	})
}

// TestSeal: what seal makes opens with its key only, and tells nothing
// of what it holds.
func TestSeal(t *testing.T) {
	key, other := make([]byte, 32), make([]byte, 32)
	other[0] = 1
	secret := "sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	sealed, err := seal(key, []byte(secret))
	if err != nil || strings.Contains(sealed, "0123456789") {
		t.Fatalf("seal: %q, %v", sealed, err)
	}
	if again, _ := seal(key, []byte(secret)); again == sealed {
		t.Fatal("two seals of one value are the same")
	}
	if b, err := unseal(key, sealed); err != nil || string(b) != secret {
		t.Fatalf("unseal: %q, %v", b, err)
	}
	for name, tc := range map[string]struct {
		key    []byte
		sealed string
	}{
		"another key": {other, sealed}, "cut short": {key, sealed[:10]}, "not base64": {key, "!!"}, "a short key": {key[:5], sealed},
	} {
		if _, err := unseal(tc.key, tc.sealed); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}
