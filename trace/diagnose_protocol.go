package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// The protocol checks (issue 14): what the probes of each server
// (Purpose.Probe) and its other replies say of how it speaks DNS, as
// Zonemaster's Connectivity and Nameserver tests and DNSViz's EDNS classes
// ask: no-tcp, edns-broken, aaaa-query-broken, negative-without-soa,
// open-recursor, axfr-open, case-not-preserved; and soa-missing.

// probed is what one address said as a server of one zone: its probes'
// hops by purpose (one per try), and its other replies.
type probed struct {
	zone   string
	srv    Server
	probes map[Purpose][]*Hop
	other  []*Hop // the walk's, the SOA's and the NS check's
}

// protocol judges each address that was probed.
func (d *diagnosis) protocol() {
	var all []*probed
	at := map[string]*probed{}
	for _, h := range d.hops {
		if h.Simulated || h.Cached || h.Outcome == Abandoned || h.Reason.Ours() || !h.Server.Addr.IsValid() {
			continue
		}
		key := canon(h.Zone) + " " + h.Server.Addr.Unmap().String()
		p, ok := at[key]
		if !ok {
			p = &probed{zone: canon(h.Zone), srv: Server{Name: h.Server.Name, Addr: h.Server.Addr}, probes: map[Purpose][]*Hop{}}
			at[key] = p
			all = append(all, p)
		}
		if h.Purpose.Probe() {
			p.probes[h.Purpose] = append(p.probes[h.Purpose], h)
		} else if isAuthorityHop(h) || h.Purpose == PurposeSOA {
			p.other = append(p.other, h)
		}
	}
	for _, p := range all {
		if len(p.probes) == 0 {
			d.soaMissing(p)
			continue
		}
		d.noTCP(p)
		d.edns(p)
		d.aaaa(p)
		d.flaws(p)
		d.otherAddress(p)
		d.soaMissing(p)
	}
}

// last is the reply to the last try of a probe, nil when it was not sent.
func (p *probed) last(purpose Purpose) *Hop {
	hs := p.probes[purpose]
	if len(hs) == 0 {
		return nil
	}
	return hs[len(hs)-1]
}

// silent reports whether every try of a probe went unanswered.
func (p *probed) silent(purpose Purpose) bool {
	hs := p.probes[purpose]
	return len(hs) > 0 && !slices.ContainsFunc(hs, func(h *Hop) bool { return h.Rcode >= 0 })
}

// answersUDP reports whether the server gave a usable reply over UDP with
// EDNS to a query about its zone: the walk's, the SOA's, the NS check's or
// a probe's.
func (p *probed) answersUDP() bool {
	ok := func(h *Hop) bool { return h.Err == nil && h.Rcode >= 0 && !h.NoEDNS && h.Protocol == "udp" }
	if slices.ContainsFunc(p.other, ok) {
		return true
	}
	for _, purpose := range []Purpose{PurposeProbeEDNSOption, PurposeProbeAAAA, PurposeProbeNXDomain} {
		if slices.ContainsFunc(p.probes[purpose], ok) {
			return true
		}
	}
	return false
}

// lossy reports whether a UDP query to the server other than the AAAA
// probe went unanswered: then the AAAA probe's silence may be loss too.
func (p *probed) lossy() bool {
	timedOut := func(h *Hop) bool { return h.Protocol == "udp" && h.Reason == ReasonTimeout }
	if slices.ContainsFunc(p.other, timedOut) {
		return true
	}
	for purpose, hs := range p.probes {
		if purpose != PurposeProbeAAAA && slices.ContainsFunc(hs, timedOut) {
			return true
		}
	}
	return false
}

// ids gives the IDs of hops.
func ids(hs ...*Hop) []int {
	var out []int
	for _, h := range hs {
		if h != nil {
			out = append(out, h.ID)
		}
	}
	return out
}

