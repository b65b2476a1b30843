package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
)

// usageError marks an error as the user's: exit code 2, nothing on stdout.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// options are the flags of the root command.
type options struct {
	rootHints string
	engine    resolver.Options // bound to the engine's flags (engine.go)
	output    string
	json      bool
	color     string
	noTimings bool
	lab       string
	failOn    failOnFlag
	dig       digFlags // -q, -t, -c, -x
	ipv4      bool
	ipv6      bool
	noFollow  bool
	live      string
	batch     batchFlags // -f, -j, -v (batch.go)
}

// Main runs nstrace with args and returns the exit code. It is main without
// os.Exit, so tests can run it in-process.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd := newRootCmd(stdout)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "nstrace: %v\n", oneLine(err))
	return exitCode(err)
}

func newRootCmd(stdout io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "nstrace [flags] [@SERVER] NAME [TYPE] [CLASS]",
		Short: "Trace a DNS name from the root to its authoritative answer",
		Long: `nstrace walks the DNS iteratively, as a resolver does, from the root hints
through each referral to the servers that are authoritative for NAME, and shows
every hop: the zone, the server asked (name, address, and where the address came
from: hints, glue, or a separate lookup), what it said and how long it took.

TYPE is any record type (A, AAAA, MX, TXT, NS, ... or TYPEnnn); A by default.
As with dig, NAME, TYPE, CLASS (IN, the only class traced) and @SERVER may
come in any order, and -q, -t, -c and -x say which is which. @SERVER (an IP
address, optionally with #PORT) is asked for the root servers first, as dig
+trace does, and the walk starts from those it names.

On a terminal, the tree (or the dig layout) is written hop by hop as the
replies arrive, and a line on stderr says what is being waited on while a
server is slow; piped output is written once the walk is over.

With -f, nstrace traces every name of a list, one NAME [TYPE] a line, -j at
a time with one cache for the run, and writes the traces in the list's order:
a summary table (every tree with -v), or with -o jsonl one JSON document a
line. On a terminal, a progress bar on stderr says how far it is. The exit
code is the worst of all the names' (0, then 3, 1, 2); Ctrl-C writes what is
done, in order, and exits 130.

` + exitHelp(traceExits),
		Example: `  nstrace www.example.com
  nstrace example.com MX --json | jq .
  nstrace MX example.com -o dig
  nstrace @192.0.2.53 www.example.com AAAA
  nstrace -x 192.0.2.1
  nstrace www.example.com -o dot | dot -Tsvg > trace.svg
  nstrace --lab demo www.example.com
  nstrace -f domains.txt -o jsonl > traces.jsonl`,
		Version:           versionString(),
		Args:              cobra.ArbitraryArgs, // parseArgs reads them as dig does
		ValidArgsFunction: completeArgs,
		SilenceUsage:      true,
		SilenceErrors:     true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.batchMode() {
				return runBatch(cmd.Context(), o, args, cmd.InOrStdin(), stdout, cmd.ErrOrStderr())
			}
			return run(cmd.Context(), o, args, stdout, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rootHints, "root-hints", "", "read root hints from `FILE` (IANA named.root format) instead of the embedded ones")
	engineFlags(f, &o.engine)
	delegateFlags(f, &o.engine.Delegate)
	f.StringVarP(&o.output, "output", "o", "tree", "output format: tree, json, jsonl (one JSON document a line, for -f), dig (the layout of dig +trace) or dot (a Graphviz graph)")
	f.BoolVar(&o.json, "json", false, "same as --output json")
	f.StringVar(&o.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.BoolVar(&o.noTimings, "no-timings", false, "hide timings, so that outputs compare byte for byte")
	f.StringVar(&o.lab, "lab", "", "trace inside a lab served on loopback: a scenario `DIR` or .txtar file, or \"demo\"")
	findingsFlags(f, &o.failOn, &o.engine.NoChildNS)
	batchModeFlags(f, &o.batch)
	digLikeFlags(cmd, &o)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cmd.AddCommand(newPreflightCmd(stdout))
	addCommands(cmd)
	return cmd
}

func run(ctx context.Context, o options, args []string, stdout, stderr io.Writer) error {
	q, err := parseArgs(args, o.dig, o.engine.Port)
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
	out, err := newOutput(o.output, ro)
	if err != nil {
		return usageError{err}
	}
	liveOut, err := wantLive(o.live, out, stdout)
	if err != nil {
		return usageError{err}
	}
	if o.engine.All && o.live == "auto" {
		// With --all the tree is a table per zone, which needs all of the
		// zone's replies: a live stream would list raw queries instead.
		liveOut = false
	}
	o.engine.Prime = q.server
	ropts, closeLab, err := engineOptions(o)
	if err != nil {
		return err
	}
	defer closeLab()
	var lv *live
	if liveOut {
		lv = newLive(out, q.Question, stdout, stderr)
		ropts.Observer = lv.observer()
	}
	r, err := resolver.New(ropts)
	if err != nil {
		if lv != nil {
			lv.cancel()
		}
		return usageError{err}
	}
	t, walkErr := r.Trace(ctx, q.Name, q.Qtype)
	if t == nil {
		if lv != nil {
			lv.cancel()
		}
		return usageError{walkErr}
	}
	if lv != nil {
		err = lv.done(t)
	} else {
		err = out.render(stdout, t)
	}
	if err != nil {
		return err
	}
	if walkErr != nil {
		return walkErr
	}
	return checkFindings(t, o.failOn)
}

// engineOptions checks the engine's flags and makes the resolver's options
// of them (see resolverOptions).
func engineOptions(o options) (ropts resolver.Options, closeLab func(), err error) {
	if err := digLikeEngine(&o); err != nil {
		return ropts, func() {}, usageError{err}
	}
	if err := checkEngine(o.engine); err != nil {
		return ropts, func() {}, usageError{err}
	}
	return resolverOptions(o)
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
		ropts.Dial = l.Dial // it maps written addresses to loopback and refuses all else
		if ropts.RootHints == nil {
			ropts.RootHints = l.RootHints()
		}
	}
	if ropts.Dial == nil {
		ropts.Dial = netDial
	}
	return ropts, closeLab, nil
}

// oneLine keeps an error message to one line, as the exit contract promises.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// netDial dials the servers of a trace outside the lab; nil is the
// resolver's own net.Dialer. The package's tests set it in TestMain to one
// that refuses every address but loopback, so that no test, and no script
// run in the test binary, can send a query off the machine.
var netDial resolver.DialFunc
