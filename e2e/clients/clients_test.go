// Package clients tests that the OpenAPI document generates clean clients:
// it serves Roster, generates a Go client (oapi-codegen) and a TypeScript
// client (openapi-typescript + openapi-fetch) from the served
// /v1/openapi.json with default options and no hand edits, compiles them
// and runs the docs/api.md flow through each. `make test-clients` runs it.
package clients

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oapiCodegen is the generator of the Go client, as docs/api.md gives it.
const oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"

// server is a running roster serve with a workspace and a live secret key.
type server struct {
	url string // its ROSTER_BASE_URL
	key string
}

func TestGeneratedClients(t *testing.T) {
	srv := serve(t)
	doc := filepath.Join(t.TempDir(), "openapi.json")
	servers := fetchDocument(t, srv.url, doc)
	if len(servers) != 1 || servers[0] != srv.url {
		t.Fatalf("servers of the served document = %v, want [%s] (ROSTER_BASE_URL)", servers, srv.url)
	}
	env := []string{"ROSTER_URL=" + servers[0], "ROSTER_KEY=" + srv.key}

	t.Run("go", func(t *testing.T) {
		run(t, ".", nil, "go", "run", oapiCodegen, "-generate", "types,client", "-package", "roster",
			"-o", filepath.Join("goflow", "roster", "client.gen.go"), doc)
		run(t, ".", nil, "go", "vet", "./goflow/...")
		run(t, ".", append(env, "ROSTER_RUN=go"), "go", "run", "./goflow")
	})
	t.Run("typescript", func(t *testing.T) {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is missing: the TypeScript client is not generated nor tested (install Node.js 20 or later)")
		}
		if _, err := os.Stat(filepath.Join("ts", "node_modules")); err != nil {
			run(t, "ts", nil, "npm", "ci", "--no-audit", "--no-fund")
		}
		run(t, "ts", nil, filepath.Join("node_modules", ".bin", "openapi-typescript"), doc, "-o", "roster.gen.ts")
		run(t, "ts", nil, filepath.Join("node_modules", ".bin", "tsc"), "-p", ".")
		run(t, "ts", append(env, "ROSTER_RUN=ts"), "node", filepath.Join("dist", "flow.js"))
	})
}

// serve builds roster, bootstraps a workspace and a live secret key through
// its command line, and serves it on a free port (its ROSTER_BASE_URL
// naming that port) until the test ends.
func serve(t *testing.T) server {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "roster")
	run(t, filepath.Join("..", ".."), nil, "go", "build", "-o", bin, ".")
	dbURL := "sqlite:" + filepath.Join(dir, "roster.db")
	cli := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--database-url", dbURL)...).Output()
		if err != nil {
			t.Fatalf("roster %s: %v\n%s", strings.Join(args, " "), err, stderrOf(err))
		}
		return out
	}
	cli("bootstrap", "--workspace", "Clients", "--email", "owner@example.com", "--password", "a long password for the clients")
	var key struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(cli("apikey", "create", "--workspace", "Clients", "--mode", "live", "--kind", "secret", "--json"), &key); err != nil || key.Secret == "" {
		t.Fatalf("roster apikey create --json: %v", err)
	}

	addr := freeAddr(t)
	base := "http://" + addr
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", "--addr", addr, "--database-url", dbURL)
	cmd.Env = append(os.Environ(), "ROSTER_BASE_URL="+base)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("roster serve's log:\n%s", log.String())
		}
	})
	waitReady(t, base+"/healthz")
	return server{url: base, key: key.Secret}
}

// fetchDocument saves the served document at path and answers its servers.
func fetchDocument(t *testing.T, base, path string) []string {
	t.Helper()
	res, err := http.Get(base + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(res.Body); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /v1/openapi.json: %d %v", res.StatusCode, err)
	}
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(raw.Bytes(), &doc); err != nil {
		t.Fatalf("the served document is not JSON: %v", err)
	}
	if err := os.WriteFile(path, raw.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
	}
	return urls
}

// run runs a command in dir, failing the test with its output.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	if len(out) > 0 {
		t.Logf("%s: %s", name, bytes.TrimSpace(out))
	}
}

func stderrOf(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster serve did not answer %s", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
