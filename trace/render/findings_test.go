package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// findingsTrace is a walk with something at every severity: com. delegates
// example.com. to ns1 and ns2, ns1 answers REFUSED, ns2 answers, and the
// zone's own NS set (asked of ns2) names ns2 and ns3, with another TTL.
func findingsTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	gtld := srv("a.gtld-servers.net.", "192.5.6.30", trace.SourceGlue)
	ns1 := srv("ns1.example.com.", "45.33.10.1", trace.SourceGlue)
	ns2 := srv("ns2.example.com.", "93.184.20.2", trace.SourceGlue)
	answer := rrs("www.example.com. 3600 IN A 192.0.2.10")
	t := &trace.Trace{
		Question: q, Outcome: trace.Answer, Answer: answer, Queries: 5, Duration: ms(3.1),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: srv("k.root-servers.net.", "193.0.14.129", trace.SourceHints), Port: 53, Question: q,
				Protocol: "udp", RTT: ms(0.4), Size: 500, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{Zone: "com.",
					NS:   []trace.NS{{Name: "a.gtld-servers.net.", TTL: 172800}, {Name: "b.gtld-servers.net.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "a.gtld-servers.net.", Addr: gtld.Addr, TTL: 172800}, {Name: "b.gtld-servers.net.", Addr: mustAddr("192.33.14.30"), TTL: 172800}}},
			},
			{
				Zone: "com.", Server: gtld, Port: 53, Question: q, Protocol: "udp", Start: ms(0.5), RTT: ms(0.3),
				Size: 200, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{Zone: "example.com.",
					NS:   []trace.NS{{Name: "ns1.example.com.", TTL: 172800}, {Name: "ns2.example.com.", TTL: 172800}},
					Glue: []trace.Glue{{Name: "ns1.example.com.", Addr: ns1.Addr, TTL: 172800}, {Name: "ns2.example.com.", Addr: ns2.Addr, TTL: 172800}}},
			},
			{
				Zone: "example.com.", Server: ns1, Port: 53, Question: q, Protocol: "udp", Start: ms(0.9), RTT: ms(0.2),
				Size: 40, Rcode: dns.RcodeRefused, Outcome: trace.Error, Err: errors.New("REFUSED"), Reason: trace.ReasonRefused,
			},
			{
				Zone: "example.com.", Server: ns2, Port: 53, Question: q, Protocol: "udp", Start: ms(1.2), RTT: ms(0.3),
				Size: 80, Rcode: dns.RcodeSuccess, AA: true, Outcome: trace.Answer, Answer: answer,
			},
			{
				Purpose: trace.PurposeChildNS, Zone: "example.com.", Server: ns2, Port: 53,
				Question: trace.Question{Name: "example.com.", Qtype: dns.TypeNS}, Protocol: "udp", Start: ms(1.6), RTT: ms(0.3),
				Size: 90, Rcode: dns.RcodeSuccess, AA: true, Outcome: trace.Answer,
				Answer: rrs("example.com. 3600 IN NS ns2.example.com.", "example.com. 3600 IN NS ns3.example.com."),
			},
		},
	}
	t.Number()
	t.Findings = trace.Diagnose(t)
	return t
}

func TestFindingsGolden(t *testing.T) {
	for _, v := range []struct {
		suffix string
		render renderFunc
		opts   Options
	}{
		{".txt", Tree, Options{NoTimings: true}},
		{".color.txt", Tree, Options{NoTimings: true, Color: true}},
		{".json", JSON, Options{NoTimings: true}},
	} {
		name := "findings" + v.suffix
		t.Run(name, func(t *testing.T) {
			got := render(t, v.render, findingsTrace(), v.opts)
			golden(t, name, got)
		})
	}
}

