// Package findingsdoc checks that a document of finding codes, such as
// docs/findings.md or docs/dnssec.md, keeps in step with the codes: one
// "### `code`" section a code, saying its severity, what it means, why it
// matters and how to fix it, and no section for a code that is none.
package findingsdoc

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var heads = regexp.MustCompile("(?m)^### `([a-z0-9-]+)`$")

// Sections maps each "### `code`" heading of doc to the text under it.
func Sections(doc string) map[string]string {
	out := map[string]string{}
	idx := heads.FindAllStringSubmatchIndex(doc, -1)
	for i, m := range idx {
		end := len(doc)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		out[doc[m[2]:m[3]]] = doc[m[1]:end]
	}
	return out
}

// Check reads the document at path and reports, as errors of t, each code
// without its section, a section without "**Severity:** SEVERITY." or one
// of the three parts, and a section whose code severity does not know
// (gives "" for). It returns the document's text.
func Check(t testing.TB, path string, codes []string, severity func(code string) string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sections := Sections(string(b))
	for _, code := range codes {
		s, ok := sections[code]
		if !ok {
			t.Errorf("%s has no section \"### `%s`\"", path, code)
			continue
		}
		if !strings.Contains(s, "**Severity:** "+severity(code)+".") {
			t.Errorf("%s: the section of %s does not say **Severity:** %s.", path, code, severity(code))
		}
		for _, part := range []string{"**What it means.**", "**Why it matters.**", "**How to fix it.**"} {
			if !strings.Contains(s, part) {
				t.Errorf("%s: the section of %s lacks %s", path, code, part)
			}
		}
	}
	for code := range sections {
		if severity(code) == "" {
			t.Errorf("%s has a section for %s, which is no code", path, code)
		}
	}
	return string(b)
}
