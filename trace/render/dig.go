package render

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"syscall"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// DigOptions says how Dig and DigStream render. The zero value writes
// timings and names no version.
type DigOptions struct {
	// Options.NoTimings writes every round-trip time as "in 0 ms", so that
	// the ";; Received" lines keep dig's shape and two renderings of the
	// same walk compare byte for byte. Options.Color is ignored: dig has
	// no colour. Options.Version follows the program name in the first
	// line, as dig writes its own: "; <<>> nstrace v1.2.0 <<>> +trace
	// www.example.com. A".
	Options
}

// Dig writes t in the layout of BIND's "dig +trace": a two-line header,
// then for each query of the walk the records of its reply (the NS set of a
// referral; the answer and the SOA of a negative answer; with DNSSEC, as
// dig +trace +dnssec, their RRSIGs and a referral's DS records or its
// NSEC/NSEC3 proof that there are none) in tab-aligned
// zone-file form and ";; Received N bytes from ADDR#PORT(NAME) in X ms",
// each block followed by a blank line. A query that got no reply is one
// line, ";; communications error to ADDR#PORT: timed out", as dig writes
// it; an unusable reply is ";; Got RCODE reply from ADDR#PORT(NAME)".
//
// Like dig, Dig shows the walk only: the lookups of glueless nameserver
// names, which dig makes silently through the system's resolver, are left
// out (Tree and JSON show them), as are the queries made only to check a
// zone's own NS set. Where nstrace does more than dig, the output says so
// in ";;" comment lines, which dig's readers skip: a walk that follows a
// CNAME to another zone, why a walk failed, each zone's DNSSEC status
// (";; DNSSEC example.com. secure") and the findings, one line each at the
// end (";; WARNING ns-mismatch: …").
func Dig(w io.Writer, t *trace.Trace, o DigOptions) error {
	if t == nil {
		return errNilTrace
	}
	s := NewDigStream(w, t.Question, o)
	for _, h := range t.Hops {
		if h != nil {
			s.Hop(*h, 0)
		}
	}
	return s.Done(t)
}

// DigStream writes the layout of Dig one query at a time, as a walk
// happens: hand it each hop as it completes, then the whole trace. Fed
// the hops of a trace in order, it writes exactly what Dig writes. It is
// not safe for concurrent use.
type DigStream struct {
	w      io.Writer
	o      DigOptions
	q      trace.Question
	header bool
	prev   *trace.Hop // the last hop of the walk written
	err    error
}

// NewDigStream returns a DigStream for a walk of q writing to w. Nothing
// is written until the first hop, or Done.
func NewDigStream(w io.Writer, q trace.Question, o DigOptions) *DigStream {
	return &DigStream{w: w, o: o, q: q}
}

// Hop writes one completed query. Hops of nested lookups (depth > 0) and
// the checks and protocol probes of servers are skipped, as dig +trace shows
// the path alone. It returns the first write error.
func (s *DigStream) Hop(h trace.Hop, depth int) error {
	if depth > 0 || h.Purpose.Check() || h.Purpose.Probe() {
		return s.err
	}
	var b strings.Builder
	s.writeHeader(&b, &h)
	if p := s.prev; p != nil && p.Outcome == trace.CNAME && h.Purpose == trace.PurposeWalk &&
		p.Purpose == trace.PurposeWalk && !strings.EqualFold(p.Question.Name, h.Question.Name) {
		b.WriteString(";; following the CNAME to " + h.Question.Name + "\n")
	}
	digHop(&b, &h, s.o)
	s.prev = &h
	return s.write(b.String())
}

// Done ends the output: the header if no hop wrote it, and, when the walk
// failed, why.
func (s *DigStream) Done(t *trace.Trace) error {
	var b strings.Builder
	s.writeHeader(&b, nil)
	if t != nil && !t.Outcome.Authoritative() {
		if s.prev == nil || !usableReply(s.prev) {
			b.WriteString(";; no servers could be reached\n")
		}
		if t.Err != nil {
			b.WriteString(";; trace failed: " + flatLine(t.Err.Error()) + "\n")
		}
	}
	if t != nil && t.Compared != nil {
		b.WriteString(";; full name, as dig +trace asks it: " + flatLine(endLine(t.Compared)) + "\n")
	}
	if t != nil {
		for _, z := range t.DNSSEC {
			b.WriteString(";; DNSSEC " + z.Zone + " " + z.Status + "\n")
		}
		for _, f := range s.o.shown(t.Findings) {
			b.WriteString(";; " + strings.ToUpper(string(f.Severity)) + " " + f.Code + ": " + flatLine(f.Message) + "\n")
			if fix := s.o.fixText(f.Finding); fix != "" {
				b.WriteString(";;   " + flatLine(fix) + "\n")
			}
		}
	}
	return s.write(b.String())
}

