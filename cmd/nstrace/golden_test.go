package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden runs traces on the demo lab and compares the whole output,
// timings hidden, with testdata/golden/NAME. Run with -update to rewrite.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"glueless.txt", []string{"www.example.com"}, exitOK},
		{"glueless.json", []string{"--json", "www.example.com"}, exitOK},
		{"subdelegation.txt", []string{"api.dev.example.com"}, exitOK},
		// Four zones of four addresses are 128 probes, more than the
		// default budget gives them (100): which zone's are cut would
		// depend on which zone's check a loaded machine gets to first.
		{"cloud-aaaa.txt", []string{"--max-queries", "400", "api.aws.example.com", "AAAA"}, exitOK},
		// The default budget, too small for its four zones' 128 probes: each
		// zone's share is taken in walk order (resolver/probe.go), every run.
		{"cloud-aaaa-budget.txt", []string{"api.aws.example.com", "AAAA"}, exitOK},
		{"vanity.txt", []string{"www.vanity.net"}, exitOK},
		{"nxdomain.txt", []string{"nope.example.com"}, exitOK},
		{"nxdomain.json", []string{"-o", "json", "nope.example.com"}, exitOK},
		{"nodata.txt", []string{"www.example.com", "MX"}, exitOK},
		{"tcp.txt", []string{"big.example.com", "TXT"}, exitOK},
		{"cname.txt", []string{"shop.example.com"}, exitOK},
		{"deadserver.txt", []string{"--no-child-ns", "--timeout", "1s", "www.halfdead.com"}, exitFindings},
		// The minimising walk (issue 15) on the signed demo: its lookups of
		// glueless nameservers minimise too, and every zone validates.
		{"qmin-glueless.json", []string{"--qmin", "--json", "www.example.com"}, exitOK},
		{"qmin-glueless.txt", []string{"--qmin", "--path-only", "www.example.com"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One server at a time: under load a hedged query would change
			// the trace.
			args := append([]string{"--lab", "demo", "--no-timings", "--color", "never", "--hedge", "off"}, tt.args...)
			golden(t, filepath.Join("..", "..", "testdata", "golden", tt.name), args, tt.code)
		})
	}
}

// waitTenths is the fraction of a second in the time a silent server was
// waited (unreachable-server's "over 2s"), which --no-timings leaves in: it
// is measured, tries of a 1s timeout each counted to 100ms, so a host that
// wakes 100ms late (a loaded CI) reads "over 2.1s". The whole seconds stay
// compared: two tries of 1s, not five.
var waitTenths = regexp.MustCompile(`( queries over [0-9]+)\.[0-9]+s\b`)

// golden runs nstrace with args, wants exit code code, and compares its
// output, the tenths of a wait dropped, with the file at path, which
// -update rewrites.
func golden(t *testing.T, path string, args []string, code int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if got := Main(args, &stdout, &stderr); got != code {
		t.Fatalf("nstrace %q exited %d, want %d; stderr: %s", args, got, code, stderr.String())
	}
	got := waitTenths.ReplaceAll(stdout.Bytes(), []byte("${1}s"))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("nstrace %q output differs from %s:\n%s\nwant:\n%s", args, path, got, want)
	}
}
