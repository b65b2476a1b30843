package render

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/preflight"
)

// markOK marks what passed the check in Preflight.
const markOK = "✓"

var errNilReport = errors.New("render: nil preflight report")

// PreflightSchemaVersion is the version of the document PreflightJSON
// writes, carried in its "schema_version"; it changes only when a field is
// removed or renamed or its meaning changes.
const PreflightSchemaVersion = 1

// Preflight writes a preflight report for a person: the delegation now and
// as proposed, how each proposed server answered, each question compared
// (with a line per record that differs: − gone, + new, ~ another TTL), the
// NS TTLs and how long the switch takes to settle, then the problems by
// severity, with their messages, and a summary line. Like Tree, it has no
// trailing spaces and, with o.Color false, no escape codes.
func Preflight(w io.Writer, r *preflight.Report, o Options) error {
	if r == nil {
		return errNilReport
	}
	t := &treeRenderer{o: o, p: newPalette(o.Color)}
	t.line(t.p.question.Sprint(r.Zone) + " → " + t.p.server.Sprint(nsNames(r.Proposed.NS)))
	sections := []func(*treeRenderer, *preflight.Report, string){preflightDelegation, preflightServers, preflightRecords, preflightTTL}
	names := []string{"delegation", "servers", "records", "NS TTL"}
	for i, s := range sections {
		branch, cont := branches(i == len(sections)-1)
		t.line(t.glyphs(branch) + names[i])
		s(t, r, cont)
	}
	preflightProblems(t, r)
	preflightSummary(t, r)
	_, err := w.Write(t.buf.Bytes())
	return err
}