// noTCP: the SOA over TCP failed, every try, while UDP works.
func (d *diagnosis) noTCP(p *probed) {
	hs := p.probes[PurposeProbeTCP]
	if len(hs) == 0 || slices.ContainsFunc(hs, func(h *Hop) bool { return h.Err == nil || h.Rcode >= 0 }) || !p.answersUDP() {
		return
	}
	who := serverText(p.srv)
	how := "gave no reply over TCP"
	if hs[len(hs)-1].Reason == ReasonNetwork {
		how = "refused or reset the TCP connection"
	}
	d.add(p.srv.Addr.String(), Finding{Code: CodeNoTCP, Zone: p.zone, Server: &p.srv, Hops: ids(hs...),
		Message: fmt.Sprintf("%s answers over UDP but %s when asked for the SOA of %s over TCP: resolvers need TCP for replies too big for UDP (large DNSSEC answers, truncation) and as a fallback, so they fail there (RFC 7766 §5 requires TCP)",
			who, how, p.zone)})
}

// edns: queries with EDNS unanswered while one without is (error);
// otherwise EDNS rejected, no BADVERS, or an unknown option or flag echoed
// or refused (warning).
func (d *diagnosis) edns(p *probed) {
	plain := p.last(PurposeProbePlain)
	if plain == nil {
		return
	}
	who := serverText(p.srv)
	var withEDNS []*Hop
	for _, h := range p.other {
		if h.Protocol == "udp" {
			withEDNS = append(withEDNS, h)
		}
	}
	for _, purpose := range []Purpose{PurposeProbeEDNSVersion, PurposeProbeEDNSOption, PurposeProbeAAAA, PurposeProbeNXDomain} {
		withEDNS = append(withEDNS, p.probes[purpose]...)
	}
	if plain.Rcode >= 0 && len(withEDNS) >= 2 && !slices.ContainsFunc(withEDNS, func(h *Hop) bool { return h.Rcode >= 0 }) {
		d.addAt(SeverityError, p.srv.Addr.String(), Finding{Code: CodeEDNSBroken, Zone: p.zone, Server: &p.srv, Hops: ids(append(withEDNS, plain)...),
			Message: fmt.Sprintf("%s answers a query without EDNS but none of %d with EDNS: every resolver today sends EDNS and, since DNS Flag Day 2019, takes silence for a dead server rather than retrying without it (RFC 6891 §7)",
				who, len(withEDNS))})
		return
	}
	var what []string
	var hops []int
	if i := slices.IndexFunc(append(slices.Clone(p.other), plain), func(h *Hop) bool { return h.NoEDNS }); i >= 0 {
		what = append(what, "rejects EDNS (FORMERR or NOTIMP) and answers only without it")
		hops = append(hops, append(slices.Clone(p.other), plain)[i].ID)
	}
	if v := p.last(PurposeProbeEDNSVersion); v != nil && v.Flaw == ReasonNoBADVERS {
		what = append(what, fmt.Sprintf("answers a query of EDNS version 1 with %s instead of BADVERS", rcodeText(v.Rcode)))
		hops = append(hops, v.ID)
	}
	if o := p.last(PurposeProbeEDNSOption); o != nil {
		switch {
		case o.Flaw == ReasonOptionEchoed:
			what = append(what, "echoes an unknown EDNS option or flag back")
			hops = append(hops, o.ID)
		case o.Err != nil && o.Reason != ReasonTimeout && p.answersUDP() && plain.Rcode >= 0:
			what = append(what, fmt.Sprintf("answers a query with an unknown EDNS option and flag with %s", rcodeText(o.Rcode)))
			hops = append(hops, o.ID)
		}
	}
	if len(what) == 0 {
		return
	}
	d.addAt(SeverityWarning, p.srv.Addr.String(), Finding{Code: CodeEDNSBroken, Zone: p.zone, Server: &p.srv, Hops: hops,
		Message: fmt.Sprintf("%s %s: RFC 6891 §6–7 wants unknown versions answered BADVERS and unknown options and flags ignored, and resolvers that probe EDNS may give up on it or on the server (DNS Flag Day 2019)",
			who, andList(what))})
}

