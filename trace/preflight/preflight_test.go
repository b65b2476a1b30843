package preflight_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
	run "github.com/nstrace/nstrace/preflight"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/preflight"
)

// check runs a preflight check of zone on the migration lab, on loopback,
// as nstrace preflight does (package preflight at the top of the module):
// each question through the delegation in place and through the proposed
// one, and the zone's SOA with every proposed server asked.
func check(t *testing.T, zone string, proposed *trace.Delegation, questions ...trace.Question) *preflight.Report {
	t.Helper()
	l := labtest.Start(t, "migration")
	o := run.Options{Questions: questions,
		Resolver: resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), Timeout: time.Second, HedgeDelay: -1}}
	r, err := run.Run(context.Background(), o, zone, proposed)
	if r == nil {
		t.Fatal(err)
	}
	return r
}

func q(name string, qtype uint16) trace.Question {
	return trace.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET}
}

func to(zone string, names ...string) *trace.Delegation {
	d := &trace.Delegation{Zone: zone}
	for _, n := range names {
		name, addr, ok := strings.Cut(n, "=")
		d.NS = append(d.NS, trace.NS{Name: name})
		if ok {
			d.Glue = append(d.Glue, trace.Glue{Name: name, Addr: netip.MustParseAddr(addr)})
		}
	}
	return d
}

func codes(r *preflight.Report) []string {
	var out []string
	for _, p := range r.Problems {
		t := ""
		if p.Qtype != 0 {
			t = trace.TypeString(p.Qtype)
		}
		out = append(out, string(p.Severity)+" "+p.Code+" "+p.Name+" "+t)
	}
	return out
}

func nsText(ns []trace.NS) string {
	var s []string
	for _, n := range ns {
		s = append(s, fmt.Sprintf("%s %d", n.Name, n.TTL))
	}
	return strings.Join(s, ", ")
}

