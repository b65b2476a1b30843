package resolver

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// Protocol probes (issue 14). A walk learns whether a server answers the
// one question it was asked; a resolver asks it others, in other ways: over
// TCP, without EDNS or with EDNS it does not know, for AAAA, for names that
// do not exist. Each address of each zone probed is asked each probe of
// trace.Probes once (again after a timeout, while Options.Tries allows,
// then on an unconnected socket over UDP), beside the walk: the walk does not wait for them, and Trace records
// their hops after the zone's own once the walk is done. What a reply did
// wrong is Hop.Flaw; trace.Diagnose says what it means.

// probeOption is the EDNS option code the option probe sends: one of those
// RFC 6891 §9 keeps for local and experimental use, which no server knows.
const probeOption = 65001

// probeFlag is the EDNS flag the option probe sets: the one after DO, which
// no RFC has assigned.
const probeFlag = 0x4000

// probeLabel is the label below a zone's apex that the NXDOMAIN probe asks for.
const probeLabel = "nstrace-probe-nx"

// probeShare is the budget of the probes, in quarters of Options.MaxQueries:
// a count of their own, apart from the walk's and the checks', so that
// neither ever runs short for them; beyond it, probes are skipped.
const probeShare = 2

// lookupProbeShare is the part of the probes' budget, in quarters, that
// the zones only the walk's lookups reach (those of nameserver names) may
// take; the rest is kept for the zones of the walk's own question, the
// one that holds the answer above all, which an operator asks about.
const lookupProbeShare = 2

// probing holds the probes of one Trace.
type probing struct {
	w  *run
	wg sync.WaitGroup
	mu sync.Mutex
	// left is what is left of the budget for the zones of the walk itself
	// (nest 0) and for those its lookups reach (see reach).
	left  [2]int
	zones map[string]*atomic.Int64       // each zone's share of the budget, what is left of it
	done  map[netip.Addr]map[string]bool // zones each address was probed for
	sets  []*probeSet
}

// probeSet is the probes of some servers of one zone, and the plan that
// asked them the zone's own questions: their hops follow that plan's.
type probeSet struct {
	plan *parallel
	left *atomic.Int64  // the zone's share of the budget (reach)
	pool int            // the part of the budget it came from, an index of probing.left
	hops [][]*trace.Hop // per address and probe, one hop per try
	sem  chan struct{}  // bounds the zone's probes under way to Options.Parallel, as its own queries are
}

// probing reports whether the servers zq asks on the parallel plan are
// probed: those of every zone with Options.All, of the zones the server
// checks cover otherwise (servers.go); none with Options.NoProbes or
// PathOnly.
func (w *run) probing(zq *zoneQuery) bool {
	o := w.r.opts
	return !o.NoProbes && !o.PathOnly && (zq.check || o.All && zq.nest == 0)
}

func newProbing(w *run) *probing {
	all := w.r.opts.MaxQueries * probeShare / 4
	lookups := all * lookupProbeShare / 4
	return &probing{w: w, left: [2]int{all - lookups, lookups}, zones: map[string]*atomic.Int64{},
		done: map[netip.Addr]map[string]bool{}}
}

// reach gives zq's zone its share of the probes' budget, taken when the
// walk reaches the zone, once per Trace: what its servers' probes need
// (two addresses, A and AAAA, counted for a name without any yet), as
// far as what is left allows. The walk reaches the zones of its question
// one after another, so the share of each depends on the order of the
// zones alone, never on which zone's probes happened to start first; what
// a zone leaves unused is not given to another, which would depend on
// when it was found unused.
func (p *probing) reach(zq *zoneQuery) *atomic.Int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if share := p.zones[zq.zone]; share != nil {
		return share
	}
	need := 0
	for _, ns := range zq.servers {
		if ns.addrs == nil {
			need += len(p.w.families())
		} else {
			need += len(p.w.usable(ns.addrs))
		}
	}
	need *= len(p.wanted(zq.zone))
	left := &p.left[min(zq.nest, 1)]
	share := new(atomic.Int64)
	share.Store(int64(min(need, *left)))
	*left -= int(share.Load())
	p.zones[zq.zone] = share
	return share
}

// start probes each address of servers, as a server of zone, unless it was
// already, and returns at once; their hops will follow plan's.
func (p *probing) start(ctx context.Context, servers []trace.Server, plan *parallel) {
	type job struct {
		s       trace.Server
		purpose trace.Purpose
	}
	zone, share := plan.zq.zone, p.reach(plan.zq)
	var jobs []job
	for _, s := range servers {
		if !p.first(s.Addr, zone) {
			continue
		}
		for _, purpose := range p.wanted(zone) {
			if reserve(share) {
				jobs = append(jobs, job{s, purpose})
			}
		}
	}
	if len(jobs) == 0 {
		return
	}
	set := &probeSet{plan: plan, left: share, pool: min(plan.zq.nest, 1), hops: make([][]*trace.Hop, len(jobs)), sem: make(chan struct{}, p.w.r.opts.Parallel)}
	for i, j := range jobs {
		p.wg.Go(func() { set.hops[i] = p.run(ctx, set, zone, j.s, j.purpose) })
	}
	p.mu.Lock()
	p.sets = append(p.sets, set)
	p.mu.Unlock()
}