func nsNames(ns []trace.NS) string {
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

// rows writes labelled rows under prefix, the labels in a column, each
// row's detail lines under its text.
func (r *treeRenderer) rows(prefix string, labels []*span, texts []string, details [][]string) {
	w := 0
	for _, l := range labels {
		w = max(w, l.w)
	}
	for i, l := range labels {
		branch, cont := branches(i == len(labels)-1)
		r.line(r.glyphs(prefix+branch) + pad(l, w) + "  " + texts[i])
		for _, d := range details[i] {
			r.line(r.glyphs(prefix+cont) + strings.Repeat(" ", w+2) + d)
		}
	}
}

func preflightDelegation(t *treeRenderer, r *preflight.Report, prefix string) {
	now := t.p.dim.Sprint("not delegated: no walk reached a referral to " + r.Zone)
	var nowDetail []string
	if r.ParentNS != nil {
		now = r.Parent + " → " + t.p.server.Sprint(nsList(r.ParentNS))
	}
	if r.CurrentNS != nil {
		nowDetail = append(nowDetail, t.p.dim.Sprint("own NS "+nsList(r.CurrentNS)))
	}
	proposed := nsNames(r.Proposed.NS)
	var propDetail []string
	for _, g := range r.Proposed.Glue {
		propDetail = append(propDetail, t.p.dim.Sprint("glue "+g.Name+" "+addrString(g.Addr)))
	}
	if r.NewNS != nil {
		line := "own NS " + nsList(r.NewNS)
		if sameNames(r.NewNS, r.Proposed.NS) {
			propDetail = append(propDetail, t.p.dim.Sprint(line))
		} else {
			m, c := t.mark(trace.SeverityError)
			propDetail = append(propDetail, c.Sprint(m+" "+line+": not the proposed set"))
		}
	}
	t.rows(prefix, []*span{new(span).add(nil, "now"), new(span).add(nil, "proposed")},
		[]string{now, t.p.server.Sprint(proposed)}, [][]string{nowDetail, propDetail})
}

func sameNames(a, b []trace.NS) bool {
	x, y := nsSet(a), nsSet(b)
	if len(x) != len(y) {
		return false
	}
	for n := range x {
		if !y[n] {
			return false
		}
	}
	return true
}

func nsSet(ns []trace.NS) map[string]bool {
	m := map[string]bool{}
	for _, n := range ns {
		m[dns.CanonicalName(n.Name)] = true
	}
	return m
}

func preflightServers(t *treeRenderer, r *preflight.Report, prefix string) {
	var labels []*span
	var texts []string
	var details [][]string
	for _, s := range r.Servers {
		l := new(span)
		if s.Authoritative {
			l.add(t.p.answer, markOK+" ")
		} else {
			m, c := t.mark(trace.SeverityError)
			l.add(c, m+" ")
		}
		l.add(t.p.server, s.Name)
		if s.Addr.IsValid() {
			l.add(nil, " ").add(t.p.addr, s.Addr.String())
		}
		if s.Source != "" {
			l.add(nil, " ").add(t.p.dim, "("+string(s.Source)+")")
		}
		text := t.p.answer.Sprint(s.Status)
		if !s.Authoritative {
			text = t.p.bad.Sprint(s.Status)
			if s.Err != "" && !strings.EqualFold(s.Err, s.Status) && s.Err != "it answers "+s.Status {
				text += t.p.bad.Sprint(": " + s.Err)
			}
		}
		if s.SOA != nil {
			text += t.p.dim.Sprint(", serial " + strconv.FormatUint(uint64(s.SOA.Serial), 10))
		}
		var d []string
		if s.NS != nil && r.NewNS != nil && !sameNames(s.NS, r.NewNS) {
			d = append(d, t.p.warn.Sprint("own NS "+nsList(s.NS)))
		}
		labels, texts, details = append(labels, l), append(texts, text), append(details, d)
	}
	t.rows(prefix, labels, texts, details)
}

func preflightRecords(t *treeRenderer, r *preflight.Report, prefix string) {
	var labels []*span
	var texts []string
	var details [][]string
	failed := map[string]string{}
	for _, rec := range r.Records {
		q := rec.Question
		l := new(span)
		sev := rec.Severity
		if sev == "" {
			l.add(t.p.answer, markOK+" ")
		} else {
			m, c := t.mark(sev)
			l.add(c, m+" ")
		}
		l.add(nil, q.Name+" "+trace.TypeString(q.Qtype))
		text, d := recordText(t, rec, failed)
		labels, texts, details = append(labels, l), append(texts, text), append(details, d)
	}
	t.rows(prefix, labels, texts, details)
}

// recordText gives the text of a question's row and the lines under it;
// failed maps the failures of the rows before to the first question that
// failed so, whose row says why: the others point to it.
func recordText(t *treeRenderer, rec preflight.Record, failed map[string]string) (string, []string) {
	q := rec.Question.Name + " " + trace.TypeString(rec.Question.Qtype)
	switch {
	case !rec.New.Outcome.Authoritative() && failed[rec.New.Err] != "":
		return t.p.bad.Sprint("fails through the new servers, as " + failed[rec.New.Err]), nil
	case !rec.New.Outcome.Authoritative():
		failed[rec.New.Err] = q
		return t.p.bad.Sprint("fails through the new servers: " + rec.New.Err), nil
	case !rec.Current.Outcome.Authoritative():
		return t.p.warn.Sprint("fails now, nothing to compare: "+rec.Current.Err) + "; new: " + resultText(rec.New), nil
	case rec.Same() && rec.Against == "proposed":
		return "as proposed: " + resultText(rec.New), nil
	case rec.Same():
		return "same: " + resultText(rec.New), nil
	}
	var counts []string
	var lines []string
	n := map[string]int{}
	for _, d := range rec.Diffs {
		n[d.Kind]++
		switch {
		case rec.Against == "proposed" && d.Kind == preflight.Missing:
			lines = append(lines, t.p.bad.Sprint("− "+rdata(d.Current)+" (proposed)"))
		case d.Kind == preflight.Missing:
			lines = append(lines, t.p.bad.Sprint("− "+rrText(d.Current)))
		case d.Kind == preflight.Extra:
			lines = append(lines, t.p.warn.Sprint("+ "+rrText(d.New)))
		case d.Kind == preflight.TTL:
			f, _ := rrFields(d.Current)
			lines = append(lines, t.p.info.Sprint("~ "+f[0]+" "+f[3]+" "+f[4]+": TTL "+f[1]+" → "+strconv.FormatUint(uint64(d.New.Header().Ttl), 10)))
		case d.Kind == preflight.Changed && d.Current != nil:
			lines = append(lines, t.p.dim.Sprint("− "+rrText(d.Current)), t.p.dim.Sprint("+ "+rrText(d.New)))
		}
	}
	switch {
	case rec.Against == "proposed":
		counts = append(counts, "not the proposed set")
	case n[preflight.Changed] > 0 && rec.Question.Qtype == dns.TypeSOA:
		counts = append(counts, "differs, as between providers")
	case n[preflight.Changed] > 0:
		counts = append(counts, strings.ToUpper(string(rec.Current.Outcome))+" now, "+strings.ToUpper(string(rec.New.Outcome))+" new")
	}
	if rec.Against != "proposed" {
		for _, k := range []string{preflight.Missing, preflight.Extra} {
			if n[k] > 0 {
				counts = append(counts, k+" "+strconv.Itoa(n[k]))
			}
		}
		if n[preflight.TTL] > 0 {
			counts = append(counts, "TTL differs")
		}
	}
	text := strings.Join(counts, ", ")
	switch {
	case len(rec.Current.Answer) == 0 && rec.Current.Outcome != rec.New.Outcome:
		text += " (now: " + resultText(rec.Current) + ")"
	case len(rec.New.Answer) == 0 && rec.Current.Outcome != rec.New.Outcome:
		text += " (new: " + resultText(rec.New) + ")"
	}
	c := t.p.info
	switch rec.Severity {
	case trace.SeverityError:
		c = t.p.bad
	case trace.SeverityWarning:
		c = t.p.warn
	}
	return c.Sprint(text), lines
}

// resultText gives a side's answer in a few words: its values, or
// NXDOMAIN or NODATA.
func resultText(res preflight.Result) string {
	if len(res.Answer) == 0 {
		return strings.ToUpper(string(res.Outcome))
	}
	var vals []string
	for _, rr := range res.Answer {
		vals = append(vals, rdata(rr))
	}
	s := strings.Join(vals, ", ")
	if utf8.RuneCountInString(s) > 70 {
		s = plural(len(vals), "record", "records")
	}
	return s
}

func preflightTTL(t *treeRenderer, r *preflight.Report, prefix string) {
	pad := t.glyphs(prefix) + "   "
	var parts []string
	if r.ParentNS != nil {
		parts = append(parts, ttlText(r.ParentNS)+" at "+r.Parent)
	}
	if r.CurrentNS != nil {
		parts = append(parts, ttlText(r.CurrentNS)+" in the zone now")
	}
	if r.NewNS != nil {
		parts = append(parts, ttlText(r.NewNS)+" at the new servers")
	}
	if len(parts) == 0 {
		parts = append(parts, "unknown")
	}
	t.line(pad + strings.Join(parts, ", "))
	if s := r.Settle(); s > 0 {
		t.line(pad + t.p.dim.Sprint("after the switch, keep the current servers serving the zone for "+hours(s)+": resolvers may use them until then"))
	}
}

// ttlText writes the TTL of an NS set: "86400 (1d)", or each TTL when they
// differ.
func ttlText(ns []trace.NS) string {
	lo, hi := ns[0].TTL, ns[0].TTL
	for _, n := range ns {
		lo, hi = min(lo, n.TTL), max(hi, n.TTL)
	}
	if lo != hi {
		return seconds(lo) + " to " + seconds(hi)
	}
	return seconds(lo)
}

// seconds writes a TTL with its largest whole unit: "172800 (2d)".
func seconds(s uint32) string {
	n := strconv.FormatUint(uint64(s), 10)
	for _, u := range []struct {
		secs uint32
		unit string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}} {
		if s >= u.secs && s%u.secs == 0 {
			return n + " (" + strconv.FormatUint(uint64(s/u.secs), 10) + u.unit + ")"
		}
	}
	return n
}

