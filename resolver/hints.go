package resolver

import (
	_ "embed"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

//go:embed named.root
var namedRoot string

// RootHints returns the embedded IANA root hints (named.root): the 13 root
// servers with their IPv4 and IPv6 addresses, in the order the walk tries them.
func RootHints() []trace.Server {
	hints, err := ParseRootHints("named.root", strings.NewReader(namedRoot))
	if err != nil {
		panic("resolver: embedded named.root: " + err.Error()) // tested; cannot happen
	}
	return hints
}

// ParseRootHints reads root hints in the format of IANA's named.root: NS
// records for the root, and A and AAAA records for those names. Servers are
// returned sorted by name, IPv4 addresses before IPv6. Errors name the file and line.
func ParseRootHints(file string, r io.Reader) ([]trace.Server, error) {
	zp := dns.NewZoneParser(r, ".", file)
	var names []string
	addrs := map[string][]netip.Addr{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		owner := strings.ToLower(rr.Header().Name)
		switch rr := rr.(type) {
		case *dns.NS:
			if owner != "." {
				return nil, fmt.Errorf("%s: NS record for %s, want the root (.)", file, owner)
			}
			names = append(names, strings.ToLower(rr.Ns))
		case *dns.A, *dns.AAAA:
			if a := trace.AddrOf(rr); a.IsValid() {
				addrs[owner] = append(addrs[owner], a)
			}
		}
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var hints []trace.Server
	for _, n := range names {
		as := addrs[n]
		sortAddrs(as)
		for _, a := range slices.Compact(as) {
			hints = append(hints, trace.Server{Name: n, Addr: a, Source: trace.SourceHints})
		}
	}
	if len(hints) == 0 {
		return nil, fmt.Errorf("%s: no root server with an address", file)
	}
	return hints, nil
}

// sortAddrs orders IPv4 addresses before IPv6, each in numeric order.
func sortAddrs(as []netip.Addr) {
	slices.SortFunc(as, func(a, b netip.Addr) int {
		if a.Is4() != b.Is4() {
			if a.Is4() {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
}
