package trace

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
)

func TestLongNSTTL(t *testing.T) {
	shortChild := func(t *Trace) {
		t.Hops[4] = childNS("example.com.", ns1, "ns1.example.com. 3600", "ns2.example.com. 3600")
	}
	tests := []struct {
		name  string
		trace func() *Trace
		hops  []int // of the finding; nil for none
		msg   string
	}{
		{name: "a day or more in the zone", trace: healthy, hops: []int{2, 5},
			msg: "the NS set of example.com. has a TTL of 172800 (2d) in the zone and 172800 (2d) at com.: a change of nameservers takes up to 48 hours to reach every resolver; ahead of a move, lower the zone's NS TTL to 3600 (1h), then to 300 (5m) for the switch"},
		{name: "exactly a day", trace: edit(func(t *Trace) {
			t.Hops[4] = childNS("example.com.", ns1, "ns1.example.com. 86400", "ns2.example.com. 86400")
		}), hops: []int{2, 5},
			msg: "the NS set of example.com. has a TTL of 86400 (1d) in the zone and 172800 (2d) at com.: a change of nameservers takes up to 48 hours to reach every resolver; ahead of a move, lower the zone's NS TTL to 3600 (1h), then to 300 (5m) for the switch"},
		// com.'s own NS set has a TTL of 172800 too, but com. is not the zone asked.
		{name: "an hour in the zone, whatever the parent says", trace: edit(shortChild)},
		{name: "no check of the zone's own NS set", trace: edit(func(t *Trace) { t.Hops = t.Hops[:4] })},
		{name: "a failed check", trace: edit(func(t *Trace) { t.Hops[4] = timeout("example.com.", ns1); t.Hops[4].Purpose = PurposeChildNS })},
		{name: "a CNAME target's zone is not the question's", trace: edit(func(t *Trace) {
			shortChild(t)
			t.Hops[3] = answer("example.com.", ns1, www, "www.example.com. 300 IN CNAME www.example.net.")
			t.Hops[3].Outcome = CNAME
			target := Question{Name: "www.example.net.", Qtype: dns.TypeA, Qclass: dns.ClassINET}
			netRef := ref("com.", gtldA, "example.net.", []string{"ns1.example.net."}, "ns1.example.net. 45.33.10.9")
			netRef.Zone, netRef.Question = ".", target
			netAns := answer("example.net.", srv("ns1.example.net.", "45.33.10.9", SourceGlue), target, "www.example.net. 300 IN A 192.0.2.10")
			netNS := childNS("example.net.", srv("ns1.example.net.", "45.33.10.9", SourceGlue), "ns1.example.net. 172800")
			t.Hops = append(t.Hops, netRef, netAns, netNS)
		})},
		{name: "NXDOMAIN from a TLD: no advice to the TLD", trace: func() *Trace {
			nx := &Hop{Zone: "com.", Server: gtldA, Port: 53, Question: www, Protocol: "udp", AA: true, Rcode: dns.RcodeNameError, Outcome: NXDomain}
			return &Trace{Question: www, Outcome: NXDomain, Hops: []*Hop{
				ref(".", rootA, "com.", gtlds, gtldGlu...), nx,
				childNS("com.", gtldA, "a.gtld-servers.net. 172800", "b.gtld-servers.net. 172800"),
			}}
		}},
		{name: "the parent of a simulated delegation is the real one", trace: edit(func(t *Trace) {
			sim := &Hop{Zone: "com.", Server: Server{Name: "--delegate", Source: SourceUser}, Question: www, Rcode: -1, Outcome: Referral, Simulated: true,
				Referral: &Delegation{Zone: "example.com.", NS: []NS{{Name: "ns1.example.com."}}, Glue: []Glue{{Name: "ns1.example.com.", Addr: ns1.Addr}}}}
			t.Hops = slices.Insert(t.Hops, 3, sim)
		}), hops: []int{2, 6},
			msg: "the NS set of example.com. has a TTL of 172800 (2d) in the zone and 172800 (2d) at com.: a change of nameservers takes up to 48 hours to reach every resolver; ahead of a move, lower the zone's NS TTL to 3600 (1h), then to 300 (5m) for the switch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.trace()
			tr.Number()
			var got []Finding
			for _, f := range Diagnose(tr) {
				if f.Code == CodeLongNSTTL {
					got = append(got, f)
				}
			}
			if tt.hops == nil {
				if len(got) != 0 {
					t.Errorf("Diagnose() = %s, want no long-ns-ttl", dump(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Diagnose() = %s, want one long-ns-ttl", dump(got))
			}
			f := got[0]
			if f.Severity != SeverityInfo || f.Zone != "example.com." || f.Server != nil || !slices.Equal(f.Hops, tt.hops) {
				t.Errorf("long-ns-ttl = %s, want info, example.com., no server, hops %v", dump(got), tt.hops)
			}
			if f.Message != tt.msg {
				t.Errorf("message = %q\nwant %q", f.Message, tt.msg)
			}
		})
	}
}

func TestNSTTLAdvice(t *testing.T) {
	tests := []struct {
		parent         string
		parentTTL, ttl uint32
		want           string
	}{
		{"com.", 172800, 86400, "the NS set of example.com. has a TTL of 86400 (1d) in the zone and 172800 (2d) at com.: a change of nameservers takes up to 48 hours to reach every resolver; ahead of a move, lower the zone's NS TTL to 3600 (1h), then to 300 (5m) for the switch"},
		{"", 0, 90000, "the NS set of example.com. has a TTL of 90000 (25h) in the zone: a change of nameservers takes up to 25 hours to reach every resolver; ahead of a move, lower the zone's NS TTL to 3600 (1h), then to 300 (5m) for the switch"},
		{"com.", 300, 3601, "the NS set of example.com. has a TTL of 3601 in the zone and 300 (5m) at com.: a change of nameservers takes up to 2 hours to reach every resolver; ahead of a move, lower the zone's NS TTL to 3600 (1h), then to 300 (5m) for the switch"},
	}
	for _, tt := range tests {
		if got := NSTTLAdvice("example.com.", tt.parent, tt.parentTTL, tt.ttl); got != tt.want {
			t.Errorf("NSTTLAdvice(%q, %d, %d) = %q\nwant %q", tt.parent, tt.parentTTL, tt.ttl, got, tt.want)
		}
	}
	for _, tt := range []struct {
		s    uint32
		want string
	}{{0, "1 minute"}, {60, "1 minute"}, {300, "5 minutes"}, {3599, "60 minutes"}, {3600, "1 hour"}, {3601, "2 hours"}, {172800, "48 hours"}} {
		if got := hoursText(tt.s); got != tt.want {
			t.Errorf("hoursText(%d) = %q, want %q", tt.s, got, tt.want)
		}
	}
}
