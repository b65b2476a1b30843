package resolver

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// DefaultParallel bounds the queries one zone is asked at once with Options.All.
const DefaultParallel = 32

// parallel is the plan of Options.All and of the server checks (see
// zoneCheck): every address of every nameserver is asked every question,
// at most Options.Parallel queries at a time, a query that timed out is
// asked again at once while it has tries left, and every reply is kept.
// The addresses known at the start (glue, hints, or resolved earlier) are
// asked at once; the names that came without glue are looked up, all of
// them (A and AAAA) at once, and their addresses asked once every lookup
// has ended. A check looks names up only once the walk is done with the
// zone, and takes the walk's own lookups as they are.
type parallel struct {
	zq        *zoneQuery
	questions []question
	// walked, for a check, brings the walk's lookups once it is done with
	// the zone; nil for Options.All.
	walked  <-chan []*lookup
	lookups [][]*lookup // per nameserver without glue, one per address type
	waiting int         // lookups, and the wait for the walk's, not ended
	later   []*lookup   // lookups held back until the first of their domain has ended
	started bool
	made    bool    // the slots of every address have been made
	slots   []*slot // each question to each address, in order
	next    int     // the first slot not yet sent
	// unmade says why not every slot could have its first query: the query
	// budget ran out, or the walk ended.
	unmade error
}

// question is a question asked of every server, and why.
type question struct {
	q       trace.Question
	purpose trace.Purpose
}

// A slot is one question to one address: its hops, one per try, and what
// the last reply meant.
type slot struct {
	question
	server trace.Server
	hops   []*trace.Hop
	c      Classification
	// skipped is set when the slot's query was not sent, as this host has
	// no route to its address's family; it has no hops then.
	skipped bool
	// follows is the slot of the same question to the same address,
	// asked for another purpose (the walk's question is the zone's SOA or
	// NS set): this one takes its reply (see settle); followers are the
	// slots that take this one's.
	follows   *slot
	followers []*slot
}

// all asks every address of every nameserver of the zone, in parallel: the
// question and the zone's SOA, and for a zone reached through a referral
// its own NS RRset as well. The walk goes on from the first usable reply in
// the documented server order; every hop is recorded in that order too,
// whatever order the replies came in.
func (zq *zoneQuery) all(ctx context.Context) (*trace.Hop, Classification, error) {
	p := &parallel{zq: zq, questions: zq.questions(trace.PurposeWalk, zq.checks != nil)}
	zq.run(ctx, p)
	win := p.record()
	switch err := cmp.Or(p.unmade, zq.fatal, ended(ctx)); {
	case err != nil:
		// The walk ends here: what was asked is in the trace, cut short.
		return nil, Classification{}, errFatal{err}
	case win == nil:
		return nil, Classification{}, zq.err()
	}
	hop, c := win.hops[len(win.hops)-1], win.c
	zq.w.cache.store(hop, c) // for the lookups of nameservers to come
	return hop, c, nil
}

// questions are what every server is asked: the walk's question, with
// purpose walk, the zone's SOA, and with apexNS the zone's own NS RRset.
func (zq *zoneQuery) questions(walk trace.Purpose, apexNS bool) []question {
	if zq.repeat {
		return []question{{zq.q, walk}} // the zone's own were asked with its first question
	}
	qs := []question{
		{zq.q, walk},
		{trace.Question{Name: zq.zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET}, trace.PurposeSOA},
	}
	if apexNS {
		qs = append(qs, question{trace.Question{Name: zq.zone, Qtype: dns.TypeNS, Qclass: dns.ClassINET}, trace.PurposeChildNS})
	}
	return qs
}

// launch starts the plan (see start), then keeps Options.Parallel queries
// under way.
func (p *parallel) launch() bool {
	if !p.started {
		p.started = true
		p.start()
		if p.fill() || p.zq.inflight > 0 {
			return true
		}
	}
	return p.fill()
}

// start makes the slots of the addresses known, and starts the lookups of
// the names without glue, or for a check the wait for the walk's.
func (p *parallel) start() {
	zq := p.zq
	p.lookups = make([][]*lookup, len(zq.servers))
	var known []trace.Server
	for _, ns := range zq.servers {
		if ns.addrs != nil {
			known = append(known, zq.w.usable(ns.addrs)...)
		}
	}
	p.makeSlots(known)
	switch {
	case p.walked != nil:
		p.siblings()
		p.waiting++
		zq.inflight++
		go func() {
			ev := event{walkDone: true}
			select {
			case ev.walked = <-p.walked:
			case <-zq.flights.Done():
			}
			zq.events <- ev
		}()
	default:
		p.lookUp(nil)
	}
	if p.waiting == 0 {
		p.makeRest()
	}
}

