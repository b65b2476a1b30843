package trace

// The checks of a QNAME-minimising walk (RFC 9156, nstrace --qmin, issue
// 15): servers that answer the questions such a walk sends on its way down
// otherwise than the full name. A minimised question that failed at a
// server which answered another question of the zone is judged here, and
// not as the server's failure (see minimisedFailure).

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// The codes of QNAME minimisation.
const (
	CodeENTNXDomain         = "ent-nxdomain"          // NXDOMAIN for a name with names below it
	CodeQminRefused         = "qmin-refused"          // REFUSED to minimised queries only
	CodeQminTimeout         = "qmin-timeout"          // no reply to minimised queries only
	CodeQminServfail        = "qmin-servfail"         // SERVFAIL to minimised queries only
	CodeQminDifferentAnswer = "qmin-different-answer" // the minimising walk ends elsewhere
)

// qminFailures are the reasons a minimised query fails at a server that
// answers others, with the code that reports each and what it does to
// resolvers.
var qminFailures = map[Reason]struct{ code, what, whatN, cost string }{
	ReasonRefused:  {CodeQminRefused, "answers REFUSED to", "answer REFUSED to", "resolvers in strict mode fail the name; relaxed ones (Unbound's and BIND's default) ask again with the full name"},
	ReasonServfail: {CodeQminServfail, "answers SERVFAIL to", "answer SERVFAIL to", "resolvers in strict mode fail the name; relaxed ones (Unbound's and BIND's default) ask again with the full name"},
	ReasonTimeout:  {CodeQminTimeout, "does not answer", "do not answer", "every minimising resolver waits out a timeout on each such query before it asks the full name, if it does: resolutions through it are slow, or fail when the client gives up first"},
}

// fullReplies is how a server met the questions of a zone asked of it that
// were not minimised and that nstrace let end: whether it gave a usable
// reply to one as an authority, left one (a probe too) unanswered, or was
// asked one at all.
type fullReplies struct{ asked, answered, lost bool }

// fullReplies gives the fullReplies of every server by zone and address
// (serverZoneKey).
func (d *diagnosis) fullReplies() map[string]fullReplies {
	if d.full != nil {
		return d.full
	}
	d.full = map[string]fullReplies{}
	for _, h := range d.hops {
		if h.QMin == QMinMinimised || h.Outcome == Abandoned || h.Reason.Ours() || !h.Server.Addr.IsValid() {
			continue
		}
		k := serverZoneKey(h.Zone, h.Server.Addr)
		f := d.full[k]
		f.asked = f.asked || isAuthorityHop(h)
		f.answered = f.answered || h.Err == nil && h.Rcode >= 0 && isAuthorityHop(h)
		f.lost = f.lost || h.Reason == ReasonTimeout
		d.full[k] = f
	}
	return d.full
}

func serverZoneKey(zone string, a netip.Addr) string { return canon(zone) + " " + a.String() }

// minimisedFailed reports whether h is a minimised query that failed in
// one of the ways of qminFailures.
func minimisedFailed(h *Hop) bool {
	_, ok := qminFailures[h.Reason]
	return ok && h.QMin == QMinMinimised && h.Outcome == Error
}

// minimisedFailure reports whether h is a minimised query that failed in
// one of the ways of qminFailures at a server that answered another
// question of the zone: the server's fault is with minimised queries only.
// A timeout counts only at a server that lost no other query: one that
// does is lossy (lossy-server), whatever it is asked.
func (d *diagnosis) minimisedFailure(h *Hop) bool {
	f := d.fullReplies()[serverZoneKey(h.Zone, h.Server.Addr)]
	return minimisedFailed(h) && f.answered && !(h.Reason == ReasonTimeout && f.lost)
}

// minimisedUnjudged reports whether h is a minimised query that failed at
// a server asked nothing else of the zone to the end (--path-only, or the
// checks cut short by the query budget): whether it fails every question
// (lame-server, unreachable-server) or minimised ones only (qmin-*) is not
// known, so it is named for neither.
func (d *diagnosis) minimisedUnjudged(h *Hop) bool {
	return minimisedFailed(h) && !d.fullReplies()[serverZoneKey(h.Zone, h.Server.Addr)].asked
}

// qmin finds ent-nxdomain and the qmin-* failures, and, when t was
// compared with the walk of the full name, qmin-different-answer.
func (d *diagnosis) qmin(t *Trace) {
	for _, f := range QMinDifferent(t.Compared, t) {
		d.add("", f)
	}
	for _, w := range d.traces {
		for _, h := range w.Hops {
			switch {
			case h.QMin != QMinMinimised:
			case h.Outcome == NXDomain:
				d.entNXDomain(h, w.Hops)
			case d.minimisedFailure(h):
				d.qminFailure(h)
			}
		}
	}
}