// hours writes a TTL as hours, rounded up, or minutes under an hour.
func hours(s uint32) string {
	n, unit := (s+3599)/3600, "hour"
	if s < 3600 {
		n, unit = max(1, (s+59)/60), "minute"
	}
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatUint(uint64(n), 10) + " " + unit + "s"
}

// preflightProblems writes the problems by severity, each with its message.
// The problems of one cause (preflight.Group) are one line, its group's.
func preflightProblems(t *treeRenderer, r *preflight.Report) {
	faults := preflightFaults(r)
	codeW := 0
	for _, p := range faults {
		codeW = max(codeW, len(p.Code))
	}
	severity := func(p preflight.Problem) trace.Severity { return p.Severity }
	bySeverity(t, faults, severity, func(p preflight.Problem, c *color.Color) string {
		return "  " + c.Sprint(p.Code) + strings.Repeat(" ", codeW-len(p.Code)+2) + p.Message
	})
}

// preflightFaults gives one problem for each cause of r's problems: the
// first of its group, with the group's line as its message.
func preflightFaults(r *preflight.Report) []preflight.Problem {
	var out []preflight.Problem
	for _, g := range r.Faults() {
		p := g[0]
		if len(g) > 1 {
			p.Message = p.Group
		}
		out = append(out, p)
	}
	return out
}

