package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// Trace walks from the root hints to the authoritative answer for name and
// qtype (class IN), recording every query, and follows CNAMEs across zones
// from the root unless Options.NoFollow is set. It returns the trace,
// partial when the walk failed, with the error that ended it: a *ZoneError
// when no server of a zone gave a usable reply, or one wrapping
// ErrMaxQueries, ErrMaxDepth, ErrMaxNesting, ErrMaxCNAME, ErrLoop,
// ErrDeadline or the context's error.
//
// The servers of a zone are asked in a fixed order: the nameserver names
// whose addresses are known (root hints, in-bailiwick glue, or resolved
// earlier in this trace) sorted by name, then the others sorted by name,
// each resolved only when its turn comes (its A records first, its AAAA
// records once its IPv4 addresses have failed). A name's IPv4 addresses come
// before its IPv6 ones, each in numeric order. A server that has not
// answered within the hedge delay gets company: the next one is asked in
// parallel, and the first usable reply wins. Addresses that timed out are
// asked again, in the same order, once every other has been.
func (r *Resolver) Trace(ctx context.Context, name string, qtype uint16) (*trace.Trace, error) {
	if err := CheckQuestion(name, qtype); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, r.opts.Deadline, fmt.Errorf("%w: the trace took longer than %s", ErrDeadline, r.opts.Deadline))
	defer cancel()
	w := &run{r: r, start: time.Now(), addrs: map[string][]netip.Addr{}, roots: fromHints(r.opts.RootHints), routes: &routes{},
		cache: r.opts.Cache, shared: r.opts.Cache != nil, ctx: ctx}
	w.probes = newProbing(w)
	if w.cache == nil {
		// The walk and its lookups share what each learned, as a
		// resolver's cache does: a lookup starts at the deepest zone
		// whose servers a referral already named (see begin), not at the
		// root again (issue 18).
		w.cache = NewCache()
	}
	if r.opts.Cache != nil {
		w.routes = &r.opts.Cache.routes
	}
	w.keys = w.newKeyQueries()
	// In the form a reply's names are unpacked in, so that "exa\mple" and
	// "\046" compare equal to the names in replies.
	q := trace.Question{Name: trace.CanonicalName(name), Qtype: qtype, Qclass: dns.ClassINET}

	var prime *trace.Hop
	if r.opts.Prime.IsValid() {
		var err error
		if prime, err = w.prime(ctx); err != nil {
			t := &trace.Trace{Question: q, Hops: []*trace.Hop{prime}, Outcome: trace.Failed, Err: err, Reason: prime.Reason,
				Queries: 1, Duration: time.Since(w.start), Mode: w.mode(0), Started: w.start}
			t.Number()
			return t, err
		}
	}
	t := w.walk(ctx, q, level{})
	w.checks.join(t)
	w.probes.join(t)
	recount(t)
	t.Duration = time.Since(w.start)
	if prime != nil {
		t.Hops = append([]*trace.Hop{prime}, t.Hops...)
		t.Queries++
		t.Duration = time.Since(w.start)
	}
	t.Started = w.start
	t.Number()
	w.finish(t)
	return t, t.Err
}

// mode is how a walk nest lookups deep is made: only the outermost walk
// asks every server (zoneQuery.ask).
func (w *run) mode(nest int) trace.Mode {
	o := w.r.opts
	return trace.Mode{All: o.All && nest == 0, PathOnly: o.PathOnly, Primed: o.Prime.IsValid(), Simulated: len(o.Delegate) > 0, QMin: o.QMin}
}

// run is the state of one Trace, shared by its nested lookups.
type run struct {
	r       *Resolver
	start   time.Time
	roots   []nameserver
	queries atomic.Int64
	slowest atomic.Int64 // the longest RTT of a usable reply so far, in ns
	routes  *routes      // this host's, shared through the Cache with other traces

	mu    sync.Mutex
	addrs map[string][]netip.Addr // "NAME TYPE" of NS names resolved so far
	// cache is Options.Cache, or else one of this trace's own; shared is
	// set for the former, which other traces use at the same time.
	cache  *Cache
	shared bool
	// keys are the outermost walk's DNSKEY queries; nil when it does not
	// validate.
	keys *keyQueries
	// probes are the protocol probes of the servers checked (probe.go).
	probes *probing

	ctx    context.Context // the Trace's: server checks run under it, as they outlive the zone query that starts them
	checks serverChecks
}

