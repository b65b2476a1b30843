package trace_test

import (
	"context"
	"fmt"
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

// These tests run the engine on lab scenarios, on loopback, and check what
// Diagnose makes of the real traces. They also check that Diagnose reads the
// reasons the resolver sets as the resolver means them.

// runLab traces name in a scenario of testdata/lab ("demo" for the demo
// lab) and returns the trace, with its findings.
func runLab(t *testing.T, scenario, name string, qtype uint16, opts resolver.Options) *trace.Trace {
	t.Helper()
	l := labtest.Start(t, scenario)
	opts.Dial, opts.RootHints = l.Dial, l.RootHints()
	if opts.Timeout == 0 {
		opts.Timeout = time.Second // room for a loaded machine (-race)
	}
	r, err := resolver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := r.Trace(context.Background(), name, qtype)
	if tr == nil {
		t.Fatalf("Trace(%q) = nil", name)
	}
	tr.Findings = trace.Diagnose(tr) // the caller's job, not the resolver's
	return tr
}

func dump(fs []trace.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s", f.Severity, f.Code, f.Zone)
		if f.Server != nil {
			fmt.Fprintf(&b, " %s %s", f.Server.Name, addr(f.Server.Addr))
		}
		fmt.Fprintf(&b, " %v: %s\n", f.Hops, f.Message)
	}
	return b.String()
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// finding is one finding expected: its code, zone, and server name and
// address ("" for none).
type finding struct{ code, zone, name, addr string }

func (w finding) in(fs []trace.Finding) bool {
	return slices.ContainsFunc(fs, func(f trace.Finding) bool {
		name, a := "", ""
		if f.Server != nil {
			name, a = f.Server.Name, addr(f.Server.Addr)
		}
		return f.Code == w.code && f.Zone == w.zone && name == w.name && a == w.addr
	})
}

var noHedge = resolver.Options{HedgeDelay: -1}

// TestDiagnoseLab proves every code on a scenario of testdata/lab.
func TestDiagnoseLab(t *testing.T) {
	tests := []struct {
		scenario, name string
		qtype          uint16
		opts           resolver.Options
		want           []finding
	}{
		{"diag-missing-glue", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeMissingGlue, "example.com.", "ns1.example.com.", ""}}},
		{"inzone-noglue", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeMissingGlue, "example.com.", "ns1.example.com.", ""},
			{trace.CodeMissingGlue, "example.com.", "ns2.example.com.", ""}}},
		{"diag-ns-mismatch", "www.example.com", dns.TypeA, noHedge, []finding{
			{trace.CodeLameServer, "example.com.", "ns1.example.com.", "45.33.10.1"},
			{trace.CodeNSMismatch, "example.com.", "ns1.example.com.", ""},
			{trace.CodeNSMismatch, "example.com.", "ns3.example.com.", ""}}},
		{"lamedelegation", "www.example.com", dns.TypeA, noHedge, []finding{
			{trace.CodeLameServer, "example.com.", "ns1.example.com.", "192.0.2.1"},
			{trace.CodeNSMismatch, "example.com.", "ns1.example.com.", ""}}},
		{"refused", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns1.example.com.", "192.0.2.1"},
			{trace.CodeAllServersFailed, "example.com.", "", ""}}},
		{"servfail", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns1.example.com.", "192.0.2.1"},
			{trace.CodeAllServersFailed, "example.com.", "", ""}}},
		{"lame", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns1.example.com.", "192.0.2.1"}}},
		{"upward", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns1.example.com.", "192.0.2.1"},
			{trace.CodeUpwardReferral, "example.com.", "ns1.example.com.", "192.0.2.1"}}},
		{"horizontal", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeReferralLoop, "example.com.", "ns1.example.com.", "192.0.2.1"}}},
		{"referral-loop", "www.sub.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeReferralLoop, "sub.example.com.", "ns.sub.example.com.", "192.0.2.53"}}},
		{"sideways", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeSidewaysReferral, "example.com.", "ns1.example.com.", "192.0.2.1"}}},
		{"diag-dead", "www.example.com", dns.TypeA, noHedge, []finding{
			{trace.CodeUnreachableServer, "example.com.", "ns1.example.com.", "45.33.10.1"}}},
		{"demo", "www.halfdead.com", dns.TypeA, noHedge, []finding{
			{trace.CodeUnreachableServer, "halfdead.com.", "ns1.halfdead.com.", "46.4.201.201"}}},
		// The faults a walk outruns, which the server checks find (issue 18):
		// ns1 answers at once, and ns2 is never needed.
		{"demo", "www.halfdead.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeUnreachableServer, "halfdead.com.", "ns1.halfdead.com.", "46.4.201.201"}}},
		{"check-dead", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeUnreachableServer, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"check-refused", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"check-noaa", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"check-upward", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeLameServer, "example.com.", "ns2.example.com.", "94.130.20.2"},
			{trace.CodeUpwardReferral, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"check-lossy", "www.example.com", dns.TypeA, resolver.Options{NoProbes: true}, []finding{
			{trace.CodeLossyServer, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		// Glue that differs from the child's own records: the zone's own
		// address from its answer for its NS set, and sibling glue against
		// a lookup in the name's own zone.
		{"check-stale-glue", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeGlueMismatch, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"check-sibling-glue", "www.shop.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeGlueMismatch, "shop.com.", "ns2.dnshost.com.", "94.130.20.6"}}},
		{"check-drop", "www.example.com", dns.TypeAAAA, resolver.Options{}, []finding{
			{trace.CodeUnansweredType, "example.com.", "ns2.example.com.", "94.130.20.2"}}},
		{"garbage", "www.example.com", dns.TypeA, resolver.Options{Timeout: 100 * time.Millisecond}, []finding{
			{trace.CodeUnreachableServer, "example.com.", "ns1.example.com.", "192.0.2.1"},
			{trace.CodeAllServersFailed, "example.com.", "", ""}}},
		{"healthy", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeNSTTLMismatch, "example.com.", "", ""}}},
		{"diag-ns-cname", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeNSIsCNAME, "example.com.", "ns1.provider.net.", ""}}},
		{"diag-ns-address", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeNSIsAddress, "example.com.", "45.33.10.53.example.com.", ""}}},
		{"diag-ns-unresolvable", "www.example.com", dns.TypeA, noHedge, []finding{
			{trace.CodeNSUnresolvable, "example.com.", "ns.nowhere.net.", ""}}},
		{"diag-single", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeSingleNameserver, "example.com.", "ns1.example.com.", ""}}},
		{"diag-not-diverse", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeNotDiverse, "example.com.", "", ""}}},
		{"diag-glue-mismatch", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeGlueMismatch, "provider.net.", "ns1.provider.net.", "151.80.30.1"}}},
		// Glue that lacks, or adds, addresses of the zone's own records of
		// a name inside it.
		{"diag-glue-incomplete", "www.missing6.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeGlueIncomplete, "missing6.com.", "ns1.missing6.com.", ""}}},
		{"diag-glue-incomplete", "www.fewer.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeGlueIncomplete, "fewer.com.", "ns1.fewer.com.", ""}}},
		{"diag-glue-incomplete", "www.extra6.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeGlueIncomplete, "extra6.com.", "ns1.extra6.com.", ""}}},
		{"diag-glue-incomplete", "www.complete.com", dns.TypeA, resolver.Options{}, nil},
		{"glueless-cycle", "www.a.example", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeCircularDelegation, "a.example.", "", ""},
			{trace.CodeAllServersFailed, "a.example.", "", ""}}},
		{"poison-glue", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodeOutOfBailiwickGlue, "example.com.", "ns1.provider.net.", "192.0.2.66"}}},
		{"diag-split-horizon", "www.example.com", dns.TypeA, resolver.Options{}, []finding{
			{trace.CodePrivateAddress, "example.com.", "ns2.example.com.", "10.20.30.53"},
			{trace.CodePrivateAddress, "example.com.", "ns2.example.com.", "fd00:53::2"}}},
		{"no-tcp", "big.example.com", dns.TypeTXT, resolver.Options{}, []finding{
			{trace.CodeTCPFailed, "example.com.", "ns1.example.com.", "192.0.2.1"}}},
		{"diag-tcp", "big.example.com", dns.TypeTXT, noHedge, []finding{
			{trace.CodeTCPFailed, "example.com.", "ns1.example.com.", "45.33.10.1"}}},
		{"diag-slow", "www.example.com", dns.TypeA, resolver.Options{Timeout: 2 * time.Second, HedgeDelay: -1}, []finding{
			{trace.CodeSlowServer, "example.com.", "ns1.example.com.", "45.33.10.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			tr := runLab(t, tt.scenario, tt.name, tt.qtype, tt.opts)
			for _, w := range tt.want {
				if !w.in(tr.Findings) {
					t.Errorf("Trace(%q) findings lack %+v; got:\n%s", tt.name, w, dump(tr.Findings))
				}
			}
		})
	}
}

