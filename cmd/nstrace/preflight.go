package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/preflight"
	"github.com/nstrace/nstrace/trace/render"
)

// preflightOptions are the flags of the preflight command.
type preflightOptions struct {
	to        string
	engine    resolver.Options
	rootHints string
	lab       string
	output    string
	json      bool
	color     string
	noTimings bool
}

func newPreflightCmd(stdout io.Writer) *cobra.Command {
	var o preflightOptions
	cmd := &cobra.Command{
		Use:   "preflight ZONE --to NS[,NS...] [NAME [TYPE...]]...",
		Short: "Check a move to other nameservers before changing the delegation",
		Long: `preflight checks a change of ZONE's nameservers before it is made at the
registrar. It traces each question twice, through the delegation in place and
as if the parent already delegated ZONE to the nameservers given with --to,
asks every address of every proposed nameserver for the zone's SOA and NS
set, and reports:

  - proposed servers that do not answer for the zone with authority (lame,
    REFUSED, SERVFAIL, no reply, no address);
  - an NS set at the new servers that is not the proposed one;
  - every record that differs between the current and the new servers:
    missing, extra, or with another TTL;
  - the NS TTLs at the parent and in the zone, how long the switch takes
    to reach every resolver, and advice to lower the zone's NS TTL first.

An NS of --to is a host name, or NAME=ADDR[+ADDR...] to give its address,
as the registrar needs for a name inside ZONE (glue).

The questions are NAME and TYPE pairs: NAME relative to ZONE ("www", "@" for
the apex) or fully qualified, each followed by any number of types (A by
default). Without any, preflight asks the apex SOA, NS, MX and TXT, and www
A and AAAA.

` + exitHelp(preflightExits),
		Example: `  nstrace preflight example.com --to ns1.newdns.net,ns2.newdns.net
  nstrace preflight example.com --to ns1.example.com=192.0.2.1,ns2.example.com=198.51.100.2+2001:db8::2
  nstrace preflight example.com --to ns1.newdns.net,ns2.newdns.net @ MX TXT www A AAAA mail
  nstrace preflight example.com --to ns1.newdns.net,ns2.newdns.net --json | jq .problems`,
		Args:          cobra.MinimumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPreflight(cmd.Context(), cmd, o, args, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "the proposed nameservers: `NS[,NS...]`, each a host name or NAME=ADDR[+ADDR...] (required)")
	f.StringVar(&o.rootHints, "root-hints", "", "read root hints from `FILE` (IANA named.root format) instead of the embedded ones")
	engineFlags(f, &o.engine)
	f.StringVarP(&o.output, "output", "o", "tree", "output format: tree or json")
	f.BoolVar(&o.json, "json", false, "same as --output json")
	f.StringVar(&o.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.BoolVar(&o.noTimings, "no-timings", false, "hide timings, so that outputs compare byte for byte")
	f.StringVar(&o.lab, "lab", "", "check inside a lab served on loopback: a scenario `DIR` or .txtar file, or \"demo\"")
	return cmd
}

// breaksError is the error of a preflight check that found what the switch
// would break: exit code 3. The report is written already; the error says
// on stderr, in one line, what was found.
type breaksError struct{ r *preflight.Report }

func (e breaksError) Error() string {
	var codes []string
	n := 0
	for _, p := range e.r.Problems {
		if p.Severity != trace.SeverityError {
			continue
		}
		n++
		if !strings.Contains(strings.Join(codes, " "), p.Code) {
			codes = append(codes, p.Code)
		}
	}
	what := "problems"
	if n == 1 {
		what = "problem"
	}
	return fmt.Sprintf("moving %s to %s would break it: %d %s (%s)", e.r.Zone, nsText(e.r.Proposed.NS), n, what, strings.Join(codes, ", "))
}

func nsText(ns []trace.NS) string {
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

func runPreflight(ctx context.Context, cmd *cobra.Command, o preflightOptions, args []string, stdout io.Writer) error {
	zone, err := zoneName(args[0])
	if err != nil {
		return usageError{err}
	}
	if o.to == "" {
		return usageError{errors.New("--to is required: the proposed nameservers, NS[,NS...]")}
	}
	proposed, err := parseNSList(zone, o.to)
	if err != nil {
		return usageError{fmt.Errorf("--to: %w", err)}
	}
	questions, err := preflightQuestions(zone, args[1:])
	if err != nil {
		return usageError{err}
	}
	if o.json {
		o.output = "json"
	}
	ro, err := renderOptions(o.color, o.noTimings, stdout)
	if err != nil {
		return usageError{err}
	}
	var write func(io.Writer, *preflight.Report, render.Options) error
	switch o.output {
	case "tree":
		write = render.Preflight
	case "json":
		write = render.PreflightJSON
	default:
		return usageError{fmt.Errorf("unknown output format %q (want tree or json)", o.output)}
	}
	if err := checkEngine(o.engine); err != nil {
		return usageError{err}
	}
	base, closeLab, err := resolverOptions(options{engine: o.engine, rootHints: o.rootHints, lab: o.lab})
	if err != nil {
		return err
	}
	defer closeLab()

	current, proposedSide, all := base, base, base
	current.Cache = resolver.NewCache()
	proposedSide.Cache = resolver.NewCache() // apart: the same zone, other servers
	proposedSide.Delegate = []*trace.Delegation{proposed}
	all.Delegate, all.All = proposedSide.Delegate, true
	if !cmd.Flags().Changed("max-queries") {
		all.MaxQueries = resolver.DefaultMaxQueriesAll // every server, three questions each
	}
	var rs [3]*resolver.Resolver
	for i, opts := range []resolver.Options{current, proposedSide, all} {
		if rs[i], err = resolver.New(opts); err != nil {
			return usageError{err}
		}
	}

	// The two sides, and the check of every proposed server, run at once;
	// each side asks its questions one after the other, so that each walk
	// takes from its cache what the one before learned, and counts the
	// same queries every time. Each trace has its own slot: the report's
	// order is the questions', whatever order the traces end in.
	start := time.Now()
	n := len(questions)
	traces := make([]*trace.Trace, 2*n+1)
	errs := make([]error, len(traces))
	var wg sync.WaitGroup
	for side := range 2 {
		wg.Go(func() {
			for i, q := range questions {
				j := side*n + i
				traces[j], errs[j] = rs[side].Trace(ctx, q.Name, q.Qtype)
			}
		})
	}
	wg.Go(func() {
		traces[2*n], errs[2*n] = rs[2].Trace(ctx, zone, dns.TypeSOA)
	})
	wg.Wait()
	for i, t := range traces {
		if t == nil { // the name was refused before any query: a bug, or ctx
			return fmt.Errorf("preflight: %w", errs[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	report := preflight.Compare(preflight.Input{Zone: zone, Proposed: proposed, Current: traces[:n], New: traces[n : 2*n], Servers: traces[2*n]})
	report.Duration = time.Since(start)
	if err := write(stdout, report, ro); err != nil {
		return err
	}
	if !report.Checked {
		return fmt.Errorf("could not check: no question could be resolved now, and no walk reached the proposed servers: %v", traces[0].Err)
	}
	if report.Breaks() {
		return breaksError{report}
	}
	return nil
}

// preflightQuestions reads the NAME [TYPE...] arguments: each name relative
// to zone unless it is under it already ("@" is the apex; a final dot makes
// a name absolute), each followed by its types, A when none. No argument
// means the apex SOA, NS, MX and TXT, and www A and AAAA.
func preflightQuestions(zone string, args []string) ([]trace.Question, error) {
	q := func(name string, t uint16) trace.Question {
		return trace.Question{Name: name, Qtype: t, Qclass: dns.ClassINET}
	}
	if len(args) == 0 {
		www := "www." + zone
		return []trace.Question{
			q(zone, dns.TypeSOA), q(zone, dns.TypeNS), q(zone, dns.TypeMX), q(zone, dns.TypeTXT),
			q(www, dns.TypeA), q(www, dns.TypeAAAA),
		}, nil
	}
	var out []trace.Question
	name := ""
	typed := false
	flush := func() {
		if name != "" && !typed {
			out = append(out, q(name, dns.TypeA))
		}
	}
	for _, a := range args {
		if t, ok := preflightType(a); ok {
			if name == "" {
				return nil, fmt.Errorf("type %s comes before any name: give NAME [TYPE...]", a)
			}
			if !containsQuestion(out, q(name, t)) {
				out = append(out, q(name, t))
			}
			typed = true
			continue
		}
		flush()
		n, err := preflightName(zone, a)
		if err != nil {
			return nil, err
		}
		name, typed = n, false
	}
	flush()
	return out, nil
}

func containsQuestion(qs []trace.Question, q trace.Question) bool {
	for _, x := range qs {
		if x == q {
			return true
		}
	}
	return false
}

// preflightName makes a name of the arguments fully qualified.
func preflightName(zone, s string) (string, error) {
	if s == "@" {
		return zone, nil
	}
	if _, ok := dns.IsDomainName(s); !ok || s == "" || strings.ContainsAny(s, " \t\n") {
		return "", fmt.Errorf("invalid name %q", s)
	}
	name := dns.CanonicalName(s)
	if dns.IsSubDomain(zone, name) {
		return name, nil
	}
	if dns.IsFqdn(s) {
		return "", fmt.Errorf("%s is not in %s: preflight compares the zone's own names", name, zone)
	}
	return dns.CanonicalName(s + "." + zone), nil
}

// preflightType accepts a type mnemonic, in any case, or TYPEnnn (RFC 3597).
func preflightType(s string) (uint16, bool) {
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok && t != dns.TypeNone {
		return t, true
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil && v > 0 {
			return uint16(v), true
		}
	}
	return 0, false
}
