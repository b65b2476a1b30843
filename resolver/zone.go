package resolver

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// event is what a query or a lookup started by askZone sends back.
type event struct {
	hop *trace.Hop // a query, complete
	c   Classification

	lookup *trace.Trace // or a lookup of a nameserver's addresses
	name   string
	qtype  uint16
	addrs  []trace.Server
	err    error
}

// askZone asks the servers of zone, in the documented order and hedged,
// until one gives a usable reply: a referral or an authoritative outcome.
// Every attempt stays in t, in the order sent; lookups of glueless names are
// recorded under via, the referral that named them. When check is set, the
// first server asked is also asked for the zone's own NS RRset.
func (w *run) askZone(ctx context.Context, t *trace.Trace, zone string, q trace.Question, servers []nameserver, via *trace.Hop, nest int, chain []string, check bool, checks *childChecks) (*trace.Hop, Classification, error) {
	zctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan event)
	var (
		queue     []trace.Server // addresses still to ask, in order
		pending   []event        // names still to resolve (name and qtype), in order
		retry     []trace.Server // addresses that timed out, to ask again
		order     = map[netip.Addr]int{}
		tries     = map[netip.Addr]int{}
		inflight  int
		resolving bool
		failed    []Attempt
		fatal     error
		checked   *trace.Hop
		checkedAt netip.Addr // where the check went: its hop may be rewritten from the cache
	)
	firstType := uint16(dns.TypeA)
	if w.r.opts.Family == 6 {
		firstType = dns.TypeAAAA
	}
	for _, ns := range servers {
		if ns.addrs != nil {
			queue = append(queue, w.usable(ns.addrs)...)
		} else {
			pending = append(pending, event{name: ns.name, qtype: firstType})
		}
	}
	hedge := time.NewTimer(time.Hour)
	hedge.Stop()
	defer hedge.Stop()

	// ask sends q to s and arms the hedge timer.
	var flying []trace.Server // the servers of queries under way, in order
	ask := func(s trace.Server) bool {
		hop, err := w.newHop(ctx, zone, q, s, trace.PurposeWalk)
		if err != nil {
			fatal = err
			return false
		}
		t.Hops = append(t.Hops, hop)
		if _, ok := order[s.Addr]; !ok {
			order[s.Addr] = len(order)
		}
		tries[s.Addr]++
		inflight++
		flying = append(flying, s)
		go func() {
			c := w.send(zctx, hop, nest)
			events <- event{hop: hop, c: c}
		}()
		if check && checked == nil {
			checked, checkedAt = checks.start(ctx, hop, nest), s.Addr
		}
		if d := w.hedgeDelay(); d > 0 {
			hedge.Reset(d)
		}
		return true
	}
	// launch starts the next query or lookup, and reports whether it did.
	launch := func() bool {
		for {
			switch {
			case len(queue) > 0:
				s := queue[0]
				queue = queue[1:]
				if w.familyDown(s.Addr) {
					continue
				}
				return ask(s)
			case len(pending) > 0 && !resolving:
				p := pending[0]
				pending = pending[1:]
				if dns.IsSubDomain(zone, p.name) {
					// Only the zone's own servers could say where this
					// name is: without glue it cannot be reached at all.
					if p.qtype == firstType {
						failed = append(failed, Attempt{Server: trace.Server{Name: p.name}, Err: ErrNoGlue})
					}
					continue
				}
				resolving = true
				inflight++
				go func() {
					p.lookup, p.addrs, p.err = w.resolveNS(zctx, p.name, p.qtype, nest, chain)
					events <- p
				}()
				return true
			case len(pending) == 0 && !resolving && len(retry) > 0:
				slices.SortFunc(retry, func(a, b trace.Server) int { return order[a.Addr] - order[b.Addr] })
				queue, retry = retry, nil
				continue
			}
			return false
		}
	}

	launch()
	for fatal == nil && (inflight > 0 || launch()) {
		select {
		case ev := <-events:
			inflight--
			if ev.hop == nil { // a lookup ended
				resolving = false
				if ev.lookup != nil {
					via.Lookups = append(via.Lookups, ev.lookup)
				}
				var fe errFatal
				if errors.As(ev.err, &fe) {
					fatal = fe.error
					break
				}
				if ev.err != nil {
					failed = append(failed, Attempt{Server: trace.Server{Name: ev.name}, Err: ev.err})
				}
				queue = append(queue, w.usable(ev.addrs)...)
				if ev.qtype == dns.TypeA && w.r.opts.Family == 0 {
					// The AAAA records are looked up once the IPv4 addresses have failed.
					pending = slices.Insert(pending, 0, event{name: ev.name, qtype: dns.TypeAAAA})
				}
				launch()
				continue
			}
			h := ev.hop
			if i := slices.Index(flying, h.Server); i >= 0 {
				flying = slices.Delete(flying, i, i+1)
			}
			if h.Err == nil {
				cancel()
				w.drain(ctx, events, inflight, via)
				if check && checked != nil && checkedAt != h.Server.Addr {
					checks.replace(ctx, checked, h, nest)
				}
				return h, ev.c, nil
			}
			failed = append(failed, Attempt{Server: h.Server, Err: h.Err})
			if errors.Is(h.Err, ErrTimeout) && tries[h.Server.Addr] < w.r.opts.Tries && !slices.Contains(flying, h.Server) && !slices.Contains(retry, h.Server) {
				retry = append(retry, h.Server)
			}
			if errors.Is(h.Err, syscall.ENETUNREACH) || errors.Is(h.Err, syscall.EADDRNOTAVAIL) || errors.Is(h.Err, syscall.EAFNOSUPPORT) {
				w.markFamilyDown(h.Server.Addr)
			}
			launch()
		case <-hedge.C:
			if !launch() && fatal == nil {
				// Nobody else to ask: ask a late server again, as a lost
				// datagram should cost a hedge delay rather than a timeout.
				for _, s := range flying {
					if tries[s.Addr] < w.r.opts.Tries {
						ask(s)
						break
					}
				}
			}
		case <-ctx.Done():
			fatal = context.Cause(ctx)
		}
	}
	cancel()
	w.drain(ctx, events, inflight, via)
	if fatal != nil {
		return nil, Classification{}, errFatal{fatal}
	}
	return nil, Classification{}, &ZoneError{Zone: zone, Attempts: failed}
}

