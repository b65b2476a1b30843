package render

import (
	"slices"
	"strconv"
	"strings"

	"github.com/fatih/color"

	"github.com/nstrace/nstrace/trace"
)

// Markers of the severities in Tree, each with a colour of the palette.
const (
	markError   = "✗"
	markWarning = "⚠"
	markInfo    = "ℹ"
)

// findingsByHop files each finding under the first hop that shows it, where
// Tree writes it.
func findingsByHop(fs []fault) map[int][]fault {
	at := map[int][]fault{}
	for _, f := range fs {
		if len(f.Hops) > 0 {
			id := slices.Min(f.Hops)
			at[id] = append(at[id], f)
		}
	}
	return at
}

// mark gives a severity's marker and colour.
func (r *treeRenderer) mark(s trace.Severity) (string, *color.Color) {
	switch s {
	case trace.SeverityError:
		return markError, r.p.bad
	case trace.SeverityWarning:
		return markWarning, r.p.warn
	}
	return markInfo, r.p.info
}

// findingsAt gives the findings filed at hops, where Tree writes them.
func (r *treeRenderer) findingsAt(hops ...*trace.Hop) []fault {
	var fs []fault
	for _, h := range hops {
		if h.ID > 0 {
			fs = append(fs, r.at[h.ID]...)
		}
	}
	return fs
}

// finding writes a finding's line after indent: "⚠ single-nameserver: …",
// and under it the line of its fix. With o.Width set, each wraps to it,
// the lines after the first indented under the code, after the same
// indent, which keeps the tree's guides.
func (r *treeRenderer) finding(indent string, f fault) {
	m, c := r.mark(f.Severity)
	r.wrapped(indent, m+" "+f.Code+":", c, f.Message)
	r.fix(indent, f.Finding)
}

// wrapped writes head in colour c and text after indent, wrapped to
// o.Width when it is set, the lines after the first hung under head.
func (r *treeRenderer) wrapped(indent, head string, c *color.Color, text string) {
	if r.o.Width <= 0 {
		r.line(indent + c.Sprint(head) + " " + text)
		return
	}
	const hang = "  " // under the code, past the mark
	room := r.o.Width - visibleWidth(indent)
	lines := fill(append([]string{head}, strings.Fields(text)...), max(room, minFill), max(room-len(hang), minFill))
	for i, words := range lines {
		if i == 0 {
			r.line(indent + c.Sprint(head) + strings.TrimPrefix(strings.Join(words, " "), head))
		} else {
			r.line(indent + hang + strings.Join(words, " "))
		}
	}
}

// findingsSummary writes the findings after the trace's summary line,
// grouped by severity, one line each: code, zone and server, with how
// many others for the findings of one cause.
func (r *treeRenderer) findingsSummary(fs []fault) {
	var codeW, zoneW int
	for _, f := range fs {
		codeW = max(codeW, len(f.Code))
		zoneW = max(zoneW, len(f.Zone))
	}
	severity := func(f fault) trace.Severity {
		if f.Severity.Rank() > 2 {
			return trace.SeverityInfo // one unknown to this version
		}
		return f.Severity
	}
	bySeverity(r, fs, severity, func(f fault, c *color.Color) string {
		var b strings.Builder
		b.WriteString("  ")
		b.WriteString(c.Sprint(f.Code))
		b.WriteString(strings.Repeat(" ", codeW-len(f.Code)+2))
		b.WriteString(f.Zone)
		if s := f.Server; s != nil {
			b.WriteString(strings.Repeat(" ", zoneW-len(f.Zone)+2))
			b.WriteString(r.p.server.Sprint(s.Name))
			if s.Addr.IsValid() {
				b.WriteString(" " + r.p.addr.Sprint(s.Addr.String()))
			}
		}
		if f.n > 1 {
			b.WriteString(" and " + strconv.Itoa(f.n-1) + " more")
		}
		return b.String()
	})
}

// bySeverity writes items grouped by severity, the worst first, each group
// under a line that counts it ("✗ 2 errors"); severity gives an item's
// group, and line its line, written in the group's colour c.
func bySeverity[T any](r *treeRenderer, items []T, severity func(T) trace.Severity, line func(it T, c *color.Color) string) {
	for _, sev := range []trace.Severity{trace.SeverityError, trace.SeverityWarning, trace.SeverityInfo} {
		var group []T
		for _, it := range items {
			if severity(it) == sev {
				group = append(group, it)
			}
		}
		if len(group) == 0 {
			continue
		}
		m, c := r.mark(sev)
		head := strconv.Itoa(len(group)) + " " + string(sev)
		if sev != trace.SeverityInfo && len(group) > 1 {
			head += "s"
		}
		r.line(c.Sprint(m + " " + head))
		for _, it := range group {
			r.line(line(it, c))
		}
	}
}

// jsonFinding is one element of the top-level "findings" array.
type jsonFinding struct {
	Code     string             `json:"code"`
	Severity string             `json:"severity"`
	Zone     string             `json:"zone"`
	Server   *jsonFindingServer `json:"server,omitempty"`
	Message  string             `json:"message"`
	Hops     []int              `json:"hops"`
	Cause    string             `json:"cause,omitempty"`
	Fix      *jsonFix           `json:"fix,omitempty"`
}

type jsonFindingServer struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// newJSONFindings gives fs for the document, never nil so that a trace with
// no findings has "findings": [].
func newJSONFindings(fs []trace.Finding) *[]jsonFinding {
	out := make([]jsonFinding, 0, len(fs))
	for _, f := range fs {
		jf := jsonFinding{Code: f.Code, Severity: string(f.Severity), Zone: f.Zone, Message: f.Message, Hops: f.Hops, Cause: f.Cause, Fix: newJSONFix(f.Fix)}
		if jf.Hops == nil {
			jf.Hops = []int{}
		}
		if s := f.Server; s != nil {
			jf.Server = &jsonFindingServer{Name: s.Name, Address: addrString(s.Addr)}
		}
		out = append(out, jf)
	}
	return &out
}

// purposeString names a hop's purpose in JSON: "walk" for the walk's own
// queries, whose Purpose is the zero value.
func purposeString(p trace.Purpose) string {
	if p == trace.PurposeWalk {
		return "walk"
	}
	return string(p)
}
