package trace_test

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// allOpts asks every server of every zone, as nstrace --all does.
var allOpts = resolver.Options{All: true, Timeout: 200 * time.Millisecond}

// checkAll checks a trace of --all: it reached an answer, has every
// finding of want, and no other finding of severity warning or worse.
func checkAll(t *testing.T, tr *trace.Trace, answer string, want []finding) {
	t.Helper()
	if tr.Outcome != trace.Answer {
		t.Fatalf("Trace(%s) outcome %s: %v", tr.Question.Name, tr.Outcome, tr.Err)
	}
	if len(tr.Answer) == 0 || !strings.HasSuffix(tr.Answer[0].String(), "\t"+answer) {
		t.Errorf("Trace(%s) answer %v, want %s: the walk goes on from the first usable reply", tr.Question.Name, tr.Answer, answer)
	}
	for _, w := range want {
		if !w.in(tr.Findings) {
			t.Errorf("Trace(%s) findings lack %+v; got:\n%s", tr.Question.Name, w, dump(tr.Findings))
		}
	}
	for _, f := range tr.Findings {
		if !f.Severity.AtLeast(trace.SeverityWarning) {
			continue
		}
		name, a := "", ""
		if f.Server != nil {
			name, a = f.Server.Name, addr(f.Server.Addr)
		}
		if !slices.Contains(want, finding{f.Code, f.Zone, name, a}) {
			t.Errorf("Trace(%s) has an unexpected finding:\n%s", tr.Question.Name, dump([]trace.Finding{f}))
		}
	}
}