// drain waits for the n queries and lookups still under way, which the
// caller has cancelled, and records them as abandoned.
func (w *run) drain(ctx context.Context, events <-chan event, n int, via *trace.Hop) {
	for ; n > 0; n-- {
		ev := <-events
		abandoned := ctx.Err() == nil
		switch {
		case ev.hop != nil && abandoned && errors.Is(ev.hop.Err, context.Canceled):
			abandon(ev.hop)
		case ev.lookup != nil:
			if abandoned && errors.Is(ev.lookup.Err, context.Canceled) {
				ev.lookup.Outcome, ev.lookup.Err, ev.lookup.Reason = trace.Abandoned, ErrAbandoned, trace.ReasonAbandoned
				ev.lookup.Walk(func(h *trace.Hop) {
					if errors.Is(h.Err, context.Canceled) {
						abandon(h)
					}
				})
			}
			via.Lookups = append(via.Lookups, ev.lookup)
		}
	}
}

// newHop makes the hop of a query about to be sent, or says why it cannot
// be: the walk's context has ended, or the query budget is spent.
func (w *run) newHop(ctx context.Context, zone string, q trace.Question, s trace.Server, purpose trace.Purpose) (*trace.Hop, error) {
	if err := ended(ctx); err != nil {
		return nil, err
	}
	if n := w.queries.Add(1); n > int64(w.r.opts.MaxQueries) {
		return nil, errorf(ErrMaxQueries, "%d queries", w.r.opts.MaxQueries)
	}
	return &trace.Hop{
		Purpose:  purpose,
		Zone:     zone,
		Server:   s,
		Port:     w.r.opts.Port,
		Question: q,
		Start:    time.Since(w.start),
		Rcode:    -1,
	}, nil
}

// send sends the hop's query, fills the hop in, and classifies the reply.
func (w *run) send(ctx context.Context, hop *trace.Hop, nest int) Classification {
	obs := w.r.opts.Observer
	if obs.QueryStarted != nil {
		obs.QueryStarted(*hop, nest)
	}
	rep, err := w.r.exchange(ctx, hop.Question, netip.AddrPortFrom(hop.Server.Addr, hop.Port), false)
	fillHop(hop, rep, err)
	var c Classification
	if err == nil {
		c = Classify(hop.Zone, hop.Question, rep.msg)
		c.fill(hop)
		if c.Err == nil {
			w.sawRTT(rep.rtt)
		}
	}
	if obs.HopDone != nil {
		obs.HopDone(*hop, nest)
	}
	return c
}

