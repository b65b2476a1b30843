package trace

// The checks of each delegation against the zone's own NS set: missing-glue,
// single-nameserver, ns-is-address, ns-mismatch, ns-ttl-mismatch,
// out-of-bailiwick-glue.

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// delegations compares each zone's referral with its own NS set and checks
// its glue and nameserver names: missing-glue, single-nameserver,
// ns-is-address, ns-mismatch, ns-ttl-mismatch, out-of-bailiwick-glue.
func (d *diagnosis) delegations() {
	for _, name := range d.order {
		z := d.zones[name]
		if z.ref == nil {
			continue
		}
		ref := z.ref
		d.missingGlue(z)
		if len(ref.NS) == 1 {
			d.add("", Finding{Code: CodeSingleNameserver, Zone: z.zone, Server: &Server{Name: ref.NS[0].Name}, Hops: z.refHops,
				Message: fmt.Sprintf("%s is delegated to one nameserver only, %s: when it is down the zone is down; RFC 1034 §4.1 asks for at least two, on separate networks (RFC 2182)",
					z.zone, ref.NS[0].Name)})
		}
		for _, ns := range ref.NS {
			if looksLikeAddress(ns.Name) {
				d.add(ns.Name, Finding{Code: CodeNSIsAddress, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: z.refHops,
					Message: fmt.Sprintf("%s lists %s as a nameserver: an IP address written as a name, which resolvers look up as a name and cannot find; an NS record must name a host (RFC 1035 §3.3.11), with an A or AAAA record",
						z.parent, ns.Name)})
			}
		}
		for _, g := range ref.Glue {
			if g.Ignored == ReasonOutOfBailiwick {
				d.addCause(g.Name+" "+g.Addr.String(), "out-of-bailiwick", Finding{Code: CodeOutOfBailiwickGlue, Zone: z.zone, Server: &Server{Name: g.Name, Addr: g.Addr}, Hops: z.refHops,
					Message: fmt.Sprintf("the referral from %s carried an address for %s (%s), a name outside %s; ignored, as RFC 2181 §5.4.1 requires: a server may not speak for names outside its zone (it is how caches are poisoned)",
						z.parent, g.Name, addrText(g.Addr), z.parent)},
					func(n int, names string) string {
						return fmt.Sprintf("the referral from %s carried %d addresses for names outside %s: %s; ignored, as RFC 2181 §5.4.1 requires: a server may not speak for names outside its zone (it is how caches are poisoned)",
							z.parent, n, z.parent, names)
					})
			}
		}
		if z.child == nil {
			continue
		}
		hops := append(slices.Clone(z.refHops), z.childHop)
		d.nsMismatch(z, hops)
		for _, ns := range z.child {
			if looksLikeAddress(ns.Name) {
				d.add(ns.Name, Finding{Code: CodeNSIsAddress, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: []int{z.childHop},
					Message: fmt.Sprintf("%s lists %s as one of its own nameservers: an IP address written as a name, which resolvers look up as a name and cannot find; an NS record must name a host (RFC 1035 §3.3.11), with an A or AAAA record",
						z.zone, ns.Name)})
			}
		}
		if len(ref.NS) > 0 && len(z.child) > 0 && ref.NS[0].TTL != z.child[0].TTL {
			p, c := ref.NS[0].TTL, z.child[0].TTL
			longer := "the parent's copy lasts longer in caches, so a change made in the zone alone can take " + ttlUnit(p) + " to be seen"
			if c > p {
				longer = "the zone's own copy, which resolvers prefer once they have it, lasts longer in caches"
			}
			d.add("", Finding{Code: CodeNSTTLMismatch, Zone: z.zone, Hops: hops,
				Message: fmt.Sprintf("%s gives the NS set of %s a TTL of %s, the zone itself %s: %s",
					z.parent, z.zone, ttlText(p), ttlText(c), longer)})
		}
	}
}

