package trace

import (
	"slices"

	"github.com/nstrace/nstrace/dnssec"
)

// The finding codes. They are stable: scripts match them, and
// docs/findings.md explains each, with how to fix it. Each one's severity
// is in the table below, which is the only place that says it.
const (
	CodeMissingGlue        = "missing-glue"            // an in-zone nameserver has no address at the parent
	CodeLameServer         = "lame-server"             // a listed server does not serve the zone
	CodeUnreachableServer  = "unreachable-server"      // a listed server does not reply
	CodeLossyServer        = "lossy-server"            // a listed server leaves some queries unanswered
	CodeUnansweredType     = "unanswered-type"         // a listed server never answers queries of some type
	CodeAllServersFailed   = "all-servers-failed"      // no server of a zone worked
	CodeCircularDelegation = "circular-delegation"     // zones whose nameservers can only be found through each other
	CodeNSIsCNAME          = "ns-is-cname"             // a nameserver name is an alias
	CodeNSIsAddress        = "ns-is-address"           // a nameserver "name" is an IP address
	CodeNSUnresolvable     = "ns-unresolvable"         // a nameserver name has no address at all
	CodeTCPFailed          = "tcp-failed"              // a server does not answer over TCP
	CodeNSMismatch         = "ns-mismatch"             // parent and child list different nameservers
	CodeSingleNameserver   = "single-nameserver"       // only one nameserver
	CodeNotDiverse         = "nameservers-not-diverse" // all nameservers on one network
	CodeGlueMismatch       = "glue-mismatch"           // glue differs from the nameserver's own address records
	CodePrivateAddress     = "private-address"         // a nameserver address the internet cannot reach
	CodeNSTTLMismatch      = "ns-ttl-mismatch"         // parent and child NS TTLs differ
	CodeLongNSTTL          = "long-ns-ttl"             // a change of nameservers would take a day or more to be seen
	CodeSlowServer         = "slow-server"             // a reply took over SlowRTT
	CodeAnyQuery           = "any-query"               // the question was for ANY, which servers may answer minimally
	CodeOutOfBailiwickGlue = "out-of-bailiwick-glue"   // glue a server may not give, ignored
	CodeUpwardReferral     = "upward-referral"         // a referral back up the tree, ignored
	CodeReferralLoop       = "referral-loop"           // a referral to the zone itself, ignored
	CodeSidewaysReferral   = "sideways-referral"       // a referral to an unrelated zone, ignored
	CodeNoIPv4Route        = "no-ipv4-route"           // this host cannot send to IPv4 addresses
	CodeNoIPv6Route        = "no-ipv6-route"           // this host cannot send to IPv6 addresses
)

// The codes of consistency across the servers of one zone, which only a
// walk that asks every server can find: by default the servers of the
// zones below the TLD, with nstrace --all every zone's.
const (
	CodeInconsistentReferral = "inconsistent-referral" // the servers of a parent refer differently
	CodeInconsistentAnswer   = "inconsistent-answer"   // the servers of a zone answer differently
	CodeSOASerialMismatch    = "soa-serial-mismatch"   // the servers of a zone serve different versions
	CodeAnswerTTLMismatch    = "answer-ttl-mismatch"   // same records, different TTLs
)

// The codes of the per-server protocol checks (issue 14): what the probes
// of each server (Purpose.Probe) and the zone's data say of how its
// servers speak DNS, as Zonemaster's test cases and DNSViz's classes ask.
const (
	CodeNoTCP                 = "no-tcp"                   // a server does not answer over TCP
	CodeEDNSBroken            = "edns-broken"              // a server mishandles EDNS
	CodeAAAAQueryBroken       = "aaaa-query-broken"        // a server mishandles AAAA queries
	CodeSOAMissing            = "soa-missing"              // the zone's apex has no SOA
	CodeNegativeWithoutSOA    = "negative-without-soa"     // NXDOMAIN or NODATA without the SOA
	CodeNSSameAddress         = "ns-same-address"          // two nameserver names, one address
	CodeFamilyNotRedundant    = "family-not-redundant"     // one address only in an address family
	CodeReferralTooLarge      = "referral-too-large"       // the referral does not fit 512 octets
	CodeSOAFieldsInconsistent = "soa-fields-inconsistent"  // servers disagree on the SOA's fields
	CodeOpenRecursor          = "open-recursor"            // a nameserver recurses for anyone
	CodeAXFROpen              = "axfr-open"                // anyone may transfer the zone
	CodeCaseNotPreserved      = "case-not-preserved"       // the reply's question changes case
	CodeReplyFromOtherAddress = "reply-from-other-address" // UDP replies come from another address
	CodeGlueIncomplete        = "glue-incomplete"          // glue lacks, or adds, addresses the zone has
)

// codes is every code Diagnose gives, with its severity, in the order
// docs/findings.md lists them (a Graded code's findings may be milder):
// the walk's, then DNSSEC validation's
// (docs/dnssec.md), which package dnssec gives, the resolver records on
// each zone (Trace.DNSSEC) and Diagnose passes on.
var codes = append(walkCodes[:], dnssecCodes()...)

