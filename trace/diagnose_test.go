package trace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Builders for traces written by hand. Addresses are public-looking on
// purpose: documentation space would draw private-address findings.

var www = Question{Name: "www.example.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET}

func srv(name, addr string, src Source) Server {
	return Server{Name: name, Addr: netip.MustParseAddr(addr), Source: src}
}

func rr(s string) dns.RR {
	r, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return r
}

// ref is a referral from zone, by s, to child with the NS names (TTL
// 172800) and glue given as "name addr".
func ref(zone string, s Server, child string, ns []string, glue ...string) *Hop {
	d := &Delegation{Zone: child}
	for _, n := range ns {
		d.NS = append(d.NS, NS{Name: n, TTL: 172800})
	}
	for _, g := range glue {
		name, addr, _ := strings.Cut(g, " ")
		gl := Glue{Name: name, Addr: netip.MustParseAddr(addr), TTL: 172800}
		if !dns.IsSubDomain(zone, name) {
			gl.Ignored = ReasonOutOfBailiwick
		}
		d.Glue = append(d.Glue, gl)
	}
	return &Hop{Zone: zone, Server: s, Port: 53, Question: www, Protocol: "udp", Rcode: 0, Outcome: Referral, Referral: d, RTT: time.Millisecond}
}

// answer is an authoritative answer from s for zone.
func answer(zone string, s Server, q Question, records ...string) *Hop {
	h := &Hop{Zone: zone, Server: s, Port: 53, Question: q, Protocol: "udp", Rcode: 0, AA: true, Outcome: Answer, RTT: time.Millisecond}
	for _, r := range records {
		h.Answer = append(h.Answer, rr(r))
	}
	return h
}

// childNS is the check of zone's own NS set, each record "name ttl".
func childNS(zone string, s Server, ns ...string) *Hop {
	var recs []string
	for _, n := range ns {
		name, ttl, _ := strings.Cut(n, " ")
		recs = append(recs, fmt.Sprintf("%s %s IN NS %s", zone, ttl, name))
	}
	h := answer(zone, s, Question{Name: zone, Qtype: dns.TypeNS, Qclass: dns.ClassINET}, recs...)
	h.Purpose = PurposeChildNS
	return h
}

func timeout(zone string, s Server) *Hop {
	return &Hop{Zone: zone, Server: s, Port: 53, Question: www, Protocol: "udp", Rcode: -1, Outcome: Error,
		Err: errors.New("timeout after 2s"), Reason: ReasonTimeout, RTT: 2 * time.Second}
}

// notSent is a query to s that this host could not send: no route to its
// address's family.
func notSent(zone string, s Server) *Hop {
	return &Hop{Zone: zone, Server: s, Port: 53, Question: www, Rcode: -1, Outcome: Error,
		Err: fmt.Errorf("this host has no route: %w", syscall.ENETUNREACH), Reason: ReasonNoRoute}
}

func rcode(zone string, s Server, rc int) *Hop {
	r := map[int]Reason{dns.RcodeRefused: ReasonRefused, dns.RcodeServerFailure: ReasonServfail}[rc]
	return &Hop{Zone: zone, Server: s, Port: 53, Question: www, Protocol: "udp", Rcode: rc, Outcome: Error,
		Err: errors.New(dns.RcodeToString[rc]), Reason: cmp.Or(r, ReasonRcode)}
}

// lame is a reply from s that does not serve zone, for reason r; to is the
// zone a referral that is not followed names.
func lame(zone string, s Server, r Reason, to string) *Hop {
	return &Hop{Zone: zone, Server: s, Port: 53, Question: www, Protocol: "udp", Rcode: 0, Outcome: Lame,
		Err: errors.New(string(r)), Reason: r, ReferredTo: to}
}

func lookup(q Question, outcome Outcome, hops []*Hop, answer ...string) *Trace {
	t := &Trace{Question: q, Hops: hops, Outcome: outcome}
	for _, r := range answer {
		t.Answer = append(t.Answer, rr(r))
	}
	if outcome == Failed {
		t.Err, t.Reason = errors.New("all 1 servers failed"), ReasonAllServersFailed
	}
	return t
}

var (
	rootA = srv("k.root-servers.net.", "193.0.14.129", SourceHints)
	gtldA = srv("a.gtld-servers.net.", "192.5.6.30", SourceGlue)
	ns1   = srv("ns1.example.com.", "45.33.10.1", SourceGlue)
	ns2   = srv("ns2.example.com.", "93.184.20.2", SourceGlue)
)

var (
	gtlds   = []string{"a.gtld-servers.net.", "b.gtld-servers.net."}
	gtldGlu = []string{"a.gtld-servers.net. 192.5.6.30", "b.gtld-servers.net. 192.33.14.30"}
	exNS    = []string{"ns1.example.com.", "ns2.example.com."}
	exGlue  = []string{"ns1.example.com. 45.33.10.1", "ns2.example.com. 93.184.20.2"}
)

// healthy is root → com → example.com, with two servers on separate
// networks at each step and the child NS checks agreeing with the parents.
func healthy() *Trace {
	return &Trace{Question: www, Outcome: Answer, Hops: []*Hop{
		ref(".", rootA, "com.", gtlds, gtldGlu...),
		ref("com.", gtldA, "example.com.", exNS, exGlue...),
		childNS("com.", gtldA, "a.gtld-servers.net. 172800", "b.gtld-servers.net. 172800"),
		answer("example.com.", ns1, www, "www.example.com. 300 IN A 192.0.2.10"),
		childNS("example.com.", ns1, "ns1.example.com. 172800", "ns2.example.com. 172800"),
	}}
}

// edit returns healthy with f applied.
func edit(f func(t *Trace)) func() *Trace {
	return func() *Trace { t := healthy(); f(t); return t }
}

// want is one finding expected: code, zone, server name and address ("" for
// none), and the hops (IDs) when not nil.
type want struct {
	code, zone, name, addr string
	hops                   []int
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name  string
		trace func() *Trace
		want  []want
		// only says the findings must be exactly want; otherwise want
		// must be among them.
		only bool
	}{
		{name: "healthy", trace: healthy, only: true},
		{name: "ns-ttl-mismatch", only: true, trace: edit(func(t *Trace) {
			t.Hops[4] = childNS("example.com.", ns1, "ns1.example.com. 3600", "ns2.example.com. 3600")
		}), want: []want{{code: CodeNSTTLMismatch, zone: "example.com.", hops: []int{2, 5}}}},
		{name: "missing-glue", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS, exGlue[1])
		}), want: []want{{code: CodeMissingGlue, zone: "example.com.", name: "ns1.example.com.", hops: []int{2}}}},
		{name: "sibling names need no glue", only: true, trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", []string{"ns1.example.net.", "ns2.example.org."})
			t.Hops[3].Server = srv("ns1.example.net.", "45.33.10.1", SourceResolved)
			t.Hops[4] = childNS("example.com.", ns1, "ns1.example.net. 172800", "ns2.example.org. 172800")
		})},
		{name: "lame-server REFUSED", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, rcode("example.com.", ns1, dns.RcodeRefused))
			t.Hops[4].Server = ns2
		}), want: []want{{code: CodeLameServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4}}}},
		{name: "lame-server SERVFAIL", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, rcode("example.com.", ns1, dns.RcodeServerFailure))
		}), want: []want{{code: CodeLameServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1"}}},
		{name: "lame-server without AA", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, lame("example.com.", ns1, ReasonNotAuthoritative, ""))
		}), want: []want{{code: CodeLameServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1"}}},
		{name: "upward-referral", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, lame("example.com.", ns1, ReasonUpwardReferral, "."))
		}), want: []want{
			{code: CodeLameServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4}},
			{code: CodeUpwardReferral, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4}},
		}},
		{name: "referral-loop", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, lame("example.com.", ns1, ReasonHorizontalReferral, "example.com."))
		}), want: []want{{code: CodeReferralLoop, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1"}}},
		{name: "sideways-referral", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, lame("example.com.", ns1, ReasonSidewaysReferral, "sideways.invalid."))
		}), want: []want{{code: CodeSidewaysReferral, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1"}}},
		{name: "unreachable-server after retries", trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, timeout("example.com.", ns1), timeout("example.com.", ns1))
			t.Hops[5].Server, t.Hops[6].Server = ns2, ns2
		}), want: []want{{code: CodeUnreachableServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4, 5}}}},
		{name: "a retry that is answered is no finding", only: true, trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, timeout("example.com.", ns1))
		})},
		{name: "abandoned queries say nothing", only: true, trace: edit(func(t *Trace) {
			h := timeout("example.com.", ns2)
			h.Outcome, h.Err, h.Reason = Abandoned, errors.New("abandoned"), ReasonAbandoned
			t.Hops = slices.Insert(t.Hops, 4, h)
		})},
		{name: "cancelled queries say nothing", only: true, trace: edit(func(t *Trace) {
			h := timeout("example.com.", ns2)
			h.Err, h.Reason = context.Canceled, ReasonCancelled
			t.Hops = slices.Insert(t.Hops, 4, h)
		})},
		{name: "all-servers-failed", trace: func() *Trace {
			t := healthy()
			t.Hops = append(t.Hops[:3], rcode("example.com.", ns1, dns.RcodeRefused), timeout("example.com.", ns2))
			t.Outcome, t.Err, t.Reason = Failed, errors.New("all servers failed"), ReasonAllServersFailed
			return t
		}, want: []want{
			{code: CodeAllServersFailed, zone: "example.com.", hops: []int{4, 5}},
			{code: CodeLameServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1"},
			{code: CodeUnreachableServer, zone: "example.com.", name: "ns2.example.com.", addr: "93.184.20.2"},
		}},
		{name: "all-servers-failed: no server could be asked", trace: func() *Trace {
			t := healthy()
			r := ref("com.", gtldA, "example.com.", []string{"ns1.example.net."})
			r.Lookups = []*Trace{lookup(Question{Name: "ns1.example.net.", Qtype: dns.TypeA}, Failed, []*Hop{timeout(".", rootA)})}
			t.Hops = []*Hop{t.Hops[0], r}
			t.Outcome, t.Err, t.Reason = Failed, errors.New("all servers failed"), ReasonAllServersFailed
			return t
		}, want: []want{{code: CodeAllServersFailed, zone: "example.com.", hops: []int{2}}}},
		{name: "a limit of nstrace is not the zone's failure", only: true, trace: func() *Trace {
			// ns1 timed out once, and the budget allowed no second try:
			// not asked to the end.
			t := healthy()
			t.Hops = append(t.Hops[:3], timeout("example.com.", ns1))
			t.Outcome, t.Err, t.Reason = Failed, errors.New("query budget exhausted"), ReasonQueryLimit
			return t
		}},
		{name: "the deadline cuts a server short: not asked to the end", only: true, trace: func() *Trace {
			t := healthy()
			gtldB := srv("b.gtld-servers.net.", "192.33.14.30", SourceGlue)
			cutShort := timeout("example.com.", ns2)
			cutShort.Outcome, cutShort.Err, cutShort.Reason = Abandoned, errors.New("trace deadline exceeded"), ReasonDeadline
			// b.gtld timed out twice before com.'s other server answered:
			// that zone was asked to the end.
			t.Hops = append([]*Hop{t.Hops[0], timeout("com.", gtldB), timeout("com.", gtldB)}, t.Hops[1:3]...)
			t.Hops = append(t.Hops, timeout("example.com.", ns1), cutShort)
			t.Outcome, t.Err, t.Reason = Failed, errors.New("trace deadline exceeded"), ReasonDeadline
			return t
		}, want: []want{{code: CodeUnreachableServer, zone: "com.", name: "b.gtld-servers.net.", addr: "192.33.14.30", hops: []int{2, 3}}}},
		{name: "no route: this host's failure, said once", only: true, trace: edit(func(t *Trace) {
			t.Hops = slices.Insert(t.Hops, 3, notSent("example.com.", srv("ns1.example.com.", "2a01:4f8:10::1", SourceGlue)))
			t.Hops = slices.Insert(t.Hops, 0, notSent(".", srv("k.root-servers.net.", "2001:7fd::1", SourceHints)))
		}), want: []want{{code: CodeNoIPv6Route, zone: ".", hops: []int{1, 5}},
			// True of the delegation, whichever host traces it.
			{code: CodeFamilyNotRedundant, zone: "example.com."}}},
		{name: "no route to any server: no zone failed", only: true, trace: func() *Trace {
			t := healthy()
			t.Hops = append(t.Hops[:3], notSent("example.com.", ns1), notSent("example.com.", ns2))
			t.Outcome, t.Err, t.Reason = Failed, errors.New("this host cannot reach any server of example.com."), ReasonNoRoute
			return t
		}, want: []want{{code: CodeNoIPv4Route, zone: "example.com.", hops: []int{4, 5}}}},
		{name: "no route beside a timeout: the zone failed, as asked", trace: func() *Trace {
			t := healthy()
			t.Hops = append(t.Hops[:3], notSent("example.com.", srv("ns1.example.com.", "2a01:4f8:10::1", SourceGlue)), timeout("example.com.", ns2))
			t.Outcome, t.Err, t.Reason = Failed, errors.New("all servers failed"), ReasonAllServersFailed
			return t
		}, want: []want{
			{code: CodeAllServersFailed, zone: "example.com.", hops: []int{5}},
			{code: CodeUnreachableServer, zone: "example.com.", name: "ns2.example.com.", addr: "93.184.20.2"},
			{code: CodeNoIPv6Route, zone: "example.com.", hops: []int{4}},
		}},
		{name: "ns-mismatch", trace: edit(func(t *Trace) {
			t.Hops[4] = childNS("example.com.", ns1, "ns1.example.com. 172800", "ns3.example.com. 172800")
		}), want: []want{
			{code: CodeNSMismatch, zone: "example.com.", name: "ns2.example.com.", hops: []int{2, 5}},
			{code: CodeNSMismatch, zone: "example.com.", name: "ns3.example.com.", hops: []int{2, 5}},
		}},
		{name: "ns-is-cname", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", []string{"ns.example.net.", "ns2.example.org."})
			q := Question{Name: "ns.example.net.", Qtype: dns.TypeA}
			t.Hops[1].Lookups = []*Trace{lookup(q, Answer,
				[]*Hop{answer("example.net.", srv("a.example.net.", "45.1.1.1", SourceHints), q, "ns.example.net. 300 IN CNAME host.example.net.", "host.example.net. 300 IN A 45.33.10.1")},
				"ns.example.net. 300 IN CNAME host.example.net.", "host.example.net. 300 IN A 45.33.10.1")}
		}), want: []want{{code: CodeNSIsCNAME, zone: "example.com.", name: "ns.example.net.", hops: []int{3}}}},
		{name: "ns-is-address", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", []string{"45.33.10.1.example.com.", "ns2.example.com."}, exGlue[1])
		}), want: []want{{code: CodeNSIsAddress, zone: "example.com.", name: "45.33.10.1.example.com."}}},
		{name: "ns-unresolvable", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", []string{"ns.nowhere.example.net.", "ns2.example.org."})
			qa := Question{Name: "ns.nowhere.example.net.", Qtype: dns.TypeA}
			qaaaa := Question{Name: "ns.nowhere.example.net.", Qtype: dns.TypeAAAA}
			nx := func(q Question) *Hop {
				h := answer("example.net.", srv("a.example.net.", "45.1.1.1", SourceHints), q)
				h.Outcome = NXDomain
				return h
			}
			t.Hops[1].Lookups = []*Trace{lookup(qa, NXDomain, []*Hop{nx(qa)}), lookup(qaaaa, NXDomain, []*Hop{nx(qaaaa)})}
		}), want: []want{{code: CodeNSUnresolvable, zone: "example.com.", name: "ns.nowhere.example.net.", hops: []int{3, 4}}}},
		{name: "NODATA for A alone is no finding", only: true, trace: edit(func(t *Trace) {
			q := Question{Name: "ns3.example.org.", Qtype: dns.TypeA}
			h := answer("example.org.", srv("a.example.org.", "45.1.1.1", SourceHints), q)
			h.Outcome = NoData
			t.Hops[1].Lookups = []*Trace{lookup(q, NoData, []*Hop{h})}
		})},
		{name: "single-nameserver", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS[:1], exGlue[0])
		}), want: []want{{code: CodeSingleNameserver, zone: "example.com.", name: "ns1.example.com."}}},
		{name: "nameservers-not-diverse IPv4", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS, "ns1.example.com. 45.33.10.1", "ns2.example.com. 45.33.10.2")
		}), want: []want{{code: CodeNotDiverse, zone: "example.com.", hops: []int{2}}}},
		{name: "nameservers-not-diverse IPv6", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS, append(exGlue, "ns1.example.com. 2a01:4f8:1:2::1", "ns2.example.com. 2a01:4f8:1:3::2")...)
		}), want: []want{{code: CodeNotDiverse, zone: "example.com."}}},
		{name: "diverse across a /48", only: true, trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS, append(exGlue, "ns1.example.com. 2a01:4f8:1::1", "ns2.example.com. 2a01:4f8:2::2")...)
		})},
		{name: "one address is not a network", only: true, trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", []string{"ns1.example.net.", "ns2.example.org."})
			t.Hops[3].Server = srv("ns1.example.net.", "45.33.10.1", SourceResolved)
			t.Hops[4] = childNS("example.com.", t.Hops[3].Server, "ns1.example.net. 172800", "ns2.example.org. 172800")
		})},
		{name: "glue-mismatch", trace: func() *Trace {
			q := Question{Name: "ns1.example.net.", Qtype: dns.TypeA}
			pns := []string{"ns1.example.net.", "ns2.example.net."}
			l := lookup(q, Answer, []*Hop{
				ref(".", rootA, "net.", gtlds, gtldGlu...),
				ref("net.", gtldA, "example.net.", pns, "ns1.example.net. 45.33.10.1", "ns2.example.net. 93.184.20.2"),
				answer("example.net.", srv("ns1.example.net.", "45.33.10.1", SourceGlue), q, "ns1.example.net. 300 IN A 45.33.99.1"),
			}, "ns1.example.net. 300 IN A 45.33.99.1")
			t := healthy()
			t.Hops[1] = ref("com.", gtldA, "example.com.", pns)
			t.Hops[1].Lookups = []*Trace{l}
			t.Hops[3].Server = srv("ns1.example.net.", "45.33.99.1", SourceResolved)
			t.Hops[4] = childNS("example.com.", t.Hops[3].Server, "ns1.example.net. 172800", "ns2.example.net. 172800")
			return t
		}, want: []want{{code: CodeGlueMismatch, zone: "example.net.", name: "ns1.example.net.", addr: "45.33.10.1", hops: []int{4, 5}}}},
		{name: "circular-delegation", trace: func() *Trace {
			t := healthy()
			t.Hops[1] = ref("com.", gtldA, "a.com.", []string{"ns.b.com."})
			inner := lookup(Question{Name: "ns.b.com.", Qtype: dns.TypeA}, Failed, []*Hop{
				ref(".", rootA, "com.", gtlds, gtldGlu...),
				ref("com.", gtldA, "b.com.", []string{"ns.a.com."}),
			})
			innermost := lookup(Question{Name: "ns.a.com.", Qtype: dns.TypeA}, Failed, []*Hop{
				ref(".", rootA, "com.", gtlds, gtldGlu...),
				ref("com.", gtldA, "a.com.", []string{"ns.b.com."}),
			})
			loop := [][]string{{"ns.b.com.", "ns.a.com.", "ns.b.com."}}
			innermost.Loops = loop
			inner.Hops[1].Lookups = []*Trace{innermost}
			inner.Loops = loop
			t.Hops[1].Lookups = []*Trace{inner}
			t.Hops = t.Hops[:2]
			t.Outcome, t.Err, t.Reason, t.Loops = Failed, errors.New("all servers failed"), ReasonAllServersFailed, loop
			return t
		}, want: []want{
			{code: CodeCircularDelegation, zone: "a.com.", hops: []int{2, 4}},
			{code: CodeAllServersFailed, zone: "a.com."},
			{code: CodeAllServersFailed, zone: "b.com."},
		}},
		{name: "a name that needs itself is missing glue, not a circle", trace: func() *Trace {
			t := healthy()
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS[:1])
			l := lookup(Question{Name: "ns1.example.com.", Qtype: dns.TypeA}, Failed, []*Hop{ref(".", rootA, "com.", gtlds, gtldGlu...), ref("com.", gtldA, "example.com.", exNS[:1])})
			l.Loops = [][]string{{"ns1.example.com.", "ns1.example.com."}}
			t.Hops[1].Lookups = []*Trace{l}
			t.Hops = t.Hops[:2]
			t.Outcome, t.Err, t.Reason, t.Loops = Failed, l.Err, l.Reason, l.Loops
			return t
		}, want: []want{{code: CodeMissingGlue, zone: "example.com.", name: "ns1.example.com."}}},
		{name: "out-of-bailiwick-glue", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", []string{"ns1.example.net.", "ns2.example.org."}, "ns1.example.net. 45.33.10.9")
			t.Hops[3].Server = srv("ns1.example.net.", "45.33.10.1", SourceResolved)
			t.Hops[4] = childNS("example.com.", t.Hops[3].Server, "ns1.example.net. 172800", "ns2.example.org. 172800")
		}), want: []want{{code: CodeOutOfBailiwickGlue, zone: "example.com.", name: "ns1.example.net.", addr: "45.33.10.9", hops: []int{2}}}},
		{name: "private-address", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS, "ns1.example.com. 10.1.2.3", exGlue[1])
			t.Hops[3].Server = srv("ns1.example.com.", "10.1.2.3", SourceGlue)
		}), want: []want{{code: CodePrivateAddress, zone: "example.com.", name: "ns1.example.com.", addr: "10.1.2.3", hops: []int{2, 4}}}},
		{name: "private-address documentation and ULA", trace: edit(func(t *Trace) {
			t.Hops[1] = ref("com.", gtldA, "example.com.", exNS, "ns1.example.com. 192.0.2.1", "ns2.example.com. fd00::53")
		}), want: []want{
			{code: CodePrivateAddress, zone: "example.com.", name: "ns1.example.com.", addr: "192.0.2.1"},
			{code: CodePrivateAddress, zone: "example.com.", name: "ns2.example.com.", addr: "fd00::53"},
		}},
		{name: "tcp-failed", trace: edit(func(t *Trace) {
			h := timeout("example.com.", ns1)
			h.Truncated, h.Protocol, h.Err, h.Reason = true, "tcp", errors.New("connection reset by peer"), ReasonNetwork
			t.Hops = slices.Insert(t.Hops, 3, h)
		}), want: []want{{code: CodeTCPFailed, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4}}}},
		{name: "slow-server", only: true, trace: edit(func(t *Trace) {
			t.Hops[3].RTT = SlowRTT + time.Millisecond
		}), want: []want{{code: CodeSlowServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4}}}},
		{name: "any-query", only: true, trace: edit(func(t *Trace) {
			t.Question.Qtype = dns.TypeANY
		}), want: []want{{code: CodeAnyQuery, zone: "example.com.", hops: []int{4}}}},
		{name: "any-query answered minimally", only: true, trace: edit(func(t *Trace) {
			t.Question.Qtype = dns.TypeANY
			t.Hops[3].Answer = []dns.RR{rr(`www.example.com. 3600 IN HINFO "RFC8482" ""`)}
		}), want: []want{{code: CodeAnyQuery, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4}}}},
		{name: "soa-missing", only: true, trace: edit(func(t *Trace) {
			h := &Hop{Purpose: PurposeSOA, Zone: "example.com.", Server: ns2, Port: 53, Protocol: "udp", Rcode: dns.RcodeSuccess, AA: true,
				Question: Question{Name: "example.com.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET}, Outcome: NoData}
			t.Hops = slices.Insert(t.Hops, 4, h)
		}), want: []want{{code: CodeSOAMissing, zone: "example.com.", hops: []int{5}}}},
		{name: "a probe that timed out is no failure of the walk", only: true, trace: edit(func(t *Trace) {
			h := timeout("example.com.", ns2)
			h.Purpose, h.Protocol, h.Question = PurposeProbeTCP, "tcp", Question{Name: "example.com.", Qtype: dns.TypeSOA}
			t.Hops = slices.Insert(t.Hops, 4, h)
		})},
		{name: "the root's hints are not a delegation", only: true, trace: func() *Trace {
			t := healthy()
			t.Hops[0].Server = srv("a.root-servers.net.", "192.0.2.4", SourceHints)
			return t
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.trace()
			tr.Number()
			got := Diagnose(tr)
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, w.match) {
					t.Errorf("Diagnose() lacks %+v; got:\n%s", w, dump(got))
				}
			}
			// long-ns-ttl, which the NS TTL of healthy() draws, has its own
			// tests (diagnose_ttl_test.go).
			rest := slices.DeleteFunc(slices.Clone(got), func(f Finding) bool { return f.Code == CodeLongNSTTL })
			if tt.only && len(rest) != len(tt.want) {
				t.Errorf("Diagnose() = %d findings, want %d:\n%s", len(got), len(tt.want), dump(got))
			}
			check(t, tr, got)
		})
	}
}

