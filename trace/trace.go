// Package trace is the model of an iterative DNS walk: the question, every
// query sent to every server (a Hop), the nested lookups of nameserver
// addresses, and the final outcome. It holds data only: it opens no sockets and
// prints nothing; the renderers in trace/render turn a Trace into text.
package trace

import (
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Source says where the engine learned a server's address.
type Source string

// The address sources. The zero value means unknown.
const (
	SourceHints    Source = "hints"    // the root hints
	SourceGlue     Source = "glue"     // the additional section of the parent's referral
	SourceResolved Source = "resolved" // a separate lookup of the NS name, walked from the root
	SourceCache    Source = "cache"    // learned earlier in the same run
	SourceUser     Source = "user"     // given on the command line
	SourcePrimed   Source = "primed"   // the root NS set as a server given by the user reported it
)

// Server is one address of one nameserver.
type Server struct {
	Name   string     // fully qualified host name, e.g. "a.root-servers.net."
	Addr   netip.Addr // the address as written in hints, glue or the A/AAAA record
	Source Source
}

// Question is what was asked. Name is fully qualified.
type Question struct {
	Name   string
	Qtype  uint16
	Qclass uint16 // zero means IN
}

// String gives the question as dig writes it: "www.example.com. IN A".
func (q Question) String() string {
	return q.Name + " " + dns.ClassToString[q.class()] + " " + TypeString(q.Qtype)
}

func (q Question) class() uint16 {
	if q.Qclass == 0 {
		return dns.ClassINET
	}
	return q.Qclass
}

// TypeString gives a type's mnemonic, or TYPEnnn (RFC 3597) for a type with none.
func TypeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return dns.Type(t).String()
}

// Outcome classifies one reply, or the end of a whole trace.
type Outcome string

// The outcomes. A hop is one of all of them; a trace ends in Answer, CNAME,
// NXDomain, NoData (the authoritative outcomes) or Failed.
const (
	Referral Outcome = "referral" // a delegation to a zone below the one asked
	Answer   Outcome = "answer"   // authoritative records of the type asked
	CNAME    Outcome = "cname"    // an authoritative alias for the name asked (RFC 1034 §3.6.2)
	NXDomain Outcome = "nxdomain" // the name does not exist (RFC 8020)
	NoData   Outcome = "nodata"   // the name exists but has no records of the type (RFC 2308)
	Lame     Outcome = "lame"     // the server replied but is not authoritative for the zone
	Error    Outcome = "error"    // no usable reply: timeout, network error, REFUSED, SERVFAIL, malformed
	// Abandoned is a query whose reply was no longer awaited: a query to
	// another server of the zone, sent in parallel, answered first
	// (ReasonAbandoned), or nstrace's own end cut it short: Ctrl-C, the
	// deadline or the query budget (Reason.CutShort), so that the server
	// was not asked to the end.
	Abandoned Outcome = "abandoned"
	Failed    Outcome = "failed" // a trace that reached no authoritative outcome
)

// Authoritative reports whether o ends a walk with an answer the zone stands behind.
func (o Outcome) Authoritative() bool {
	switch o {
	case Answer, CNAME, NXDomain, NoData:
		return true
	}
	return false
}

// NS is one nameserver of a referral's NS set.
type NS struct {
	Name string // fully qualified
	TTL  uint32
}

// Glue is one address record from a referral's additional section.
type Glue struct {
	Name string
	Addr netip.Addr
	TTL  uint32
	// Ignored says why the engine did not use this record:
	// ReasonNotNameserver or ReasonOutOfBailiwick (RFC 2181 §5.4.1);
	// ReasonNone for a record it used.
	Ignored Reason
}

// Delegation is what a referral handed down: the child zone, its NS set and
// the glue.
type Delegation struct {
	Zone string
	NS   []NS
	Glue []Glue
}

// Purpose says why a hop was sent.
type Purpose string

