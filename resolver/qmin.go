package resolver

// QNAME minimisation (RFC 9156, issue 15): at each zone the walk asks for
// one more label than it knows, not the whole name, as Unbound, BIND,
// Knot Resolver and PowerDNS Recursor do, and so meets the servers that
// answer those questions badly.

import (
	"context"
	"errors"
	"sync"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// The limits of RFC 9156 §2.3, with the values it recommends (and the
// names Unbound gives them): a walk sends at most MaxMinimiseCount
// minimised queries for one name; the first MinimiseOneLab of them add one
// label each, and the later ones share the labels left between them, so
// that a name of many labels costs a bounded number of queries.
const (
	MaxMinimiseCount = 10
	MinimiseOneLab   = 4
)

// minimiser is the QNAME minimisation of one walk: sent counts the
// minimised queries so far for the name the walk is at (a CNAME's target
// starts again).
type minimiser struct {
	qtype uint16
	sent  int
}

// newMinimiser gives the minimiser of a walk, nil when the walk does not
// minimise.
func (w *run) newMinimiser() *minimiser {
	if w.r.opts.QMin == 0 {
		return nil
	}
	return &minimiser{qtype: w.r.opts.QMin}
}

// next gives the name to ask next of the servers of a zone for q, when the
// walk knows that known (the zone, or a name below it found to exist)
// exists and is no cut: known with one more label of q.Name, or more once
// MinimiseOneLab queries are spent (RFC 9156 §2.3), or q.Name itself,
// which is not minimised. A DS question is asked whole of the parent of
// its name (RFC 9156 §3, step 3).
func (m *minimiser) next(known string, q trace.Question) (string, bool) {
	total, have := dns.CountLabel(q.Name), dns.CountLabel(known)
	if have >= total || (q.Qtype == dns.TypeDS && have == total-1) {
		return q.Name, false
	}
	labels := minimiseStep(have, total, m.sent)
	if labels >= total {
		return q.Name, false
	}
	idx := dns.Split(q.Name)
	return q.Name[idx[total-labels]:], true
}

// minimiseStep gives how many labels the query numbered sent (from 0) of a
// walk asks, when it knows have labels of a name of total: one more while
// sent < MinimiseOneLab; then the labels left shared between the queries
// left of MaxMinimiseCount; then all of them.
func minimiseStep(have, total, sent int) int {
	step := total - have
	switch {
	case sent < MinimiseOneLab:
		step = 1
	case sent < MaxMinimiseCount:
		step = max(1, (total-have)/(MaxMinimiseCount-sent))
	}
	return min(have+step, total)
}

// ExpectedQMinQueries is how many queries RFC 9156 §2.3 has a minimising
// walk send for a name of labels labels when every query finds one (a cut
// or a name that exists) and every server answers: the minimised ones and
// the last, for the full name.
func ExpectedQMinQueries(labels int) int {
	n, have := 0, 0
	for have < labels {
		have = minimiseStep(have, labels, n)
		n++
	}
	return max(n, 1)
}

// ask asks the servers of zq's zone for zq.q, label by label when the walk
// minimises: minimised questions while their replies say the name exists
// (NODATA, an answer, an alias), until one refers to a zone below or the
// full name is due. NXDOMAIN ends the walk, as RFC 8020 says nothing
// exists below (the full name is asked beside it: askFull); after no
// usable reply from any server, the full name is asked (a fallback, as
// relaxed resolvers do), and its reply ends the zone. The first query carries zq's checks; the lookups of every
// query are zq's.
func (m *minimiser) ask(ctx context.Context, zq *zoneQuery) (*trace.Hop, Classification, error) {
	if m == nil {
		return zq.ask(ctx)
	}
	known := zq.zone
	for {
		name, minimised := m.next(known, zq.q)
		if !minimised {
			return zq.again(zq.q, trace.QMinNone).askFor(ctx, zq)
		}
		m.sent++
		hop, c, err := zq.again(trace.Question{Name: name, Qtype: m.qtype, Qclass: dns.ClassINET}, trace.QMinMinimised).askFor(ctx, zq)
		var fatal errFatal
		switch {
		case errors.As(err, &fatal):
			return nil, c, err
		case err != nil:
			return zq.again(zq.q, trace.QMinFallback).askFor(ctx, zq)
		case c.Outcome == trace.NXDomain:
			zq.askFull(ctx, hop)
			return hop, c, nil
		case c.Outcome == trace.Referral:
			return hop, c, nil
		}
		known = name
	}
}

// askFull asks the server that answered the minimised question of nx
// NXDOMAIN for the full name, zq.q, beside the walk, which stops at the
// NXDOMAIN (RFC 8020): an answer or a referral shows an empty
// non-terminal answered NXDOMAIN (trace.PurposeQminCheck). It is told to
// the Observer as a check.
func (zq *zoneQuery) askFull(ctx context.Context, nx *trace.Hop) {
	hop, err := zq.w.newHop(ctx, zq.zone, zq.q, nx.Server, trace.PurposeQminCheck)
	if err != nil {
		return // the budget is spent, or the walk is over: the walk's NXDOMAIN stands
	}
	hop.Port = nx.Port
	zq.w.send(ctx, hop, zq.nest, true)
	zq.t.Hops = append(zq.t.Hops, hop)
}

// again is a query of the zone zq asks, for q: the first carries zq's
// checks and starts the check beside it, which asks every server q too
// when it is minimised; the others ask the question alone.
func (zq *zoneQuery) again(q trace.Question, mark trace.QMin) *zoneQuery {
	if zq.beside != nil && mark == trace.QMinMinimised {
		zq.minimised = &q // for the check that beside starts (checkZone)
	}
	z := &zoneQuery{w: zq.w, t: zq.t, zone: zq.zone, q: q, qmin: mark, servers: zq.servers, via: zq.via,
		nest: zq.nest, chain: zq.chain, check: zq.check, checks: zq.checks, beside: zq.beside, repeat: zq.asked}
	zq.checks, zq.beside, zq.asked = nil, nil, true
	return z
}

// askFor asks zq, a query of the zone that parent asks, and gives parent
// its lookups.
func (zq *zoneQuery) askFor(ctx context.Context, parent *zoneQuery) (*trace.Hop, Classification, error) {
	hop, c, err := zq.ask(ctx)
	zq.startBeside()
	parent.lookups = append(parent.lookups, zq.lookups...)
	return hop, c, err
}

// restart starts the count again, for a CNAME's target, which the walk
// asks from the root.
func (m *minimiser) restart() {
	if m != nil {
		m.sent = 0
	}
}

// Compare walks name twice at once, sharing one cache (Options.Cache, or
// one of their own): minimising as Options.QMin says (A when it is 0),
// and asking every server the full name, as dig +trace does. It returns
// the minimising walk, with the other as its Compared, and the minimising
// walk's error (see Trace). Only the minimising walk is told to the
// Observer. What one walk asked the other may take from the cache (its
// hops are then marked Cached and are not counted as queries), so that
// each walk's count depends on which asked first.
func (r *Resolver) Compare(ctx context.Context, name string, qtype uint16) (*trace.Trace, error) {
	mo, fo := r.opts, r.opts
	if mo.QMin == 0 {
		mo.QMin = dns.TypeA
	}
	fo.QMin, fo.Observer = 0, &Observer{}
	if mo.Cache == nil {
		mo.Cache = NewCache()
		fo.Cache = mo.Cache
	}
	var full *trace.Trace
	var wg sync.WaitGroup
	wg.Go(func() { full, _ = (&Resolver{opts: fo}).Trace(ctx, name, qtype) })
	t, err := (&Resolver{opts: mo}).Trace(ctx, name, qtype)
	wg.Wait()
	if t != nil {
		t.Compared = full
	}
	return t, err
}
