package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// On a terminal, finding lines wrap at its width under their hop; piped,
// each finding stays on one line (testdata/golden/findings-*.txt).
func TestFindingsWrapOnTerminal(t *testing.T) {
	const width = 80
	term := openTerminalWidth(t, width)
	lab := filepath.Join("..", "..", "testdata", "lab", "diag-missing-glue.txtar")
	// Not live, so that no status line can come between the lines.
	args := []string{"--lab", lab, "--no-timings", "--color", "never", "--hedge", "off", "--live", "never", "www.example.com"}
	code := Main(args, term.tty, term.tty)
	term.finish(t)
	got := strings.ReplaceAll(term.output(), "\r\n", "\n") // the terminal's ONLCR
	if code != exitFindings {
		t.Fatalf("nstrace exited %d, want %d; the terminal showed:\n%s", code, exitFindings, got)
	}
	path := filepath.Join("..", "..", "testdata", "golden", "findings-missing-glue.width80.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("nstrace %q on a terminal %d wide differs from %s:\n%s\nwant:\n%s", args, width, path, got, want)
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.Contains(line, "missing-glue:") && utf8.RuneCountInString(line) > width {
			t.Errorf("finding line of %d columns on a terminal %d wide: %q", utf8.RuneCountInString(line), width, line)
		}
	}
}
