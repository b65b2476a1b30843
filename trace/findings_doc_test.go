package trace

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFindingsDoc keeps docs/findings.md and the codes in step: every code
// has its section, with its severity, and every section is a code; the
// summary table lists every code once, with its severity, in the order of
// Codes.
func TestFindingsDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "findings.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	sections := map[string]string{}
	heads := regexp.MustCompile("(?m)^### `([a-z0-9-]+)`$")
	idx := heads.FindAllStringSubmatchIndex(doc, -1)
	for i, m := range idx {
		end := len(doc)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		sections[doc[m[2]:m[3]]] = doc[m[1]:end]
	}
	for _, code := range Codes() {
		sev := SeverityOf(code)
		s, ok := sections[code]
		if !ok {
			t.Errorf("%s has no section \"### `%s`\"", path, code)
			continue
		}
		if !strings.Contains(s, "**Severity:** "+string(sev)+".") {
			t.Errorf("%s: the section of %s does not say **Severity:** %s.", path, code, sev)
		}
		if q := strings.Contains(s, "**Quiet:**"); q != Quiet(code) {
			t.Errorf("%s: the section of %s has **Quiet:** %v, want %v (Quiet)", path, code, q, Quiet(code))
		}
		for _, part := range []string{"**What it means.**", "**Why it matters.**", "**How to fix it.**"} {
			if !strings.Contains(s, part) {
				t.Errorf("%s: the section of %s lacks %s", path, code, part)
			}
		}
	}
	for code := range sections {
		if SeverityOf(code) == "" {
			t.Errorf("%s has a section for %s, which is no code", path, code)
		}
	}

	var rows []string
	row := regexp.MustCompile("(?m)^\\| \\[`([a-z0-9-]+)`\\]\\(#[a-z0-9-]+\\) \\| ([a-z]+) \\|")
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		rows = append(rows, m[1]+" "+m[2])
	}
	var want []string
	for _, code := range Codes() {
		want = append(want, code+" "+string(SeverityOf(code)))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("%s: the summary table lists\n%s\nwant\n%s", path, strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

// TestSeverityOf: a code that is not Diagnose's has no severity.
func TestSeverityOf(t *testing.T) {
	if got := SeverityOf("no-such-code"); got != "" {
		t.Errorf("SeverityOf(no-such-code) = %q, want \"\"", got)
	}
	if got := SeverityOf(CodeMissingGlue); got != SeverityError {
		t.Errorf("SeverityOf(%s) = %q, want %q", CodeMissingGlue, got, SeverityError)
	}
}