func (w want) match(f Finding) bool {
	name, addr := "", ""
	if f.Server != nil {
		name, addr = f.Server.Name, addrText(f.Server.Addr)
	}
	return f.Code == w.code && f.Zone == w.zone && name == w.name && addr == w.addr &&
		(w.hops == nil || slices.Equal(f.Hops, w.hops))
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s %s %v: %s\n", f.Severity, f.Code, f.Zone, serverKey(f.Server), f.Hops, f.Message)
	}
	return b.String()
}

// check holds for every finding of every trace: a known code with its
// severity, a zone, a one-line message, hops that exist, in order.
func check(t *testing.T, tr *Trace, fs []Finding) {
	t.Helper()
	ids := map[int]bool{}
	tr.Walk(func(h *Hop) { ids[h.ID] = true })
	for i, f := range fs {
		if sev := SeverityOf(f.Code); sev == "" || sev != f.Severity && !(Graded(f.Code) && f.Severity.Rank() > sev.Rank()) {
			t.Errorf("finding %s has severity %q, want %q", f.Code, f.Severity, sev)
		}
		if f.Zone == "" || !strings.HasSuffix(f.Zone, ".") {
			t.Errorf("finding %s has zone %q", f.Code, f.Zone)
		}
		if f.Message == "" || strings.Contains(f.Message, "\n") {
			t.Errorf("finding %s message %q, want one line", f.Code, f.Message)
		}
		if len(f.Hops) == 0 || !slices.IsSorted(f.Hops) {
			t.Errorf("finding %s hops %v, want some, sorted", f.Code, f.Hops)
		}
		for _, id := range f.Hops {
			if !ids[id] {
				t.Errorf("finding %s names hop %d, which the trace lacks", f.Code, id)
			}
		}
		if i > 0 && fs[i-1].Severity.Rank() > f.Severity.Rank() {
			t.Errorf("finding %d (%s) is worse than finding %d (%s): not sorted by severity", i, f.Severity, i-1, fs[i-1].Severity)
		}
	}
	if again := Diagnose(tr); dump(again) != dump(fs) {
		t.Errorf("Diagnose() differs between two calls")
	}
}

