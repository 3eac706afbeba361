// Package dnstxt looks up DNS TXT records: through the system resolver, or
// through one DNS server named by host:port (ROSTER_DNS_SERVER), which is
// how domain verification (lifecycle.md, "Joining by email domain") reads
// the challenge records. It imports nothing of the project.
package dnstxt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DefaultTimeout bounds one lookup when the Resolver sets none.
const DefaultTimeout = 5 * time.Second

// Resolver looks up TXT records. The zero Resolver uses the system's.
type Resolver struct {
	// Server is the host:port of the DNS server to ask; "" asks the
	// system resolver.
	Server string
	// Timeout bounds one lookup; zero means DefaultTimeout.
	Timeout time.Duration
}

// ErrNoRecords is a name that has no TXT record (or does not exist).
var ErrNoRecords = errors.New("dnstxt: no TXT record")

// CheckServer validates a ROSTER_DNS_SERVER value: "" or host:port.
func CheckServer(server string) error {
	if server == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(server)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("want host:port, such as 127.0.0.1:53, got %q", server)
	}
	return nil
}

// LookupTXT returns the TXT records of name, each record's strings
// joined as RFC 7208 joins them; ErrNoRecords when it has none.
func (r Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if r.Server == "" {
		return systemTXT(ctx, name)
	}
	return r.serverTXT(ctx, name)
}

// systemTXT asks the system resolver.
func systemTXT(ctx context.Context, name string) ([]string, error) {
	txt, err := net.DefaultResolver.LookupTXT(ctx, name)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound || err == nil && len(txt) == 0 {
		return nil, ErrNoRecords
	}
	if err != nil {
		return nil, fmt.Errorf("dnstxt: look up TXT %s: %w", name, err)
	}
	return txt, nil
}

// serverTXT asks r.Server over UDP, and again over TCP when the answer
// was truncated.
func (r Resolver) serverTXT(ctx context.Context, name string) ([]string, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	q.RecursionDesired = true
	in, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, q, r.Server)
	if err == nil && in.Truncated {
		in, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, q, r.Server)
	}
	if err != nil {
		return nil, fmt.Errorf("dnstxt: ask %s for TXT %s: %w", r.Server, name, err)
	}
	switch in.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, fmt.Errorf("dnstxt: %s answered TXT %s with %s", r.Server, name, dns.RcodeToString[in.Rcode])
	}
	var txt []string
	for _, rr := range in.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			txt = append(txt, strings.Join(t.Txt, ""))
		}
	}
	if len(txt) == 0 {
		return nil, ErrNoRecords
	}
	return txt, nil
}
