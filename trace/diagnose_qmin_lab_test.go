package trace_test

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestQMinFailureVerdicts: a minimised query that failed names its server
// only for what the trace proves. A server asked nothing else of its zone
// (--path-only; the checks cut by the query budget) is neither lame nor
// unreachable nor qmin-*: its other answers are not known. A server that
// also lost questions that were not minimised is lossy, not qmin-timeout.
func TestQMinFailureVerdicts(t *testing.T) {
	qmin := resolver.Options{QMin: dns.TypeA, HedgeDelay: -1, Timeout: 300 * time.Millisecond}
	pathOnly, budget := qmin, qmin
	pathOnly.PathOnly = true
	budget.MaxQueries = 8
	tests := []struct {
		scenario, name string
		opts           resolver.Options
		want           []finding
		never          []string
	}{
		{"qmin-faults", "www.a.b.c.qminrefuse.com.", pathOnly,
			[]finding{{trace.CodeQminRefused, "qminrefuse.com.", "ns1.qminrefuse.com.", "45.33.22.1"}}, []string{trace.CodeLameServer}},
		{"qmin-faults", "www.a.b.c.qminservfail.com.", pathOnly,
			[]finding{{trace.CodeQminServfail, "qminservfail.com.", "ns1.qminservfail.com.", "45.33.24.1"}}, []string{trace.CodeLameServer}},
		{"qmin-faults", "www.a.b.c.qmindrop.com.", pathOnly,
			[]finding{{trace.CodeQminTimeout, "qmindrop.com.", "ns1.qmindrop.com.", "45.33.23.1"}}, []string{trace.CodeUnreachableServer}},
		{"qmin-faults", "www.a.b.c.qminrefuse.com.", budget, nil, []string{trace.CodeLameServer}},
		// ns1 drops every other UDP query, minimised or not.
		{"loss", "www.a.example.com.", qmin, nil, []string{trace.CodeQminTimeout}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			tr := runLab(t, tt.scenario, tt.name, dns.TypeA, tt.opts)
			for _, w := range tt.want {
				if !w.in(tr.Findings) {
					t.Errorf("Trace(%q): no %v in:\n%s", tt.name, w, dump(tr.Findings))
				}
			}
			for _, f := range tr.Findings {
				for _, code := range tt.never {
					if f.Code == code {
						t.Errorf("Trace(%q): %s, not proven by the trace:\n%s", tt.name, code, dump(tr.Findings))
					}
				}
			}
		})
	}
}
