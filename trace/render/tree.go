package render

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
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
	r := &treeRenderer{o: o, p: newPalette(o.Color), at: findingsByHop(t.Findings)}
	r.line(r.p.question.Sprint(t.Question.String()))
	r.body(t) // table.go: a table per zone when every server was asked
	if rrs := finalRecords(t); len(rrs) > 0 {
		r.records("   ", rrs)
	}
	r.summary(t)
	r.findingsSummary(t.Findings)
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
	at  map[int][]trace.Finding // findings by the ID of the first hop that shows them
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

// hopRow is one hop's line, cut into its columns.
type hopRow struct {
	zone, server, rtt, proto, outcome *span
}

// hops writes t's hops, each line starting with prefix.
func (r *treeRenderer) hops(t *trace.Trace, prefix string) {
	// A child NS check is shown as a detail of the walk's hop it went with.
	var hops []*trace.Hop
	checks := map[*trace.Hop][]*trace.Hop{}
	for _, h := range t.Hops {
		switch {
		case h == nil:
		case h.Purpose == trace.PurposeChildNS && len(hops) > 0:
			prev := hops[len(hops)-1]
			checks[prev] = append(checks[prev], h)
		default:
			hops = append(hops, h)
		}
	}
	rows := make([]hopRow, len(hops))
	var zoneW, serverW, rttW, protoW int
	for i, h := range hops {
		row := hopRow{
			zone:    new(span).add(nil, h.Zone),
			server:  r.server(h),
			rtt:     new(span),
			proto:   r.proto(h),
			outcome: r.outcome(h),
		}
		if !r.o.NoTimings {
			if h.Rcode < 0 {
				row.rtt.add(r.p.dim, "—")
			} else {
				row.rtt.add(nil, formatDuration(h.RTT))
			}
		}
		zoneW = max(zoneW, row.zone.w)
		serverW = max(serverW, row.server.w)
		rttW = max(rttW, row.rtt.w)
		protoW = max(protoW, row.proto.w)
		rows[i] = row
	}
	seg := t.Question // the question of the current segment
	for i, h := range hops {
		row := rows[i]
		branch, cont := "├─ ", "│  "
		if i == len(hops)-1 {
			branch, cont = "└─ ", "   "
		}
		// A followed CNAME starts a new segment: the walk for its target,
		// from the root. Its hops then ask the target, said once here.
		if i > 0 && hops[i-1].Outcome == trace.CNAME && h.Purpose == trace.PurposeWalk && !h.Simulated {
			seg = h.Question
			r.line(r.glyphs(prefix+"│") + " " + r.p.outcome(trace.CNAME).Sprint("↪ following the CNAME to "+seg.String()))
		}
		var b strings.Builder
		b.WriteString(r.glyphs(prefix + branch))
		b.WriteString(pad(row.zone, zoneW))
		b.WriteString("  ")
		b.WriteString(pad(row.server, serverW))
		if r.o.NoTimings {
			b.WriteString("  ")
		} else {
			// The RTT sits right-aligned against its protocol: "12ms udp".
			b.WriteString("  ")
			b.WriteString(padLeft(row.rtt, rttW))
			b.WriteString(" ")
		}
		b.WriteString(pad(row.proto, protoW))
		b.WriteString("  ")
		b.WriteString(row.outcome.String())
		r.line(b.String())

		// Detail lines start under the server column; a bar runs down the
		// zone column to this hop's lookups, which come after them.
		bar := ""
		if len(h.Lookups) > 0 {
			bar = "│"
		}
		detail := r.glyphs(prefix+cont+bar) + strings.Repeat(" ", zoneW+2-utf8.RuneCountInString(bar))
		for _, d := range r.details(&trace.Trace{Question: seg}, h, checks[h]) {
			r.line(detail + d)
		}
		for _, f := range r.hopFindings(h, checks[h]) {
			r.line(detail + f)
		}
		for j, lk := range h.Lookups {
			lb, lc := "├─ ", "│  "
			if j == len(h.Lookups)-1 {
				lb, lc = "└─ ", "   "
			}
			r.lookup(lk, prefix+cont, lb, lc)
		}
	}
}

