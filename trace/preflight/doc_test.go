package preflight_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace/preflight"
)

// TestProblemsDoc keeps the table of problems in docs/preflight.md and the
// codes in step: every code once, with its severity, in the order of Codes.
func TestProblemsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "preflight.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| (error|warning|info) \\|")
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		rows = append(rows, m[1]+" "+m[2])
	}
	var want []string
	for _, code := range preflight.Codes() {
		want = append(want, code+" "+string(preflight.SeverityOf(code)))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("%s: the table of problems lists\n%s\nwant\n%s", path, strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if got := preflight.SeverityOf("no-such-code"); got != "" {
		t.Errorf("SeverityOf(no-such-code) = %q, want \"\"", got)
	}
}
