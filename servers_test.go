package main

// Real `roster serve` processes for tests: several servers on one database,
// as a deployment runs them, each on its own loopback port and stopped when
// the test ends.

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"roster/web/webtest"
)

// serverProcess is one running `roster serve` process.
type serverProcess struct {
	URL  string // its base URL, e.g. http://127.0.0.1:41234
	cmd  *exec.Cmd
	out  *webtest.SyncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // how it exited, once done is closed
	killed bool          // by kill: its exit is no failure
}

// Output is what the process wrote so far, for a failing test to show.
func (s *serverProcess) Output() string { return s.out.String() }

// buildRoster compiles the roster command into the test's temporary directory
// and returns its path.
func buildRoster(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "roster")
	out, err := exec.Command("go", "build", "-o", bin, "roster").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServers starts n servers of the binary on one database at once, each
// with the flags (e.g. --jwt-hs256-secret), and waits until all answer.
func startServers(t testing.TB, bin string, n int, databaseURL string, flags ...string) []*serverProcess {
	t.Helper()
	servers := make([]*serverProcess, n)
	for i := range servers {
		servers[i] = startServer(t, bin, databaseURL, flags)
	}
	for _, s := range servers {
		s.waitReady(t)
	}
	return servers
}

// startServer starts one server without waiting for it.
func startServer(t testing.TB, bin, databaseURL string, flags []string) *serverProcess {
	t.Helper()
	addr := loopbackAddr(t)
	s := &serverProcess{URL: "http://" + addr, out: &webtest.SyncBuffer{}}
	args := append([]string{"serve", "--database-url", databaseURL, "--addr", addr, "--rate-limit", "0"}, flags...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.Env = append(os.Environ(), "DATABASE_URL=")
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	s.done = make(chan struct{})
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// waitReady polls /readyz until the server answers 200, failing the test
// (with the server's output) after 30 s or when the process exits.
func (s *serverProcess) waitReady(t testing.TB) {
	t.Helper()
	client := http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s.exited() {
			t.Fatalf("%s exited before it served:\n%s", s.URL, s.Output())
		}
		res, err := client.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s not ready after 30 s:\n%s", s.URL, s.Output())
}

// exited reports whether the process has ended, without waiting for it.
func (s *serverProcess) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill ends the process at once (SIGKILL), as a crash would, and waits for it.
func (s *serverProcess) kill() {
	s.killed = true
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop asks the process to drain and exit, and kills it after 10 s.
func (s *serverProcess) stop(t testing.TB) {
	if s.killed {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.err != nil && !t.Failed() {
			t.Errorf("%s exited with %v:\n%s", s.URL, s.err, s.Output())
		}
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("%s did not stop within 10 s of SIGTERM:\n%s", s.URL, s.Output())
	}
}

// loopbackAddr returns a loopback address with a port free at the moment.
func loopbackAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
