package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

// Batch mode: nstrace -f FILE traces every name of a list, -j at a time,
// with one resolver.Cache for the run, so that the root and each TLD and
// zone are asked once, not once per name. Output comes in input order: a
// finished trace waits in a reorder buffer until those before it are
// written, and names are read at most batchWindow × -j ahead of the first
// not yet written, so the buffer, and the memory, stay bounded however
// long the list.

const (
	// defaultJobs is how many names are traced at once without -j.
	defaultJobs = 8
	// batchWindow bounds the names, per job, read ahead of the first name
	// whose trace is not written yet.
	batchWindow = 16
)

// batchFlags are the flags of batch mode.
type batchFlags struct {
	file    string // -f FILE, "-" for stdin
	jobs    int    // -j N
	verbose bool   // -v
}

// batchModeFlags binds the flags of batch mode.
func batchModeFlags(f *pflag.FlagSet, b *batchFlags) {
	f.StringVarP(&b.file, "file", "f", "", "trace every name listed in `FILE` (- for stdin): one NAME [TYPE] a line, # starts a comment")
	f.IntVarP(&b.jobs, "jobs", "j", defaultJobs, "with -f, trace `N` names at once")
	f.BoolVarP(&b.verbose, "verbose", "v", false, "with -f, write every trace's tree, not the summary table")
}

// batchMode reports whether o asks for batch mode: a list of names, or
// JSON Lines, which is batch mode's output even for one name.
func (o options) batchMode() bool { return o.batch.file != "" || o.output == "jsonl" }

// batchJob is one name to trace.
type batchJob struct {
	seq  int // its place among the names, from 0
	line int // its line in the input, from 1
	q    query
}

// batchResult is one name traced.
type batchResult struct {
	batchJob
	t   *trace.Trace // for the summary table; nil when it is not written
	out []byte       // the trace as written: a JSON line, a tree…
	err error        // what decides its exit code: the walk's, or its findings'
	// interrupted is set when Ctrl-C came before the trace was over: it
	// is not written, and neither is any name after it.
	interrupted bool
}

// batch is one run of batch mode.
type batch struct {
	r         *resolver.Resolver
	jobs      int
	threshold failOnFlag
	// render writes one trace for the output; nil when only the summary
	// table is written.
	render  func(io.Writer, *trace.Trace) error
	summary *render.Summary // nil for JSON Lines and the dig layout
	verbose bool            // the summary counts, and render writes each trace
	source  string          // the input's name in messages: the file, or "stdin"
	p       *progress
	stderr  io.Writer
	bad     atomic.Int64 // bad lines in the input
}

// batchTotals is what a batch did, for its exit code and last line.
type batchTotals struct {
	written, failed, findings int
	bad                       int64
	readErr                   bool // the input could not be read to its end
	worst                     int
	first                     error // the first name's error, for one name given as arguments
	// resume is the input line of the first name not written when the
	// batch was interrupted; 0 when every name read was written.
	resume int
	eof    bool // every line of the input was read
	peak   int  // the most traces that waited in the reorder buffer at once
}

