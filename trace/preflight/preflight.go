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

// servers says how each address of each proposed server answered for the
// zone, from the trace that asked them all.
func (c *comparison) servers(st *trace.Trace, news []*trace.Trace) {
	groups, lookups := c.serverHops(st)
	for _, g := range groups {
		c.judge(g)
	}
	c.unasked(st, lookups)
	slices.SortStableFunc(c.r.Servers, func(a, b Server) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), a.Addr.Compare(b.Addr))
	})
	for _, s := range c.r.Servers {
		if s.Authoritative && s.NS != nil {
			c.r.NewNS = s.NS
			break
		}
	}
}

// serverGroup is the hops that asked one address of one proposed server.
type serverGroup struct {
	srv  Server
	hops []*trace.Hop
}

// serverHops groups the hops of st that asked the proposed servers as
// authorities for the zone, by name and address, and gathers the lookups
// of the proposed names' addresses.
func (c *comparison) serverHops(st *trace.Trace) (groups []*serverGroup, lookups []*trace.Trace) {
	if st == nil {
		return nil, nil
	}
	for _, h := range st.Hops {
		if h.Simulated && h.Referral != nil && dns.CanonicalName(h.Referral.Zone) == c.zone {
			lookups = append(lookups, h.Lookups...)
		}
		if h.Simulated || dns.CanonicalName(h.Zone) != c.zone || h.Outcome == trace.Abandoned {
			continue
		}
		switch h.Purpose {
		case trace.PurposeWalk, trace.PurposeSOA, trace.PurposeChildNS:
		default:
			continue
		}
		name := dns.CanonicalName(h.Server.Name)
		i := slices.IndexFunc(groups, func(g *serverGroup) bool { return g.srv.Name == name && g.srv.Addr == h.Server.Addr })
		if i < 0 {
			groups = append(groups, &serverGroup{srv: Server{Name: name, Addr: h.Server.Addr, Source: h.Server.Source}})
			i = len(groups) - 1
		}
		groups[i].hops = append(groups[i].hops, h)
	}
	return groups, lookups
}

// judge says how one address of a proposed server answered: its NS set,
// its SOA, and whether it is authoritative, lame or unreachable.
func (c *comparison) judge(g *serverGroup) {
	s := &g.srv
	replied := slices.ContainsFunc(g.hops, func(h *trace.Hop) bool { return h.Rcode >= 0 })
	for _, h := range g.hops {
		switch h.Purpose {
		case trace.PurposeChildNS:
			s.NS = apexNS(h, c.zone)
		default:
			if s.SOA == nil && h.Outcome == trace.Answer && h.AA {
				for _, rr := range h.Answer {
					if soa, ok := rr.(*dns.SOA); ok && dns.CanonicalName(soa.Hdr.Name) == c.zone {
						s.SOA = soa
					}
				}
			}
		}
	}
	walk := g.hops[0]
	for _, h := range g.hops {
		if h.Purpose == trace.PurposeWalk {
			walk = h
		}
	}
	switch {
	case !replied:
		s.Status = "no reply"
		s.Err = "no reply"
		if walk.Err != nil {
			s.Err = walk.Err.Error()
		}
		c.addCause(Problem{Code: CodeUnreachableServer, Name: c.zone, Server: &trace.Server{Name: s.Name, Addr: s.Addr},
			Message: fmt.Sprintf("%s, a proposed nameserver of %s, did not reply (%s): resolvers that pick it after the switch wait, then ask another", serverText(*s), c.zone, s.Err)},
			"no-reply", func(n int, names string) string {
				return fmt.Sprintf("%d addresses of the proposed nameservers of %s did not reply: %s; resolvers that pick one after the switch wait, then ask another", n, c.zone, names)
			})
	case walk.Outcome == trace.Answer && walk.AA:
		s.Authoritative, s.Status = true, "authoritative"
	default:
		s.Status, s.Err = lameText(walk)
		why := s.Err
		c.addCause(Problem{Code: CodeLameServer, Name: c.zone, Server: &trace.Server{Name: s.Name, Addr: s.Addr},
			Message: fmt.Sprintf("%s, a proposed nameserver of %s, does not answer for the zone with authority (%s): after the switch, resolvers that pick it get no answer from it", serverText(*s), c.zone, s.Err)},
			lameCause(s.Status, why), func(n int, names string) string {
				return fmt.Sprintf("%d addresses of the proposed nameservers of %s do not answer for the zone with authority (%s): %s; after the switch, resolvers that pick one get no answer from it", n, c.zone, why, names)
			})
	}
	if s.Authoritative && s.NS != nil {
		c.sawNS(s.NS, serverText(*s))
	}
	c.r.Servers = append(c.r.Servers, *s)
}