// server gives the server column: name, address (with the port when it is
// not 53) and where the address came from.
func (r *treeRenderer) server(h *trace.Hop) *span {
	s := new(span)
	s.add(r.p.server, h.Server.Name)
	if h.Server.Addr.IsValid() {
		addr := h.Server.Addr.String()
		if h.Port != 0 && h.Port != 53 {
			addr = netip.AddrPortFrom(h.Server.Addr, h.Port).String()
		}
		if s.w > 0 {
			s.add(nil, " ")
		}
		s.add(r.p.addr, addr)
	}
	if h.Server.Source != "" {
		if s.w > 0 {
			s.add(nil, " ")
		}
		s.add(r.p.dim, "("+string(h.Server.Source)+")")
	}
	return s
}

// proto gives the transport; "udp→tcp" says the UDP reply was truncated and
// the query repeated over TCP.
func (r *treeRenderer) proto(h *trace.Hop) *span {
	if h.Cached {
		return new(span).add(r.p.dim, "cache")
	}
	if h.Simulated {
		return new(span).add(r.p.warn, "simulated")
	}
	if h.Truncated {
		return new(span).add(r.p.warn, "udp→tcp")
	}
	return new(span).add(nil, h.Protocol)
}

// outcome gives the last column: what the reply meant, in a few words.
func (r *treeRenderer) outcome(h *trace.Hop) *span {
	s := new(span)
	c := r.p.outcome(h.Outcome)
	word := string(h.Outcome)
	if word == "" {
		word = "?"
	}
	switch h.Outcome {
	case trace.Referral:
		s.add(c, word)
		if d := h.Referral; d != nil {
			s.add(nil, " → ")
			s.add(r.p.server, d.Zone)
			s.add(nil, " ("+delegationCounts(d)+")")
		}
	case trace.Answer:
		s.add(c, word)
		if v := answerValues(h.Question.Qtype, h.Answer, 60); v != "" {
			s.add(nil, " "+v)
		}
	case trace.CNAME:
		s.add(c, word)
		if target := cnameTarget(h.Answer); target != "" {
			s.add(nil, " → "+target)
		}
	case trace.Abandoned:
		if h.RTT > 0 && !r.o.NoTimings {
			word += " after " + formatDuration(h.RTT)
		}
		s.add(c, word+": no reply yet when another server answered")
	case trace.Lame, trace.Error:
		// The RCODE, unless the error already names it.
		if rc := rcodeString(h.Rcode); h.Rcode > 0 && (h.Err == nil || !strings.Contains(h.Err.Error(), rc)) {
			word += " " + rc
		}
		if h.Err != nil {
			word += ": " + h.Err.Error()
		}
		if h.Rcode < 0 && h.RTT > 0 && !r.o.NoTimings {
			word += " (after " + formatDuration(h.RTT) + ")"
		}
		s.add(c, word)
	default:
		s.add(c, word)
	}
	var notes []string
	if h.Outcome.Authoritative() && !h.AA {
		notes = append(notes, "no AA")
	}
	if h.TC {
		notes = append(notes, "TC")
	}
	if len(notes) > 0 {
		s.add(nil, " ")
		s.add(r.p.warn, "("+strings.Join(notes, ", ")+")")
	}
	return s
}

