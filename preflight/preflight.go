// Package preflight checks a move of a zone to other nameservers before the
// delegation is changed at the registrar: Run traces each question through
// the delegation in place and as if the parent already delegated the zone
// to the proposed servers, asks every address of every proposed server for
// the zone's SOA and NS set, and compares what the two sides serve.
//
// Running the walks is this package's job; comparing them is
// trace/preflight's, which opens no sockets, so that trace/render can draw
// a Report without importing the engine. Report and Problem are that
// package's types, named here too so that a caller needs one import.
package preflight

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	compare "github.com/nstrace/nstrace/trace/preflight"
)

// Report is the result of a check: see trace/preflight.
type Report = compare.Report

// Problem is one thing the switch would break or change.
type Problem = compare.Problem

// Options configures Run.
type Options struct {
	// Resolver configures every walk. Run gives each side its own Cache,
	// puts the proposed delegation in Delegate, asks every proposed server
	// with All, and sets PathOnly on all; a zero MaxQueries means resolver.New's default for
	// each walk, more for the one with All.
	Resolver resolver.Options
	// Questions are asked on both sides, in this order; nil means
	// DefaultQuestions of the zone.
	Questions []trace.Question
}

// An OptionsError says that Options are not usable: resolver.New refused
// them.
type OptionsError struct{ Err error }

func (e *OptionsError) Error() string { return e.Err.Error() }

func (e *OptionsError) Unwrap() error { return e.Err }

// Run checks the move of zone (fully qualified) to the nameservers of to.
// It returns the report, and an error when the check could not be made
// (Report.Checked is false: no question resolved now, and no walk reached
// the proposed servers). It returns no report when ctx is done first, a
// name was refused, or o is not usable (an *OptionsError).
func Run(ctx context.Context, o Options, zone string, to *trace.Delegation) (*Report, error) {
	questions := o.Questions
	if questions == nil {
		questions = DefaultQuestions(zone)
	}
	var c check
	if err := c.resolvers(o.Resolver, to); err != nil {
		return nil, &OptionsError{err}
	}
	start := time.Now()
	c.run(ctx, zone, questions)
	for i, t := range c.traces {
		if t == nil { // the name was refused before any query: a bug, or ctx
			return nil, fmt.Errorf("preflight: %w", c.errs[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := len(questions)
	report := compare.Compare(compare.Input{Zone: zone, Proposed: to,
		Current: c.traces[:n], New: c.traces[n : 2*n], Servers: c.traces[2*n]})
	report.Duration = time.Since(start)
	if !report.Checked {
		return report, fmt.Errorf("could not check: no question could be resolved now, and no walk reached the proposed servers: %v", c.traces[0].Err)
	}
	return report, nil
}

// check is the state of one Run: its three resolvers, and a slot for each
// trace.
type check struct {
	current, proposed, servers *resolver.Resolver
	traces                     []*trace.Trace
	errs                       []error
}

// resolvers makes the resolvers of the two sides, each with a cache of its
// own (the same zone, other servers), and of the check of every proposed
// server.
func (c *check) resolvers(base resolver.Options, to *trace.Delegation) error {
	// The walks ask only the servers they need (the default server checks
	// would repeat the check of every proposed server, and of the current
	// ones, which the report does not judge).
	base.PathOnly = true
	current, proposed := base, base
	current.Cache = resolver.NewCache()
	proposed.Cache = resolver.NewCache()
	proposed.Delegate = []*trace.Delegation{to}
	servers := proposed
	servers.Cache, servers.All = nil, true // every server, three questions each
	servers.NoProbes = true                // what the report says comes from those three
	var err error
	for _, r := range []struct {
		r **resolver.Resolver
		o resolver.Options
	}{{&c.current, current}, {&c.proposed, proposed}, {&c.servers, servers}} {
		if *r.r, err = resolver.New(r.o); err != nil {
			return err
		}
	}
	return nil
}

// run traces the questions on both sides, and the zone's SOA at every
// proposed server, at once. Each side asks its questions one after the
// other, so that each walk takes from its cache what the one before
// learned, and counts the same queries every time. Each trace has its own
// slot: the report's order is the questions', whatever order the traces
// end in.
func (c *check) run(ctx context.Context, zone string, questions []trace.Question) {
	n := len(questions)
	c.traces = make([]*trace.Trace, 2*n+1)
	c.errs = make([]error, len(c.traces))
	var wg sync.WaitGroup
	for side, r := range []*resolver.Resolver{c.current, c.proposed} {
		wg.Go(func() {
			for i, q := range questions {
				j := side*n + i
				c.traces[j], c.errs[j] = r.Trace(ctx, q.Name, q.Qtype)
			}
		})
	}
	wg.Go(func() {
		c.traces[2*n], c.errs[2*n] = c.servers.Trace(ctx, zone, dns.TypeSOA)
	})
	wg.Wait()
}

// DefaultQuestions are the questions of a check that names none: the apex
// SOA, NS, MX and TXT, and www A and AAAA.
func DefaultQuestions(zone string) []trace.Question {
	www := "www." + zone
	return []trace.Question{
		question(zone, dns.TypeSOA), question(zone, dns.TypeNS), question(zone, dns.TypeMX), question(zone, dns.TypeTXT),
		question(www, dns.TypeA), question(www, dns.TypeAAAA),
	}
}

// Questions reads questions written as NAME [TYPE...] words: each name
// relative to zone unless it is under it already ("@" is the apex; a final
// dot makes a name absolute), each followed by its types, A when none. No
// words means DefaultQuestions.
func Questions(zone string, words []string) ([]trace.Question, error) {
	if len(words) == 0 {
		return DefaultQuestions(zone), nil
	}
	var out []trace.Question
	name := ""
	typed := false
	flush := func() {
		if name != "" && !typed {
			out = append(out, question(name, dns.TypeA))
		}
	}
	for _, w := range words {
		if t, err := trace.ParseType(w); err == nil {
			if name == "" {
				return nil, fmt.Errorf("type %s comes before any name: give NAME [TYPE...]", w)
			}
			if q := question(name, t); !contains(out, q) {
				out = append(out, q)
			}
			typed = true
			continue
		}
		flush()
		n, err := questionName(zone, w)
		if err != nil {
			return nil, err
		}
		name, typed = n, false
	}
	flush()
	return out, nil
}

func question(name string, t uint16) trace.Question {
	return trace.Question{Name: name, Qtype: t, Qclass: dns.ClassINET}
}

func contains(qs []trace.Question, q trace.Question) bool {
	for _, x := range qs {
		if x == q {
			return true
		}
	}
	return false
}

// questionName makes a name of the words fully qualified.
func questionName(zone, s string) (string, error) {
	if s == "@" {
		return zone, nil
	}
	name, err := trace.ParseName(s)
	if err != nil {
		return "", err
	}
	if dns.IsSubDomain(zone, name) {
		return name, nil
	}
	if dns.IsFqdn(s) {
		return "", fmt.Errorf("%s is not in %s: preflight compares the zone's own names", name, zone)
	}
	return trace.ParseName(strings.TrimSuffix(name, ".") + "." + zone)
}