// reserve takes a probe's try from its zone's share of the budget: a
// probe's first try as the zone's probes start, in the order of addresses
// and of trace.Probes, so that which of them a short share leaves out
// depends on that order alone; a try after a timeout as it is sent.
func reserve(share *atomic.Int64) bool {
	if share.Add(-1) < 0 {
		share.Add(1)
		return false
	}
	return true
}

// spare takes a try after a timeout, which its zone's share no longer
// allows, from what the zones reached left of their part of the budget.
// Only servers that did not answer draw on it: which of them get a second
// try when it runs out depends on when their first timed out.
func (p *probing) spare(pool int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.left[pool] == 0 {
		return false
	}
	p.left[pool]--
	return true
}

// first reports whether addr has not been probed for zone yet, and marks it.
func (p *probing) first(addr netip.Addr, zone string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done[addr] == nil {
		p.done[addr] = map[string]bool{}
	}
	if p.done[addr][zone] {
		return false
	}
	p.done[addr][zone] = true
	return true
}

// wanted lists the probes sent to a server of zone, in the order of
// trace.Probes: the root's servers are not asked for the root as a
// recursor would be, and transfers are not asked for with
// Options.NoAXFRCheck.
func (p *probing) wanted(zone string) []trace.Purpose {
	return slices.DeleteFunc(trace.Probes(), func(purpose trace.Purpose) bool {
		switch purpose {
		case trace.PurposeProbeRecursion:
			return zone == "."
		case trace.PurposeProbeAXFR:
			return p.w.r.opts.NoAXFRCheck
		}
		return false
	})
}

// run sends one probe to s, again after a timeout while tries are left,
// and returns its hops; none when the budget or the walk's end left no room.
func (p *probing) run(ctx context.Context, set *probeSet, zone string, s trace.Server, purpose trace.Purpose) []*trace.Hop {
	reserved := true // the first try's, by start
	defer func() {
		if reserved {
			set.left.Add(1) // not sent after all
		}
	}()
	select {
	case set.sem <- struct{}{}:
		defer func() { <-set.sem }()
	case <-ctx.Done():
		return nil
	}
	w := p.w
	var hops []*trace.Hop
	for range w.r.opts.Tries {
		if ended(ctx) != nil || w.routes.downErr(s.Addr) != nil {
			break // this host's limits and network are not the server's
		}
		if !reserved && !reserve(set.left) && !p.spare(set.pool) {
			break
		}
		reserved = false
		q, m, network := w.r.probeQuery(purpose, zone)
		if network == "udp" && len(hops) > 0 {
			// Told apart from silence: the try after a timeout reads
			// on an unconnected socket, which sees a reply from another
			// address (reply-from-other-address) that a connected one,
			// like a resolver's, never gets.
			network = UnconnectedUDP
		}
		hop := &trace.Hop{Purpose: purpose, Zone: zone, Server: s, Port: w.r.opts.Port, Question: q,
			Start: time.Since(w.start), Rcode: -1}
		if err := w.probe(ctx, hop, m, network); noRoute(err) || localError(err) != nil {
			// Nothing left this host: no probe, and nothing to say.
			set.left.Add(1)
			break
		}
		hops = append(hops, hop)
		if !errors.Is(hop.Err, ErrTimeout) {
			break
		}
	}
	return hops
}

// join waits for every probe and records the hops of each set after the
// last hop its plan recorded, in the walk or the lookup that holds it, in
// the order of addresses and of trace.Probes; at the end of t when the
// plan recorded none. The hops the plans recorded are in t by then.
func (p *probing) join(t *trace.Trace) {
	p.wg.Wait()
	for _, set := range p.sets {
		var hops []*trace.Hop
		for _, tries := range set.hops {
			hops = append(hops, tries...)
		}
		own := set.plan.hops()
		if len(own) == 0 || !insertAfter(t, own[len(own)-1], hops) {
			t.Hops = append(t.Hops, hops...)
		}
	}
}

// insertAfter puts hops after the hop after, in t or in the lookup that
// holds it, and reports whether it found it.
func insertAfter(t *trace.Trace, after *trace.Hop, hops []*trace.Hop) bool {
	for i, h := range t.Hops {
		if h == after {
			// After the probes already there, of the zone's other addresses.
			for i+1 < len(t.Hops) && t.Hops[i+1].Purpose.Probe() && t.Hops[i+1].Zone == after.Zone {
				i++
			}
			t.Hops = slices.Insert(t.Hops, i+1, hops...)
			return true
		}
	}
	for _, h := range t.Hops {
		for _, l := range h.Lookups {
			if insertAfter(l, after, hops) {
				return true
			}
		}
	}
	return false
}

