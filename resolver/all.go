package resolver

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// DefaultParallel bounds the queries one zone is asked at once with Options.All.
const DefaultParallel = 32

// askAll asks every address of every nameserver of zone, in parallel, at most
// Options.Parallel at a time: the question and the zone's SOA, and for a zone
// reached through a referral its own NS RRset as well. The walk goes on from the
// first usable reply in the documented server order; every hop is recorded
// in that order too, whatever order the replies came in.
func (w *run) askAll(ctx context.Context, t *trace.Trace, zone string, q trace.Question, servers []nameserver, via *trace.Hop, nest int, chain []string) (*trace.Hop, Classification, error) {
	// First the addresses of the names that came without glue, all of them
	// (A and AAAA), in parallel; their lookups are recorded in name order.
	type lookup struct {
		ns     int
		qtype  uint16
		trace  *trace.Trace
		addrs  []trace.Server
		err    error
		inZone bool
	}
	var lookups []*lookup
	for i, ns := range servers {
		if ns.addrs != nil {
			continue
		}
		for _, qt := range w.families() {
			lookups = append(lookups, &lookup{ns: i, qtype: qt, inZone: dns.IsSubDomain(zone, ns.name)})
		}
	}
	var wg sync.WaitGroup
	for _, l := range lookups {
		if l.inZone {
			l.err = ErrNoGlue
			continue
		}
		wg.Go(func() { l.trace, l.addrs, l.err = w.resolveNS(ctx, servers[l.ns].name, l.qtype, nest, chain) })
	}
	wg.Wait()
	var failed []Attempt
	resolved := make([][]trace.Server, len(servers))
	for _, l := range lookups {
		if l.trace != nil {
			via.Lookups = append(via.Lookups, l.trace)
		}
		if errors.As(l.err, new(errFatal)) {
			return nil, Classification{}, l.err
		}
		if l.err != nil && (!l.inZone || l.qtype == w.families()[0]) {
			failed = append(failed, Attempt{Server: trace.Server{Name: servers[l.ns].name}, Err: l.err})
		}
		resolved[l.ns] = append(resolved[l.ns], l.addrs...)
	}

	// Then every address, each with its questions, each hop in its slot.
	questions := []trace.Question{q}
	purposes := []trace.Purpose{trace.PurposeWalk}
	if nest == 0 {
		questions = append(questions, trace.Question{Name: zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET})
		purposes = append(purposes, trace.PurposeSOA)
		if via != nil && !w.r.opts.NoChildNS {
			questions = append(questions, trace.Question{Name: zone, Qtype: dns.TypeNS, Qclass: dns.ClassINET})
			purposes = append(purposes, trace.PurposeChildNS)
		}
	}
	type slot struct {
		hops []*trace.Hop
		c    Classification
	}
	var addrs []trace.Server
	for i, ns := range servers {
		if ns.addrs != nil {
			addrs = append(addrs, w.usable(ns.addrs)...)
		} else {
			sortServers(resolved[i])
			addrs = append(addrs, w.usable(resolved[i])...)
		}
	}
	slots := make([][]slot, len(addrs))
	sem := make(chan struct{}, w.r.opts.Parallel)
	var fatal error
	var mu sync.Mutex
	for i, s := range addrs {
		slots[i] = make([]slot, len(questions))
		for j, qq := range questions {
			// Hops are made here, in order, so the budget is spent in order.
			first, err := w.newHop(ctx, zone, qq, s, purposes[j])
			if err != nil {
				mu.Lock()
				fatal = err
				mu.Unlock()
				break
			}
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				hop := first
				for try := 1; ; try++ {
					c := w.send(ctx, hop, nest)
					slots[i][j].hops = append(slots[i][j].hops, hop)
					slots[i][j].c = c
					if !errors.Is(hop.Err, ErrTimeout) || try >= w.r.opts.Tries {
						return
					}
					next, err := w.newHop(ctx, zone, qq, s, purposes[j])
					if err != nil {
						return
					}
					hop = next
				}
			})
		}
		if fatal != nil {
			break
		}
	}
	wg.Wait()
	if fatal != nil {
		return nil, Classification{}, errFatal{fatal}
	}
	if err := ended(ctx); err != nil {
		return nil, Classification{}, errFatal{err}
	}

	var win *trace.Hop
	var winC Classification
	for i := range slots {
		for j := range slots[i] {
			sl := slots[i][j]
			t.Hops = append(t.Hops, sl.hops...)
			last := sl.hops[len(sl.hops)-1]
			if j > 0 {
				continue
			}
			if last.Err != nil {
				failed = append(failed, Attempt{Server: last.Server, Err: last.Err})
			} else if win == nil {
				win, winC = last, sl.c
			}
		}
	}
	if win == nil {
		return nil, Classification{}, &ZoneError{Zone: zone, Attempts: failed}
	}
	return win, winC, nil
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