// TestDiagnoseLabExact pins the whole diagnosis of scenarios built to show
// one problem each: nothing else may be reported there.
func TestDiagnoseLabExact(t *testing.T) {
	tests := []struct {
		scenario, name string
		opts           resolver.Options
		want           []string // "code zone server address"
	}{
		{"diag-missing-glue", "www.example.com", resolver.Options{}, []string{
			"missing-glue example.com. ns1.example.com.", "long-ns-ttl example.com."}},
		{"diag-single", "www.example.com", resolver.Options{}, []string{
			"single-nameserver example.com. ns1.example.com.", "long-ns-ttl example.com."}},
		{"diag-dead", "www.example.com", noHedge, []string{
			"unreachable-server example.com. ns1.example.com. 45.33.10.1", "long-ns-ttl example.com."}},
		{"demo", "www.halfdead.com", noHedge, []string{
			"unreachable-server halfdead.com. ns1.halfdead.com. 46.4.201.201",
			"ns-ttl-mismatch halfdead.com."}},
		{"diag-ns-mismatch", "www.example.com", noHedge, []string{
			"lame-server example.com. ns1.example.com. 45.33.10.1",
			"ns-mismatch example.com. ns1.example.com.",
			"ns-mismatch example.com. ns3.example.com.",
			"long-ns-ttl example.com."}},
		{"diag-split-horizon", "www.example.com", resolver.Options{}, []string{
			"private-address example.com. ns2.example.com. 10.20.30.53",
			"private-address example.com. ns2.example.com. fd00:53::2",
			"family-not-redundant example.com.",
			"long-ns-ttl example.com."}},
		// Silence is never lameness, and a lossy server is not a dead one.
		{"check-dead", "www.example.com", resolver.Options{}, []string{
			"unreachable-server example.com. ns2.example.com. 94.130.20.2",
			"single-nameserver com. a.gtld-servers.net.",
			"ns-ttl-mismatch example.com."}},
		{"check-lossy", "www.example.com", resolver.Options{NoProbes: true}, []string{
			"single-nameserver com. a.gtld-servers.net.",
			"lossy-server example.com. ns2.example.com. 94.130.20.2",
			"ns-ttl-mismatch example.com."}},
		// A child with minimal-responses yes sends no addresses with its
		// NS set: the checks ask it, and find the glue stale, or right.
		{"check-minimal-stale-glue", "www.example.com", resolver.Options{}, []string{
			"single-nameserver com. a.gtld-servers.net.",
			"glue-mismatch example.com. ns2.example.com. 94.130.20.2",
			"ns-ttl-mismatch example.com."}},
		{"check-minimal-healthy", "www.example.com", resolver.Options{}, []string{
			"single-nameserver com. a.gtld-servers.net.",
			"ns-ttl-mismatch example.com."}},
		// As dig +trace: the walk needs ns1 only, so ns2 is not judged.
		{"check-dead", "www.example.com", resolver.Options{PathOnly: true}, []string{
			"single-nameserver com. a.gtld-servers.net.",
			"ns-ttl-mismatch example.com."}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			tr := runLab(t, tt.scenario, tt.name, dns.TypeA, tt.opts)
			var got []string
			for _, f := range tr.Findings {
				s := f.Code + " " + f.Zone
				if f.Server != nil {
					s += " " + strings.TrimSpace(f.Server.Name+" "+addr(f.Server.Addr))
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Trace(%q) findings:\n%s\nwant %q", tt.name, dump(tr.Findings), tt.want)
			}
		})
	}
}

