package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestFindingsGolden runs scenarios of testdata/lab built to show findings
// and compares the whole output, timings hidden, with
// testdata/golden/findings-NAME. Run with -update to rewrite.
func TestFindingsGolden(t *testing.T) {
	t.Setenv("NSTRACE_LOOPBACK_ONLY", "1")
	tests := []struct {
		name, scenario string
		args           []string
		code           int
	}{
		{"findings-missing-glue.txt", "diag-missing-glue", []string{"www.example.com"}, exitFindings},
		{"findings-ns-address.txt", "diag-ns-address", []string{"www.example.com"}, exitFindings},
		{"findings-glue-mismatch.txt", "diag-glue-mismatch", []string{"www.example.com"}, exitOK},
		{"findings-circular.txt", "glueless-cycle", []string{"www.a.example"}, exitFailed},
		{"findings-split-horizon.json", "diag-split-horizon", []string{"--json", "www.example.com"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			lab := filepath.Join("..", "..", "testdata", "lab", tt.scenario+".txtar")
			// One server at a time, so that the trace is the same every time.
			args := append([]string{"--lab", lab, "--no-timings", "--color", "never", "--hedge", "off"}, tt.args...)
			if code := Main(args, &stdout, &stderr); code != tt.code {
				t.Fatalf("nstrace %q exited %d, want %d; stderr: %s", args, code, tt.code, stderr.String())
			}
			path := filepath.Join("..", "..", "testdata", "golden", tt.name)
			if *update {
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Errorf("nstrace %q output differs from %s:\n%s\nwant:\n%s", args, path, stdout.Bytes(), want)
			}
		})
	}
}
