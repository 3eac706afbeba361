package web

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/handlers"
)

// Fiber's own proxy support is not used: with ProxyHeader set, c.IP()
// takes the leftmost address of X-Forwarded-For, which the client writes
// itself (a proxy appends the address it sees), and without
// EnableTrustedProxyCheck, c.Protocol() and c.Hostname() believe
// X-Forwarded-Proto and X-Forwarded-Host from anyone. identifyClient is the
// one place that reads those headers.

// ParseTrustedProxies reads ROSTER_TRUSTED_PROXIES: CIDRs (10.0.0.0/8,
// fd00::/8) or single addresses, separated by commas.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var proxies []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither a CIDR (10.0.0.0/8) nor an IP address", item)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		proxies = append(proxies, p.Masked())
	}
	return proxies, nil
}

// trusted reports whether a is one of the configured proxies.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// identifyClient records where the request comes from (handlers.ClientOf):
// the peer's address and whether it came over TLS, or, when the peer is a
// trusted proxy, what the proxies' headers say.
func (s *Server) identifyClient(c *fiber.Ctx) error {
	handlers.SetClient(c, s.client(c))
	return c.Next()
}

// client is where the request comes from. From a trusted peer, the client
// is the rightmost address of X-Forwarded-For that is not a trusted proxy
// (every address left of it was written by someone not trusted), and the
// scheme is the rightmost of X-Forwarded-Proto, the one the nearest proxy
// set. From anyone else both headers are ignored.
func (s *Server) client(c *fiber.Ctx) handlers.Client {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	cl := handlers.Client{Addr: peer.String(), HTTPS: c.Context().IsTLS()}
	if !s.trusted(peer) {
		return cl
	}
	cl.Addr = s.forwardedFor(c, peer).String()
	if proto := lastHop(headerList(c, fiber.HeaderXForwardedProto)); proto != "" {
		cl.HTTPS = strings.EqualFold(proto, "https")
	}
	return cl
}

// forwardedFor walks X-Forwarded-For from the right, from the trusted peer
// towards the client, and stops at the first address that is not a
// trusted proxy. A hop that is not an address stops the walk at the last
// trusted one; when every hop is trusted, the leftmost is the client.
func (s *Server) forwardedFor(c *fiber.Ctx, peer netip.Addr) netip.Addr {
	hops := strings.Split(headerList(c, fiber.HeaderXForwardedFor), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !s.trusted(a) {
			break
		}
	}
	return client
}

// parseHop reads one address of X-Forwarded-For, with or without a port.
func parseHop(hop string) (netip.Addr, bool) {
	hop = strings.TrimSpace(hop)
	if a, err := netip.ParseAddr(hop); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// headerList joins every line of a header that may be given several times,
// in order, as one comma-separated list.
func headerList(c *fiber.Ctx, name string) string {
	var parts []string
	for _, v := range c.Request().Header.PeekAll(name) {
		parts = append(parts, string(v))
	}
	return strings.Join(parts, ",")
}

// lastHop is the rightmost non-empty entry of a comma-separated list.
func lastHop(list string) string {
	hops := strings.Split(list, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hops[i]); h != "" {
			return h
		}
	}
	return ""
}
