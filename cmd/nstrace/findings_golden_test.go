package main

import (
	"path/filepath"
	"testing"
)

// TestFindingsGolden runs scenarios of testdata/lab built to show findings
// and compares the whole output, timings hidden, with
// testdata/golden/findings-NAME. Run with -update to rewrite.
func TestFindingsGolden(t *testing.T) {
	tests := []struct {
		name, scenario string
		args           []string
		code           int
	}{
		{"findings-missing-glue.txt", "diag-missing-glue", []string{"www.example.com"}, exitFindings},
		{"findings-many-noglue.txt", "diag-many-noglue", []string{"www.example.com"}, exitFindings},
		{"findings-many-noglue.json", "diag-many-noglue", []string{"--json", "www.example.com"}, exitFindings},
		{"findings-ns-address.txt", "diag-ns-address", []string{"www.example.com"}, exitFindings},
		{"findings-glue-mismatch.txt", "diag-glue-mismatch", []string{"www.example.com"}, exitOK},
		{"findings-glue-incomplete.txt", "diag-glue-incomplete", []string{"www.missing6.com"}, exitOK},
		{"findings-circular.txt", "glueless-cycle", []string{"www.a.example"}, exitFailed},
		{"findings-split-horizon.json", "diag-split-horizon", []string{"--json", "www.example.com"}, exitOK},
		// This host's network is not a server's fault: an IPv4-only host.
		{"host-ipv4-only.txt", "host-ipv4-only", []string{"www.example.com"}, exitOK},
		{"host-ipv4-only.json", "host-ipv4-only", []string{"--json", "www.example.com"}, exitOK},
		{"host-ipv4-only-all.txt", "host-ipv4-only", []string{"--all", "www.example.com"}, exitOK},
		{"host-ipv4-only-v6-zone.txt", "host-ipv4-only", []string{"www.v6.example.com"}, exitFailed},
		// nstrace's own limits are not a server's fault: the deadline cuts
		// ns1, which never answers, short; ns2 is never asked.
		{"partial-deadline.txt", "deadserver", []string{"--timeout", "30s", "--deadline", "1s", "www.example.com"}, exitFailed},
		{"partial-deadline.json", "deadserver", []string{"--timeout", "30s", "--deadline", "1s", "--json", "www.example.com"}, exitFailed},
		// QNAME minimisation (issue 15): empty non-terminals, a cut below
		// them, a name of 12 labels; servers that fail minimised queries.
		{"qmin-ent.txt", "qmin-ent", []string{"--qmin", "www.a.b.c.example.com"}, exitOK},
		{"qmin-ent.json", "qmin-ent", []string{"--qmin", "--json", "www.a.b.c.example.com"}, exitOK},
		{"qmin-ent.dig", "qmin-ent", []string{"--qmin", "-o", "dig", "www.a.b.c.example.com"}, exitOK},
		{"qmin-ns.txt", "qmin-ent", []string{"--qmin=ns", "--path-only", "x.y.z.example.com", "TXT"}, exitOK},
		{"qmin-long.txt", "qmin-ent", []string{"--qmin", "--path-only", "l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example.com"}, exitOK},
		{"qmin-all.txt", "qmin-ent", []string{"--qmin", "--all", "www.a.b.c.example.com"}, exitOK},
		{"qmin-ent-nxdomain.txt", "qmin-faults", []string{"--qmin", "www.a.b.c.entnx.com"}, exitFindings},
		{"qmin-refused.json", "qmin-faults", []string{"--qmin", "--json", "www.a.b.c.qminrefuse.com"}, exitOK},
		{"qmin-timeout.txt", "qmin-faults", []string{"--qmin", "--timeout", "300ms", "--tries", "1", "www.a.b.c.qmindrop.com"}, exitFindings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := filepath.Join("..", "..", "testdata", "lab", tt.scenario+".txtar")
			// One server at a time, so that the trace is the same every time.
			args := append([]string{"--lab", lab, "--no-timings", "--color", "never", "--hedge", "off"}, tt.args...)
			golden(t, filepath.Join("..", "..", "testdata", "golden", tt.name), args, tt.code)
		})
	}
}
