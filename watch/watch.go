// Package watch traces a list of names again and again, on a schedule,
// and says what changed: it keeps, for Prometheus, what the last traces
// found of each name, each zone crossed and each server asked (Metrics),
// and writes an Event, carrying the nstrace diff of the two traces, each
// time a name's trace differs from the one before.
//
// A cycle traces every name with package batch, through one
// resolver.Cache kept for the whole watch: what the parents said (their
// referrals, the nameservers' addresses, the check of each zone's servers)
// is reused while its TTL lasts, and each name's own question is asked
// again every cycle (Cache.ForgetAnswers), so that a watch of many names
// under one zone asks each parent once per TTL and each name's servers
// once per cycle.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nstrace/nstrace/batch"
	"github.com/nstrace/nstrace/resolver"
)

// DefaultEvery is the time between the starts of two cycles when
// Options.Every is zero.
const DefaultEvery = 5 * time.Minute

// Jitter is the share of Options.Every by which each wait between cycles
// is made longer or shorter at random, so that watches started together
// (the replicas of a Deployment, every host of a fleet) drift apart
// instead of asking the same servers at the same moment.
const Jitter = 0.1

// DefaultExecTimeout bounds each run of Options.Exec when
// Options.ExecTimeout is zero.
const DefaultExecTimeout = 30 * time.Second

// Options configures a Watcher.
type Options struct {
	// Resolver configures the resolver that traces the names; its Cache is
	// the watch's own, made by New and kept for the whole watch.
	Resolver resolver.Options
	// Names are the names to watch, in the order of the list. A Name's
	// Line, Source and Question are those of batch.Read.
	Names []batch.Name
	// Every is the time between the starts of two cycles, made longer or
	// shorter by up to Jitter at random; 0 means DefaultEvery. A cycle that
	// takes longer is followed at once by the next.
	Every time.Duration
	// Jobs is how many names are traced at once; 0 means batch.DefaultJobs.
	Jobs int
	// Cycles, when positive, ends Run after that many cycles; 0 runs until
	// ctx is done.
	Cycles int
	// Events receives an Event, one JSON object a line, for each name
	// whose trace changed; nil writes none.
	Events io.Writer
	// Exec, when not empty, is a command (its path or name, then its
	// arguments) run for each Event, with the event's line on its standard
	// input; no shell is involved unless Exec names one.
	Exec []string
	// ExecTimeout bounds each run of Exec; 0 means DefaultExecTimeout.
	ExecTimeout time.Duration
	// Log receives one line for each trouble that does not stop the
	// watch (a command of Exec that failed), and Exec's output; nil drops
	// them.
	Log io.Writer
	// Verbose writes to Log a line at the end of each cycle, too.
	Verbose bool
	// MetricsFile, when set, is written after each cycle with the
	// metrics, in Prometheus's text format, through a temporary file
	// renamed over it (as node_exporter's textfile collector wants).
	MetricsFile string
	// AfterCycle, when set, is called after each cycle with its number,
	// from 1, before the wait for the next. Tests change a lab there.
	AfterCycle func(cycle int)
	// now and rand are time.Now and the jitter's source; tests set them.
	now  func() time.Time
	rand func() float64
}

// A Watcher runs a watch. Make it with New; its methods are safe for
// concurrent use (Metrics is scraped while Run runs).
type Watcher struct {
	o       Options
	res     *resolver.Resolver
	cache   *resolver.Cache
	metrics *Metrics
	reg     *prometheus.Registry // see Registry
	names   []*name              // in the order of Options.Names

	mu      sync.Mutex
	lastEnd time.Time // when the last cycle ended
	started time.Time
}

// New checks o and makes a Watcher of it.
func New(o Options) (*Watcher, error) {
	switch {
	case len(o.Names) == 0:
		return nil, errors.New("watch: no names")
	case o.Every < 0:
		return nil, fmt.Errorf("watch: negative interval %v", o.Every)
	case o.Cycles < 0:
		return nil, fmt.Errorf("watch: negative cycle count %d", o.Cycles)
	}
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	if o.ExecTimeout <= 0 {
		o.ExecTimeout = DefaultExecTimeout
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.rand == nil {
		o.rand = rand.Float64
	}
	w := &Watcher{o: o, cache: resolver.NewCache(), metrics: newMetrics(o.now)}
	ro := o.Resolver
	ro.Cache = w.cache
	var err error
	if w.res, err = resolver.New(ro); err != nil {
		return nil, err
	}
	for _, n := range o.Names {
		w.names = append(w.names, &name{q: n.Question})
	}
	w.metrics.setNames(len(w.names))
	w.reg = newRegistry(w.metrics)
	return w, nil
}

// Registry is the Prometheus registry of the watch's metrics: a registry
// of its own, not the library's global one, holding the watch's Metrics and
// the Go runtime's and the process's (memory, CPU, open files), so that
// nothing else linked into the program adds to what is served.
func (w *Watcher) Registry() *prometheus.Registry { return w.reg }

// Run runs cycles until ctx is done or Options.Cycles are over, and returns
// nil then. A cycle cut short by ctx changes nothing but the names traced
// to their end.
func (w *Watcher) Run(ctx context.Context) error {
	w.mu.Lock()
	w.started = w.o.now()
	w.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for n := 1; ; n++ {
		start := w.o.now()
		w.cycle(ctx, n)
		if ctx.Err() != nil {
			return nil
		}
		w.mu.Lock()
		w.lastEnd = w.o.now()
		w.mu.Unlock()
		if w.o.MetricsFile != "" {
			if err := prometheus.WriteToTextfile(w.o.MetricsFile, w.reg); err != nil {
				w.logf("writing the metrics: %v", err)
			}
		}
		if w.o.AfterCycle != nil {
			w.o.AfterCycle(n)
		}
		if w.o.Cycles > 0 && n >= w.o.Cycles {
			return nil
		}
		timer.Reset(w.wait(start))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// wait is how long to wait, after a cycle that started at start, for the
// next: Every, jittered, from start.
func (w *Watcher) wait(start time.Time) time.Duration {
	every := float64(w.o.Every) * (1 + Jitter*(2*w.o.rand()-1))
	return max(0, time.Duration(every)-w.o.now().Sub(start))
}

// Healthy reports whether the watch is running its cycles: no cycle has
// ended yet, or the last ended less than three intervals ago.
func (w *Watcher) Healthy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last := w.lastEnd
	if last.IsZero() {
		last = w.started
	}
	return last.IsZero() || w.o.now().Sub(last) < 3*w.o.Every+time.Minute
}
