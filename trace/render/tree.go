package render

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// Tree writes t for a person at a terminal: the question, one line per hop
// with the hops of nested nameserver lookups indented under the referral that
// needed them, the final records, and a one-line summary. Columns are aligned
// within each level of the tree. The output ends with a newline and has no
// trailing spaces; with o.Color false it has no escape codes.
func Tree(w io.Writer, t *trace.Trace, o Options) error {
	if t == nil {
		return errNilTrace
	}
	fs := o.shown(t.Findings)
	r := &treeRenderer{o: o, p: newPalette(o.Color), at: findingsByHop(fs)}
	r.line(r.p.question.Sprint(questionText(t.Question)))
	r.body(t) // table.go: a table per zone when every server was asked
	if rrs := finalRecords(t); len(rrs) > 0 {
		r.records("   ", rrs)
	}
	r.summary(t)
	r.findingsSummary(fs)
	_, err := w.Write(r.buf.Bytes())
	return err
}

// palette holds one *color.Color per role, each switched on or off for this
// rendering alone.
type palette struct {
	question, glyph, server, addr, dim, warn *color.Color
	referral, answer, negative, bad          *color.Color
	info                                     *color.Color // findings of severity info
}

func newPalette(on bool) *palette {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &palette{
		question: mk(color.Bold),
		glyph:    mk(color.Faint),
		server:   mk(color.Bold),
		addr:     mk(color.Faint),
		dim:      mk(color.Faint),
		warn:     mk(color.FgYellow),
		referral: mk(color.FgCyan),
		answer:   mk(color.FgGreen),
		negative: mk(color.FgYellow),
		bad:      mk(color.FgRed),
		info:     mk(color.FgBlue),
	}
}

func (p *palette) outcome(o trace.Outcome) *color.Color {
	switch o {
	case trace.Referral:
		return p.referral
	case trace.Answer, trace.CNAME:
		return p.answer
	case trace.NXDomain, trace.NoData:
		return p.negative
	case trace.Lame, trace.Error, trace.Failed:
		return p.bad
	}
	return nil
}

// span is a piece of a line: its text with any escape codes, and the width
// it takes on screen, which padding must use.
type span struct {
	b strings.Builder
	w int
}

// add appends text in colour c (nil for none).
func (s *span) add(c *color.Color, text string) *span {
	if text == "" {
		return s
	}
	s.w += utf8.RuneCountInString(text)
	if c == nil {
		s.b.WriteString(text)
	} else {
		s.b.WriteString(c.Sprint(text))
	}
	return s
}

func (s *span) String() string { return s.b.String() }

// pad returns s followed by spaces up to width w.
func pad(s *span, w int) string {
	return s.String() + strings.Repeat(" ", max(0, w-s.w))
}

// padLeft returns s preceded by spaces up to width w.
func padLeft(s *span, w int) string {
	return strings.Repeat(" ", max(0, w-s.w)) + s.String()
}

type treeRenderer struct {
	o   Options
	p   *palette
	buf bytes.Buffer
	at  map[int][]fault // findings by the ID of the first hop that shows them
	// dnssec is each validated zone by the first hop asked about it, in
	// the trace being written (dnssec.go).
	dnssec map[*trace.Hop]*trace.DNSSEC
}

func (r *treeRenderer) line(s string) {
	r.buf.WriteString(strings.TrimRight(s, " "))
	r.buf.WriteByte('\n')
}

// glyphs paints tree-drawing characters.
func (r *treeRenderer) glyphs(s string) string {
	if strings.TrimSpace(s) == "" {
		return s
	}
	return r.p.glyph.Sprint(s)
}

// hops writes t's hops, each line starting with prefix.
func (r *treeRenderer) hops(t *trace.Trace, prefix string) {
	hops, checks := walkHops(t)
	if r.dnssec == nil {
		r.dnssec = dnssecFirsts(t, hops)
	}
	rows := make([]hopRow, len(hops))
	var w hopWidths
	for i, h := range hops {
		rows[i] = r.row(h)
		if z := r.dnssec[h]; z != nil {
			r.dnssecWord(rows[i].zone, z)
		}
		w.fit(rows[i])
	}
	seg := t.Question // the question of the current segment
	for i, h := range hops {
		branch, cont := branches(i == len(hops)-1)
		if i > 0 && followsCNAME(hops[i-1], h) {
			seg = h.Question
			r.followCNAME(prefix, seg)
		}
		r.hopLine(prefix+branch, rows[i], w)
		// Detail lines start under the server column; a bar runs down the
		// zone column to this hop's lookups, which come after them.
		r.hopDetails(r.detailIndent(prefix+cont, len(h.Lookups) > 0, w.zone+2), seg, h, checks[h])
		r.lookups(h.Lookups, prefix+cont)
	}
}