func (s *DigStream) write(text string) error {
	if s.err != nil || text == "" {
		return s.err
	}
	_, s.err = io.WriteString(s.w, text)
	return s.err
}

// writeHeader writes dig's first lines once: a blank line, the program and
// what it was asked, and the global options. The server a walk was primed
// from is shown as dig shows it, "@ADDR", when first is that query.
func (s *DigStream) writeHeader(b *strings.Builder, first *trace.Hop) {
	if s.header {
		return
	}
	s.header = true
	b.WriteString("\n; <<>> nstrace ")
	if s.o.Version != "" {
		b.WriteString(s.o.Version + " ")
	}
	b.WriteString("<<>> +trace " + nameText(s.q.Name) + " " + trace.TypeString(s.q.Qtype))
	if c := classString(s.q.Qclass); c != "IN" {
		b.WriteString(" " + c)
	}
	if first != nil && first.Purpose == trace.PurposePrime && first.Server.Addr.IsValid() {
		b.WriteString(" @" + first.Server.Addr.String())
		if p := first.Port; p != 0 && p != 53 {
			b.WriteString(" -p " + strconv.Itoa(int(p)))
		}
	}
	// dig's +cmd is what prints these two lines; nstrace has no other
	// global options to list.
	b.WriteString("\n;; global options: +cmd\n")
}

// usableReply reports whether h's reply moved the walk on.
func usableReply(h *trace.Hop) bool {
	return h.Outcome == trace.Referral || h.Outcome.Authoritative()
}

// digHop writes one query's block.
func digHop(b *strings.Builder, h *trace.Hop, o DigOptions) {
	addr := digAddr(h)
	if h.QMin != trace.QMinNone {
		b.WriteString(digQuestion(h.Question) + "\n")
	}
	switch {
	case usableReply(h):
		digRecords(b, withSigs(h.Answer, h.AnswerSigs))
		if d := h.Referral; d != nil {
			for _, ns := range d.NS {
				b.WriteString(digLine(d.Zone, strconv.FormatUint(uint64(ns.TTL), 10), "IN", "NS", ns.Name) + "\n")
			}
		}
		digRecords(b, h.Authority)
		digRecords(b, h.AuthorityDNSSEC) // as dig +dnssec: DS, NSEC, NSEC3 and their RRSIGs
		if h.Simulated {
			b.WriteString(";; Simulated referral from --delegate, in place of " + h.Zone + "'s: no query sent\n\n")
			return
		}
		ms := h.RTT.Milliseconds()
		if o.NoTimings {
			ms = 0
		}
		b.WriteString(";; Received " + strconv.Itoa(h.Size) + " bytes from " + addr + "(" + digName(h) + ") in " +
			strconv.FormatInt(ms, 10) + " ms\n\n")
	case h.Outcome == trace.Abandoned && h.Reason.CutShort():
		b.WriteString(";; stopped waiting for " + addr + "(" + digName(h) + "): not asked to the end: " + cutShortText(h.Reason) + "\n")
	case h.Outcome == trace.Abandoned:
		b.WriteString(";; stopped waiting for " + addr + "(" + digName(h) + "): another server of " + h.Zone + " answered first\n")
	case h.Rcode < 0:
		b.WriteString(";; communications error to " + addr + ": " + commsError(h) + "\n")
	default:
		word := rcodeString(h.Rcode)
		if h.Outcome == trace.Lame {
			word = "lame " + word
		}
		line := ";; Got " + word + " reply from " + addr + "(" + digName(h) + ")"
		if h.Err != nil && h.Err.Error() != rcodeString(h.Rcode) {
			line += ": " + flatLine(h.Err.Error())
		}
		b.WriteString(line + "\n")
	}
}

// digQuestion writes q as dig's question section does: what a query of a
// QNAME-minimising walk asked (trace.QMin), which is not the trace's.
func digQuestion(q trace.Question) string {
	var b strings.Builder
	owner := ";" + nameText(q.Name)
	b.WriteString(owner)
	digIndent(&b, len(owner), 32)
	b.WriteString(classString(q.Qclass))
	digIndent(&b, 32+len(classString(q.Qclass)), 40)
	b.WriteString(trace.TypeString(q.Qtype))
	return b.String()
}

