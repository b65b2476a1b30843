package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// soaFields flags each server of zone whose SOA differs from the one most
// servers give in MNAME, RNAME or a timer (Zonemaster CONSISTENCY02, 03
// and 06); serials are soa-serial-mismatch's.
func (d *diagnosis) soaFields(zone string, replies []*Hop) {
	type soa struct {
		h   *Hop
		key string
	}
	var ss []soa
	count := map[string]int{}
	for _, h := range replies {
		for _, r := range h.Answer {
			if s, ok := r.(*dns.SOA); ok && canon(s.Hdr.Name) == zone {
				key := fmt.Sprintf("MNAME %s, RNAME %s, refresh %d, retry %d, expire %d, minimum %d",
					canon(s.Ns), canon(s.Mbox), s.Refresh, s.Retry, s.Expire, s.Minttl)
				ss = append(ss, soa{h, key})
				count[key]++
				break
			}
		}
	}
	if len(count) < 2 {
		return
	}
	best := ss[0]
	for _, s := range ss {
		if count[s.key] > count[best.key] {
			best = s
		}
	}
	for _, s := range ss {
		if s.key == best.key {
			continue
		}
		srv := &Server{Name: s.h.Server.Name, Addr: s.h.Server.Addr}
		d.add(serverText(*srv), Finding{Code: CodeSOAFieldsInconsistent, Zone: zone, Server: srv, Hops: []int{s.h.ID, best.h.ID},
			Message: fmt.Sprintf("%s serves the SOA of %s with %s, where %s gives %s: secondaries, resolvers caching negative answers and the contact address depend on which server is asked",
				serverText(*srv), zone, s.key, serverText(best.h.Server), best.key)})
	}
}

// referralSize flags a delegation whose referral, for the longest name
// below the zone, with its NS set and the glue a resolver needs (one A and
// one AAAA when every nameserver of that family lies within the parent),
// does not fit the 512 octets of UDP without EDNS (Zonemaster
// DELEGATION03; IANA's nameserver requirements).
func (d *diagnosis) referralSize() {
	for _, zname := range d.order {
		z := d.zones[zname]
		if z.ref == nil || len(z.ref.NS) == 0 {
			continue
		}
		m := new(dns.Msg)
		m.Response, m.Compress = true, true
		m.Question = []dns.Question{{Name: longestBelow(zname), Qtype: dns.TypeA, Qclass: dns.ClassINET}}
		for _, ns := range z.ref.NS {
			m.Ns = append(m.Ns, &dns.NS{Hdr: dns.RR_Header{Name: zname, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ns.TTL}, Ns: canon(ns.Name)})
		}
		m.Extra = d.neededGlue(z)
		b, err := m.Pack()
		if err != nil || len(b) <= 512 {
			continue
		}
		d.add("", Finding{Code: CodeReferralTooLarge, Zone: zname, Hops: z.refHops,
			Message: fmt.Sprintf("the referral to %s from %s, for a name of 255 octets, with its %s and the glue resolvers need, takes %d octets, over the 512 of UDP without EDNS: such resolvers get it truncated and must ask again over TCP (IANA's nameserver requirements)",
				zname, z.parent, plural(len(z.ref.NS), "NS record", "NS records"), len(b))})
	}
}

// neededGlue is one A and one AAAA record for z's nameservers, each when
// the family's nameservers all lie within the parent, whose referral must
// then carry their glue.
func (d *diagnosis) neededGlue(z *zoneInfo) []dns.RR {
	var out []dns.RR
	for _, v4 := range []bool{true, false} {
		var names []string
		var addr netip.Addr
		for _, a := range d.nsAddrs {
			if canon(a.zone) != z.zone || a.addr.Is4() != v4 || !hasNS(z.ref.NS, a.name) {
				continue
			}
			if !slices.Contains(names, canon(a.name)) {
				names = append(names, canon(a.name))
			}
			if !addr.IsValid() {
				addr = a.addr
			}
		}
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return !dns.IsSubDomain(z.parent, n) }) {
			continue
		}
		hdr := dns.RR_Header{Name: names[0], Class: dns.ClassINET, Ttl: 172800}
		if v4 {
			hdr.Rrtype = dns.TypeA
			out = append(out, &dns.A{Hdr: hdr, A: addr.AsSlice()})
		} else {
			hdr.Rrtype = dns.TypeAAAA
			out = append(out, &dns.AAAA{Hdr: hdr, AAAA: addr.AsSlice()})
		}
	}
	return out
}

// longestBelow gives a name below zone of 255 octets in wire form, the
// longest a query can ask.
func longestBelow(zone string) string {
	name := canon(zone)
	wire := len(name) + 1
	if name == "." {
		name, wire = "", 1
	}
	var labels []string
	for room := 255 - wire; room >= 2; {
		n := min(63, room-1)
		labels = append(labels, strings.Repeat("x", n))
		room -= n + 1
	}
	return strings.Join(labels, ".") + "." + name
}
