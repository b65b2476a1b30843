package trace

// The fixes of the codes about nameserver names and their addresses:
// ns-is-cname, ns-is-address, ns-unresolvable, glue-mismatch,
// private-address, nameservers-not-diverse, circular-delegation.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// fixNSIsCNAME: name the alias's target in the NS sets, or make the alias
// a host of its own (in its zone, which may be a provider's).
func (d *diagnosis) fixNSIsCNAME(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	var cname *dns.CNAME
	var hop int
	for _, l := range d.lookups[name] {
		if c := cnameOf(l.t); c != nil {
			cname, hop = c, lastHop(l.t)
			break
		}
	}
	if z == nil || cname == nil {
		return nil
	}
	target := canon(cname.Target)
	recs, _ := d.addrsOf(target)
	evidence := fmt.Sprintf("%s is an alias for %s (hop %d), which has %s", name, target, hop, recList(recs))
	rename := &Fix{Records: d.renameNS(z, name, target), Evidence: evidence}
	rename.Where = firstWhere(rename.Records, WhereRegistrar)
	said(rename, "name the alias's target, "+target+", in the NS sets")
	host := zoneOf(d, name)
	where := placeOf(z.zone, name)
	become := &Fix{Where: where, Evidence: evidence,
		Records: []Change{{Op: OpRemove, Where: where, Zone: host, RR: rrLine(cname)}}}
	for _, r := range recs {
		become.Records = append(become.Records, Change{Op: OpAdd, Where: where, Zone: host, RR: addrRR(name, cname.Hdr.Ttl, r.addr)})
	}
	said(become, "make "+name+" a host, with address records of its own in place of the alias")
	if where == WhereOperator {
		return either(rename, become)
	}
	return either(become, rename)
}

// renameNS gives the changes that put to in place of from in z's NS sets,
// each set that lists from: the new record first, so that the set is never
// short of a server, with glue for to when the parent needs it.
func (d *diagnosis) renameNS(z *zoneInfo, from, to string) []Change {
	parentTTL, childTTL := nsTTLs(z)
	var out []Change
	if z.ref != nil && hasNS(z.ref.NS, from) {
		if !hasNS(z.ref.NS, to) {
			out = append(out, Change{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: nsRR(z.zone, parentTTL, to)})
			out = append(out, d.inBailiwickGlue(z, to)...)
		}
		out = append(out, d.dropAtParent(z, from)...)
	}
	if hasNS(z.child, from) {
		if !hasNS(z.child, to) {
			out = append(out, Change{Op: OpAdd, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, childTTL, to)})
		}
		out = append(out, Change{Op: OpRemove, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, childTTL, from)})
	}
	return out
}

// firstWhere gives the place of the first change, or def.
func firstWhere(cs []Change, def Where) Where {
	if len(cs) == 0 {
		return def
	}
	return cs[0].Where
}

// recList writes addresses: "151.80.30.1, 2001:db8::1"; "no address" for none.
func recList(rs []addrRec) string {
	if len(rs) == 0 {
		return "no address the trace learned"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.addr.String()
	}
	return strings.Join(s, ", ")
}

