package resolver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// Server checks. A walk needs one server of each zone, and dig +trace asks
// no more; but the zones below the top-level domain are the domain
// owner's, and a dead or lame server there hurts every resolver that picks
// it, whichever server the walk happened to ask. So, unless
// Options.PathOnly, every address of every nameserver of each zone the walk
// crosses below the TLD (the zones of the name, and those of nameserver
// names looked up) is asked, on the parallel plan, what --all asks: the
// walk's question, the zone's SOA and its NS RRset. The checks run beside
// the walk, off its critical path: they start with the zone's own queries,
// and the walk does not wait for them. Trace waits for them at the end, at
// most Options.Timeout × Options.Tries after the last was sent, and records
// each zone's hops after the walk's hop from that zone. Root and TLD
// servers are asked as the walk asks them (all of them with Options.All).

// checkShare is the share of the query budget the checks may spend: the
// rest is kept for the walk, which the checks must never starve.
const checkShare = 3 // quarters

// errCheckBudget stops a check that would spend the walk's share of the
// budget; a query it stops was not asked to the end (ErrMaxQueries).
var errCheckBudget = fmt.Errorf("%w: the checks' share of it is spent", ErrMaxQueries)

// serverChecks are the server checks of one Trace.
type serverChecks struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	zones map[string]bool // the zones checked, each once per Trace
	list  []*zoneCheck
}

// A zoneCheck asks every server of one zone, on the parallel plan.
type zoneCheck struct {
	zq     *zoneQuery // its own, beside the walk's
	walkCh chan []*lookup
	hops   []*trace.Hop
	// lookups are the check's own lookups of names without glue.
	lookups []*trace.Trace
}

// checks reports whether the servers of zone are checked when a walk at
// nest reaches it through a referral (via).
func (w *run) checksZone(zone string, via *trace.Hop, nest int) bool {
	o := w.r.opts
	return via != nil && !o.PathOnly && !(o.All && nest == 0) && dns.CountLabel(zone) >= 2
}

// checkZone starts the check of the servers of the zone that wz asks,
// unless it is not checked or was already; nil then. Only the walk itself
// (nest 0) asks them its question, so that what a check asks does not
// depend on which of the lookups running at once got to the zone first; it
// checks the zone even when a lookup has already, without the question.
// lead is the walk's first query to the zone, whose reply the check takes
// for that server (see shared).
func (w *run) checkZone(wz *zoneQuery, lead *shared) *zoneCheck {
	cs := &w.checks
	cs.mu.Lock()
	defer cs.mu.Unlock()
	key := wz.zone
	if wz.nest == 0 {
		key += " " + wz.q.String()
	}
	if cs.zones[key] || wz.nest > 0 && cs.zones[wz.zone+" "] {
		return nil
	}
	if cs.zones == nil {
		cs.zones = map[string]bool{}
	}
	cs.zones[key], cs.zones[wz.zone+" "] = true, true
	zc := &zoneCheck{walkCh: make(chan []*lookup, 1)}
	zc.zq = &zoneQuery{w: w, zone: wz.zone, q: wz.q, servers: wz.servers, via: wz.via,
		nest: wz.nest, chain: wz.chain, check: true, minimised: wz.minimised, lead: lead}
	if w.probing(zc.zq) {
		w.probes.reach(zc.zq) // now, in the walk's order (probe.go)
	}
	cs.list = append(cs.list, zc)
	cs.wg.Go(func() { zc.run(w.ctx) })
	return zc
}

