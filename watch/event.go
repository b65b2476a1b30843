package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/diff"
	"github.com/nstrace/nstrace/trace/render"
)

// An Event says that a name's trace differs from the one before: a
// finding appeared or cleared, an NS set, glue, SOA serial, answer,
// outcome or DNSSEC state changed. Written as one JSON object a line
// (JSON Lines); docs/metrics.md describes it.
type Event struct {
	// Time is when the new trace started, RFC 3339 in UTC.
	Time     time.Time `json:"time"`
	Question Question  `json:"question"`
	// Outcome is the new trace's outcome: answer, cname, nxdomain,
	// nodata or failed.
	Outcome string `json:"outcome"`
	// Kinds are the kinds of the changes (diff.Kind: "ns", "finding",
	// ...), each once, in the order of diff.Compare's changes.
	Kinds []string `json:"kinds"`
	// Diff is what nstrace diff -o json writes for the two traces
	// (docs/diff.md), "old" being "previous" and "new" "current".
	Diff json.RawMessage `json:"diff"`
}

// Question is the question of a watched name, as the JSON of a trace
// writes it.
type Question struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Class string `json:"class"`
}

// compare writes an Event when cur, the trace t, differs from old, and
// reports whether it did.
func (w *Watcher) compare(old, cur *diff.Trace, t *trace.Trace) bool {
	results, err := diff.Compare([]*diff.Trace{old}, []*diff.Trace{cur}, diff.Options{})
	if err != nil || !diff.Differ(results) {
		return false
	}
	var doc bytes.Buffer
	if err := render.DiffJSON(&doc, results, render.DiffOptions{Old: "previous", New: "current"}); err != nil {
		w.logf("%s: %v", t.Question.Name, err)
		return false
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc.Bytes()); err != nil {
		w.logf("%s: %v", t.Question.Name, err)
		return false
	}
	ev := Event{
		Time:     t.Started.UTC(),
		Question: Question{Name: t.Question.Name, Type: dns.TypeToString[t.Question.Qtype], Class: "IN"},
		Outcome:  string(t.Outcome),
		Diff:     compact.Bytes(),
	}
	for _, c := range results[0].Changes {
		if !slices.Contains(ev.Kinds, string(c.Kind)) {
			ev.Kinds = append(ev.Kinds, string(c.Kind))
		}
	}
	w.emit(ev)
	return true
}

// emit writes ev to Options.Events and runs Options.Exec with it.
func (w *Watcher) emit(ev Event) {
	line, err := json.Marshal(ev)
	if err != nil {
		w.logf("event: %v", err)
		return
	}
	line = append(line, '\n')
	w.metrics.event()
	if w.o.Events != nil {
		if _, err := w.o.Events.Write(line); err != nil {
			w.logf("writing an event: %v", err)
		}
	}
	if len(w.o.Exec) > 0 {
		w.run(line)
	}
}

// run runs Options.Exec with line on its standard input, its output
// going to Options.Log (never to Events), and logs why it failed, if it
// did.
func (w *Watcher) run(line []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), w.o.ExecTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.o.Exec[0], w.o.Exec[1:]...)
	cmd.Stdin = bytes.NewReader(line)
	cmd.Stdout, cmd.Stderr = w.o.Log, w.o.Log
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		w.metrics.execFailed()
		if ctx.Err() != nil {
			err = fmt.Errorf("killed after %v", w.o.ExecTimeout)
		}
		w.logf("running %s: %v", w.o.Exec[0], err)
	}
}

// logf writes one line to Options.Log.
func (w *Watcher) logf(format string, args ...any) {
	if w.o.Log == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.o.Log, "nstrace watch: "+format+"\n", args...)
}