// aaaa: an AAAA query unanswered, or answered NXDOMAIN or SERVFAIL, while
// other queries are answered.
func (d *diagnosis) aaaa(p *probed) {
	hs := p.probes[PurposeProbeAAAA]
	last := p.last(PurposeProbeAAAA)
	if last == nil || !p.answersUDP() {
		return
	}
	var how string
	switch {
	case p.silent(PurposeProbeAAAA) && p.lossy():
		return // silence from a server that loses other queries too: lossy-server's
	case p.silent(PurposeProbeAAAA):
		how = "gives no reply to"
	case last.Rcode == dns.RcodeNameError, last.Rcode == dns.RcodeServerFailure:
		how = "answers " + rcodeText(last.Rcode) + " to"
	default:
		return
	}
	d.add(p.srv.Addr.String(), Finding{Code: CodeAAAAQueryBroken, Zone: p.zone, Server: &p.srv, Hops: ids(hs...),
		Message: fmt.Sprintf("%s %s an AAAA query for %s while it answers other queries: resolvers asking for IPv6 addresses wait out timeouts or cache a false NXDOMAIN for every type (RFC 4074 §3)",
			serverText(p.srv), how, p.zone)})
}

// flaws: what the probes' replies did wrong, one finding each.
func (d *diagnosis) flaws(p *probed) {
	who := serverText(p.srv)
	for _, purpose := range []Purpose{PurposeProbeNXDomain, PurposeProbeAAAA} {
		if h := p.last(purpose); h != nil && h.Flaw == ReasonNoNegativeSOA {
			d.add(p.srv.Addr.String(), Finding{Code: CodeNegativeWithoutSOA, Zone: p.zone, Server: &p.srv, Hops: []int{h.ID},
				Message: fmt.Sprintf("%s answers %s %s with %s but no SOA in the authority section: resolvers cannot cache the negative answer, so they ask again for every query (RFC 2308 §3, §5)",
					who, h.Question.Name, TypeString(h.Question.Qtype), strings.ToUpper(string(h.Outcome)))})
			break
		}
	}
	if h := p.last(PurposeProbeRecursion); h != nil && h.Flaw == ReasonRecursive {
		d.add(p.srv.Addr.String(), Finding{Code: CodeOpenRecursor, Zone: p.zone, Server: &p.srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s, a nameserver of %s, answered a recursive query for %s %s, outside its zones, with RA set: an open resolver can be used to amplify attacks and to poison its cache; an authoritative server should not recurse for anyone (RFC 5358)",
				who, p.zone, h.Question.Name, TypeString(h.Question.Qtype))})
	}
	if h := p.last(PurposeProbeAXFR); h != nil && h.Flaw == ReasonTransferOpen {
		d.add(p.srv.Addr.String(), Finding{Code: CodeAXFROpen, Zone: p.zone, Server: &p.srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s began a zone transfer (AXFR) of %s for nstrace: anyone can list every name in the zone",
				who, p.zone)})
	}
	if h := p.last(PurposeProbePlain); h != nil && h.Flaw == ReasonCaseChanged {
		d.add(p.srv.Addr.String(), Finding{Code: CodeCaseNotPreserved, Zone: p.zone, Server: &p.srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s answered a query for %s with the question in another letter case: resolvers that randomise the case of names against spoofing (DNS 0x20) drop or distrust its replies",
				who, h.Question.Name)})
	}
}

// otherAddress: a probe's reply came from another address than the one
// asked. Only a probe's try after a timeout sees it, on an unconnected
// socket; the server's other queries went unanswered, which silence leaves
// to this finding (repliesElsewhere).
func (d *diagnosis) otherAddress(p *probed) {
	var hs []*Hop
	var from netip.AddrPort
	for _, purpose := range Probes() {
		for _, h := range p.probes[purpose] {
			if h.Reason == ReasonOtherAddress {
				hs = append(hs, h)
				from = h.From
			}
		}
	}
	if len(hs) == 0 {
		return
	}
	d.add(p.srv.Addr.String(), Finding{Code: CodeReplyFromOtherAddress, Zone: p.zone, Server: &p.srv, Hops: ids(hs...),
		Message: fmt.Sprintf("%s sends its replies to UDP queries from another address, %s: resolvers take a reply only from the address they asked (RFC 5452 §3) and drop these, so to them the server never answers over UDP",
			serverText(p.srv), from.Addr())})
}

