package resolver

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// Cache keeps, by TTL, the replies that traces got: referrals, answers and
// the addresses of nameservers; and, for as long as it is used, the address
// families this host has no route to, which its traces then do not try. Traces that share one (batch mode) ask each
// server each question once; a hop served from it is marked Cached and costs
// no query. Concurrent traces that are about to ask a zone the same thing
// wait for the first to finish rather than ask it too. The zero value is not
// usable; use NewCache. A Cache is safe for concurrent use.
type Cache struct {
	now func() time.Time

	mu      sync.Mutex
	replies map[cacheKey]cached // a zone's reply to a question
	order   []cacheKey          // replies' keys, oldest first, for eviction
	cuts    map[cacheKey]cached // a zone's referral to a child, keyed by the child
	addrs   map[string]cachedAddrs
	flights map[flightKey]chan struct{}
	// routes are this host's: a family one trace found unusable, the
	// others skip (see routes).
	routes  routes
	checks  map[string]cachedCheck // by zone: the server checks made
	keyHops map[string]cached      // by zone and type: its DNSKEY, CDS and CDNSKEY queries' hops
	// checking holds the zones whose servers a trace is checking, closed
	// when it is done (see checkedOrFirst).
	checking map[string]chan struct{}
}

// cachedCheck is the hops of a check of a zone's servers.
type cachedCheck struct {
	hops    []*trace.Hop
	expires time.Time
}

// MaxCachedReplies bounds the answers a Cache keeps (referrals and
// nameserver addresses, one per zone or name, are not bounded): past it the
// oldest go first, so that memory stays flat however many names a batch has.
const MaxCachedReplies = 4096

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		now:      time.Now,
		replies:  map[cacheKey]cached{},
		cuts:     map[cacheKey]cached{},
		addrs:    map[string]cachedAddrs{},
		flights:  map[flightKey]chan struct{}{},
		checks:   map[string]cachedCheck{},
		keyHops:  map[string]cached{},
		checking: map[string]chan struct{}{},
	}
}

// keys returns a copy of the hop of an earlier trace's DNSKEY query of
// zone (or its CDS or CDNSKEY query: qtype), marked Cached, while the TTL
// of its records lasts: the zones of a batch or a watch are asked their
// keys once per TTL, not once a name.
func (c *Cache) keys(zone string, qtype uint16) (*trace.Hop, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keyHops[keyHop(zone, qtype)]
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return cachedHop(e.hop, e.hop.Question), true
}

func keyHop(zone string, qtype uint16) string {
	return dns.CanonicalName(zone) + " " + dns.TypeToString[qtype]
}

// storeKeys keeps the hop of a DNSKEY, CDS or CDNSKEY query that got an
// authoritative answer, for the least TTL of the records and signatures
// of its answer; a NODATA (no CDS, as most zones) for its SOA's negative
// TTL (RFC 2308 §5).
func (c *Cache) storeKeys(h *trace.Hop) {
	if h.Err != nil || h.Rcode != dns.RcodeSuccess || !h.AA || (len(h.Answer) == 0 && h.Question.Qtype == dns.TypeDNSKEY) {
		return
	}
	rrs := slices.Concat(h.Answer, h.AnswerSigs)
	if len(h.Answer) == 0 {
		rrs = nil
		for _, rr := range h.Authority {
			if soa, ok := rr.(*dns.SOA); ok {
				s := *soa
				s.Hdr.Ttl = min(s.Hdr.Ttl, s.Minttl)
				rrs = append(rrs, &s)
			}
		}
	}
	if len(rrs) == 0 {
		return
	}
	ttl := rrs[0].Header().Ttl
	for _, rr := range rrs {
		ttl = min(ttl, rr.Header().Ttl)
	}
	if ttl == 0 {
		return
	}
	cp := *h
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keyHops[keyHop(h.Zone, h.Question.Qtype)] = cached{hop: &cp, expires: c.now().Add(time.Duration(ttl) * time.Second)}
}

