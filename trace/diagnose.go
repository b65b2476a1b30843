package trace

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The finding codes. They are stable: scripts match them, and
// docs/findings.md explains each, with how to fix it.
const (
	CodeMissingGlue        = "missing-glue"
	CodeLameServer         = "lame-server"
	CodeUnreachableServer  = "unreachable-server"
	CodeAllServersFailed   = "all-servers-failed"
	CodeNSMismatch         = "ns-mismatch"
	CodeNSTTLMismatch      = "ns-ttl-mismatch"
	CodeNSIsCNAME          = "ns-is-cname"
	CodeNSIsAddress        = "ns-is-address"
	CodeNSUnresolvable     = "ns-unresolvable"
	CodeSingleNameserver   = "single-nameserver"
	CodeNotDiverse         = "nameservers-not-diverse"
	CodeGlueMismatch       = "glue-mismatch"
	CodeCircularDelegation = "circular-delegation"
	CodeUpwardReferral     = "upward-referral"
	CodeReferralLoop       = "referral-loop"
	CodeSidewaysReferral   = "sideways-referral"
	CodeOutOfBailiwickGlue = "out-of-bailiwick-glue"
	CodePrivateAddress     = "private-address"
	CodeTCPFailed          = "tcp-failed"
	CodeSlowServer         = "slow-server"
)

// Severities maps every code to its severity.
var Severities = map[string]Severity{
	CodeMissingGlue:        SeverityError,
	CodeLameServer:         SeverityError,
	CodeUnreachableServer:  SeverityError,
	CodeAllServersFailed:   SeverityError,
	CodeNSMismatch:         SeverityWarning,
	CodeNSTTLMismatch:      SeverityInfo,
	CodeNSIsCNAME:          SeverityError,
	CodeNSIsAddress:        SeverityError,
	CodeNSUnresolvable:     SeverityError,
	CodeSingleNameserver:   SeverityWarning,
	CodeNotDiverse:         SeverityWarning,
	CodeGlueMismatch:       SeverityWarning,
	CodeCircularDelegation: SeverityError,
	CodeUpwardReferral:     SeverityInfo,
	CodeReferralLoop:       SeverityInfo,
	CodeSidewaysReferral:   SeverityInfo,
	CodeOutOfBailiwickGlue: SeverityInfo,
	CodePrivateAddress:     SeverityWarning,
	CodeTCPFailed:          SeverityError,
	CodeSlowServer:         SeverityInfo,
}

// SlowRTT is the round-trip time above which a reply earns a slow-server
// finding. Resolvers commonly give a server between 400ms and 1s before
// they ask another, so a server slower than this loses queries it answers.
const SlowRTT = 500 * time.Millisecond