// runBatch runs batch mode: the names of o.batch.file (stdin for "-"), or
// with -o jsonl and no -f the one name args give, traced and written as
// the flags say. Its error decides the exit code, as run's does; for a
// list, it is an exitError with the worst of the names' exit codes, or
// exitInterrupted.
func runBatch(ctx context.Context, o options, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.json || o.output == "json" {
		o.output = "jsonl" // a stream of documents is JSON Lines
	}
	if o.batch.jobs < 1 {
		return usageError{fmt.Errorf("-j must be at least 1, not %d", o.batch.jobs)}
	}
	ro, err := renderOptions(o.color, o.noTimings, stdout)
	if err != nil {
		return usageError{err}
	}
	b := &batch{jobs: o.batch.jobs, threshold: o.failOn, verbose: o.batch.verbose, stderr: stderr}
	switch o.output {
	case "jsonl":
		b.render = func(w io.Writer, t *trace.Trace) error { return render.JSONLine(w, t, ro) }
	case "tree", "dig":
		if o.output == "tree" && !b.verbose {
			break
		}
		out, err := newOutput(o.output, ro)
		if err != nil {
			return usageError{err}
		}
		b.render = out.render
	default:
		return usageError{fmt.Errorf("-o %s draws one trace; with -f, use tree, jsonl or dig", o.output)}
	}

	// The names: from the file, or the one the arguments give.
	var input io.Reader
	var one *query
	defaultType := uint16(dns.TypeA)
	if o.batch.file == "" {
		q, err := parseArgs(args, o.dig, o.engine.Port)
		if err != nil {
			return usageError{err}
		}
		o.engine.Prime = q.server
		one = &q
	} else {
		switch {
		case len(args) > 0:
			return usageError{fmt.Errorf("with -f, the names come from %s; give no NAME as well (%q)", o.batch.file, args[0])}
		case o.dig.qname != "" || o.dig.reverse != "":
			return usageError{fmt.Errorf("-q and -x name one trace; with -f, the names come from %s", o.batch.file)}
		}
		if o.dig.qtype != "" {
			if defaultType, err = parseType(o.dig.qtype); err != nil {
				return usageError{err}
			}
		}
		if o.dig.qclass != "" {
			if err := checkClass(o.dig.qclass); err != nil {
				return usageError{err}
			}
		}
		b.source = o.batch.file
		if o.batch.file == "-" {
			input, b.source = stdin, "stdin"
		} else {
			f, err := os.Open(o.batch.file)
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			input = f
		}
	}

	if err := digLikeEngine(&o); err != nil {
		return usageError{err}
	}
	if err := checkEngine(o.engine); err != nil {
		return usageError{err}
	}
	ropts, closeLab, err := resolverOptions(o)
	if err != nil {
		return err
	}
	defer closeLab()
	ropts.Cache = resolver.NewCache()
	if b.r, err = resolver.New(ropts); err != nil {
		return usageError{err}
	}

	// The progress bar, for a list, with its length when it can be known
	// beforehand.
	if one == nil {
		total := 0
		if isTerminal(stderr) && o.batch.file != "-" {
			total = countNames(o.batch.file)
		}
		b.p = newProgress(stdout, stderr, total)
	}

	start := time.Now()
	out := bufio.NewWriter(stdout)
	if o.output == "tree" {
		b.summary = render.NewSummary(out, ro)
	}
	var tot batchTotals
	var runErr error
	if one != nil {
		tot, runErr = b.run(ctx, func(yield func(batchJob) bool) error {
			yield(batchJob{line: 1, q: *one})
			return nil
		}, out)
	} else {
		tot, runErr = b.run(ctx, b.read(input, defaultType), out)
	}
	b.p.finish()
	if runErr != nil {
		return runErr
	}
	if b.summary != nil {
		b.summary.Total(time.Since(start))
	}
	if err := out.Flush(); err != nil {
		return err
	}
	return b.verdict(ctx, tot, one != nil)
}

// verdict gives the batch's end: nil, or its exit code with one line.
func (b *batch) verdict(ctx context.Context, tot batchTotals, one bool) error {
	if ctx.Err() != nil && (tot.resume > 0 || !tot.eof) {
		msg := fmt.Sprintf("interrupted: %s written, in input order", batchPlural(tot.written, "trace", "traces"))
		switch {
		case one:
		case tot.resume > 0:
			msg += fmt.Sprintf("; the rest start at %s:%d", b.source, tot.resume)
		default:
			msg += fmt.Sprintf("; the rest were not read from %s", b.source)
		}
		return exitError{code: exitInterrupted, msg: msg}
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
		th := trace.Severity(b.threshold.String())
		what := "with " + string(th) + " findings"
		if th != trace.SeverityError {
			what = "with findings at or above " + string(th)
		}
		parts = append(parts, fmt.Sprintf("%d of %s %s", tot.findings, batchPlural(tot.written, "name", "names"), what))
	}
	if tot.bad > 0 {
		parts = append(parts, fmt.Sprintf("%s in %s", batchPlural(int(tot.bad), "bad line", "bad lines"), b.source))
	}
	if tot.readErr {
		parts = append(parts, fmt.Sprintf("%s could not be read to its end", b.source))
	}
	return exitError{code: tot.worst, msg: strings.Join(parts, "; ")}
}

