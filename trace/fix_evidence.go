package trace

// What the fixes take from the trace: a name's addresses with their TTLs,
// and how each nameserver of a zone fared.

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// addrRec is an address of a nameserver name, with its TTL and the hop
// that gave it.
type addrRec struct {
	addr netip.Addr
	ttl  uint32
	hop  int
}

// addrsOf gives the addresses the trace learned for name, sorted, IPv4
// first: those its own zone gave (a lookup's answer, or the additional
// section of a server's answer for its zone's NS set) when there are any,
// else the glue of a referral, else the addresses the walk asked it at.
// auth says which it was.
func (d *diagnosis) addrsOf(name string) (recs []addrRec, auth bool) {
	name = canon(name)
	var fromZone, fromGlue, asked []addrRec
	for _, t := range d.traces {
		for _, rr := range t.Answer {
			if a := AddrOf(rr); a.IsValid() && canon(rr.Header().Name) == name {
				fromZone = append(fromZone, addrRec{a.Unmap(), rr.Header().Ttl, lastHop(t)})
			}
		}
	}
	for _, h := range d.hops {
		for _, rr := range h.Additional {
			if a := AddrOf(rr); a.IsValid() && canon(rr.Header().Name) == name && h.AA {
				fromZone = append(fromZone, addrRec{a.Unmap(), rr.Header().Ttl, h.ID})
			}
		}
		if h.Referral != nil && h.Outcome == Referral {
			for _, g := range h.Referral.Glue {
				if g.Ignored == ReasonNone && canon(g.Name) == name {
					fromGlue = append(fromGlue, addrRec{g.Addr.Unmap(), g.TTL, h.ID})
				}
			}
		}
		if canon(h.Server.Name) == name && h.Server.Addr.IsValid() && h.Server.Source != SourceHints {
			asked = append(asked, addrRec{addr: h.Server.Addr.Unmap(), hop: h.ID})
		}
	}
	switch {
	case len(fromZone) > 0:
		return distinctAddrs(fromZone), true
	case len(fromGlue) > 0:
		return distinctAddrs(fromGlue), false
	}
	return distinctAddrs(asked), false
}

// distinctAddrs keeps the first record of each address, sorted IPv4 first.
func distinctAddrs(rs []addrRec) []addrRec {
	var out []addrRec
	for _, r := range rs {
		if !slices.ContainsFunc(out, func(o addrRec) bool { return o.addr == r.addr }) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b addrRec) int { return a.addr.Compare(b.addr) })
	return out
}

// verdict is how one nameserver, at all its addresses, fared for a zone.
type verdict int

const (
	notAsked verdict = iota // no query was sent to it as an authority for the zone
	answers                 // at least one usable reply as an authority
	replies                 // replies, none usable: lame
	noReply                 // never replied
)

// served is how a nameserver fared for a zone: the verdict, the hop that
// shows it, and the address it was asked at.
type served struct {
	v    verdict
	hop  int
	addr netip.Addr
}

// serving gives how the server name fared for zone, its address at if
// valid, else all its addresses: answers when any reply was usable.
func (d *diagnosis) serving(zone, name string, at netip.Addr) served {
	best := served{}
	for _, h := range d.hops {
		if !isAuthorityHop(h) || h.Simulated || h.Outcome == Abandoned || h.Reason.Ours() ||
			canon(h.Zone) != canon(zone) || canon(h.Server.Name) != canon(name) {
			continue
		}
		if at.IsValid() && h.Server.Addr.Unmap() != at.Unmap() {
			continue
		}
		s := served{hop: h.ID, addr: h.Server.Addr}
		switch {
		case h.Err == nil && (h.AA || h.Outcome == Referral):
			s.v = answers
		case h.Rcode >= 0:
			s.v = replies
		default:
			s.v = noReply
		}
		if best.v == notAsked || s.v == answers && best.v != answers {
			best = s
		}
	}
	return best
}

// others lists the nameservers of zone z, in either NS set, but name, that
// answer for it.
func (d *diagnosis) othersServing(z *zoneInfo, name string) []string {
	var out []string
	for _, n := range nsNames(z) {
		if n != canon(name) && d.serving(z.zone, n, netip.Addr{}).v == answers {
			out = append(out, n)
		}
	}
	return out
}

// nsNames gives the names of z's nameservers, the parent's first, then
// those only in the zone's own set, each once, canonical.
func nsNames(z *zoneInfo) []string {
	var out []string
	var sets [][]NS
	if z.ref != nil {
		sets = append(sets, z.ref.NS)
	}
	sets = append(sets, z.child)
	for _, set := range sets {
		for _, n := range set {
			if c := canon(n.Name); !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// state says in words how a nameserver fared: "answered for example.com.
// (hop 7)", "answers REFUSED (hop 5)".
func (d *diagnosis) state(zone string, s served) string {
	if s.hop == 0 {
		return "was not asked"
	}
	h := d.hop(s.hop)
	switch s.v {
	case answers:
		return fmt.Sprintf("answers for %s (hop %d)", zone, s.hop)
	case replies:
		if h != nil && h.Rcode > 0 {
			return fmt.Sprintf("answers %s (hop %d)", rcodeText(h.Rcode), s.hop)
		}
		return fmt.Sprintf("replies, but not as an authority for %s (hop %d)", zone, s.hop)
	}
	switch {
	case h != nil && h.Reason == ReasonBadReply:
		return fmt.Sprintf("replies with bytes that are not DNS (hop %d)", s.hop)
	case h != nil && h.Reason == ReasonTimeout && h.Timeout > 0 && h.Timeout < resolverWait:
		return fmt.Sprintf("gave no reply within nstrace's --timeout of %s (hop %d)", h.Timeout, s.hop)
	}
	return fmt.Sprintf("does not reply (hop %d)", s.hop)
}

// hop gives the hop with ID id, or nil.
func (d *diagnosis) hop(id int) *Hop {
	for _, h := range d.hops {
		if h.ID == id {
			return h
		}
	}
	return nil
}

// nsTTLs gives the TTL of z's NS set at the parent and in the zone; a set
// the trace did not see gets the other's.
func nsTTLs(z *zoneInfo) (parent, child uint32) {
	if z.ref != nil && len(z.ref.NS) > 0 {
		parent = z.ref.NS[0].TTL
	}
	if len(z.child) > 0 {
		child = z.child[0].TTL
	}
	if parent == 0 {
		parent = child
	}
	if child == 0 {
		child = parent
	}
	return parent, child
}

// maxNames is the most names a fix's words list; the rest are counted (the
// fix's Records keep every one), so that a set of a thousand nameservers
// takes a line, not a screen (issue 18).
const maxNames = 20

// names writes a list of names: "ns1.example.com., ns2.example.com."; "none"
// for none; past maxNames, the first ones and "and 980 more".
func names(ns []string) string {
	if len(ns) == 0 {
		return "none"
	}
	if len(ns) > maxNames {
		return strings.Join(ns[:maxNames], ", ") + " and " + strconv.Itoa(len(ns)-maxNames) + " more"
	}
	return strings.Join(ns, ", ")
}

// nsList gives the canonical names of an NS set, sorted.
func nsList(set []NS) []string {
	var out []string
	for _, n := range set {
		out = append(out, canon(n.Name))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// inZone reports whether name is at or below zone.
func inZone(zone, name string) bool { return dns.IsSubDomain(canon(zone), canon(name)) }
