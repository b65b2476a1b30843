package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/batch"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

// Batch mode: nstrace -f FILE traces every name of a list with package
// batch, and writes each trace, or a row of the summary table, as the
// traces come back in the list's order.

// batchFlags are the flags of batch mode.
type batchFlags struct {
	file    string // -f FILE, "-" for stdin
	jobs    int    // -j N
	verbose bool   // -v: every finding, and with -f every tree
	shard   string // --shard K/N or auto/N
}

// batchModeFlags binds the flags of batch mode.
func batchModeFlags(f *pflag.FlagSet, b *batchFlags) {
	f.StringVarP(&b.file, "file", "f", "", "trace every name listed in `FILE` (- for stdin): one NAME [TYPE] a line, # starts a comment")
	f.IntVarP(&b.jobs, "jobs", "j", batch.DefaultJobs, "with -f, trace `N` names at once")
	f.BoolVarP(&b.verbose, "verbose", "v", false, "show every finding, ns-ttl-mismatch too (JSON has them all); with -f, write every trace's tree, not the summary table")
	f.StringVar(&b.shard, "shard", "", "with -f, trace only shard `K/N` of the list, K from 0 to N-1: the names whose FNV-1a hash falls in it (README); auto/N takes K from "+batch.IndexEnv)
}

// errShardNoList is the error of --shard without -f.
var errShardNoList = usageError{errors.New("--shard splits a list: give it with -f FILE")}

// listShard reads --shard: the zero Shard, the whole list, when it is not
// given.
func listShard(b batchFlags) (batch.Shard, error) {
	if b.shard == "" {
		return batch.Shard{}, nil
	}
	s, err := batch.ParseShard(b.shard, os.LookupEnv)
	if err != nil {
		return batch.Shard{}, fmt.Errorf("--shard %w", err)
	}
	return s, nil
}

// batchMode reports whether o asks for batch mode: a list of names, or
// JSON Lines, which is batch mode's output even for one name.
func (o options) batchMode() bool { return o.batch.file != "" || o.output == "jsonl" }

// batchTotals is what a batch wrote, for its exit code and last line.
type batchTotals struct {
	written, failed, findings, bad int
	readErr                        bool // the list could not be read to its end
	worst                          int
	first                          error // the first name's error, for one name given as arguments
	// interrupted is set when Ctrl-C or SIGTERM stopped the batch before the list
	// was done; resume is then the line of the first name not written, 0
	// when the rest of the list was not read.
	interrupted bool
	resume      int
	// offline is set when this host cannot reach any root server: the
	// batch ended there, with this error as its one line.
	offline error
}

// batchWriter writes a batch's results as they come, in the list's order.
type batchWriter struct {
	// render writes one trace; nil when only the summary table is written.
	render    func(io.Writer, *trace.Trace) error
	summary   *render.Summary // nil for JSON Lines and the dig layout
	verbose   bool            // the summary counts, and render writes each trace
	threshold failOnFlag
	source    string // the list's name in messages: the file, or "stdin"
	out       *bufio.Writer
	buf       bytes.Buffer // one trace, rendered
	p         *progress
	stderr    io.Writer
	tot       batchTotals
}

