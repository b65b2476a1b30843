// Package preflight compares a zone as its current nameservers serve it with
// the zone as a proposed set of nameservers would serve it, so that a move
// to another DNS provider can be checked before the delegation is changed
// at the registrar. It reads traces only: running them is the caller's job,
// the proposed side with the delegation put in place of the parent's
// (resolver.Options.Delegate). Like package trace, it opens no sockets and
// prints nothing; trace/render writes a Report.
package preflight

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// The problem codes: stable, for scripts; docs/preflight.md explains each.
// Those of the servers are Diagnose's (docs/findings.md).
const (
	CodeLameServer        = trace.CodeLameServer        // a proposed server does not answer for the zone with authority
	CodeUnreachableServer = trace.CodeUnreachableServer // a proposed server did not reply
	CodeNSUnresolvable    = trace.CodeNSUnresolvable    // a proposed name has no address
	CodeMissingGlue       = trace.CodeMissingGlue       // a proposed name inside the zone, without an address
	CodeNSSetDiffers      = "ns-set-differs"            // the new servers' NS set is not the proposed one
	CodeMissingRecord     = "missing-record"            // served now, not by the new servers
	CodeExtraRecord       = "extra-record"              // served by the new servers only
	CodeTTLDiffers        = "ttl-differs"               // the same record with another TTL
	CodeOutcomeDiffers    = "outcome-differs"           // NXDOMAIN on one side, NODATA on the other
	CodeSOADiffers        = "soa-differs"               // each provider has its own SOA
	CodeNewFailed         = "new-failed"                // the question cannot be resolved through the new servers
	CodeCurrentFailed     = "current-failed"            // the question cannot be resolved now: nothing to compare
	CodeLongNSTTL         = trace.CodeLongNSTTL         // the zone's NS TTL makes the switch slow
	// The DNSSEC handover (issue 13): the parent's DS stays, and the new
	// servers serve the zone unsigned, or sign it with keys no DS matches.
	CodeDNSKEYMissing      = "dnskey-missing"
	CodeDSNoMatchingDNSKEY = "ds-no-matching-dnskey"
)

// codes is every problem code with its severity, in the order
// docs/preflight.md lists them: an error is what the change would break.
var codes = [...]struct {
	code     string
	severity trace.Severity
}{
	{CodeLameServer, trace.SeverityError},
	{CodeUnreachableServer, trace.SeverityError},
	{CodeNSUnresolvable, trace.SeverityError},
	{CodeMissingGlue, trace.SeverityError},
	{CodeNSSetDiffers, trace.SeverityError},
	{CodeMissingRecord, trace.SeverityError},
	{CodeNewFailed, trace.SeverityError},
	{CodeDNSKEYMissing, trace.SeverityError},
	{CodeDSNoMatchingDNSKEY, trace.SeverityError},
	{CodeExtraRecord, trace.SeverityWarning},
	{CodeCurrentFailed, trace.SeverityWarning},
	{CodeTTLDiffers, trace.SeverityInfo},
	{CodeOutcomeDiffers, trace.SeverityInfo},
	{CodeSOADiffers, trace.SeverityInfo},
	{CodeLongNSTTL, trace.SeverityInfo},
}

// Codes lists every problem code, in the order docs/preflight.md lists
// them. The slice is the caller's.
func Codes() []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.code
	}
	return out
}

// SeverityOf gives the severity of a problem code, or "" for a code that
// is not one of Compare's.
func SeverityOf(code string) trace.Severity {
	for _, c := range codes {
		if c.code == code {
			return c.severity
		}
	}
	return ""
}

// Input is what Compare compares: the traces of the same questions through
// the current delegation and through the proposed one, and a trace of the
// zone's SOA through the proposed one in which every address of every
// proposed server was asked the SOA and the NS set (resolver.Options.All).
type Input struct {
	Zone     string            // fully qualified, lower case
	Proposed *trace.Delegation // the proposed NS set, and any glue given
	Current  []*trace.Trace    // one per question, through the delegation in place
	New      []*trace.Trace    // the same questions, in the same order, through the proposed one
	Servers  *trace.Trace      // Zone SOA through the proposed delegation, every server asked
}

// Report is the result of Compare.
type Report struct {
	Zone     string
	Proposed *trace.Delegation
	// Parent is the zone that delegates Zone now, and ParentNS the NS set
	// it gives, with its TTL; both empty when no walk reached a referral
	// to Zone (a zone not delegated yet).
	Parent   string
	ParentNS []trace.NS
	// CurrentNS is the zone's own NS set as a current server gives it, and
	// NewNS as the first proposed server that answered with authority gives
	// it; nil when unknown.
	CurrentNS []trace.NS
	NewNS     []trace.NS
	// Servers are the addresses of the proposed nameservers, by name, IPv4
	// first, and the names that have none.
	Servers []Server
	// Records compares the answers to each question, in the order asked.
	Records []Record
	// Problems are what the switch would break or change, worst first.
	Problems []Problem
	// Checked is set when the check could be made: some question got an
	// authoritative answer on either side, or some walk reached the
	// proposed servers. A report not checked has nothing to say about the
	// switch: the parent, or the root, could not be reached.
	Checked bool
	// Queries counts the queries of every trace compared.
	Queries int
	// Duration is the wall time of the whole check; Compare leaves it
	// zero, for the caller that ran the traces to set.
	Duration time.Duration
}