// Rank orders severities from the worst: 0 for error, 1 for warning, 2 for
// info, 3 for anything else.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// AtLeast reports whether s is as bad as min or worse.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() <= min.Rank() }

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
	d.servers()
	d.delegations()
	d.nameservers()
	d.nsTTL() // diagnose_ttl.go
	d.failures()
	d.consistency() // diagnose_all.go
	slices.SortStableFunc(d.out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			cmp.Compare(firstHop(a), firstHop(b)),
			strings.Compare(a.Code, b.Code),
			strings.Compare(a.Zone, b.Zone),
			strings.Compare(serverKey(a.Server), serverKey(b.Server)),
		)
	})
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

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// diagnosis is the state of one Diagnose: what the hops say, gathered by
// zone, and the findings so far.
type diagnosis struct {
	out   []Finding
	index map[string]int // finding key → index in out, to merge hops

	hops    []*Hop               // every hop in ID order
	traces  []*Trace             // every trace: the walk, then its lookups in ID order
	order   []string             // zones in order of first delegation
	zones   map[string]*zoneInfo // by zone
	lookups map[string][]*lookupInfo
	nsAddrs []nsAddr // every address learned for a nameserver, in hop order
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
func (d *diagnosis) add(key string, f Finding) {
	f.Severity = Severities[f.Code]
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
// h.Zone, so that its failures are the server's.
func isAuthorityHop(h *Hop) bool {
	return h.Purpose == PurposeWalk || h.Purpose == PurposeChildNS
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

// serverHops groups the hops that asked a server as an authority by zone
// and address, in hop order.
type serverHops struct {
	zone string
	srv  Server
	hops []*Hop
}

// servers finds what the replies, or their absence, say about each server:
// lame-server and the referral codes, unreachable-server, tcp-failed,
// slow-server.
func (d *diagnosis) servers() {
	var groups []*serverHops
	at := map[string]*serverHops{}
	for _, h := range d.hops {
		if !isAuthorityHop(h) || h.Simulated || h.Outcome == Abandoned || h.Reason == ReasonCancelled {
			continue
		}
		key := canon(h.Zone) + " " + h.Server.Addr.String()
		g, ok := at[key]
		if !ok {
			g = &serverHops{zone: canon(h.Zone), srv: Server{Name: h.Server.Name, Addr: h.Server.Addr}}
			at[key] = g
			groups = append(groups, g)
		}
		g.hops = append(g.hops, h)
	}
	for _, g := range groups {
		srv := &g.srv
		who := serverText(g.srv)
		// The walk's own queries are the evidence, retries included: the
		// NS check is sent once, beside the walk, and is abandoned or not
		// as the walk moves on.
		var walked []*Hop
		for _, h := range g.hops {
			if h.Purpose == PurposeWalk {
				walked = append(walked, h)
			}
		}
		replied := slices.ContainsFunc(g.hops, func(h *Hop) bool { return h.Rcode >= 0 || h.Truncated })
		if !replied && len(walked) > 0 {
			var ids []int
			for _, h := range walked {
				ids = append(ids, h.ID)
			}
			last := walked[len(walked)-1]
			why := "no reply"
			if last.Err != nil {
				why = last.Err.Error()
			}
			if n := len(walked); n > 1 {
				why = strconv.Itoa(n) + " tries: " + why
			}
			d.add(who, Finding{Code: CodeUnreachableServer, Zone: g.zone, Server: srv, Hops: ids,
				Message: fmt.Sprintf("%s, a nameserver of %s, did not reply (%s): every resolver that tries it waits out a timeout before it asks another server, and the zone is down for it when the others fail too",
					who, g.zone, why)})
		}
		var slowest *Hop
		for _, h := range g.hops {
			switch {
			case h.Truncated && h.Err != nil:
				d.add(who, Finding{Code: CodeTCPFailed, Zone: g.zone, Server: srv, Hops: []int{h.ID},
					Message: fmt.Sprintf("%s truncated its UDP reply for %s (TC=1), and the same query over TCP failed (%v): answers too big for UDP cannot be had from it; DNS over TCP is required (RFC 7766)",
						who, g.zone, h.Err)})
			case h.Outcome == Lame || h.Outcome == Error && h.Rcode > 0:
				d.lame(g.zone, srv, h)
			}
			if h.Rcode >= 0 && h.RTT > SlowRTT && (slowest == nil || h.RTT > slowest.RTT) {
				slowest = h
			}
		}
		if slowest != nil {
			d.add(who, Finding{Code: CodeSlowServer, Zone: g.zone, Server: srv, Hops: []int{slowest.ID},
				Message: fmt.Sprintf("%s took over half a second to reply for %s: resolvers give up on a server sooner than that, and ask another", who, g.zone)})
		}
	}
}

// lame records a lame-server finding for a reply h that was not usable, and
// the referral codes when the reply was a referral that did not lead down.
func (d *diagnosis) lame(zone string, srv *Server, h *Hop) {
	who := serverText(*srv)
	msg := ""
	if h.Err != nil {
		msg = h.Err.Error()
	}
	var why string
	switch {
	case h.Outcome == Error && h.Rcode == dns.RcodeRefused:
		why = "answers REFUSED: it does not serve the zone (a lame delegation)"
	case h.Outcome == Error && h.Rcode == dns.RcodeServerFailure:
		why = "answers SERVFAIL: it is meant to serve the zone but cannot (zone not loaded, expired secondary, or a DNSSEC failure)"
	case h.Outcome == Error:
		why = "answers " + rcodeText(h.Rcode) + ": it does not serve the zone"
	case h.Reason == ReasonUpwardReferral:
		to := h.ReferredTo
		why = "refers queries up to " + to + " instead of answering: it does not serve the zone"
		d.add(who, Finding{Code: CodeUpwardReferral, Zone: zone, Server: srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s referred a query for %s up to %s; ignored, as a referral must lead down toward the name (RFC 1034 §4.3.2), and the next server was asked", who, zone, to)})
	case h.Reason == ReasonHorizontalReferral:
		why = "refers queries to the zone itself instead of answering: it does not serve the zone"
		d.add(who, Finding{Code: CodeReferralLoop, Zone: zone, Server: srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s referred a query for %s back to %s itself; ignored, as following it would loop, and the next server was asked", who, zone, zone)})
	case h.Reason == ReasonSidewaysReferral:
		to := h.ReferredTo
		why = "refers queries to the unrelated zone " + to + " instead of answering: it does not serve the zone"
		d.add(who, Finding{Code: CodeSidewaysReferral, Zone: zone, Server: srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s referred a query for %s to %s, which is not below it; ignored, as a server may only speak for its own zone (RFC 2181 §5.4.1), and the next server was asked", who, zone, to)})
	case h.Rcode >= 0 && !h.AA:
		why = "answers without the AA bit: it is not authoritative for the zone, and resolvers will not trust what it says"
	default:
		why = "gives no usable reply (" + msg + ")"
	}
	d.add(who, Finding{Code: CodeLameServer, Zone: zone, Server: srv, Hops: []int{h.ID},
		Message: fmt.Sprintf("%s is listed as a nameserver of %s but %s", who, zone, why)})
}

func rcodeText(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
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
		for _, ns := range ref.NS {
			if dns.IsSubDomain(z.zone, canon(ns.Name)) && !slices.ContainsFunc(ref.Glue, func(g Glue) bool { return g.Ignored == ReasonNone && canon(g.Name) == canon(ns.Name) }) {
				d.add(ns.Name, Finding{Code: CodeMissingGlue, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: z.refHops,
					Message: fmt.Sprintf("%s is inside %s, but the referral from %s carries no glue (address) for it: a resolver must already know the zone to find it, so the zone cannot be reached through it (RFC 9471)",
						ns.Name, z.zone, z.parent)})
			}
		}
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
				d.add(g.Name+" "+g.Addr.String(), Finding{Code: CodeOutOfBailiwickGlue, Zone: z.zone, Server: &Server{Name: g.Name, Addr: g.Addr}, Hops: z.refHops,
					Message: fmt.Sprintf("the referral from %s carried an address for %s (%s), a name outside %s; ignored, as RFC 2181 §5.4.1 requires: a server may not speak for names outside its zone (it is how caches are poisoned)",
						z.parent, g.Name, addrText(g.Addr), z.parent)})
			}
		}
		if z.child == nil {
			continue
		}
		hops := append(slices.Clone(z.refHops), z.childHop)
		for _, ns := range ref.NS {
			if !hasNS(z.child, ns.Name) {
				d.add(ns.Name, Finding{Code: CodeNSMismatch, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: hops,
					Message: fmt.Sprintf("%s is in the NS set %s gives for %s, but not in the zone's own: resolvers that follow the referral still ask it; remove it at the parent, or add it to the zone",
						ns.Name, z.parent, z.zone)})
			}
		}
		for _, ns := range z.child {
			if !hasNS(ref.NS, ns.Name) {
				d.add(ns.Name, Finding{Code: CodeNSMismatch, Zone: z.zone, Server: &Server{Name: ns.Name}, Hops: hops,
					Message: fmt.Sprintf("%s is in %s's own NS set, but %s does not delegate to it: resolvers that start from the parent never ask it; add it at the parent (the registrar), or remove it from the zone",
						ns.Name, z.zone, z.parent)})
			}
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
// own zone gives, when the trace learned both.
func (d *diagnosis) glue() {
	auth := map[string][]netip.Addr{} // name → authoritative addresses
	authHop := map[string]int{}
	for _, t := range d.traces {
		if t.Question.Qtype != dns.TypeA && t.Question.Qtype != dns.TypeAAAA {
			continue
		}
		name := canon(t.Question.Name)
		if as := addressesOf(t); len(as) > 0 {
			auth[name] = append(auth[name], as...)
			if _, ok := authHop[name]; !ok {
				authHop[name] = lastHop(t)
			}
		}
	}
	for _, zname := range d.order {
		z := d.zones[zname]
		if z.ref == nil {
			continue
		}
		for _, ns := range z.ref.NS {
			name := canon(ns.Name)
			have, ok := auth[name]
			if !ok {
				continue
			}
			var glue []netip.Addr
			for _, g := range z.ref.Glue {
				if g.Ignored == ReasonNone && canon(g.Name) == name {
					glue = append(glue, g.Addr.Unmap())
				}
			}
			for _, v4 := range []bool{true, false} {
				gs, as := family(glue, v4), family(have, v4)
				if len(gs) == 0 || len(as) == 0 || slices.Equal(gs, as) {
					continue
				}
				d.add(name, Finding{Code: CodeGlueMismatch, Zone: z.zone, Server: &Server{Name: name, Addr: gs[0]},
					Hops: append(slices.Clone(z.refHops), authHop[name]),
					Message: fmt.Sprintf("the glue for %s in %s's referral to %s says %s, but %s itself says %s: resolvers use whichever they saw last; update the glue at the registrar when a nameserver's address changes",
						name, z.parent, z.zone, addrList(gs), zoneOf(d, name), addrList(as))})
			}
		}
	}
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

// specialRanges are the address blocks that the internet does not route to
// a nameserver, with what they are.
var specialRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" space (RFC 791)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private space (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared carrier-grade NAT space (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback space (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local space (RFC 3927)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private space (RFC 1918)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation space (RFC 5737)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private space (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking space (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation space (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation space (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast space (RFC 5771)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved space (RFC 1112)"},
	{netip.MustParsePrefix("::/128"), "the unspecified address (RFC 4291)"},
	{netip.MustParsePrefix("::1/128"), "the loopback address (RFC 4291)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local space (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local space (RFC 4291)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast space (RFC 4291)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation space (RFC 3849)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation space (RFC 9637)"},
}

// SpecialRange says which block not routed on the internet a holds, e.g.
// "private space (RFC 1918)", or "" for an address the internet can reach.
func SpecialRange(a netip.Addr) string {
	a = a.Unmap()
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			return r.what
		}
	}
	return ""
}

// private flags nameserver addresses that the internet does not route,
// once for each name and address, at the first zone it was seen for.
func (d *diagnosis) private() {
	seen := map[string]string{} // name and address → zone of the finding
	for _, a := range d.nsAddrs {
		what := SpecialRange(a.addr)
		if what == "" {
			continue
		}
		key := canon(a.name) + " " + a.addr.String()
		zone, ok := seen[key]
		if !ok {
			zone = a.zone
			seen[key] = zone
		}
		d.add(key, Finding{Code: CodePrivateAddress, Zone: zone, Server: &Server{Name: a.name, Addr: a.addr}, Hops: []int{a.hop},
			Message: fmt.Sprintf("%s, a nameserver of %s, has the address %s, in %s: resolvers on the internet cannot reach it, so it works only inside a network that routes it (split horizon)",
				a.name, zone, a.addr, what)})
	}
}

// failures finds what made walks fail: all-servers-failed, for the walk and
// for each lookup, and circular-delegation.
func (d *diagnosis) failures() {
	for _, tr := range d.traces {
		if tr.Outcome != Failed || tr.Err == nil || tr.Reason.Ours() {
			continue
		}
		d.allFailed(tr)
	}
	for _, tr := range d.traces {
		for _, chain := range tr.Loops {
			d.circular(chain)
		}
	}
}

// allFailed flags the zone where a failed walk stopped when no server of it
// gave a usable reply, or none could be asked at all.
func (d *diagnosis) allFailed(t *Trace) {
	var walk []*Hop
	for _, h := range t.Hops {
		if h != nil && h.Purpose == PurposeWalk {
			walk = append(walk, h)
		}
	}
	if len(walk) == 0 {
		return
	}
	last := walk[len(walk)-1]
	if last.Outcome == Referral && last.Referral != nil {
		// Stopped after a referral: no server of the child could be asked.
		if len(last.Lookups) == 0 {
			return
		}
		z := last.Referral.Zone
		d.add("", Finding{Code: CodeAllServersFailed, Zone: z, Hops: []int{last.ID},
			Message: fmt.Sprintf("no server of %s could be asked: none of its nameserver names could be resolved to an address, so the zone cannot be resolved", z)})
		return
	}
	zone := last.Zone
	var ids []int
	servers := map[netip.Addr]bool{}
	for i := len(walk) - 1; i >= 0 && walk[i].Zone == zone; i-- {
		h := walk[i]
		if h.Err == nil && h.Outcome != Abandoned {
			return // a usable reply: the walk failed for another reason
		}
		ids = append(ids, h.ID)
		servers[h.Server.Addr] = true
	}
	d.add("", Finding{Code: CodeAllServersFailed, Zone: canon(zone), Hops: ids,
		Message: fmt.Sprintf("no server of %s gave a usable reply (%s asked): the zone cannot be resolved, and every name in it fails", canon(zone), plural(len(servers), "address", "addresses"))})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// circular flags the zones of a delegation loop, given the chain of
// nameserver names whose lookups needed each other.
func (d *diagnosis) circular(chain []string) {
	var zones []string
	var hops []int
	var names []string
	for _, n := range chain {
		n = canon(n)
		for _, zname := range d.order {
			z := d.zones[zname]
			if z.ref != nil && hasNS(z.ref.NS, n) {
				if !slices.Contains(zones, zname) {
					zones = append(zones, zname)
					names = append(names, n)
					hops = append(hops, z.refHops[0])
				}
				break
			}
		}
	}
	if len(zones) < 2 {
		return // a name that needs itself: missing glue, reported as such
	}
	key := slices.Sorted(slices.Values(zones))
	var steps []string
	for i, z := range zones {
		steps = append(steps, fmt.Sprintf("%s is served by %s, in %s", z, names[i], zones[(i+1)%len(zones)]))
	}
	d.add(strings.Join(key, " "), Finding{Code: CodeCircularDelegation, Zone: zones[0], Hops: hops,
		Message: fmt.Sprintf("%s depend on each other with no glue to break the circle (%s): no resolver can find the address of any of their nameservers, so none of them can be resolved",
			andList(zones), strings.Join(steps, "; "))})
}

func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
