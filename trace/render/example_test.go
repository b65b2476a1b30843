package render_test

import (
	"net/netip"
	"os"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

func ExampleTree() {
	q := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	a, _ := dns.NewRR("www.example.com. 3600 IN A 192.0.2.80")
	t := &trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   []dns.RR{a},
		Queries:  2,
		Duration: 21 * time.Millisecond,
		Hops: []*trace.Hop{
			{
				Zone:     "com.",
				Server:   trace.Server{Name: "a.gtld-servers.net.", Addr: netip.MustParseAddr("192.0.2.10"), Source: trace.SourceHints},
				Port:     53,
				Question: q,
				Protocol: "udp",
				RTT:      12 * time.Millisecond,
				Outcome:  trace.Referral,
				Referral: &trace.Delegation{
					Zone: "example.com.",
					NS:   []trace.NS{{Name: "ns1.example.com.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns1.example.com.", Addr: netip.MustParseAddr("192.0.2.53"), TTL: 172800}},
				},
			},
			{
				Zone:     "example.com.",
				Server:   trace.Server{Name: "ns1.example.com.", Addr: netip.MustParseAddr("192.0.2.53"), Source: trace.SourceGlue},
				Port:     53,
				Question: q,
				Protocol: "udp",
				RTT:      9 * time.Millisecond,
				AA:       true,
				Outcome:  trace.Answer,
				Answer:   []dns.RR{a},
			},
		},
	}
	render.Tree(os.Stdout, t, render.Options{})
	// Output:
	// www.example.com. IN A
	// ├─ com.          a.gtld-servers.net. 192.0.2.10 (hints)  12ms udp  referral → example.com. (1 NS, 1 glue)
	// │                NS ns1.example.com. (TTL 172800)
	// └─ example.com.  ns1.example.com. 192.0.2.53 (glue)       9ms udp  answer 192.0.2.80
	//    www.example.com. 3600 IN A 192.0.2.80
	// answer · 2 queries · 21ms
}