// level is where a walk stands: nest counts the glueless lookups it is
// nested in, chain holds the NS names they are resolving, outermost first,
// and check is set when it is a lookup made by a server check.
type level struct {
	nest  int
	chain []string
	check bool
}

// at is the level of the walk that zq is a step of.
func (zq *zoneQuery) at() level { return level{nest: zq.nest, chain: zq.chain, check: zq.check} }

// nameserver is one NS name of a zone and the addresses known for it;
// none means it has to be resolved.
type nameserver struct {
	name  string
	addrs []trace.Server
}

// walk resolves q from the root, at level lv.
func (w *run) walk(ctx context.Context, q trace.Question, lv level) *trace.Trace {
	nest := lv.nest
	t := &trace.Trace{Question: q, Mode: w.mode(nest)}
	begin := time.Now()
	checks := &childChecks{w: w}
	defer func() {
		checks.join(t)
		t.Duration, t.Queries = time.Since(begin), queries(t)
	}()
	fail := func(err error) *trace.Trace {
		t.Outcome, t.Err, t.Reason, t.Loops = trace.Failed, err, reasonOf(err), loopsIn(err)
		return t
	}

	aliases := []string{q.Name}
	zone, servers, via := w.begin(q.Name, lv)
	if via != nil {
		t.FromCache = zone
	}
	qmin := w.newMinimiser()
	for referrals := 0; ; referrals++ {
		if referrals > w.r.opts.MaxDepth {
			return fail(fmt.Errorf("%w: more than %d", ErrMaxDepth, w.r.opts.MaxDepth))
		}
		if nest == 0 {
			w.keys.early(ctx, zone, servers, via)
		}
		zq := &zoneQuery{w: w, t: t, zone: zone, q: q, servers: servers, via: via, nest: nest, chain: lv.chain, check: lv.check}
		var zc *zoneCheck
		if w.checksZone(zone, via, nest) {
			// Once the walk's own first query is on its way.
			zq.beside = func(lead *shared) { zc = w.checkZone(zq, lead) }
		} else if via != nil && nest == 0 && !w.r.opts.NoChildNS {
			zq.checks = checks
		}
		hop, c, err := qmin.ask(ctx, zq)
		zq.startBeside()
		zc.walked(zq.lookups)
		if err != nil {
			var fatal errFatal
			if errors.As(err, &fatal) {
				err = fatal.error
			}
			return fail(err)
		}
		if nest == 0 {
			w.keys.after(ctx, hop, via)
		}
		if d := w.simulate(zone, q.Name, c, via); d != nil {
			real := hop
			hop, c = w.simulated(zone, q, d, nest), Classification{Outcome: trace.Referral, Referral: d}
			hop.AuthorityDNSSEC = parentDS(real, d.Zone) // the parent's DS stays
			t.Hops = append(t.Hops, hop)
		}
		switch c.Outcome {
		case trace.Referral:
			zone, servers, via = c.Referral.Zone, w.fromReferral(c.Referral), hop
			continue
		case trace.CNAME:
			t.Answer = append(t.Answer, c.Answer...)
			if w.r.opts.NoFollow {
				t.Outcome, t.Authority = trace.CNAME, c.Authority
				return t
			}
			if aliases, err = w.follow(aliases, c.Answer); err != nil {
				return fail(err)
			}
			// The target is walked from the root, as its zone may be anywhere.
			q = trace.Question{Name: aliases[len(aliases)-1], Qtype: q.Qtype, Qclass: q.Qclass}
			zone, servers, via, referrals = ".", w.roots, nil, -1
			qmin.restart()
			continue
		}
		t.Outcome, t.Answer, t.Authority = c.Outcome, append(t.Answer, c.Answer...), c.Authority
		return t
	}
}

