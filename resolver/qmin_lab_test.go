package resolver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// qminSteps writes the walk's hops, and the full names asked beside it
// after NXDOMAIN, as "ZONE NAME TYPE QMIN OUTCOME", one a line: the
// questions a minimising walk sends, where, and what it learned.
func qminSteps(tr *trace.Trace) string {
	var b strings.Builder
	for _, h := range tr.Hops {
		mark := string(h.QMin)
		switch {
		case h.Purpose == trace.PurposeQminCheck:
			mark = "check"
		case h.Purpose != trace.PurposeWalk:
			continue
		case mark == "":
			mark = "full"
		}
		fmt.Fprintf(&b, "%s %s %s %s %s\n", h.Zone, h.Question.Name, trace.TypeString(h.Question.Qtype), mark, h.Outcome)
	}
	return b.String()
}

// TestQMinLab walks the lab as a QNAME-minimising resolver (RFC 9156):
// each row gives every step of the walk, one server at a time and without
// the checks beside it, so that the steps are the algorithm's alone.
func TestQMinLab(t *testing.T) {
	tests := []struct {
		scenario, name string
		qtype, qmin    uint16
		outcome        trace.Outcome
		steps          string
	}{
		{"qmin-ent", "www.a.b.c.example.com.", dns.TypeA, dns.TypeA, trace.Answer, `
. com. A minimised referral
com. example.com. A minimised referral
example.com. c.example.com. A minimised nodata
example.com. b.c.example.com. A minimised nodata
example.com. a.b.c.example.com. A minimised referral
a.b.c.example.com. www.a.b.c.example.com. A full answer`},
		{"qmin-ent", "www.a.b.c.example.com.", dns.TypeA, dns.TypeNS, trace.Answer, `
. com. NS minimised referral
com. example.com. NS minimised referral
example.com. c.example.com. NS minimised nodata
example.com. b.c.example.com. NS minimised nodata
example.com. a.b.c.example.com. NS minimised referral
a.b.c.example.com. www.a.b.c.example.com. A full answer`},
		// 12 labels: four one at a time, then the labels left shared out
		// (RFC 9156 §2.3), ten queries in all.
		{"qmin-ent", "l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example.com.", dns.TypeA, dns.TypeA, trace.Answer, `
. com. A minimised referral
com. example.com. A minimised referral
example.com. deep.example.com. A minimised nodata
example.com. l9.deep.example.com. A minimised nodata
example.com. l8.l9.deep.example.com. A minimised nodata
example.com. l7.l8.l9.deep.example.com. A minimised nodata
example.com. l6.l7.l8.l9.deep.example.com. A minimised nodata
example.com. l5.l6.l7.l8.l9.deep.example.com. A minimised nodata
example.com. l3.l4.l5.l6.l7.l8.l9.deep.example.com. A minimised nodata
example.com. l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example.com. A full answer`},
		// A name that does not exist: NXDOMAIN ends the walk (RFC 8020);
		// the full name is asked beside it.
		{"qmin-ent", "www.nope.example.com.", dns.TypeA, dns.TypeA, trace.NXDomain, `
. com. A minimised referral
com. example.com. A minimised referral
example.com. nope.example.com. A minimised nxdomain
example.com. www.nope.example.com. A check nxdomain`},
		// DS is asked whole of the parent of its name (RFC 9156 §3).
		{"qmin-ent", "a.b.c.example.com.", dns.TypeDS, dns.TypeA, trace.NoData, `
. com. A minimised referral
com. example.com. A minimised referral
example.com. c.example.com. A minimised nodata
example.com. b.c.example.com. A minimised nodata
example.com. a.b.c.example.com. DS full nodata`},
		// An empty non-terminal answered NXDOMAIN: the walk stops, the
		// full name answers.
		{"qmin-faults", "www.a.b.c.entnx.com.", dns.TypeA, dns.TypeA, trace.NXDomain, `
. com. A minimised referral
com. entnx.com. A minimised referral
entnx.com. c.entnx.com. A minimised nxdomain
entnx.com. www.a.b.c.entnx.com. A check answer`},
		{"qmin-faults", "www.a.b.c.qminrefuse.com.", dns.TypeA, dns.TypeA, trace.Answer, `
. com. A minimised referral
com. qminrefuse.com. A minimised referral
qminrefuse.com. c.qminrefuse.com. A minimised error
qminrefuse.com. c.qminrefuse.com. A minimised error
qminrefuse.com. www.a.b.c.qminrefuse.com. A fallback answer`},
		{"qmin-faults", "www.a.b.c.healthy.com.", dns.TypeA, dns.TypeA, trace.Answer, `
. com. A minimised referral
com. healthy.com. A minimised referral
healthy.com. c.healthy.com. A minimised nodata
healthy.com. b.c.healthy.com. A minimised nodata
healthy.com. a.b.c.healthy.com. A minimised nodata
healthy.com. www.a.b.c.healthy.com. A full answer`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s/%s", tt.scenario, tt.name, trace.TypeString(tt.qtype), trace.TypeString(tt.qmin)), func(t *testing.T) {
			t.Parallel()
			l := startLab(t, tt.scenario)
			r := newResolver(t, l, resolver.Options{QMin: tt.qmin, PathOnly: true, NoChildNS: true, HedgeDelay: -1, NoDNSSEC: true})
			tr, err := r.Trace(context.Background(), tt.name, tt.qtype)
			if tr.Outcome != tt.outcome {
				t.Errorf("Trace(%q) outcome = %s (%v), want %s", tt.name, tr.Outcome, err, tt.outcome)
			}
			if got, want := qminSteps(tr), strings.TrimPrefix(tt.steps, "\n")+"\n"; got != want {
				t.Errorf("Trace(%q) steps:\n%s\nwant:\n%s", tt.name, got, want)
			}
			if tr.Mode.QMin != tt.qmin {
				t.Errorf("Trace(%q) Mode.QMin = %d, want %d", tt.name, tr.Mode.QMin, tt.qmin)
			}
		})
	}
}

