package render

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nstrace/nstrace/trace"
)

// At a terminal's width, finding lines wrap under their hop; the goldens
// show it for the tree, the live tree, colour and the --all tables.
func TestGoldenWidth(t *testing.T) {
	for _, c := range []struct {
		name   string
		render renderFunc
		trace  func() *trace.Trace
		opts   Options
	}{
		{"findings.width80.txt", Tree, findingsTrace, Options{Width: 80}},
		{"findings.width80.color.txt", Tree, findingsTrace, Options{Width: 80, Color: true}},
		{"findings.width60.txt", Tree, findingsTrace, Options{Width: 60}},
		{"all.width80.txt", Tree, allTrace, Options{Width: 80, NoTimings: true}},
		{"findings.stream.width80.txt", streamRender, findingsTrace, Options{Width: 80}},
	} {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name, render(t, c.render, c.trace(), c.opts))
		})
	}
}

// streamRender renders a walk through TreeStream, as live output does.
func streamRender(w io.Writer, tr *trace.Trace, o Options) error {
	s := NewTreeStream(w, tr.Question, o)
	replay(s, tr, 0)
	return s.Done(tr)
}

// A wrapped finding says what the one-line finding says, each of its lines
// fits the width (when its words do) and starts with the guides and the
// indent of the finding's first line; the other lines are untouched.
func TestFindingWrap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render renderFunc
		trace  func() *trace.Trace
	}{{"findings", Tree, findingsTrace}, {"all", Tree, allTrace}, {"findings stream", streamRender, findingsTrace}} {
		for _, width := range []int{40, 60, 80, 100, 200} {
			plain := strings.Split(string(render(t, tc.render, tc.trace(), Options{})), "\n")
			wrapped := strings.Split(string(render(t, tc.render, tc.trace(), Options{Width: width})), "\n")
			var joined []string
			for i := 0; i < len(wrapped); i++ {
				line := wrapped[i]
				lead, ok := findingLead(line)
				if n := utf8.RuneCountInString(line); ok && n > width && width-visibleWidth(lead) >= minFill && strings.Count(line[len(lead):], " ") > 2 {
					t.Errorf("Tree(%s, width %d): finding line of %d columns: %q", tc.name, width, n, line)
				}
				if !ok {
					joined = append(joined, line)
					continue
				}
				for i+1 < len(wrapped) && strings.HasPrefix(wrapped[i+1], lead+"  ") && !isFinding(wrapped[i+1][len(lead):]) {
					i++
					next := wrapped[i]
					if n := utf8.RuneCountInString(next); n > width && width-visibleWidth(lead)-2 >= minFill && strings.Contains(strings.TrimSpace(next[len(lead):]), " ") {
						t.Errorf("Tree(%s, width %d): line of %d columns: %q", tc.name, width, n, next)
					}
					line += " " + strings.TrimSpace(next[len(lead):])
				}
				joined = append(joined, line)
			}
			if !slices.Equal(joined, plain) {
				t.Errorf("Tree(%s, width %d) unwrapped differs from the one-line tree:\n%s\nwant:\n%s", tc.name, width, strings.Join(joined, "\n"), strings.Join(plain, "\n"))
			}
		}
	}
}

// findingLine matches a finding's first line: the tree's guides and the
// indent, the marker and the code; or the first line of its fix, under it.
var findingLine = regexp.MustCompile(`^([│ ]*)(?:[` + markError + markWarning + markInfo + `] [a-z0-9-]+|fix \([a-z]+\)):( |$)`)

// findingLead gives the part of a finding's line before its marker.
func findingLead(line string) (string, bool) {
	m := findingLine.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func isFinding(s string) bool {
	_, ok := findingLead(s)
	return ok
}

func TestFill(t *testing.T) {
	for _, c := range []struct {
		words       string
		first, rest int
		want        string
	}{
		{"a bb ccc dddd", 6, 6, "a bb|ccc|dddd"},
		{"a bb ccc dddd", 4, 8, "a bb|ccc dddd"},
		{"toolongword a b", 5, 5, "toolongword|a b"},
		{"é é é", 3, 3, "é é|é"},
		{"", 5, 5, ""},
	} {
		var lines []string
		for _, l := range fill(strings.Fields(c.words), c.first, c.rest) {
			lines = append(lines, strings.Join(l, " "))
		}
		if got := strings.Join(lines, "|"); got != c.want {
			t.Errorf("fill(%q, %d, %d) = %q, want %q", c.words, c.first, c.rest, got, c.want)
		}
	}
}

func TestVisibleWidth(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"│  ", 3},
		{"\x1b[2m│  \x1b[0m   ", 6},
		{"\x1b[33m⚠ code:\x1b[0m x", 9},
	} {
		if got := visibleWidth(c.s); got != c.want {
			t.Errorf("visibleWidth(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}