// begin gives where a walk at lv for name starts: the root, with no
// referral (via) that led there; or for a lookup of a nameserver's
// address, the deepest zone holding name that a referral cached earlier in
// the trace names with the addresses of all its servers, as a resolver
// starts from the deepest cut it knows. The servers above it, and their
// failures, are in the walk that met them. A cut whose names were never
// resolved is passed over: a lookup of them needs a hop of the walk to be
// recorded under. So is a cut at or below a zone of Options.Delegate: the
// cache holds the parent's real referral, which simulate replaces.
func (w *run) begin(name string, lv level) (zone string, servers []nameserver, via *trace.Hop) {
	if lv.nest == 0 {
		return ".", w.roots, nil
	}
	for _, cut := range w.cache.cutsFor(name) {
		servers := w.fromReferral(cut.c.Referral)
		if slices.ContainsFunc(servers, func(ns nameserver) bool { return ns.addrs == nil }) || len(w.usableOf(servers)) == 0 ||
			slices.ContainsFunc(w.r.opts.Delegate, func(d *trace.Delegation) bool { return dns.IsSubDomain(d.Zone, cut.c.Referral.Zone) }) {
			continue
		}
		return cut.c.Referral.Zone, servers, cachedHop(cut.hop, cut.hop.Question)
	}
	return ".", w.roots, nil
}

// usableOf lists the addresses of servers that the walk may ask.
func (w *run) usableOf(servers []nameserver) []trace.Server {
	var out []trace.Server
	for _, ns := range servers {
		out = append(out, w.usable(ns.addrs)...)
	}
	return out
}

// recount counts again the queries of t and of its lookups, once the
// server checks have added their hops.
func recount(t *trace.Trace) {
	for _, h := range t.Hops {
		for _, l := range h.Lookups {
			recount(l)
		}
	}
	t.Queries = queries(t)
}

// queries counts the queries of a walk: its hops not served from the cache,
// and those of its lookups.
func queries(t *trace.Trace) int {
	n := 0
	for _, h := range t.Hops {
		if !h.Cached {
			n++
		}
		for _, l := range h.Lookups {
			n += l.Queries
		}
	}
	return n
}

// follow adds the names a CNAME chain leads to to aliases, the names the
// walk has asked for so far, and says whether the chain loops or is too long.
func (w *run) follow(aliases []string, chain []dns.RR) ([]string, error) {
	for _, rr := range chain {
		cname, ok := rr.(*dns.CNAME)
		if !ok {
			continue
		}
		target := dns.CanonicalName(cname.Target)
		if slices.Contains(aliases, target) {
			return aliases, fmt.Errorf("%w: CNAME loop %s", ErrLoop, strings.Join(append(aliases, target), " → "))
		}
		if len(aliases) > w.r.opts.MaxCNAME {
			return aliases, fmt.Errorf("%w: more than %d", ErrMaxCNAME, w.r.opts.MaxCNAME)
		}
		aliases = append(aliases, target)
	}
	return aliases, nil
}

// simulated is the hop that stands for a proposed delegation d (see
// simulate) in the walk, reported as done at once.
func (w *run) simulated(zone string, q trace.Question, d *trace.Delegation, nest int) *trace.Hop {
	hop := &trace.Hop{Zone: zone, Server: trace.Server{Name: "--delegate", Source: trace.SourceUser}, Question: q,
		Start: time.Since(w.start), Rcode: -1, Outcome: trace.Referral, Referral: d, Simulated: true}
	if f := w.r.opts.Observer.HopDone; f != nil {
		f(*hop, nest)
	}
	return hop
}

