package trace

import (
	"net/netip"

	"github.com/miekg/dns"
)

// AddrOf gives the address an A or AAAA record holds, an IPv4-mapped IPv6
// address unmapped; the zero Addr for any other record.
func AddrOf(rr dns.RR) netip.Addr {
	var a netip.Addr
	switch rr := rr.(type) {
	case *dns.A:
		a, _ = netip.AddrFromSlice(rr.A.To4())
	case *dns.AAAA:
		a, _ = netip.AddrFromSlice(rr.AAAA.To16())
	}
	return a.Unmap()
}

// AddrsOf gives the addresses of the A and AAAA records among rrs, in order.
func AddrsOf(rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		if a := AddrOf(rr); a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}