// TestMigration is the proof of the migration lab: the new provider's copy
// of example.com lacks a record and has another NS set, and one proposed
// server does not serve it.
func TestMigration(t *testing.T) {
	r := check(t, "example.com.", to("example.com.", "ns1.newdns.net.", "ns2.newdns.net."),
		q("example.com.", dns.TypeSOA), q("example.com.", dns.TypeNS), q("example.com.", dns.TypeMX),
		q("example.com.", dns.TypeTXT), q("www.example.com.", dns.TypeA), q("www.example.com.", dns.TypeAAAA))

	if !r.Checked || !r.Breaks() {
		t.Errorf("Checked, Breaks() = %v, %v; want true, true", r.Checked, r.Breaks())
	}
	if r.Parent != "com." || nsText(r.ParentNS) != "ns1.olddns.net. 172800, ns2.olddns.net. 172800" {
		t.Errorf("parent %s NS %s; want com. with the old provider's servers, TTL 172800", r.Parent, nsText(r.ParentNS))
	}
	if got := nsText(r.CurrentNS); got != "ns1.olddns.net. 86400, ns2.olddns.net. 86400" {
		t.Errorf("CurrentNS = %s", got)
	}
	if got := nsText(r.NewNS); got != "ns1.newdns.net. 3600, ns3.newdns.net. 3600" {
		t.Errorf("NewNS = %s", got)
	}
	if r.Settle() != 172800 {
		t.Errorf("Settle() = %d, want 172800", r.Settle())
	}

	var servers []string
	for _, s := range r.Servers {
		servers = append(servers, fmt.Sprintf("%s %s %s %v", s.Name, s.Addr, s.Status, s.Authoritative))
	}
	if want := []string{"ns1.newdns.net. 185.49.3.1 authoritative true", "ns2.newdns.net. 151.101.4.2 REFUSED false"}; !slices.Equal(servers, want) {
		t.Errorf("servers = %q, want %q", servers, want)
	}

	var records []string
	for _, rec := range r.Records {
		var diffs []string
		for _, d := range rec.Diffs {
			s := d.Kind
			for _, rr := range []dns.RR{d.Current, d.New} {
				if rr != nil {
					s += " " + strings.ReplaceAll(rr.String(), "\t", " ")
				}
			}
			diffs = append(diffs, s)
		}
		records = append(records, fmt.Sprintf("%s %s %s [%s]", rec.Question.Name, trace.TypeString(rec.Question.Qtype), rec.Severity, strings.Join(diffs, "; ")))
	}
	want := []string{
		"example.com. SOA info [changed example.com. 3600 IN SOA ns1.olddns.net. hostmaster.example.com. 2025011501 7200 3600 1209600 3600 example.com. 3600 IN SOA ns1.newdns.net. dns.newdns.net. 1 7200 3600 1209600 300]",
		"example.com. NS error [missing example.com. 0 IN NS ns2.newdns.net.; extra example.com. 3600 IN NS ns3.newdns.net.]",
		"example.com. MX  []",
		`example.com. TXT error [missing example.com. 3600 IN TXT "v=spf1 mx -all"]`,
		"www.example.com. A info [ttl www.example.com. 3600 IN A 192.0.2.10 www.example.com. 300 IN A 192.0.2.10]",
		"www.example.com. AAAA warning [extra www.example.com. 300 IN AAAA 2001:db8::10]",
	}
	if !slices.Equal(records, want) {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(records, "\n"), strings.Join(want, "\n"))
	}

	wantCodes := []string{
		"error lame-server example.com. ",
		"error missing-record example.com. TXT",
		"error ns-set-differs example.com. ",
		"warning extra-record www.example.com. AAAA",
		"info soa-differs example.com. SOA",
		"info ttl-differs www.example.com. A",
		"info long-ns-ttl example.com. ",
	}
	if got := codes(r); !slices.Equal(got, wantCodes) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantCodes, "\n"))
	}
	for _, p := range r.Problems {
		if p.Severity != preflight.SeverityOf(p.Code) || p.Severity == "" || p.Message == "" {
			t.Errorf("problem %s: severity %s, message %q", p.Code, p.Severity, p.Message)
		}
	}
}

// TestReady is a complete copy at the servers the provider assigned.
func TestReady(t *testing.T) {
	r := check(t, "example.org.", to("example.org.", "ns3.newdns.net.", "ns1.newdns.net."),
		q("example.org.", dns.TypeNS), q("example.org.", dns.TypeTXT), q("www.example.org.", dns.TypeAAAA))
	if !r.Checked || r.Breaks() {
		t.Errorf("Checked, Breaks() = %v, %v; want true, false: %q", r.Checked, r.Breaks(), codes(r))
	}
	for _, rec := range r.Records {
		if !rec.Same() || rec.Severity != "" {
			t.Errorf("%s %s: diffs %v, severity %q; want the same", rec.Question.Name, trace.TypeString(rec.Question.Qtype), rec.Diffs, rec.Severity)
		}
	}
	if r.Records[0].Against != "proposed" || r.Records[1].Against != "current" {
		t.Errorf("Against = %q, %q; want the NS set compared with the proposal", r.Records[0].Against, r.Records[1].Against)
	}
	if len(r.Problems) != 0 {
		t.Errorf("problems %q, want none", codes(r))
	}
}

