package trace

// Reason says, as a value, why a hop gave no usable reply, why a walk
// failed, or why a glue record was not used. The resolver sets it where it
// makes the error; diagnosis and renderers switch on it, never on an
// error's text, which says the same for people and may be reworded. The
// zero value, ReasonNone, means there is nothing to explain.
type Reason string

// ReasonNone is the reason of a usable reply, a walk that reached an
// authoritative outcome, and glue that was used.
const ReasonNone Reason = ""

// The reasons of a hop (Hop.Reason) that gave no usable reply. Outcome
// Error has no reply, or a reply that says nothing (an RCODE); Outcome Lame
// a reply from a server that does not serve the zone; Outcome Abandoned no
// reply awaited.
const (
	// ReasonTimeout: no reply came within the query's timeout, over any
	// transport tried.
	ReasonTimeout Reason = "timeout"
	// ReasonNetwork: the exchange failed on the network, e.g. the
	// connection was refused or reset.
	ReasonNetwork Reason = "network"
	// ReasonNoRoute: this host could not send to the address at all (no
	// route, no address of the family, family not supported): a failure
	// of this host, not of the server.
	ReasonNoRoute Reason = "no-route"
	// ReasonBadReply: the server replied with bytes that are not a DNS
	// message, or over TCP with a reply that did not match the query (RFC
	// 5452 §9.1). Over UDP such replies are dropped and the wait goes on;
	// a UDP query that got only malformed ones by its timeout has it too.
	ReasonBadReply Reason = "bad-reply"
	// ReasonOtherAddress: the reply came from another address than the one
	// asked (Hop.From), which no resolver accepts (RFC 5452 §3). Only a
	// protocol probe sees it (on an unconnected socket); to any other
	// query the server is silent.
	ReasonOtherAddress Reason = "other-address"
	// ReasonTruncated: the reply was truncated over TCP too (RFC 7766).
	ReasonTruncated Reason = "truncated"
	// ReasonRefused: the server answered REFUSED.
	ReasonRefused Reason = "refused"
	// ReasonServfail: the server answered SERVFAIL.
	ReasonServfail Reason = "servfail"
	// ReasonRcode: the server answered another RCODE than NOERROR,
	// NXDOMAIN, REFUSED or SERVFAIL, e.g. NOTIMP or FORMERR (Hop.Rcode
	// says which).
	ReasonRcode Reason = "rcode"
	// ReasonNotAuthoritative: the reply lacks the AA bit where only an
	// authority may answer (an answer, NXDOMAIN, or a reply that neither
	// answers nor refers).
	ReasonNotAuthoritative Reason = "not-authoritative"
	// ReasonParentZone: a negative reply carries the SOA of a zone above
	// the one asked: the server serves the parent, not the zone.
	ReasonParentZone Reason = "parent-zone"
	// ReasonUpwardReferral: a referral to a zone above the one asked
	// (Hop.ReferredTo), which must not be followed (RFC 1034 §4.3.2).
	ReasonUpwardReferral Reason = "upward-referral"
	// ReasonHorizontalReferral: a referral to the zone asked itself
	// (Hop.ReferredTo), which would loop.
	ReasonHorizontalReferral Reason = "horizontal-referral"
	// ReasonSidewaysReferral: a referral to a zone that is not below the
	// one asked, or does not hold the name (Hop.ReferredTo): a server may
	// speak only for its own zone (RFC 2181 §5.4.1).
	ReasonSidewaysReferral Reason = "sideways-referral"
	// ReasonAbandoned: the reply was no longer awaited, as another server
	// of the zone, asked in parallel, answered first (Outcome Abandoned).
	ReasonAbandoned Reason = "abandoned"
	// ReasonNoServers: the reply named no server that could be asked, e.g.
	// a priming reply with no root server address.
	ReasonNoServers Reason = "no-servers"
)