// checkedOrFirst gives the hops of the check of zone's servers that an
// earlier trace made, as checked does; or, when there are none, makes the
// caller the one to check them: the caller must call done once the check
// is stored (or given up). A trace that finds another checking the zone
// waits for it, so that traces reaching a zone at once (a batch, a watch
// whose TTL ran out) check its servers once, not once each. Waiting cannot
// deadlock: a check waits for nothing but its own queries.
func (c *Cache) checkedOrFirst(ctx context.Context, zone string) (hops []*trace.Hop, ok bool, done func()) {
	for {
		if hops, ok := c.checked(zone); ok {
			return hops, true, nil
		}
		c.mu.Lock()
		ch, busy := c.checking[zone]
		if !busy {
			ch = make(chan struct{})
			c.checking[zone] = ch
			c.mu.Unlock()
			return nil, false, func() {
				c.mu.Lock()
				delete(c.checking, zone)
				c.mu.Unlock()
				close(ch)
			}
		}
		c.mu.Unlock()
		select {
		case <-ch: // done: look again; it may have been given up
		case <-ctx.Done():
			return nil, false, func() {}
		}
	}
}

// checked returns the hops of the check of zone's servers that an earlier
// trace made, marked Cached, but those that asked that trace's own
// question, which says nothing of another's.
func (c *Cache) checked(zone string) ([]*trace.Hop, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.checks[zone]
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	var out []*trace.Hop
	for _, h := range e.hops {
		if h.Purpose != trace.PurposeCheck {
			out = append(out, cachedHop(h, h.Question))
		}
	}
	return out, true
}

// storeCheck keeps the hops of a check of zone's servers for ttl.
func (c *Cache) storeCheck(zone string, hops []*trace.Hop, ttl time.Duration) {
	cp := make([]*trace.Hop, len(hops))
	for i, h := range hops {
		h := *h
		cp[i] = &h
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks[zone] = cachedCheck{hops: cp, expires: c.now().Add(ttl)}
}

type cacheKey struct {
	zone string
	q    trace.Question // for cuts, only Name: the child zone
}

type cached struct {
	hop     *trace.Hop
	c       Classification
	expires time.Time
}

type cachedAddrs struct {
	addrs   []netip.Addr
	expires time.Time
}

// lookup returns a copy of the hop that answered q at zone, or a referral
// from zone to a zone that holds q.Name, marked Cached.
func (c *Cache) lookup(zone string, q trace.Question) (*trace.Hop, Classification, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if e, ok := c.replies[cacheKey{zone, q}]; ok {
		if now.Before(e.expires) {
			return cachedHop(e.hop, q), e.c, true
		}
		delete(c.replies, cacheKey{zone, q})
	}
	// A referral for any zone between zone and the name holds q.Name.
	for name := q.Name; name != zone && dns.IsSubDomain(zone, name); name = parentName(name) {
		k := cacheKey{zone: zone, q: trace.Question{Name: name}}
		if e, ok := c.cuts[k]; ok {
			if now.Before(e.expires) {
				return cachedHop(e.hop, q), e.c, true
			}
			delete(c.cuts, k)
		}
	}
	return nil, Classification{}, false
}

// cutsFor returns the referrals kept that lead to a zone holding name, the
// deepest zone first.
func (c *Cache) cutsFor(name string) []cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	var out []cached
	for child := name; child != "."; child = parentName(child) {
		for parent := parentName(child); ; parent = parentName(parent) {
			if e, ok := c.cuts[cacheKey{zone: parent, q: trace.Question{Name: child}}]; ok && now.Before(e.expires) {
				out = append(out, e)
				break
			}
			if parent == "." {
				break
			}
		}
	}
	return out
}