type codeSeverity struct {
	code     string
	severity Severity
}

// dnssecCodes gives DNSSEC validation's codes with their severities, which
// package dnssec holds (its Findings carry them; it cannot import trace):
// no severity is written twice. Its Codes and SeverityOf repeat the shape
// of this file's, as trace/preflight's do; one generic table type for the
// three would save some twenty lines for a package of its own, so each
// keeps its own.
func dnssecCodes() []codeSeverity {
	var out []codeSeverity
	for _, c := range dnssec.Codes() {
		out = append(out, codeSeverity{c, Severity(dnssec.SeverityOf(c))})
	}
	return out
}

var walkCodes = [...]codeSeverity{
	{CodeMissingGlue, SeverityError},
	{CodeLameServer, SeverityError},
	{CodeUnreachableServer, SeverityError},
	{CodeUnansweredType, SeverityError},
	{CodeAllServersFailed, SeverityError},
	{CodeCircularDelegation, SeverityError},
	{CodeNSIsCNAME, SeverityError},
	{CodeNSIsAddress, SeverityError},
	{CodeNSUnresolvable, SeverityError},
	{CodeTCPFailed, SeverityError},
	{CodeNSMismatch, SeverityWarning},
	{CodeSingleNameserver, SeverityWarning},
	{CodeNotDiverse, SeverityWarning},
	{CodeGlueMismatch, SeverityWarning},
	{CodeLossyServer, SeverityWarning},
	{CodePrivateAddress, SeverityWarning},
	{CodeNSTTLMismatch, SeverityInfo},
	{CodeLongNSTTL, SeverityInfo},
	{CodeSlowServer, SeverityInfo},
	{CodeAnyQuery, SeverityInfo},
	{CodeOutOfBailiwickGlue, SeverityInfo},
	{CodeUpwardReferral, SeverityInfo},
	{CodeReferralLoop, SeverityInfo},
	{CodeSidewaysReferral, SeverityInfo},
	{CodeNoIPv4Route, SeverityInfo},
	{CodeNoIPv6Route, SeverityInfo},
	{CodeInconsistentReferral, SeverityError},
	{CodeInconsistentAnswer, SeverityError},
	{CodeSOASerialMismatch, SeverityWarning},
	{CodeAnswerTTLMismatch, SeverityInfo},
	{CodeNoTCP, SeverityError},
	{CodeEDNSBroken, SeverityError},
	{CodeAAAAQueryBroken, SeverityError},
	{CodeSOAMissing, SeverityError},
	{CodeNegativeWithoutSOA, SeverityWarning},
	{CodeNSSameAddress, SeverityWarning},
	{CodeFamilyNotRedundant, SeverityWarning},
	{CodeReferralTooLarge, SeverityWarning},
	{CodeSOAFieldsInconsistent, SeverityWarning},
	{CodeOpenRecursor, SeverityWarning},
	{CodeAXFROpen, SeverityInfo},
	{CodeCaseNotPreserved, SeverityInfo},
	{CodeReplyFromOtherAddress, SeverityError},
	{CodeGlueIncomplete, SeverityWarning},
	{CodeENTNXDomain, SeverityError},
	{CodeQminTimeout, SeverityError},
	{CodeQminDifferentAnswer, SeverityError},
	{CodeQminRefused, SeverityWarning},
	{CodeQminServfail, SeverityWarning},
}

// Codes lists every code Diagnose gives, in the order docs/findings.md
// lists them. The slice is the caller's.
func Codes() []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.code
	}
	return out
}

// SeverityOf gives the severity of a finding code, or "" for a code that is
// not one of Diagnose's.
func SeverityOf(code string) Severity {
	for _, c := range codes {
		if c.code == code {
			return c.severity
		}
	}
	return ""
}

// Graded reports whether findings of code may come at a lower severity
// than SeverityOf gives, when what was found is milder: edns-broken is a
// warning but when EDNS queries go unanswered, family-not-redundant info
// for IPv6, unreachable-server a warning when nstrace's --timeout was
// shorter than resolvers wait. Their sections in docs/findings.md say when.
func Graded(code string) bool {
	return code == CodeEDNSBroken || code == CodeFamilyNotRedundant || code == CodeUnreachableServer
}

// Quiet reports whether findings of code are true of most domains, and
// news only ahead of a change: ns-ttl-mismatch (TLDs give two days, zones
// less). The tree, the dig layout and the batch summary leave them out
// unless asked for every finding (nstrace -v); JSON always has them. It
// is false for a code that is not one of Diagnose's.
func Quiet(code string) bool { return slices.Contains(quiet[:], code) }

// quiet are the codes Quiet reports. insecure-delegation is true of
// most domains: most are unsigned below a signed TLD.
var quiet = [...]string{CodeNSTTLMismatch, dnssec.CodeInsecureDelegation}

// Rank orders severities from the worst: 0 for error, 1 for warning, 2 for
// info, 3 for anything else.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// AtLeast reports whether s is as bad as min or worse.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() <= min.Rank() }