// The purposes of hops. The zero value is a step of the walk itself.
const (
	PurposeWalk Purpose = ""
	// PurposeChildNS asks a server of a zone just reached for the zone's own
	// NS RRset, to compare it with the parent's referral (RFC 2181 §5.4.1).
	PurposeChildNS Purpose = "child-ns"
	// PurposePrime asks a server the user named for the root NS set, to
	// start the walk from the roots it knows (as dig +trace @server does).
	PurposePrime Purpose = "prime"
	// PurposeSOA asks a server of a zone for the zone's SOA, to compare
	// serials across the zone's servers.
	PurposeSOA Purpose = "soa"
	// PurposeDNSKEY asks a server of a signed zone for the zone's DNSKEY
	// RRset, beside the walk, to validate the zone (see DNSSEC.Query).
	PurposeDNSKEY Purpose = "dnskey"
	// PurposeCheck asks a server of a zone the walk's question beside the
	// walk, to check every server of the zones below the TLD (the default;
	// not with nstrace --path-only).
	PurposeCheck Purpose = "check"
	// PurposeQminCheck asks the server that answered a minimised question
	// of a QNAME-minimising walk (Hop.QMin) NXDOMAIN for the full name,
	// beside the walk, which stops at the NXDOMAIN as RFC 8020 says: an
	// answer or a referral shows an empty non-terminal answered NXDOMAIN
	// (ent-nxdomain).
	PurposeQminCheck Purpose = "qmin-check"
)

// Check reports whether a hop of purpose p checks a server, beside the
// walk, rather than being a step of the walk or the priming query: the
// child NS check, the SOA, and the walk's question asked of the other
// servers of a zone.
func (p Purpose) Check() bool {
	switch p {
	case PurposeChildNS, PurposeSOA, PurposeCheck, PurposeQminCheck:
		return true
	}
	return false
}

// The purposes of the protocol probes: queries that ask each server of a
// zone what a resolver may ask it, one way each, to see that it copes
// (issue 14; Zonemaster's Connectivity and Nameserver tests). They run
// beside the walk and say nothing of its path; Hop.Flaw says what a reply
// did wrong that no failure shows.
const (
	// PurposeProbeTCP asks for the zone's SOA over TCP, directly, not only
	// after a truncated reply (RFC 7766 §5).
	PurposeProbeTCP Purpose = "probe-tcp"
	// PurposeProbePlain asks for the zone's SOA without EDNS.
	PurposeProbePlain Purpose = "probe-plain"
	// PurposeProbeEDNSVersion asks for the zone's SOA with EDNS version 1,
	// which must get BADVERS (RFC 6891 §6.1.3).
	PurposeProbeEDNSVersion Purpose = "probe-edns-version"
	// PurposeProbeEDNSOption asks for the zone's SOA with an EDNS option
	// and an EDNS flag that no server knows, which must be ignored and not
	// echoed (RFC 6891 §6.1.4, §7).
	PurposeProbeEDNSOption Purpose = "probe-edns-option"
	// PurposeProbeAAAA asks for the AAAA RRset of the zone's apex (RFC 4074).
	PurposeProbeAAAA Purpose = "probe-aaaa"
	// PurposeProbeNXDomain asks, in mixed case, for a name below the
	// apex that does not exist: the reply must carry the zone's SOA (RFC
	// 2308 §3) and the question in the case it was asked (RFC 1034 §3.1).
	PurposeProbeNXDomain Purpose = "probe-nxdomain"
	// PurposeProbeRecursion asks, with RD, for the root's NS set, which no
	// server of a zone below the root is an authority for (RFC 5358).
	PurposeProbeRecursion Purpose = "probe-recursion"
	// PurposeProbeAXFR asks for a transfer of the zone over TCP and reads
	// the first message only (RFC 5936).
	PurposeProbeAXFR Purpose = "probe-axfr"
)

// Probes lists the protocol probes, in the order each server is asked them.
func Probes() []Purpose {
	return []Purpose{PurposeProbeTCP, PurposeProbePlain, PurposeProbeEDNSVersion, PurposeProbeEDNSOption,
		PurposeProbeAAAA, PurposeProbeNXDomain, PurposeProbeRecursion, PurposeProbeAXFR}
}

// Probe reports whether p is one of the protocol probes.
func (p Purpose) Probe() bool { return strings.HasPrefix(string(p), "probe-") }

