package render

import (
	"errors"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// numbered gives t with its hops numbered, as Trace returns every walk.
func numbered(t *trace.Trace) *trace.Trace {
	t.Number()
	return t
}

// Fixtures: whole walks built by hand, with RFC 5737 and RFC 3849 addresses
// and fixed times so that the goldens never change by themselves.

func mustRR(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}

func rrs(ss ...string) []dns.RR {
	out := make([]dns.RR, len(ss))
	for i, s := range ss {
		out[i] = mustRR(s)
	}
	return out
}

func srv(name, addr string, src trace.Source) trace.Server {
	return trace.Server{Name: name, Addr: netip.MustParseAddr(addr), Source: src}
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

var rootServer = srv("a.root-servers.net.", "198.51.100.1", trace.SourceHints)

// healthyTrace walks root → com. → example.com.; the com. referral has
// glueless NS names, resolved by two nested lookups (the second served from
// what the first learned).
func healthyTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	ns1 := trace.Question{Name: "ns1.dnsprovider.eu.", Qtype: dns.TypeA}
	ns2 := trace.Question{Name: "ns2.dnsprovider.eu.", Qtype: dns.TypeA}
	lookup1 := &trace.Trace{
		Question: ns1,
		Outcome:  trace.Answer,
		Answer:   rrs("ns1.dnsprovider.eu. 86400 IN A 203.0.113.1"),
		Queries:  3,
		Duration: ms(24.6),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: ns1, Protocol: "udp",
				Start: ms(20.4), RTT: ms(9.2), Size: 612, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "eu.",
					NS:   []trace.NS{{Name: "ns.eu.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns.eu.", Addr: netip.MustParseAddr("192.0.2.20"), TTL: 172800}},
				},
			},
			{
				Zone: "eu.", Server: srv("ns.eu.", "192.0.2.20", trace.SourceGlue), Port: 53, Question: ns1, Protocol: "udp",
				Start: ms(29.7), RTT: ms(8.1), Size: 201, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "dnsprovider.eu.",
					NS:   []trace.NS{{Name: "ns1.dnsprovider.eu.", TTL: 86400}, {Name: "ns2.dnsprovider.eu.", TTL: 86400}},
					Glue: []trace.Glue{
						{Name: "ns1.dnsprovider.eu.", Addr: netip.MustParseAddr("203.0.113.1"), TTL: 86400},
						{Name: "ns2.dnsprovider.eu.", Addr: netip.MustParseAddr("203.0.113.2"), TTL: 86400},
					},
				},
			},
			{
				Zone: "dnsprovider.eu.", Server: srv("ns1.dnsprovider.eu.", "203.0.113.1", trace.SourceGlue), Port: 53,
				Question: ns1, Protocol: "udp", Start: ms(37.9), RTT: ms(7.0), Size: 64, Rcode: dns.RcodeSuccess,
				AA: true, Outcome: trace.Answer, Answer: rrs("ns1.dnsprovider.eu. 86400 IN A 203.0.113.1"),
			},
		},
	}
	lookup2 := &trace.Trace{
		Question: ns2,
		Outcome:  trace.Answer,
		Answer:   rrs("ns2.dnsprovider.eu. 86400 IN A 203.0.113.2"),
		Queries:  1,
		Duration: ms(0.9),
		Hops: []*trace.Hop{{
			Zone: "dnsprovider.eu.", Server: srv("ns1.dnsprovider.eu.", "203.0.113.1", trace.SourceCache), Port: 53,
			Question: ns2, Protocol: "udp", Start: ms(45.1), RTT: ms(0.8), Size: 64, Rcode: dns.RcodeSuccess,
			AA: true, Outcome: trace.Answer, Answer: rrs("ns2.dnsprovider.eu. 86400 IN A 203.0.113.2"),
		}},
	}
	return numbered(&trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   rrs("www.example.com. 3600 IN A 192.0.2.80"),
		Queries:  7,
		Duration: ms(58.3),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: q, Protocol: "udp",
				RTT: ms(12.3), Size: 1170, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "com.",
					NS:   []trace.NS{{Name: "a.gtld-servers.net.", TTL: 172800}, {Name: "b.gtld-servers.net.", TTL: 172800}},
					Glue: []trace.Glue{
						{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.10"), TTL: 172800},
						{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("2001:db8::10"), TTL: 172800},
						{Name: "b.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.11"), TTL: 172800},
					},
				},
			},
			{
				Zone: "com.", Server: srv("a.gtld-servers.net.", "192.0.2.10", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(12.4), RTT: ms(7.9), Size: 180, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.com.",
					NS:   []trace.NS{{Name: "ns1.dnsprovider.eu.", TTL: 172800}, {Name: "ns2.dnsprovider.eu.", TTL: 172800}},
				},
				Lookups: []*trace.Trace{lookup1, lookup2},
			},
			{
				Zone: "example.com.", Server: srv("ns1.dnsprovider.eu.", "203.0.113.1", trace.SourceResolved), Port: 53,
				Question: q, Protocol: "udp", Start: ms(46.0), RTT: ms(9.4), Size: 60, Rcode: dns.RcodeSuccess,
				AA: true, Outcome: trace.Answer, Answer: rrs("www.example.com. 3600 IN A 192.0.2.80"),
			},
		},
	})
}

