package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/trace"
)

// TestJSONLine checks that JSONLine writes JSON's document on one line: the
// same keys in the same order, compacted.
func TestJSONLine(t *testing.T) {
	for _, c := range append(cases, struct {
		name  string
		trace func() *trace.Trace
		more  bool
	}{"findings", findingsTrace, false}) {
		for _, o := range []Options{{}, {NoTimings: true}} {
			line := render(t, JSONLine, c.trace(), o)
			if n := bytes.Count(line, []byte("\n")); n != 1 || !bytes.HasSuffix(line, []byte("\n")) {
				t.Errorf("JSONLine(%s, %+v): %d newlines, want one, at the end", c.name, o, n)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, render(t, JSON, c.trace(), o)); err != nil {
				t.Fatal(err)
			}
			want.WriteByte('\n')
			if !bytes.Equal(line, want.Bytes()) {
				t.Errorf("JSONLine(%s, %+v) =\n%s\nwant JSON compacted:\n%s", c.name, o, line, want.Bytes())
			}
		}
	}
	if err := JSONLine(&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("JSONLine(nil) = nil error, want one")
	}
}

func summaryOf(t *testing.T, o Options, elapsed time.Duration, traces ...*trace.Trace) string {
	t.Helper()
	var buf bytes.Buffer
	s := NewSummary(&buf, o)
	for _, tr := range traces {
		if err := s.Row(tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Total(elapsed); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestSummary(t *testing.T) {
	traces := []*trace.Trace{healthyTrace(), nxdomainTrace(), failedTrace(), findingsTrace()}
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"notimings", Options{NoTimings: true}, `
OUTCOME  ZONES QUERIES  ERR WARN INFO  QUESTION
answer       3       7    0    0    0  www.example.com. A
nxdomain     3       3    0    0    0  nope.example.com. A
failed       3       6    0    0    0  broken.example. A: no usable servers for broken.example.
answer       3       5    1    2    0  www.example.com. A
4 names: 2 answer, 1 nxdomain, 1 failed · 21 queries · 1 error, 2 warnings
`},
		{"verbose: the quiet ns-ttl-mismatch counts", Options{NoTimings: true, Verbose: true}, `
OUTCOME  ZONES QUERIES  ERR WARN INFO  QUESTION
answer       3       7    0    0    0  www.example.com. A
nxdomain     3       3    0    0    0  nope.example.com. A
failed       3       6    0    0    0  broken.example. A: no usable servers for broken.example.
answer       3       5    1    2    1  www.example.com. A
4 names: 2 answer, 1 nxdomain, 1 failed · 21 queries · 1 error, 2 warnings, 1 info
`},
		{"timings", Options{}, `
OUTCOME  ZONES QUERIES   TIME  ERR WARN INFO  QUESTION
answer       3       7   58ms    0    0    0  www.example.com. A
nxdomain     3       3   32ms    0    0    0  nope.example.com. A
failed       3       6   2.1s    0    0    0  broken.example. A: no usable servers for broken.example.
answer       3       5  3.1ms    1    2    0  www.example.com. A
4 names: 2 answer, 1 nxdomain, 1 failed · 21 queries · 1 error, 2 warnings · 1.5s, 2.7 names/s
`},
	} {
		got := summaryOf(t, c.o, 1500*time.Millisecond, traces...)
		if got != strings.TrimPrefix(c.want, "\n") {
			t.Errorf("Summary (%s) =\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

// TestSummaryColor checks that colour changes only escape codes, so the
// columns line up in colour as they do without.
func TestSummaryColor(t *testing.T) {
	traces := []*trace.Trace{healthyTrace(), failedTrace(), findingsTrace()}
	plain := summaryOf(t, Options{}, time.Second, traces...)
	colored := summaryOf(t, Options{Color: true}, time.Second, traces...)
	if !strings.Contains(colored, "\x1b[") {
		t.Errorf("Summary with Color has no escape codes:\n%s", colored)
	}
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("Summary without Color has escape codes:\n%q", plain)
	}
	if got := ansi.ReplaceAllString(colored, ""); got != plain {
		t.Errorf("Summary with Color, escape codes removed =\n%s\nwant\n%s", got, plain)
	}
}

// TestSummaryEmpty checks the totals of a batch with no trace at all, and
// that Count counts without writing.
func TestSummaryEmpty(t *testing.T) {
	if got, want := summaryOf(t, Options{NoTimings: true}, 0), "0 names · 0 queries · no findings\n"; got != want {
		t.Errorf("Summary of nothing = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	s := NewSummary(&buf, Options{NoTimings: true})
	s.Count(nxdomainTrace())
	s.Count(nodataTrace())
	if buf.Len() != 0 {
		t.Errorf("Count wrote %q, want nothing", buf.String())
	}
	s.Total(0)
	if got, want := buf.String(), "2 names: 1 nxdomain, 1 nodata · 6 queries · no findings\n"; got != want {
		t.Errorf("Total after Count = %q, want %q", got, want)
	}
	if err := s.Row(nil); err == nil {
		t.Error("Row(nil) = nil error, want one")
	}
}
