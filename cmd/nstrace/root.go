package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// usageError marks an error as the user's: exit code 2, nothing on stdout.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// options are the flags of every command: the root command's (a trace, or
// a list of them with -f) and preflight's, which binds those it has.
type options struct {
	rootHints string
	// trustAnchor is --trust-anchor: a file of DS or DNSKEY records.
	trustAnchor string
	engine      resolver.Options // bound to the engine's flags (engine.go)
	// budgetGiven is set when --max-queries was given; else the budget is
	// left to resolver.New, which raises it for --all.
	budgetGiven bool
	to          string // preflight --to
	output      string
	json        bool
	color       string
	noTimings   bool
	noFix       bool // --no-fix
	lab         string
	failOn      failOnFlag
	dig         digFlags // -q, -t, -c, -x
	ipv4        bool
	ipv6        bool
	noFollow    bool
	live        string
	batch       batchFlags // -f, -j, -v (batch.go)
	diff        diffFlags  // --diff, diff --timings (diff.go)
	// compare is --compare: with --qmin, walk the full name too, beside
	// the minimising walk (resolver.Compare).
	compare bool
	// onLab, when set, is given the lab --lab starts (nstrace watch
	// reloads it when its files change).
	onLab func(*lab.Lab)
}

// Main runs nstrace with args and returns the exit code. It is main without
// os.Exit, so tests can run it in-process.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := notifyStop(context.Background())
	defer stop()
	cmd := newRootCmd(stdout)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if msg := oneLine(err); msg != "" { // nstrace diff's 1 says nothing
		fmt.Fprintf(stderr, "nstrace: %s\n", msg)
	}
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
ANY is traced, but servers may answer it with some records only (RFC 8482);
AXFR and IXFR (zone transfers) and OPT, TSIG and TKEY are not lookups, and
are refused. NAME may be in Unicode ("bücher.de"): it is converted with IDNA
2008 and the UTS #46 mapping, as browsers do, and shown in both forms.
As with dig, NAME, TYPE, CLASS (IN, the only class traced) and @SERVER may
come in any order, and -q, -t, -c and -x say which is which. @SERVER (an IP
address, optionally with #PORT) is asked for the root servers first, as dig
+trace does, and the walk starts from those it names.

On a terminal, the tree (or the dig layout) is written hop by hop as the
replies arrive, and a line on stderr says what is being waited on while a
server is slow; piped output is written once the walk is over. Ctrl-C, or
--deadline, writes the trace as far as it went, marked partial; a server
cut short is "not asked to the end", never blamed.

With -f, nstrace traces every name of a list, one NAME [TYPE] a line, -j at
a time with one cache for the run, and writes the traces in the list's order:
a summary table (every tree with -v), or with -o jsonl one JSON document a
line. On a terminal, a progress bar on stderr says how far it is. The exit
code is the worst of all the names' (0, then 3, 1, 2); Ctrl-C writes what is
done, in order, and exits 130 (SIGTERM: 143). --shard K/N traces only the
names of shard K of N (K from 0): N runs, on as many machines, trace each
name once between them; --shard auto/N takes K from JOB_COMPLETION_INDEX.

` + exitHelp(traceExits),
		Example: `  nstrace www.example.com
  nstrace example.com MX --json | jq .
  nstrace MX example.com -o dig
  nstrace @192.0.2.53 www.example.com AAAA
  nstrace -x 192.0.2.1
  nstrace www.example.com -o dot | dot -Tsvg > trace.svg
  nstrace --lab demo www.example.com
  nstrace -f domains.txt -o jsonl > traces.jsonl
  nstrace -f domains.txt --shard 0/4 -o jsonl > shard-0.jsonl`,
		Version:           versionString(),
		Args:              cobra.ArbitraryArgs, // parseArgs reads them as dig does
		ValidArgsFunction: completeArgs,
		SilenceUsage:      true,
		SilenceErrors:     true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.budgetGiven = cmd.Flags().Changed("max-queries")
			if o.batch.shard != "" && o.batch.file == "" {
				return errShardNoList
			}
			if o.diff.against != "" {
				return runAgainst(cmd.Context(), o, args, cmd.InOrStdin(), stdout, cmd.ErrOrStderr())
			}
			if o.batchMode() {
				return runBatch(cmd.Context(), o, args, cmd.InOrStdin(), stdout, cmd.ErrOrStderr())
			}
			return run(cmd.Context(), o, args, stdout, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	engineFlags(f, &o)
	delegateFlags(f, &o.engine.Delegate)
	f.StringVarP(&o.output, "output", "o", "tree", "output format: tree, json, jsonl (one JSON document a line, for -f), dig (the layout of dig +trace) or dot (a Graphviz graph)")
	outputFlags(f, &o)
	f.Var((*pathValue)(&o.lab), "lab", "trace inside a lab served on loopback: a scenario `DIR` or .txtar file, or \"demo\"")
	findingsFlags(f, &o.failOn, &o.engine.NoChildNS, &o.engine.NoAXFRCheck)
	f.BoolVar(&o.noFix, "no-fix", false, "hide the line under each error and warning that says where and how to fix it (JSON always has it)")
	batchModeFlags(f, &o.batch)
	compareFlags(f, &o)
	digLikeFlags(cmd, &o)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cmd.AddCommand(newPreflightCmd(stdout), newWatchCmd(stdout))
	addCommands(cmd)
	return cmd
}

// outputFlags binds the flags of the output that every command has.
func outputFlags(f *pflag.FlagSet, o *options) {
	f.BoolVar(&o.json, "json", false, "same as --output json")
	f.StringVar(&o.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.BoolVar(&o.noTimings, "no-timings", false, "hide timings, so that outputs compare byte for byte")
}

// run traces the one name that args give and writes it as o says.
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
	ro.Verbose, ro.NoFix = o.batch.verbose, o.noFix
	out, err := newOutput(o.output, ro)
	if err != nil {
		return usageError{err}
	}
	liveOut, err := wantLive(o.live, out, stdout)
	if err != nil {
		return usageError{err}
	}
	if o.engine.All && o.live == "auto" || o.compare {
		// With --all the tree is a table per zone, which needs all of the
		// zone's replies: a live stream would list raw queries instead.
		// A comparison is written once both walks are over.
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
	t, walkErr := walk(ctx, r, o.compare, q.Question)
	if t == nil {
		if lv != nil {
			lv.cancel()
		}
		return usageError{walkErr}
	}
	if offline(walkErr) {
		// Nothing was traced: the one line on stderr says it all.
		if lv != nil {
			lv.cancel()
		}
		return walkErr
	}
	t.Findings = trace.Diagnose(t)
	if lv != nil {
		err = lv.done(t)
	} else {
		err = out.render(stdout, t)
	}
	if err != nil {
		return err
	}
	switch {
	case t.Partial() == trace.ReasonCancelled:
		code, word := interruption(ctx)
		return exitError{code: code, msg: word + ": the trace is written as far as it went, marked partial"}
	case walkErr != nil:
		return walkErr
	}
	return checkFindings(t, o.failOn)
}

// compareFlags binds the flags that compare a trace with another:
// --diff FILE, and --compare, the walk of the full name beside --qmin's.
func compareFlags(f *pflag.FlagSet, o *options) {
	againstFlag(f, &o.diff)
	f.BoolVar(&o.compare, "compare", false, "with --qmin, also walk the full name, as dig +trace does, at the same time and sharing a cache, and report where the two walks end differently (qmin-different-answer)")
}

// walk traces q, or with compare (--qmin --compare) walks it both ways at
// once (resolver.Compare).
func walk(ctx context.Context, r *resolver.Resolver, compare bool, q trace.Question) (*trace.Trace, error) {
	if compare {
		return r.Compare(ctx, q.Name, q.Qtype)
	}
	return r.Trace(ctx, q.Name, q.Qtype)
}

// errCompare is the usage error of --compare without --qmin, or with a
// list of names.
var errCompare = errors.New("--compare compares the --qmin walk of one name with the walk of its full name: give --qmin and one name")

// offline reports whether err says that this host cannot reach any root
// server (no route at all, or none of the family asked for).
func offline(err error) bool {
	var nr *resolver.NoRouteError
	return errors.As(err, &nr) && nr.Zone == "."
}

// oneLine keeps an error message to one line, as the exit contract promises.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