// probeQuery builds the question and the query of a probe of zone's
// servers, and says over which transport it goes.
func (r *Resolver) probeQuery(purpose trace.Purpose, zone string) (trace.Question, *dns.Msg, string) {
	q := trace.Question{Name: zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET}
	rd, edns, network := false, true, "udp"
	switch purpose {
	case trace.PurposeProbeTCP:
		network = "tcp"
	case trace.PurposeProbePlain:
		q.Name, edns = mixCase(zone), false
	case trace.PurposeProbeAAAA:
		q.Qtype = dns.TypeAAAA
	case trace.PurposeProbeNXDomain:
		q.Name, q.Qtype = dns.Fqdn(probeLabel+"."+strings.TrimPrefix(zone, ".")), dns.TypeA
	case trace.PurposeProbeRecursion:
		q.Name, q.Qtype, rd = ".", dns.TypeNS, true
	case trace.PurposeProbeAXFR:
		q.Qtype, edns, network = dns.TypeAXFR, false, "tcp"
	}
	m := r.newQuery(q, rd, edns)
	if o := m.IsEdns0(); o != nil {
		switch purpose {
		case trace.PurposeProbeEDNSVersion:
			o.SetVersion(1)
		case trace.PurposeProbeEDNSOption:
			o.Option = append(o.Option, &dns.EDNS0_LOCAL{Code: probeOption, Data: []byte("nstrace")})
			o.SetZ(probeFlag)
		}
	}
	return q, m, network
}

// mixCase writes name's letters in alternating case, "eXaMpLe.CoM.", so
// that a server that does not keep the case of the question shows it.
func mixCase(name string) string {
	b := []rune(name)
	up := false
	for i, c := range b {
		if unicode.IsLetter(c) {
			if up {
				b[i] = unicode.ToUpper(c)
			} else {
				b[i] = unicode.ToLower(c)
			}
			up = !up
		}
	}
	return string(b)
}

// probe sends a probe's query m over network, once, fills the hop in and
// says what the reply did wrong; it returns the exchange's error.
func (w *run) probe(ctx context.Context, hop *trace.Hop, m *dns.Msg, network string) error {
	// A family this host cannot send to is found out by the walk's own
	// queries (route.go), whose hops say so; a probe that finds it first,
	// over UDP or TCP, is dropped by run, and leaves the walk's record as
	// it would be.
	rep, err := w.r.exchangeOn(ctx, network, m, netip.AddrPortFrom(hop.Server.Addr, hop.Port))
	fillHop(hop, rep, err)
	if err != nil {
		return err
	}
	switch hop.Purpose {
	case trace.PurposeProbeRecursion, trace.PurposeProbeAXFR:
		// Not questions of the zone: their replies are not classified
		// as a server of the zone's would be.
		hop.Outcome = trace.Answer
		switch {
		case rep.msg.Rcode != dns.RcodeSuccess:
			markFailed(hop, trace.Error, RcodeError(rep.msg.Rcode))
		case len(rep.msg.Answer) == 0:
			hop.Outcome = trace.NoData
		case hop.Purpose == trace.PurposeProbeAXFR:
			hop.Answer = rep.msg.Answer[:1] // the SOA that starts a transfer, not the zone
		default:
			hop.Answer = rep.msg.Answer
		}
	default:
		Classify(hop.Zone, hop.Question, rep.msg).fill(hop)
	}
	hop.Flaw = flaw(hop, m, rep.msg)
	return nil
}

// flaw says what the reply got to a probe's query did wrong, or ReasonNone.
func flaw(hop *trace.Hop, query, got *dns.Msg) trace.Reason {
	switch hop.Purpose {
	case trace.PurposeProbePlain:
		if len(got.Question) == 1 && got.Question[0].Name != query.Question[0].Name {
			return trace.ReasonCaseChanged
		}
	case trace.PurposeProbeEDNSVersion:
		if got.Rcode != dns.RcodeBadVers && !rejectsEDNS(got) {
			return trace.ReasonNoBADVERS
		}
	case trace.PurposeProbeEDNSOption:
		if o := got.IsEdns0(); o != nil && (o.Z()&probeFlag != 0 ||
			slices.ContainsFunc(o.Option, func(e dns.EDNS0) bool { return e.Option() == probeOption })) {
			return trace.ReasonOptionEchoed
		}
	case trace.PurposeProbeAAAA, trace.PurposeProbeNXDomain:
		if (hop.Outcome == trace.NXDomain || hop.Outcome == trace.NoData) && len(hop.Authority) == 0 {
			return trace.ReasonNoNegativeSOA
		}
	case trace.PurposeProbeRecursion:
		if got.RecursionAvailable && got.Rcode == dns.RcodeSuccess && !got.Authoritative && len(got.Answer) > 0 {
			return trace.ReasonRecursive
		}
	case trace.PurposeProbeAXFR:
		if got.Rcode == dns.RcodeSuccess && len(got.Answer) > 0 && got.Answer[0].Header().Rrtype == dns.TypeSOA {
			return trace.ReasonTransferOpen
		}
	}
	return trace.ReasonNone
}
