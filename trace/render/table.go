package render

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// level is the hops that asked one zone one question in a row: the walk's
// queries to every address of every nameserver, with the zone's SOA and NS
// queries to the same servers.
type level struct {
	zone string
	q    trace.Question // the question of the walk's hops
	hops []*trace.Hop
}

// levels cuts t's hops into levels: a new one starts where the zone
// changes, or the walk asks another question (a CNAME's target).
func levels(t *trace.Trace) []*level {
	var ls []*level
	var cur *level
	for _, h := range t.Hops {
		if h == nil {
			continue
		}
		walk := h.Purpose != trace.PurposeSOA && h.Purpose != trace.PurposeChildNS && h.Purpose != trace.PurposeCheck &&
			h.Purpose != trace.PurposeQminCheck && !h.Purpose.Probe()
		if cur == nil || cur.zone != h.Zone || walk && cur.q.Name != "" && !sameQuestion(cur.q, h.Question) {
			cur = &level{zone: h.Zone}
			ls = append(ls, cur)
		}
		if walk && cur.q.Name == "" {
			cur.q = h.Question
		}
		cur.hops = append(cur.hops, h)
	}
	return ls
}

// tableRow is one server address of a level, with its hops by purpose,
// each in the order sent.
type tableRow struct {
	srv            trace.Server
	port           uint16
	walk, soa, nss []*trace.Hop
	probes         map[trace.Purpose][]*trace.Hop // the protocol probes, by purpose
}

func last(hs []*trace.Hop) *trace.Hop {
	if len(hs) == 0 {
		return nil
	}
	return hs[len(hs)-1]
}

func rowsOf(l *level) []*tableRow {
	var rows []*tableRow
	at := map[string]*tableRow{}
	for _, h := range l.hops {
		key := h.Server.Name + " " + addrString(h.Server.Addr) + " " + strconv.Itoa(int(h.Port))
		row, ok := at[key]
		if !ok {
			row = &tableRow{srv: h.Server, port: h.Port, probes: map[trace.Purpose][]*trace.Hop{}}
			at[key] = row
			rows = append(rows, row)
		}
		switch {
		case h.Purpose.Probe():
			row.probes[h.Purpose] = append(row.probes[h.Purpose], h)
		case h.Purpose == trace.PurposeSOA:
			row.soa = append(row.soa, h)
		case h.Purpose == trace.PurposeChildNS:
			row.nss = append(row.nss, h)
		default:
			row.walk = append(row.walk, h)
		}
	}
	return rows
}

// replyVariants numbers the distinct replies among hops, in the order first
// given (trace.ReplyKeys tells them apart): each hop's tag, "" when all
// agree, and one hop that gave each reply.
func replyVariants(hops []*trace.Hop) (tags map[*trace.Hop]string, first []*trace.Hop) {
	var replies []*trace.Hop
	for _, h := range hops {
		if h != nil && h.Err == nil && h.Rcode >= 0 {
			replies = append(replies, h)
		}
	}
	keys := trace.ReplyKeys(replies)
	index := map[string]int{}
	tags = map[*trace.Hop]string{}
	for j, h := range replies {
		k := keys[j]
		i, ok := index[k]
		if !ok {
			i = len(first)
			index[k] = i
			first = append(first, h)
		}
		tags[h] = "[" + strconv.Itoa(i+1) + "]"
	}
	if len(first) < 2 {
		clear(tags)
	}
	return tags, first
}

// soaSerial gives the serial of the zone's SOA in h's answer.
func soaSerial(h *trace.Hop) (uint32, bool) {
	if h == nil || h.Err != nil {
		return 0, false
	}
	for _, rr := range h.Answer {
		if s, ok := rr.(*dns.SOA); ok && strings.EqualFold(s.Hdr.Name, h.Zone) {
			return s.Serial, true
		}
	}
	return 0, false
}

// body writes t's hops: a table per zone for a walk that asked every
// server (Mode.All), one line per hop otherwise.
func (r *treeRenderer) body(t *trace.Trace) {
	if t.Mode.All {
		r.tables(t, "")
		if line := r.dnssecLine(t); line != "" {
			r.line("   " + line) // the tables have no zone column to show it in
		}
		return
	}
	r.hops(t, "")
}