// fixNSIsAddress: an NS "name" that is an address, most often a zone
// file's NS record written without its final dot. When another
// nameserver of the zone has that address, the record is a duplicate to
// remove; else the address gets a host name, in the sets that listed it.
func (d *diagnosis) fixNSIsAddress(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || name == "" {
		return nil
	}
	addr, ok := addressIn(name)
	drop := &Fix{Records: d.dropNS(z, name)}
	drop.Where = firstWhere(drop.Records, WhereZone)
	said(drop, "take "+name+" out of the NS sets (a zone file's NS record that lacks its final dot reads so)")
	if !ok {
		return drop
	}
	for _, n := range nsNames(z) {
		if recs, _ := d.addrsOf(n); n != name && containsAddr(recs, addr) {
			drop.Evidence = fmt.Sprintf("%s already has the address %s", n, addr)
			return said(drop, "take "+name+" out of the NS sets: "+drop.Evidence)
		}
	}
	host := freeHost(z)
	_, childTTL := nsTTLs(z)
	named := &Fix{Where: WhereZone,
		Records: append([]Change{{Op: OpAdd, Where: WhereZone, Zone: z.zone, RR: addrRR(host, childTTL, addr)}}, d.renameNS(z, name, host)...)}
	if z.ref != nil && !hasNS(z.ref.NS, name) {
		// Only the zone listed it: delegate to the new name too, so
		// that the two NS sets stay equal.
		named.Records = append(named.Records, Change{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: nsRR(z.zone, nsTTL(z.ref), host)})
	}
	if z.ref != nil && inZone(z.parent, host) {
		named.Records = append(named.Records, Change{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(host, nsTTL(z.ref), addr)})
	}
	said(named, "give "+addr.String()+" a host name, "+host+", and list that")
	named.Steps = []string{fmt.Sprintf("check first that %s serves %s (the trace could not ask it, as no resolver can)", addr, z.zone)}
	named.Evidence = fmt.Sprintf("%s reads as the address %s, which no other nameserver of %s has", name, addr, z.zone)
	drop.Evidence = "the zone's other nameservers are " + names(d.othersServing(z, name))
	return either(named, drop)
}

// nsTTL gives the TTL of a delegation's NS set.
func nsTTL(r *Delegation) uint32 {
	if len(r.NS) == 0 {
		return 0
	}
	return r.NS[0].TTL
}

// addressIn reads the address in an NS name that looksLikeAddress: the
// whole name, or its first four labels.
func addressIn(name string) (netip.Addr, bool) {
	n := strings.TrimSuffix(name, ".")
	if a, err := netip.ParseAddr(n); err == nil {
		return a.Unmap(), true
	}
	labels := strings.Split(n, ".")
	if len(labels) < 4 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(strings.Join(labels[:4], "."))
	return a, err == nil
}

func containsAddr(rs []addrRec, a netip.Addr) bool {
	for _, r := range rs {
		if r.addr == a {
			return true
		}
	}
	return false
}

// freeHost gives a host name inside z that no nameserver of it has:
// ns1.z., ns2.z., ...
func freeHost(z *zoneInfo) string {
	used := nsNames(z)
	for i := 1; ; i++ {
		n := "ns" + strconv.Itoa(i) + "." + z.zone
		if !hasName(used, n) {
			return n
		}
	}
}

func hasName(ns []string, n string) bool {
	for _, x := range ns {
		if canon(x) == canon(n) {
			return true
		}
	}
	return false
}

// fixUnresolvable: take the name out of the NS sets, or give it an
// address. A name whose domain does not exist can be registered by anyone,
// who would then answer for the zone.
func (d *diagnosis) fixUnresolvable(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || name == "" {
		return nil
	}
	host := zoneOf(d, name)
	where := placeOf(z.zone, name)
	give := &Fix{Where: where,
		Summary: fmt.Sprintf("give %s an A or AAAA record in its zone, or correct the name in the NS sets", name)}
	if nx := d.nxDomain(name); nx != "" {
		give.Evidence = nx
		give.Summary = fmt.Sprintf("%s: register it and give %s an address, or correct the name in the NS sets", nx, name)
	} else if where == WhereOperator {
		give.Summary = fmt.Sprintf("ask the operator of %s to give %s an A or AAAA record, or correct the name in the NS sets", host, name)
	}
	if len(d.othersServing(z, name)) == 0 {
		return give
	}
	drop := d.dropServer(z, f)
	if drop == nil {
		return give
	}
	return either(drop, give)
}

// nxDomain says, when the lookups of name ended in NXDOMAIN from a zone
// above its registered domain, that the domain itself does not exist:
// "nowhere.net. does not exist (net. says so, hop 12)"; "" otherwise.
func (d *diagnosis) nxDomain(name string) string {
	dom := owner(name)
	for _, l := range d.lookups[name] {
		if l.t.Outcome != NXDomain {
			continue
		}
		if h := l.t.Final(); h != nil && dns.CountLabel(canon(h.Zone)) < dns.CountLabel(dom) {
			return fmt.Sprintf("%s does not exist (%s says so, hop %d): anyone who registers it can answer for the zones it serves", dom, canon(h.Zone), h.ID)
		}
	}
	return ""
}

