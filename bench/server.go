package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// server is a child process serving HTTP: `roster serve` or the
// reference.
type server struct {
	cmd  *exec.Cmd
	base string
}

// startServer starts roster on a free loopback port, with more flags and
// environment variables (NAME=value) if any, and waits until it is ready.
func startServer(ctx context.Context, roster, dbURL string, flags []string, env ...string) (*server, error) {
	return startProcess(ctx, roster, func(addr string) []string {
		return append([]string{"serve", "--addr", addr, "--database-url", dbURL, "--rate-limit", "0"}, flags...)
	}, env...)
}

// startProcess starts program with the arguments args gives for a free
// loopback address and the environment variables env besides the bench's,
// and waits until its /readyz answers 200.
func startProcess(ctx context.Context, program string, args func(addr string) []string, env ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, program, args(addr)...)
	// The JWT secret lets the bench sign the token of GET /v1/me; the
	// reference server reads none of these.
	cmd.Env = append(append(os.Environ(), "ROSTER_LOG_FORMAT=json", "ROSTER_JWT_HS256_SECRET="+benchJWTSecret), env...)
	logf, err := os.CreateTemp("", "roster-bench-server-*.log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not become ready (log: %s)", program, logf.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// peakRSS is the server's peak resident set size in bytes (VmHWM).
func (s *server) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			_, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", s.cmd.Process.Pid)
}

// stop sends SIGTERM and waits for the drain.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}