func TestDiagnoseNil(t *testing.T) {
	if got := Diagnose(nil); got != nil {
		t.Errorf("Diagnose(nil) = %v, want nil", got)
	}
	if got := Diagnose(&Trace{Outcome: Failed, Err: errors.New("no root hints")}); len(got) != 0 {
		t.Errorf("Diagnose(empty trace) = %v, want none", got)
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		s, min Severity
		want   bool
	}{
		{SeverityError, SeverityError, true},
		{SeverityWarning, SeverityError, false},
		{SeverityError, SeverityWarning, true},
		{SeverityInfo, SeverityWarning, false},
		{SeverityInfo, SeverityInfo, true},
	} {
		if got := tt.s.AtLeast(tt.min); got != tt.want {
			t.Errorf("%s.AtLeast(%s) = %v, want %v", tt.s, tt.min, got, tt.want)
		}
	}
}

func TestSpecialRange(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want string // a word of the answer; "" for a routable address
	}{
		{"10.0.0.1", "private"}, {"172.31.255.255", "private"}, {"192.168.1.1", "private"},
		{"100.64.0.1", "carrier-grade"}, {"127.0.0.53", "loopback"}, {"169.254.1.1", "link-local"},
		{"192.0.2.1", "documentation"}, {"198.51.100.53", "documentation"}, {"203.0.113.9", "documentation"},
		{"2001:db8::1", "documentation"}, {"fd12:3456::1", "unique local"}, {"fe80::1", "link-local"},
		{"::1", "loopback"}, {"::ffff:10.0.0.1", "private"},
		{"193.0.14.129", ""}, {"172.32.0.1", ""}, {"2001:503:ba3e::2:30", ""}, {"192.36.148.17", ""},
	} {
		got := SpecialRange(netip.MustParseAddr(tt.addr))
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("SpecialRange(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestLooksLikeAddress(t *testing.T) {
	for name, want := range map[string]bool{
		"192.0.2.1.":             true,
		"192.0.2.1.example.com.": true,
		"2001:db8::1.":           true,
		"ns1.example.com.":       false,
		"1.2.3.example.com.":     false,
		"300.1.1.1.example.":     false,
		"01.2.3.4.example.":      false,
	} {
		if got := looksLikeAddress(name); got != want {
			t.Errorf("looksLikeAddress(%q) = %v, want %v", name, got, want)
		}
	}
}
