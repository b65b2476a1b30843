package render

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// asksAll reports whether t was walked asking every server of each zone
// (resolver.Options.All, nstrace --all): only such a walk asks the zones
// it reaches for their SOA. Tree then writes each zone as a table.
func asksAll(t *trace.Trace) bool {
	for _, h := range t.Hops {
		if h != nil && h.Purpose == trace.PurposeSOA {
			return true
		}
	}
	return false
}

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
		walk := h.Purpose != trace.PurposeSOA && h.Purpose != trace.PurposeChildNS
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
			row = &tableRow{srv: h.Server, port: h.Port}
			at[key] = row
			rows = append(rows, row)
		}
		switch h.Purpose {
		case trace.PurposeSOA:
			row.soa = append(row.soa, h)
		case trace.PurposeChildNS:
			row.nss = append(row.nss, h)
		default:
			row.walk = append(row.walk, h)
		}
	}
	return rows
}

// replyVariants numbers the distinct replies among hops, in the order first
// given (trace.ReplyKey tells them apart): each hop's tag, "" when all
// agree, and one hop that gave each reply.
func replyVariants(hops []*trace.Hop) (tags map[*trace.Hop]string, first []*trace.Hop) {
	index := map[string]int{}
	tags = map[*trace.Hop]string{}
	for _, h := range hops {
		if h == nil || h.Err != nil || h.Rcode < 0 {
			continue
		}
		k := trace.ReplyKey(h)
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
// server, one line per hop otherwise.
func (r *treeRenderer) body(t *trace.Trace) {
	if asksAll(t) {
		r.tables(t, "")
		return
	}
	r.hops(t, "")
}

// tables writes t's hops a level at a table: one row per server address,
// with what it said, then the level's details, findings and lookups.
func (r *treeRenderer) tables(t *trace.Trace, prefix string) {
	ls := levels(t)
	for i, l := range ls {
		branch, cont := "├─ ", "│  "
		if i == len(ls)-1 {
			branch, cont = "└─ ", "   "
		}
		r.table(t, l, prefix, branch, cont)
	}
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
	nCols
)

func (r *treeRenderer) table(t *trace.Trace, l *level, prefix, branch, cont string) {
	rows := rowsOf(l)
	var walks, nss []*trace.Hop
	names := map[string]bool{}
	var lookups []*trace.Trace
	hasSOA, hasNS := false, false
	for _, row := range rows {
		walks = append(walks, last(row.walk))
		nss = append(nss, last(row.nss))
		names[row.srv.Name] = true
		hasSOA = hasSOA || len(row.soa) > 0
		hasNS = hasNS || len(row.nss) > 0
	}
	for _, h := range l.hops {
		lookups = append(lookups, h.Lookups...)
	}
	walkTags, walkFirst := replyVariants(walks)
	nsTags, nsFirst := replyVariants(nss)
	var newest uint32
	haveNewest := false
	for _, row := range rows {
		if s, ok := soaSerial(last(row.soa)); ok && (!haveNewest || serialBefore(newest, s)) {
			newest, haveNewest = s, true
		}
	}

	head := new(span).add(nil, l.zone+"  ")
	head.add(r.p.dim, plural(len(names), "server", "servers")+", "+plural(len(rows), "address", "addresses"))
	failed := 0
	for _, h := range walks {
		if h == nil || h.Err != nil || h.Rcode < 0 {
			failed++
		}
	}
	if failed > 0 {
		head.add(r.p.dim, " · ").add(r.p.bad, strconv.Itoa(failed)+" failed")
	}
	if n := len(walkFirst); n > 1 {
		head.add(r.p.dim, " · ").add(r.p.warn, strconv.Itoa(n)+" different replies")
	}
	r.line(r.glyphs(prefix+branch) + head.String())

	bar := ""
	if len(lookups) > 0 {
		bar = "│"
	}
	indent := r.glyphs(prefix+cont+bar) + strings.Repeat(" ", 3-len([]rune(bar)))

	cells := make([][nCols]*span, 0, len(rows)+1)
	var hdr [nCols]*span
	for i, text := range [nCols]string{"server", "address", "from", "rtt", "", "reply", "serial", "zone NS"} {
		hdr[i] = new(span).add(r.p.dim, text)
	}
	cells = append(cells, hdr)
	for _, row := range rows {
		var c [nCols]*span
		c[colName] = new(span).add(r.p.server, row.srv.Name)
		addr := addrString(row.srv.Addr)
		if row.port != 0 && row.port != 53 && row.srv.Addr.IsValid() {
			addr = netip.AddrPortFrom(row.srv.Addr, row.port).String()
		}
		c[colAddr] = new(span).add(r.p.addr, addr)
		c[colSource] = new(span).add(r.p.dim, string(row.srv.Source))
		c[colRTT], c[colProto], c[colReply] = new(span), new(span), new(span)
		if h := last(row.walk); h != nil {
			if h.Rcode < 0 {
				c[colRTT].add(r.p.dim, "—")
			} else {
				c[colRTT].add(nil, formatDuration(h.RTT))
			}
			c[colProto] = r.proto(h)
			c[colReply] = r.outcome(h)
			if tag := walkTags[h]; tag != "" {
				c[colReply].add(nil, " ").add(r.p.warn, tag)
			}
			if n := len(row.walk); n > 1 {
				c[colReply].add(r.p.dim, " ("+strconv.Itoa(n)+" tries)")
			}
		}
		c[colSerial] = new(span)
		if h := last(row.soa); h != nil {
			if s, ok := soaSerial(h); ok {
				cl := r.p.answer
				if serialBefore(s, newest) {
					cl = r.p.warn
				}
				c[colSerial].add(cl, strconv.FormatUint(uint64(s), 10))
			} else {
				c[colSerial].add(r.p.bad, failWord(h))
			}
		}
		c[colNS] = new(span)
		if h := last(row.nss); h != nil {
			if n := countNS(h); n > 0 {
				c[colNS].add(nil, plural(n, "NS", "NS"))
				if tag := nsTags[h]; tag != "" {
					c[colNS].add(nil, " ").add(r.p.warn, tag)
				}
			} else {
				c[colNS].add(r.p.bad, failWord(h))
			}
		}
		cells = append(cells, c)
	}
	show := [nCols]bool{true, true, true, !r.o.NoTimings, true, true, hasSOA, hasNS}
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

	// What the level said, once: the referral's NS set, or each distinct
	// reply when the servers disagree; then the zone's own NS set.
	if !sameQuestion(l.q, t.Question) && l.q.Name != "" {
		r.line(indent + r.p.dim.Sprint("asked "+l.q.String()))
	}
	switch {
	case len(walkFirst) == 1:
		if h := walkFirst[0]; h.Referral != nil {
			for _, d := range r.referralDetails(&trace.Trace{Question: h.Question}, h) {
				r.line(indent + d)
			}
		}
	case len(walkFirst) > 1:
		for i, h := range walkFirst {
			r.line(indent + r.p.warn.Sprint("["+strconv.Itoa(i+1)+"]") + " " + r.said(h))
		}
	}
	for i, h := range nsFirst {
		tag := ""
		if len(nsFirst) > 1 {
			tag = " " + r.p.warn.Sprint("["+strconv.Itoa(i+1)+"]")
		}
		what := string(h.Outcome) + ", no NS records"
		if ns := apexNS(h); len(ns) > 0 {
			what = nsList(ns)
		}
		r.line(indent + r.p.dim.Sprint("apex NS of "+h.Zone) + tag + r.p.dim.Sprint(": "+what))
	}
	// The findings filed at the level's hops, the worst first.
	var fs []trace.Finding
	for _, h := range l.hops {
		if h.ID > 0 {
			fs = append(fs, r.at[h.ID]...)
		}
	}
	slices.SortStableFunc(fs, func(a, b trace.Finding) int { return a.Severity.Rank() - b.Severity.Rank() })
	for _, f := range fs {
		m, c := r.mark(f.Severity)
		r.line(indent + c.Sprint(m+" "+f.Code+":") + " " + f.Message)
	}
	for j, lk := range lookups {
		lb, lc := "├─ ", "│  "
		if j == len(lookups)-1 {
			lb, lc = "└─ ", "   "
		}
		r.lookup(lk, prefix+cont, lb, lc)
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
			if g.Ignored == "" {
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

// serialBefore reports whether SOA serial a is before b in serial number
// arithmetic (RFC 1982 §3.2), as trace's soa-serial-mismatch compares them.
func serialBefore(a, b uint32) bool { return a != b && int32(b-a) > 0 }
