package trace

// Diagnose and the state it works on: what the hops say, gathered by zone,
// for the checks of the diagnose_*.go files, and the findings so far.

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Diagnose looks at every hop of t, nested lookups included, and says what is
// wrong, or worth knowing, about the delegations the walk crossed. It only
// reads the trace: it sends nothing and does not change t. Findings come
// sorted by severity (errors first), then by the first hop that shows them;
// each hop ID in a finding is one of t's (see Trace.Number). The codes and
// what they mean are in docs/findings.md.
func Diagnose(t *Trace) []Finding {
	if t == nil {
		return nil
	}
	d := &diagnosis{index: map[string]int{}, zones: map[string]*zoneInfo{}, lookups: map[string][]*lookupInfo{}}
	d.collect(t, nil)
	d.servers()     // diagnose_servers.go
	d.delegations() // diagnose_delegations.go
	d.nameservers() // diagnose_nameservers.go, with diagnose_ranges.go
	d.nsTTL()       // diagnose_ttl.go
	d.failures()    // diagnose_failures.go
	d.qmin(t)       // diagnose_qmin.go
	d.consistency() // diagnose_all.go, with diagnose_zonedata.go
	d.protocol()    // diagnose_protocol.go
	d.sameAddress()
	d.familyRedundancy()
	d.referralSize()   // diagnose_zonedata.go
	d.glueIncomplete() // diagnose_glue.go
	d.question(t)      // diagnose_question.go
	d.routes()         // diagnose_routes.go
	d.dnssec(t)        // diagnose_dnssec.go
	d.group()          // group.go
	slices.SortStableFunc(d.out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			cmp.Compare(firstHop(a), firstHop(b)),
			strings.Compare(a.Code, b.Code),
			strings.Compare(a.Zone, b.Zone),
			strings.Compare(serverKey(a.Server), serverKey(b.Server)),
		)
	})
	d.fixes() // fix.go
	return d.out
}

func firstHop(f Finding) int {
	if len(f.Hops) == 0 {
		return int(^uint(0) >> 1)
	}
	return slices.Min(f.Hops)
}

func serverKey(s *Server) string {
	if s == nil {
		return ""
	}
	return s.Name + " " + addrText(s.Addr)
}

// diagnosis is the state of one Diagnose: what the hops say, gathered by
// zone, and the findings so far.
type diagnosis struct {
	out    []Finding
	index  map[string]int                        // finding key → index in out, to merge hops
	causes map[causeKey]func(int, string) string // how to say each cause's group (addCause)

	hops    []*Hop               // every hop in ID order
	traces  []*Trace             // every trace: the walk, then its lookups in ID order
	order   []string             // zones in order of first delegation
	zones   map[string]*zoneInfo // by zone
	lookups map[string][]*lookupInfo
	nsAddrs []nsAddr               // every address learned for a nameserver, in hop order
	full    map[string]fullReplies // how servers met the questions not minimised (fullReplies)
	entNX   map[*Hop]bool          // minimised NXDOMAIN replies that ent-nxdomain reports
}

// zoneInfo is what the trace learned about one delegated zone.
type zoneInfo struct {
	zone     string
	parent   string      // the zone whose server sent the referral
	ref      *Delegation // the first referral to it
	refHops  []int       // every referral to it
	child    []NS        // the zone's own apex NS set, when a child-ns hop got it
	childHop int
}

// lookupInfo is one lookup of a nameserver name's address.
type lookupInfo struct {
	zone string // the zone the name serves: the referral that needed it
	t    *Trace
}

// nsAddr is one address of a nameserver, with where it was learned.
type nsAddr struct {
	zone, name string
	addr       netip.Addr
	hop        int
	glue       bool
}

// add records f, or merges its hops into an earlier finding with the same
// key.
func (d *diagnosis) add(key string, f Finding) { d.addAt(SeverityOf(f.Code), key, f) }

// addAt is add for a finding of a code whose severity depends on what was
// found, sev, at most the code's own (see codes).
func (d *diagnosis) addAt(sev Severity, key string, f Finding) {
	f.Severity = sev
	key = f.Code + "|" + f.Zone + "|" + key
	if i, ok := d.index[key]; ok {
		for _, h := range f.Hops {
			if !slices.Contains(d.out[i].Hops, h) {
				d.out[i].Hops = append(d.out[i].Hops, h)
			}
		}
		slices.Sort(d.out[i].Hops)
		return
	}
	f.Hops = slices.Compact(slices.Sorted(slices.Values(f.Hops)))
	d.index[key] = len(d.out)
	d.out = append(d.out, f)
}

