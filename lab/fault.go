package lab

import (
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// FaultKind is a misbehaviour that lab.conf can give a server, or one of
// its addresses, with "fault NAME[@ADDR] KIND [ARG]". Its value is the
// word lab.conf writes. The constants below are the whole list, and their
// comments the one description of each.
type FaultKind string

const (
	// FaultDown never answers, over UDP or TCP (TCP is accepted, then silent).
	FaultDown FaultKind = "down"
	// FaultRefused answers REFUSED.
	FaultRefused FaultKind = "refused"
	// FaultServfail answers SERVFAIL.
	FaultServfail FaultKind = "servfail"
	// FaultLame answers as usual, but never sets AA.
	FaultLame FaultKind = "lame"
	// FaultDelay, "delay DURATION", waits that long before every reply,
	// e.g. "delay 10ms"; at most an hour.
	FaultDelay FaultKind = "delay"
	// FaultTruncate replies, over UDP, TC=1 with empty sections; TCP works.
	FaultTruncate FaultKind = "truncate"
	// FaultNoTCP resets every TCP connection at once.
	FaultNoTCP FaultKind = "no-tcp"
	// FaultWrongID replies with an ID that is not the query's.
	FaultWrongID FaultKind = "wrong-id"
	// FaultWrongQuestion replies for wrong-question.invalid. instead of the
	// name asked.
	FaultWrongQuestion FaultKind = "wrong-question"
	// FaultGarbage replies with bytes that do not parse as a DNS message.
	FaultGarbage FaultKind = "garbage"
	// FaultUpward refers every query to the root, with the root servers'
	// glue. The scenario needs a root zone with NS records.
	FaultUpward FaultKind = "upward"
	// FaultHorizontal refers every query to the zone the server serves
	// itself.
	FaultHorizontal FaultKind = "horizontal"
	// FaultSideways refers every query to sideways.invalid., an unrelated
	// zone.
	FaultSideways FaultKind = "sideways"
	// FaultPoisonGlue adds www.victim.test. A 192.0.2.66, and the same
	// address for each NS name outside its zone, to every NOERROR reply
	// (out-of-bailiwick data, RFC 2181 §5.4.1).
	FaultPoisonGlue FaultKind = "poison-glue"
	// FaultTCAlways replies TC=1 with empty sections, over TCP too.
	FaultTCAlways FaultKind = "tc-always"
	// FaultTCPHang accepts TCP connections and never answers on them.
	FaultTCPHang FaultKind = "tcp-hang"
	// FaultNoEDNS answers FORMERR to a query with EDNS0, as a server from
	// before RFC 2671 does; a query without it is answered.
	FaultNoEDNS FaultKind = "no-edns"
	// FaultLoss, "loss PERCENT", drops that share of UDP queries ("25" or
	// "25%"), in a fixed pattern that drops the first.
	FaultLoss FaultKind = "loss"
	// FaultEDNSDrop never answers a query with EDNS, over UDP or TCP; a
	// query without it is answered: a firewall that drops what it does not
	// know (DNS Flag Day 2019).
	FaultEDNSDrop FaultKind = "edns-drop"
	// FaultNoBadvers answers a query of EDNS version 1 or later as one of
	// version 0, where RFC 6891 §6.1.3 wants BADVERS.
	FaultNoBadvers FaultKind = "no-badvers"
	// FaultEchoOption copies the query's EDNS options and unknown EDNS
	// flags into the reply's OPT record, where RFC 6891 §6.1.4 and §7 want
	// them ignored and left out.
	FaultEchoOption FaultKind = "echo-option"
	// FaultAAAADrop never answers an AAAA query (RFC 4074 §4.1).
	FaultAAAADrop FaultKind = "aaaa-drop"
	// FaultNoNegativeSOA leaves the zone's SOA out of NXDOMAIN and NODATA
	// replies (RFC 2308 §3 wants it in the authority section).
	FaultNoNegativeSOA FaultKind = "no-negative-soa"
	// FaultRecursive sets RA on every reply and answers a query with RD for
	// a name outside its zones from the scenario's data, not
	// authoritatively, as an open recursive resolver does (RFC 5358).
	FaultRecursive FaultKind = "recursive"
	// FaultAXFROpen answers an AXFR over TCP with the whole zone, to
	// anyone (BIND's allow-transfer { any; }).
	FaultAXFROpen FaultKind = "axfr-open"
	// FaultCaseFold writes the reply's question in lower case, whatever
	// the case of the query's (RFC 1034 §3.1 wants it kept).
	FaultCaseFold FaultKind = "case-fold"
	// FaultSOAFields serves its zones' SOA records with another RNAME and
	// doubled timers, as a secondary set up by hand with its own SOA does.
	FaultSOAFields FaultKind = "soa-fields"
	// FaultUnsigned serves the server's signed zones unsigned: no DNSKEY,
	// CDS, CDNSKEY or NSEC3PARAM records, and no RRSIG or proof to a
	// query with DO, as a second provider that does not sign would (the
	// multi-provider mistake, RFC 8901). Unsigned zones are unchanged.
	FaultUnsigned FaultKind = "unsigned"
	// FaultMinimalResponses leaves the authority and additional sections
	// out of authoritative answers, as BIND with minimal-responses yes
	// does: referrals keep their glue, negative answers their SOA.
	FaultMinimalResponses FaultKind = "minimal-responses"
	// FaultENTNXDomain answers NXDOMAIN, where NODATA is due, to a query
	// for an empty non-terminal of the zone (a name below the apex that
	// owns no records but has names below it), as some old servers and
	// DNS load balancers do: a resolver that follows RFC 8020 takes it
	// that nothing below exists. A signed zone keeps its NODATA proof.
	FaultENTNXDomain FaultKind = "ent-nxdomain"
	// FaultQminRefuse, FaultQminDrop and FaultQminServfail answer
	// REFUSED, nothing, or SERVFAIL to a query that looks minimised
	// (RFC 9156): one for an interior name of the zone, of any type (see
	// zone.interior). A query for a leaf, the apex, or a name that does
	// not exist is answered as usual; so is a referral to a cut, unless
	// the parent holds names below it (glue).
	FaultQminRefuse   FaultKind = "qmin-refuse"
	FaultQminDrop     FaultKind = "qmin-drop"
	FaultQminServfail FaultKind = "qmin-servfail"
	// FaultOtherAddress, "other-address ADDR", sends its UDP replies from
	// another address than the one asked, which the lab writes as ADDR (a
	// multi-homed server that answers from the address of the interface
	// its reply leaves by); a connected socket never gets them. TCP works.
	FaultOtherAddress FaultKind = "other-address"
)

// faultKinds are the faults lab.conf knows, in the order above.
var faultKinds = []FaultKind{
	FaultDown, FaultRefused, FaultServfail, FaultLame, FaultDelay, FaultTruncate,
	FaultNoTCP, FaultWrongID, FaultWrongQuestion, FaultGarbage, FaultUpward,
	FaultHorizontal, FaultSideways, FaultPoisonGlue, FaultTCAlways, FaultTCPHang,
	FaultNoEDNS, FaultLoss, FaultEDNSDrop, FaultNoBadvers, FaultEchoOption, FaultAAAADrop,
	FaultNoNegativeSOA, FaultRecursive, FaultAXFROpen, FaultCaseFold, FaultSOAFields, FaultUnsigned,
	FaultMinimalResponses, FaultENTNXDomain, FaultQminRefuse, FaultQminDrop, FaultQminServfail,
	FaultOtherAddress,
}

// known reports whether lab.conf may set the fault.
func (k FaultKind) known() bool { return slices.Contains(faultKinds, k) }

// hasArg reports whether the fault takes an argument in lab.conf.
func (k FaultKind) hasArg() bool {
	return k == FaultDelay || k == FaultLoss || k == FaultOtherAddress
}

// Fault is one misbehaviour set by the manifest.
type Fault struct {
	Kind FaultKind
	Addr netip.Addr // the only address it applies to; the zero value means all
	// Delay is the argument of FaultDelay.
	Delay time.Duration
	// Percent is the argument of FaultLoss: the share of UDP queries dropped.
	Percent float64
	// From is the argument of FaultOtherAddress: where replies come from.
	From netip.Addr
}

// String gives the fault as the manifest writes it, without its target.
func (f Fault) String() string {
	switch f.Kind {
	case FaultDelay:
		return string(f.Kind) + " " + f.Delay.String()
	case FaultLoss:
		return string(f.Kind) + " " + strconv.FormatFloat(f.Percent, 'g', -1, 64)
	case FaultOtherAddress:
		return string(f.Kind) + " " + f.From.String()
	}
	return string(f.Kind)
}
