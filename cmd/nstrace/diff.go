package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/trace/diff"
	"github.com/nstrace/nstrace/trace/render"
)

// nstrace diff OLD NEW, and nstrace NAME --diff OLD: what changed in a
// name's delegations between two traces, compared by package trace/diff
// and written by render.Diff or render.DiffJSON.

// diffFlags are the flags of the comparison of traces.
type diffFlags struct {
	against string        // --diff OLD: trace, then compare with OLD
	timings time.Duration // nstrace diff --timings MIN
}

// diffFormats are the values of nstrace diff's --output.
var diffFormats = []string{"text", "json"}

// againstFlag binds the root command's --diff.
func againstFlag(f *pflag.FlagSet, d *diffFlags) {
	f.StringVar(&d.against, "diff", "", "trace, then write what changed since the trace saved in `OLD` (-o json; or the name's line of -o jsonl) instead of the trace: as nstrace diff does, or with -o json as its JSON")
}

func newDiffCmd() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "diff [flags] OLD NEW",
		Short: "Show what changed in a name's delegations between two traces",
		Long: `diff compares two traces of the same question, saved with nstrace -o json, and
writes what changed in the delegations crossed: each zone's NS set at the parent
and in the zone itself, the nameservers' addresses (glue or looked up) and
TTLs, SOA serials, DNSSEC state (where the JSON has it), the answer and the
outcome, and which findings appeared or went away. Lines starting with "-"
are the old trace's, with "+" the new one's, as in a patch.

Which servers were asked, in what order and how long they took are not
changes; with --timings MIN, a server whose fastest reply got slower or faster
by MIN or more is. A fact only one trace could see (the address of a
nameserver that only one walk looked up) is not a change either.

OLD and NEW may each be a JSON Lines file of nstrace -f ... -o jsonl: traces
are matched by question (name, type and class), and questions traced in one
file only are listed. "-" reads one of them from stdin.

` + exitHelp(diffExits),
		Example: `  nstrace example.com -o json > before.json
  nstrace diff before.json <(nstrace example.com -o json)
  nstrace example.com --diff before.json
  nstrace diff -o json monday.jsonl tuesday.jsonl | jq '.traces[] | select(.status != "same")'`,
		Args:          cobra.ExactArgs(2),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(o, args[0], args[1], cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text (for people, as a patch) or json (docs/diff.md)")
	f.BoolVar(&o.json, "json", false, "same as --output json")
	f.StringVar(&o.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.DurationVar(&o.diff.timings, "timings", 0, "count as a change a server's round-trip time that differs by at least `MIN` (e.g. 50ms); 0, the default, compares no timings")
	completeFlags(cmd, map[string][]string{"output": diffFormats})
	return cmd
}

// runDiff compares the traces of the files old and new ("-" for stdin).
func runDiff(o options, old, new string, stdin io.Reader, stdout io.Writer) error {
	if old == "-" && new == "-" {
		return usageError{errors.New("OLD and NEW cannot both be stdin (-)")}
	}
	if o.diff.timings < 0 {
		return usageError{fmt.Errorf("--timings %v: want a duration of 0 or more", o.diff.timings)}
	}
	olds, err := readTraces(old, stdin)
	if err != nil {
		return err
	}
	news, err := readTraces(new, stdin)
	if err != nil {
		return err
	}
	results, err := diff.Compare(olds, news, diff.Options{RTT: o.diff.timings})
	if err != nil {
		return usageError{err}
	}
	if err := writeDiff(o, results, old, new, stdout); err != nil {
		return err
	}
	if diff.Differ(results) {
		return exitError{code: exitChanged} // the changes say it: no line on stderr, as diff(1)
	}
	return nil
}

// readTraces reads the traces of the file name, or of stdin for "-".
func readTraces(name string, stdin io.Reader) ([]*diff.Trace, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageError{err}
		}
		defer f.Close()
		r = f
	}
	ts, err := diff.Read(r)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: %w", diffSource(name), err)}
	}
	return ts, nil
}

func diffSource(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// writeDiff writes results as -o (or --json) says.
func writeDiff(o options, results []diff.Result, old, new string, stdout io.Writer) error {
	if o.json {
		o.output = "json"
	}
	ro, err := renderOptions(o.color, false, stdout)
	if err != nil {
		return usageError{err}
	}
	do := render.DiffOptions{Options: ro, Old: diffSource(old), New: diffSource(new)}
	switch o.output {
	case "text", "tree":
		return render.Diff(stdout, results, do)
	case "json":
		return render.DiffJSON(stdout, results, do)
	}
	return usageError{fmt.Errorf("unknown output format %q (want text or json)", o.output)}
}

// runAgainst runs nstrace NAME --diff OLD: the trace, written as JSON to a
// buffer and read back, so that it is compared exactly as a saved one is,
// then the changes since OLD. The exit code is the trace's, or
// exitDiffers when it is 0 and something changed.
func runAgainst(ctx context.Context, o options, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.compare {
		return usageError{errCompare}
	}
	switch {
	case o.batch.file != "" || o.output == "jsonl":
		return usageError{errors.New("--diff compares one trace; for a list, save it with -o jsonl and use nstrace diff")}
	case o.json:
		o.output = "json"
	case o.output == "tree":
		o.output = "text"
	case o.output != "json":
		return usageError{fmt.Errorf("with --diff, -o is tree (the changes for people) or json, not %q", o.output)}
	}
	olds, err := readTraces(o.diff.against, stdin)
	if err != nil {
		return err
	}
	traced := o
	traced.output, traced.json, traced.live, traced.noTimings = "json", false, "never", false
	var buf bytes.Buffer
	traceErr := run(ctx, traced, args, &buf, stderr)
	if buf.Len() == 0 {
		return traceErr // no trace: a usage error, or Ctrl-C before the walk
	}
	news, err := diff.Read(&buf)
	if err != nil {
		return err
	}
	if len(olds) > 1 {
		// A list: the traces of this question in it.
		q := news[0].Question
		if olds = diff.Of(olds, q); len(olds) == 0 {
			return usageError{fmt.Errorf("%s: no trace of %s", o.diff.against, q)}
		}
	}
	results, err := diff.Compare(olds, news, diff.Options{})
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", o.diff.against, err)}
	}
	if err := writeDiff(o, results, o.diff.against, "now", stdout); err != nil {
		return err
	}
	if traceErr == nil && diff.Differ(results) {
		return exitError{code: exitDiffers, msg: fmt.Sprintf("changed since %s: %d changes", o.diff.against, len(results[0].Changes))}
	}
	return traceErr
}