// runBatch runs batch mode: the names of o.batch.file (stdin for "-"), or
// with -o jsonl and no -f the one name args give, traced and written as
// the flags say. Its error decides the exit code, as run's does; for a
// list, it is an exitError with the worst of the names' exit codes, or
// exitInterrupted (exitTerminated for SIGTERM).
func runBatch(ctx context.Context, o options, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.compare {
		return usageError{errCompare}
	}
	if o.json || o.output == "json" {
		o.output = "jsonl" // a stream of documents is JSON Lines
	}
	if o.batch.jobs < 1 {
		return usageError{fmt.Errorf("-j must be at least 1, not %d", o.batch.jobs)}
	}
	shard, err := listShard(o.batch)
	if err != nil {
		return usageError{err}
	}
	w, err := newBatchWriter(o, stdout, stderr)
	if err != nil {
		return usageError{err}
	}
	names, one, closeList, err := batchNames(&o, args, stdin)
	if err != nil {
		return usageError{err}
	}
	defer closeList()
	names = shard.Filter(names)
	w.source = batchSource(o.batch.file)
	ropts, closeLab, err := engineOptions(o)
	if err != nil {
		return err
	}
	defer closeLab()
	ropts.Cache = resolver.NewCache()
	r, err := resolver.New(ropts)
	if err != nil {
		return usageError{err}
	}
	if !one {
		w.p = newProgress(stdout, stderr, listLength(o.batch.file, shard, stderr))
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = w.writeAll(batch.Run(ctx, batch.Options{Resolver: r, Jobs: o.batch.jobs}, names), cancel)
	w.p.finish()
	if err != nil {
		return err
	}
	if w.summary != nil && w.tot.offline == nil {
		w.summary.Total(time.Since(start))
	}
	if err := w.out.Flush(); err != nil {
		return err
	}
	return w.verdict(ctx, one)
}

// newBatchWriter makes the writer of the output o asks for.
func newBatchWriter(o options, stdout, stderr io.Writer) (*batchWriter, error) {
	ro, err := renderOptions(o.color, o.noTimings, stdout)
	if err != nil {
		return nil, err
	}
	ro.Verbose, ro.NoFix = o.batch.verbose, o.noFix
	w := &batchWriter{threshold: o.failOn, verbose: o.batch.verbose, out: bufio.NewWriter(stdout), stderr: stderr}
	switch o.output {
	case "jsonl":
		w.render = func(w io.Writer, t *trace.Trace) error { return render.JSONLine(w, t, ro) }
	case "tree", "dig":
		if o.output == "tree" {
			w.summary = render.NewSummary(w.out, ro)
			if !w.verbose {
				break
			}
		}
		out, err := newOutput(o.output, ro)
		if err != nil {
			return nil, err
		}
		w.render = out.render
	default:
		return nil, fmt.Errorf("-o %s draws one trace; with -f, use tree, jsonl or dig", o.output)
	}
	return w, nil
}

// batchNames gives the names to trace: those of the list -f names, or,
// without -f, the one the arguments give (one is then set). closeList
// closes the list's file.
func batchNames(o *options, args []string, stdin io.Reader) (names iter.Seq2[batch.Name, error], one bool, closeList func(), err error) {
	closeList = func() {}
	if o.batch.file == "" {
		q, err := parseArgs(args, o.dig, o.engine.Port)
		if err != nil {
			return nil, false, closeList, err
		}
		o.engine.Prime = q.server
		return func(yield func(batch.Name, error) bool) { yield(batch.Name{Question: q.Question}, nil) }, true, closeList, nil
	}
	qtype, err := listType(*o, args)
	if err != nil {
		return nil, false, closeList, err
	}
	input := stdin
	if o.batch.file != "-" {
		f, err := os.Open(o.batch.file)
		if err != nil {
			return nil, false, closeList, err
		}
		input, closeList = f, func() { f.Close() }
	}
	return batch.Read(input, batchSource(o.batch.file), qtype), false, closeList, nil
}

// listType checks the arguments and flags that go with -f, and gives the
// type of the lines that give none: A, or -t's.
func listType(o options, args []string) (uint16, error) {
	switch {
	case len(args) > 0:
		return 0, fmt.Errorf("with -f, the names come from %s; give no NAME as well (%q)", o.batch.file, args[0])
	case o.dig.qname != "" || o.dig.reverse != "":
		return 0, fmt.Errorf("-q and -x name one trace; with -f, the names come from %s", o.batch.file)
	}
	if o.dig.qclass != "" {
		if err := checkClass(o.dig.qclass); err != nil {
			return 0, err
		}
	}
	if o.dig.qtype != "" {
		return parseType(o.dig.qtype)
	}
	return dns.TypeA, nil
}

// batchSource is the name of the list -f names, in messages.
func batchSource(file string) string {
	if file == "-" {
		return "stdin"
	}
	return file
}

// writeAll writes the results until they run out. On a failed write it
// cancels the run and drains it.
func (w *batchWriter) writeAll(results <-chan batch.Result, cancel context.CancelFunc) error {
	for {
		var r batch.Result
		var ok bool
		select {
		case r, ok = <-results:
		default:
			// Nothing else is ready: let what is done be seen.
			if err := w.p.stdout(w.out.Flush); err != nil {
				return drain(results, cancel, err)
			}
			r, ok = <-results
		}
		if !ok {
			return nil
		}
		if err := w.take(r); err != nil {
			return drain(results, cancel, err)
		}
	}
}

// drain cancels a run, waits for its end, and returns err.
func drain(results <-chan batch.Result, cancel context.CancelFunc, err error) error {
	cancel()
	for range results {
	}
	return err
}

// take writes or counts one result.
func (w *batchWriter) take(r batch.Result) error {
	var bad *batch.LineError
	switch {
	case errors.Is(r.Err, batch.ErrInterrupted):
		w.tot.interrupted, w.tot.resume = true, r.Line
	case offline(r.Err):
		w.tot.offline = r.Err
	case errors.As(r.Err, &bad):
		w.tot.bad++
		w.tot.worse(exitUsage)
		w.p.println(w.stderr, "nstrace: "+bad.Error())
		w.p.add(false)
	case r.Trace == nil && r.Line == 0: // the one name of the arguments, refused
		w.tot.first = usageError{r.Err}
		w.tot.worse(exitUsage)
	case r.Trace == nil: // the list could not be read to its end
		w.tot.readErr = true
		w.tot.worse(exitUsage)
		w.p.println(w.stderr, "nstrace: "+r.Err.Error())
	default:
		return w.write(r)
	}
	return nil
}

// write writes one trace in its turn, and counts it on the progress bar.
// With the bar on stdout's terminal, each is flushed at once, before the
// bar is drawn again.
func (w *batchWriter) write(r batch.Result) error {
	err := r.Err
	if err == nil {
		err = checkFindings(r.Trace, w.threshold)
	}
	w.buf.Reset()
	if w.render != nil {
		if rerr := w.render(&w.buf, r.Trace); rerr != nil {
			err = rerr
		}
		if w.summary != nil {
			w.buf.WriteByte('\n') // trees, with -v, each followed by a blank line
		}
	}
	werr := w.p.stdout(func() error {
		if _, err := w.out.Write(w.buf.Bytes()); err != nil {
			return err
		}
		if w.verbose && w.summary != nil {
			w.summary.Count(r.Trace)
		} else if w.summary != nil {
			if err := w.summary.Row(r.Trace); err != nil {
				return err
			}
		}
		if w.p != nil && w.p.erase {
			return w.out.Flush()
		}
		return nil
	})
	w.tot.count(err)
	w.p.add(exitCode(err) == exitFailed)
	return werr
}

// count counts a name written, whose error is err.
func (tot *batchTotals) count(err error) {
	tot.written++
	if tot.written == 1 {
		tot.first = err
	}
	code := exitCode(err)
	switch code {
	case exitFailed:
		tot.failed++
	case exitFindings:
		tot.findings++
	}
	tot.worse(code)
}

// worse makes code the batch's exit code if it is worse than the one so far.
func (tot *batchTotals) worse(code int) {
	if exitRank(code) > exitRank(tot.worst) {
		tot.worst = code
	}
}

// verdict gives the batch's end: nil, or its exit code with one line.
func (w *batchWriter) verdict(ctx context.Context, one bool) error {
	tot := w.tot
	if tot.offline != nil {
		return tot.offline
	}
	if tot.interrupted {
		code, word := interruption(ctx)
		msg := fmt.Sprintf("%s: %s written, in input order", word, batchPlural(tot.written, "trace", "traces"))
		switch {
		case one:
		case tot.resume > 0:
			msg += fmt.Sprintf("; the rest start at %s:%d", w.source, tot.resume)
		default:
			msg += fmt.Sprintf("; the rest were not read from %s", w.source)
		}
		return exitError{code: code, msg: msg}
	}
	if one {
		return tot.first
	}
	if tot.worst == exitOK {
		return nil
	}
	var parts []string
	if tot.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s failed", tot.failed, batchPlural(tot.written, "name", "names")))
	}
	if tot.findings > 0 {
		th := trace.Severity(w.threshold.String())
		what := "with " + string(th) + " findings"
		if th != trace.SeverityError {
			what = "with findings at or above " + string(th)
		}
		parts = append(parts, fmt.Sprintf("%d of %s %s", tot.findings, batchPlural(tot.written, "name", "names"), what))
	}
	if tot.bad > 0 {
		parts = append(parts, fmt.Sprintf("%s in %s", batchPlural(tot.bad, "bad line", "bad lines"), w.source))
	}
	if tot.readErr {
		parts = append(parts, fmt.Sprintf("%s could not be read to its end", w.source))
	}
	return exitError{code: tot.worst, msg: strings.Join(parts, "; ")}
}

// listLength is the number of lines of a list that name something (in
// shard), for the progress bar's total; 0 when that cannot be known beforehand (a
// pipe, an unreadable file), or when there is no bar to draw.
func listLength(path string, shard batch.Shard, stderr io.Writer) int {
	if !isTerminal(stderr) || path == "-" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for range shard.Filter(batch.Read(f, path, dns.TypeA)) {
		n++ // a name or a bad line: each moves the bar
	}
	return n
}