// TestTreeFindings checks where Tree writes findings: each once at the hop
// that first shows it (a child NS check's at the hop it is shown with), then
// once more in the summary, grouped by severity; the quiet ones
// (ns-ttl-mismatch) only with Verbose.
func TestTreeFindings(t *testing.T) {
	tr := findingsTrace()
	quiet := string(render(t, Tree, tr, Options{NoTimings: true}))
	if strings.Contains(quiet, "ns-ttl-mismatch") || strings.Contains(quiet, "info") {
		t.Errorf("Tree without Verbose shows the quiet ns-ttl-mismatch:\n%s", quiet)
	}
	out := string(render(t, Tree, tr, Options{NoTimings: true, Verbose: true}))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	index := func(sub string, from int) int {
		for i := from; i < len(lines); i++ {
			if strings.Contains(lines[i], sub) {
				return i
			}
		}
		return -1
	}
	refused := index("REFUSED", 0)
	lame := index("✗ lame-server: ns1.example.com. (45.33.10.1)", 0)
	answer := index("answer 192.0.2.10", 0)
	mismatch := index("⚠ ns-mismatch: ns1.example.com.", 0)
	summary := index("answer · 5 queries", 0)
	if refused < 0 || lame != refused+1 {
		t.Errorf("lame-server at line %d, want right under the REFUSED hop (line %d):\n%s", lame, refused, out)
	}
	if mismatch < 0 || mismatch > answer {
		// ns-mismatch first shows at the com. referral (hop 2), before the answer.
		t.Errorf("ns-mismatch at line %d, want before the answer (line %d):\n%s", mismatch, answer, out)
	}
	if ttl := index("ℹ ns-ttl-mismatch:", 0); ttl < 0 || ttl > answer {
		t.Errorf("ns-ttl-mismatch at line %d, want with the referral:\n%s", ttl, out)
	}
	for _, head := range []string{"✗ 1 error", "⚠ 2 warnings", "ℹ 1 info"} {
		if i := index(head, 0); i < summary {
			t.Errorf("%q at line %d, want in the summary after line %d:\n%s", head, i, summary, out)
		}
	}
	if i := index("  lame-server      example.com.  ns1.example.com. 45.33.10.1", summary); i < 0 {
		t.Errorf("the summary lacks the lame-server line:\n%s", out)
	}
	for _, f := range tr.Findings {
		if n := strings.Count(out, f.Message); n != 1 {
			t.Errorf("finding %s: message written %d times, want once:\n%s", f.Code, n, out)
		}
	}
	if got := string(render(t, Tree, healthyTrace(), Options{NoTimings: true})); strings.ContainsAny(got, "✗⚠ℹ") {
		t.Errorf("Tree of a trace with no findings has markers:\n%s", got)
	}
}

func TestJSONFindings(t *testing.T) {
	var doc struct {
		Findings []struct {
			Code, Severity, Zone, Message string
			Server                        *struct{ Name, Address string }
			Hops                          []int
		}
		Hops []struct {
			ID      int
			Purpose string
			Lookups []map[string]any
		}
	}
	tr := findingsTrace()
	if err := json.Unmarshal(render(t, JSON, tr, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != len(tr.Findings) {
		t.Fatalf("JSON has %d findings, want %d", len(doc.Findings), len(tr.Findings))
	}
	for i, f := range doc.Findings {
		w := tr.Findings[i]
		if f.Code != w.Code || f.Severity != string(w.Severity) || f.Zone != w.Zone || f.Message != w.Message || len(f.Hops) != len(w.Hops) {
			t.Errorf("JSON finding %d = %+v, want %+v", i, f, w)
		}
		if (f.Server == nil) != (w.Server == nil) || f.Server != nil && (f.Server.Name != w.Server.Name || f.Server.Address != addrString(w.Server.Addr)) {
			t.Errorf("JSON finding %d server = %+v, want %+v", i, f.Server, w.Server)
		}
	}
	for i, h := range doc.Hops {
		want := "walk"
		if tr.Hops[i].Purpose == trace.PurposeChildNS {
			want = "child-ns"
		}
		if h.ID != i+1 || h.Purpose != want {
			t.Errorf("JSON hop %d: id %d, purpose %q; want %d, %q", i, h.ID, h.Purpose, i+1, want)
		}
	}

	// No findings: an empty array at the top level, none in lookups.
	out := render(t, JSON, healthyTrace(), Options{})
	if !bytes.Contains(out, []byte(`"findings": []`)) || bytes.Count(out, []byte(`"findings"`)) != 1 {
		t.Errorf("JSON of a trace without findings: want one \"findings\": [] at the top level:\n%s", out)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