// TestQMinDrop: a zone whose servers drop minimised queries is reached
// through the fallback, once each server has timed out.
func TestQMinDrop(t *testing.T) {
	l := startLab(t, "qmin-faults")
	r := newResolver(t, l, resolver.Options{QMin: dns.TypeA, PathOnly: true, NoChildNS: true, HedgeDelay: -1, NoDNSSEC: true,
		Timeout: 200 * time.Millisecond, Tries: 1})
	tr, err := r.Trace(context.Background(), "www.a.b.c.qmindrop.com.", dns.TypeA)
	if tr.Outcome != trace.Answer {
		t.Fatalf("outcome = %s (%v), want answer", tr.Outcome, err)
	}
	want := `. com. A minimised referral
com. qmindrop.com. A minimised referral
qmindrop.com. c.qmindrop.com. A minimised error
qmindrop.com. c.qmindrop.com. A minimised error
qmindrop.com. www.a.b.c.qmindrop.com. A fallback answer
`
	if got := qminSteps(tr); got != want {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
}

// TestExpectedQMinQueries checks the count of RFC 9156 §2.3 for names of
// every length: as many queries as labels up to MinimiseOneLab more, and
// never more than MaxMinimiseCount.
func TestExpectedQMinQueries(t *testing.T) {
	for labels, want := range map[int]int{0: 1, 1: 1, 3: 3, 4: 4, 10: 10, 11: 10, 12: 10, 40: 10, 127: 10} {
		if got := resolver.ExpectedQMinQueries(labels); got != want {
			t.Errorf("ExpectedQMinQueries(%d) = %d, want %d", labels, got, want)
		}
	}
}

// TestQMinDNSSEC: the NODATA replies of empty non-terminals, which only a
// minimising walk asks for, carry NSEC or NSEC3 proofs that the validator
// accepts (RFC 4035 §3.1.3.2, RFC 5155 §7.2.3): every zone stays secure.
func TestQMinDNSSEC(t *testing.T) {
	l := startLab(t, "qmin-signed")
	tests := []struct {
		name    string
		qtype   uint16
		outcome trace.Outcome
		zone    string
		nodata  int // minimised questions answered NODATA, each with its proof
	}{
		{"x.y.z.example.com.", dns.TypeTXT, trace.Answer, "example.com.", 2},
		{"y.z.example.com.", dns.TypeTXT, trace.NoData, "example.com.", 1},
		{"nope.y.z.example.com.", dns.TypeA, trace.NXDomain, "example.com.", 2},
		{"x.y.z.nsec3.com.", dns.TypeTXT, trace.Answer, "nsec3.com.", 2},
		{"w.x.y.z.nsec3.com.", dns.TypeA, trace.NXDomain, "nsec3.com.", 3}, // x.y.z owns a TXT record, no A
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(t, l, resolver.Options{QMin: dns.TypeA, TrustAnchors: l.Scenario().Anchors(), HedgeDelay: -1, PathOnly: true})
			tr, err := r.Trace(context.Background(), tt.name, tt.qtype)
			if tr.Outcome != tt.outcome {
				t.Fatalf("Trace(%q) outcome = %s (%v), want %s", tt.name, tr.Outcome, err, tt.outcome)
			}
			ents := 0
			for _, h := range walkHops(tr) {
				if h.EmptyNonTerminal() {
					ents++
				}
			}
			if ents != tt.nodata {
				t.Errorf("Trace(%q) got NODATA to %d minimised questions, want %d:\n%s", tt.name, ents, tt.nodata, qminSteps(tr))
			}
			for _, z := range tr.DNSSEC {
				if z.Status != "secure" {
					t.Errorf("Trace(%q): %s is %s, want secure", tt.name, z.Zone, z.Status)
				}
			}
			if n := len(tr.DNSSEC); n == 0 || tr.DNSSEC[n-1].Zone != tt.zone {
				t.Errorf("Trace(%q) validated %v, want down to %s", tt.name, tr.DNSSEC, tt.zone)
			}
			for _, f := range trace.Diagnose(tr) {
				if f.Severity == trace.SeverityError {
					t.Errorf("Trace(%q): %s: %s", tt.name, f.Code, f.Message)
				}
			}
		})
	}
}