// delegationCounts says how big a referral was: "2 NS, 2 glue",
// "2 NS, no glue", "2 NS, 1 glue, 1 glue ignored".
func delegationCounts(d *trace.Delegation) string {
	used, ignored := 0, 0
	for _, g := range d.Glue {
		if g.Ignored == "" {
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

// details gives the lines under a hop: a question that differs from the
// trace's, the referral's NS set, and glue the walk would not use.
func (r *treeRenderer) details(t *trace.Trace, h *trace.Hop, checks []*trace.Hop) []string {
	lines := r.referralDetails(t, h)
	for _, c := range checks {
		lines = append(lines, r.childNS(h, c))
	}
	return lines
}

// referralDetails gives the lines under a hop about what it asked and the
// delegation it got.
func (r *treeRenderer) referralDetails(t *trace.Trace, h *trace.Hop) []string {
	var lines []string
	if !sameQuestion(h.Question, t.Question) {
		lines = append(lines, r.p.dim.Sprint("asked "+h.Question.String()))
	}
	d := h.Referral
	if d == nil {
		return lines
	}
	if len(d.NS) > 0 {
		lines = append(lines, "NS "+nsList(d.NS))
	}
	for _, g := range d.Glue {
		if g.Ignored == "" {
			continue
		}
		lines = append(lines, r.p.warn.Sprint(fmt.Sprintf("glue %s %s ignored: %s", g.Name, addrString(g.Addr), g.Ignored)))
	}
	return lines
}

// childNS gives the line for a check of the zone's own NS RRset.
func (r *treeRenderer) childNS(h, c *trace.Hop) string {
	from := ""
	if c.Server.Addr != h.Server.Addr {
		from = " from " + c.Server.Name + " " + addrString(c.Server.Addr)
	}
	if c.Err != nil {
		return r.p.warn.Sprint(fmt.Sprintf("apex NS of %s%s: %v", c.Zone, from, c.Err))
	}
	var ns []trace.NS
	for _, rr := range c.Answer {
		if n, ok := rr.(*dns.NS); ok {
			ns = append(ns, trace.NS{Name: n.Ns, TTL: n.Hdr.Ttl})
		}
	}
	if len(ns) == 0 {
		return r.p.warn.Sprint(fmt.Sprintf("apex NS of %s%s: %s, no NS records", c.Zone, from, c.Outcome))
	}
	return r.p.dim.Sprint(fmt.Sprintf("apex NS of %s%s: %s", c.Zone, from, nsList(ns)))
}

func sameQuestion(a, b trace.Question) bool {
	return strings.EqualFold(a.Name, b.Name) && a.Qtype == b.Qtype &&
		classString(a.Qclass) == classString(b.Qclass)
}

// nsList writes an NS set: "a.ns., b.ns. (TTL 172800)" when the TTLs agree,
// each name with its own TTL when they do not.
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
	s := strings.Join(names, ", ")
	if same {
		s += " (TTL " + strconv.FormatUint(uint64(ns[0].TTL), 10) + ")"
	}
	return s
}

// lookup writes a nested walk for a nameserver's address: a header line with
// its result, then its hops.
func (r *treeRenderer) lookup(t *trace.Trace, prefix, branch, cont string) {
	if t == nil {
		return
	}
	s := new(span)
	s.add(nil, "lookup "+t.Question.Name+" ")
	if c := classString(t.Question.Qclass); c != "IN" {
		s.add(nil, c+" ")
	}
	s.add(nil, trace.TypeString(t.Question.Qtype)+" ")
	r.line(r.glyphs(prefix+branch) + s.String() + r.lookupResult(t).String())
	r.hops(t, prefix+cont)
}

// failure gives "failed: <Err>".
func failure(t *trace.Trace) string {
	if t.Err == nil {
		return string(trace.Failed)
	}
	return string(trace.Failed) + ": " + t.Err.Error()
}

// counts gives " · 5 queries · 48ms", without the time when timings are off.
func (r *treeRenderer) counts(t *trace.Trace) string {
	s := " · " + plural(t.Queries, "query", "queries")
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
	c, word := r.p.outcome(t.Outcome), string(t.Outcome)
	switch {
	case t.Outcome == trace.Failed || !t.Outcome.Authoritative() && t.Err != nil:
		c, word = r.p.bad, failure(t)
	case word == "":
		word = "?"
	}
	r.line(new(span).add(c, word).String() + r.counts(t))
}