// jobSource calls yield for each name to trace, in order, until yield
// returns false. It reports bad lines itself, as it reads them, and counts
// them in batch.bad; it returns an error only when the input cannot be read.
type jobSource func(yield func(batchJob) bool) error

// readState is what the reader of a batch's input ended with.
type readState struct {
	err    error
	unsent int  // the line of a name read and not handed out when stopped
	eof    bool // the input was read to its end
}

// run traces the names of src, b.jobs at a time, and writes them to out in
// input order as soon as each and all before it are done. On Ctrl-C (ctx
// done) it stops reading, cancels the traces under way, and writes the
// names done up to the first that was not.
func (b *batch) run(ctx context.Context, src jobSource, out *bufio.Writer) (batchTotals, error) {
	var tot batchTotals
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	window := b.jobs * batchWindow
	slots := make(chan struct{}, window) // one for each name read and not yet written
	jobs := make(chan batchJob)
	results := make(chan batchResult, window)

	// The reader: names in, at most window ahead of the writer. Reading
	// stdin cannot be cancelled, so nothing waits for the reader once ctx
	// is done; it tells how it ended on read.
	read := make(chan readState, 1)
	go func() {
		defer close(jobs)
		var st readState
		seq := 0
		st.err = src(func(j batchJob) bool {
			j.seq = seq
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				st.unsent = j.line
				return false
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				st.unsent = j.line
				return false
			}
			seq++
			return true
		})
		st.eof = st.unsent == 0 && st.err == nil
		read <- st
	}()

	// The workers, until the names run out or ctx is done.
	var workers sync.WaitGroup
	for range b.jobs {
		workers.Go(func() {
			for {
				select {
				case j, ok := <-jobs:
					if !ok {
						return
					}
					results <- b.trace(ctx, j)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		workers.Wait()
		close(results)
	}()

	// The writer, here: results in, in input order out.
	pending := map[int]batchResult{}
	next, stopped := 0, false
	var writeErr error
	fail := func(err error) {
		if writeErr == nil {
			writeErr, stopped = err, true
			cancel(err)
		}
	}
	for res := range results {
		pending[res.seq] = res
		tot.peak = max(tot.peak, len(pending))
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-slots
			if stopped {
				continue
			}
			if r.interrupted {
				stopped, tot.resume = true, r.line
				continue
			}
			if err := b.write(out, r); err != nil {
				fail(err)
				continue
			}
			tot.count(r)
		}
		if len(results) == 0 && !stopped {
			// Nothing else is ready: let what is done be seen.
			if err := b.p.stdout(out.Flush); err != nil {
				fail(err)
			}
		}
	}
	if writeErr != nil {
		return tot, writeErr
	}
	var st readState
	if ctx.Err() == nil {
		st = <-read // the names ran out: the reader is done
	} else {
		select {
		case st = <-read:
		default: // still waiting for input
		}
	}
	if tot.resume == 0 {
		tot.resume = st.unsent
	}
	tot.eof = st.eof
	tot.bad = b.bad.Load()
	if tot.bad > 0 {
		tot.worse(exitUsage)
	}
	if st.err != nil {
		b.p.println(b.stderr, fmt.Sprintf("nstrace: %s: %v", b.source, st.err))
		tot.readErr = true
		tot.worse(exitUsage)
	}
	return tot, nil
}

// count counts a name written.
func (tot *batchTotals) count(r batchResult) {
	tot.written++
	code := exitCode(r.err)
	if r.seq == 0 {
		tot.first = r.err
	}
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

// trace traces one name and renders it.
func (b *batch) trace(ctx context.Context, j batchJob) batchResult {
	res := batchResult{batchJob: j}
	t, err := b.r.Trace(ctx, j.q.Name, j.q.Qtype)
	if ctx.Err() != nil {
		res.interrupted = true
		return res
	}
	if t == nil {
		res.err = usageError{err}
		return res
	}
	if err == nil {
		err = checkFindings(t, b.threshold)
	}
	res.err = err
	if b.render != nil {
		var buf bytes.Buffer
		if err := b.render(&buf, t); err != nil {
			res.err = err
		}
		if b.summary != nil {
			buf.WriteByte('\n') // trees, with -v, each followed by a blank line
		}
		res.out = buf.Bytes()
	}
	if b.summary != nil {
		res.t = t
	}
	return res
}

// write writes one result in its turn, and counts it on the progress bar.
// With the bar on stdout's terminal, each is flushed at once, before the
// bar is drawn again.
func (b *batch) write(out *bufio.Writer, r batchResult) error {
	err := b.p.stdout(func() error {
		if _, err := out.Write(r.out); err != nil {
			return err
		}
		if b.summary != nil && r.t != nil {
			if b.verbose {
				b.summary.Count(r.t)
			} else if err := b.summary.Row(r.t); err != nil {
				return err
			}
		}
		if b.p != nil && b.p.erase {
			return out.Flush()
		}
		return nil
	})
	b.p.add(exitCode(r.err) == exitFailed)
	return err
}

// read gives the names of a list: one NAME [TYPE] a line, TYPE defaulting
// to qtype; blank lines and comments (from "#" to the end of the line)
// are skipped. A bad line is reported on stderr with its line number, and
// the rest of the list is read.
func (b *batch) read(r io.Reader, qtype uint16) jobSource {
	return func(yield func(batchJob) bool) error {
		sc := bufio.NewScanner(r)
		line := 0
		for sc.Scan() {
			line++
			text := sc.Text()
			if line == 1 {
				text = strings.TrimPrefix(text, "\ufeff") // a byte order mark
			}
			q, ok, err := parseBatchLine(text, qtype)
			if err != nil {
				b.bad.Add(1)
				b.p.println(b.stderr, fmt.Sprintf("nstrace: %s:%d: %v", b.source, line, err))
				b.p.add(false)
				continue
			}
			if ok && !yield(batchJob{line: line, q: q}) {
				return nil
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("line %d: %w", line+1, err)
		}
		return nil
	}
}

// parseBatchLine reads one line of a list: NAME [TYPE], with anything from
// "#" on a comment. ok is false for a line with no name.
func parseBatchLine(s string, qtype uint16) (q query, ok bool, err error) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	f := strings.Fields(s)
	switch len(f) {
	case 0:
		return q, false, nil
	case 1, 2:
	default:
		return q, false, fmt.Errorf("want NAME [TYPE], not %d words", len(f))
	}
	q.Qclass = dns.ClassINET
	if _, ok := dns.IsDomainName(f[0]); !ok {
		return q, false, fmt.Errorf("invalid domain name %q", f[0])
	}
	q.Name, q.Qtype = dns.CanonicalName(f[0]), qtype
	if len(f) == 2 {
		if q.Qtype, err = parseType(f[1]); err != nil {
			return q, false, err
		}
	}
	return q, true, nil
}

// countNames counts the lines of a list that name something, for the
// progress bar's total; 0 when that cannot be known beforehand (a pipe, an
// unreadable file).
func countNames(path string) int {
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
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		if strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")) != "" {
			n++
		}
	}
	return n
}
