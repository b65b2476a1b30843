package resolver

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// hedged is the walk's plan (Trace documents the order): the zone's
// addresses one after another, the next asked as well when the last has
// failed or has gone unanswered for the hedge delay, until one gives a
// usable reply. Names without glue are looked up one at a time as their turn
// comes, and addresses that timed out are asked again once every other has
// been.
type hedged struct {
	zq        *zoneQuery
	queue     []trace.Server // addresses still to ask, in order
	pending   []*lookup      // names still to look up, in order
	resolving bool           // a lookup is under way
	retry     []trace.Server // addresses that timed out, to ask again
	flying    []trace.Server // the servers of queries under way, in the order sent
	order     map[netip.Addr]int
	tries     map[netip.Addr]int
	checked   *trace.Hop // the child check sent with the first query
	checkedAt netip.Addr // where it went: its hop may be rewritten from the cache
	win       *trace.Hop
	winC      Classification
}

// first asks the zone's servers, hedged, until one gives a usable reply: a
// referral or an authoritative outcome. Every attempt stays in the walk, in
// the order sent. With zq.checks, the first server asked is also asked for
// the zone's own NS RRset; the check moves to the server that gives the
// reply, if another does.
func (zq *zoneQuery) first(ctx context.Context) (*trace.Hop, Classification, error) {
	h := newHedged(zq)
	zq.run(ctx, h)
	if h.win == nil {
		return nil, Classification{}, zq.err()
	}
	if h.checked != nil && h.checkedAt != h.win.Server.Addr {
		zq.checks.replace(ctx, h.checked, h.win, zq.nest)
	}
	return h.win, h.winC, nil
}

func newHedged(zq *zoneQuery) *hedged {
	h := &hedged{zq: zq, order: map[netip.Addr]int{}, tries: map[netip.Addr]int{}}
	for _, ns := range zq.servers {
		if ns.addrs != nil {
			h.queue = append(h.queue, zq.w.usable(ns.addrs)...)
		} else {
			h.pending = append(h.pending, zq.newLookup(ns.name, zq.w.families()[0]))
		}
	}
	return h
}

// launch asks the next address; with none left, starts the next lookup
// unless one is under way; with every name looked up, puts the addresses
// that timed out back in line, in the order first asked.
func (h *hedged) launch() bool {
	for {
		switch {
		case len(h.queue) > 0:
			s := h.queue[0]
			h.queue = h.queue[1:]
			if !h.zq.skip(s) {
				return h.ask(s)
			}
		case len(h.pending) > 0 && !h.resolving:
			l := h.pending[0]
			h.pending = h.pending[1:]
			if l.inZone {
				h.zq.looked(l)
				continue
			}
			h.resolving = true
			h.zq.resolve(l)
			return true
		case len(h.pending) == 0 && !h.resolving && len(h.retry) > 0:
			slices.SortFunc(h.retry, func(a, b trace.Server) int { return h.order[a.Addr] - h.order[b.Addr] })
			h.queue, h.retry = h.retry, nil
		default:
			return false
		}
	}
}

// ask sends the walk's question to s, and arms the hedge timer.
func (h *hedged) ask(s trace.Server) bool {
	zq := h.zq
	hop, err := zq.newHop(s, zq.q, trace.PurposeWalk)
	if err != nil {
		zq.fatal = err
		return false
	}
	zq.t.Hops = append(zq.t.Hops, hop)
	if _, ok := h.order[s.Addr]; !ok {
		h.order[s.Addr] = len(h.order)
	}
	h.tries[s.Addr]++
	h.flying = append(h.flying, s)
	if zq.beside != nil {
		zq.lead = &shared{of: hop, done: make(chan struct{})}
	}
	zq.start(hop, nil)
	zq.startBeside()
	if zq.checks != nil && h.checked == nil && zq.w.routes.downErr(s.Addr) == nil {
		h.checked, h.checkedAt = zq.checks.start(zq.ctx, hop, zq.nest), s.Addr
	}
	if d := zq.w.hedgeDelay(); d > 0 {
		zq.hedge.Reset(d)
	}
	return true
}

// handle takes a lookup's addresses, or a reply: the first usable one wins.
func (h *hedged) handle(ev event) bool {
	if ev.lookup != nil {
		h.looked(ev.lookup)
		return false
	}
	hop := ev.hop
	if i := slices.Index(h.flying, hop.Server); i >= 0 {
		h.flying = slices.Delete(h.flying, i, i+1)
	}
	if hop.Err == nil {
		h.win, h.winC = hop, ev.c
		return true
	}
	h.failed(hop)
	h.launch()
	return false
}

// looked queues the addresses a lookup found and asks the next server.
func (h *hedged) looked(l *lookup) {
	h.resolving = false
	addrs := h.zq.looked(l)
	if h.zq.fatal != nil {
		return
	}
	h.queue = append(h.queue, h.zq.w.usable(addrs)...)
	if l.qtype == dns.TypeA && h.zq.w.r.opts.Family == 0 {
		// The AAAA records are looked up once the IPv4 addresses have failed.
		h.pending = slices.Insert(h.pending, 0, h.zq.newLookup(l.name, dns.TypeAAAA))
	}
	h.launch()
}

// failed records a query's failure. An address that timed out is asked
// again later while it has tries left.
func (h *hedged) failed(hop *trace.Hop) {
	s := hop.Server
	h.zq.fail(s, hop.Err)
	if errors.Is(hop.Err, ErrTimeout) && h.tries[s.Addr] < h.zq.w.r.opts.Tries && !slices.Contains(h.flying, s) && !slices.Contains(h.retry, s) {
		h.retry = append(h.retry, s)
	}
}

// late asks the next server too, as the last one asked has not answered
// within the hedge delay. With nobody else to ask, it asks a late server
// again, as a lost datagram should cost a hedge delay rather than a timeout.
func (h *hedged) late() {
	if h.launch() || h.zq.fatal != nil {
		return
	}
	for _, s := range h.flying {
		if h.tries[s.Addr] < h.zq.w.r.opts.Tries {
			h.ask(s)
			return
		}
	}
}

// hedgeDelay is how long to wait for a reply before asking the next server
// as well: see Options.HedgeDelay.
func (w *run) hedgeDelay() time.Duration {
	switch d := w.r.opts.HedgeDelay; {
	case d < 0:
		return 0
	case d > 0:
		return d
	}
	d := DefaultHedgeDelay
	if slowest := time.Duration(w.slowest.Load()); slowest > 0 {
		d = min(d, max(3*slowest, MinHedgeDelay))
	}
	return d
}

func (w *run) sawRTT(rtt time.Duration) {
	for {
		old := w.slowest.Load()
		if int64(rtt) <= old || w.slowest.CompareAndSwap(old, int64(rtt)) {
			return
		}
	}
}
