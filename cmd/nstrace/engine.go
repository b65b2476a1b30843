package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
)

// engineFlags binds the flags that tune the walk: where and how long to
// ask, and the limits that keep every walk finite.
func engineFlags(f *pflag.FlagSet, o *options) {
	e := &o.engine
	f.Var((*pathValue)(&o.rootHints), "root-hints", "read root hints from `FILE` (IANA named.root format) instead of the embedded ones")
	e.Port = resolver.DefaultPort
	f.VarP((*portValue)(&e.Port), "port", "p", "query every server on port `N`")
	f.DurationVar(&e.Timeout, "timeout", resolver.DefaultTimeout, "wait at most this long for each reply")
	f.IntVar(&e.Tries, "tries", resolver.DefaultTries, "ask an address that times out up to `N` times in all")
	f.Var((*hedgeValue)(&e.HedgeDelay), "hedge", "when a reply is this late, ask the next server too: a duration, auto (adapts to the RTTs seen, 250ms at most) or off (one server at a time)")
	f.DurationVar(&e.Deadline, "deadline", resolver.DefaultDeadline, "give up the whole trace after this long")
	f.IntVar(&e.MaxQueries, "max-queries", resolver.DefaultMaxQueries, "send at most `N` queries per trace for the walk and the server checks; the protocol probes have half as many of their own")
	f.IntVar(&e.MaxDepth, "max-referrals", resolver.DefaultMaxDepth, "follow at most `N` referrals per walk")
	f.IntVar(&e.MaxNesting, "max-nesting", resolver.DefaultMaxNesting, "nest lookups of glueless nameservers at most `N` deep")
	f.IntVar(&e.MaxNS, "max-ns", resolver.DefaultMaxNS, "consider at most `N` nameserver names per referral")
	f.IntVar(&e.MaxAddrs, "max-addrs", resolver.DefaultMaxAddrs, "ask at most `N` addresses per nameserver name")
	f.IntVar(&e.MaxCNAME, "max-cname", resolver.DefaultMaxCNAME, "follow at most `N` CNAMEs")
	f.BoolVar(&e.All, "all", false, "ask every address of every nameserver at each zone, in parallel, with the zone's SOA and NS, and compare their replies (a table per zone); raises --max-queries to "+strconv.Itoa(resolver.DefaultMaxQueriesAll)+" unless it is given")
	f.IntVar(&e.Parallel, "parallel", resolver.DefaultParallel, "with --all, send at most `N` queries at once to the servers of a zone")
	f.BoolVar(&e.PathOnly, "path-only", false, "ask only the servers the walk needs, as dig +trace does, instead of checking every server of the zones below the TLD beside it")
	f.Var((*pathValue)(&o.trustAnchor), "trust-anchor", "validate DNSSEC from the DS or DNSKEY records in `FILE` (zone-file format, or BIND's trust-anchors) instead of the root's KSK-2017 and KSK-2024, or a lab's own anchor")
	f.BoolVar(&e.NoDNSSEC, "no-dnssec", false, "do not set the DO bit, nor validate DNSSEC")
	f.Var((*qminValue)(&e.QMin), "qmin", "walk as QNAME-minimising resolvers do (RFC 9156): ask each zone for one more label than known, with QTYPE A (--qmin) or NS (--qmin=ns), and the full name at the last label")
	f.Lookup("qmin").NoOptDefVal = "a"
}

// qminValue is the --qmin flag: the QTYPE of minimised queries, A or NS;
// 0 (off) when the flag is not given.
type qminValue uint16

func (q *qminValue) String() string {
	if *q == 0 {
		return "off"
	}
	return strings.ToLower(dns.TypeToString[uint16(*q)])
}

func (q *qminValue) Set(s string) error {
	switch strings.ToLower(s) {
	case "a":
		*q = qminValue(dns.TypeA)
	case "ns":
		*q = qminValue(dns.TypeNS)
	case "off":
		*q = 0
	default:
		return fmt.Errorf("want a (the default) or ns, the QTYPE of minimised queries")
	}
	return nil
}

func (q *qminValue) Type() string { return "a|ns" }