// run asks the zone's servers and keeps the hops and lookups. With a
// Cache, a zone an earlier trace checked is not asked again while its
// delegation's TTL lasts: that check's hops are taken as they are, marked
// Cached (but those of that trace's own question).
func (zc *zoneCheck) run(ctx context.Context) {
	zq := zc.zq
	cache := zq.w.r.opts.Cache
	if cache != nil {
		hops, ok, done := cache.checkedOrFirst(ctx, zq.zone)
		if ok {
			zc.hops = hops
			return
		}
		defer done()
	}
	qs := zq.questions(trace.PurposeCheck, !zq.w.r.opts.NoChildNS)
	if zq.nest > 0 {
		qs = qs[1:] // the SOA and NS set only: see checkZone
	} else if m := zq.minimised; m != nil {
		qs = append(qs, question{*m, trace.PurposeCheck}) // the walk's first minimised question (qmin.go)
	}
	p := &parallel{zq: zq, questions: qs, walked: zc.walkCh}
	zq.run(ctx, p)
	zc.hops, zc.lookups = p.hops(), zq.traces()
	zc.hops = append(zc.hops, zc.askNames(ctx)...)
	if cache != nil && ctx.Err() == nil && zq.via.Referral != nil && len(zq.via.Referral.NS) > 0 {
		cache.storeCheck(zq.zone, zc.hops, time.Duration(zq.via.Referral.NS[0].TTL)*time.Second)
	}
}

// A shared reply is the reply to a query of the walk that a check's query,
// the same question to the same address, takes instead of being sent: the
// check of a zone's servers asks each the walk's question, and one of them
// was just asked it by the walk. The server would say the same twice; the
// check's hop is the walk's, marked Cached, under the check's purpose.
type shared struct {
	of   *trace.Hop // the walk's query
	done chan struct{}
	// Once done: a copy of the hop as its reply left it (the walk goes
	// on with the hop itself), and what the reply meant.
	hop trace.Hop
	c   Classification
}

// keep records the walk's query's outcome, and lets the check take it.
func (s *shared) keep(hop *trace.Hop, c Classification) {
	s.hop, s.c = *hop, c
	s.hop.Lookups = nil
	close(s.done)
}

// reply fills into, the check's hop, with the walk's reply, if the walk's
// query got one, and reports whether it did.
func (s *shared) reply(into *trace.Hop) (Classification, bool) {
	select {
	case <-s.done:
	default:
		return Classification{}, false
	}
	if s.hop.Rcode < 0 || s.hop.Server.Addr != into.Server.Addr || s.hop.Port != into.Port || s.hop.Question != into.Question {
		return Classification{}, false
	}
	cp := s.hop
	cp.Purpose, cp.Server, cp.Start = into.Purpose, into.Server, into.Start
	cp.Cached, cp.RTT = true, 0
	*into = cp
	return s.c, true
}

// askNames asks each server of the zone that answered for its NS set
// with authority but without the addresses (A and AAAA) of the nameserver
// names in the zone that came with glue in its additional section (BIND
// with minimal-responses yes) for them, so that the glue can be compared
// with the zone's own records (glue-mismatch), and the servers with each
// other (inconsistent-answer), as when every server sends them. The glue
// of a proposed delegation (Options.Delegate) is the user's.
func (zc *zoneCheck) askNames(ctx context.Context) []*trace.Hop {
	zq := zc.zq
	if zq.via == nil || zq.via.Simulated {
		return nil
	}
	var names []string
	for _, ns := range zq.servers {
		glued := slices.ContainsFunc(ns.addrs, func(s trace.Server) bool { return s.Source == trace.SourceGlue })
		if glued && dns.IsSubDomain(zq.zone, ns.name) {
			names = append(names, dns.CanonicalName(ns.name))
		}
	}
	var at []nameserver // the servers to ask, each address its own
	need := map[string]bool{}
	for _, h := range zc.hops {
		if h.Purpose != trace.PurposeChildNS || !h.AA || h.Err != nil {
			continue
		}
		sent := map[string]bool{}
		for _, rr := range h.Additional {
			sent[dns.CanonicalName(rr.Header().Name)] = true
		}
		asked := false
		for _, n := range names {
			if !sent[n] {
				need[n], asked = true, true
			}
		}
		if asked && !slices.ContainsFunc(at, func(ns nameserver) bool { return ns.addrs[0].Addr == h.Server.Addr }) {
			at = append(at, nameserver{name: h.Server.Name, addrs: []trace.Server{h.Server}})
		}
	}
	var qs []question
	for _, n := range names {
		for _, qt := range zq.w.families() {
			if need[n] {
				qs = append(qs, question{trace.Question{Name: n, Qtype: qt, Qclass: dns.ClassINET}, trace.PurposeCheck})
			}
		}
	}
	if len(qs) == 0 {
		return nil
	}
	ask := &zoneQuery{w: zq.w, zone: zq.zone, q: zq.q, servers: at, via: zq.via, nest: zq.nest, chain: zq.chain, check: true}
	p := &parallel{zq: ask, questions: qs}
	ask.run(ctx, p)
	return p.hops()
}

