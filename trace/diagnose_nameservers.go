package trace

// The checks of nameserver names and their addresses: ns-is-cname,
// ns-unresolvable, glue-mismatch, nameservers-not-diverse.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// nameservers checks what the lookups and the addresses of nameservers
// say: ns-is-cname, ns-unresolvable, glue-mismatch, nameservers-not-diverse,
// private-address.
func (d *diagnosis) nameservers() {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range d.lookups {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		ls := d.lookups[name]
		zone := ls[0].zone
		negative := map[uint16][]int{} // qtype → hops of an NXDOMAIN or NODATA
		nx := false
		for _, l := range ls {
			if cname := cnameOf(l.t); cname != nil {
				d.add(name, Finding{Code: CodeNSIsCNAME, Zone: l.zone, Server: &Server{Name: name}, Hops: []int{lastHop(l.t)},
					Message: fmt.Sprintf("%s, a nameserver of %s, is an alias (CNAME to %s): an NS record must name a host's own A/AAAA records, not an alias (RFC 2181 §10.3), and some resolvers will not follow it",
						name, l.zone, canon(cname.Target))})
			}
			switch l.t.Outcome {
			case NXDomain:
				nx = true
				negative[l.t.Question.Qtype] = append(negative[l.t.Question.Qtype], lastHop(l.t))
			case NoData:
				negative[l.t.Question.Qtype] = append(negative[l.t.Question.Qtype], lastHop(l.t))
			}
		}
		a, aaaa := negative[dns.TypeA], negative[dns.TypeAAAA]
		if (nx || a != nil && aaaa != nil) && !looksLikeAddress(name) {
			what := "has no A or AAAA record (NODATA for both)"
			if nx {
				what = "does not exist (NXDOMAIN)"
			}
			d.add(name, Finding{Code: CodeNSUnresolvable, Zone: zone, Server: &Server{Name: name}, Hops: append(slices.Clone(a), aaaa...),
				Message: fmt.Sprintf("%s, a nameserver of %s, %s: no resolver can reach the zone through it; fix the name in the NS set, or give it an address",
					name, zone, what)})
		}
	}
	d.glue()
	d.diversity()
	d.private()
}

func cnameOf(t *Trace) *dns.CNAME {
	for _, rr := range t.Answer {
		if c, ok := rr.(*dns.CNAME); ok && canon(c.Hdr.Name) == canon(t.Question.Name) {
			return c
		}
	}
	return nil
}

// glue compares the glue of each nameserver name with the addresses its
// own zone gives: the answer of a lookup of the name, or the additional
// section of a server's authoritative answer for its zone's NS set (BIND,
// NSD and Knot put the addresses of the names inside the zone there; the
// server checks ask every server of the zone for it).
func (d *diagnosis) glue() {
	auth := map[string][]ownAddrs{} // name → what each source says
	learn := func(name string, as []netip.Addr, hop int) {
		auth[name] = append(auth[name], ownAddrs{as, hop})
	}
	for _, t := range d.traces {
		if t.Question.Qtype != dns.TypeA && t.Question.Qtype != dns.TypeAAAA {
			continue
		}
		if as := addressesOf(t); len(as) > 0 {
			learn(canon(t.Question.Name), as, lastHop(t))
		}
	}
	for _, h := range d.hops {
		if h.Purpose == PurposeCheck && h.AA && h.Err == nil && dns.IsSubDomain(canon(h.Zone), canon(h.Question.Name)) &&
			(h.Question.Qtype == dns.TypeA || h.Question.Qtype == dns.TypeAAAA) {
			// The zone's own servers, asked a nameserver name's addresses
			// where they did not send them with their NS set.
			if as := AddrsOf(h.Answer); len(as) > 0 {
				learn(canon(h.Question.Name), as, h.ID)
			}
		}
		if h.Purpose != PurposeChildNS || !h.AA || h.Err != nil {
			continue
		}
		byName := map[string][]netip.Addr{}
		var names []string
		for _, rr := range h.Additional {
			name := canon(rr.Header().Name)
			if a := AddrOf(rr); a.IsValid() && dns.IsSubDomain(canon(h.Zone), name) {
				if _, ok := byName[name]; !ok {
					names = append(names, name)
				}
				byName[name] = append(byName[name], a.Unmap())
			}
		}
		for _, name := range names {
			learn(name, byName[name], h.ID)
		}
	}
	for _, zname := range d.order {
		if z := d.zones[zname]; z.ref != nil {
			d.glueOf(z, auth)
		}
	}
}

// ownAddrs is what one source (a lookup, or one server's answer for its
// zone's NS set) says a nameserver name's addresses are.
type ownAddrs struct {
	addrs []netip.Addr
	hop   int
}