// TestNoFalseAlarms traces healthy delegations, which must draw no error
// and no warning: only info findings.
func TestNoFalseAlarms(t *testing.T) {
	tests := []struct {
		scenario, name string
		qtype          uint16
		allow          []string // warnings explained by the scenario
	}{
		{"healthy", "www.example.com", dns.TypeA, nil},
		{"healthy", "alias.example.com", dns.TypeA, nil},
		{"healthy", "mail.example.com", dns.TypeMX, nil},
		{"subdelegation", "api.dev.example.com", dns.TypeA, nil},
		{"glueless", "www.example.com", dns.TypeA, nil},
		{"diag-healthy", "www.example.com", dns.TypeA, nil},
		{"diag-healthy", "api.dev.example.com", dns.TypeA, nil},
		{"diag-healthy", "www.shop.example.com", dns.TypeA, nil},
		{"diag-healthy", "nope.example.com", dns.TypeA, nil},
		{"demo", "www.example.com", dns.TypeA, nil},
		{"demo", "example.com", dns.TypeMX, nil},
		{"demo", "nope.example.com", dns.TypeA, nil},
		{"demo", "www.example.com", dns.TypeMX, nil},
		{"demo", "ftp.example.com", dns.TypeA, nil},
		{"demo", "shop.example.com", dns.TypeA, nil},
		{"demo", "big.example.com", dns.TypeTXT, nil},
		{"demo", "api.dev.example.com", dns.TypeA, nil},
		{"demo", "api.aws.example.com", dns.TypeAAAA, nil},
		{"demo", "www.vanity.net", dns.TypeA, nil},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			tr := runLab(t, tt.scenario, tt.name, tt.qtype, resolver.Options{Timeout: time.Second})
			if !tr.Outcome.Authoritative() {
				t.Fatalf("Trace(%q) outcome %s: %v", tt.name, tr.Outcome, tr.Err)
			}
			for _, f := range tr.Findings {
				if f.Severity.AtLeast(trace.SeverityWarning) && (f.Severity == trace.SeverityError || !slices.Contains(tt.allow, f.Code)) {
					t.Errorf("Trace(%q) has a %s finding on a healthy delegation:\n%s", tt.name, f.Severity, dump([]trace.Finding{f}))
				}
			}
		})
	}
}