// BenchmarkQMinQueries walks names of testdata/lab/qmin-ent.txtar (empty
// non-terminals, a cut below them, 12 labels) minimising, one server at a
// time, without checks, and reports the queries of the walk's path per
// name ("queries/name") beside the count RFC 9156 §2.3 expects of a walk
// whose every query finds a name or a cut ("rfc-queries/name", from
// ExpectedQMinQueries), and the full-name walk's ("full-queries/name").
// The first two should be equal.
func BenchmarkQMinQueries(b *testing.B) {
	l := startLab(b, "qmin-ent")
	names := []struct {
		name  string
		qtype uint16
	}{
		{"www.a.b.c.example.com.", dns.TypeA},
		{"x.y.z.example.com.", dns.TypeTXT},
		{"l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example.com.", dns.TypeA},
		{"nope.y.z.example.com.", dns.TypeA},
		{"www.example.com.", dns.TypeA},
	}
	opts := resolver.Options{PathOnly: true, NoChildNS: true, HedgeDelay: -1, NoDNSSEC: true}
	full := newResolver(b, l, opts)
	opts.QMin = dns.TypeA
	qmin := newResolver(b, l, opts)
	ctx := context.Background()
	path := func(r *resolver.Resolver, name string, qtype uint16) int {
		tr, err := r.Trace(ctx, name, qtype)
		if err != nil || !tr.Outcome.Authoritative() {
			b.Fatalf("Trace(%q) = %s, %v", name, tr.Outcome, err)
		}
		return len(walkHops(tr))
	}
	var got, want, plain int
	for b.Loop() {
		for _, n := range names {
			got += path(qmin, n.name, n.qtype)
			plain += path(full, n.name, n.qtype)
			want += resolver.ExpectedQMinQueries(dns.CountLabel(n.name))
		}
	}
	per := float64(b.N * len(names))
	b.ReportMetric(float64(got)/per, "queries/name")
	b.ReportMetric(float64(want)/per, "rfc-queries/name")
	b.ReportMetric(float64(plain)/per, "full-queries/name")
}