// tables writes t's hops a level at a table: one row per server address,
// with what it said, then the level's details, findings and lookups.
func (r *treeRenderer) tables(t *trace.Trace, prefix string) {
	ls := levels(t)
	for i, l := range ls {
		branch, cont := branches(i == len(ls)-1)
		v := newLevelView(l)
		r.line(r.glyphs(prefix+branch) + r.levelHead(v).String())
		indent := r.detailIndent(prefix+cont, len(v.lookups) > 0, 3)
		r.cells(indent, r.tableCells(v), [nCols]bool{true, true, true, !r.o.NoTimings, true, true, v.hasSOA, v.hasNS, v.hasProbes})
		r.levelSaid(indent, t.Question, v)
		r.levelFindings(indent, l)
		r.lookups(v.lookups, prefix+cont)
	}
}

// levelView is what a level's table shows, worked out from its hops: a
// row per server address, the last walk query and NS check of each with
// the distinct replies among them, and the newest SOA serial.
type levelView struct {
	*level
	rows               []*tableRow
	walks, nss         []*trace.Hop // the last of each row, nil where none
	walkTags, nsTags   map[*trace.Hop]string
	walkFirst, nsFirst []*trace.Hop
	newest             uint32
	haveNewest         bool
	hasSOA, hasNS      bool
	hasProbes          bool
	names              map[string]bool // the servers' names
	lookups            []*trace.Trace
}

func newLevelView(l *level) *levelView {
	v := &levelView{level: l, rows: rowsOf(l), names: map[string]bool{}}
	for _, row := range v.rows {
		v.walks = append(v.walks, last(row.walk))
		v.nss = append(v.nss, last(row.nss))
		v.names[row.srv.Name] = true
		v.hasSOA = v.hasSOA || len(row.soa) > 0
		v.hasNS = v.hasNS || len(row.nss) > 0
		v.hasProbes = v.hasProbes || len(row.probes) > 0
		if s, ok := soaSerial(last(row.soa)); ok && (!v.haveNewest || trace.SerialLess(v.newest, s)) {
			v.newest, v.haveNewest = s, true
		}
	}
	for _, h := range l.hops {
		v.lookups = append(v.lookups, h.Lookups...)
	}
	v.walkTags, v.walkFirst = replyVariants(v.walks)
	v.nsTags, v.nsFirst = replyVariants(v.nss)
	return v
}

// levelHead gives the line that opens a level's table: "example.com.  2
// servers, 4 addresses · 1 failed · 2 different replies".
func (r *treeRenderer) levelHead(v *levelView) *span {
	head := new(span).add(nil, v.zone+"  ")
	head.add(r.p.dim, plural(len(v.names), "server", "servers")+", "+plural(len(v.rows), "address", "addresses"))
	failed, unsent, cut := 0, 0, 0
	for _, h := range v.walks {
		switch {
		case h != nil && h.Reason == trace.ReasonNoRoute:
			unsent++ // this host's failure, not the server's
		case h != nil && h.Reason.CutShort():
			cut++ // nstrace's own end, not the server's
		case h == nil || h.Err != nil || h.Rcode < 0:
			failed++
		}
	}
	if failed > 0 {
		head.add(r.p.dim, " · ").add(r.p.bad, strconv.Itoa(failed)+" failed")
	}
	if unsent > 0 {
		head.add(r.p.dim, " · "+strconv.Itoa(unsent)+" not sent")
	}
	if cut > 0 {
		head.add(r.p.dim, " · "+strconv.Itoa(cut)+" not asked to the end")
	}
	if n := len(v.walkFirst); n > 1 {
		head.add(r.p.dim, " · ").add(r.p.warn, strconv.Itoa(n)+" different replies")
	}
	return head
}

// The columns of a level's table.
const (
	colName = iota
	colAddr
	colSource
	colRTT
	colProto
	colReply
	colSerial
	colNS
	colProbes
	nCols
)

