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

// parallel is the plan of Options.All: every address of every nameserver
// is asked every question, at most Options.Parallel queries at a time, a
// query that timed out is asked again at once while it has tries left, and
// every reply is kept. The names that came without glue are looked up
// first, all of them (A and AAAA) at once.
type parallel struct {
	zq        *zoneQuery
	questions []question
	lookups   [][]*lookup // per nameserver without glue, one per address type
	looking   bool        // the lookups have been started
	later     []*lookup   // lookups held back until the first of their domain has ended
	slots     []*slot     // each question to each address, in order
	made      bool        // the slots have been made
	next      int         // the first slot not yet sent
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
}

// all asks every address of every nameserver of the zone, in parallel: the
// question and the zone's SOA, and for a zone reached through a referral
// its own NS RRset as well. The walk goes on from the first usable reply in
// the documented server order; every hop is recorded in that order too,
// whatever order the replies came in.
func (zq *zoneQuery) all(ctx context.Context) (*trace.Hop, Classification, error) {
	p := &parallel{zq: zq, questions: zq.questions()}
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
	if zq.w.cache != nil {
		zq.w.cache.store(hop, c) // for the lookups of nameservers to come
	}
	return hop, c, nil
}

// questions are what every server is asked with Options.All: the walk's
// question, the zone's SOA, and with zq.checks the zone's own NS RRset.
func (zq *zoneQuery) questions() []question {
	qs := []question{
		{zq.q, trace.PurposeWalk},
		{trace.Question{Name: zq.zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET}, trace.PurposeSOA},
	}
	if zq.checks != nil {
		qs = append(qs, question{trace.Question{Name: zq.zone, Qtype: dns.TypeNS, Qclass: dns.ClassINET}, trace.PurposeChildNS})
	}
	return qs
}

// launch starts every lookup at once; once they have all ended, it makes
// the slots and keeps Options.Parallel queries under way.
func (p *parallel) launch() bool {
	if !p.looking {
		p.looking = true
		if p.lookUp() {
			return true
		}
	}
	if len(p.later) > 0 {
		for _, l := range p.later {
			p.zq.resolve(l)
		}
		p.later = nil
		return true
	}
	if !p.made {
		p.made = true
		addrs, ok := p.addresses()
		if !ok {
			return false
		}
		p.makeSlots(addrs)
	}
	return p.fill()
}

// lookUp starts looking up every name without glue, each address type, and
// reports whether any lookup is under way. With a cache, only the first
// lookup of each domain (ns1.provider.net.'s A for provider.net.) starts at
// once; the others are held back (later) until it has ended, and find the
// referrals it followed in the cache: they ask only the servers of the
// name's own zone, not the root and the TLD again (issue 18).
func (p *parallel) lookUp() bool {
	zq := p.zq
	p.lookups = make([][]*lookup, len(zq.servers))
	led := map[string]bool{}
	started := false
	for i, ns := range zq.servers {
		if ns.addrs != nil {
			continue
		}
		for _, qt := range zq.w.families() {
			l := zq.newLookup(ns.name, qt)
			p.lookups[i] = append(p.lookups[i], l)
			switch d := parentName(l.name); {
			case l.inZone:
			case zq.w.cache != nil && led[d]:
				p.later = append(p.later, l)
			default:
				led[d] = true
				zq.resolve(l)
				started = true
			}
		}
	}
	return started
}

// addresses lists every address to ask, in the documented order. It
// reports false when a lookup ended the walk.
func (p *parallel) addresses() ([]trace.Server, bool) {
	zq := p.zq
	var addrs []trace.Server
	for i, ns := range zq.servers {
		if ns.addrs != nil {
			addrs = append(addrs, zq.w.usable(ns.addrs)...)
			continue
		}
		var found []trace.Server
		for _, l := range p.lookups[i] {
			found = append(found, zq.looked(l)...)
			if zq.fatal != nil {
				return nil, false
			}
		}
		sortServers(found)
		addrs = append(addrs, zq.w.usable(found)...)
	}
	return addrs, true
}

// makeSlots makes every slot with the hop of its first query, in order, so
// that the query budget is spent in order.
func (p *parallel) makeSlots(addrs []trace.Server) {
	for _, s := range addrs {
		for _, q := range p.questions {
			hop, err := p.zq.newHop(s, q.q, q.purpose)
			if err != nil {
				p.unmade = err
				return
			}
			p.slots = append(p.slots, &slot{question: q, server: s, hops: []*trace.Hop{hop}})
		}
	}
}

// fill sends the first queries of the next slots while fewer than
// Options.Parallel are under way, and reports whether it sent any.
func (p *parallel) fill() bool {
	sent := false
	for ; p.next < len(p.slots) && p.zq.inflight < p.zq.w.r.opts.Parallel; p.next++ {
		sl := p.slots[p.next]
		if p.zq.skip(sl.server) {
			sl.skipped = true
			p.zq.w.queries.Add(-1) // the budget is for queries sent
			continue
		}
		p.zq.start(sl.hops[0], sl)
		sent = true
	}
	return sent
}

// handle keeps a reply in its slot, asks again at once a query that timed
// out while its slot has tries left, and fills the room left. A try the
// query budget no longer allows ends the walk: the server was not asked to
// the end, and its one silence is no verdict.
func (p *parallel) handle(ev event) bool {
	if sl := ev.slot; sl != nil {
		sl.c = ev.c
		if errors.Is(ev.hop.Err, ErrTimeout) && len(sl.hops) < p.zq.w.r.opts.Tries {
			hop, err := p.zq.newHop(sl.server, sl.q, sl.purpose)
			if err != nil {
				p.unmade = cmp.Or(p.unmade, err)
				return true
			}
			sl.hops = append(sl.hops, hop)
			p.zq.start(hop, sl)
		}
	}
	if p.unmade != nil {
		return p.zq.inflight == 0
	}
	p.fill()
	return false
}

// late is never called: the parallel plan does not hedge.
func (p *parallel) late() {}

// record records every hop of the slots sent, in slot order, and gives
// the first slot with a usable reply to the walk's question, if any; the
// others' failures are kept for the ZoneError.
func (p *parallel) record() *slot {
	zq := p.zq
	var win *slot
	for _, sl := range p.slots[:p.next] {
		if sl.skipped {
			continue
		}
		zq.t.Hops = append(zq.t.Hops, sl.hops...)
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