// simulate returns the proposed delegation (Options.Delegate) to put in
// place of the reply c from zone, if any: one for a zone below zone that
// holds name, unless c is a referral that stops above it (its parent is not
// reached yet). Whatever else the parent said, a referral for the zone, one
// for a zone below it, an answer or NXDOMAIN (a zone not yet delegated), is
// replaced, and the real reply stays in the trace before the simulated one.
// NS records given without a TTL take the one the parent gives them now, or
// else the TTL of the referral that led to the parent: what the registry
// would most likely publish.
func (w *run) simulate(zone, name string, c Classification, via *trace.Hop) *trace.Delegation {
	for _, d := range w.r.opts.Delegate {
		if d.Zone == zone || !dns.IsSubDomain(zone, d.Zone) || !dns.IsSubDomain(d.Zone, name) {
			continue
		}
		if c.Outcome == trace.Referral && c.Referral.Zone != d.Zone && dns.IsSubDomain(c.Referral.Zone, d.Zone) {
			continue
		}
		var ttl uint32
		switch {
		case c.Outcome == trace.Referral && c.Referral.Zone == d.Zone && len(c.Referral.NS) > 0:
			ttl = c.Referral.NS[0].TTL
		case via != nil && via.Referral != nil && len(via.Referral.NS) > 0:
			ttl = via.Referral.NS[0].TTL
		}
		sim := &trace.Delegation{Zone: d.Zone, NS: slices.Clone(d.NS), Glue: slices.Clone(d.Glue)}
		for i := range sim.NS {
			if sim.NS[i].TTL == 0 {
				sim.NS[i].TTL = ttl
			}
		}
		for i := range sim.Glue {
			if sim.Glue[i].TTL == 0 {
				sim.Glue[i].TTL = ttl
			}
		}
		return sim
	}
	return nil
}

// resolveNS finds the addresses of type qtype (A or AAAA) of a nameserver
// name that came without glue, by walking from the root. The walk is
// returned to be recorded, with the addresses, which are kept for the rest of
// the run. A name with no address of that type is an error, as is a loop.
func (w *run) resolveNS(ctx context.Context, name string, qtype uint16, lv level) (*trace.Trace, []trace.Server, error) {
	nest, chain := lv.nest, lv.chain
	key := name + " " + trace.TypeString(qtype)
	w.mu.Lock()
	cached, ok := w.addrs[key]
	w.mu.Unlock()
	if !ok && w.cache != nil {
		cached, ok = w.cache.nsAddrs(key)
	}
	if ok {
		return nil, servers(name, cached, trace.SourceCache), nil
	}
	if i := slices.Index(chain, name); i >= 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrLoop, loopChain(append(slices.Clone(chain[i:]), name)))
	}
	if nest >= w.r.opts.MaxNesting {
		return nil, nil, fmt.Errorf("%w: more than %d", ErrMaxNesting, w.r.opts.MaxNesting)
	}
	q := trace.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET}
	obs := w.r.opts.Observer
	if f := obs.LookupStarted; f != nil && !lv.check {
		f(q, nest+1)
	}
	l := w.walk(ctx, q, level{nest: nest + 1, chain: append(slices.Clip(chain), name), check: lv.check})
	if f := obs.LookupDone; f != nil && !lv.check {
		f(l, nest+1)
	}
	if l.Err != nil {
		if errors.Is(l.Err, ErrMaxQueries) || errors.Is(l.Err, ErrDeadline) || ctx.Err() != nil {
			return l, nil, errFatal{l.Err}
		}
		return l, nil, fmt.Errorf("%s: %w", key, l.Err)
	}
	addrs := trace.AddrsOf(l.Answer)
	if len(addrs) == 0 {
		return l, nil, fmt.Errorf("%s: %s", key, strings.ToUpper(string(l.Outcome)))
	}
	sortAddrs(addrs)
	addrs = slices.Compact(addrs)
	w.mu.Lock()
	w.addrs[key] = addrs
	w.mu.Unlock()
	if c := w.cache; c != nil {
		ttl := l.Answer[0].Header().Ttl
		for _, rr := range l.Answer {
			ttl = min(ttl, rr.Header().Ttl)
		}
		c.storeNSAddrs(key, addrs, ttl)
	}
	return l, servers(name, addrs, trace.SourceResolved), nil
}