// walkHops gives t's hops but the checks of servers (Purpose.Check), and
// those checks by the walk's hop they went with, under which they are shown.
func walkHops(t *trace.Trace) (hops []*trace.Hop, checks map[*trace.Hop][]*trace.Hop) {
	checks = map[*trace.Hop][]*trace.Hop{}
	for _, h := range t.Hops {
		switch {
		case h == nil:
		case (h.Purpose.Check() || h.Purpose.Probe()) && len(hops) > 0:
			prev := hops[len(hops)-1]
			checks[prev] = append(checks[prev], h)
		default:
			hops = append(hops, h)
		}
	}
	return hops, checks
}

// delegationCounts says how big a referral was: "2 NS, 2 glue",
// "2 NS, no glue", "2 NS, 1 glue, 1 glue ignored".
func delegationCounts(d *trace.Delegation) string {
	used, ignored := 0, 0
	for _, g := range d.Glue {
		if g.Ignored == trace.ReasonNone {
			used++
		} else {
			ignored++
		}
	}
	s := strconv.Itoa(len(d.NS)) + " NS, "
	if used == 0 {
		s += "no glue"
	} else {
		s += strconv.Itoa(used) + " glue"
	}
	if ignored > 0 {
		s += ", " + strconv.Itoa(ignored) + " glue ignored"
	}
	return s
}

// answerValues gives the data of the records of type qtype, as many as fit
// in about budget characters, e.g. "192.0.2.1, 192.0.2.2 +3 more"; a single
// value too long is cut with "…". When no record has the type asked, it
// counts the records instead.
func answerValues(qtype uint16, rrs []dns.RR, budget int) string {
	var vals []string
	for _, rr := range rrs {
		if rr != nil && (rr.Header().Rrtype == qtype || qtype == dns.TypeANY) {
			vals = append(vals, rdata(rr))
		}
	}
	if len(vals) == 0 {
		if len(rrs) == 0 {
			return ""
		}
		return plural(len(rrs), "record", "records")
	}
	var b strings.Builder
	n := 0
	for _, v := range vals {
		w := utf8.RuneCountInString(v)
		if n == 0 && w > budget {
			b.WriteString(string([]rune(v)[:budget-1]) + "…")
			n = 1
			break
		}
		if n > 0 && utf8.RuneCountInString(b.String())+2+w > budget {
			break
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v)
		n++
	}
	if n < len(vals) {
		b.WriteString(" +" + strconv.Itoa(len(vals)-n) + " more")
	}
	return b.String()
}

