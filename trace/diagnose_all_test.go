package trace

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// More servers for the traces of --all.
var (
	gtldB = srv("b.gtld-servers.net.", "192.33.14.30", SourceGlue)
	gtldC = srv("c.gtld-servers.net.", "192.26.92.30", SourceGlue)
	ns1v6 = srv("ns1.example.com.", "2a01:4f8:10::1", SourceGlue)
	ns3   = srv("ns3.example.com.", "151.80.30.3", SourceGlue)
)

// soaHop is a server's answer for zone's SOA, as --all asks it.
func soaHop(zone string, s Server, serial string) *Hop {
	h := answer(zone, s, Question{Name: zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET},
		zone+" 3600 IN SOA ns1."+zone+" hostmaster."+zone+" "+serial+" 7200 3600 1209600 3600")
	h.Purpose = PurposeSOA
	return h
}

// walkAll is a walk that asked two com. servers and then the servers of
// example.com. given by tail.
func walkAll(com []*Hop, tail ...*Hop) *Trace {
	t := &Trace{Question: www, Outcome: Answer}
	t.Hops = append(t.Hops, ref(".", rootA, "com.", gtlds, gtldGlu...))
	t.Hops = append(t.Hops, com...)
	t.Hops = append(t.Hops, tail...)
	return t
}

var agreeing = []*Hop{
	ref("com.", gtldA, "example.com.", exNS, exGlue...),
	ref("com.", gtldB, "example.com.", exNS, exGlue...),
}

