package watch

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/nstrace/nstrace/batch"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/diff"
	"github.com/nstrace/nstrace/trace/render"
)

// name is what the watch keeps of one name between cycles.
type name struct {
	q trace.Question
	// last is the last trace of the name, read as nstrace diff reads a
	// saved one, for the next trace's diff; nil before the first.
	last *diff.Trace
	// findings are those the watch counts for the name (see settle).
	findings []evidenced
}

// cycle traces every name once and keeps what the traces found.
func (w *Watcher) cycle(ctx context.Context, n int) {
	// The parents' replies stay while their TTL lasts; each name's own
	// question is asked again.
	w.cache.ForgetAnswers()
	start := w.o.now()
	c := newCycle(len(w.names))
	results := batch.Run(ctx, batch.Options{Resolver: w.res, Jobs: w.o.Jobs}, w.list())
	for r := range results {
		if r.Trace == nil {
			// Interrupted, or this host cannot reach any root server: the
			// names not traced keep what they had, marked stale.
			c.complete = false
			continue
		}
		w.take(r.Line-1, r, c)
	}
	if ctx.Err() != nil {
		return
	}
	took := w.o.now().Sub(start)
	w.metrics.endCycle(c, took)
	if w.o.Verbose {
		w.logf("cycle %d: %s traced, %d failed, %s, %s in %v", n, plural(c.names, "name"), c.failed, plural(c.events, "event"), plural(c.queries, "query"), took.Round(time.Millisecond))
	}
}

// plural writes n and what it counts, in the plural unless n is 1.
func plural(n int, what string) string {
	switch {
	case n == 1:
		return "1 " + what
	case strings.HasSuffix(what, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// list gives the names as batch.Run takes them, each with its index in
// w.names, from 1, as its Line.
func (w *Watcher) list() iter.Seq2[batch.Name, error] {
	return func(yield func(batch.Name, error) bool) {
		for i, n := range w.names {
			if !yield(batch.Name{Line: i + 1, Question: n.q}, nil) {
				return
			}
		}
	}
}

// take keeps the trace of the name at index i: its metrics, what it says
// of zones and servers, and an Event when it differs from the one before.
func (w *Watcher) take(i int, r batch.Result, c *cycle) {
	n := w.names[i]
	n.findings = settle(r.Trace, n.findings)
	c.traced[i] = true
	c.names++
	c.queries += r.Trace.Queries
	if r.Err != nil {
		c.failed++
	}
	c.add(r.Trace)
	w.metrics.trace(i, r.Trace, r.Err == nil)
	var buf bytes.Buffer
	if err := render.JSON(&buf, r.Trace, render.Options{}); err != nil {
		w.logf("%s: %v", n.q.Name, err)
		return
	}
	ts, err := diff.Read(&buf)
	if err != nil {
		w.logf("%s: %v", n.q.Name, err)
		return
	}
	cur := ts[0]
	if n.last != nil && w.compare(n.last, cur, r.Trace) {
		c.events++
	}
	n.last = cur
}
