package trace

// The fixes of the delegation codes: missing-glue, ns-mismatch,
// single-nameserver, and the changes that add a nameserver to a
// delegation or take it out.

import (
	"fmt"
	"net/netip"
)

// fixMissingGlue: at the registrar, glue for the name, with the addresses
// its zone gives (a lookup, or a server's own copy) and the TTL of the
// parent's NS set, which registries give glue.
func (d *diagnosis) fixMissingGlue(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || z.ref == nil || name == "" {
		return nil
	}
	glue := d.glueFor(z, name)
	if len(glue) == 0 {
		return &Fix{Where: WhereRegistrar,
			Summary: fmt.Sprintf("add glue %s for %s: its A and AAAA records, as %s gives them (the trace did not learn its address)", registrarText(z.parent), name, zoneOf(d, name))}
	}
	return said(&Fix{Where: WhereRegistrar, Records: glue}, "give "+name+" glue (a host record at the registrar)")
}

// glueFor gives the glue records to add at z's parent for name: its
// addresses as the trace learned them, with the TTL of the parent's NS set.
func (d *diagnosis) glueFor(z *zoneInfo, name string) []Change {
	parentTTL, _ := nsTTLs(z)
	recs, _ := d.addrsOf(name)
	var out []Change
	for _, r := range recs {
		out = append(out, Change{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, parentTTL, r.addr)})
	}
	return out
}

// serverName gives the canonical name of a finding's server, or "".
func serverName(f Finding) string {
	if f.Server == nil || f.Server.Name == "" {
		return ""
	}
	return canon(f.Server.Name)
}

// fixNSMismatch gives both ways to make the two NS sets equal for the one
// name the finding is about: at the parent, or in the zone, the way the
// name's own replies favour first. The parent's set is the one resolvers
// see first, in the referral; the zone's replaces it once they ask the
// zone itself (RFC 2181 §5.4.1).
func (d *diagnosis) fixNSMismatch(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || z.ref == nil || name == "" {
		return nil
	}
	if looksLikeAddress(name) {
		return d.fixNSIsAddress(f) // the name itself is the fault
	}
	sets := fmt.Sprintf("%s (the referral, which resolvers see first): %s; %s itself (which replaces it once they ask the zone): %s",
		z.parent, names(nsList(z.ref.NS)), z.zone, names(nsList(z.child)))
	s := d.serving(z.zone, name, netip.Addr{})
	state := name + " " + d.state(z.zone, s)
	parentTTL, childTTL := nsTTLs(z)
	if hasNS(z.ref.NS, name) {
		// Only at the parent: take it out there, or add it to the zone.
		drop := said(&Fix{Where: WhereRegistrar, Records: d.dropAtParent(z, name), Evidence: state + "; " + sets},
			"make the parent's set "+names(nsList(z.child))+", as the zone's")
		add := said(&Fix{Where: WhereZone, Evidence: state + "; " + sets,
			Records: []Change{{Op: OpAdd, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, childTTL, name)}}},
			"make the zone's set "+names(nsList(z.ref.NS))+", as the parent's")
		if s.v != answers {
			add.Steps = []string{"first make " + name + " serve " + z.zone + ": it " + d.state(z.zone, s), "then add its NS record to the zone"}
			return either(drop, add)
		}
		return either(add, drop)
	}
	// Only in the zone: add it at the parent, or take it out of the zone.
	add := said(&Fix{Where: WhereRegistrar, Evidence: state + "; " + sets,
		Records: append([]Change{{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: nsRR(z.zone, parentTTL, name)}}, d.inBailiwickGlue(z, name)...)},
		"make the parent's set "+names(nsList(z.child))+", as the zone's")
	if inZone(z.parent, name) && len(add.Records) == 1 {
		add.Steps = []string{fmt.Sprintf("%s is inside %s: give the registrar its address too (glue; the trace did not learn it)", name, z.parent)}
	}
	drop := said(&Fix{Where: WhereZone, Evidence: state + "; " + sets,
		Records: []Change{{Op: OpRemove, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, childTTL, name)}}},
		"make the zone's set "+names(nsList(z.ref.NS))+", as the parent's")
	if s.v == answers {
		return either(add, drop)
	}
	return either(drop, add)
}

// either gives a fix of first with the others as its alternatives.
func either(first *Fix, others ...*Fix) *Fix {
	out := *first
	for _, o := range others {
		out.Or = append(out.Or, *o)
	}
	return &out
}

// dropAtParent gives the changes that take name out of z's delegation at
// the parent: its NS record and its glue, when the parent has them.
func (d *diagnosis) dropAtParent(z *zoneInfo, name string) []Change {
	var out []Change
	for _, ns := range z.ref.NS {
		if canon(ns.Name) == name {
			out = append(out, Change{Op: OpRemove, Where: WhereRegistrar, Zone: z.parent, RR: nsRR(z.zone, ns.TTL, name)})
		}
	}
	if d.glueShared(z, name) {
		return out // the parent's other delegations still need it
	}
	for _, g := range usableGlue(z.ref) {
		if g.Name == name {
			out = append(out, Change{Op: OpRemove, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, glueTTL(z.ref, g), g.Addr)})
		}
	}
	return out
}

// glueShared reports whether name is a nameserver of another zone the
// parent of z delegates, so that its glue serves that zone too.
func (d *diagnosis) glueShared(z *zoneInfo, name string) bool {
	for _, o := range d.zones {
		if o != z && o.parent == z.parent && o.ref != nil && hasNS(o.ref.NS, name) {
			return true
		}
	}
	return false
}

// glueTTL gives the TTL of the glue record of r for g.
func glueTTL(r *Delegation, g Glue) uint32 {
	for _, x := range r.Glue {
		if canon(x.Name) == g.Name && x.Addr.Unmap() == g.Addr {
			return x.TTL
		}
	}
	return 0
}

// dropNS gives the changes that take name out of z's delegation
// everywhere: at the parent, then in the zone's own NS set.
func (d *diagnosis) dropNS(z *zoneInfo, name string) []Change {
	var out []Change
	if z.ref != nil {
		out = d.dropAtParent(z, name)
	}
	for _, ns := range z.child {
		if canon(ns.Name) == name {
			out = append(out, Change{Op: OpRemove, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, ns.TTL, name)})
		}
	}
	return out
}

// inBailiwickGlue gives the glue the parent needs for name when name is
// inside the parent's zone, with the addresses the trace learned.
func (d *diagnosis) inBailiwickGlue(z *zoneInfo, name string) []Change {
	if !inZone(z.parent, name) {
		return nil
	}
	return d.glueFor(z, name)
}

// fixSingle: a second nameserver, which no trace can name: its NS record
// at the registrar and in the zone, once it serves the zone.
func (d *diagnosis) fixSingle(f Finding) *Fix {
	z := d.zones[f.Zone]
	if z == nil || z.ref == nil {
		return nil
	}
	only := serverName(f)
	return &Fix{Where: WhereRegistrar,
		Summary: fmt.Sprintf("add a second nameserver for %s, on another network than %s, %s and in the zone", z.zone, only, registrarText(z.parent)),
		Steps: []string{
			fmt.Sprintf("set up %s on a second server, on another network (a secondary that transfers it from %s, or a second provider)", z.zone, only),
			fmt.Sprintf("add its NS record to %s's own NS set: %s NS <second server>", z.zone, z.zone),
			fmt.Sprintf("add it to the delegation %s (with glue, if its name is inside %s)", registrarText(z.parent), z.zone),
		}}
}
