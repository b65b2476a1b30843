package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// glue-incomplete (DNSViz MISSING_GLUE_IPV4/6, EXTRA_GLUE_IPV4/6;
// Zonemaster CONSISTENCY05): the glue of a nameserver name inside the zone
// lacks an address family, or addresses, that the zone's own A and AAAA
// records give, or gives a family they do not have. A glue address the
// zone does not have where it has others of the family is glue-mismatch.

// ownView is what one reply of a zone's own servers says of the addresses
// of one nameserver name inside it, per family (0 IPv4, 1 IPv6): whether
// it said (known), and what.
type ownView struct {
	known [2]bool
	addrs [2][]netip.Addr
	hop   int
}

func famIndex(v4 bool) int {
	if v4 {
		return 0
	}
	return 1
}

// ownViews gives, for each nameserver name inside zone, what the zone's
// servers said of its addresses: an authoritative answer for the zone's NS
// set speaks for both families of each name in its additional section
// (servers put every A and AAAA of such a name there); an authoritative
// answer or NODATA to a server check's A or AAAA query for one family.
func (d *diagnosis) ownViews(zone string) map[string][]ownView {
	out := map[string][]ownView{}
	for _, h := range d.hops {
		if !h.AA || h.Err != nil || canon(h.Zone) != zone {
			continue
		}
		switch {
		case h.Purpose == PurposeChildNS:
			byName := map[string]*ownView{}
			var names []string
			for _, rr := range h.Additional {
				name := canon(rr.Header().Name)
				a := AddrOf(rr)
				if !a.IsValid() || !dns.IsSubDomain(zone, name) {
					continue
				}
				v := byName[name]
				if v == nil {
					v = &ownView{known: [2]bool{true, true}, hop: h.ID}
					byName[name] = v
					names = append(names, name)
				}
				i := famIndex(a.Unmap().Is4())
				v.addrs[i] = append(v.addrs[i], a.Unmap())
			}
			for _, n := range names {
				out[n] = append(out[n], *byName[n])
			}
		case h.Purpose == PurposeCheck && (h.Outcome == Answer || h.Outcome == NoData) &&
			(h.Question.Qtype == dns.TypeA || h.Question.Qtype == dns.TypeAAAA):
			name := canon(h.Question.Name)
			if !dns.IsSubDomain(zone, name) {
				continue
			}
			v := ownView{hop: h.ID}
			i := famIndex(h.Question.Qtype == dns.TypeA)
			v.known[i] = true
			for _, a := range AddrsOf(h.Answer) {
				if a.Unmap().Is4() == (i == 0) {
					v.addrs[i] = append(v.addrs[i], a.Unmap())
				}
			}
			out[name] = append(out[name], v)
		}
	}
	return out
}

// glueGap is what one family of a name's glue lacks or has in excess
// against the zone's own records.
type glueGap struct {
	family         string // "IPv4" or "IPv6"
	missing, extra []netip.Addr
	own            []netip.Addr
}

// glueIncomplete compares, for each nameserver name inside each zone that
// came with glue, the glue with what the zone's own servers say, family
// by family: the glue is incomplete when no reply of the zone agrees with
// it, and the first that says anything of the family has addresses the
// glue lacks (all of the family, or some where the glue has no other), or
// none where the glue has some.
func (d *diagnosis) glueIncomplete() {
	for _, zname := range d.order {
		z := d.zones[zname]
		if z.ref == nil {
			continue
		}
		var views map[string][]ownView
		for _, ns := range z.ref.NS {
			name := canon(ns.Name)
			if !dns.IsSubDomain(zname, name) {
				continue
			}
			var glue []netip.Addr
			for _, g := range z.ref.Glue {
				if g.Ignored == ReasonNone && canon(g.Name) == name {
					glue = append(glue, g.Addr.Unmap())
				}
			}
			if len(glue) == 0 {
				continue // missing-glue's
			}
			if views == nil {
				views = d.ownViews(zname)
			}
			gaps, hops := glueGaps(glue, views[name])
			if len(gaps) > 0 {
				d.addGlueIncomplete(z, name, gaps, hops)
			}
		}
	}
}