// Server is one address of a proposed nameserver, and how it answered for
// the zone.
type Server struct {
	Name   string
	Addr   netip.Addr   // the zero Addr when the name has none
	Source trace.Source // where the address came from: glue (given), resolved
	// Authoritative is set when it answered the zone's SOA with AA.
	Authoritative bool
	// Status says how it answered, in a word or two: "authoritative",
	// "lame", "REFUSED", "SERVFAIL", "no reply", "no address", "no glue",
	// "not asked".
	Status string
	Err    string   // why it is not authoritative; "" when it is
	SOA    *dns.SOA // the SOA it gave; nil when none
	NS     []trace.NS
}

// Record compares the answers to one question.
type Record struct {
	Question trace.Question
	Current  Result
	New      Result
	// Against says what New was compared with: "current", or "proposed"
	// for the zone's own NS set, which must be the proposed one.
	Against string
	Diffs   []Diff
	// Severity is that of the worst problem the question shows, "" for
	// none.
	Severity trace.Severity
}

// Same reports whether the question got the same answer on both sides.
func (r Record) Same() bool { return len(r.Diffs) == 0 && r.Current.ok() && r.New.ok() }

// Result is how one side answered a question.
type Result struct {
	Outcome trace.Outcome
	Answer  []dns.RR
	Err     string // why the walk failed
}

func (r Result) ok() bool { return r.Outcome.Authoritative() }

// The kinds of difference.
const (
	Missing = "missing" // in Current (or in the proposal), not in New
	Extra   = "extra"   // in New only
	TTL     = "ttl"     // in both, with another TTL
	Changed = "changed" // the SOA, or a negative outcome, differs
)

// Diff is one difference between the two sides of a Record.
type Diff struct {
	Kind    string
	Current dns.RR // the record now (or as proposed); nil for Extra
	New     dns.RR // the record at the new servers; nil for Missing
}

// Problem is one thing the switch would break or change, with a stable
// code.
type Problem struct {
	Code     string
	Severity trace.Severity
	Name     string        // the name it is about: a record's owner, or the zone
	Qtype    uint16        // the type asked, for a problem of a question; 0 otherwise
	Server   *trace.Server // the server it is about, when there is one
	Message  string
	// Cause and Group are as in trace.Finding: the fault behind the
	// problem, when others of the same Code may share it, and one line for
	// all of them when there are several (Report.Faults gathers them).
	Cause, Group string
}

// Faults gathers r's problems, in their order, into the faults they show:
// the problems of one cause (the same Code and Cause, with a Group line)
// together, at the place of the first, each other problem alone.
func (r *Report) Faults() [][]Problem {
	return trace.GroupBy(r.Problems, func(p Problem) string {
		if p.Cause == "" || p.Group == "" {
			return ""
		}
		return p.Code + "|" + p.Cause
	})
}

// Breaks reports whether the switch would break something: any problem of
// severity error.
func (r *Report) Breaks() bool {
	return slices.ContainsFunc(r.Problems, func(p Problem) bool { return p.Severity == trace.SeverityError })
}

// Compare compares the two sides of in.
func Compare(in Input) *Report {
	zone := dns.CanonicalName(in.Zone)
	if in.Proposed == nil {
		in.Proposed = &trace.Delegation{Zone: zone}
	}
	r := &Report{Zone: zone, Proposed: in.Proposed}
	c := &comparison{r: r, zone: zone}
	for _, t := range slices.Concat(in.Current, in.New, []*trace.Trace{in.Servers}) {
		if t != nil {
			r.Queries += t.Queries
		}
	}
	c.current(in.Current)
	c.servers(in.Servers, in.New)
	c.records(in.Current, in.New)
	c.nsProblems()
	c.dnssec(in.New)
	c.ttls()
	c.group()
	slices.SortStableFunc(r.Problems, func(a, b Problem) int { return cmp.Compare(a.Severity.Rank(), b.Severity.Rank()) })
	return r
}

type comparison struct {
	r    *Report
	zone string
	// nsSets are the NS sets the new servers gave that differ from the
	// proposed one, with the servers (or "the NS query") that gave each.
	nsSets []nsSet
	// causes say each cause's group of problems (addCause), by code and
	// cause.
	causes map[string]func(int, string) string
}

type nsSet struct {
	names []string
	from  []string
}

// addCause records p, a problem of the cause named cause, like add; say
// words the cause for all its problems when there are several, from how
// many there are and a few of them named.
func (c *comparison) addCause(p Problem, cause string, say func(n int, names string) string) {
	p.Cause = cause
	if c.causes == nil {
		c.causes = map[string]func(int, string) string{}
	}
	if _, ok := c.causes[p.Code+"|"+cause]; !ok {
		c.causes[p.Code+"|"+cause] = say
	}
	c.add(p)
}

