package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// TestTreeChildNS checks that a child NS check is a detail line of the walk
// hop it went with, not a row of its own.
func TestTreeChildNS(t *testing.T) {
	ns, err := dns.NewRR("example.com. 3600 IN NS ns1.example.com.")
	if err != nil {
		t.Fatal(err)
	}
	srv := trace.Server{Name: "ns1.example.com.", Source: trace.SourceGlue}
	q := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	tr := &trace.Trace{Question: q, Outcome: trace.Answer, Hops: []*trace.Hop{
		{Zone: "example.com.", Server: srv, Question: q, Protocol: "udp", Outcome: trace.Answer},
		{Zone: "example.com.", Server: srv, Question: trace.Question{Name: "example.com.", Qtype: dns.TypeNS}, Purpose: trace.PurposeChildNS, Protocol: "udp", Outcome: trace.Answer, Answer: []dns.RR{ns}},
	}}
	var b bytes.Buffer
	if err := Tree(&b, tr, Options{NoTimings: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "example.com.  ns1") != 1 || strings.Contains(out, "asked example.com. IN NS") {
		t.Errorf("Tree shows the check as a row of its own:\n%s", out)
	}
	if !strings.Contains(out, "apex NS of example.com.: ns1.example.com. (TTL 3600)") {
		t.Errorf("Tree lacks the apex NS line:\n%s", out)
	}
}