// store keeps a usable reply for as long as its records' TTLs allow.
func (c *Cache) store(hop *trace.Hop, cl Classification) {
	ttl, ok := replyTTL(hop, cl)
	if !ok {
		return
	}
	cp := *hop // the trace goes on numbering the hop and adding lookups to it
	cp.Lookups = nil
	e := cached{hop: &cp, c: cl, expires: c.now().Add(ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.Outcome == trace.Referral {
		c.cuts[cacheKey{zone: hop.Zone, q: trace.Question{Name: cl.Referral.Zone}}] = e
		return
	}
	k := cacheKey{hop.Zone, hop.Question}
	if _, ok := c.replies[k]; !ok {
		c.order = append(c.order, k)
	}
	c.replies[k] = e
	for len(c.replies) > MaxCachedReplies && len(c.order) > 0 {
		delete(c.replies, c.order[0])
		c.order = c.order[1:]
	}
}

// flightKey is what traces about to ask a zone wait for each other by: the
// label below the zone they are heading for, and whether they minimise.
type flightKey struct {
	zone, next string
	minimised  bool
}

// wait makes the caller the one to ask zone about q.Name, or waits until the
// trace already doing so has finished and reports false. The caller that
// gets true must call done. A minimised question (RFC 9156) waits only for
// another: the replies of the two kinds seldom answer each other, and a
// minimising walk held up by servers that drop its questions must not hold
// up the full-name walk of --compare, which would take its fallback's reply
// as its own.
func (c *Cache) wait(zone string, q trace.Question, minimised bool) (done func(), first bool) {
	// Traces about to be referred to the same child wait for each other,
	// whatever they ask: the first one's reply is likely the others' too, and
	// a waiter whose question it does not answer asks for itself.
	k := flightKey{zone: zone, next: nextLabel(zone, q.Name), minimised: minimised}
	c.mu.Lock()
	ch, busy := c.flights[k]
	if !busy {
		ch = make(chan struct{})
		c.flights[k] = ch
	}
	c.mu.Unlock()
	if busy {
		<-ch
		return nil, false
	}
	return func() {
		c.mu.Lock()
		delete(c.flights, k)
		c.mu.Unlock()
		close(ch)
	}, true
}

func (c *Cache) nsAddrs(key string) ([]netip.Addr, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.addrs[key]
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.addrs, true
}

func (c *Cache) storeNSAddrs(key string, addrs []netip.Addr, ttl uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addrs[key] = cachedAddrs{addrs: addrs, expires: c.now().Add(time.Duration(ttl) * time.Second)}
}

// cachedHop is a copy of the hop, as asked now for q, with no network time
// and without the lookups that the original needed.
func cachedHop(h *trace.Hop, q trace.Question) *trace.Hop {
	cp := *h
	cp.Question, cp.Cached, cp.RTT, cp.Lookups, cp.ID = q, true, 0, nil, 0
	return &cp
}

// replyTTL is how long a reply may be reused: the least TTL of the records
// it rests on (RFC 2181 §5.2), and for a negative answer the SOA's minimum
// as well (RFC 2308 §5).
func replyTTL(h *trace.Hop, c Classification) (time.Duration, bool) {
	var ttl uint32
	var seen bool
	least := func(t uint32) {
		if !seen || t < ttl {
			ttl, seen = t, true
		}
	}
	switch c.Outcome {
	case trace.Referral:
		for _, ns := range c.Referral.NS {
			least(ns.TTL)
		}
		for _, g := range c.Referral.Glue {
			if g.Ignored == "" {
				least(g.TTL)
			}
		}
	case trace.Answer, trace.CNAME:
		for _, rr := range c.Answer {
			least(rr.Header().Ttl)
		}
	case trace.NXDomain, trace.NoData:
		for _, rr := range c.Authority {
			if soa, ok := rr.(*dns.SOA); ok {
				least(soa.Hdr.Ttl)
				least(soa.Minttl)
			}
		}
	default:
		return 0, false
	}
	return time.Duration(ttl) * time.Second, seen && ttl > 0
}

func parentName(name string) string {
	off, end := dns.NextLabel(name, 0)
	if end || off >= len(name) {
		return "."
	}
	return name[off:]
}

// nextLabel is the name one label below zone on the way to name: the zone
// a referral from zone is most likely to hand down.
func nextLabel(zone, name string) string {
	n := dns.CountLabel(zone) + 1
	labels := dns.SplitDomainName(name)
	if len(labels) < n {
		return name
	}
	return dns.Fqdn(strings.Join(labels[len(labels)-n:], "."))
}

// ForgetAnswers drops the replies kept that are not referrals (answers,
// CNAMEs, negative answers), so that the traces to come ask each name's
// own servers again, while the parents' referrals, the nameservers'
// addresses, each zone's own NS set (PurposeChildNS) and the checks of
// each zone's servers stay for their TTL. nstrace watch calls it before
// each cycle: a watch of many names under one zone asks its parents once
// per TTL, and each name's servers once per cycle.
func (c *Cache) ForgetAnswers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.order[:0:0]
	for _, k := range c.order {
		if e, ok := c.replies[k]; ok && e.hop.Purpose == trace.PurposeChildNS {
			kept = append(kept, k)
		} else {
			delete(c.replies, k)
		}
	}
	c.order = kept
}