// The reasons a walk stopped short that are nstrace's own (its limits, its
// caller) rather than any server's. A hop cut off by one has it too.
const (
	// ReasonCancelled: the caller ended the walk (Ctrl-C, or the end of
	// its context).
	ReasonCancelled Reason = "cancelled"
	// ReasonDeadline: the walk ran out of its time (nstrace --deadline).
	ReasonDeadline Reason = "deadline"
	// ReasonQueryLimit: the walk spent its query budget (--max-queries).
	ReasonQueryLimit Reason = "query-limit"
	// ReasonReferralLimit: the walk followed too many referrals
	// (--max-referrals).
	ReasonReferralLimit Reason = "referral-limit"
	// ReasonNestingLimit: lookups of glueless nameserver names nested too
	// deep.
	ReasonNestingLimit Reason = "nesting-limit"
	// ReasonCNAMELimit: the CNAME chain was too long.
	ReasonCNAMELimit Reason = "cname-limit"
)

// The reasons of a failed walk (Trace.Reason) besides the limits above
// and the reason of a failed priming query, which the walk takes as its own.
const (
	// ReasonAllServersFailed: no server of a zone gave a usable reply, or
	// none could be asked.
	ReasonAllServersFailed Reason = "all-servers-failed"
	// ReasonLoop: a CNAME chain led back to a name already in it.
	// Delegation loops are in Trace.Loops.
	ReasonLoop Reason = "loop"
)

// The reasons a glue record was not used (Glue.Ignored).
const (
	// ReasonNotNameserver: the record's name is not in the referral's NS set.
	ReasonNotNameserver Reason = "not-nameserver"
	// ReasonOutOfBailiwick: the record's name lies outside the zone of
	// the server that sent it, which may not speak for it (RFC 2181 §5.4.1).
	ReasonOutOfBailiwick Reason = "out-of-bailiwick"
)

// The flaws of a protocol probe's reply (Hop.Flaw): what it did wrong
// that no failure shows.
const (
	// ReasonNoBADVERS: a query of EDNS version 1 got another RCODE than
	// BADVERS (RFC 6891 §6.1.3).
	ReasonNoBADVERS Reason = "no-badvers"
	// ReasonOptionEchoed: an EDNS option or flag the server cannot know
	// came back in its reply (RFC 6891 §6.1.4, §7).
	ReasonOptionEchoed Reason = "option-echoed"
	// ReasonNoNegativeSOA: an authoritative NXDOMAIN or NODATA without the
	// zone's SOA in the authority section (RFC 2308 §3).
	ReasonNoNegativeSOA Reason = "no-negative-soa"
	// ReasonCaseChanged: the reply's question is not in the letter case
	// of the query's (RFC 1034 §3.1).
	ReasonCaseChanged Reason = "case-changed"
	// ReasonRecursive: the server set RA and answered, not as an
	// authority, a question outside its zones (RFC 5358).
	ReasonRecursive Reason = "recursive"
	// ReasonTransferOpen: the server began a zone transfer (RFC 5936).
	ReasonTransferOpen Reason = "transfer-open"
)

// Ours reports whether r is a failure of nstrace, its caller or this host,
// not of the domain's servers: the walk was cancelled, ran out of time,
// spent its query budget or followed too many referrals, or this host has
// no route to the address. A walk stopped by one says nothing about the
// zone where it stopped.
func (r Reason) Ours() bool {
	switch r {
	case ReasonCancelled, ReasonDeadline, ReasonQueryLimit, ReasonReferralLimit, ReasonNoRoute:
		return true
	}
	return false
}

// CutShort reports whether r is nstrace's own end of a walk rather than
// anything a server did: its caller ended it (Ctrl-C), it ran out of its
// time (--deadline) or of its query budget (--max-queries). A hop with it
// (Outcome Abandoned) was not asked to the end, and a walk with it is
// partial: what it traced is true, but it stopped before an outcome.
func (r Reason) CutShort() bool {
	switch r {
	case ReasonCancelled, ReasonDeadline, ReasonQueryLimit:
		return true
	}
	return false
}
