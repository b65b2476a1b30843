package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nstrace/nstrace/preflight"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

func newPreflightCmd(stdout io.Writer) *cobra.Command {
	var o options
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
			o.budgetGiven = cmd.Flags().Changed("max-queries")
			return runPreflight(cmd.Context(), o, args, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "the proposed nameservers: `NS[,NS...]`, each a host name or NAME=ADDR[+ADDR...] (required)")
	engineFlags(f, &o)
	f.StringVarP(&o.output, "output", "o", "tree", "output format: "+strings.Join(preflightFormats, " or "))
	outputFlags(f, &o)
	f.Var((*pathValue)(&o.lab), "lab", "check inside a lab served on loopback: a scenario `DIR` or .txtar file, or \"demo\"")
	completeFlags(cmd, map[string][]string{"output": preflightFormats})
	return cmd
}

// breaksError is the error of a preflight check that found what the switch
// would break: exit code 3. The report is written already; the error says
// on stderr, in one line, what was found.
type breaksError struct{ r *preflight.Report }

func (e breaksError) Error() string {
	var codes []string
	n := 0
	for _, g := range e.r.Faults() { // one cause, one problem
		p := g[0]
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

// preflightFormats are the values of preflight's --output.
var preflightFormats = []string{"tree", "json"}

// runPreflight checks the move that args and o --to give, and writes the
// report.
func runPreflight(ctx context.Context, o options, args []string, stdout io.Writer) error {
	zone, to, questions, err := preflightArgs(o, args)
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
	ropts, closeLab, err := engineOptions(o)
	if err != nil {
		return err
	}
	defer closeLab()
	report, err := preflight.Run(ctx, preflight.Options{Resolver: ropts, Questions: questions}, zone, to)
	if report == nil {
		if errors.As(err, new(*preflight.OptionsError)) {
			return usageError{err}
		}
		return err
	}
	if err := write(stdout, report, ro); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	if report.Breaks() {
		return breaksError{report}
	}
	return nil
}

// preflightArgs reads the zone, the proposed delegation and the questions
// of a check.
func preflightArgs(o options, args []string) (zone string, to *trace.Delegation, questions []trace.Question, err error) {
	if zone, err = zoneName(args[0]); err != nil {
		return "", nil, nil, err
	}
	if o.to == "" {
		return "", nil, nil, errors.New("--to is required: the proposed nameservers, NS[,NS...]")
	}
	if to, err = parseNSList(zone, o.to); err != nil {
		return "", nil, nil, fmt.Errorf("--to: %w", err)
	}
	questions, err = preflight.Questions(zone, args[1:])
	return zone, to, questions, err
}
