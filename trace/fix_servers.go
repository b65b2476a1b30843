package trace

// The fixes of the codes about one server's replies: lame-server and the
// referral codes, unreachable-server, tcp-failed, slow-server,
// all-servers-failed.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// fixLame: load the zone on the server, or take it out of the delegation;
// the zone's own NS set says which the owner meant. Taking it out is
// offered only while another server answers for the zone.
func (d *diagnosis) fixLame(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if f.Server == nil {
		return nil
	}
	who := serverText(*f.Server)
	load := &Fix{Where: serverPlace(f.Zone, name), Server: f.Server, Summary: who + " does not serve " + f.Zone + ": " + loadText(d.hopOf(f), f.Zone, who)}
	return d.orDrop(z, f, load)
}

// loadText says what to do on a server whose reply h was not usable.
func loadText(h *Hop, zone, who string) string {
	switch {
	case h != nil && h.Rcode == dns.RcodeServerFailure:
		return "it has the zone but cannot serve it: check its log for the zone's load or transfer errors (an expired secondary, a bad zone file) and reload " + zone + " there"
	case h != nil && h.Rcode >= 0 && !h.AA && h.Outcome != Error:
		return "load " + zone + " there as a primary or a secondary, so that it answers with authority (AA), not from a cache or a forwarder"
	}
	return "load " + zone + " there, as a primary or a secondary of it"
}

// hopOf gives the first hop of f, or nil.
func (d *diagnosis) hopOf(f Finding) *Hop {
	if len(f.Hops) == 0 {
		return nil
	}
	return d.hop(f.Hops[0])
}

// orDrop gives fix, the repair of a server, with the other way: take the
// server out of zone z's delegation, or only its address when its other
// addresses answer. Removal is offered only while another server answers
// for the zone; it comes first when the zone's own NS set has left the
// server out already.
func (d *diagnosis) orDrop(z *zoneInfo, f Finding, fix *Fix) *Fix {
	name := serverName(f)
	if z == nil || name == "" {
		return fix
	}
	others := d.othersServing(z, name)
	if len(others) == 0 && d.serving(z.zone, name, netip.Addr{}).v != answers {
		fix.Evidence = "no other server of " + z.zone + " answers for it"
		return fix
	}
	drop := d.dropServer(z, f)
	if drop == nil {
		return fix
	}
	switch {
	case z.child == nil:
		return either(fix, drop)
	case hasNS(z.child, name):
		fix.Evidence = z.zone + "'s own NS set lists " + name + ": it is meant to serve the zone"
		return either(fix, drop)
	}
	drop.Evidence = z.zone + "'s own NS set (" + names(nsList(z.child)) + ") leaves " + name + " out: it is meant to go; " + drop.Evidence
	return either(drop, fix)
}

// dropServer gives the fix that takes f's server out of z: the whole name
// when it has no address that answers, else just the address.
func (d *diagnosis) dropServer(z *zoneInfo, f Finding) *Fix {
	name, at := serverName(f), f.Server.Addr.Unmap()
	others := d.othersServing(z, name)
	evidence := "other servers answer for " + z.zone + ": " + names(others)
	if at.IsValid() && d.serving(z.zone, name, netip.Addr{}).v == answers {
		// The name answers at another address: drop this one only.
		cs := d.dropAddr(z, name, at)
		if len(cs) == 0 {
			return nil
		}
		return said(&Fix{Where: cs[0].Where, Records: cs, Evidence: name + " answers at another address"},
			"take the address "+at.String()+" away from "+name)
	}
	cs := d.dropNS(z, name)
	if len(cs) == 0 {
		return nil
	}
	return said(&Fix{Where: cs[0].Where, Records: cs, Evidence: evidence}, "take "+name+" out of the delegation")
}

// dropAddr gives the changes that take one address of name away: its glue
// at z's parent, and its record in the zone that holds the name.
func (d *diagnosis) dropAddr(z *zoneInfo, name string, a netip.Addr) []Change {
	var out []Change
	if z.ref != nil {
		for _, g := range usableGlue(z.ref) {
			if g.Name == name && g.Addr == a {
				out = append(out, Change{Op: OpRemove, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, glueTTL(z.ref, g), a)})
			}
		}
	}
	recs, auth := d.addrsOf(name)
	if !auth && !inZone(z.zone, name) {
		return out // the name's own zone was not asked: its records are unknown
	}
	// The name's own record: as its zone gave it, or, for a name inside
	// the zone whose glue the parent has, the copy the zone must hold.
	_, childTTL := nsTTLs(z)
	for _, r := range recs {
		if r.addr == a {
			ttl := r.ttl
			if !auth {
				ttl = childTTL
			}
			out = append(out, Change{Op: OpRemove, Where: placeOf(z.zone, name), Zone: zoneOf(d, name), RR: addrRR(name, ttl, a)})
		}
	}
	return out
}

