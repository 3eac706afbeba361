package db

import (
	"net/netip"
	"sync"
)

// NetPolicy is where webhooks may connect: any public address, and the
// refused kinds of address (loopback, private, link-local, multicast,
// unspecified, and the reserved ranges of reservedNets) only inside
// Allow (ROSTER_WEBHOOK_ALLOW_NETS).
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
	for _, n := range reservedNets {
		if n.Contains(ip) {
			return "reserved address " + ip.String() + " refused"
		}
	}
	return ""
}

// reservedNets are the other ranges that are not the public internet
// (RFC 6890) and can lead inside a network: shared address space
// (carrier-grade NAT, where some clouds answer their metadata), "this
// network", benchmarking, IETF assignments, the reserved block with the
// broadcast address, IPv4-compatible IPv6, and the NAT64 prefixes that
// translate to any IPv4 address, private ones included.
var reservedNets = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
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