// fixGlueMismatch: make the glue equal the name's own records, or, when
// only the glue's addresses answer, the records equal the glue.
func (d *diagnosis) fixGlueMismatch(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || z.ref == nil || name == "" {
		return nil
	}
	have, auth := d.addrsOf(name)
	if !auth {
		return nil
	}
	var glue []netip.Addr
	for _, g := range usableGlue(z.ref) {
		if g.Name == name {
			glue = append(glue, g.Addr)
		}
	}
	parentTTL, _ := nsTTLs(z)
	host, where := zoneOf(d, name), placeOf(z.zone, name)
	toGlue := &Fix{Where: WhereRegistrar}
	toZone := &Fix{Where: where}
	for _, v4 := range []bool{true, false} {
		var as []netip.Addr
		for _, r := range have {
			as = append(as, r.addr)
		}
		gs, as := family(glue, v4), family(as, v4)
		if len(gs) == 0 || len(as) == 0 {
			continue
		}
		for _, a := range as {
			if !containsIP(gs, a) {
				toGlue.Records = append(toGlue.Records, Change{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, parentTTL, a)})
				toZone.Records = append(toZone.Records, Change{Op: OpRemove, Where: where, Zone: host, RR: addrRR(name, ttlOf(have, a), a)})
			}
		}
		for _, g := range gs {
			if !containsIP(as, g) {
				toGlue.Records = append(toGlue.Records, Change{Op: OpRemove, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, parentTTL, g)})
				toZone.Records = append(toZone.Records, Change{Op: OpAdd, Where: where, Zone: host, RR: addrRR(name, ttlOf(have, as[0]), g)})
			}
		}
	}
	if len(toGlue.Records) == 0 {
		return nil
	}
	said(toGlue, "make the glue say what "+host+" says")
	said(toZone, "if "+name+" has moved to the glue's address, make "+host+" say what the glue says")
	toGlue.Evidence, toZone.Evidence = d.addrEvidence(z.zone, name, have), d.addrEvidence(z.zone, name, nil)
	if d.noneAnswers(z.zone, name, have) && d.anyAnswersAt(z.zone, name, glue) {
		return either(toZone, toGlue)
	}
	return either(toGlue, toZone)
}