// Hop is one query sent to one server address.
type Hop struct {
	// ID numbers the hops of a whole trace, nested lookups included, in
	// the order they are listed: a hop, then its lookups, then the next hop.
	// Findings refer to hops by it. It starts at 1.
	ID       int
	Purpose  Purpose
	Zone     string   // the zone the server was asked as an authority for
	Server   Server   // the server's name and address as the trace knows them
	Port     uint16   // the UDP/TCP port queried
	Question Question // what was asked
	Protocol string   // "udp" or "tcp": the transport of the reply used
	// Truncated is set when the UDP reply had TC=1 and the query was repeated
	// over TCP (RFC 7766).
	Truncated bool
	// Simulated is set on a referral that no server gave: the delegation
	// the user proposed (nstrace --delegate), put in place of the parent's.
	// No query was sent; Server names no real server.
	Simulated bool
	// Cached is set when no query was sent: the reply is one an earlier
	// query of the same trace, or of an earlier trace of the same run,
	// got to the same question, still within its TTL. RTT is zero.
	Cached bool
	// NoEDNS is set when the server rejected EDNS0 (FORMERR, NOTIMP or
	// BADVERS) and the query was repeated without it (RFC 6891 §7).
	NoEDNS bool
	Start  time.Duration // when the query was sent, since the trace began
	RTT    time.Duration // send to reply, both transports together
	// Timeout, on a hop that timed out (ReasonTimeout), is how long
	// nstrace waited for each reply: its own setting (--timeout), not the
	// server's. A cached copy keeps it.
	Timeout time.Duration
	Size    int  // bytes in the reply; zero when there was none
	Rcode   int  // the reply's RCODE; -1 when there was no reply
	AA      bool // the reply's Authoritative Answer bit
	TC      bool // the final reply's TC bit
	Outcome Outcome
	// Referral is set when Outcome is Referral.
	Referral *Delegation
	// Answer and Authority are the reply's records that bear on the question:
	// the answer (or CNAME) RRset, and the SOA of a negative answer.
	Answer    []dns.RR
	Authority []dns.RR
	// Additional holds, for an answer to an NS question, the addresses
	// the reply gave for the NS names inside the zone (its additional
	// section): the zone's own copy of its nameservers' addresses.
	Additional []dns.RR
	// AnswerSigs are the RRSIGs of the reply's answer section, and
	// AuthorityDNSSEC the DS, NSEC, NSEC3 and RRSIG records of its
	// authority section: a referral's DS or its proof that there is none,
	// a denial's proof. Only a query with DO set gets them.
	AnswerSigs      []dns.RR
	AuthorityDNSSEC []dns.RR
	// Err says why the hop failed or was lame, in words; nil for a usable
	// reply. Reason says the same as a value, ReferredTo the zone a
	// referral that was not followed named (the referral reasons only).
	Err        error
	Reason     Reason
	ReferredTo string
	// From is where the reply came from when it was another address
	// than the one asked (Reason ReasonOtherAddress); zero otherwise.
	From netip.AddrPort
	// Flaw says what a protocol probe's reply did wrong (Purpose.Probe):
	// one of the flaw reasons, or ReasonNone.
	Flaw Reason
	// QMin says what a query of a QNAME-minimising walk asked: a
	// minimised question, or the full name as a fallback; QMinNone for
	// every other.
	QMin QMin
	// Lookups are the walks that resolved this referral's nameserver names
	// that came without usable glue, in the order they were started.
	Lookups []*Trace
}

// Trace is one whole walk for one question.
type Trace struct {
	Question Question
	Hops     []*Hop
	// Outcome is the end of the walk: an authoritative outcome, or Failed.
	Outcome Outcome
	// Answer and Authority are the final hop's records.
	Answer    []dns.RR
	Authority []dns.RR
	// Err says why the walk failed; nil when Outcome is authoritative.
	// Reason says the same as a value: when one of nstrace's own limits
	// (Reason.Ours) stopped the walk, or a lookup it needed, Reason is
	// that, whatever else failed.
	Err    error
	Reason Reason
	// Loops are the delegation loops behind Err, each the chain of
	// nameserver names whose lookups needed each other, from the first to
	// the one needed again: [ns.b. ns.a. ns.b.].
	Loops [][]string
	// FromCache, on a lookup of a nameserver's address, is the zone whose
	// servers it started at, named by a referral an earlier walk of the
	// same trace (or run) followed, as a resolver starts from the deepest
	// zone it knows; "" when it started at the root. Its hops are the
	// queries it sent from there.
	FromCache string
	// Mode is how the walk was made.
	Mode     Mode
	Queries  int           // queries sent, including those of nested lookups; cached hops are not queries
	Duration time.Duration // wall time of the walk
	// Started is when the walk began, by the wall clock; set on the
	// outermost trace only, zero when unknown.
	Started time.Time
	// Findings are what is wrong, or worth knowing, about the delegations
	// crossed; set on the outermost trace only.
	Findings []Finding
	// Compared is the walk of the same question that asks every server
	// the full name, as dig +trace does, made beside this one, a
	// QNAME-minimising walk, to see where they end differently (nstrace
	// --qmin --compare); nil otherwise. Set on the outermost trace only;
	// its hops are numbered on their own and no finding names them.
	Compared *Trace
	// DNSSEC is the validation of each zone the walk crossed, in the
	// order crossed; nil when the walk did not validate (no trust anchor
	// for its root, or Options.NoDNSSEC). Set on the outermost trace only.
	DNSSEC []*DNSSEC
}