// checkEngine rejects values the flags accept but the walk cannot use.
func checkEngine(e resolver.Options) error {
	if e.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, not %s", e.Timeout)
	}
	if e.Deadline <= 0 {
		return fmt.Errorf("--deadline must be positive, not %s", e.Deadline)
	}
	if e.All && e.PathOnly {
		return fmt.Errorf("--all asks every server and --path-only only those the walk needs: give one")
	}
	for _, l := range []struct {
		flag string
		v    int
	}{
		{"--tries", e.Tries}, {"--max-queries", e.MaxQueries}, {"--max-referrals", e.MaxDepth},
		{"--max-nesting", e.MaxNesting}, {"--max-ns", e.MaxNS}, {"--max-addrs", e.MaxAddrs}, {"--max-cname", e.MaxCNAME},
		{"--parallel", e.Parallel},
	} {
		if l.v < 1 {
			return fmt.Errorf("%s must be at least 1, not %d", l.flag, l.v)
		}
	}
	return nil
}

// hedgeValue is the --hedge flag: "auto" (0), "off" (negative) or a duration.
type hedgeValue time.Duration

func (h *hedgeValue) String() string {
	switch d := time.Duration(*h); {
	case d == 0:
		return "auto"
	case d < 0:
		return "off"
	default:
		return d.String()
	}
}

func (h *hedgeValue) Set(s string) error {
	switch s {
	case "auto":
		*h = 0
	case "off":
		*h = -1
	default:
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration, auto or off")
		}
		*h = hedgeValue(d)
	}
	return nil
}

func (h *hedgeValue) Type() string { return "duration|auto|off" }

// engineOptions checks the engine's flags and makes the resolver's options
// of them (see resolverOptions).
func engineOptions(o options) (ropts resolver.Options, closeLab func(), err error) {
	if o.compare && o.engine.QMin == 0 {
		return ropts, func() {}, usageError{errCompare}
	}
	if err := digLikeEngine(&o); err != nil {
		return ropts, func() {}, usageError{err}
	}
	if err := checkEngine(o.engine); err != nil {
		return ropts, func() {}, usageError{err}
	}
	ropts, closeLab, err = resolverOptions(o)
	if !o.budgetGiven {
		ropts.MaxQueries = 0 // resolver.New's default: more with --all
	}
	return ropts, closeLab, err
}

// resolverOptions completes the engine's options from the flags: the root
// hints file, the lab, and netDial outside the lab. closeLab stops
// the lab, if one was started.
func resolverOptions(o options) (ropts resolver.Options, closeLab func(), err error) {
	ropts, closeLab = o.engine, func() {}
	if o.rootHints != "" {
		f, err := os.Open(o.rootHints)
		if err != nil {
			return ropts, closeLab, usageError{err}
		}
		ropts.RootHints, err = resolver.ParseRootHints(o.rootHints, f)
		f.Close()
		if err != nil {
			return ropts, closeLab, usageError{fmt.Errorf("root hints: %w", err)}
		}
	}
	if o.lab != "" {
		var s *lab.Scenario
		if o.lab == "demo" {
			s = lab.Demo()
		} else if s, err = lab.Load(o.lab); err != nil {
			return ropts, closeLab, usageError{err}
		}
		l, err := lab.Start(s)
		if err != nil {
			return ropts, closeLab, fmt.Errorf("starting the lab: %w", err)
		}
		closeLab = func() { l.Close() }
		if o.onLab != nil {
			o.onLab(l)
		}
		ropts.Dial = l.Dial // it maps written addresses to loopback and refuses all else
		if ropts.RootHints == nil {
			ropts.RootHints = l.RootHints()
		}
		if ropts.TrustAnchors == nil {
			// The lab's own root is signed with its own key, or not at all.
			ropts.TrustAnchors = s.Anchors()
		}
	}
	if ropts.Dial == nil {
		ropts.Dial = netDial
	}
	if err := trustAnchors(&ropts, o); err != nil {
		closeLab()
		return ropts, func() {}, err
	}
	return ropts, closeLab, nil
}

// trustAnchors sets the anchors DNSSEC validation starts from: the
// --trust-anchor file's, else the lab's own (set with the lab), else the
// root's, whatever root hints the walk starts from.
func trustAnchors(ropts *resolver.Options, o options) error {
	switch {
	case ropts.NoDNSSEC:
		ropts.TrustAnchors = nil
	case o.trustAnchor != "":
		anchors, err := dnssec.LoadAnchors(o.trustAnchor)
		if err != nil {
			return usageError{fmt.Errorf("trust anchor: %w", err)}
		}
		ropts.TrustAnchors = anchors
	case o.lab == "":
		ropts.TrustAnchors = dnssec.RootAnchors()
	}
	return nil
}

// netDial dials the servers of a trace outside the lab; nil is the
// resolver's own net.Dialer. The package's tests set it in TestMain to one
// that refuses every address but loopback, so that no test, and no script
// run in the test binary, can send a query off the machine.
var netDial resolver.DialFunc
