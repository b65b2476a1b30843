package trace

// QMin says what a query of a QNAME-minimising walk (RFC 9156, nstrace
// --qmin) asked. The zero value, QMinNone, is a query of a walk that does
// not minimise, or a minimising walk's query for the full name where its
// turn came: at the last label, or once the limits of RFC 9156 §2.3 are
// reached.
type QMin string

const (
	// QMinNone: not a minimised question.
	QMinNone QMin = ""
	// QMinMinimised: the question is an ancestor of the walk's name, one
	// or more labels longer than what the walk knew at the zone, asked
	// with the minimising QTYPE (Mode.QMin). What the reply says of that
	// name is what the walk learned: a referral, a zone cut; NODATA, a
	// name that exists without records of that type (most often an empty
	// non-terminal); an answer or an alias, a name that exists; NXDOMAIN,
	// by RFC 8020, that nothing below exists.
	QMinMinimised QMin = "minimised"
	// QMinFallback: the full name, asked of the zone's servers after no
	// server gave a usable reply to a minimised question, as resolvers in
	// relaxed mode do (Unbound's and BIND's default); one in strict mode
	// stops there. After NXDOMAIN the walk stops (RFC 8020), and asks
	// the full name beside it only (PurposeQminCheck).
	QMinFallback QMin = "fallback"
)

// EmptyNonTerminal reports whether h is a minimised query answered NODATA:
// the name it asked exists, with no records of the type asked (RFC 9156 §3
// goes on to the next label), which on a resolver's way down is most often
// a name that owns no records but has names below it.
func (h *Hop) EmptyNonTerminal() bool { return h.QMin == QMinMinimised && h.Outcome == NoData }