// lookUp starts looking up every name without glue, each address type,
// but those the walk looked up already (walked), whose results it takes.
// Lookups share the trace's cache: the first lookup of each domain
// (ns1.provider.net.'s A for provider.net.) walks from the root, and the
// others of that domain are held back (later) until the lookups under way
// have ended, and start at the referral to the name's own zone that it
// left in the cache: they ask only that zone's servers, not the root and
// the TLD again (issue 18). A domain the walk has looked a name up in
// already needs no forerunner: its lookups all start at once. A lookup the
// walk abandoned, as a server it asked answered first, is made again: its
// error (the walk's cancelled context) would end the check as fatal.
func (p *parallel) lookUp(walked []*lookup) {
	zq := p.zq
	walked = slices.DeleteFunc(walked, func(l *lookup) bool { return l.abandoned })
	led := map[string]bool{}
	for _, l := range walked {
		led[parentName(l.name)] = true
	}
	first := map[string]bool{}
	for i, ns := range zq.servers {
		if ns.addrs != nil {
			continue
		}
		for _, qt := range zq.w.families() {
			if j := slices.IndexFunc(walked, func(l *lookup) bool { return l.name == ns.name && l.qtype == qt }); j >= 0 {
				p.lookups[i] = append(p.lookups[i], walked[j])
				continue
			}
			l := zq.newLookup(ns.name, qt)
			p.lookups[i] = append(p.lookups[i], l)
			switch d := parentName(l.name); {
			case l.inZone:
			case first[d]:
				p.later = append(p.later, l)
			default:
				first[d] = !led[d]
				zq.resolve(l)
				p.waiting++
			}
		}
	}
}

// siblings starts, for a check, the lookups of the nameserver names with
// glue that lie outside the zone (sibling glue: ns.dnshost.com.'s, sent
// with shop.com.'s referral), of each family the glue gives, so that the
// glue can be compared with what the name's own zone says. Their
// addresses are not asked: the glue's are. The glue of a proposed
// delegation (Options.Delegate) is the user's, and not compared.
func (p *parallel) siblings() {
	zq := p.zq
	if zq.via != nil && zq.via.Simulated {
		return
	}
	for _, ns := range zq.servers {
		if ns.addrs == nil || dns.IsSubDomain(zq.zone, ns.name) {
			continue
		}
		for _, qt := range zq.w.families() {
			if slices.ContainsFunc(ns.addrs, func(s trace.Server) bool { return s.Source == trace.SourceGlue && s.Addr.Is4() == (qt == dns.TypeA) }) {
				l := zq.newLookup(ns.name, qt)
				l.sibling = true
				zq.resolve(l)
			}
		}
	}
}

// makeRest makes the slots of the addresses the lookups found, in the
// documented order.
func (p *parallel) makeRest() {
	p.made = true
	zq := p.zq
	for i, ns := range zq.servers {
		if ns.addrs != nil {
			continue
		}
		var found []trace.Server
		for _, l := range p.lookups[i] {
			found = append(found, zq.looked(l)...)
			if zq.fatal != nil {
				return
			}
		}
		sortServers(found)
		p.makeSlots(zq.w.usable(found))
	}
}

// makeSlots makes every slot with the hop of its first query, in order, so
// that the query budget is spent in order.
func (p *parallel) makeSlots(addrs []trace.Server) {
	for _, s := range addrs {
		first := len(p.slots)
		for _, q := range p.questions {
			if p.unmade != nil {
				return
			}
			if i := slices.IndexFunc(p.slots[first:], func(sl *slot) bool { return sl.q == q.q }); i >= 0 {
				lead := p.slots[first+i]
				sl := &slot{question: q, server: s, follows: lead}
				lead.followers = append(lead.followers, sl)
				p.slots = append(p.slots, sl)
				continue
			}
			hop, err := p.zq.newHop(s, q.q, q.purpose)
			if err != nil {
				p.unmade = err
				return
			}
			p.slots = append(p.slots, &slot{question: q, server: s, hops: []*trace.Hop{hop}})
		}
	}
	if zq := p.zq; zq.w.probing(zq) {
		// Beside the zone's own queries, not after them: the probes cost
		// the walk no time (probe.go).
		zq.w.probes.start(zq.ctx, addrs, p)
	}
}