func TestDiagnoseConsistency(t *testing.T) {
	wwwA := func(s Server, addrs ...string) *Hop {
		var recs []string
		for _, a := range addrs {
			recs = append(recs, "www.example.com. 300 IN A "+a)
		}
		return answer("example.com.", s, www, recs...)
	}
	simulated := ref("com.", Server{Name: "--delegate"}, "example.com.", []string{"ns9.example.net."})
	simulated.Simulated = true
	tests := []struct {
		name  string
		trace *Trace
		want  []want // every consistency finding
	}{
		{"all agree", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), wwwA(ns2, "192.0.2.10"),
			soaHop("example.com.", ns1, "2025020100"), soaHop("example.com.", ns2, "2025020100")), nil},
		{"one server only", walkAll(agreeing[:1], wwwA(ns1, "192.0.2.10")), nil},
		{"NS set differs", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS, exGlue...),
			ref("com.", gtldB, "example.com.", []string{"dns1.oldhost.net.", "dns2.oldhost.net."}),
		}, wwwA(ns1, "192.0.2.10")), []want{
			{CodeInconsistentReferral, "com.", "b.gtld-servers.net.", "192.33.14.30", []int{2, 3}}}},
		{"glue differs", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS, exGlue...),
			ref("com.", gtldB, "example.com.", exNS, "ns1.example.com. 45.33.10.1", "ns2.example.com. 93.184.20.9"),
		}, wwwA(ns1, "192.0.2.10")), []want{
			{CodeInconsistentReferral, "com.", "b.gtld-servers.net.", "192.33.14.30", []int{2, 3}}}},
		{"glue left out is not a difference", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS, exGlue...),
			ref("com.", gtldB, "example.com.", exNS, exGlue[0]),
		}, wwwA(ns1, "192.0.2.10")), nil},
		{"no glue at all against glue", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS),
			ref("com.", gtldB, "example.com.", exNS, exGlue...),
		}, wwwA(ns1, "192.0.2.10")), nil},
		{"AAAA glue left out is not a difference", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS, append(slices.Clone(exGlue), "ns1.example.com. 2a01:4f8:10::1")...),
			ref("com.", gtldB, "example.com.", exNS, exGlue...),
		}, wwwA(ns1, "192.0.2.10")), nil},
		{"glue that conflicts, with a server between that leaves it out", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS, exGlue...),
			ref("com.", gtldB, "example.com.", exNS, exGlue[0]),
			ref("com.", gtldC, "example.com.", exNS, exGlue[0], "ns2.example.com. 93.184.20.9"),
		}, wwwA(ns1, "192.0.2.10")), []want{
			{CodeInconsistentReferral, "com.", "c.gtld-servers.net.", "192.26.92.30", []int{2, 4}}}},
		{"order, case and TTLs of a referral do not count", walkAll([]*Hop{
			ref("com.", gtldA, "example.com.", exNS, exGlue...),
			func() *Hop {
				h := ref("com.", gtldB, "example.com.", []string{"NS2.example.com.", "ns1.example.com."}, exGlue[1], exGlue[0])
				h.Referral.NS[0].TTL = 3600
				return h
			}(),
		}, wwwA(ns1, "192.0.2.10")), nil},
		{"answers differ: the minority is flagged", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), wwwA(ns2, "192.0.2.99"), wwwA(ns3, "192.0.2.10")), []want{
			{CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "93.184.20.2", []int{4, 5}}}},
		{"answers differ, one each: the later in server order is flagged", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), wwwA(ns2, "192.0.2.99")), []want{
			{CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "93.184.20.2", []int{4, 5}}}},
		{"the order of an RRset does not count", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10", "192.0.2.11"), wwwA(ns2, "192.0.2.11", "192.0.2.10")), nil},
		{"TTLs differ", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), answer("example.com.", ns2, www, "www.example.com. 60 IN A 192.0.2.10")), []want{
			{CodeAnswerTTLMismatch, "example.com.", "", "", []int{4, 5}}}},
		{"NXDOMAIN against an answer", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), wwwA(ns3, "192.0.2.10"),
			&Hop{Zone: "example.com.", Server: ns2, Question: www, Protocol: "udp", Rcode: dns.RcodeNameError, AA: true, Outcome: NXDomain}), []want{
			{CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "93.184.20.2", []int{4, 6}}}},
		{"a referral against answers", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), wwwA(ns3, "192.0.2.10"),
			ref("example.com.", ns2, "www.example.com.", []string{"ns.www.example.com."}, "ns.www.example.com. 45.33.99.1")), []want{
			{CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "93.184.20.2", []int{4, 6}}}},
		{"failures are not replies", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), timeout("example.com.", ns2), rcode("example.com.", ns3, dns.RcodeRefused),
			lame("example.com.", ns1v6, ReasonNotAuthoritative, "")), nil},
		{"the last reply of a retried address counts", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), timeout("example.com.", ns2), wwwA(ns2, "192.0.2.10")), nil},
		{"a simulated referral is not a server's", walkAll(append(slices.Clone(agreeing), simulated), wwwA(ns1, "192.0.2.10")), nil},
		{"the zone's own NS sets differ", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), childNS("example.com.", ns1, "ns1.example.com. 3600", "ns2.example.com. 3600"),
			wwwA(ns2, "192.0.2.10"), childNS("example.com.", ns2, "ns1.example.com. 3600", "ns3.example.com. 3600")), []want{
			{CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "93.184.20.2", []int{5, 7}}}},
		{"a serial behind", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), soaHop("example.com.", ns1, "2025020100"),
			wwwA(ns2, "192.0.2.10"), soaHop("example.com.", ns2, "2025010100"),
			wwwA(ns3, "192.0.2.10"), soaHop("example.com.", ns3, "2025020100")), []want{
			{CodeSOASerialMismatch, "example.com.", "ns2.example.com.", "93.184.20.2", []int{5, 7}}}},
		{"serials wrap (RFC 1982)", walkAll(agreeing,
			wwwA(ns1, "192.0.2.10"), soaHop("example.com.", ns1, "4294967295"),
			wwwA(ns2, "192.0.2.10"), soaHop("example.com.", ns2, "5")), []want{
			{CodeSOASerialMismatch, "example.com.", "ns1.example.com.", "45.33.10.1", []int{5, 7}}}},
		{"the question is the SOA: serials, not answers", &Trace{Question: Question{Name: "example.com.", Qtype: dns.TypeSOA}, Outcome: Answer, Hops: []*Hop{
			func() *Hop { h := soaHop("example.com.", ns1, "2"); h.Purpose = PurposeWalk; return h }(),
			func() *Hop { h := soaHop("example.com.", ns2, "1"); h.Purpose = PurposeWalk; return h }(),
		}}, []want{
			{CodeSOASerialMismatch, "example.com.", "ns2.example.com.", "93.184.20.2", []int{1, 2}}}},
		{"different questions are not compared", walkAll(agreeing,
			answer("example.com.", ns1, www, "www.example.com. 300 IN CNAME web.example.com."),
			answer("example.com.", ns2, Question{Name: "web.example.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET}, "web.example.com. 300 IN A 192.0.2.10")), nil},
	}
	mine := []string{CodeInconsistentReferral, CodeInconsistentAnswer, CodeSOASerialMismatch, CodeAnswerTTLMismatch}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.trace.Number()
			all := Diagnose(tt.trace)
			var got []Finding
			for _, f := range all {
				if slices.Contains(mine, f.Code) {
					got = append(got, f)
				}
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, w.match) {
					t.Errorf("Diagnose() lacks %+v; got:\n%s", w, dump(got))
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("Diagnose() = %d consistency findings, want %d:\n%s", len(got), len(tt.want), dump(got))
			}
			check(t, tt.trace, all)
		})
	}
}