func cnameTarget(rrs []dns.RR) string {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			return c.Target
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// referralDetails gives the lines under a hop about what it asked and the
// delegation it got.
func (r *treeRenderer) referralDetails(q trace.Question, h *trace.Hop) []string {
	var lines []string
	if l := r.askedLine(q, h); l != "" {
		lines = append(lines, l)
	}
	return append(lines, r.delegationLines(h)...)
}

// askedLine says what h asked when it is not q, or was minimised (RFC
// 9156), or the full name asked as a minimised question's fallback; ""
// otherwise.
func (r *treeRenderer) askedLine(q trace.Question, h *trace.Hop) string {
	switch {
	case h.QMin == trace.QMinMinimised:
		return r.p.dim.Sprint("asked " + h.Question.String() + " (minimised, RFC 9156)")
	case h.QMin == trace.QMinFallback:
		return r.p.warn.Sprint("asked " + h.Question.String() + " (the full name: the minimised question failed)")
	case !sameQuestion(h.Question, q):
		return r.p.dim.Sprint("asked " + h.Question.String())
	}
	return ""
}

// delegationLines gives the lines under a referral: its NS set and the
// glue that was not used.
func (r *treeRenderer) delegationLines(h *trace.Hop) []string {
	var lines []string
	d := h.Referral
	if d == nil {
		return lines
	}
	if len(d.NS) > 0 {
		lines = append(lines, "NS "+nsList(d.NS))
	}
	for _, g := range d.Glue {
		if g.Ignored == trace.ReasonNone {
			continue
		}
		lines = append(lines, r.p.warn.Sprint(fmt.Sprintf("glue %s %s ignored: %s", g.Name, addrString(g.Addr), ignoredText(h, g))))
	}
	return lines
}

// childNS gives the line for a check of the zone's own NS RRset.
func (r *treeRenderer) childNS(h, c *trace.Hop) string {
	from := ""
	if c.Server.Addr != h.Server.Addr {
		from = " from " + c.Server.Name + " " + addrString(c.Server.Addr)
	}
	switch {
	case c.Reason.CutShort():
		return r.p.dim.Sprint(fmt.Sprintf("apex NS of %s%s: not asked to the end: %s", c.Zone, from, cutShortText(c.Reason)))
	case c.Err != nil:
		return r.p.warn.Sprint(fmt.Sprintf("apex NS of %s%s: %v", c.Zone, from, c.Err))
	}
	ns := apexNS(c)
	if len(ns) == 0 {
		return r.p.warn.Sprint(fmt.Sprintf("apex NS of %s%s: %s, no NS records", c.Zone, from, c.Outcome))
	}
	return r.p.dim.Sprint(fmt.Sprintf("apex NS of %s%s: %s", c.Zone, from, nsList(ns)))
}

func sameQuestion(a, b trace.Question) bool {
	return strings.EqualFold(a.Name, b.Name) && a.Qtype == b.Qtype &&
		classString(a.Qclass) == classString(b.Qclass)
}

// maxListed is the most names nsList writes; the rest are counted, so that
// a referral to a thousand nameservers takes a line, not a screen (issue
// 18). JSON and the dig layout keep every one. It is the number of names a
// walk considers per referral by default (resolver.DefaultMaxNS).
const maxListed = 20

// nsList writes an NS set: "a.ns., b.ns. (TTL 172800)" when the TTLs agree,
// each name with its own TTL when they do not; past maxListed names, the
// rest are counted: "…, t.ns., and 980 more (TTL 3600)".
func nsList(ns []trace.NS) string {
	same := true
	for _, n := range ns[1:] {
		same = same && n.TTL == ns[0].TTL
	}
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = n.Name
		if !same {
			names[i] += " (TTL " + strconv.FormatUint(uint64(n.TTL), 10) + ")"
		}
	}
	if len(names) > maxListed {
		names = append(names[:maxListed], "and "+strconv.Itoa(len(ns)-maxListed)+" more")
	}
	s := strings.Join(names, ", ")
	if same {
		s += " (TTL " + strconv.FormatUint(uint64(ns[0].TTL), 10) + ")"
	}
	return s
}

// lookups writes the nested walks for nameservers' addresses, each a
// header line with its result, then its hops.
func (r *treeRenderer) lookups(ls []*trace.Trace, prefix string) {
	for i, l := range ls {
		branch, cont := branches(i == len(ls)-1)
		if l == nil {
			continue
		}
		r.line(r.glyphs(prefix+branch) + lookupQuestion(l.Question) + " " + r.lookupResult(l).String())
		r.hops(l, prefix+cont)
	}
}

// lookupQuestion gives "lookup ns1.example.net. A", with the class only
// when it is not IN.
func lookupQuestion(q trace.Question) string {
	s := "lookup " + q.Name + " "
	if c := classString(q.Qclass); c != "IN" {
		s += c + " "
	}
	return s + trace.TypeString(q.Qtype)
}

// lookupResult gives a lookup's result as Tree's lookup line ends:
// "→ 192.0.2.1 · 3 queries · 1.2ms".
func (r *treeRenderer) lookupResult(t *trace.Trace) *span {
	s := new(span)
	c := r.p.outcome(t.Outcome)
	switch t.Outcome {
	case trace.Answer:
		v := answerValues(t.Question.Qtype, t.Answer, 60)
		if v == "" {
			v = string(t.Outcome)
		}
		s.add(c, "→ "+v)
	case trace.CNAME:
		s.add(c, "→ cname "+cnameTarget(t.Answer))
	case trace.Failed:
		s.add(c, "→ "+failure(t))
	default:
		s.add(c, "→ "+string(t.Outcome))
	}
	s.add(r.p.dim, r.counts(t))
	return s
}

// failure gives "failed: <Err>".
func failure(t *trace.Trace) string {
	if t.Err == nil {
		return string(trace.Failed)
	}
	return string(trace.Failed) + ": " + t.Err.Error()
}

