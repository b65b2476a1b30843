package render

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/nstrace/nstrace/trace"
)

// A hop's line, shared by Tree and TreeStream: the zone, the server, the
// RTT against the protocol ("12ms udp") and what the reply meant, the first
// four columns padded to widths the caller keeps for a level of the tree.

// hopRow is one hop's line, cut into its columns.
type hopRow struct {
	zone, server, rtt, proto, outcome *span
}

// hopWidths are the widths of the padded columns of a level's hop lines.
type hopWidths struct{ zone, server, rtt, proto int }

// fit widens w to hold row.
func (w *hopWidths) fit(row hopRow) {
	w.zone, w.server = max(w.zone, row.zone.w), max(w.server, row.server.w)
	w.rtt, w.proto = max(w.rtt, row.rtt.w), max(w.proto, row.proto.w)
}

// Tree-drawing guides: a branch opens an item, and its continuation runs
// down beside the lines under it.
const (
	branchMid, contMid   = "├─ ", "│  "
	branchLast, contLast = "└─ ", "   "
)

// branches gives the branch and continuation guides of an item, the last
// of its list or not.
func branches(last bool) (branch, cont string) {
	if last {
		return branchLast, contLast
	}
	return branchMid, contMid
}

// row cuts h's line into its columns.
func (r *treeRenderer) row(h *trace.Hop) hopRow {
	row := hopRow{
		zone:    new(span).add(nil, h.Zone),
		server:  r.server(h),
		rtt:     new(span),
		proto:   r.proto(h),
		outcome: r.outcome(h),
	}
	if !r.o.NoTimings {
		row.rtt = r.rtt(h)
	}
	return row
}

// rtt gives a hop's round-trip time, or a dash for a query never answered.
func (r *treeRenderer) rtt(h *trace.Hop) *span {
	if h.Rcode < 0 {
		return new(span).add(r.p.dim, "—")
	}
	return new(span).add(nil, formatDuration(h.RTT))
}

// hopLine writes a hop's line after the guides lead, its columns padded
// to w.
func (r *treeRenderer) hopLine(lead string, row hopRow, w hopWidths) {
	var b strings.Builder
	b.WriteString(r.glyphs(lead))
	b.WriteString(pad(row.zone, w.zone))
	b.WriteString("  ")
	b.WriteString(pad(row.server, w.server))
	b.WriteString("  ")
	if !r.o.NoTimings {
		// The RTT sits right-aligned against its protocol: "12ms udp".
		b.WriteString(padLeft(row.rtt, w.rtt))
		b.WriteString(" ")
	}
	b.WriteString(pad(row.proto, w.proto))
	b.WriteString("  ")
	b.WriteString(row.outcome.String())
	r.line(b.String())
}

// followsCNAME reports whether h, after prev, starts a new segment of the
// walk: the walk for a followed CNAME's target, from the root.
func followsCNAME(prev, h *trace.Hop) bool {
	return prev != nil && prev.Outcome == trace.CNAME && h.Purpose == trace.PurposeWalk && !h.Simulated
}

// followCNAME writes the line that opens a segment for the CNAME's target
// q; its hops then ask q, said once here rather than under each of them.
func (r *treeRenderer) followCNAME(prefix string, q trace.Question) {
	r.line(r.glyphs(prefix+"│") + " " + r.p.outcome(trace.CNAME).Sprint("↪ following the CNAME to "+q.String()))
}

// detailIndent gives the start of the lines under an item: its guides,
// then spaces up to column col after them. With bar, a guide runs down
// the first column to the item's lookups, which come after these lines.
func (r *treeRenderer) detailIndent(guides string, bar bool, col int) string {
	if bar {
		return r.glyphs(guides+"│") + strings.Repeat(" ", col-1)
	}
	return r.glyphs(guides) + strings.Repeat(" ", col)
}

// hopDetails writes the lines under a hop of a walk of q after indent:
// what it asked and the delegation it got, then checks of the zone's own
// NS set made with it, then the findings that arise at them.
func (r *treeRenderer) hopDetails(indent string, q trace.Question, h *trace.Hop, checks []*trace.Hop) {
	if ds := dsLine(r.dnssec[h]); ds != "" {
		r.line(indent + r.p.dim.Sprint(ds))
	}
	for _, d := range r.referralDetails(q, h) {
		r.line(indent + d)
	}
	for _, c := range apexChecks(h, checks) {
		r.line(indent + r.childNS(h, c))
	}
	if s := r.serversChecked(checks); s != "" {
		r.line(indent + s)
	}
	for _, c := range checks {
		if c.Purpose == trace.PurposeQminCheck {
			r.line(indent + r.fullNameLine(c))
		}
	}
	for _, f := range r.findingsAt(append([]*trace.Hop{h}, checks...)...) {
		r.finding(indent, f)
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
		s.add(c, r.abandoned(h))
	case trace.Error:
		if h.Reason == trace.ReasonNoRoute {
			// This host's failure, not the server's: no error colour.
			s.add(r.p.dim, notSent(h))
			break
		}
		s.add(c, r.failed(h))
	case trace.Lame:
		s.add(c, r.failed(h))
	default:
		s.add(c, word)
	}
	if h.EmptyNonTerminal() {
		s.add(r.p.dim, ": empty non-terminal, or a name without "+trace.TypeString(h.Question.Qtype))
	}
	if notes := replyNotes(h); notes != "" {
		s.add(nil, " ")
		s.add(r.p.warn, "("+notes+")")
	}
	return s
}