// group gives each problem that shares its cause with others the line for
// them all.
func (c *comparison) group() {
	for _, g := range trace.GroupBy(c.r.Problems, func(p Problem) string {
		if p.Cause == "" {
			return ""
		}
		return p.Code + "|" + p.Cause
	}) {
		if len(g) < 2 {
			continue
		}
		var names []string
		for _, p := range g {
			names = append(names, problemSubject(p))
		}
		line := c.causes[g[0].Code+"|"+g[0].Cause](len(g), trace.SomeOf(names))
		for i := range c.r.Problems {
			if p := &c.r.Problems[i]; p.Code == g[0].Code && p.Cause == g[0].Cause {
				p.Group = line
			}
		}
	}
}

// problemSubject names what a problem is about, for its group's line: a
// server, or a question.
func problemSubject(p Problem) string {
	switch {
	case p.Server != nil:
		return serverText(Server{Name: p.Server.Name, Addr: p.Server.Addr})
	case p.Qtype != 0:
		return dns.CanonicalName(p.Name) + " " + trace.TypeString(p.Qtype)
	}
	return p.Name
}

func (c *comparison) add(p Problem) {
	p.Severity = SeverityOf(p.Code)
	c.r.Problems = append(c.r.Problems, p)
}

// current finds the delegation in place, and the zone's own NS set, in the
// walks through it.
func (c *comparison) current(ts []*trace.Trace) {
	for _, t := range ts {
		if t == nil {
			continue
		}
		for _, h := range t.Hops {
			switch {
			case h.Purpose == trace.PurposeWalk && h.Outcome == trace.Referral && h.Referral != nil && !h.Simulated &&
				dns.CanonicalName(h.Referral.Zone) == c.zone && c.r.ParentNS == nil:
				c.r.Parent, c.r.ParentNS = dns.CanonicalName(h.Zone), h.Referral.NS
			case h.Purpose == trace.PurposeChildNS && dns.CanonicalName(h.Zone) == c.zone && c.r.CurrentNS == nil:
				c.r.CurrentNS = apexNS(h, c.zone)
			}
		}
	}
}

// apexNS gives the zone's NS set from a reply to its NS query, nil unless
// the reply is an authoritative answer.
func apexNS(h *trace.Hop, zone string) []trace.NS {
	if h.Outcome != trace.Answer || !h.AA {
		return nil
	}
	var out []trace.NS
	for _, rr := range h.Answer {
		if ns, ok := rr.(*dns.NS); ok && dns.CanonicalName(ns.Hdr.Name) == zone {
			out = append(out, trace.NS{Name: dns.CanonicalName(ns.Ns), TTL: ns.Hdr.Ttl})
		}
	}
	slices.SortFunc(out, func(a, b trace.NS) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// sawNS notes an NS set a new server gave, when it is not the proposed one.
func (c *comparison) sawNS(ns []trace.NS, from string) {
	names := nsNames(ns)
	if slices.Equal(names, nsNames(c.r.Proposed.NS)) {
		return
	}
	for i := range c.nsSets {
		if slices.Equal(c.nsSets[i].names, names) {
			if !slices.Contains(c.nsSets[i].from, from) {
				c.nsSets[i].from = append(c.nsSets[i].from, from)
			}
			return
		}
	}
	c.nsSets = append(c.nsSets, nsSet{names: names, from: []string{from}})
}

func nsNames(ns []trace.NS) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = dns.CanonicalName(n.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// nsProblems reports each NS set of the new servers that is not the proposed
// one: resolvers prefer the zone's own set to the parent's (RFC 2181
// §5.4.1), so after the switch they would use servers not proposed, or
// leave proposed ones out.
func (c *comparison) nsProblems() {
	want := nsNames(c.r.Proposed.NS)
	for _, s := range c.nsSets {
		var lacks, adds []string
		for _, n := range want {
			if !slices.Contains(s.names, n) {
				lacks = append(lacks, n)
			}
		}
		for _, n := range s.names {
			if !slices.Contains(want, n) {
				adds = append(adds, n)
			}
		}
		var what []string
		if len(adds) > 0 {
			what = append(what, "adds "+strings.Join(adds, ", "))
		}
		if len(lacks) > 0 {
			what = append(what, "lacks "+strings.Join(lacks, ", "))
		}
		verb := "gives"
		if len(s.from) > 1 {
			verb = "give"
		}
		c.add(Problem{Code: CodeNSSetDiffers, Name: c.zone,
			Message: fmt.Sprintf("the NS set that %s %s for %s is not the proposed one: it %s; resolvers prefer the zone's own set to the registrar's, so make the two the same before the switch",
				strings.Join(s.from, ", "), verb, c.zone, strings.Join(what, " and "))})
	}
}