// Mode is how a walk was asked to go, as the resolver's options set it,
// for renderers that lay out what such a walk gives. The zero value is the
// default walk: one server at a time, from the root hints.
type Mode struct {
	// All: every address of every nameserver of each zone was asked, with
	// the zone's SOA and NS RRset (nstrace --all). Lookups of nameserver
	// addresses within such a walk are not: their Mode.All is false.
	All bool
	// PathOnly: only the servers the walk needed were asked, as dig +trace
	// does (nstrace --path-only), where the default would check others.
	PathOnly bool
	// Primed: the walk started from the roots a server named when asked
	// for the root NS set (nstrace @server), not from the root hints.
	Primed bool
	// Simulated: proposed delegations (nstrace --delegate) were put in
	// place of what their parents say; such hops are marked Simulated.
	Simulated bool
	// QMin is the QTYPE of the minimised queries of a QNAME-minimising
	// walk (nstrace --qmin, RFC 9156), whose hops say what they asked
	// (Hop.QMin); 0 for a walk that asks every server the full name.
	QMin uint16
}

// Severity ranks a finding.
type Severity string

// The severities, from the worst.
const (
	SeverityError   Severity = "error"   // something is broken for some or all resolvers
	SeverityWarning Severity = "warning" // works now, but is fragile or against best practice
	SeverityInfo    Severity = "info"    // worth knowing; nothing to fix
)

// Finding is one diagnosis about a delegation, with a stable code that
// scripts can match (docs/findings.md lists them).
type Finding struct {
	Code     string // kebab-case, stable, e.g. "missing-glue"
	Severity Severity
	Zone     string  // the zone it is about
	Server   *Server // the server it is about, when there is one
	Message  string  // one line for people
	Hops     []int   // IDs of the hops that show it
	// Cause names the fault behind the finding, when other findings of
	// the same Code and Zone may share it: "no-glue" for each nameserver
	// of a zone without glue, "refused" for each of its servers that
	// answers REFUSED. docs/findings.md lists the causes of each code.
	Cause string
	// Group is one line for every finding of the same Code, Zone and
	// Cause when there is more than one, the same in each: it counts them,
	// names a few and says why once ("12 of 14 nameservers of example.com.
	// ..."). Empty for a finding alone of its cause. Group and Merged
	// gather them, as the tree and the summaries show them.
	Group string
	// Fix says where and how to repair it, with the trace's names,
	// addresses and TTLs; nil for a code that has nothing to repair
	// (NoFix says why) or when the trace does not say enough.
	Fix *Fix
}

// Walk calls f for every hop of t in ID order: each hop, then the hops of
// its nested lookups.
func (t *Trace) Walk(f func(*Hop)) {
	for _, h := range t.Hops {
		f(h)
		for _, l := range h.Lookups {
			l.Walk(f)
		}
	}
}

// Number assigns hop IDs in Walk order, starting at 1.
func (t *Trace) Number() {
	id := 0
	t.Walk(func(h *Hop) { id++; h.ID = id })
}

// Zones lists the zones the walk crossed, in order, without repeats.
func (t *Trace) Zones() []string {
	var zones []string
	for _, h := range t.Hops {
		if h.Purpose != PurposeWalk {
			continue
		}
		if len(zones) == 0 || zones[len(zones)-1] != h.Zone {
			zones = append(zones, h.Zone)
		}
	}
	return zones
}

// Partial gives why the walk stopped before an outcome for a reason of
// nstrace's own, its caller's Ctrl-C, its deadline or its query budget
// (Reason.CutShort): what it traced is true, but not the whole walk. It
// is ReasonNone for a walk that ended on its own, however it ended.
func (t *Trace) Partial() Reason {
	if t.Outcome == Failed && t.Reason.CutShort() {
		return t.Reason
	}
	return ReasonNone
}

// Final returns the hop that gave the trace's outcome, or nil when the walk failed.
func (t *Trace) Final() *Hop {
	if !t.Outcome.Authoritative() {
		return nil
	}
	for i := len(t.Hops) - 1; i >= 0; i-- {
		if h := t.Hops[i]; h.Purpose == PurposeWalk && h.Outcome.Authoritative() {
			return h
		}
	}
	return nil
}
