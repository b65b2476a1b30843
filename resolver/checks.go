package resolver

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

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
	cache := cs.w.cache
	if hop, _, ok := cache.lookup(after.Zone, q); ok {
		hop.Purpose, hop.Start = trace.PurposeChildNS, time.Since(cs.w.start)
		cs.list = append(cs.list, childCheck{after: after, hop: hop, cancel: func() {}})
		return hop
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
		for cs.w.shared {
			done, first := cache.wait(after.Zone, q, false)
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
		if c := cs.w.send(cctx, hop, nest, false); hop.Err == nil {
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