// fill sends the first queries of the next slots while fewer than
// Options.Parallel are under way, and reports whether it sent any.
func (p *parallel) fill() bool {
	sent := false
	for ; p.next < len(p.slots) && p.zq.inflight < p.zq.w.r.opts.Parallel; p.next++ {
		sl := p.slots[p.next]
		if sl.follows != nil {
			sl.skipped = sl.follows.skipped // else its leader's reply settles it
			continue
		}
		if p.zq.skip(sl.server) {
			sl.skipped = true
			p.zq.w.queries.Add(-1) // the budget is for queries sent
			continue
		}
		if l := p.zq.lead; l != nil && l.of.Server.Addr == sl.server.Addr && l.of.Question == sl.q {
			p.zq.follow(sl.hops[0], sl, l)
		} else {
			p.zq.start(sl.hops[0], sl)
		}
		sent = true
	}
	return sent
}

// handle keeps a reply in its slot, asks again at once a query that timed
// out while its slot has tries left, starts the lookups the walk left once
// it is done with the zone, makes the slots of the addresses found once
// every lookup has ended, and fills the room left. A try the query budget
// no longer allows ends the walk: the server was not asked to the end, and
// its one silence is no verdict; a check goes on with the others, the
// server's last try marked cut short.
func (p *parallel) handle(ev event) bool {
	switch {
	case ev.walkDone:
		p.waiting--
		p.lookUp(ev.walked)
	case ev.lookup != nil && !ev.lookup.sibling:
		p.waiting--
	case ev.slot != nil:
		sl := ev.slot
		sl.c = ev.c
		if errors.Is(ev.hop.Err, ErrTimeout) && len(sl.hops) < p.zq.w.r.opts.Tries {
			hop, err := p.zq.newHop(sl.server, sl.q, sl.purpose)
			switch {
			case err != nil && p.zq.check:
				markFailed(ev.hop, trace.Abandoned, err)
			case err != nil:
				p.unmade = cmp.Or(p.unmade, err)
				return true
			default:
				sl.hops = append(sl.hops, hop)
				p.zq.start(hop, sl)
			}
		}
		if ev.hop == sl.hops[len(sl.hops)-1] {
			p.settle(sl)
		}
	}
	if p.unmade != nil {
		return p.zq.inflight == 0
	}
	if p.waiting == 0 && len(p.later) > 0 {
		for _, l := range p.later {
			p.zq.resolve(l)
		}
		p.waiting, p.later = len(p.later), nil
	}
	if p.waiting == 0 && !p.made {
		p.makeRest()
	}
	p.fill()
	return false
}

// settle gives the slots that follow sl, now that its last try is done,
// its reply, marked Cached under their own purposes: the server would say
// the same twice. When sl got no reply, they ask for themselves.
func (p *parallel) settle(sl *slot) {
	last := sl.hops[len(sl.hops)-1]
	for _, f := range sl.followers {
		if last.Rcode < 0 {
			if hop, err := p.zq.newHop(f.server, f.q, f.purpose); err == nil {
				f.hops = []*trace.Hop{hop}
				p.zq.start(hop, f)
			}
			continue
		}
		cp := *last
		cp.Purpose, cp.Cached, cp.RTT, cp.Lookups = f.purpose, true, 0, nil
		f.hops, f.c = []*trace.Hop{&cp}, sl.c
	}
}

// late is never called: the parallel plan does not hedge.
func (p *parallel) late() {}

// hops gives every hop sent, in slot order.
func (p *parallel) hops() []*trace.Hop {
	var out []*trace.Hop
	for _, sl := range p.slots[:p.next] {
		if !sl.skipped {
			out = append(out, sl.hops...)
		}
	}
	return out
}

// record records every hop of the slots sent, in slot order, and gives
// the first slot with a usable reply to the walk's question, if any; the
// others' failures are kept for the ZoneError.
func (p *parallel) record() *slot {
	zq := p.zq
	zq.t.Hops = append(zq.t.Hops, p.hops()...)
	var win *slot
	for _, sl := range p.slots[:p.next] {
		if sl.skipped {
			continue
		}
		if sl.purpose != trace.PurposeWalk {
			continue
		}
		last := sl.hops[len(sl.hops)-1]
		switch {
		case last.Err != nil:
			zq.fail(last.Server, last.Err)
		case win == nil:
			win = sl
		}
	}
	return win
}

// families lists the address types to resolve, as Options.Family allows.
func (w *run) families() []uint16 {
	switch w.r.opts.Family {
	case 4:
		return []uint16{dns.TypeA}
	case 6:
		return []uint16{dns.TypeAAAA}
	}
	return []uint16{dns.TypeA, dns.TypeAAAA}
}

func sortServers(ss []trace.Server) {
	slices.SortStableFunc(ss, func(a, b trace.Server) int {
		if a.Addr.Is4() != b.Addr.Is4() {
			if a.Addr.Is4() {
				return -1
			}
			return 1
		}
		return a.Addr.Compare(b.Addr)
	})
}