// TestCompare walks each name both ways at once (Resolver.Compare): an
// empty non-terminal answered NXDOMAIN ends the minimising walk where the
// full name's answers, and only there do the two end differently.
func TestCompare(t *testing.T) {
	l := startLab(t, "qmin-faults")
	tests := []struct {
		name          string
		qmin, full    trace.Outcome
		different     bool
		minimisedAsks int
	}{
		{"www.a.b.c.entnx.com.", trace.NXDomain, trace.Answer, true, 3},
		{"www.a.b.c.healthy.com.", trace.Answer, trace.Answer, false, 5},
		{"www.a.b.c.qminrefuse.com.", trace.Answer, trace.Answer, false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newResolver(t, l, resolver.Options{HedgeDelay: -1, NoDNSSEC: true}) // QMin 0: Compare minimises with A
			tr, err := r.Compare(context.Background(), tt.name, dns.TypeA)
			if tr.Outcome != tt.qmin || tr.Mode.QMin != dns.TypeA {
				t.Fatalf("Compare(%q) = %s (%v), Mode.QMin %d; want %s, A", tt.name, tr.Outcome, err, tr.Mode.QMin, tt.qmin)
			}
			if tr.Compared == nil || tr.Compared.Outcome != tt.full || tr.Compared.Mode.QMin != 0 {
				t.Fatalf("Compare(%q).Compared = %+v, want a full-name walk ending in %s", tt.name, tr.Compared, tt.full)
			}
			n := len(hopsWith(tr, func(h *trace.Hop) bool { return h.QMin == trace.QMinMinimised && h.Purpose == trace.PurposeWalk }))
			if n != tt.minimisedAsks {
				t.Errorf("Compare(%q): %d minimised questions, want %d:\n%s", tt.name, n, tt.minimisedAsks, qminSteps(tr))
			}
			if m := len(hopsWith(tr.Compared, func(h *trace.Hop) bool { return h.QMin != trace.QMinNone })); m != 0 {
				t.Errorf("Compare(%q): the full-name walk has %d minimised hops", tt.name, m)
			}
			if got := len(trace.QMinDifferent(tr.Compared, tr)) > 0; got != tt.different {
				t.Errorf("Compare(%q): QMinDifferent = %v, want %v", tt.name, got, tt.different)
			}
		})
	}
}

// TestCompareApart: the full-name walk of Compare does not wait for the
// minimising walk where their next label is the same: servers that drop
// minimised questions hold the minimising walk for its timeouts, cut here
// by the context, while the full name is answered at once, as dig +trace
// would have it.
func TestCompareApart(t *testing.T) {
	l := startLab(t, "qmin-faults")
	r := newResolver(t, l, resolver.Options{HedgeDelay: -1, NoDNSSEC: true, Timeout: 10 * time.Second, Tries: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	tr, err := r.Compare(ctx, "www.a.b.c.qmindrop.com.", dns.TypeA)
	if tr == nil || tr.Partial() == trace.ReasonNone {
		t.Fatalf("Compare: the minimising walk was not cut short (%v)", err)
	}
	if f := tr.Compared; f == nil || f.Outcome != trace.Answer {
		t.Errorf("Compare: the full-name walk = %+v, want an answer", f)
	}
}