// tableCells gives a level's table: a header row, then a row per server
// address.
func (r *treeRenderer) tableCells(v *levelView) [][nCols]*span {
	cells := make([][nCols]*span, 0, len(v.rows)+1)
	var hdr [nCols]*span
	for i, text := range [nCols]string{"server", "address", "from", "rtt", "", "reply", "serial", "zone NS", "probes"} {
		hdr[i] = new(span).add(r.p.dim, text)
	}
	cells = append(cells, hdr)
	for _, row := range v.rows {
		var c [nCols]*span
		c[colName] = new(span).add(r.p.server, row.srv.Name)
		addr := addrString(row.srv.Addr)
		if row.port != 0 && row.port != 53 && row.srv.Addr.IsValid() {
			addr = netip.AddrPortFrom(row.srv.Addr, row.port).String()
		}
		c[colAddr] = new(span).add(r.p.addr, addr)
		c[colSource] = new(span).add(r.p.dim, string(row.srv.Source))
		c[colRTT], c[colProto], c[colReply] = r.walkCells(row, v.walkTags)
		c[colSerial] = r.serialCell(last(row.soa), v.newest)
		c[colNS] = r.nsCell(last(row.nss), v.nsTags)
		c[colProbes] = r.probesCell(row.probes)
		cells = append(cells, c)
	}
	return cells
}

// walkCells give a row's RTT, protocol and reply, tagged with the number
// of the distinct reply when the servers disagree.
func (r *treeRenderer) walkCells(row *tableRow, tags map[*trace.Hop]string) (rtt, proto, reply *span) {
	h := last(row.walk)
	if h == nil {
		return new(span), new(span), new(span)
	}
	rtt, proto, reply = r.rtt(h), r.proto(h), r.outcome(h)
	if tag := tags[h]; tag != "" {
		reply.add(nil, " ").add(r.p.warn, tag)
	}
	if n := len(row.walk); n > 1 {
		reply.add(r.p.dim, " ("+strconv.Itoa(n)+" tries)")
	}
	return rtt, proto, reply
}

// serialCell gives the serial of the SOA in h, warning when it is older
// than the newest of the level.
func (r *treeRenderer) serialCell(h *trace.Hop, newest uint32) *span {
	c := new(span)
	if h == nil {
		return c
	}
	s, ok := soaSerial(h)
	if !ok {
		return c.add(r.p.bad, failWord(h))
	}
	cl := r.p.answer
	if trace.SerialLess(s, newest) {
		cl = r.p.warn
	}
	return c.add(cl, strconv.FormatUint(uint64(s), 10))
}

// nsCell gives the size of the zone's own NS set in the check h, tagged
// with the number of the distinct reply when the servers disagree.
func (r *treeRenderer) nsCell(h *trace.Hop, tags map[*trace.Hop]string) *span {
	c := new(span)
	if h == nil {
		return c
	}
	n := countNS(h)
	if n == 0 {
		return c.add(r.p.bad, failWord(h))
	}
	c.add(nil, plural(n, "NS", "NS"))
	if tag := tags[h]; tag != "" {
		c.add(nil, " ").add(r.p.warn, tag)
	}
	return c
}

// probesCell counts a row's protocol probes and those whose last reply
// had a flaw or never came: the findings say what each means.
func (r *treeRenderer) probesCell(probes map[trace.Purpose][]*trace.Hop) *span {
	c := new(span)
	if len(probes) == 0 {
		return c
	}
	odd := 0
	for _, hs := range probes {
		if probeOdd(last(hs)) {
			odd++
		}
	}
	c.add(r.p.dim, strconv.Itoa(len(probes))+" sent")
	if odd > 0 {
		c.add(r.p.dim, ", ").add(r.p.warn, strconv.Itoa(odd)+" odd")
	}
	return c
}

// probeOdd reports whether a protocol probe's reply had a flaw, or never
// came (for a reason of the server's).
func probeOdd(h *trace.Hop) bool {
	return h.Flaw != trace.ReasonNone || h.Rcode < 0 && !h.Reason.Ours() && h.Outcome != trace.Abandoned
}

// cells writes a table after indent, its shown columns aligned.
func (r *treeRenderer) cells(indent string, cells [][nCols]*span, show [nCols]bool) {
	var width [nCols]int
	for _, c := range cells {
		for i := range c {
			width[i] = max(width[i], c[i].w)
		}
	}
	for _, c := range cells {
		var b strings.Builder
		b.WriteString(indent)
		for i := range c {
			if !show[i] {
				continue
			}
			switch {
			case i == colName:
			case i == colProto && show[colRTT]:
				b.WriteString(" ") // against the RTT: "12ms udp"
			default:
				b.WriteString("  ")
			}
			if i == colRTT {
				b.WriteString(padLeft(c[i], width[i]))
			} else {
				b.WriteString(pad(c[i], width[i]))
			}
		}
		r.line(b.String())
	}
}