// fillHop records in hop how the exchange went.
func fillHop(hop *trace.Hop, rep reply, err error) {
	hop.Protocol, hop.RTT, hop.Truncated, hop.NoEDNS = rep.protocol, rep.rtt, rep.truncated, rep.noEDNS
	if rep.msg != nil {
		hop.Size, hop.Rcode, hop.AA, hop.TC = rep.size, rep.msg.Rcode, rep.msg.Authoritative, rep.msg.Truncated
	}
	if err != nil {
		markFailed(hop, trace.Error, err)
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

// usable keeps the addresses of the family asked for, at most MaxAddrs per
// name.
func (w *run) usable(addrs []trace.Server) []trace.Server {
	var out []trace.Server
	per := map[string]int{}
	for _, s := range addrs {
		if f := w.r.opts.Family; (f == 4 && !s.Addr.Is4()) || (f == 6 && !s.Addr.Is6()) {
			continue
		}
		if per[s.Name]++; per[s.Name] > w.r.opts.MaxAddrs {
			continue
		}
		out = append(out, s)
	}
	return out
}

// familyDown reports whether a's address family has proved unreachable from
// this host (no route, no address): its other addresses are then skipped
// rather than each failing in turn.
func (w *run) familyDown(a netip.Addr) bool { return w.down[familyIndex(a)].Load() }

func (w *run) markFamilyDown(a netip.Addr) { w.down[familyIndex(a)].Store(true) }

func familyIndex(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// childChecks are the queries a walk sends to ask a server of each zone it
// reaches for the zone's own NS RRset. They run beside the walk; join waits
// for them and places each hop after the hop it went with.
type childChecks struct {
	w    *run
	wg   sync.WaitGroup
	list []childCheck
}

type childCheck struct {
	after, hop *trace.Hop
	cancel     context.CancelFunc
}

// start asks the server of the walk's hop after for after.Zone NS, or takes
// the reply from the cache.
func (cs *childChecks) start(ctx context.Context, after *trace.Hop, nest int) *trace.Hop {
	q := trace.Question{Name: after.Zone, Qtype: dns.TypeNS, Qclass: dns.ClassINET}
	cache := cs.w.r.opts.Cache
	if cache != nil {
		if hop, _, ok := cache.lookup(after.Zone, q); ok {
			hop.Purpose, hop.Start = trace.PurposeChildNS, time.Since(cs.w.start)
			cs.list = append(cs.list, childCheck{after: after, hop: hop, cancel: func() {}})
			return hop
		}
	}
	hop, err := cs.w.newHop(ctx, after.Zone, q, after.Server, trace.PurposeChildNS)
	if err != nil {
		return nil // no budget left: the check is skipped, not the walk
	}
	cctx, cancel := context.WithCancel(ctx)
	cs.list = append(cs.list, childCheck{after: after, hop: hop, cancel: cancel})
	cs.wg.Go(func() {
		// Traces that reach a zone together ask for its NS set once: the
		// others wait, and take the reply from the cache.
		for cache != nil {
			done, first := cache.wait(after.Zone, q)
			if first {
				defer done()
			}
			if h, _, ok := cache.lookup(after.Zone, q); ok {
				h.Purpose, h.Start = trace.PurposeChildNS, hop.Start
				*hop = *h
				return
			}
			if first {
				break
			}
		}
		if c := cs.w.send(cctx, hop, nest); cache != nil && hop.Err == nil {
			cache.store(hop, c)
		}
	})
	return hop
}

// replace abandons the check sent to a server that did not give the walk's
// reply, and asks the server that did.
func (cs *childChecks) replace(ctx context.Context, old, winner *trace.Hop, nest int) {
	for _, c := range cs.list {
		if c.hop == old {
			c.cancel()
		}
	}
	cs.start(ctx, winner, nest)
}

func (cs *childChecks) join(t *trace.Trace) {
	cs.wg.Wait()
	for _, c := range cs.list {
		c.cancel()
		if errors.Is(c.hop.Err, context.Canceled) {
			abandon(c.hop)
		}
		if i := slices.Index(t.Hops, c.after); i >= 0 {
			t.Hops = slices.Insert(t.Hops, i+1, c.hop)
		}
	}
}