// missingGlue flags each nameserver of z inside it that its referral
// carries no usable glue for: one cause, no-glue.
func (d *diagnosis) missingGlue(z *zoneInfo) {
	ref := z.ref
	for _, ns := range ref.NS {
		if dns.IsSubDomain(z.zone, canon(ns.Name)) && !slices.ContainsFunc(ref.Glue, func(g Glue) bool { return g.Ignored == ReasonNone && canon(g.Name) == canon(ns.Name) }) {
			d.addCause(ns.Name, "no-glue", Finding{Code: CodeMissingGlue, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: z.refHops,
				Message: fmt.Sprintf("%s is inside %s, but the referral from %s carries no glue (address) for it: a resolver must already know the zone to find it, so the zone cannot be reached through it (RFC 9471)",
					ns.Name, z.zone, z.parent)},
				func(n int, names string) string {
					return fmt.Sprintf("%d of the %d nameservers of %s are inside it, but the referral from %s carries no glue (address) for them: %s; a resolver must already know the zone to find them, so the zone cannot be reached through them (RFC 9471)",
						n, len(ref.NS), z.zone, z.parent, names)
				})
		}
	}
}

// nsMismatch flags each nameserver that only one of the parent's NS set for
// z and the zone's own lists: causes parent-only and child-only.
func (d *diagnosis) nsMismatch(z *zoneInfo, hops []int) {
	ref := z.ref
	for _, ns := range ref.NS {
		if !hasNS(z.child, ns.Name) {
			d.addCause(ns.Name, "parent-only", Finding{Code: CodeNSMismatch, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: hops,
				Message: fmt.Sprintf("%s is in the NS set %s gives for %s, but not in the zone's own: resolvers that follow the referral still ask it; remove it at the parent, or add it to the zone",
					ns.Name, z.parent, z.zone)},
				func(n int, names string) string {
					return fmt.Sprintf("%d of the %d nameservers %s gives for %s are not in the zone's own NS set: %s; resolvers that follow the referral still ask them; remove them at the parent, or add them to the zone",
						n, len(ref.NS), z.parent, z.zone, names)
				})
		}
	}
	for _, ns := range z.child {
		if !hasNS(ref.NS, ns.Name) {
			d.addCause(ns.Name, "child-only", Finding{Code: CodeNSMismatch, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: hops,
				Message: fmt.Sprintf("%s is in %s's own NS set, but %s does not delegate to it: resolvers that start from the parent never ask it; add it at the parent (the registrar), or remove it from the zone",
					ns.Name, z.zone, z.parent)},
				func(n int, names string) string {
					return fmt.Sprintf("%d of the %d nameservers in %s's own NS set are not in the delegation from %s: %s; resolvers that start from the parent never ask them; add them at the parent (the registrar), or remove them from the zone",
						n, len(z.child), z.zone, z.parent, names)
				})
		}
	}
}

// ttlText writes a TTL in seconds with its largest whole unit: "172800 (2d)".
func ttlText(s uint32) string {
	n := strconv.FormatUint(uint64(s), 10)
	if u := ttlUnit(s); u != n+"s" {
		return n + " (" + u + ")"
	}
	return n
}

// ttlUnit writes a TTL in its largest whole unit: "2d", "1h", "5m", "90s".
func ttlUnit(s uint32) string {
	for _, u := range []struct {
		secs uint32
		unit string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}} {
		if s >= u.secs && s%u.secs == 0 {
			return strconv.FormatUint(uint64(s/u.secs), 10) + u.unit
		}
	}
	return strconv.FormatUint(uint64(s), 10) + "s"
}

// looksLikeAddress reports whether a nameserver name is an IP address
// written as a name, like "192.0.2.1." or, with the final dot forgotten in
// a zone file, "192.0.2.1.example.com.".
func looksLikeAddress(name string) bool {
	name = strings.TrimSuffix(name, ".")
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	labels := strings.Split(name, ".")
	if len(labels) < 4 {
		return false
	}
	for _, l := range labels[:4] {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > 255 || l != strconv.Itoa(n) {
			return false
		}
	}
	return true
}