// glueOf compares the glue of z's referral with auth, the addresses the
// nameservers' own zones give, for each name and address family: the glue
// is stale when it matches what no source of the zone says (servers of
// the zone that disagree among themselves have findings of their own).
func (d *diagnosis) glueOf(z *zoneInfo, auth map[string][]ownAddrs) {
	for _, ns := range z.ref.NS {
		name := canon(ns.Name)
		srcs, ok := auth[name]
		if !ok {
			continue
		}
		var glue []netip.Addr
		for _, g := range z.ref.Glue {
			if g.Ignored == ReasonNone && canon(g.Name) == name {
				glue = append(glue, g.Addr.Unmap())
			}
		}
		inZone := dns.IsSubDomain(z.zone, name)
		for _, v4 := range []bool{true, false} {
			gs := family(glue, v4)
			var as []netip.Addr
			hop, agree := 0, false
			for _, src := range srcs {
				if f := family(src.addrs, v4); len(f) > 0 {
					// In-zone glue that lacks some of the zone's
					// addresses is glue-incomplete's.
					agree = agree || slices.Equal(gs, f) || inZone && subset(gs, f)
					if as == nil {
						as, hop = f, src.hop
					}
				}
			}
			if len(gs) == 0 || len(as) == 0 || agree {
				continue
			}
			own := zoneOf(d, name)
			d.add(name, Finding{Code: CodeGlueMismatch, Zone: z.zone, Server: &Server{Name: name, Addr: gs[0]},
				Hops: append(slices.Clone(z.refHops), hop),
				Message: fmt.Sprintf("the glue for %s in %s's referral to %s says %s, but %s itself says %s: %s; update the glue at the registrar when a nameserver's address changes",
					name, z.parent, z.zone, addrList(gs), own, addrList(as), worldUses(z.zone, name, own, gs, as))})
		}
	}
}

// worldUses says which addresses of a nameserver name resolvers use when
// its glue and its own zone disagree.
func worldUses(zone, name, own string, glue, owns []netip.Addr) string {
	if dns.IsSubDomain(zone, name) {
		// In-bailiwick: the zone cannot be reached but through the glue.
		return "resolvers reach " + zone + " at the glue's " + addrList(glue) + ", the only way in, and some then switch to the zone's own addresses as they trust them more (RFC 2181 §5.4.1)"
	}
	return "resolvers that take the sibling glue go to " + addrList(glue) + ", those that look " + name + " up in " + own + " to " + addrList(owns)
}

// zoneOf gives the deepest zone crossed that holds name, for messages.
func zoneOf(d *diagnosis, name string) string {
	best := "its zone"
	n := -1
	for _, z := range d.order {
		if dns.IsSubDomain(z, name) && dns.CountLabel(z) > n {
			best, n = z, dns.CountLabel(z)
		}
	}
	return best
}

// subset reports whether every address of as is in bs.
func subset(as, bs []netip.Addr) bool {
	for _, a := range as {
		if !slices.Contains(bs, a) {
			return false
		}
	}
	return true
}

// family gives the distinct addresses of one family, sorted.
func family(as []netip.Addr, v4 bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if a.Is4() == v4 {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

func addrList(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// diversity flags a zone whose nameserver addresses, of one family, all lie
// in one /24 (IPv4) or one /48 (IPv6), when at least two are known.
func (d *diagnosis) diversity() {
	for _, zname := range d.order {
		z := d.zones[zname]
		if z.ref == nil {
			continue
		}
		type pair struct {
			name string
			addr netip.Addr
		}
		var v4, v6 []pair
		var hops []int
		seen := map[pair]bool{}
		for _, a := range d.nsAddrs {
			p := pair{canon(a.name), a.addr}
			if seen[p] || !hasNS(z.ref.NS, a.name) && !hasNS(z.child, a.name) {
				continue
			}
			seen[p] = true
			hops = append(hops, a.hop)
			if a.addr.Is4() {
				v4 = append(v4, p)
			} else {
				v6 = append(v6, p)
			}
		}
		var where []string
		for _, fam := range []struct {
			pairs []pair
			bits  int
			name  string
		}{{v4, 24, "IPv4"}, {v6, 48, "IPv6"}} {
			if len(fam.pairs) < 2 {
				continue
			}
			prefix, _ := fam.pairs[0].addr.Prefix(fam.bits)
			if slices.ContainsFunc(fam.pairs, func(p pair) bool { return !prefix.Contains(p.addr) }) {
				continue
			}
			where = append(where, fmt.Sprintf("all %d %s addresses in %s", len(fam.pairs), fam.name, prefix))
		}
		if len(where) > 0 {
			d.add("", Finding{Code: CodeNotDiverse, Zone: zname, Hops: append(slices.Clone(z.refHops), hops...),
				Message: fmt.Sprintf("the nameservers of %s that the trace saw share one network (%s): one outage or routing problem there takes out every server; put them on separate networks (RFC 2182 §3.1)",
					zname, strings.Join(where, "; "))})
		}
	}
}
