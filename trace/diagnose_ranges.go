package trace

// The check of nameserver addresses against the blocks the internet does
// not route: private-address.

import (
	"fmt"
	"net/netip"
)

// specialRanges are the address blocks that the internet does not route to
// a nameserver, with what they are.
var specialRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" space (RFC 791)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private space (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared carrier-grade NAT space (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback space (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local space (RFC 3927)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private space (RFC 1918)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation space (RFC 5737)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private space (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking space (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation space (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation space (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast space (RFC 5771)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved space (RFC 1112)"},
	{netip.MustParsePrefix("::/128"), "the unspecified address (RFC 4291)"},
	{netip.MustParsePrefix("::1/128"), "the loopback address (RFC 4291)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local space (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local space (RFC 4291)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast space (RFC 4291)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation space (RFC 3849)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation space (RFC 9637)"},
}

// SpecialRange says which block not routed on the internet a holds, e.g.
// "private space (RFC 1918)", or "" for an address the internet can reach.
func SpecialRange(a netip.Addr) string {
	a = a.Unmap()
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			return r.what
		}
	}
	return ""
}

// private flags nameserver addresses that the internet does not route,
// once for each name and address, at the first zone it was seen for.
func (d *diagnosis) private() {
	seen := map[string]string{} // name and address → zone of the finding
	for _, a := range d.nsAddrs {
		what := SpecialRange(a.addr)
		if what == "" {
			continue
		}
		key := canon(a.name) + " " + a.addr.String()
		zone, ok := seen[key]
		if !ok {
			zone = a.zone
			seen[key] = zone
		}
		d.addCause(key, "unroutable", Finding{Code: CodePrivateAddress, Zone: zone, Server: &Server{Name: a.name, Addr: a.addr}, Hops: []int{a.hop},
			Message: fmt.Sprintf("%s, a nameserver of %s, has the address %s, in %s: resolvers on the internet cannot reach it, so it works only inside a network that routes it (split horizon)",
				a.name, zone, a.addr, what)},
			func(n int, names string) string {
				return fmt.Sprintf("%d nameserver addresses of %s are in ranges the internet does not route: %s; resolvers on the internet cannot reach them, so they work only inside a network that routes them (split horizon)",
					n, zone, names)
			})
	}
}
