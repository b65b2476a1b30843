package main

import (
	"path/filepath"
	"testing"
)

// TestGoldenPreflight checks a move on the migration lab, timings hidden,
// and compares the whole report with testdata/golden/preflight/NAME (apart
// from the goldens of traces, which docs/schema.json describes). Run with
// -update to rewrite.
func TestGoldenPreflight(t *testing.T) {
	lab := filepath.Join("..", "..", "testdata", "lab", "migration.txtar")
	tests := []struct {
		name string
		args []string
		code int
	}{
		// The new provider's copy of example.com lacks the TXT record, has
		// ns1 and ns3 as its NS set, and ns2 does not serve it.
		{"migration.txt", []string{"example.com", "--to", "ns1.newdns.net,ns2.newdns.net"}, exitBreaks},
		{"migration.json", []string{"--json", "example.com", "--to", "ns1.newdns.net,ns2.newdns.net"}, exitBreaks},
		// Its copy of example.org is complete.
		{"ready.txt", []string{"example.org", "--to", "ns1.newdns.net,ns3.newdns.net"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No hedging: under load, a late reply would draw an extra query,
			// and the count of queries would vary.
			args := append([]string{"preflight", "--lab", lab, "--no-timings", "--color", "never", "--hedge", "off"}, tt.args...)
			golden(t, filepath.Join("..", "..", "testdata", "golden", "preflight", tt.name), args, tt.code)
		})
	}
}