// unasked says why each proposed name that no query was sent to was not
// asked: no glue, no address, or a walk that failed before.
func (c *comparison) unasked(st *trace.Trace, lookups []*trace.Trace) {
	for _, ns := range c.r.Proposed.NS {
		name := dns.CanonicalName(ns.Name)
		if slices.ContainsFunc(c.r.Servers, func(s Server) bool { return s.Name == name }) {
			continue
		}
		s := Server{Name: name, Status: "not asked", Err: "the walk did not reach the proposed servers"}
		switch {
		case dns.IsSubDomain(c.zone, name):
			s.Status, s.Err = "no glue", "a name inside the zone needs its address at the parent"
			c.add(Problem{Code: CodeMissingGlue, Name: c.zone, Server: &trace.Server{Name: name},
				Message: fmt.Sprintf("%s is inside %s, so the parent must hold its address (glue), and none was given: give it as %s=ADDR, and to the registrar with the NS set", name, c.zone, strings.TrimSuffix(name, "."))})
		case addressLookups(lookups, name) != nil:
			s.Status, s.Err = "no address", lookupText(addressLookups(lookups, name))
			c.add(Problem{Code: CodeNSUnresolvable, Name: c.zone, Server: &trace.Server{Name: name},
				Message: fmt.Sprintf("%s, a proposed nameserver of %s, has no address (%s): no resolver could reach the zone through it", name, c.zone, s.Err)})
		case st != nil && st.Err != nil:
			s.Err = st.Err.Error()
		}
		c.r.Servers = append(c.r.Servers, s)
	}
}

// addressLookups gives the lookups of name's addresses, when every one of
// them found none; nil when there were none, or one found an address.
func addressLookups(ls []*trace.Trace, name string) []*trace.Trace {
	var out []*trace.Trace
	for _, l := range ls {
		if dns.CanonicalName(l.Question.Name) != name {
			continue
		}
		if l.Outcome == trace.Answer || l.Outcome == trace.Abandoned {
			return nil
		}
		out = append(out, l)
	}
	return out
}

// lookupText says why the lookups of a name found no address: "A NXDOMAIN,
// AAAA NXDOMAIN".
func lookupText(ls []*trace.Trace) string {
	var parts []string
	for _, l := range ls {
		what := strings.ToUpper(string(l.Outcome))
		if l.Outcome == trace.Failed && l.Err != nil {
			what = "failed: " + l.Err.Error()
		}
		parts = append(parts, trace.TypeString(l.Question.Qtype)+" "+what)
	}
	return strings.Join(parts, ", ")
}

// lameCause names what a proposed server that is not authoritative
// answers, for the servers that answer alike: its RCODE ("refused"), or
// what makes it lame.
func lameCause(status, why string) string {
	if status == "lame" {
		return "lame: " + why
	}
	return strings.ToLower(status)
}

// lameText says why a reply is not an authoritative answer.
func lameText(h *trace.Hop) (status, why string) {
	switch {
	case h.Outcome == trace.Error && h.Rcode > 0:
		rc := dns.RcodeToString[h.Rcode]
		if rc == "" {
			rc = fmt.Sprintf("RCODE%d", h.Rcode)
		}
		return rc, "it answers " + rc
	case h.Outcome == trace.Lame && h.Err != nil:
		return "lame", strings.TrimPrefix(h.Err.Error(), "lame: ")
	case h.Outcome.Authoritative() && !h.AA:
		return "lame", "its answer lacks the AA bit"
	case h.Err != nil:
		return string(h.Outcome), h.Err.Error()
	}
	return string(h.Outcome), "it answers " + strings.ToUpper(string(h.Outcome))
}

