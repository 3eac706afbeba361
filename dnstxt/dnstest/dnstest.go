// Package dnstest is a DNS server for tests: it listens on 127.0.0.1 only
// (UDP and TCP on one port) and answers TXT questions from the records it
// is given, in memory (Set) or, for a browser suite in another process,
// from a directory with one file per name (Dir).
package dnstest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	// Addr is its host:port, for dnstxt.Resolver.Server.
	Addr string
	// Dir, when set, holds a file per name (the name without its final
	// dot) whose lines are that name's TXT records; read on every question.
	Dir string

	mu      sync.Mutex
	records map[string][]string
	udp     *dns.Server
	tcp     *dns.Server
}

// Start serves on 127.0.0.1:port (0: a free port), answering from dir
// ("" for none).
func Start(port, dir string) (*Server, error) {
	pc, ln, err := listen(port)
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: pc.LocalAddr().String(), Dir: dir, records: map[string][]string{}}
	s.udp = &dns.Server{PacketConn: pc, Handler: s}
	s.tcp = &dns.Server{Listener: ln, Handler: s}
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	return s, nil
}

// listen opens UDP and TCP on one port of 127.0.0.1: port, or a free one
// when port is "" or "0" (trying again when the UDP port found is taken
// for TCP).
func listen(port string) (net.PacketConn, net.Listener, error) {
	if port == "" {
		port = "0"
	}
	for tries := 0; ; tries++ {
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		_ = pc.Close()
		if port != "0" || tries == 20 {
			return nil, nil, err
		}
	}
}

// Set makes values the TXT records of name (none: the name has none).
func (s *Server) Set(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[dns.Fqdn(strings.ToLower(name))] = values
}

// Close stops the server.
func (s *Server) Close() {
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
}

// ServeDNS answers one question: the TXT records of its name, NXDOMAIN
// when there are none.
func (s *Server) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	if len(q.Question) == 1 && q.Question[0].Qtype == dns.TypeTXT {
		name := strings.ToLower(q.Question[0].Name)
		values := s.lookup(name)
		for _, v := range values {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1},
				Txt: chunks(v),
			})
		}
		if len(values) == 0 {
			m.Rcode = dns.RcodeNameError
		}
	}
	_ = w.WriteMsg(m)
}

// chunks splits a record into the strings of at most 255 bytes a TXT
// record is made of.
func chunks(v string) []string {
	var out []string
	for len(v) > 255 {
		out, v = append(out, v[:255]), v[255:]
	}
	return append(out, v)
}

// lookup reads the records of a fully qualified, lower-cased name.
func (s *Server) lookup(name string) []string {
	s.mu.Lock()
	values, ok := s.records[name]
	s.mu.Unlock()
	if ok || s.Dir == "" {
		return values
	}
	file := strings.TrimSuffix(name, ".")
	if file == "" || strings.ContainsAny(file, `/\`) || strings.HasPrefix(file, ".") {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, file))
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			values = append(values, line)
		}
	}
	return values
}