func preflightSummary(t *treeRenderer, r *preflight.Report) {
	n := map[trace.Severity]int{}
	for _, p := range preflightFaults(r) {
		n[p.Severity]++
	}
	counts := plural(n[trace.SeverityError], "error", "errors")
	if w := n[trace.SeverityWarning]; w > 0 {
		counts += ", " + plural(w, "warning", "warnings")
	}
	var s *span
	switch {
	case !r.Checked:
		s = new(span).add(t.p.bad, "could not check "+r.Zone+": no answer now, and the proposed servers were not reached")
	case r.Breaks():
		s = new(span).add(t.p.bad, "the switch would break "+r.Zone+": "+counts)
	default:
		s = new(span).add(t.p.answer, "ready to switch "+r.Zone+": "+counts)
	}
	tail := " · " + plural(2*len(r.Records)+1, "trace", "traces") + " · " + plural(r.Queries, "query", "queries")
	if !t.o.NoTimings {
		tail += " · " + formatDuration(r.Duration)
	}
	t.line(s.String() + t.p.dim.Sprint(tail))
}

// PreflightJSON writes a preflight report as one JSON document, indented
// with two spaces, keys in a fixed order; docs/preflight.md describes it.
// With o.NoTimings, duration_us is left out; o.Color is ignored.
func PreflightJSON(w io.Writer, r *preflight.Report, o Options) error {
	if r == nil {
		return errNilReport
	}
	doc := jsonPreflight{
		SchemaVersion: PreflightSchemaVersion,
		Zone:          r.Zone,
		Checked:       r.Checked,
		Breaks:        r.Breaks(),
		Proposed:      jsonProposed{NS: []jsonProposedNS{}},
		Current:       jsonSide{Parent: r.Parent, ParentNS: jsonNSList(r.ParentNS), ZoneNS: jsonNSList(r.CurrentNS)},
		New:           jsonSide{ZoneNS: jsonNSList(r.NewNS)},
		Servers:       []jsonPreflightServer{},
		Records:       []jsonRecord{},
		Problems:      []jsonProblem{},
		SettleTTL:     r.Settle(),
		Queries:       r.Queries,
	}
	for _, ns := range r.Proposed.NS {
		p := jsonProposedNS{Name: ns.Name, Glue: []string{}}
		for _, g := range r.Proposed.Glue {
			if g.Name == ns.Name {
				p.Glue = append(p.Glue, g.Addr.String())
			}
		}
		doc.Proposed.NS = append(doc.Proposed.NS, p)
	}
	for _, s := range r.Servers {
		js := jsonPreflightServer{Name: s.Name, Address: addrString(s.Addr), Source: string(s.Source),
			Authoritative: s.Authoritative, Status: s.Status, Error: s.Err, NS: jsonNSList(s.NS)}
		if s.SOA != nil {
			serial := s.SOA.Serial
			js.Serial = &serial
		}
		doc.Servers = append(doc.Servers, js)
	}
	for _, rec := range r.Records {
		jr := jsonRecord{Question: newJSONQuestion(rec.Question), Against: rec.Against, Severity: string(rec.Severity),
			Current: jsonResult(rec.Current), New: jsonResult(rec.New), Diffs: []jsonDiff{}}
		for _, d := range rec.Diffs {
			jd := jsonDiff{Kind: d.Kind}
			if d.Current != nil {
				jd.Current = rrText(d.Current)
			}
			if d.New != nil {
				jd.New = rrText(d.New)
			}
			jr.Diffs = append(jr.Diffs, jd)
		}
		doc.Records = append(doc.Records, jr)
	}
	for _, p := range r.Problems {
		jp := jsonProblem{Code: p.Code, Severity: string(p.Severity), Name: p.Name, Message: p.Message, Cause: p.Cause}
		if p.Qtype != 0 {
			jp.Type = trace.TypeString(p.Qtype)
		}
		if s := p.Server; s != nil {
			jp.Server = &jsonFindingServer{Name: s.Name, Address: addrString(s.Addr)}
		}
		doc.Problems = append(doc.Problems, jp)
	}
	if !o.NoTimings {
		us := r.Duration.Microseconds()
		doc.DurationUS = &us
	}
	return encodeJSON(w, doc, "  ")
}

