package db

import (
	"net/netip"
	"sync"
)

// NetPolicy is where webhooks may connect: any public address, and the
// refused kinds of address (loopback, private, link-local, multicast,
// unspecified) only inside Allow (ROSTER_WEBHOOK_ALLOW_NETS).
type NetPolicy struct {
	Allow []netip.Prefix
}

// Refusal says why the policy refuses a connection to ip, "" when it allows it.
func (p NetPolicy) Refusal(ip netip.Addr) string {
	ip = ip.Unmap()
	for _, n := range p.Allow {
		if n.Contains(ip) {
			return ""
		}
	}
	switch {
	case ip.IsLoopback():
		return "loopback address " + ip.String() + " refused"
	case ip.IsPrivate():
		return "private address " + ip.String() + " refused"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local address " + ip.String() + " refused"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast address " + ip.String() + " refused"
	case ip.IsUnspecified():
		return "unspecified address " + ip.String() + " refused"
	}
	return ""
}

// netPolicy holds a DB's NetPolicy.
type netPolicy struct {
	mu sync.Mutex
	p  NetPolicy
}

// UseNetPolicy sets where webhook endpoints may point (the server's
// ROSTER_WEBHOOK_ALLOW_NETS); by default no refused kind of address.
func (s *DB) UseNetPolicy(p NetPolicy) {
	s.nets.mu.Lock()
	defer s.nets.mu.Unlock()
	s.nets.p = p
}

// NetPolicy is where webhook endpoints may point.
func (s *DB) NetPolicy() NetPolicy {
	s.nets.mu.Lock()
	defer s.nets.mu.Unlock()
	return s.nets.p
}