// failoverTrace has a referral with out-of-bailiwick glue, then a timeout
// and a REFUSED before the second nameserver answers.
func failoverTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.net.", Qtype: dns.TypeAAAA}
	return numbered(&trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   rrs("www.example.net. 300 IN AAAA 2001:db8::80"),
		Queries:  5,
		Duration: ms(2041),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: q, Protocol: "udp",
				RTT: ms(11.6), Size: 1174, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "net.",
					NS:   []trace.NS{{Name: "a.gtld-servers.net.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.10"), TTL: 172800}},
				},
			},
			{
				Zone: "net.", Server: srv("a.gtld-servers.net.", "192.0.2.10", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(11.7), RTT: ms(8.4), Size: 220, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.net.",
					NS:   []trace.NS{{Name: "ns1.example.net.", TTL: 3600}, {Name: "ns2.example.net.", TTL: 7200}},
					Glue: []trace.Glue{
						{Name: "ns1.example.net.", Addr: netip.MustParseAddr("192.0.2.53"), TTL: 3600},
						{Name: "ns1.example.net.", Addr: netip.MustParseAddr("2001:db8::53"), TTL: 3600},
						{Name: "ns2.example.net.", Addr: netip.MustParseAddr("198.51.100.54"), TTL: 3600},
						{Name: "ns.attacker.example.", Addr: netip.MustParseAddr("192.0.2.66"), TTL: 3600, Ignored: trace.ReasonOutOfBailiwick},
					},
				},
			},
			{
				Zone: "example.net.", Server: srv("ns1.example.net.", "192.0.2.53", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(20.2), RTT: 2 * time.Second, Rcode: -1, Outcome: trace.Error,
				Err: errors.New("read udp 192.0.2.53:53: i/o timeout"), Reason: trace.ReasonTimeout,
			},
			{
				Zone: "example.net.", Server: srv("ns1.example.net.", "2001:db8::53", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(2020.3), RTT: ms(10.2), Size: 33, Rcode: dns.RcodeRefused, Outcome: trace.Error,
				Err: errors.New("query refused"), Reason: trace.ReasonRefused,
			},
			{
				Zone: "example.net.", Server: srv("ns2.example.net.", "198.51.100.54", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(2030.6), RTT: ms(10.1), Size: 61, Rcode: dns.RcodeSuccess, AA: true,
				Outcome: trace.Answer, Answer: rrs("www.example.net. 300 IN AAAA 2001:db8::80"),
			},
		},
	})
}

// truncatedTrace asks a lab on port 5353 for a TXT RRset too big for UDP: the
// last query is repeated over TCP.
func truncatedTrace() *trace.Trace {
	q := trace.Question{Name: "example.org.", Qtype: dns.TypeTXT}
	answer := rrs(
		`example.org. 3600 IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"`,
		`example.org. 3600 IN TXT "google-site-verification=0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"`,
		`example.org. 3600 IN TXT "a<b & c>d"`,
		`example.org. 3600 IN TXT "ms=ms12345678"`,
	)
	return numbered(&trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   answer,
		Queries:  3,
		Duration: ms(3.2),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: srv("root.lab.", "127.0.0.1", trace.SourceUser), Port: 5353, Question: q, Protocol: "udp",
				RTT: ms(0.4), Size: 120, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "org.",
					NS:   []trace.NS{{Name: "ns.org.lab.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns.org.lab.", Addr: netip.MustParseAddr("127.0.0.2"), TTL: 172800}},
				},
			},
			{
				Zone: "org.", Server: srv("ns.org.lab.", "127.0.0.2", trace.SourceGlue), Port: 5353, Question: q, Protocol: "udp",
				Start: ms(0.5), RTT: ms(0.05), Size: 118, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.org.",
					NS:   []trace.NS{{Name: "ns.example.org.", TTL: 86400}},
					Glue: []trace.Glue{{Name: "ns.example.org.", Addr: netip.MustParseAddr("::1"), TTL: 86400}},
				},
			},
			{
				Zone: "example.org.", Server: srv("ns.example.org.", "::1", trace.SourceGlue), Port: 5353, Question: q,
				Protocol: "tcp", Truncated: true, Start: ms(0.6), RTT: ms(2.45), Size: 1843, Rcode: dns.RcodeSuccess,
				AA: true, Outcome: trace.Answer, Answer: answer,
			},
		},
	})
}