// TestDiagnoseAllLab proves the consistency findings, and the per-server
// ones for every server, on the scenarios of --all in testdata/lab.
func TestDiagnoseAllLab(t *testing.T) {
	tests := []struct {
		scenario, name string
		answer         string
		want           []finding
	}{
		{"all-stale-parent", "www.example.co.uk", "192.0.2.10", []finding{
			{trace.CodeInconsistentReferral, "uk.", "nsb.nic.uk.", "156.154.101.3"}}},
		{"all-answers", "www.example.com", "192.0.2.10", []finding{
			{trace.CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"all-answers", "ttl.example.com", "192.0.2.20", []finding{
			{trace.CodeAnswerTTLMismatch, "example.com.", "", ""}}},
		{"all-answers", "mail.example.com", "192.0.2.25", nil},
		{"all-dualstack", "www.example.com", "192.0.2.10", []finding{
			{trace.CodeUnreachableServer, "example.com.", "ns1.example.com.", "2a01:4f8:10::1"},
			{trace.CodeLameServer, "example.com.", "ns3.example.com.", "151.80.30.3"},
			{trace.CodeLameServer, "example.com.", "ns3.example.com.", "2001:41d0:30::3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			checkAll(t, runLab(t, tt.scenario, tt.name, dns.TypeA, allOpts), tt.answer, tt.want)
		})
	}
}

// staleTrace traces www.example.com A with --all in scenario, the servers
// at the stale addresses served from scenario-old, an older version of
// the same hierarchy, and diagnoses it. The lab serves one version of
// each zone, so the test picks the version by address in its dial.
func staleTrace(t *testing.T, scenario string, stale ...string) *trace.Trace {
	t.Helper()
	return staleTraceWith(t, scenario, allOpts, stale...)
}

// staleTraceWith is staleTrace with opts in place of --all's.
func staleTraceWith(t *testing.T, scenario string, opts resolver.Options, stale ...string) *trace.Trace {
	t.Helper()
	cur, old := labtest.Start(t, scenario), labtest.Start(t, scenario+"-old")
	opts.RootHints = cur.RootHints()
	opts.Dial = func(ctx context.Context, network string, a netip.AddrPort) (net.Conn, error) {
		if slices.Contains(stale, a.Addr().String()) {
			return old.Dial(ctx, network, a)
		}
		return cur.Dial(ctx, network, a)
	}
	r, err := resolver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
	tr.Findings = trace.Diagnose(tr)
	return tr
}

// TestDiagnoseAllSecondary serves two servers of all-secondary.txtar
// from all-secondary-old.txtar, the same hierarchy a month earlier: a com
// server that stopped loading new versions of com, and a secondary of
// example.com whose zone transfers broke.
func TestDiagnoseAllSecondary(t *testing.T) {
	checkAll(t, staleTrace(t, "all-secondary", "192.33.14.30", "94.130.20.2"), "192.0.2.10", []finding{
		{trace.CodeInconsistentReferral, "com.", "b.gtld-servers.net.", "192.33.14.30"},
		{trace.CodeSOASerialMismatch, "com.", "b.gtld-servers.net.", "192.33.14.30"},
		{trace.CodeSOASerialMismatch, "example.com.", "ns2.example.com.", "94.130.20.2"},
		{trace.CodeInconsistentAnswer, "example.com.", "ns2.example.com.", "94.130.20.2"},
	})
	// Without the stale servers, the same walk finds nothing of the kind.
	checkAll(t, staleTrace(t, "all-secondary"), "192.0.2.10", nil)
}

// TestDiagnoseAllGlueLeftOut serves b.gtld-servers.net. of
// all-glue-added.txtar from the version of com. before an AAAA glue record
// was added: its referral leaves out an address a.gtld-servers.net. gives,
// which is no inconsistency (issue 18), though its serial is behind.
func TestDiagnoseAllGlueLeftOut(t *testing.T) {
	tr := staleTrace(t, "all-glue-added", "192.33.14.30")
	checkAll(t, tr, "192.0.2.10", []finding{
		{trace.CodeSOASerialMismatch, "com.", "b.gtld-servers.net.", "192.33.14.30"},
	})
	// The two referrals did differ: one with the AAAA glue, one without.
	glue := map[string]int{}
	for _, h := range tr.Hops {
		if h.Zone == "com." && h.Outcome == trace.Referral {
			glue[h.Server.Name] = len(h.Referral.Glue)
		}
	}
	if glue["a.gtld-servers.net."] != 3 || glue["b.gtld-servers.net."] != 2 {
		t.Errorf("glue by com. server = %v, want a.gtld-servers.net.:3 b.gtld-servers.net.:2", glue)
	}
}

// TestNoFalseAlarmsAll traces healthy delegations asking every server:
// servers that agree draw no finding of warning or worse.
func TestNoFalseAlarmsAll(t *testing.T) {
	tests := []struct {
		scenario, name string
		qtype          uint16
	}{
		{"healthy", "www.example.com", dns.TypeA},
		{"healthy", "alias.example.com", dns.TypeA},
		{"healthy", "nope.example.com", dns.TypeA},
		{"healthy", "mail.example.com", dns.TypeMX},
		{"diag-healthy", "www.example.com", dns.TypeA},
		{"diag-healthy", "api.dev.example.com", dns.TypeA},
		{"demo", "www.example.com", dns.TypeA},
		{"demo", "shop.example.com", dns.TypeA},
		{"demo", "big.example.com", dns.TypeTXT},
		{"demo", "api.aws.example.com", dns.TypeAAAA},
		{"demo", "www.vanity.net", dns.TypeA},
		{"probes", "www.fine.com", dns.TypeA},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			opts := allOpts
			opts.Timeout = time.Second
			tr := runLab(t, tt.scenario, tt.name, tt.qtype, opts)
			if !tr.Outcome.Authoritative() {
				t.Fatalf("Trace(%q) outcome %s: %v", tt.name, tr.Outcome, tr.Err)
			}
			for _, f := range tr.Findings {
				if f.Severity.AtLeast(trace.SeverityWarning) {
					t.Errorf("Trace(%q) with --all has a %s finding on a healthy delegation:\n%s", tt.name, f.Severity, dump([]trace.Finding{f}))
				}
			}
		})
	}
}