func containsIP(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func ttlOf(rs []addrRec, a netip.Addr) uint32 {
	for _, r := range rs {
		if r.addr == a {
			return r.ttl
		}
	}
	if len(rs) > 0 {
		return rs[0].ttl
	}
	return 0
}

// noneAnswers reports whether name was asked for zone at rs and never
// answered at any of them.
func (d *diagnosis) noneAnswers(zone, name string, rs []addrRec) bool {
	asked := false
	for _, r := range rs {
		switch d.serving(zone, name, r.addr).v {
		case answers:
			return false
		case replies, noReply:
			asked = true
		}
	}
	return asked
}

func (d *diagnosis) anyAnswersAt(zone, name string, as []netip.Addr) bool {
	for _, a := range as {
		if d.serving(zone, name, a).v == answers {
			return true
		}
	}
	return false
}

// addrEvidence says how name fared at the addresses rs, or, for nil, at
// every address it was asked at.
func (d *diagnosis) addrEvidence(zone, name string, rs []addrRec) string {
	var parts []string
	seen := map[netip.Addr]bool{}
	for _, h := range d.hops {
		a := h.Server.Addr.Unmap()
		if canon(h.Server.Name) != name || canon(h.Zone) != canon(zone) || seen[a] || rs != nil && !containsAddr(rs, a) {
			continue
		}
		seen[a] = true
		parts = append(parts, a.String()+" "+d.state(zone, d.serving(zone, name, a)))
	}
	if len(parts) == 0 {
		return ""
	}
	return name + " at " + strings.Join(parts, "; at ")
}

// fixPrivate: take the address out of the public data (glue and the
// name's own records) when the name has a public one too; a name with no
// public address must get one, or leave the NS sets, which comes first
// when other servers answer for the zone.
func (d *diagnosis) fixPrivate(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || f.Server == nil || name == "" {
		return nil
	}
	a := f.Server.Addr.Unmap()
	recs, _ := d.addrsOf(name)
	public := false
	for _, r := range recs {
		public = public || SpecialRange(r.addr) == ""
	}
	if cs := d.dropAddr(z, name, a); public && len(cs) > 0 {
		return said(&Fix{Where: cs[0].Where, Records: cs},
			"publish "+a.String()+" only inside the network that reaches it (split horizon), not to the internet")
	}
	give := &Fix{Where: WhereRegistrar,
		Summary: fmt.Sprintf("give %s a public address in place of %s: its glue %s and its record in %s", name, a, registrarText(z.parent), zoneOf(d, name))}
	if len(d.othersServing(z, name)) == 0 {
		return give
	}
	drop := d.dropServer(z, Finding{Server: &Server{Name: name}})
	if drop == nil {
		return give
	}
	drop.Evidence = name + " has no public address the trace saw; " + drop.Evidence
	return either(drop, give)
}

// fixNotDiverse: move a server to another network.
func (d *diagnosis) fixNotDiverse(f Finding) *Fix {
	z := d.zones[f.Zone]
	if z == nil {
		return nil
	}
	where := WhereServer
	for _, n := range nsNames(z) {
		if !sameOwner(z.zone, n) {
			where = WhereOperator
		}
	}
	return &Fix{Where: where,
		Summary: fmt.Sprintf("serve %s from at least one more network than %s's (a secondary at another provider)", z.zone, strings.Join(d.nsPrefixes(z), " and ")),
		Steps: []string{
			"set up the zone on a server in another network, as a secondary or at a second provider",
			fmt.Sprintf("add it to %s's own NS set, then to the delegation %s, with glue if its name is inside %s", z.zone, registrarText(z.parent), z.zone),
		}}
}

// nsPrefixes gives the networks (/24, /48) of z's nameserver addresses.
func (d *diagnosis) nsPrefixes(z *zoneInfo) []string {
	var out []string
	for _, n := range nsNames(z) {
		recs, _ := d.addrsOf(n)
		for _, r := range recs {
			bits := 48
			if r.addr.Is4() {
				bits = 24
			}
			p, _ := r.addr.Prefix(bits)
			if s := p.String(); !hasName(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// fixCircular: glue that breaks the circle. Each nameserver name of the
// circle is a host of a zone in it; the registrar of that zone can have
// its parent carry the host's address as glue. The addresses are those
// the names' own zones give, which the trace, going round the circle,
// could not learn.
func (d *diagnosis) fixCircular(f Finding) *Fix {
	var hosts []string
	var parts []string
	for _, n := range d.loopOf(f.Zone) {
		n = canon(n)
		home := d.zones[zoneOf(d, n)]
		if home == nil || home.ref == nil || hasName(hosts, n) {
			continue
		}
		hosts = append(hosts, n)
		parts = append(parts, fmt.Sprintf("%s (through %s's registrar, at %s)", n, home.zone, home.parent))
	}
	if len(parts) == 0 {
		return nil
	}
	return &Fix{Where: WhereRegistrar,
		Summary: fmt.Sprintf("break the circle with glue: register the address of %s; one is enough (going round the circle, the trace could not learn them)", andList(parts)),
		Steps:   []string{"or move one of the zones to nameservers outside the circle"}}
}

// loopOf gives the chain of a delegation loop through zone, or nil.
func (d *diagnosis) loopOf(zone string) []string {
	for _, t := range d.traces {
		for _, c := range t.Loops {
			for _, n := range c {
				if z := d.zoneServedBy(canon(n)); z != nil && z.zone == zone {
					return c
				}
			}
		}
	}
	return nil
}

// zoneServedBy gives the zone whose delegation lists n, or nil.
func (d *diagnosis) zoneServedBy(n string) *zoneInfo {
	for _, name := range d.order {
		if z := d.zones[name]; z.ref != nil && hasNS(z.ref.NS, n) {
			return z
		}
	}
	return nil
}