// entNXDomain reports a server that answered NXDOMAIN for the minimised
// name of h when a name below it exists, as another hop of the walk
// (hops) shows: the full name, asked of the same server beside the walk
// (PurposeQminCheck), got another reply; or the walk itself, told
// otherwise by another server of the zone (the server checks, --all), went
// on below the name and got a usable reply there.
func (d *diagnosis) entNXDomain(h *Hop, hops []*Hop) {
	for _, f := range hops {
		if f == h || !below(h, f) {
			continue
		}
		if d.entNX == nil {
			d.entNX = map[*Hop]bool{}
		}
		d.entNX[h] = true
		srv := Server{Name: h.Server.Name, Addr: h.Server.Addr}
		found := "answers"
		if f.Outcome == Referral && f.Referral != nil {
			found = "is delegated to " + f.Referral.Zone
		}
		d.add(h.Server.Addr.String(), Finding{Code: CodeENTNXDomain, Zone: canon(h.Zone), Server: &srv, Hops: []int{h.ID, f.ID},
			Message: fmt.Sprintf("%s answers NXDOMAIN for %s, yet %s below it %s: NXDOMAIN means nothing below exists (RFC 8020), so QNAME-minimising resolvers in strict mode, and those that trust NXDOMAIN, fail every name under %s; it must answer NODATA for a name with names below it (an empty non-terminal)",
				serverText(srv), h.Question.Name, f.Question.Name, found, h.Question.Name)})
		return
	}
}

// below reports whether f, another hop of the walk of the minimised
// NXDOMAIN h, shows a name below h's that exists: the full name asked of h's server beside
// the walk, or a step of the walk that asked a name below, each with a
// usable reply other than NXDOMAIN.
func below(h, f *Hop) bool {
	switch {
	case f.Err != nil || f.Outcome == NXDomain || !(f.Outcome == Referral || f.Outcome.Authoritative()):
		return false
	case f.Purpose == PurposeQminCheck:
		return canon(f.Zone) == canon(h.Zone) && f.Server.Addr == h.Server.Addr
	}
	name, under := canon(f.Question.Name), canon(h.Question.Name)
	return f.Purpose == PurposeWalk && name != under && dns.IsSubDomain(under, name)
}

// qminFailure reports a server that failed the minimised query h.
func (d *diagnosis) qminFailure(h *Hop) {
	q := qminFailures[h.Reason]
	srv := Server{Name: h.Server.Name, Addr: h.Server.Addr}
	who := serverText(srv)
	d.addCause(who, string(h.Reason), Finding{Code: q.code, Zone: canon(h.Zone), Server: &srv, Hops: []int{h.ID},
		Message: fmt.Sprintf("%s %s the minimised question %s (RFC 9156), but answers other questions of %s: %s", who, q.what, h.Question, canon(h.Zone), q.cost)},
		func(n int, names string) string {
			return fmt.Sprintf("%d addresses of the nameservers of %s %s minimised questions (RFC 9156), but answer others: %s; %s", n, canon(h.Zone), q.whatN, names, q.cost)
		})
}

// QMinDifferent compares a walk that asks the full name (plain) with a
// QNAME-minimising walk of the same question (qmin) and gives a
// qmin-different-answer finding when they end differently: in another
// outcome, or with other records. Both must have ended on their own: a
// walk cut short (Trace.Partial) says nothing. The hops it names are
// qmin's.
func QMinDifferent(plain, qmin *Trace) []Finding {
	if plain == nil || qmin == nil || plain.Partial() != ReasonNone || qmin.Partial() != ReasonNone {
		return nil
	}
	a, b := endText(plain), endText(qmin)
	if a == b {
		return nil
	}
	zone := "."
	var hops []int
	if h := lastWalkHop(qmin); h != nil {
		zone, hops = canon(h.Zone), []int{h.ID}
	}
	return []Finding{{Code: CodeQminDifferentAnswer, Severity: SeverityOf(CodeQminDifferentAnswer), Zone: zone, Hops: hops,
		Message: fmt.Sprintf("walked as QNAME-minimising resolvers walk it (RFC 9156, stopping at NXDOMAIN as RFC 8020 says), %s ends in %s, where the full name, as dig +trace asks it, ends in %s: resolvers that minimise strictly or trust NXDOMAIN (Knot Resolver; Unbound and BIND in strict mode) get another answer than dig +trace shows",
			qmin.Question, b, a)}}
}

// endText says how a walk ended: its outcome and its answer's records.
func endText(t *Trace) string {
	s := string(t.Outcome)
	if t.Outcome == Failed && t.Reason != ReasonNone {
		s += " (" + string(t.Reason) + ")"
	}
	var rrs []string
	for _, rr := range t.Answer {
		f := strings.Fields(rr.String())
		if len(f) >= 4 {
			rrs = append(rrs, f[0]+" "+strings.Join(f[3:], " "))
		}
	}
	if len(rrs) > 0 {
		s += " " + strings.Join(slices.Sorted(slices.Values(rrs)), ", ")
	}
	return s
}

// lastWalkHop gives the last step of the walk t.
func lastWalkHop(t *Trace) *Hop {
	for i := len(t.Hops) - 1; i >= 0; i-- {
		if h := t.Hops[i]; h != nil && h.Purpose == PurposeWalk {
			return h
		}
	}
	return nil
}