// TestConsistencyMessages checks that the messages name who says what.
func TestConsistencyMessages(t *testing.T) {
	tr := walkAll([]*Hop{
		ref("com.", gtldA, "example.com.", exNS, exGlue...),
		ref("com.", gtldB, "example.com.", exNS, "ns1.example.com. 45.33.10.1", "ns2.example.com. 93.184.20.9"),
	},
		answer("example.com.", ns1, www, "www.example.com. 300 IN A 192.0.2.10"), soaHop("example.com.", ns1, "2025020100"),
		answer("example.com.", ns2, www, "www.example.com. 300 IN A 192.0.2.99"), soaHop("example.com.", ns2, "2025010100"))
	tr.Number()
	msgs := map[string]string{}
	for _, f := range Diagnose(tr) {
		msgs[f.Code] = f.Message
	}
	for code, want := range map[string][]string{
		CodeInconsistentReferral: {"b.gtld-servers.net. (192.33.14.30)", "differently from a.gtld-servers.net. (192.5.6.30)",
			"gives glue ns2.example.com. 93.184.20.9", "lacks glue ns2.example.com. 93.184.20.2"},
		CodeInconsistentAnswer: {"ns2.example.com. (93.184.20.2)", "gives the answer 192.0.2.99 for www.example.com. IN A",
			"ns1.example.com. (45.33.10.1) gives the answer 192.0.2.10"},
		CodeSOASerialMismatch: {"ns2.example.com. (93.184.20.2) serves example.com. with SOA serial 2025010100",
			"behind 2025020100 on ns1.example.com. (45.33.10.1)"},
	} {
		for _, w := range want {
			if !strings.Contains(msgs[code], w) {
				t.Errorf("%s message %q lacks %q", code, msgs[code], w)
			}
		}
	}
}

func TestReplyKeys(t *testing.T) {
	a := answer("example.com.", ns1, www, "www.example.com. 300 IN A 192.0.2.10", "WWW.example.com. 300 IN A 192.0.2.11")
	b := answer("example.com.", ns2, www, "www.example.com. 60 IN A 192.0.2.11", "www.example.com. 60 IN A 192.0.2.10")
	c := answer("example.com.", ns2, www, "www.example.com. 60 IN A 192.0.2.12")
	k := ReplyKeys([]*Hop{a, b, c, timeout("example.com.", ns1)})
	if k[0] != k[1] {
		t.Errorf("ReplyKeys differ for the same RRset in another order, case and TTL:\n%q\n%q", k[0], k[1])
	}
	if k[0] == k[2] {
		t.Errorf("ReplyKeys are the same for different RRsets: %q", k[0])
	}
	if k[3] != string(Error) {
		t.Errorf("ReplyKeys(timeout) = %q, want %q", k[3], Error)
	}

	// Referrals: glue one server leaves out agrees with both sides of a
	// conflict; the conflict itself does not.
	full := ref("com.", gtldA, "example.com.", exNS, exGlue...)
	none := ref("com.", gtldB, "example.com.", exNS)
	moved := ref("com.", gtldC, "example.com.", exNS, exGlue[0], "ns2.example.com. 93.184.20.9")
	for _, tt := range []struct {
		name   string
		hops   []*Hop
		same   [][2]int
		differ [][2]int
	}{
		{"left out", []*Hop{full, none}, [][2]int{{0, 1}}, nil},
		{"conflict", []*Hop{full, moved}, nil, [][2]int{{0, 1}}},
		{"left out beside a conflict", []*Hop{full, none, moved}, [][2]int{{0, 1}}, [][2]int{{0, 2}, {1, 2}}},
	} {
		k := ReplyKeys(tt.hops)
		for _, p := range tt.same {
			if k[p[0]] != k[p[1]] {
				t.Errorf("%s: ReplyKeys %d and %d differ:\n%q\n%q", tt.name, p[0], p[1], k[p[0]], k[p[1]])
			}
		}
		for _, p := range tt.differ {
			if k[p[0]] == k[p[1]] {
				t.Errorf("%s: ReplyKeys %d and %d are the same: %q", tt.name, p[0], p[1], k[p[0]])
			}
		}
	}
}

func TestSerialLess(t *testing.T) {
	for _, tt := range []struct {
		a, b uint32
		want bool
	}{
		{1, 2, true}, {2, 1, false}, {1, 1, false},
		{4294967295, 0, true}, {0, 4294967295, false},
		{2025010100, 2025020100, true},
	} {
		if got := SerialLess(tt.a, tt.b); got != tt.want {
			t.Errorf("SerialLess(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
