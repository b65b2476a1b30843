package main

import (
	"path/filepath"
	"testing"
)

// TestGoldenOutputs runs the dig layout, the Graphviz graph, a CNAME
// followed into another zone and a walk primed from @SERVER on the demo
// lab, timings hidden, and compares the whole output with
// testdata/golden/NAME. Run with -update to rewrite.
func TestGoldenOutputs(t *testing.T) {
	saved := version
	version = "v0.0.0-test" // the dig header names it; keep it fixed
	t.Cleanup(func() { version = saved })
	tests := []struct {
		name string
		args []string
	}{
		{"glueless.dig", []string{"-o", "dig", "www.example.com"}},
		{"nxdomain.dig", []string{"-o", "dig", "nope.example.com"}},
		{"tcp.dig", []string{"-o", "dig", "big.example.com", "TXT"}},
		{"cname.dig", []string{"-o", "dig", "shop.example.com"}},
		{"cname.json", []string{"--json", "shop.example.com"}},
		{"cname-nofollow.txt", []string{"--no-follow", "shop.example.com"}},
		{"primed.txt", []string{"@198.41.0.4", "www.example.com"}},
		{"primed.dig", []string{"-o", "dig", "@198.41.0.4", "www.example.com"}},
		{"primed.json", []string{"--json", "@198.41.0.4", "www.example.com"}},
		{"glueless.dot", []string{"-o", "dot", "www.example.com"}},
		{"cname.dot", []string{"-o", "dot", "shop.example.com"}},
		{"deadserver.dig", []string{"-o", "dig", "--fail-on", "never", "--no-child-ns", "--timeout", "1s", "www.halfdead.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One server at a time: under load a hedged query would
			// change the counts.
			args := append([]string{"--lab", "demo", "--no-timings", "--color", "never", "--hedge", "off"}, tt.args...)
			golden(t, filepath.Join("..", "..", "testdata", "golden", tt.name), args, exitOK)
		})
	}
}