func soa(zone string) dns.RR {
	return mustRR(zone + " 900 IN SOA ns1." + zone + " hostmaster." + zone + " 2024061001 7200 3600 1209600 900")
}

// negativeTrace is a walk to example.com. ending in NXDOMAIN or NODATA.
func negativeTrace(q trace.Question, o trace.Outcome, rcode int) *trace.Trace {
	auth := []dns.RR{soa("example.com.")}
	return numbered(&trace.Trace{
		Question:  q,
		Outcome:   o,
		Authority: auth,
		Queries:   3,
		Duration:  ms(31.5),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: q, Protocol: "udp",
				RTT: ms(12.1), Size: 1170, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "com.",
					NS:   []trace.NS{{Name: "a.gtld-servers.net.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.10"), TTL: 172800}},
				},
			},
			{
				Zone: "com.", Server: srv("a.gtld-servers.net.", "192.0.2.10", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(12.2), RTT: ms(8.8), Size: 180, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.com.",
					NS:   []trace.NS{{Name: "ns1.example.com.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns1.example.com.", Addr: netip.MustParseAddr("192.0.2.53"), TTL: 172800}},
				},
			},
			{
				Zone: "example.com.", Server: srv("ns1.example.com.", "192.0.2.53", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(21.1), RTT: ms(10.3), Size: 104, Rcode: rcode, AA: true,
				Outcome: o, Authority: auth,
			},
		},
	})
}

func nxdomainTrace() *trace.Trace {
	q := trace.Question{Name: "nope.example.com.", Qtype: dns.TypeA}
	return negativeTrace(q, trace.NXDomain, dns.RcodeNameError)
}

// nodataTrace also asks the root a minimised question, which the tree shows.
func nodataTrace() *trace.Trace {
	q := trace.Question{Name: "example.com.", Qtype: dns.TypeMX, Qclass: dns.ClassINET}
	t := negativeTrace(q, trace.NoData, dns.RcodeSuccess)
	t.Hops[0].Question = trace.Question{Name: "com.", Qtype: dns.TypeNS}
	return t
}

// cnameTrace ends in an alias to another zone, with an unknown type asked.
func cnameTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.org.", Qtype: 65280}
	answer := rrs("www.example.org. 300 IN CNAME www.example.org.cdn.example.")
	return numbered(&trace.Trace{
		Question: q,
		Outcome:  trace.CNAME,
		Answer:   answer,
		Queries:  1,
		Duration: ms(0.07),
		Hops: []*trace.Hop{{
			Zone: "example.org.", Server: trace.Server{Addr: netip.MustParseAddr("192.0.2.99"), Source: trace.SourceUser},
			Port: 53, Question: q, Protocol: "udp", RTT: ms(0.06), Size: 90, Rcode: dns.RcodeSuccess,
			Outcome: trace.CNAME, Answer: answer,
		}},
	})
}