// abandoned says why no reply was awaited: another server answered
// first, or nstrace's own end cut the query short.
func (r *treeRenderer) abandoned(h *trace.Hop) string {
	if h.Reason.CutShort() {
		return "not asked to the end: " + cutShortText(h.Reason)
	}
	word := string(h.Outcome)
	if h.RTT > 0 && !r.o.NoTimings {
		word += " after " + formatDuration(h.RTT)
	}
	return word + ": no reply yet when another server answered"
}

// cutShortText says which of nstrace's own ends cut a hop or a walk short
// (trace.Reason.CutShort).
func cutShortText(r trace.Reason) string {
	switch r {
	case trace.ReasonCancelled:
		return "interrupted"
	case trace.ReasonDeadline:
		return "the trace's deadline passed"
	case trace.ReasonQueryLimit:
		return "the query budget was spent"
	}
	return string(r)
}

// notSent says why a query never left this host.
func notSent(h *trace.Hop) string {
	if h.Err == nil {
		return "not sent"
	}
	return "not sent: " + h.Err.Error()
}

// failed says what went wrong: the outcome, the RCODE unless the error
// already names it, the error, and how long a silent server was waited on.
func (r *treeRenderer) failed(h *trace.Hop) string {
	word := string(h.Outcome)
	if rc := rcodeString(h.Rcode); h.Rcode > 0 && (h.Err == nil || !strings.Contains(h.Err.Error(), rc)) {
		word += " " + rc
	}
	if h.Err != nil {
		word += ": " + h.Err.Error()
	}
	if h.Rcode < 0 && h.RTT > 0 && !r.o.NoTimings {
		word += " (after " + formatDuration(h.RTT) + ")"
	}
	return word
}

// replyNotes gives the flags of a reply worth a warning: "no AA, TC".
func replyNotes(h *trace.Hop) string {
	var notes []string
	if h.Outcome.Authoritative() && !h.AA {
		notes = append(notes, "no AA")
	}
	if h.TC {
		notes = append(notes, "TC")
	}
	return strings.Join(notes, ", ")
}

// apexChecks gives the child NS checks to show under h: all of them, but
// when every server was checked, only the one asked of h's server (or
// else the first).
func apexChecks(h *trace.Hop, checks []*trace.Hop) []*trace.Hop {
	var ns []*trace.Hop
	every := false
	for _, c := range checks {
		switch c.Purpose {
		case trace.PurposeChildNS:
			ns = append(ns, c)
		case trace.PurposeSOA, trace.PurposeCheck:
			every = true
		}
	}
	if !every || len(ns) < 2 {
		return ns
	}
	for _, c := range ns {
		if c.Server.Addr == h.Server.Addr && c.Err == nil {
			return []*trace.Hop{c}
		}
	}
	return ns[:1]
}

// serversChecked gives the line that sums up the checks of every server of
// a zone: "checked 2 addresses (A, SOA, NS; 8 queries): failures from
// ns1.example.com. 192.0.2.1", or "" when there were none. The
// findings under it say what is wrong.
func (r *treeRenderer) serversChecked(checks []*trace.Hop) string {
	var addrs, failed []string
	var types []string
	queries, every, unfinished := 0, false, false
	probes, odd := 0, 0
	for _, c := range checks {
		if c.Purpose == trace.PurposeQminCheck {
			continue // its own line (fullNameLine)
		}
		if c.Purpose.Probe() {
			// Summed up apart: what they found is in the findings.
			probes++
			if probeOdd(c) {
				odd++
			}
			continue
		}
		every = every || c.Purpose == trace.PurposeSOA || c.Purpose == trace.PurposeCheck
		a := c.Server.Name + " " + addrString(c.Server.Addr)
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
		if t := trace.TypeString(c.Question.Qtype); !slices.Contains(types, t) {
			types = append(types, t)
		}
		if !c.Cached {
			queries++
		}
		switch {
		case c.Err == nil:
		case c.Outcome == trace.Abandoned || c.Reason.Ours():
			unfinished = true
		case !slices.Contains(failed, a):
			failed = append(failed, a)
		}
	}
	if !every {
		return ""
	}
	s := fmt.Sprintf("checked %s (%s; %s", plural(len(addrs), "address", "addresses"), strings.Join(types, ", "), plural(queries, "query", "queries"))
	if probes > 0 {
		s += "; " + plural(probes, "probe", "probes")
		if odd > 0 {
			s += fmt.Sprintf(", %d odd", odd)
		}
	}
	s += ")"
	switch {
	case len(failed) > 0:
		return r.p.warn.Sprint(s + ": failures from " + strings.Join(failed, ", "))
	case unfinished:
		return r.p.dim.Sprint(s + ": not every one asked to the end")
	}
	return r.p.dim.Sprint(s + ": every one answered")
}

// fullNameLine gives the line of the full name asked beside a minimising
// walk that stopped at NXDOMAIN (trace.PurposeQminCheck): what the same
// server says of it.
func (r *treeRenderer) fullNameLine(c *trace.Hop) string {
	said := r.outcome(c).String()
	text := "the full name " + c.Question.String() + ", asked of the same server: " + said
	if c.Err == nil && c.Outcome != trace.NXDomain {
		return r.p.warn.Sprint(text + ": it exists below the NXDOMAIN")
	}
	return r.p.dim.Sprint(text)
}