// glueGaps compares glue with the views of the zone, family by family.
func glueGaps(glue []netip.Addr, views []ownView) ([]glueGap, []int) {
	var gaps []glueGap
	var hops []int
	for i, fam := range []string{"IPv4", "IPv6"} {
		gs := family(glue, i == 0)
		var first *ownView
		agree := false
		for j := range views {
			v := &views[j]
			if !v.known[i] {
				continue
			}
			own := family(v.addrs[i], i == 0)
			agree = agree || slices.Equal(own, gs)
			if first == nil {
				first = v
			}
		}
		if first == nil || agree {
			continue
		}
		own := family(first.addrs[i], i == 0)
		g := glueGap{family: fam, own: own}
		for _, a := range own {
			if !slices.Contains(gs, a) {
				g.missing = append(g.missing, a)
			}
		}
		for _, a := range gs {
			if !slices.Contains(own, a) {
				g.extra = append(g.extra, a)
			}
		}
		// Glue with addresses of the family that the zone does not
		// have, beside others it has or instead of them, is stale:
		// glue-mismatch's.
		if len(g.extra) > 0 && len(own) > 0 {
			continue
		}
		gaps = append(gaps, g)
		hops = append(hops, first.hop)
	}
	return gaps, hops
}

// addGlueIncomplete reports the gaps of name's glue in z's referral.
func (d *diagnosis) addGlueIncomplete(z *zoneInfo, name string, gaps []glueGap, hops []int) {
	var what, why []string
	for _, g := range gaps {
		switch {
		case len(g.extra) > 0:
			what = append(what, fmt.Sprintf("gives the %s address %s, where %s has no %s address for it", g.family, addrList(g.extra), z.zone, g.family))
			why = append(why, "resolvers send queries to an address the zone does not list (a server moved away, or an address left out of the zone)")
		case len(g.missing) == len(g.own):
			what = append(what, fmt.Sprintf("has no %s address, where %s gives %s", g.family, z.zone, addrList(g.own)))
			why = append(why, fmt.Sprintf("resolvers cannot reach it over %s: the glue is the only way to a nameserver inside the zone", g.family))
		default:
			what = append(what, fmt.Sprintf("lacks %s of the %s addresses %s gives (%s)", addrList(g.missing), g.family, z.zone, addrList(g.own)))
			why = append(why, "resolvers reach it only at the glue's addresses: the glue is the only way to a nameserver inside the zone")
		}
	}
	d.add(name, Finding{Code: CodeGlueIncomplete, Zone: z.zone, Server: &Server{Name: name},
		Hops: append(slices.Clone(z.refHops), hops...),
		Message: fmt.Sprintf("the glue for %s in %s's referral to %s %s: %s; keep the glue at the registrar the same as the zone's A and AAAA records (RFC 9471)",
			name, z.parent, z.zone, strings.Join(what, ", and "), strings.Join(slices.Compact(why), "; "))})
}

// fixGlueIncomplete makes the glue say what the zone says: the addresses
// it lacks added at the registrar, those of a family the zone does not
// have removed; or, for those, the zone given them, when the server
// answers there and the zone left them out.
func (d *diagnosis) fixGlueIncomplete(f Finding) *Fix {
	z, name := d.zones[f.Zone], serverName(f)
	if z == nil || z.ref == nil || name == "" {
		return nil
	}
	var glue []netip.Addr
	for _, g := range usableGlue(z.ref) {
		if g.Name == name {
			glue = append(glue, g.Addr)
		}
	}
	gaps, _ := glueGaps(glue, d.ownViews(z.zone)[name])
	have, _ := d.addrsOf(name)
	parentTTL, _ := nsTTLs(z)
	toGlue, toZone := &Fix{Where: WhereRegistrar}, &Fix{Where: WhereZone}
	var extra []netip.Addr
	for _, g := range gaps {
		for _, a := range g.missing {
			toGlue.Records = append(toGlue.Records, Change{Op: OpAdd, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, parentTTL, a)})
		}
		for _, a := range g.extra {
			toGlue.Records = append(toGlue.Records, Change{Op: OpRemove, Where: WhereRegistrar, Zone: z.parent, RR: addrRR(name, parentTTL, a)})
			toZone.Records = append(toZone.Records, Change{Op: OpAdd, Where: WhereZone, Zone: z.zone, RR: addrRR(name, ttlOf(have, a), a)})
			extra = append(extra, a)
		}
	}
	if len(toGlue.Records) == 0 {
		return nil
	}
	said(toGlue, "make the glue say what "+z.zone+" says")
	if len(toZone.Records) == 0 {
		return toGlue
	}
	said(toZone, "if "+name+" does answer at the glue's address, give "+z.zone+" the record")
	toGlue.Evidence, toZone.Evidence = d.addrEvidence(z.zone, name, have), d.addrEvidence(z.zone, name, nil)
	if d.anyAnswersAt(z.zone, name, extra) {
		return either(toZone, toGlue)
	}
	return either(toGlue, toZone)
}