// failedTrace never gets an authoritative reply: the glueless NS name cannot
// be resolved, the other server is lame, then SERVFAIL over IPv6.
func failedTrace() *trace.Trace {
	q := trace.Question{Name: "broken.example.", Qtype: dns.TypeA}
	lq := trace.Question{Name: "ns2.dns-host.test.", Qtype: dns.TypeA}
	lookup := &trace.Trace{
		Question: lq,
		Outcome:  trace.Failed,
		Err:      errors.New("no usable servers for test."),
		Reason:   trace.ReasonAllServersFailed,
		Queries:  2,
		Duration: ms(2013),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: lq, Protocol: "udp",
				Start: ms(21.0), RTT: ms(12.5), Size: 500, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "test.",
					NS:   []trace.NS{{Name: "ns.test.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns.test.", Addr: netip.MustParseAddr("192.0.2.50"), TTL: 172800}},
				},
			},
			{
				Zone: "test.", Server: srv("ns.test.", "192.0.2.50", trace.SourceGlue), Port: 53, Question: lq,
				Protocol: "udp", Start: ms(33.6), RTT: 2 * time.Second, Rcode: -1, Outcome: trace.Error,
				Err: errors.New("read udp 192.0.2.50:53: i/o timeout"), Reason: trace.ReasonTimeout,
			},
		},
	}
	return numbered(&trace.Trace{
		Question: q,
		Outcome:  trace.Failed,
		Err:      errors.New("no usable servers for broken.example."),
		Reason:   trace.ReasonAllServersFailed,
		Queries:  6,
		Duration: ms(2061),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: q, Protocol: "udp",
				RTT: ms(11.9), Size: 400, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.",
					NS:   []trace.NS{{Name: "a.nic.example.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "a.nic.example.", Addr: netip.MustParseAddr("192.0.2.30"), TTL: 172800}},
				},
			},
			{
				Zone: "example.", Server: srv("a.nic.example.", "192.0.2.30", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(12.0), RTT: ms(8.9), Size: 150, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "broken.example.",
					NS:   []trace.NS{{Name: "ns1.broken.example.", TTL: 3600}, {Name: "ns2.dns-host.test.", TTL: 3600}},
					Glue: []trace.Glue{
						{Name: "ns1.broken.example.", Addr: netip.MustParseAddr("192.0.2.40"), TTL: 3600},
						{Name: "ns1.broken.example.", Addr: netip.MustParseAddr("2001:db8::40"), TTL: 3600},
					},
				},
				Lookups: []*trace.Trace{lookup},
			},
			{
				Zone: "broken.example.", Server: srv("ns1.broken.example.", "192.0.2.40", trace.SourceGlue), Port: 53,
				Question: q, Protocol: "udp", Start: ms(2034.1), RTT: ms(11.0), Size: 80, Rcode: dns.RcodeSuccess,
				Outcome: trace.Lame, Err: errors.New("not authoritative for broken.example."), Reason: trace.ReasonNotAuthoritative,
			},
			{
				Zone: "broken.example.", Server: srv("ns1.broken.example.", "2001:db8::40", trace.SourceGlue), Port: 53,
				Question: q, Protocol: "udp", Start: ms(2045.3), RTT: ms(15.2), Size: 33, Rcode: dns.RcodeServerFailure,
				Outcome: trace.Error, Err: errors.New("server failure"), Reason: trace.ReasonServfail,
			},
		},
	})
}

// docTrace is the example document in docs/json.md: a referral with glue
// the walk ignored, a timeout, then the answer from the same server over
// IPv6; numbered and diagnosed as the resolver does.
func docTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.", Qtype: dns.TypeA}
	answer := rrs("www.example. 3600 IN A 192.0.2.80")
	t := &trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   answer,
		Queries:  3,
		Duration: ms(2031.2),
		Started:  time.Date(2026, 12, 4, 20, 31, 7, 120458000, time.UTC),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: q, Protocol: "udp",
				RTT: ms(11.9), Size: 160, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.",
					NS:   []trace.NS{{Name: "a.nic.example.", TTL: 172800}},
					Glue: []trace.Glue{
						{Name: "a.nic.example.", Addr: netip.MustParseAddr("45.33.20.30"), TTL: 172800},
						{Name: "a.nic.example.", Addr: netip.MustParseAddr("2a01:4f8:20::30"), TTL: 172800},
						{Name: "ns.other.test.", Addr: netip.MustParseAddr("192.0.2.66"), TTL: 172800, Ignored: trace.ReasonNotNameserver},
					},
				},
			},
			{
				Zone: "example.", Server: srv("a.nic.example.", "45.33.20.30", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(12.0), RTT: 2 * time.Second, Rcode: -1, Outcome: trace.Error,
				Err: errors.New("read udp 45.33.20.30:53: i/o timeout"), Reason: trace.ReasonTimeout,
			},
			{
				Zone: "example.", Server: srv("a.nic.example.", "2a01:4f8:20::30", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(2012.1), RTT: ms(19.0), Size: 56, Rcode: dns.RcodeSuccess, AA: true,
				Outcome: trace.Answer, Answer: answer,
			},
		},
	}
	t.Number()
	t.Findings = trace.Diagnose(t)
	return t
}