// counts gives " · 5 queries · 48ms", without the time when timings are off;
// for a lookup that started at a zone learned earlier in the trace, " · 1
// query (from cache: provider.net.) · 0.4ms".
func (r *treeRenderer) counts(t *trace.Trace) string {
	s := " · " + plural(t.Queries, "query", "queries")
	if t.FromCache != "" {
		s += " (from cache: " + t.FromCache + ")"
	}
	if !r.o.NoTimings {
		s += " · " + formatDuration(t.Duration)
	}
	return s
}

// finalRecords are the records that end the walk: the answer, then the
// authority (the SOA of a negative answer).
func finalRecords(t *trace.Trace) []dns.RR {
	var rrs []dns.RR
	for _, rr := range append(append([]dns.RR(nil), t.Answer...), t.Authority...) {
		if rr != nil {
			rrs = append(rrs, rr)
		}
	}
	return rrs
}

// records writes rrs in zone-file form with the owner, TTL, class and type
// in aligned columns.
func (r *treeRenderer) records(prefix string, rrs []dns.RR) {
	fields := make([][5]string, len(rrs))
	var w [4]int
	for i, rr := range rrs {
		f, ok := rrFields(rr)
		if !ok {
			f[4] = rrText(rr)
		}
		fields[i] = f
		for j := range w {
			w[j] = max(w[j], utf8.RuneCountInString(f[j]))
		}
	}
	for _, f := range fields {
		if f[0] == "" && f[1] == "" {
			r.line(prefix + f[4])
			continue
		}
		r.line(prefix + fmt.Sprintf("%-*s %*s %-*s %-*s %s", w[0], f[0], w[1], f[1], w[2], f[2], w[3], f[3], f[4]))
	}
}

// summary writes the last line: "answer · 5 queries · 48ms", or
// "failed: <Err> · …" in red.
func (r *treeRenderer) summary(t *trace.Trace) {
	if p := t.Partial(); p != trace.ReasonNone {
		r.line(r.p.warn.Sprint("partial: "+cutShortText(p)+" before the walk was done") +
			"; what was traced so far is above, and a server not asked to the end is blamed for nothing")
	}
	c, word := r.p.outcome(t.Outcome), string(t.Outcome)
	switch {
	case t.Outcome == trace.Failed || !t.Outcome.Authoritative() && t.Err != nil:
		c, word = r.p.bad, failure(t)
	case word == "":
		word = "?"
	}
	line := new(span).add(c, word).String() + r.counts(t)
	if t.Mode.QMin != 0 {
		line += r.p.dim.Sprint(" · minimised, " + trace.TypeString(t.Mode.QMin) + " (RFC 9156)")
		if t.Compared != nil {
			line += r.p.dim.Sprint(": " + plural(pathSteps(t), "query", "queries") + " on the path")
		}
	}
	r.line(line)
	if f := t.Compared; f != nil {
		r.line(r.compared(t, f))
	}
}

// compared gives the line of the walk of the full name that the
// minimising walk t was compared with (nstrace --qmin --compare): how it
// ended, its queries, and whether the two ended alike.
func (r *treeRenderer) compared(t, f *trace.Trace) string {
	end := endLine(f)
	// Its count of queries sent depends on which walk asked the shared
	// cache first; its path does not.
	line := "full name, as dig +trace asks it: " + r.p.outcome(f.Outcome).Sprint(end) + r.p.dim.Sprint(" · "+plural(pathSteps(f), "query", "queries")+" on the path")
	if p := cmp.Or(t.Partial(), f.Partial()); p != trace.ReasonNone {
		// QMinDifferent judges only walks that ended on their own.
		return line + r.p.dim.Sprint(" · not compared: "+cutShortText(p)+" before both walks ended")
	}
	if len(trace.QMinDifferent(f, t)) > 0 {
		return line + " · " + r.p.bad.Sprint("a different end ("+trace.CodeQminDifferentAnswer+")")
	}
	return line + r.p.dim.Sprint(" · the same end")
}

// pathSteps counts the steps of the walk t, lookups and checks aside,
// cached or not: the queries its path takes.
func pathSteps(t *trace.Trace) int {
	n := 0
	for _, h := range t.Hops {
		if h.Purpose == trace.PurposeWalk && !h.Simulated {
			n++
		}
	}
	return n
}