// levelSaid writes what the level said, once: the referral's NS set, or
// each distinct reply when the servers disagree; then the zone's own NS
// set, each distinct one.
func (r *treeRenderer) levelSaid(indent string, q trace.Question, v *levelView) {
	switch {
	case len(v.walkFirst) > 0:
		if l := r.askedLine(q, v.walkFirst[0]); l != "" {
			r.line(indent + l)
		}
	case !sameQuestion(v.q, q) && v.q.Name != "":
		r.line(indent + r.p.dim.Sprint("asked "+v.q.String()))
	}
	switch {
	case len(v.walkFirst) == 1:
		if h := v.walkFirst[0]; h.Referral != nil {
			for _, d := range r.delegationLines(h) {
				r.line(indent + d)
			}
		}
	case len(v.walkFirst) > 1:
		for i, h := range v.walkFirst {
			r.line(indent + r.p.warn.Sprint("["+strconv.Itoa(i+1)+"]") + " " + r.said(h))
		}
	}
	for i, h := range v.nsFirst {
		tag := ""
		if len(v.nsFirst) > 1 {
			tag = " " + r.p.warn.Sprint("["+strconv.Itoa(i+1)+"]")
		}
		what := string(h.Outcome) + ", no NS records"
		if ns := apexNS(h); len(ns) > 0 {
			what = nsList(ns)
		}
		r.line(indent + r.p.dim.Sprint("apex NS of "+h.Zone) + tag + r.p.dim.Sprint(": "+what))
	}
}

// levelFindings writes the findings filed at the level's hops, the worst
// first.
func (r *treeRenderer) levelFindings(indent string, l *level) {
	fs := r.findingsAt(l.hops...)
	slices.SortStableFunc(fs, func(a, b fault) int { return a.Severity.Rank() - b.Severity.Rank() })
	for _, f := range fs {
		r.finding(indent, f)
	}
}

// said gives the whole of what a reply said, for the list of the distinct
// replies of a level.
func (r *treeRenderer) said(h *trace.Hop) string {
	c := r.p.outcome(h.Outcome)
	switch h.Outcome {
	case trace.Referral:
		d := h.Referral
		s := c.Sprint("referral") + " → " + d.Zone
		if len(d.NS) > 0 {
			s += ": NS " + nsList(d.NS)
		}
		var glue []string
		for _, g := range d.Glue {
			if g.Ignored == trace.ReasonNone {
				glue = append(glue, g.Name+" "+addrString(g.Addr))
			}
		}
		if len(glue) == 0 {
			return s + "; no glue"
		}
		return s + "; glue " + strings.Join(glue, ", ")
	case trace.Answer:
		return c.Sprint("answer") + " " + answerValues(h.Question.Qtype, h.Answer, 200)
	case trace.CNAME:
		return c.Sprint("cname") + " → " + cnameTarget(h.Answer)
	}
	return c.Sprint(string(h.Outcome))
}

// failWord says in a word why a hop gave no usable SOA or NS set: its
// outcome, or the RCODE of an error reply.
func failWord(h *trace.Hop) string {
	switch {
	case h.Reason == trace.ReasonNoRoute:
		return "not sent"
	case h.Reason.CutShort():
		return "cut short" // nstrace's own end: the server is not blamed
	case h.Rcode < 0:
		return "no reply"
	case h.Outcome == trace.Error && h.Rcode > 0:
		return rcodeString(h.Rcode)
	}
	return string(h.Outcome)
}

// apexNS gives the zone's own NS set from a child NS check.
func apexNS(h *trace.Hop) []trace.NS {
	var ns []trace.NS
	for _, rr := range h.Answer {
		if n, ok := rr.(*dns.NS); ok {
			ns = append(ns, trace.NS{Name: n.Ns, TTL: n.Hdr.Ttl})
		}
	}
	return ns
}

func countNS(h *trace.Hop) int {
	if h.Err != nil {
		return 0
	}
	return len(apexNS(h))
}