// fixUnreachable: make the server reply, or take it out.
func (d *diagnosis) fixUnreachable(f Finding) *Fix {
	if f.Server == nil {
		return nil
	}
	who := serverText(*f.Server)
	summary := who + " does not reply: check that it runs and serves " + f.Zone + ", and that UDP and TCP port 53 reach it through every firewall"
	switch f.Cause {
	case "malformed":
		summary = who + " replies with bytes that are not a DNS message: check what answers on its port 53 (the DNS server's software and version, or a proxy, load balancer or firewall in front of it that rewrites DNS)"
	case "timeout":
		return nil // nstrace's --timeout was shorter than resolvers wait: nothing known to repair
	}
	fix := &Fix{Where: serverPlace(f.Zone, serverName(f)), Server: f.Server, Summary: summary}
	return d.orDrop(d.zones[f.Zone], f, fix)
}

// fixTCP: DNS over TCP on the server.
func (d *diagnosis) fixTCP(f Finding) *Fix {
	if f.Server == nil {
		return nil
	}
	return &Fix{Where: serverPlace(f.Zone, serverName(f)), Server: f.Server,
		Summary: "let " + serverText(*f.Server) + " answer over TCP: open TCP port 53 to it in every firewall, and have the server listen on TCP (RFC 7766)"}
}

// fixSlow: the server's load or path.
func (d *diagnosis) fixSlow(f Finding) *Fix {
	if f.Server == nil {
		return nil
	}
	return &Fix{Where: serverPlace(f.Zone, serverName(f)), Server: f.Server,
		Summary: "find why " + serverText(*f.Server) + " is slow to answer for " + f.Zone + ": its load, its network path, or a server far from its users (anycast)"}
}

// fixReferral: a server that refers instead of answering is lame: the
// same fix.
func (d *diagnosis) fixReferral(f Finding) *Fix { return d.fixLame(f) }

// fixAllFailed: make one server of the zone work; the fixes of each are
// its steps.
func (d *diagnosis) fixAllFailed(f Finding) *Fix {
	var steps []string
	var recs []Change
	where := Where("")
	for _, o := range d.out {
		if o.Zone != f.Zone || o.Server == nil || o.Code == CodeAllServersFailed {
			continue
		}
		var fix *Fix
		switch o.Code {
		case CodeLameServer:
			fix = d.fixLame(o)
		case CodeUnreachableServer:
			fix = d.fixUnreachable(o)
		case CodeNSUnresolvable:
			fix = d.fixUnresolvable(o)
		case CodeMissingGlue:
			fix = d.fixMissingGlue(o)
		}
		if fix == nil || slices.Contains(steps, fix.Summary) {
			continue
		}
		if where == "" {
			where = fix.Where
		}
		steps = append(steps, fix.Summary)
		recs = append(recs, fix.Records...)
	}
	if where == "" {
		if d.loopOf(f.Zone) != nil {
			return d.fixCircular(f)
		}
		return &Fix{Where: WhereServer,
			Summary: fmt.Sprintf("make at least one server of %s answer for it: %s", f.Zone, d.serversState(f.Zone))}
	}
	return &Fix{Where: where, Records: recs, Steps: steps,
		Summary: fmt.Sprintf("make at least one server of %s answer for it; each server's own finding says how", f.Zone)}
}

// fixOutOfBailiwick: nothing for the domain to do; the referring server's
// operator should stop giving addresses outside its zone.
func (d *diagnosis) fixOutOfBailiwick(f Finding) *Fix {
	z := d.zones[f.Zone]
	if z == nil || f.Server == nil {
		return nil
	}
	who := "the servers of " + z.parent
	var srv *Server
	if h := d.hopOf(f); h != nil {
		who, srv = serverText(h.Server), &Server{Name: h.Server.Name, Addr: h.Server.Addr}
	}
	return &Fix{Where: WhereOperator, Server: srv,
		Summary: fmt.Sprintf("only the operator of %s can stop it sending %s: resolvers ignore it, and %s still resolves", who, short(addrRR(f.Server.Name, 0, f.Server.Addr)), f.Zone)}
}

// serversState says how each nameserver of zone fared: "ns1.example.com.
// answers REFUSED (hop 5); ns2.example.com. does not reply (hop 6)".
func (d *diagnosis) serversState(zone string) string {
	z := d.zones[zone]
	if z == nil {
		return "the trace did not learn its servers"
	}
	var parts []string
	for _, n := range nsNames(z) {
		parts = append(parts, n+" "+d.state(zone, d.serving(zone, n, netip.Addr{})))
	}
	return strings.Join(parts, "; ")
}
