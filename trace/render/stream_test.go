package render

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace"
)

// replay feeds a finished walk to s in the order the resolver's Observer
// reports it: a hop, then the lookups its referral needed, then the next.
func replay(s *TreeStream, t *trace.Trace, depth int) {
	for _, h := range t.Hops {
		if h == nil {
			continue
		}
		s.Hop(*h, depth)
		for _, l := range h.Lookups {
			s.LookupStarted(l.Question, depth+1)
			replay(s, l, depth+1)
			s.LookupDone(l, depth+1)
		}
	}
}

func streamOf(t *testing.T, tr *trace.Trace, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	s := NewTreeStream(&buf, tr.Question, o)
	replay(s, tr, 0)
	if err := s.Done(tr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTreeStreamGolden(t *testing.T) {
	for _, c := range digCases() {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name+".stream.txt", streamOf(t, c.trace(), Options{}))
		})
	}
	t.Run("healthy.color", func(t *testing.T) {
		golden(t, "healthy.stream.color.txt", streamOf(t, healthyTrace(), Options{Color: true}))
	})
}

// squeeze drops the tree's glyphs and collapses runs of spaces, which is
// where the stream and the tree may differ.
func squeeze(s string) string {
	s = strings.NewReplacer("├─", "", "└─", "", "│", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// dnssecWord is a zone's DNSSEC status beside it on a hop's line.
var dnssecWord = regexp.MustCompile(`^(\S+) (?:secure|insecure|bogus|indeterminate) `)

// The stream says what the tree says: every line of Tree but a lookup's
// header line is in the stream, in the same order, but for the spacing;
// findings, known only once the walk is over, come at the end.
func TestTreeStreamMatchesTree(t *testing.T) {
	for _, c := range digCases() {
		for _, o := range []Options{{}, {NoTimings: true}} {
			tree := string(render(t, Tree, c.trace(), o))
			stream := string(streamOf(t, c.trace(), o))
			var lines []string
			for _, l := range strings.Split(stream, "\n") {
				lines = append(lines, squeeze(l))
			}
			i := 0
			for _, l := range strings.Split(tree, "\n") {
				want := squeeze(l)
				if strings.HasPrefix(want, "lookup ") {
					continue // the stream writes it in two parts
				}
				// DNSSEC is known only once the walk is over: the stream
				// gives each zone's status at the end (dnssec.go).
				if strings.HasPrefix(want, "DS ") || strings.HasPrefix(want, "trust anchor DS ") {
					continue
				}
				want = dnssecWord.ReplaceAllString(want, "$1 ")
				if strings.HasPrefix(want, markError) || strings.HasPrefix(want, markWarning) || strings.HasPrefix(want, markInfo) || strings.HasPrefix(want, "fix (") {
					// A finding, or its fix, which the stream can write only at the end.
					if !slices.Contains(lines, want) {
						t.Errorf("TreeStream(%s, %+v) lacks Tree's finding %q", c.name, o, l)
					}
					continue
				}
				for i < len(lines) && lines[i] != want {
					i++
				}
				if i == len(lines) {
					t.Errorf("TreeStream(%s, %+v) lacks, or misorders, Tree's line %q\nstream:\n%s\ntree:\n%s", c.name, o, l, stream, tree)
					break
				}
			}
			if strings.Contains(stream, "\x1b") {
				t.Errorf("TreeStream(%s, no colour) has an escape code", c.name)
			}
		}
	}
}
