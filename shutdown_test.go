package main

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownWithIdleConnection holds a connection open that never sends
// a byte, as a browser's preconnect or a load balancer's probe does, and
// stops the server with SIGTERM: it stops within seconds and exits 0, not
// after its whole 20 s drain with an error. A connection kept alive after
// one request must not hold it up either.
func TestShutdownWithIdleConnection(t *testing.T) {
	bin := buildRoster(t)
	srv := startServers(t, bin, 1, "sqlite:"+t.TempDir()+"/roster.db")[0]
	addr := strings.TrimPrefix(srv.URL, "http://")

	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	kept, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	if _, err := kept.Write([]byte("GET /readyz HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = kept.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	if n, err := kept.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatalf("GET /readyz on a kept-alive connection: %q (%v)", buf[:n], err)
	}
	// Let the server's accept loop hand both connections to its workers.
	time.Sleep(200 * time.Millisecond)

	start := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
	case <-time.After(30 * time.Second):
		_ = srv.cmd.Process.Kill()
		<-srv.done
		t.Fatalf("still serving 30 s after SIGTERM:\n%s", srv.Output())
	}
	took := time.Since(start)
	t.Logf("stopped %v after SIGTERM", took.Round(time.Millisecond))
	if srv.err != nil {
		t.Fatalf("exited with %v after %v, want 0:\n%s", srv.err, took.Round(time.Millisecond), srv.Output())
	}
	if took > 10*time.Second {
		t.Fatalf("took %v to stop, want well under the 20 s drain:\n%s", took.Round(time.Millisecond), srv.Output())
	}

	// The server closed both connections: reading ends, no answer pending.
	for name, c := range map[string]net.Conn{"silent": silent, "kept-alive": kept} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s connection: read %d bytes after shutdown, want its end", name, n)
		}
	}
}
