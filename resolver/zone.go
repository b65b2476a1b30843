package resolver

import (
	"cmp"
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// A zoneQuery asks the servers of one zone, as net's tryOneName asks a
// resolver's servers. It holds what every way of asking shares: the zone's
// nameservers in the documented order, the lookups of names that came
// without glue, one goroutine per query or lookup under way reporting on one
// channel, the hedge timer, and the failures that make a ZoneError. A plan
// decides what to send and when it has what it needs: hedged (the walk's
// way: one server after another until one gives a usable reply) or parallel
// (Options.All: every question to every address, every reply kept).
//
// A zoneQuery serves one call of ask; its contexts are that call's.
type zoneQuery struct {
	w       *run
	t       *trace.Trace // the walk the hops belong to
	zone    string
	q       trace.Question
	servers []nameserver
	via     *trace.Hop // the referral that named servers, nil at the root: lookups are recorded under it
	nest    int        // as walk's nest and chain
	chain   []string
	checks  *childChecks // set when the zone's own NS RRset is asked as well
	// check is set on the queries of a server check (see zoneCheck), and
	// of the lookups it makes: they run beside the walk, leave a share of
	// the query budget to it, and are reported to the Observer as checks.
	check bool
	// qmin marks the hops of q (trace.Hop.QMin) in a minimising walk;
	// repeat is set when the walk asked the zone before, a name further
	// up: the zone's own SOA and NS are not asked again (Options.All).
	qmin   trace.QMin
	repeat bool
	asked  bool // a query of the zone was made of this one (again)
	// minimised is the first minimised question the walk asks the zone,
	// which its server check asks every server too (see again); nil when
	// the walk does not minimise there.
	minimised *trace.Question
	// beside, when set, starts the check of the zone's servers: once the
	// walk's first query is sent (see startBeside), so that the walk's own
	// query is never the later; it is given the lead of the zoneQuery that
	// sent it.
	beside func(lead *shared)
	// lead is the reply of the walk's first query to the zone, which the
	// check of the zone's servers takes rather than ask that server the
	// same question again (see shared); set on the walk's zoneQuery and on
	// the check's.
	lead *shared

	ctx      context.Context // the walk's: when it ends, so does the walk
	flights  context.Context // the queries' and lookups': ends when the plan is done
	events   chan event
	inflight int       // queries and lookups under way
	lookups  []*lookup // every lookup started, in order
	hedge    *time.Timer
	failed   []Attempt
	fatal    error // an error that ends the walk, not just this zone
	noRoute  error // why addresses were skipped, when some were (see skip)
}

// A plan says what a zoneQuery sends, and when it is done.
type plan interface {
	// launch starts the next query or lookup, and reports whether it did.
	launch() bool
	// handle takes what a query or a lookup sent back, and reports whether
	// the plan now has what it needs.
	handle(ev event) (done bool)
	// late is called when the hedge timer fires.
	late()
}

// event is what a query or a lookup started by a zoneQuery sends back.
type event struct {
	hop  *trace.Hop // a query, complete
	c    Classification
	slot *slot // the parallel plan's slot the query was for

	lookup *lookup // or a lookup, ended

	// or, for a server check, the walk is done with the zone: walked are
	// the lookups it made of the zone's nameserver names.
	walkDone bool
	walked   []*lookup
}

// A lookup finds the addresses of one type (A or AAAA) of a nameserver
// name that came without glue.
type lookup struct {
	name  string
	qtype uint16
	// inZone is set when the name lies in the zone: only the zone's own
	// servers could say where it is, so it cannot be reached at all.
	inZone bool
	// sibling is set on a check's lookup of a name that came with glue,
	// to compare the glue with the name's own zone (see siblings).
	sibling bool
	trace   *trace.Trace // the nested walk, if there was one
	addrs   []trace.Server
	err     error
	// abandoned is set when it failed as the zoneQuery that started it
	// was done (a hedged walk got its reply while it ran): its error is
	// no outcome of the name's servers.
	abandoned bool
}

// ask asks the zone's servers zq.q: with Options.All, at the walk's own
// level, every server at once (see all); otherwise one after another,
// hedged (see first), through the cache.
func (zq *zoneQuery) ask(ctx context.Context) (*trace.Hop, Classification, error) {
	if zq.w.r.opts.All && zq.nest == 0 {
		return zq.all(ctx)
	}
	return zq.throughCache(ctx)
}

// throughCache is first through the cache: a reply cached for the zone is
// used as it is, and a walk about to ask the zone what another trace
// sharing the cache (Options.Cache) is asking it waits for that trace's
// reply. Only the outermost walk waits, so that no trace can wait for one
// that waits for it.
func (zq *zoneQuery) throughCache(ctx context.Context) (*trace.Hop, Classification, error) {
	cache := zq.w.cache
	hop, c, ok := zq.fromCache(ctx)
	for !ok && zq.nest == 0 && zq.w.shared {
		done, first := cache.wait(zq.zone, zq.q, zq.qmin == trace.QMinMinimised)
		if first {
			defer done()
		}
		// The reply may have been stored since the lookup, by this trace's
		// forerunner or by another.
		hop, c, ok = zq.fromCache(ctx)
		if first {
			break
		}
	}
	if ok {
		return hop, c, nil
	}
	hop, c, err := zq.first(ctx)
	if err == nil {
		cache.store(hop, c)
	}
	return hop, c, err
}

// fromCache takes the zone's reply to zq.q from the cache, if it holds
// one, as a step of the walk.
func (zq *zoneQuery) fromCache(ctx context.Context) (*trace.Hop, Classification, bool) {
	hop, c, ok := zq.w.cache.lookup(zq.zone, zq.q)
	if !ok {
		return nil, c, false
	}
	hop.Start, hop.Purpose, hop.QMin = time.Since(zq.w.start), trace.PurposeWalk, zq.qmin
	zq.t.Hops = append(zq.t.Hops, hop)
	if zq.checks != nil {
		zq.checks.start(ctx, hop, zq.nest)
	}
	return hop, c, true
}

// run carries out p: it hands p every result and lets it launch more until
// p is done, nothing is left to launch, or the walk must end; then it
// abandons what is still under way, and records every lookup under the
// referral, in the order started.
func (zq *zoneQuery) run(ctx context.Context, p plan) {
	flights, cancel := context.WithCancel(ctx)
	defer cancel()
	zq.ctx, zq.flights, zq.events = ctx, flights, make(chan event)
	zq.hedge = time.NewTimer(time.Hour)
	zq.hedge.Stop()
	defer zq.hedge.Stop()
	for done := false; !done && zq.fatal == nil && (zq.inflight > 0 || p.launch()); {
		select {
		case ev := <-zq.events:
			zq.inflight--
			done = p.handle(ev)
		case <-zq.hedge.C:
			p.late()
		case <-ctx.Done():
			zq.fatal = context.Cause(ctx)
		}
	}
	cancel()
	zq.drain()
	if ls := zq.traces(); len(ls) > 0 && !zq.check {
		// A check's lookups are recorded when the walk is over (see
		// serverChecks.join), as the walk's hops may not be touched
		// while it goes on.
		zq.via.Lookups = append(zq.via.Lookups, ls...)
	}
}

// startBeside starts the check of the zone's servers, if there is one and
// it has not started yet.
func (zq *zoneQuery) startBeside() {
	if f := zq.beside; f != nil {
		zq.beside = nil
		f(zq.lead)
	}
}

// traces gives the walks of the lookups started, in order.
func (zq *zoneQuery) traces() []*trace.Trace {
	var out []*trace.Trace
	for _, l := range zq.lookups {
		if l.trace != nil {
			out = append(out, l.trace)
		}
	}
	return out
}

// newHop makes the hop of a query of q to s, or says why it cannot be
// sent: the walk has ended, or the query budget is spent (for a check, the
// share of it that checks may use).
func (zq *zoneQuery) newHop(s trace.Server, q trace.Question, purpose trace.Purpose) (*trace.Hop, error) {
	if zq.check {
		if err := zq.w.checkBudget(); err != nil {
			return nil, err
		}
	}
	hop, err := zq.w.newHop(zq.ctx, zq.zone, q, s, purpose)
	switch {
	case err != nil:
	case q == zq.q:
		hop.QMin = zq.qmin
	case zq.minimised != nil && q == *zq.minimised:
		hop.QMin = trace.QMinMinimised
	}
	return hop, err
}

// start sends hop's query, for slot sl of the parallel plan (nil for the
// hedged one), in its own goroutine.
func (zq *zoneQuery) start(hop *trace.Hop, sl *slot) {
	// Before the first query of a family leaves, find out whether this
	// host can send to it at all, so that queries sent together do not
	// all fail for it.
	zq.w.routes.probe(zq.ctx, zq.w.r.opts.Dial, netip.AddrPortFrom(hop.Server.Addr, hop.Port))
	zq.inflight++
	go func() {
		c := zq.w.send(zq.flights, hop, zq.nest, zq.check)
		if l := zq.lead; l != nil && l.of == hop {
			l.keep(hop, c)
		}
		zq.events <- event{hop: hop, c: c, slot: sl}
	}()
}

// follow takes for hop, a query of slot sl, the reply of the query that
// lead stands for, the same question to the same address, once it has
// come; and sends hop's query only when that one got no reply (it timed
// out, or was abandoned as another server answered first).
func (zq *zoneQuery) follow(hop *trace.Hop, sl *slot, lead *shared) {
	zq.inflight++
	go func() {
		select {
		case <-lead.done:
		case <-zq.flights.Done():
		}
		c, ok := lead.reply(hop)
		if ok {
			zq.w.queries.Add(-1) // the budget is for queries sent
		} else {
			// The lead's address: its family was probed as it left.
			c = zq.w.send(zq.flights, hop, zq.nest, zq.check)
		}
		zq.events <- event{hop: hop, c: c, slot: sl}
	}()
}

// newLookup makes the lookup of a nameserver name's addresses of type qtype.
func (zq *zoneQuery) newLookup(name string, qtype uint16) *lookup {
	l := &lookup{name: name, qtype: qtype, inZone: dns.IsSubDomain(zq.zone, name)}
	if l.inZone {
		l.err = ErrNoGlue
	}
	return l
}

// resolve starts l, by a walk from the root, in its own goroutine.
func (zq *zoneQuery) resolve(l *lookup) {
	zq.inflight++
	zq.lookups = append(zq.lookups, l)
	go func() {
		l.trace, l.addrs, l.err = zq.w.resolveNS(zq.flights, l.name, l.qtype, zq.at())
		l.abandoned = l.err != nil && zq.flights.Err() != nil
		zq.events <- event{lookup: l}
	}()
}

// looked returns the addresses the ended lookup l found, or records why
// it found none.
func (zq *zoneQuery) looked(l *lookup) []trace.Server {
	var fe errFatal
	switch {
	case errors.As(l.err, &fe):
		zq.fatal = fe.error
	case l.err != nil && (!l.inZone || l.qtype == zq.w.families()[0]):
		// A name in the zone fails once, not once per address type.
		zq.fail(trace.Server{Name: l.name}, l.err)
	}
	return l.addrs
}

// fail records a server's failure, for the ZoneError.
func (zq *zoneQuery) fail(s trace.Server, err error) {
	zq.failed = append(zq.failed, Attempt{Server: s, Err: err})
}

// err says why no server of the zone gave a usable reply: a
// *NoRouteError when this host could send to none of them.
func (zq *zoneQuery) err() error {
	if zq.fatal != nil {
		return errFatal{zq.fatal}
	}
	if err := zq.unroutable(); err != nil {
		return err
	}
	return &ZoneError{Zone: zq.zone, Attempts: zq.failed}
}

// unroutable gives a *NoRouteError when every server of the zone was
// skipped or failed for want of a route from this host, or nil.
func (zq *zoneQuery) unroutable() error {
	why := zq.noRoute
	for _, a := range zq.failed {
		if !noRoute(a.Err) {
			return nil
		}
		why = cmp.Or(why, a.Err)
	}
	if why == nil {
		return nil
	}
	e := &NoRouteError{Zone: zq.zone, Err: why}
	var nr noRouteError
	var inner *NoRouteError
	switch {
	case errors.As(why, &inner):
		e.Err = inner.Err
	case errors.As(why, &nr):
		e.Err = nr.errno
	}
	switch zq.w.r.opts.Family {
	case 4:
		e.Family = "IPv4"
	case 6:
		e.Family = "IPv6"
	}
	return e
}

// drain waits for the queries and lookups still under way, which run has
// cancelled, and records them as abandoned: another server answered first,
// or, when the walk must end (zq.fatal, the walk's context), they were not
// asked to the end.
func (zq *zoneQuery) drain() {
	why := ErrAbandoned
	if zq.fatal != nil {
		why = zq.fatal // the query budget; the deadline or Ctrl-C set the hops' own errors
	}
	for ; zq.inflight > 0; zq.inflight-- {
		ev := <-zq.events
		cancelled := zq.ctx.Err() == nil // by run, not by the walk's end
		switch {
		case ev.hop != nil && cancelled && errors.Is(ev.hop.Err, context.Canceled):
			markFailed(ev.hop, trace.Abandoned, why)
		case ev.lookup != nil && ev.lookup.trace != nil && cancelled && errors.Is(ev.lookup.trace.Err, context.Canceled):
			l := ev.lookup.trace
			l.Outcome, l.Err, l.Reason = trace.Abandoned, why, reasonOf(why)
			if zq.fatal != nil {
				l.Outcome = trace.Failed
			}
			l.Walk(func(h *trace.Hop) {
				if errors.Is(h.Err, context.Canceled) {
					markFailed(h, trace.Abandoned, why)
				}
			})
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
// check says it is a query of a server check, for the Observer.
// A query to a family this host has no route to is not sent: the hop
// records why (trace.ReasonNoRoute), and the Observer, which hears of
// queries sent, is not told of it.
func (w *run) send(ctx context.Context, hop *trace.Hop, nest int, check bool) Classification {
	if err := w.routes.downErr(hop.Server.Addr); err != nil {
		markFailed(hop, trace.Error, err)
		return Classification{}
	}
	w.observeStart(hop, nest, check)
	rep, err := w.r.exchange(ctx, hop.Question, netip.AddrPortFrom(hop.Server.Addr, hop.Port), false)
	if noRoute(err) {
		w.routes.markDown(hop.Server.Addr, err, true)
	}
	fillHop(hop, rep, err)
	if hop.Reason == trace.ReasonTimeout {
		hop.Timeout = w.r.opts.Timeout
	}
	var c Classification
	if err == nil {
		c = Classify(hop.Zone, hop.Question, rep.msg)
		c.fill(hop)
		if c.Err == nil {
			w.sawRTT(rep.rtt)
		}
	}
	w.observeDone(hop, nest, check)
	return c
}

// fillHop records in hop how the exchange went.
func fillHop(hop *trace.Hop, rep reply, err error) {
	hop.Protocol, hop.RTT, hop.Truncated, hop.NoEDNS, hop.From = rep.protocol, rep.rtt, rep.truncated, rep.noEDNS, rep.from
	if rep.msg != nil {
		hop.Size, hop.Rcode, hop.AA, hop.TC = rep.size, rep.msg.Rcode, rep.msg.Authoritative, rep.msg.Truncated
	}
	if err != nil {
		markFailed(hop, trace.Error, err)
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
