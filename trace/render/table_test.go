package render

import (
	"bytes"
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// allTrace is a walk that asked every server of every zone (--all): two
// root addresses; two com. servers that disagree on example.com.'s glue
// and on com.'s serial; three example.com. addresses, one of which times
// out twice, and two that give different addresses for www. Its findings
// are Diagnose's consistency findings.
func allTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	start := time.Duration(0)
	hop := func(purpose trace.Purpose, zone string, s trace.Server, rtt float64) *trace.Hop {
		hq := q
		switch purpose {
		case trace.PurposeSOA:
			hq = trace.Question{Name: zone, Qtype: dns.TypeSOA, Qclass: dns.ClassINET}
		case trace.PurposeChildNS:
			hq = trace.Question{Name: zone, Qtype: dns.TypeNS, Qclass: dns.ClassINET}
		}
		start += 100 * time.Microsecond
		return &trace.Hop{Purpose: purpose, Zone: zone, Server: s, Port: 53, Question: hq, Protocol: "udp",
			Start: start, RTT: ms(rtt), Size: 100, Rcode: dns.RcodeSuccess}
	}
	referral := func(h *trace.Hop, child string, ns []string, glue ...string) *trace.Hop {
		h.Outcome = trace.Referral
		h.Referral = &trace.Delegation{Zone: child}
		for _, n := range ns {
			h.Referral.NS = append(h.Referral.NS, trace.NS{Name: n, TTL: 172800})
		}
		for _, g := range glue {
			name, addr, _ := strings.Cut(g, " ")
			h.Referral.Glue = append(h.Referral.Glue, trace.Glue{Name: name, Addr: netip.MustParseAddr(addr), TTL: 172800})
		}
		return h
	}
	answer := func(h *trace.Hop, records ...string) *trace.Hop {
		h.Outcome, h.AA, h.Answer = trace.Answer, true, rrs(records...)
		return h
	}
	timeout := func(h *trace.Hop) *trace.Hop {
		h.Outcome, h.Rcode, h.Size, h.Err, h.Reason = trace.Error, -1, 0, errors.New("timeout after 2s"), trace.ReasonTimeout
		return h
	}
	soa := func(zone string, serial string) string {
		return zone + " 3600 IN SOA ns1." + zone + " hostmaster." + zone + " " + serial + " 7200 3600 1209600 3600"
	}
	nsRR := func(zone string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, zone+" 172800 IN NS "+n)
		}
		return out
	}

	root4 := srv("k.root-servers.net.", "193.0.14.129", trace.SourceHints)
	root6 := srv("k.root-servers.net.", "2001:7fd::1", trace.SourceHints)
	gtldA := srv("a.gtld-servers.net.", "192.5.6.30", trace.SourceGlue)
	gtldB := srv("b.gtld-servers.net.", "192.33.14.30", trace.SourceGlue)
	ns1v4 := srv("ns1.example.com.", "45.33.10.1", trace.SourceGlue)
	ns1v6 := srv("ns1.example.com.", "2a01:4f8:10::1", trace.SourceGlue)
	ns2 := srv("ns2.example.com.", "94.130.20.2", trace.SourceGlue)
	gtlds := []string{"a.gtld-servers.net.", "b.gtld-servers.net."}
	gtldGlue := []string{"a.gtld-servers.net. 192.5.6.30", "b.gtld-servers.net. 192.33.14.30"}
	exNS := []string{"ns1.example.com.", "ns2.example.com."}

	t := &trace.Trace{
		Mode:     trace.Mode{All: true},
		Question: q,
		Outcome:  trace.Answer,
		Answer:   rrs("www.example.com. 3600 IN A 192.0.2.10"),
		Queries:  20,
		Duration: ms(4012.5),
		Hops: []*trace.Hop{
			referral(hop("", ".", root4, 12.1), "com.", gtlds, gtldGlue...),
			referral(hop("", ".", root6, 14.9), "com.", gtlds, gtldGlue...),

			referral(hop("", "com.", gtldA, 8.2), "example.com.", exNS, "ns1.example.com. 45.33.10.1", "ns1.example.com. 2a01:4f8:10::1", "ns2.example.com. 94.130.20.2"),
			answer(hop(trace.PurposeSOA, "com.", gtldA, 8.4), "com. 900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1738368000 1800 900 604800 900"),
			answer(hop(trace.PurposeChildNS, "com.", gtldA, 8.3), nsRR("com.", gtlds...)...),
			referral(hop("", "com.", gtldB, 21.7), "example.com.", exNS, "ns1.example.com. 45.33.10.1", "ns2.example.com. 94.130.20.9"),
			answer(hop(trace.PurposeSOA, "com.", gtldB, 21.5), "com. 900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1736899200 1800 900 604800 900"),
			answer(hop(trace.PurposeChildNS, "com.", gtldB, 22), nsRR("com.", gtlds...)...),

			answer(hop("", "example.com.", ns1v4, 10.4), "www.example.com. 3600 IN A 192.0.2.10"),
			answer(hop(trace.PurposeSOA, "example.com.", ns1v4, 10.2), soa("example.com.", "2025020100")),
			answer(hop(trace.PurposeChildNS, "example.com.", ns1v4, 10.3), nsRR("example.com.", exNS...)...),
			timeout(hop("", "example.com.", ns1v6, 2000)),
			timeout(hop("", "example.com.", ns1v6, 2000)),
			timeout(hop(trace.PurposeSOA, "example.com.", ns1v6, 2000)),
			timeout(hop(trace.PurposeSOA, "example.com.", ns1v6, 2000)),
			timeout(hop(trace.PurposeChildNS, "example.com.", ns1v6, 2000)),
			timeout(hop(trace.PurposeChildNS, "example.com.", ns1v6, 2000)),
			answer(hop("", "example.com.", ns2, 31.6), "www.example.com. 3600 IN A 192.0.2.9"),
			answer(hop(trace.PurposeSOA, "example.com.", ns2, 31.2), soa("example.com.", "2025010100")),
			answer(hop(trace.PurposeChildNS, "example.com.", ns2, 30.8), nsRR("example.com.", exNS...)...),
		},
	}
	t.Number()
	// Only the consistency findings, so that the goldens do not change
	// with the wording of the others.
	for _, f := range trace.Diagnose(t) {
		switch f.Code {
		case trace.CodeInconsistentReferral, trace.CodeInconsistentAnswer, trace.CodeSOASerialMismatch, trace.CodeAnswerTTLMismatch:
			t.Findings = append(t.Findings, f)
		}
	}
	return t
}