// prime asks the server the user named for the root NS set, with RD=1, and
// makes the roots it names, with the addresses it gives for them, the start
// of every walk of this trace.
func (w *run) prime(ctx context.Context) (*trace.Hop, error) {
	p := w.r.opts.Prime
	q := trace.Question{Name: ".", Qtype: dns.TypeNS, Qclass: dns.ClassINET}
	hop, err := w.newHop(ctx, ".", q, trace.Server{Addr: p.Addr(), Source: trace.SourceUser}, trace.PurposePrime)
	if err != nil {
		return &trace.Hop{Zone: ".", Question: q, Purpose: trace.PurposePrime, Outcome: trace.Error, Err: err, Reason: reasonOf(err), Rcode: -1}, err
	}
	hop.Port = p.Port()
	rep, err := w.r.exchange(ctx, q, p, true)
	fillHop(hop, rep, err)
	if err == nil && rep.msg.Rcode != dns.RcodeSuccess {
		err = RcodeError(rep.msg.Rcode)
	}
	var roots []trace.Server
	if err == nil {
		var names []string
		for _, rr := range rep.msg.Answer {
			if ns, ok := rr.(*dns.NS); ok && ns.Hdr.Name == "." {
				names = append(names, dns.CanonicalName(ns.Ns))
				hop.Answer = append(hop.Answer, rr)
			}
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			var as []netip.Addr
			for _, rr := range rep.msg.Extra {
				if dns.CanonicalName(rr.Header().Name) == n {
					as = append(as, trace.AddrsOf([]dns.RR{rr})...)
				}
			}
			sortAddrs(as)
			roots = append(roots, servers(n, slices.Compact(as), trace.SourcePrimed)...)
		}
		if len(roots) == 0 {
			err = fmt.Errorf("%w: the reply to . NS named no root server with an address", ErrNoServers)
		}
	}
	if err != nil {
		markFailed(hop, trace.Error, err)
		return hop, fmt.Errorf("priming query to %s: %w", p, err)
	}
	hop.Outcome = trace.Answer
	w.roots = fromHints(roots)
	return hop, nil
}

// fromHints groups root hints by name; they come sorted by name.
func fromHints(hints []trace.Server) []nameserver {
	var out []nameserver
	for _, s := range hints {
		if n := len(out); n > 0 && out[n-1].name == s.Name {
			out[n-1].addrs = append(out[n-1].addrs, s)
			continue
		}
		out = append(out, nameserver{name: s.Name, addrs: []trace.Server{s}})
	}
	return out
}

// fromReferral lists the servers of a delegation in the documented order:
// names with known addresses (glue, or resolved earlier) first, then the
// others, each group by name; at most MaxNS of them.
func (w *run) fromReferral(d *trace.Delegation) []nameserver {
	var known, unknown []nameserver
	for _, ns := range d.NS {
		var glued []netip.Addr
		for _, g := range d.Glue {
			if g.Name == ns.Name && g.Ignored == "" {
				glued = append(glued, g.Addr)
			}
		}
		if len(glued) > 0 {
			known = append(known, nameserver{name: ns.Name, addrs: servers(ns.Name, glued, trace.SourceGlue)})
			continue
		}
		cached := slices.Concat(w.cachedAddrs(ns.Name+" A"), w.cachedAddrs(ns.Name+" AAAA"))
		if len(cached) > 0 {
			known = append(known, nameserver{name: ns.Name, addrs: servers(ns.Name, cached, trace.SourceCache)})
			continue
		}
		unknown = append(unknown, nameserver{name: ns.Name})
	}
	all := append(known, unknown...)
	return all[:min(len(all), w.r.opts.MaxNS)]
}

// cachedAddrs returns the addresses of a nameserver ("NAME TYPE") that
// this trace, or another sharing its cache, has resolved.
func (w *run) cachedAddrs(key string) []netip.Addr {
	w.mu.Lock()
	a, ok := w.addrs[key]
	w.mu.Unlock()
	if !ok && w.cache != nil {
		a, _ = w.cache.nsAddrs(key)
	}
	return a
}

func servers(name string, addrs []netip.Addr, src trace.Source) []trace.Server {
	out := make([]trace.Server, len(addrs))
	for i, a := range addrs {
		out[i] = trace.Server{Name: name, Addr: a, Source: src}
	}
	return out
}