// TestGlueMismatchMinimalResponses: behind a child that sends no
// additional section (BIND's minimal-responses yes), the server checks ask
// the child for its nameservers' addresses, and glue-mismatch names the
// name, the glue's address, the child's, and which one the world uses.
func TestGlueMismatchMinimalResponses(t *testing.T) {
	t.Parallel()
	tr := runLab(t, "check-minimal-stale-glue", "www.example.com", dns.TypeA, resolver.Options{})
	i := slices.IndexFunc(tr.Findings, func(f trace.Finding) bool { return f.Code == trace.CodeGlueMismatch })
	if i < 0 {
		t.Fatalf("no glue-mismatch; got:\n%s", dump(tr.Findings))
	}
	msg := tr.Findings[i].Message
	for _, want := range []string{"ns2.example.com.", "says 94.130.20.2", "example.com. itself says 94.130.20.3", "resolvers reach example.com. at the glue's 94.130.20.2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("glue-mismatch message lacks %q: %s", want, msg)
		}
	}
	var asked []string
	for _, h := range tr.Hops {
		if h.Purpose == trace.PurposeCheck && h.Question.Name != "www.example.com." {
			asked = append(asked, h.Question.Name+" "+dns.TypeToString[h.Question.Qtype])
		}
	}
	// Of each of the child's two servers.
	want := []string{"ns1.example.com. A", "ns1.example.com. AAAA", "ns2.example.com. A", "ns2.example.com. AAAA"}
	if want = append(want, want...); !slices.Equal(asked, want) {
		t.Errorf("checks asked %q of the child, want %q", asked, want)
	}
}

// TestMinimalResponsesEveryServer: behind minimal-responses, each server
// of the child is asked its nameservers' addresses, not only the first
// that answered. ns1.example.com's copy of example.com, edited by hand
// without a new serial, still gives ns2.example.com the old address that
// the glue has too: asked of ns1 alone, the glue matched, and nothing was
// found; asked of every server, ns1 draws inconsistent-answer, as it does
// where the servers send the addresses with their NS set.
func TestMinimalResponsesEveryServer(t *testing.T) {
	t.Parallel()
	tr := staleTraceWith(t, "check-minimal-split", resolver.Options{Timeout: time.Second}, "45.33.10.1")
	checkAll(t, tr, "192.0.2.10", []finding{
		{trace.CodeSingleNameserver, "com.", "a.gtld-servers.net.", ""},
		{trace.CodeInconsistentAnswer, "example.com.", "ns1.example.com.", "45.33.10.1"},
	})
}
