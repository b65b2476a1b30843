package render

import (
	"errors"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// primedCNAMETrace is "nstrace @192.0.2.53 shop.example.com": the server the
// user named is asked for the root NS set first; the walk then starts from
// the roots it named, meets a CNAME into another zone, and follows it from
// the root, where the first server times out and the second answers.
func primedCNAMETrace() *trace.Trace {
	q := trace.Question{Name: "shop.example.com.", Qtype: dns.TypeA}
	prime := trace.Question{Name: ".", Qtype: dns.TypeNS}
	target := trace.Question{Name: "shops.example.net.", Qtype: dns.TypeA}
	rootA := srv("a.root-servers.net.", "198.51.100.1", trace.SourcePrimed)
	rootB := srv("b.root-servers.net.", "198.51.100.2", trace.SourcePrimed)
	rootNS := rrs(
		". 518400 IN NS a.root-servers.net.",
		". 518400 IN NS b.root-servers.net.",
	)
	cname := rrs("shop.example.com. 300 IN CNAME shops.example.net.")
	answer := rrs("shops.example.net. 300 IN A 192.0.2.44")
	t := &trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   append(append([]dns.RR(nil), cname...), answer...),
		Queries:  8,
		Duration: ms(1043.4),
		Hops: []*trace.Hop{
			{
				Purpose: trace.PurposePrime, Zone: ".",
				Server: trace.Server{Addr: netip.MustParseAddr("192.0.2.53"), Source: trace.SourceUser},
				Port:   53, Question: prime, Protocol: "udp", RTT: ms(1.2), Size: 239, Rcode: dns.RcodeSuccess,
				Outcome: trace.Answer, Answer: rootNS,
			},
			{
				Zone: ".", Server: rootA, Port: 53, Question: q, Protocol: "udp",
				Start: ms(1.3), RTT: ms(10.9), Size: 495, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "com.",
					NS:   []trace.NS{{Name: "a.gtld-servers.net.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.10"), TTL: 172800}},
				},
			},
			{
				Zone: "com.", Server: srv("a.gtld-servers.net.", "192.0.2.10", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(12.3), RTT: ms(9.6), Size: 120, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.com.",
					NS:   []trace.NS{{Name: "ns1.example.com.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns1.example.com.", Addr: netip.MustParseAddr("192.0.2.20"), TTL: 172800}},
				},
			},
			{
				Zone: "example.com.", Server: srv("ns1.example.com.", "192.0.2.20", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(22.0), RTT: ms(8.3), Size: 74, Rcode: dns.RcodeSuccess, AA: true,
				Outcome: trace.CNAME, Answer: cname,
			},
			{
				Zone: ".", Server: rootA, Port: 53, Question: target, Protocol: "udp",
				Start: ms(30.4), RTT: time.Second, Rcode: -1, Outcome: trace.Error,
				Err: errors.New("timeout after 1s"), Reason: trace.ReasonTimeout,
			},
			{
				Zone: ".", Server: rootB, Port: 53, Question: target, Protocol: "udp",
				Start: ms(1030.5), RTT: ms(1.7), Size: 497, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "net.",
					NS:   []trace.NS{{Name: "a.gtld-servers.net.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.10"), TTL: 172800}},
				},
			},
			{
				Zone: "net.", Server: srv("a.gtld-servers.net.", "192.0.2.10", trace.SourceGlue), Port: 53, Question: target,
				Protocol: "udp", Start: ms(1032.3), RTT: ms(3.5), Size: 118, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.net.",
					NS:   []trace.NS{{Name: "ns.example.net.", TTL: 86400}},
					Glue: []trace.Glue{{Name: "ns.example.net.", Addr: netip.MustParseAddr("2001:db8::53"), TTL: 86400}},
				},
			},
			{
				Zone: "example.net.", Server: srv("ns.example.net.", "2001:db8::53", trace.SourceGlue), Port: 53,
				Question: target, Protocol: "udp", Start: ms(1035.9), RTT: ms(7.4), Size: 63, Rcode: dns.RcodeSuccess,
				AA: true, Outcome: trace.Answer, Answer: answer,
			},
		},
	}
	t.Number()
	return t
}
