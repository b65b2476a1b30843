package trace

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFindingsDoc keeps docs/findings.md and the codes in step: every code
// has its section, with its severity, and every section is a code.
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
	for code, sev := range Severities {
		s, ok := sections[code]
		if !ok {
			t.Errorf("%s has no section \"### `%s`\"", path, code)
			continue
		}
		if !strings.Contains(s, "**Severity:** "+string(sev)+".") {
			t.Errorf("%s: the section of %s does not say **Severity:** %s.", path, code, sev)
		}
		for _, part := range []string{"**What it means.**", "**Why it matters.**", "**How to fix it.**"} {
			if !strings.Contains(s, part) {
				t.Errorf("%s: the section of %s lacks %s", path, code, part)
			}
		}
	}
	for code := range sections {
		if _, ok := Severities[code]; !ok {
			t.Errorf("%s has a section for %s, which is no code", path, code)
		}
	}
}