func serverText(s Server) string {
	if !s.Addr.IsValid() {
		return s.Name
	}
	return s.Name + " (" + s.Addr.String() + ")"
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

// records compares the answers to each question.
func (c *comparison) records(cur, nxt []*trace.Trace) {
	for i := range min(len(cur), len(nxt)) {
		a, b := cur[i], nxt[i]
		if a == nil || b == nil {
			continue
		}
		q := a.Question
		rec := Record{Question: q, Current: result(a), New: result(b), Against: "current"}
		what := dns.CanonicalName(q.Name) + " " + trace.TypeString(q.Qtype)
		first := len(c.r.Problems)
		if rec.Current.ok() || rec.New.ok() || c.reached(b) {
			c.r.Checked = true
		}
		if !rec.Current.ok() {
			c.add(Problem{Code: CodeCurrentFailed, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s cannot be resolved through the current servers (%s), so there is nothing to compare the new answer with", what, rec.Current.Err)})
		}
		switch {
		case !rec.New.ok() && (rec.Current.ok() || c.reached(b)):
			why := rec.New.Err
			c.addCause(Problem{Code: CodeNewFailed, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s cannot be resolved through the new servers (%s)", what, rec.New.Err)},
				cmp.Or(string(b.Reason), string(trace.Failed)), func(n int, names string) string {
					return fmt.Sprintf("%d questions cannot be resolved through the new servers: %s (%s)", n, names, why)
				})
		case !rec.New.ok() || !rec.Current.ok():
			// Nothing to compare.
		case q.Qtype == dns.TypeNS && dns.CanonicalName(q.Name) == c.zone:
			rec.Against = "proposed"
			c.nsRecord(&rec, b)
		case q.Qtype == dns.TypeSOA && dns.CanonicalName(q.Name) == c.zone:
			c.soaRecord(&rec)
		default:
			c.diff(&rec)
		}
		sevs := []trace.Severity{}
		for _, p := range c.r.Problems[first:] {
			sevs = append(sevs, p.Severity)
		}
		if rec.Against == "proposed" && len(rec.Diffs) > 0 {
			sevs = append(sevs, SeverityOf(CodeNSSetDiffers)) // reported once for all, by nsProblems
		}
		for _, sev := range sevs {
			if rec.Severity == "" || sev.Rank() < rec.Severity.Rank() {
				rec.Severity = sev
			}
		}
		c.r.Records = append(c.r.Records, rec)
	}
}

// reached reports whether a walk through the proposed delegation got as
// far as putting it in place of the parent's: whatever failed after that
// failed at the proposed servers.
func (c *comparison) reached(t *trace.Trace) bool {
	return slices.ContainsFunc(t.Hops, func(h *trace.Hop) bool {
		return h.Simulated && h.Referral != nil && dns.CanonicalName(h.Referral.Zone) == c.zone
	})
}

func result(t *trace.Trace) Result {
	r := Result{Outcome: t.Outcome, Answer: t.Answer}
	if t.Err != nil {
		r.Err = t.Err.Error()
	} else if !t.Outcome.Authoritative() {
		r.Err = string(t.Outcome)
	}
	return r
}

// rrKey identifies a record apart from its TTL: owner, class, type, data.
func rrKey(rr dns.RR) string {
	cp := dns.Copy(rr)
	cp.Header().Ttl = 0
	cp.Header().Name = dns.CanonicalName(cp.Header().Name)
	return strings.ToLower(cp.String())
}

// diff compares two answers record by record.
func (c *comparison) diff(rec *Record) {
	cur, nxt := map[string]dns.RR{}, map[string]dns.RR{}
	for _, rr := range rec.Current.Answer {
		cur[rrKey(rr)] = rr
	}
	for _, rr := range rec.New.Answer {
		nxt[rrKey(rr)] = rr
	}
	q := rec.Question
	for _, rr := range rec.Current.Answer {
		k := rrKey(rr)
		n, ok := nxt[k]
		switch {
		case !ok:
			rec.Diffs = append(rec.Diffs, Diff{Kind: Missing, Current: rr})
			c.add(Problem{Code: CodeMissingRecord, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s is served now, but not by the new servers%s: it would be gone after the switch", rrText(rr), negative(rec.New, " (they answer %s)"))})
		case n.Header().Ttl != rr.Header().Ttl:
			rec.Diffs = append(rec.Diffs, Diff{Kind: TTL, Current: rr, New: n})
			c.add(Problem{Code: CodeTTLDiffers, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s has a TTL of %d now and %d at the new servers", rrData(rr), rr.Header().Ttl, n.Header().Ttl)})
		}
		delete(nxt, k) // a record listed twice is compared once
	}
	for _, rr := range rec.New.Answer {
		if _, ok := cur[rrKey(rr)]; ok {
			continue
		}
		rec.Diffs = append(rec.Diffs, Diff{Kind: Extra, New: rr})
		c.add(Problem{Code: CodeExtraRecord, Name: q.Name, Qtype: q.Qtype,
			Message: fmt.Sprintf("%s is served by the new servers only%s: it would appear after the switch", rrText(rr), negative(rec.Current, " (the current ones answer %s)"))})
	}
	if a, b := rec.Current.Outcome, rec.New.Outcome; a != b && len(rec.Current.Answer) == 0 && len(rec.New.Answer) == 0 {
		rec.Diffs = append(rec.Diffs, Diff{Kind: Changed})
		c.add(Problem{Code: CodeOutcomeDiffers, Name: q.Name, Qtype: q.Qtype,
			Message: fmt.Sprintf("%s %s is %s now and %s at the new servers", dns.CanonicalName(q.Name), trace.TypeString(q.Qtype), strings.ToUpper(string(a)), strings.ToUpper(string(b)))})
	}
}

// soaRecord compares the zone's SOA: each provider writes its own, so a
// difference is expected and only worth knowing.
func (c *comparison) soaRecord(rec *Record) {
	a, b := soaOf(rec.Current.Answer, c.zone), soaOf(rec.New.Answer, c.zone)
	if a == nil || b == nil {
		c.diff(rec)
		return
	}
	if a.String() == b.String() {
		return
	}
	rec.Diffs = append(rec.Diffs, Diff{Kind: Changed, Current: a, New: b})
	var what []string
	if a.Serial != b.Serial {
		what = append(what, fmt.Sprintf("serial %d now, %d new", a.Serial, b.Serial))
	}
	if !strings.EqualFold(a.Ns, b.Ns) {
		what = append(what, fmt.Sprintf("primary %s now, %s new", a.Ns, b.Ns))
	}
	if a.Minttl != b.Minttl {
		what = append(what, fmt.Sprintf("negative TTL %d now, %d new", a.Minttl, b.Minttl))
	}
	if len(what) == 0 {
		what = append(what, "other fields")
	}
	c.add(Problem{Code: CodeSOADiffers, Name: c.zone, Qtype: dns.TypeSOA,
		Message: fmt.Sprintf("the SOA of %s differs (%s), as it does when the provider changes", c.zone, strings.Join(what, "; "))})
}

func soaOf(rrs []dns.RR, zone string) *dns.SOA {
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok && dns.CanonicalName(soa.Hdr.Name) == zone {
			return soa
		}
	}
	return nil
}

// nsRecord compares the answer to the zone's NS query with the proposed set.
func (c *comparison) nsRecord(rec *Record, t *trace.Trace) {
	var got []trace.NS
	for _, rr := range rec.New.Answer {
		if ns, ok := rr.(*dns.NS); ok && dns.CanonicalName(ns.Hdr.Name) == c.zone {
			got = append(got, trace.NS{Name: dns.CanonicalName(ns.Ns), TTL: ns.Hdr.Ttl})
		}
	}
	want := nsNames(c.r.Proposed.NS)
	have := nsNames(got)
	for _, n := range want {
		if !slices.Contains(have, n) {
			rec.Diffs = append(rec.Diffs, Diff{Kind: Missing, Current: nsRR(c.zone, n, 0)})
		}
	}
	for _, rr := range rec.New.Answer {
		if ns, ok := rr.(*dns.NS); ok && !slices.Contains(want, dns.CanonicalName(ns.Ns)) {
			rec.Diffs = append(rec.Diffs, Diff{Kind: Extra, New: rr})
		}
	}
	if len(rec.Diffs) > 0 {
		from := "the NS query"
		// The hop that answered; its purpose may be another's when it
		// came from the cache, so look at what it says.
		for _, h := range slices.Backward(t.Hops) {
			if h.Outcome == trace.Answer && dns.CanonicalName(h.Zone) == c.zone && !h.Simulated {
				from = serverText(Server{Name: dns.CanonicalName(h.Server.Name), Addr: h.Server.Addr})
				break
			}
		}
		c.sawNS(got, from)
	}
}

func nsRR(zone, name string, ttl uint32) dns.RR {
	return &dns.NS{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: name}
}

// ttls advises on the zone's NS TTL: how long the switch takes to reach
// every resolver, and to lower the TTL ahead of it when it is long.
func (c *comparison) ttls() {
	child := maxTTL(c.r.CurrentNS)
	if child < trace.LongNSTTL {
		return
	}
	c.add(Problem{Code: CodeLongNSTTL, Name: c.zone,
		Message: trace.NSTTLAdvice(c.zone, c.r.Parent, maxTTL(c.r.ParentNS), child)})
}

func maxTTL(ns []trace.NS) uint32 {
	var m uint32
	for _, n := range ns {
		m = max(m, n.TTL)
	}
	return m
}

// Settle is how long after the switch resolvers may still use the current
// servers: the longer of the NS TTLs at the parent and in the zone. The
// current servers should go on serving the zone until then.
func (r *Report) Settle() uint32 { return max(maxTTL(r.ParentNS), maxTTL(r.CurrentNS)) }

// rrText writes a record as a zone file line, tabs as spaces.
func rrText(rr dns.RR) string { return strings.ReplaceAll(rr.String(), "\t", " ") }

// rrData writes a record without its TTL: "www.example.com. A 192.0.2.10".
func rrData(rr dns.RR) string {
	f := strings.SplitN(rr.String(), "\t", 5)
	if len(f) != 5 {
		return rrText(rr)
	}
	return f[0] + " " + f[3] + " " + strings.ReplaceAll(f[4], "\t", " ")
}

// negative writes format with a negative outcome, NODATA or NXDOMAIN, or
// gives "" for a side that answered with records.
func negative(r Result, format string) string {
	if len(r.Answer) > 0 || !r.Outcome.Authoritative() {
		return ""
	}
	return fmt.Sprintf(format, strings.ToUpper(string(r.Outcome)))
}

// dnssec reports the DNSSEC handover of the zone as the walks through the
// proposed servers validated it (resolver.Options.Delegate keeps the
// parent's DS): when those servers serve the zone unsigned, or sign it
// with keys that no DS of the parent matches, validating resolvers fail
// the zone after the switch. Each problem once, however many questions
// show it.
func (c *comparison) dnssec(news []*trace.Trace) {
	seen := map[string]bool{}
	for _, t := range news {
		if t == nil {
			continue
		}
		z := t.DNSSECOf(c.zone)
		if z == nil {
			continue
		}
		for _, f := range z.Findings {
			if SeverityOf(f.Code) == "" || seen[f.Code+f.Message] {
				continue
			}
			seen[f.Code+f.Message] = true
			c.add(Problem{Code: f.Code, Name: c.zone, Message: f.Message})
		}
	}
}
