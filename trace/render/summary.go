package render

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/nstrace/nstrace/trace"
)

// What batch mode (nstrace -f) writes: a table with one row per trace, and
// JSON Lines, one compact document per trace. Both are written a trace at a
// time as the traces come, so that a list of any length is written in the
// same memory.

// JSONLine writes t as the document JSON writes, with the same keys in the
// same order and schema_version in it, but compact: on one line, ending
// with a newline, so that a stream of traces is JSON Lines
// (https://jsonlines.org). o.Color is ignored.
func JSONLine(w io.Writer, t *trace.Trace, o Options) error {
	if t == nil {
		return errNilTrace
	}
	return encodeJSON(w, newJSONDocument(t, o), "")
}

// Summary writes the table of a batch of traces, for people: a header, then
// one row per trace as it is added (outcome, zones crossed, queries sent,
// time, findings by severity, and the question), then a line of totals. The
// question, whose width varies, is the last column, so that rows line up
// without knowing the traces to come; a failed walk's row ends with why.
// A Summary keeps counts, never traces. Its zero value is not usable; use
// NewSummary.
type Summary struct {
	w        io.Writer
	o        Options
	p        *palette
	header   bool
	names    int
	queries  int
	outcomes map[trace.Outcome]int
	findings map[trace.Severity]int
}

// NewSummary returns a Summary that writes to w.
func NewSummary(w io.Writer, o Options) *Summary {
	return &Summary{w: w, o: o, p: newPalette(o.Color), outcomes: map[trace.Outcome]int{}, findings: map[trace.Severity]int{}}
}

// Widths of the summary's columns: the longest outcome, "nxdomain", and
// the longest duration formatDuration gives, "<0.1ms".
const (
	sumOutcomeW = 8
	sumTimeW    = 6
)

// Row writes t's row, after the header when it is the first, and counts it.
func (s *Summary) Row(t *trace.Trace) error {
	if t == nil {
		return errNilTrace
	}
	s.Count(t)
	var b strings.Builder
	if !s.header {
		s.header = true
		h := fmt.Sprintf("%-*s %5s %7s", sumOutcomeW, "OUTCOME", "ZONES", "QUERIES")
		if !s.o.NoTimings {
			h += fmt.Sprintf(" %*s", sumTimeW, "TIME")
		}
		h += "  ERR WARN INFO  QUESTION"
		b.WriteString(s.p.question.Sprint(h) + "\n")
	}
	failed := failedWalk(t)
	word, c := string(t.Outcome), s.p.outcome(t.Outcome)
	switch {
	case failed:
		word, c = string(trace.Failed), s.p.bad
	case word == "":
		word = "?"
	}
	b.WriteString(pad(new(span).add(c, word), sumOutcomeW))
	fmt.Fprintf(&b, " %5d %7d", len(t.Zones()), t.Queries)
	if !s.o.NoTimings {
		b.WriteString(" " + padLeft(new(span).add(nil, formatDuration(t.Duration)), sumTimeW))
	}
	n := severities(s.o.shown(t.Findings))
	b.WriteString(" ")
	for i, c := range []*color.Color{s.p.bad, s.p.warn, s.p.info} {
		if n[i] == 0 {
			c = s.p.dim
		}
		b.WriteString(" " + padLeft(new(span).add(c, strconv.Itoa(n[i])), []int{3, 4, 4}[i]))
	}
	b.WriteString("  " + t.Question.Name + " " + trace.TypeString(t.Question.Qtype))
	if failed && t.Err != nil {
		b.WriteString(s.p.bad.Sprint(": " + flatLine(t.Err.Error())))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(s.w, b.String())
	return err
}

// Count counts t in the totals without writing a row, for a batch whose
// traces are written some other way (nstrace -f -v writes each tree).
func (s *Summary) Count(t *trace.Trace) {
	if t == nil {
		return
	}
	s.names++
	s.queries += t.Queries
	o := t.Outcome
	if failedWalk(t) {
		o = trace.Failed
	}
	s.outcomes[o]++
	for _, f := range s.o.shown(t.Findings) {
		s.findings[f.Severity]++
	}
}

// Total writes the line of totals: the names, how many reached each
// outcome, the queries, the findings by severity, and, with timings, the
// wall time of the whole batch, elapsed, and the names traced per second:
// "3 names: 2 answer, 1 failed · 12 queries · 1 error, 2 warnings · 1.2s, 2.5 names/s".
func (s *Summary) Total(elapsed time.Duration) error {
	var parts []string
	head := plural(s.names, "name", "names")
	var outs []string
	for _, o := range []trace.Outcome{trace.Answer, trace.CNAME, trace.NXDomain, trace.NoData, trace.Failed} {
		if n := s.outcomes[o]; n > 0 {
			outs = append(outs, s.p.outcome(o).Sprint(strconv.Itoa(n)+" "+string(o)))
		}
	}
	for _, o := range slices.Sorted(maps.Keys(s.outcomes)) {
		switch o {
		case trace.Answer, trace.CNAME, trace.NXDomain, trace.NoData, trace.Failed:
		default:
			outs = append(outs, strconv.Itoa(s.outcomes[o])+" "+cmp.Or(string(o), "?"))
		}
	}
	if len(outs) > 0 {
		head += ": " + strings.Join(outs, ", ")
	}
	parts = append(parts, head, plural(s.queries, "query", "queries"))
	var fs []string
	for _, f := range []struct {
		sev       trace.Severity
		one, many string
		c         *color.Color
	}{
		{trace.SeverityError, "error", "errors", s.p.bad},
		{trace.SeverityWarning, "warning", "warnings", s.p.warn},
		{trace.SeverityInfo, "info", "info", s.p.info},
	} {
		if n := s.findings[f.sev]; n > 0 {
			fs = append(fs, f.c.Sprint(plural(n, f.one, f.many)))
		}
	}
	if len(fs) == 0 {
		fs = []string{"no findings"}
	}
	parts = append(parts, strings.Join(fs, ", "))
	if !s.o.NoTimings {
		t := formatDuration(elapsed)
		if elapsed > 0 {
			rate, prec := float64(s.names)/elapsed.Seconds(), 1
			if rate >= 10 {
				prec = 0
			}
			t += ", " + strconv.FormatFloat(rate, 'f', prec, 64) + " names/s"
		}
		parts = append(parts, t)
	}
	_, err := io.WriteString(s.w, strings.Join(parts, " · ")+"\n")
	return err
}

// failedWalk reports whether t ended without an authoritative outcome.
func failedWalk(t *trace.Trace) bool {
	return t.Outcome == trace.Failed || !t.Outcome.Authoritative() && t.Err != nil
}

// severities counts faults by severity: errors, warnings, and info (and
// anything else).
func severities(fs []fault) [3]int {
	var n [3]int
	for _, f := range fs {
		n[min(f.Severity.Rank(), 2)]++
	}
	return n
}
