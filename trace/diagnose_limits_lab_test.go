package trace_test

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// A walk stopped by one of nstrace's own limits failed for nstrace's sake,
// not the zone's: no all-servers-failed. This also checks that the
// resolver gives such a walk a reason of its own (Reason.Ours).
func TestDiagnoseLimits(t *testing.T) {
	tests := []struct {
		scenario, name string
		opts           resolver.Options
	}{
		{"healthy", "www.example.com", resolver.Options{MaxQueries: 2}},
		{"subdelegation", "api.dev.example.com", resolver.Options{MaxDepth: 2}},
		{"glueless", "www.example.com", resolver.Options{MaxQueries: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			tr := runLab(t, tt.scenario, tt.name, dns.TypeA, tt.opts)
			if tr.Outcome != trace.Failed {
				t.Fatalf("Trace(%q): %s, want a walk stopped by a limit", tt.name, tr.Outcome)
			}
			if !tr.Reason.Ours() {
				t.Errorf("Trace(%q).Reason = %q, want one of nstrace's own limits", tt.name, tr.Reason)
			}
			for _, f := range tr.Findings {
				if f.Code == trace.CodeAllServersFailed {
					t.Errorf("Trace(%q) stopped by a limit (%v) has %s", tt.name, tr.Err, dump([]trace.Finding{f}))
				}
			}
		})
	}
}