// repliesElsewhere reports whether a probe of addr as a server of zone
// got its reply from another address: its silence is otherAddress's.
func (d *diagnosis) repliesElsewhere(zone string, addr netip.Addr) bool {
	return slices.ContainsFunc(d.hops, func(h *Hop) bool {
		return h.Reason == ReasonOtherAddress && h.Purpose.Probe() && canon(h.Zone) == zone && h.Server.Addr == addr
	})
}

// soaMissing: an authoritative reply that the zone's apex has no SOA.
func (d *diagnosis) soaMissing(p *probed) {
	for _, h := range append(slices.Clone(p.other), p.probes[PurposeProbeTCP]...) {
		if h.Question.Qtype == dns.TypeSOA && canon(h.Question.Name) == p.zone && h.Outcome == NoData && h.AA {
			d.add("", Finding{Code: CodeSOAMissing, Zone: p.zone, Hops: []int{h.ID},
				Message: fmt.Sprintf("%s answers for %s with AA but has no SOA at its apex: every zone has one (RFC 1035 §5.2), and without it resolvers cannot cache negative answers nor secondaries transfer the zone",
					serverText(p.srv), p.zone)})
			return
		}
	}
}

// sameAddress: two nameserver names of a zone at one address (RFC 2182 §5:
// the redundancy is only on paper).
func (d *diagnosis) sameAddress() {
	for _, zname := range d.order {
		z := d.zones[zname]
		if z.ref == nil {
			continue
		}
		names := map[netip.Addr][]string{}
		hops := map[netip.Addr][]int{}
		var order []netip.Addr
		for _, a := range d.nsAddrs {
			if !hasNS(z.ref.NS, a.name) && !hasNS(z.child, a.name) {
				continue
			}
			if _, ok := names[a.addr]; !ok {
				order = append(order, a.addr)
			}
			if !slices.Contains(names[a.addr], canon(a.name)) {
				names[a.addr] = append(names[a.addr], canon(a.name))
			}
			hops[a.addr] = append(hops[a.addr], a.hop)
		}
		for _, a := range order {
			if len(names[a]) < 2 {
				continue
			}
			d.add(a.String(), Finding{Code: CodeNSSameAddress, Zone: zname, Server: &Server{Addr: a}, Hops: hops[a],
				Message: fmt.Sprintf("%s resolve to one address, %s: %s has fewer servers than names, and one failure takes all of them down (RFC 2182 §5)",
					andList(names[a]), a, zname)})
		}
	}
}

// familyRedundancy: an address family the zone's nameservers use, with
// fewer than two addresses in it, when every nameserver name's addresses
// are known (RFC 3901 §3: redundancy in each family).
func (d *diagnosis) familyRedundancy() {
	for _, zname := range d.order {
		z := d.zones[zname]
		if z.ref == nil || len(z.ref.NS) < 2 || !BelowPublicSuffix(zname) {
			continue
		}
		var v4, v6 []netip.Addr
		var hops []int
		known := map[string]bool{}
		for _, a := range d.nsAddrs {
			if !hasNS(z.ref.NS, a.name) {
				continue
			}
			known[canon(a.name)] = true
			hops = append(hops, a.hop)
			if a.addr.Is4() {
				v4 = append(v4, a.addr)
			} else {
				v6 = append(v6, a.addr)
			}
		}
		if len(known) < len(z.ref.NS) {
			continue // an address the walk never learned may make up the pair
		}
		for _, fam := range []struct {
			addrs []netip.Addr
			name  string
			sev   Severity
		}{{v4, "IPv4", SeverityWarning}, {v6, "IPv6", SeverityInfo}} {
			slices.SortFunc(fam.addrs, netip.Addr.Compare)
			if n := len(slices.Compact(fam.addrs)); n == 1 {
				d.addAt(fam.sev, fam.name, Finding{Code: CodeFamilyNotRedundant, Zone: zname, Hops: hops,
					Message: fmt.Sprintf("the nameservers of %s have one %s address only, %s: resolvers that reach the zone over %s alone lose it when that address fails (RFC 3901 §3)",
						zname, fam.name, fam.addrs[0], fam.name)})
			}
		}
	}
}
