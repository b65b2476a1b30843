package render

import (
	"io"
	"strings"

	"github.com/nstrace/nstrace/trace"
)

// TreeStream writes a walk as a tree while it happens, for a terminal: the
// question, then each hop's line as soon as its reply arrives (or it
// fails), each nested lookup opened when it starts and closed with its
// result when it ends, and, from Done, the final records and the summary.
//
// It differs from Tree only where Tree needs the whole walk: columns are
// as wide as the widest seen so far at each level rather than the widest of
// all, a lookup's result comes after its hops rather than on the line that
// opens it, and a hop is
// drawn as the last of its walk ("└─") when it ends the walk with an
// authoritative answer. It is not safe for concurrent use.
type TreeStream struct {
	w       io.Writer
	r       *treeRenderer
	q       trace.Question
	started bool
	// questions holds the question of the walk at each depth: the trace's
	// at 0, and that of the innermost lookup open at each deeper one, each
	// replaced by a followed CNAME's target.
	questions []trace.Question
	widths    map[int]*hopWidths // the widths at each depth, which only grow
	// last is the last hop of the walk written at each depth, and detail
	// the start of the lines under it, where a check of its zone's own NS
	// set is written when it comes.
	last   map[int]*trace.Hop
	detail map[int]string
	// checks are the child NS checks that completed before the walk's hop
	// to the same zone, which Tree shows them under.
	checks map[int][]trace.Hop
	err    error
}

// NewTreeStream returns a TreeStream for a walk of q writing to w. Nothing
// is written until the first event, or Done.
func NewTreeStream(w io.Writer, q trace.Question, o Options) *TreeStream {
	return &TreeStream{
		w:         w,
		r:         &treeRenderer{o: o, p: newPalette(o.Color)},
		q:         q,
		questions: []trace.Question{q},
		widths:    map[int]*hopWidths{},
		last:      map[int]*trace.Hop{},
		detail:    map[int]string{},
		checks:    map[int][]trace.Hop{},
	}
}

// Hop writes the line of a completed query, and the lines under it, of a
// walk nested depth lookups deep. It returns the first write error.
func (s *TreeStream) Hop(h trace.Hop, depth int) error {
	s.start()
	if h.Purpose == trace.PurposeChildNS {
		if prev := s.last[depth]; prev != nil && prev.Zone == h.Zone {
			s.r.line(s.detail[depth] + s.r.childNS(prev, &h))
		} else {
			s.checks[depth] = append(s.checks[depth], h)
		}
		return s.flush()
	}
	wd := s.widths[depth]
	if wd == nil {
		// Wide enough for the usual first columns, so that the lines of
		// a walk seldom shift as longer names come.
		wd = &hopWidths{zone: 16, server: 40, rtt: 5, proto: 3}
		s.widths[depth] = wd
	}
	row := s.r.row(&h)
	wd.fit(row)

	prefix := strings.Repeat(contMid, 2*depth)
	branch, cont := branches(h.Purpose == trace.PurposeWalk && h.Outcome != trace.CNAME && h.Outcome.Authoritative())
	if followsCNAME(s.last[depth], &h) {
		s.r.followCNAME(prefix, h.Question)
		if depth < len(s.questions) {
			s.questions[depth] = h.Question
		}
	}
	s.r.hopLine(prefix+branch, row, *wd)
	q := s.q
	if depth < len(s.questions) {
		q = s.questions[depth]
	}
	detail := s.r.detailIndent(prefix+cont, false, wd.zone+2)
	s.r.hopDetails(detail, q, &h, nil)
	s.last[depth], s.detail[depth] = &h, detail
	s.writeChecks(depth, false)
	return s.flush()
}

// LookupStarted opens a lookup of a nameserver's address nested depth
// deep (1 for one made by the walk itself).
func (s *TreeStream) LookupStarted(q trace.Question, depth int) error {
	s.start()
	for len(s.questions) <= depth {
		s.questions = append(s.questions, trace.Question{})
	}
	s.questions[depth] = q
	s.r.line(s.r.glyphs(strings.Repeat(contMid, max(0, 2*depth-1))+branchMid) + lookupQuestion(q))
	return s.flush()
}

// LookupDone closes a lookup with its result under its hops, as the
// summary line ends the whole tree: "→ 192.0.2.1 · 3 queries · 1.2ms".
func (s *TreeStream) LookupDone(l *trace.Trace, depth int) error {
	s.start()
	if l == nil {
		return s.err
	}
	s.writeChecks(depth, true)
	s.r.line(s.r.glyphs(strings.Repeat(contMid, 2*depth)) + s.r.lookupResult(l).String())
	delete(s.last, depth)
	return s.flush()
}

// Done writes the end of the tree: the final records, the findings (which
// Tree writes under the hops that show them, unknown while the walk runs),
// the summary line and the findings by severity, as Tree does.
func (s *TreeStream) Done(t *trace.Trace) error {
	s.start()
	s.writeChecks(0, true)
	if t != nil {
		if rrs := finalRecords(t); len(rrs) > 0 {
			s.r.records("   ", rrs)
		}
		fs := s.r.o.shown(t.Findings)
		for _, f := range fs {
			s.r.finding("   ", f)
		}
		if line := s.r.dnssecLine(t); line != "" {
			s.r.line("   " + line)
		}
		s.r.summary(t)
		s.r.findingsSummary(fs)
	}
	return s.flush()
}

// writeChecks writes the child NS checks held at depth under the last hop
// there: those of its zone, or, when the walk at depth is over, all.
func (s *TreeStream) writeChecks(depth int, all bool) {
	prev := s.last[depth]
	var keep []trace.Hop
	for _, c := range s.checks[depth] {
		if prev != nil && (all || c.Zone == prev.Zone) {
			s.r.line(s.detail[depth] + s.r.childNS(prev, &c))
		} else if !all {
			keep = append(keep, c)
		}
	}
	s.checks[depth] = keep
}

func (s *TreeStream) start() {
	if !s.started {
		s.started = true
		s.r.line(s.r.p.question.Sprint(questionText(s.q)))
	}
}

func (s *TreeStream) flush() error {
	if s.err == nil && s.r.buf.Len() > 0 {
		_, s.err = s.w.Write(s.r.buf.Bytes())
	}
	s.r.buf.Reset()
	return s.err
}