func digRecords(b *strings.Builder, rrs []dns.RR) {
	for _, rr := range rrs {
		if rr != nil {
			b.WriteString(digRR(rr) + "\n")
		}
	}
}

// withSigs puts each RRSIG of sigs after the RRset of rrs it covers, as
// the answer section of a reply to a query with DO has them; those that
// cover none come last.
func withSigs(rrs, sigs []dns.RR) []dns.RR {
	if len(sigs) == 0 {
		return rrs
	}
	used := make([]bool, len(sigs))
	var out []dns.RR
	for i, rr := range rrs {
		out = append(out, rr)
		if rr == nil || (i+1 < len(rrs) && rrs[i+1] != nil && sameSet(rrs[i+1], rr)) {
			continue
		}
		for j, sig := range sigs {
			if s, ok := sig.(*dns.RRSIG); ok && !used[j] && s.TypeCovered == rr.Header().Rrtype &&
				strings.EqualFold(s.Hdr.Name, rr.Header().Name) {
				out, used[j] = append(out, sig), true
			}
		}
	}
	for j, sig := range sigs {
		if !used[j] {
			out = append(out, sig)
		}
	}
	return out
}

func sameSet(a, b dns.RR) bool {
	return a.Header().Rrtype == b.Header().Rrtype && strings.EqualFold(a.Header().Name, b.Header().Name)
}

// digAddr writes the server's address as BIND does, "192.0.2.1#53".
func digAddr(h *trace.Hop) string {
	port := h.Port
	if port == 0 {
		port = 53
	}
	a := "?"
	if h.Server.Addr.IsValid() {
		a = h.Server.Addr.String()
	}
	return a + "#" + strconv.Itoa(int(port))
}

// digName is the server as dig names it: its host name without the final
// dot, or its address when it was given as one.
func digName(h *trace.Hop) string {
	if n := strings.TrimSuffix(h.Server.Name, "."); n != "" {
		return n
	}
	if h.Server.Name == "." {
		return "."
	}
	return addrString(h.Server.Addr)
}

// commsError words a query's failure as BIND's isc_result_totext does for
// the common cases; other errors keep their own words.
func commsError(h *trace.Hop) string {
	switch {
	case h.Err == nil:
		return "no reply"
	case h.Reason == trace.ReasonTimeout:
		return "timed out"
	case errors.Is(h.Err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	return flatLine(h.Err.Error())
}

// digRR writes a record in dig's columns.
func digRR(rr dns.RR) string {
	f, ok := rrFields(rr)
	if !ok {
		return rrText(rr)
	}
	return digLine(f[0], f[1], f[2], f[3], f[4])
}

// digLine lays out the fields of a record as dig does (BIND's
// dns_master_style_debug): the TTL from column 24, the class from 32, the
// type from 40 and the data from 48, reached with tabs 8 columns wide; a
// field that runs past its column is followed by one space, or by the tab
// that reaches the next multiple of 8 when there is one (BIND's indent).
func digLine(owner, ttl, class, typ, data string) string {
	var b strings.Builder
	col := 0
	for i, f := range []string{owner, ttl, class, typ} {
		b.WriteString(f)
		col += len(f)
		col = digIndent(&b, col, 24+8*i)
	}
	b.WriteString(data)
	return b.String()
}

// digIndent writes the tabs and spaces that take column from to column to, or
// to the next column when from is already there or past it, and returns
// the column reached.
func digIndent(b *strings.Builder, from, to int) int {
	const tabWidth = 8
	to = max(to, from+1)
	if tabs := to/tabWidth - from/tabWidth; tabs > 0 {
		b.WriteString(strings.Repeat("\t", tabs))
		from = to / tabWidth * tabWidth
	}
	b.WriteString(strings.Repeat(" ", to-from))
	return to
}

// flatLine keeps a message on one line.
func flatLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// endLine says how a walk ended, in one line: its outcome and the values
// of its answer, or why it failed.
func endLine(t *trace.Trace) string {
	switch {
	case t.Outcome == trace.Failed:
		return failure(t)
	case t.Outcome == trace.Answer:
		if v := answerValues(t.Question.Qtype, t.Answer, 60); v != "" {
			return string(t.Outcome) + " " + v
		}
	}
	return string(t.Outcome)
}