// walked tells the check that the walk is done with the zone, and gives
// it the lookups the walk made of the zone's nameserver names. A nil check
// ignores it.
func (zc *zoneCheck) walked(lookups []*lookup) {
	if zc != nil {
		zc.walkCh <- slices.Clone(lookups)
	}
}

// checkBudget says whether a check may send another query: not once the
// queries sent reach its share of the budget.
func (w *run) checkBudget() error {
	if w.queries.Load() >= int64(w.r.opts.MaxQueries*checkShare/4) {
		return errCheckBudget
	}
	return nil
}

// join waits for every check, then records each one's lookups under the
// referral that named the servers, and its hops in the first walk of t, in
// the order of its hops and lookups, that crossed the zone, after its last
// query there: a place that does not depend on which of the walks running
// at once got there first.
func (cs *serverChecks) join(t *trace.Trace) {
	cs.wg.Wait()
	for _, zc := range cs.list {
		if via := zc.zq.via; via != nil {
			via.Lookups = append(via.Lookups, zc.lookups...)
		}
	}
	for _, zc := range cs.list {
		w, at := crossing(t, zc.zq.zone, zc.zq.nest > 0)
		if at < 0 {
			// The walk that started it ended before it asked there.
			t.Hops = append(t.Hops, zc.hops...)
			continue
		}
		// After the hops that follow it there: a child NS check, and the
		// hops of another check of the zone.
		for at+1 < len(w.Hops) && w.Hops[at+1].Zone == zc.zq.zone && w.Hops[at+1].Purpose.Check() {
			at++
		}
		w.Hops = slices.Insert(w.Hops, at+1, zc.hops...)
	}
}

// crossing finds the first walk, t or with nested one of its lookups in
// order, that asked the servers of zone, and the index of its last query
// there.
func crossing(t *trace.Trace, zone string, nested bool) (*trace.Trace, int) {
	last := -1
	for i, h := range t.Hops {
		if h.Zone == zone && h.Purpose == trace.PurposeWalk {
			last = i
		}
	}
	if last >= 0 || !nested {
		return t, last
	}
	for _, h := range t.Hops {
		for _, l := range h.Lookups {
			if w, at := crossing(l, zone, true); w != nil {
				return w, at
			}
		}
	}
	return nil, -1
}

// observeStart and observeDone tell the Observer of a query: as a step of
// the walk (QueryStarted, HopDone), or as a check (CheckStarted, CheckDone).
func (w *run) observeStart(hop *trace.Hop, nest int, check bool) {
	o := w.r.opts.Observer
	switch {
	case check && o.CheckStarted != nil:
		o.CheckStarted(*hop)
	case !check && o.QueryStarted != nil:
		o.QueryStarted(*hop, nest)
	}
}

func (w *run) observeDone(hop *trace.Hop, nest int, check bool) {
	o := w.r.opts.Observer
	switch {
	case check && o.CheckDone != nil:
		o.CheckDone(*hop)
	case !check && o.HopDone != nil:
		o.HopDone(*hop, nest)
	}
}