type jsonPreflight struct {
	SchemaVersion int                   `json:"schema_version"`
	Zone          string                `json:"zone"`
	Checked       bool                  `json:"checked"`
	Breaks        bool                  `json:"breaks"`
	Proposed      jsonProposed          `json:"proposed"`
	Current       jsonSide              `json:"current"`
	New           jsonSide              `json:"new"`
	Servers       []jsonPreflightServer `json:"servers"`
	Records       []jsonRecord          `json:"records"`
	Problems      []jsonProblem         `json:"problems"`
	SettleTTL     uint32                `json:"settle_ttl"`
	Queries       int                   `json:"queries"`
	DurationUS    *int64                `json:"duration_us,omitempty"`
}

type jsonProposed struct {
	NS []jsonProposedNS `json:"ns"`
}

type jsonProposedNS struct {
	Name string   `json:"name"`
	Glue []string `json:"glue"`
}

// jsonSide is what one side says of the delegation. ParentNS and ZoneNS
// are null when unknown.
type jsonSide struct {
	Parent   string   `json:"parent,omitempty"`
	ParentNS []jsonNS `json:"parent_ns,omitempty"`
	ZoneNS   []jsonNS `json:"zone_ns"`
}

func jsonNSList(ns []trace.NS) []jsonNS {
	if ns == nil {
		return nil
	}
	out := make([]jsonNS, len(ns))
	for i, n := range ns {
		out[i] = jsonNS{Name: n.Name, TTL: n.TTL}
	}
	return out
}

type jsonPreflightServer struct {
	Name          string   `json:"name"`
	Address       string   `json:"address"`
	Source        string   `json:"source"`
	Authoritative bool     `json:"authoritative"`
	Status        string   `json:"status"`
	Error         string   `json:"error,omitempty"`
	Serial        *uint32  `json:"serial"`
	NS            []jsonNS `json:"ns"`
}

type jsonRecord struct {
	Question jsonQuestion `json:"question"`
	Against  string       `json:"against"`
	Severity string       `json:"severity"`
	Current  jsonSideRes  `json:"current"`
	New      jsonSideRes  `json:"new"`
	Diffs    []jsonDiff   `json:"diffs"`
}

type jsonSideRes struct {
	Outcome string   `json:"outcome"`
	Answer  []string `json:"answer"`
	Error   string   `json:"error,omitempty"`
}

func jsonResult(r preflight.Result) jsonSideRes {
	out := jsonSideRes{Outcome: string(r.Outcome), Answer: []string{}, Error: r.Err}
	for _, rr := range r.Answer {
		out.Answer = append(out.Answer, rrText(rr))
	}
	return out
}

type jsonDiff struct {
	Kind    string `json:"kind"`
	Current string `json:"current,omitempty"`
	New     string `json:"new,omitempty"`
}

type jsonProblem struct {
	Code     string             `json:"code"`
	Severity string             `json:"severity"`
	Name     string             `json:"name"`
	Type     string             `json:"type,omitempty"`
	Server   *jsonFindingServer `json:"server,omitempty"`
	Message  string             `json:"message"`
	Cause    string             `json:"cause,omitempty"`
}