// TestUnusableNames proposes a name with no address and one inside the
// zone without glue, beside a vanity name with glue.
func TestUnusableNames(t *testing.T) {
	r := check(t, "example.com.", to("example.com.", "ns1.example.com.=185.49.3.1", "ns2.example.com.", "ns9.newdns.net."),
		q("www.example.com.", dns.TypeA))
	var servers []string
	for _, s := range r.Servers {
		servers = append(servers, fmt.Sprintf("%s %s %s %s", s.Name, s.Source, s.Status, s.Err))
	}
	want := []string{
		"ns1.example.com. glue authoritative ",
		"ns2.example.com.  no glue a name inside the zone needs its address at the parent",
		"ns9.newdns.net.  no address A NXDOMAIN, AAAA NXDOMAIN",
	}
	if !slices.Equal(servers, want) {
		t.Errorf("servers:\n%s\nwant:\n%s", strings.Join(servers, "\n"), strings.Join(want, "\n"))
	}
	got := codes(r)
	for _, c := range []string{"error missing-glue example.com. ", "error ns-unresolvable example.com. ", "error ns-set-differs example.com. "} {
		if !slices.Contains(got, c) {
			t.Errorf("problems %q lack %q", got, c)
		}
	}
}

// TestCompareSides checks the rules for walks that fail, and for negative
// answers, on traces written by hand.
func TestCompareSides(t *testing.T) {
	zone := "example.com."
	www := q("www.example.com.", dns.TypeA)
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	answer := func(rrs ...string) *trace.Trace {
		tr := &trace.Trace{Question: www, Outcome: trace.Answer}
		for _, s := range rrs {
			tr.Answer = append(tr.Answer, rr(s))
		}
		return tr
	}
	failed := &trace.Trace{Question: www, Outcome: trace.Failed, Err: errors.New("all 1 servers for com. failed")}
	reached := &trace.Trace{Question: www, Outcome: trace.Failed, Err: errors.New("all 2 servers for example.com. failed"), Hops: []*trace.Hop{
		{Zone: "com.", Simulated: true, Outcome: trace.Referral, Referral: &trace.Delegation{Zone: zone}},
	}}
	nx := &trace.Trace{Question: www, Outcome: trace.NXDomain}
	nodata := &trace.Trace{Question: www, Outcome: trace.NoData}
	tests := []struct {
		name          string
		cur, nxt      *trace.Trace
		checked, brks bool
		codes         []string
	}{
		{"the same, in another order and case", answer("www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN A 192.0.2.2"),
			answer("WWW.example.com. 300 IN A 192.0.2.2", "www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN A 192.0.2.1"), true, false, nil},
		{"gone and new", answer("www.example.com. 300 IN A 192.0.2.1"), answer("www.example.com. 300 IN A 192.0.2.2"), true, true,
			[]string{"error missing-record www.example.com. A", "warning extra-record www.example.com. A"}},
		{"NXDOMAIN now, NODATA new", nx, nodata, true, false, []string{"info outcome-differs www.example.com. A"}},
		{"an answer now, NXDOMAIN new", answer("www.example.com. 300 IN A 192.0.2.1"), nx, true, true, []string{"error missing-record www.example.com. A"}},
		{"fails through the new servers", answer("www.example.com. 300 IN A 192.0.2.1"), reached, true, true, []string{"error new-failed www.example.com. A"}},
		{"fails now, answers new", failed, answer("www.example.com. 300 IN A 192.0.2.1"), true, false, []string{"warning current-failed www.example.com. A"}},
		{"fails now and at the new servers", failed, reached, true, true, []string{"error new-failed www.example.com. A", "warning current-failed www.example.com. A"}},
		{"fails on both sides before the zone", failed, failed, false, false, []string{"warning current-failed www.example.com. A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := preflight.Compare(preflight.Input{Zone: zone, Proposed: to(zone, "ns1.newdns.net."),
				Current: []*trace.Trace{tt.cur}, New: []*trace.Trace{tt.nxt}})
			if r.Checked != tt.checked || r.Breaks() != tt.brks {
				t.Errorf("Checked, Breaks() = %v, %v; want %v, %v", r.Checked, r.Breaks(), tt.checked, tt.brks)
			}
			got := slices.DeleteFunc(codes(r), func(s string) bool { return strings.Contains(s, " ns1.newdns.net.") })
			if !slices.Equal(got, tt.codes) {
				t.Errorf("problems = %q, want %q", got, tt.codes)
			}
		})
	}
}