// TestGoldenAll pins the tables of a walk that asked every server, in
// each rendering, and the JSON, which carries every hop.
func TestGoldenAll(t *testing.T) {
	for _, v := range []struct {
		suffix string
		render renderFunc
		opts   Options
	}{
		{".txt", Tree, Options{}},
		{".color.txt", Tree, Options{Color: true}},
		{".notimings.txt", Tree, Options{NoTimings: true}},
		{".notimings.json", JSON, Options{NoTimings: true}},
	} {
		name := "all" + v.suffix
		t.Run(name, func(t *testing.T) {
			got := render(t, v.render, allTrace(), v.opts)
			golden(t, name, got)
		})
	}
}

// TestTreeAll checks what the tables must show, whatever the goldens say.
func TestTreeAll(t *testing.T) {
	out := string(render(t, Tree, allTrace(), Options{NoTimings: true}))
	for _, want := range []string{
		"├─ .  1 server, 2 addresses\n",
		"├─ com.  2 servers, 2 addresses · 2 different replies\n",
		"└─ example.com.  2 servers, 3 addresses · 1 failed · 2 different replies\n",
		"[1] referral → example.com.: NS ns1.example.com., ns2.example.com. (TTL 172800); glue ns1.example.com. 45.33.10.1, ns1.example.com. 2a01:4f8:10::1, ns2.example.com. 94.130.20.2\n",
		"[2] referral → example.com.: NS ns1.example.com., ns2.example.com. (TTL 172800); glue ns1.example.com. 45.33.10.1, ns2.example.com. 94.130.20.9\n",
		"[2] answer 192.0.2.9\n",
		"✗ inconsistent-referral: b.gtld-servers.net. (192.33.14.30)",
		"⚠ soa-serial-mismatch: ns2.example.com. (94.130.20.2) serves example.com. with SOA serial 2025010100",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Tree(all) lacks %q:\n%s", want, out)
		}
	}
	// One row per address, in the order the hops list them, each with
	// its serial and its NS count folded in.
	rows := []string{
		`k\.root-servers\.net\. +193\.0\.14\.129 +hints +udp +referral → com\. \(2 NS, 2 glue\)$`,
		`k\.root-servers\.net\. +2001:7fd::1 +hints +udp +referral → com\. \(2 NS, 2 glue\)$`,
		`a\.gtld-servers\.net\. +192\.5\.6\.30 +glue +udp +referral → example\.com\. \(2 NS, 3 glue\) \[1\] +1738368000 +2 NS$`,
		`b\.gtld-servers\.net\. +192\.33\.14\.30 +glue +udp +referral → example\.com\. \(2 NS, 2 glue\) \[2\] +1736899200 +2 NS$`,
		`ns1\.example\.com\. +45\.33\.10\.1 +glue +udp +answer 192\.0\.2\.10 \[1\] +2025020100 +2 NS$`,
		`ns1\.example\.com\. +2a01:4f8:10::1 +glue +udp +error: timeout after 2s \(2 tries\) +no reply +no reply$`,
		`ns2\.example\.com\. +94\.130\.20\.2 +glue +udp +answer 192\.0\.2\.9 \[2\] +2025010100 +2 NS$`,
	}
	lines := strings.Split(out, "\n")
	at := 0
	for _, re := range rows {
		found := false
		for ; at < len(lines); at++ {
			if regexp.MustCompile(re).MatchString(lines[at]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("Tree(all) lacks a row matching %s after the previous one:\n%s", re, out)
			return
		}
	}
	for i, l := range lines {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("line %d has trailing spaces: %q", i+1, l)
		}
	}
}

// TestTreeAllStable renders the same walk many times: nothing in the
// tables may come from the order of a map, only from the order of the hops.
func TestTreeAllStable(t *testing.T) {
	want := render(t, Tree, allTrace(), Options{NoTimings: true})
	for range 20 {
		if got := render(t, Tree, allTrace(), Options{NoTimings: true}); !bytes.Equal(got, want) {
			t.Fatalf("Tree(all) differs between renderings:\n%s\n%s", got, want)
		}
	}
}

// TestTreeNotAll checks that the walk's mode, not the hops it holds,
// decides the layout: the same hops from a walk not made with Mode.All
// keep their one line per hop of the walk, with the checks of servers
// summed up under them.
func TestTreeNotAll(t *testing.T) {
	tr := allTrace()
	tr.Mode.All = false
	got := string(render(t, Tree, tr, Options{NoTimings: true}))
	if strings.Contains(got, "2 servers, 2 addresses") || !strings.Contains(got, "checked 1 address (SOA, NS; 2 queries)") {
		t.Errorf("Tree(allTrace without Mode.All) is laid out as tables:\n%s", got)
	}
}
