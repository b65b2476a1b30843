package watch

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// serverKey is one address of one nameserver, as a server of one zone.
type serverKey struct {
	zone, server string
	addr         netip.Addr
}

// serverState is what the queries of one cycle to a server found.
type serverState struct {
	reachable     bool          // it replied to something
	authoritative bool          // it replied with authority for the zone
	rtt           time.Duration // its fastest reply
}

// zoneState is what the traces of one cycle say of a zone.
type zoneState struct {
	// ns are the nameservers its parent's referral names, sorted; nil
	// when no trace of the cycle was referred to the zone.
	ns []string
	// delegation is the referral, NS set and glue, as one string, to tell
	// when it changes.
	delegation string
	serials    map[serverKey]uint32 // the SOA serial each server gave
	status     string               // DNSSEC status; "" when not validated
	expiry     time.Time            // the earliest RRSIG expiry; zero for none
}

// cycle is what the traces of one cycle found, gathered as they come.
type cycle struct {
	traced []bool // by name index
	// complete is unset when the cycle did not trace every name.
	complete bool
	// names traced, failed walks among them, events written, queries sent
	names, failed, events, queries int
	// seen holds the servers of every hop, those served from the cache
	// too; live what the queries sent in this cycle found.
	seen  map[serverKey]bool
	live  map[serverKey]*serverState
	zones map[string]*zoneState
}

func newCycle(names int) *cycle {
	return &cycle{traced: make([]bool, names), complete: true, seen: map[serverKey]bool{}, live: map[serverKey]*serverState{}, zones: map[string]*zoneState{}}
}

// zone returns the state of zone, made empty the first time.
func (c *cycle) zone(zone string) *zoneState {
	z := c.zones[zone]
	if z == nil {
		z = &zoneState{serials: map[serverKey]uint32{}}
		c.zones[zone] = z
	}
	return z
}

// add gathers what t found of its zones and servers.
func (c *cycle) add(t *trace.Trace) {
	c.hops(t)
	for _, d := range t.DNSSEC {
		c.zone(d.Zone).status = d.Status
		if d.Query != nil {
			c.hop(d.Query)
		}
	}
}

// hops gathers the hops of t and of its nested lookups.
func (c *cycle) hops(t *trace.Trace) {
	for _, h := range t.Hops {
		c.hop(h)
		for _, l := range h.Lookups {
			c.hops(l)
		}
	}
}

// hop gathers one hop.
func (c *cycle) hop(h *trace.Hop) {
	if h.Simulated {
		return
	}
	k := serverKey{zone: h.Zone, server: h.Server.Name, addr: h.Server.Addr}
	if h.Zone != "" && h.Server.Addr.IsValid() {
		c.seen[k] = true
		if !h.Cached && judged(h) {
			c.server(k, h)
		}
	}
	if h.Outcome == trace.Referral && h.Referral != nil {
		c.referral(h.Referral)
	}
	for _, rr := range h.Answer {
		if soa, ok := rr.(*dns.SOA); ok && h.AA && strings.EqualFold(soa.Hdr.Name, h.Zone) {
			c.zone(h.Zone).serials[k] = soa.Serial
		}
	}
	c.signatures(h.AnswerSigs)
	c.signatures(h.AuthorityDNSSEC)
}

// judged reports whether h says something of its server: a query of the
// walk or the checks (the protocol probes ask odd questions on purpose,
// and their findings say what they found), that this host sent and
// waited for to its end.
func judged(h *trace.Hop) bool {
	if h.Purpose.Probe() || h.Outcome == trace.Abandoned {
		return false
	}
	switch h.Reason {
	case trace.ReasonNoRoute, trace.ReasonCancelled, trace.ReasonDeadline, trace.ReasonAbandoned, trace.ReasonQueryLimit:
		return false // this host's doing, not the server's
	}
	return true
}

// server gathers what h says of the server k.
func (c *cycle) server(k serverKey, h *trace.Hop) {
	s := c.live[k]
	if s == nil {
		s = &serverState{}
		c.live[k] = s
	}
	if h.Rcode < 0 {
		return
	}
	if !s.reachable || h.RTT < s.rtt {
		s.rtt = h.RTT
	}
	s.reachable = true
	switch h.Outcome {
	case trace.Referral, trace.Answer, trace.CNAME, trace.NXDomain, trace.NoData:
		s.authoritative = true
	}
}

// referral gathers a parent's referral to a zone.
func (c *cycle) referral(d *trace.Delegation) {
	z := c.zone(d.Zone)
	var ns, glue []string
	for _, n := range d.NS {
		ns = append(ns, strings.ToLower(n.Name))
	}
	for _, g := range d.Glue {
		if g.Ignored == "" {
			glue = append(glue, strings.ToLower(g.Name)+"="+g.Addr.String())
		}
	}
	slices.Sort(ns)
	slices.Sort(glue)
	z.ns = slices.Compact(ns)
	z.delegation = strings.Join(z.ns, ",") + " " + strings.Join(slices.Compact(glue), ",")
}

// signatures gathers the expiry of RRSIGs, by the zone that signed them.
func (c *cycle) signatures(rrs []dns.RR) {
	for _, rr := range rrs {
		sig, ok := rr.(*dns.RRSIG)
		if !ok {
			continue
		}
		z := c.zone(dns.CanonicalName(sig.SignerName))
		if exp := expiry(sig.Expiration); z.expiry.IsZero() || exp.Before(z.expiry) {
			z.expiry = exp
		}
	}
}

// expiry is an RRSIG's expiration as a time: seconds since 1970 modulo
// 2^32, read as the nearest such time to now (RFC 4034 §3.1.5, serial
// number arithmetic).
func expiry(exp uint32) time.Time {
	now := time.Now().Unix()
	return time.Unix(now+int64(int32(exp-uint32(now))), 0)
}