// collect gathers t's hops, its delegations and its lookups; via is the
// referral hop that t resolves a nameserver name for, nil for the walk.
func (d *diagnosis) collect(t *Trace, via *Hop) {
	d.traces = append(d.traces, t)
	if via != nil && via.Referral != nil {
		name := canon(t.Question.Name)
		d.lookups[name] = append(d.lookups[name], &lookupInfo{zone: via.Referral.Zone, t: t})
	}
	for _, h := range t.Hops {
		if h == nil {
			continue
		}
		d.hops = append(d.hops, h)
		switch {
		case h.Purpose == PurposeWalk && h.Outcome == Referral && h.Referral != nil:
			z := d.zone(h.Referral.Zone)
			if z.ref == nil || h.Simulated { // the proposed delegation (--delegate) is the one diagnosed
				z.ref, z.parent = h.Referral, h.Zone
			}
			z.refHops = append(z.refHops, h.ID)
			for _, g := range h.Referral.Glue {
				if g.Ignored == ReasonNone && hasNS(h.Referral.NS, g.Name) {
					d.nsAddrs = append(d.nsAddrs, nsAddr{zone: h.Referral.Zone, name: g.Name, addr: g.Addr.Unmap(), hop: h.ID, glue: true})
				}
			}
		case h.Purpose == PurposeChildNS && h.Outcome == Answer && h.AA:
			z := d.zone(canon(h.Zone))
			if z.child == nil {
				for _, rr := range h.Answer {
					if ns, ok := rr.(*dns.NS); ok && canon(ns.Hdr.Name) == canon(h.Zone) {
						z.child = append(z.child, NS{Name: canon(ns.Ns), TTL: ns.Hdr.Ttl})
					}
				}
				z.childHop = h.ID
			}
		}
		if h.Server.Addr.IsValid() && h.Server.Name != "" && isAuthorityHop(h) && h.Zone != "." {
			switch h.Server.Source {
			case SourceHints, SourceUser:
			default:
				d.nsAddrs = append(d.nsAddrs, nsAddr{zone: canon(h.Zone), name: canon(h.Server.Name), addr: h.Server.Addr.Unmap(), hop: h.ID})
			}
		}
		for _, l := range h.Lookups {
			if l == nil {
				continue
			}
			d.collect(l, h)
			if h.Referral != nil {
				for _, a := range addressesOf(l) {
					d.nsAddrs = append(d.nsAddrs, nsAddr{zone: h.Referral.Zone, name: canon(l.Question.Name), addr: a, hop: lastHop(l)})
				}
			}
		}
	}
}

func (d *diagnosis) zone(name string) *zoneInfo {
	z, ok := d.zones[name]
	if !ok {
		z = &zoneInfo{zone: name}
		d.zones[name] = z
		d.order = append(d.order, name)
	}
	return z
}

// isAuthorityHop reports whether h asked its server as an authority for
// h.Zone, so that its failures are the server's: every hop but the
// recursive priming query.
func isAuthorityHop(h *Hop) bool {
	switch h.Purpose {
	case PurposeWalk, PurposeChildNS, PurposeSOA, PurposeCheck, PurposeQminCheck:
		return true
	}
	return false
}

func canon(s string) string { return dns.CanonicalName(s) }

func hasNS(ns []NS, name string) bool {
	return slices.ContainsFunc(ns, func(n NS) bool { return canon(n.Name) == canon(name) })
}

func lastHop(t *Trace) int {
	id := 0
	t.Walk(func(h *Hop) { id = max(id, h.ID) })
	return id
}

// addressesOf gives the addresses a lookup found for the name it asked,
// not those of a CNAME's target under another name.
func addressesOf(t *Trace) []netip.Addr {
	if t.Outcome != Answer {
		return nil
	}
	var own []dns.RR
	for _, rr := range t.Answer {
		if canon(rr.Header().Name) == canon(t.Question.Name) {
			own = append(own, rr)
		}
	}
	return AddrsOf(own)
}

// serverText names a server: "ns1.example.com. (192.0.2.1)".
func serverText(s Server) string {
	switch {
	case s.Name == "":
		return addrText(s.Addr)
	case !s.Addr.IsValid():
		return s.Name
	}
	return s.Name + " (" + s.Addr.String() + ")"
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
