// Package batch traces a list of names with one resolver, several at a
// time, and gives the traces back in the list's order, each diagnosed
// (trace.Diagnose). With a resolver.Cache shared by the resolver's traces,
// the root and each TLD and zone are asked once for the whole list, not once
// per name.
//
// Order costs little memory: a trace done before those above it waits in a
// reorder buffer, and names are read at most Window × Options.Jobs ahead of
// the first not yet given back, so the buffer stays bounded however long
// the list. Read reads a list of names from a file.
package batch

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

const (
	// DefaultJobs is how many names are traced at once when
	// Options.Jobs is zero.
	DefaultJobs = 8
	// Window bounds the names, per job, read ahead of the first name whose
	// Result is not given back yet.
	Window = 16
)

// ErrInterrupted is wrapped by the Err of the last Result of a Run whose
// ctx was done before every name of the list was traced.
var ErrInterrupted = errors.New("interrupted")

// A Name is one name of a list and where it was read.
type Name struct {
	Source   string // the list's name, as in errors; "" for none
	Line     int    // the name's line in the list, from 1; 0 for none
	Question trace.Question
}

// Options configures Run.
type Options struct {
	// Resolver traces the names; give it a resolver.Cache, so that what
	// one trace learns, the next reuses. It must not be nil.
	Resolver *resolver.Resolver
	// Jobs is how many names are traced at once; 0 means DefaultJobs.
	Jobs int
}

// A Result is one name of the list, traced, or an error of the list.
//
// Trace is set, with its findings, when the name was traced; Err is then
// the walk's error, nil when it reached an authoritative outcome. With no
// Trace, Err says why: a *LineError for a line that names nothing that can
// be traced, the error that stopped the list being read, or, last of all,
// ErrInterrupted: ctx was done, and Name is the first name not traced
// (Line 0 when the rest of the list was not read).
type Result struct {
	Name
	Trace *trace.Trace
	Err   error
}

// Run traces the names, o.Jobs at a time, and sends a Result for each name
// and each error of names, in the order names gives them, as soon as it and
// all before it are done. When ctx is done, it stops reading names, cancels
// the traces under way, sends the Results done up to the first that is
// not, then an ErrInterrupted Result, and closes the channel; a caller that
// stops reading early must cancel ctx and drain the channel. When a trace
// finds that this host cannot reach any root server (a
// *resolver.NoRouteError for "."), the run ends alike, with a Result
// without a Trace whose Err is that error, in place of ErrInterrupted.
func Run(ctx context.Context, o Options, names iter.Seq2[Name, error]) <-chan Result {
	r := newRun(ctx, o)
	go r.run(names)
	return r.out
}

// item is one Name of the list, or one error of it, on its way through a
// run: seq is its place in the list, from 0.
type item struct {
	Result
	seq int
	// interrupted is set when ctx was done before its trace was over: it
	// is not given back, and neither is any name after it.
	interrupted bool
}

// readState is what the reader of a run's names ended with.
type readState struct {
	unsent Name // a name read and not handed out when ctx was done
	eof    bool // the names ran out
}

// batchRun is the state of one Run: the reader, the workers and the
// reorderer, joined by channels.
type batchRun struct {
	ctx    context.Context
	cancel context.CancelFunc
	res    *resolver.Resolver
	jobs   int
	slots  chan struct{}  // one for each item read and not yet given back
	todo   chan item      // read, to trace
	done   chan item      // traced, in any order
	read   chan readState // how the reader ended
	out    chan Result    // in the list's order
	peak   int            // the most items that waited for their turn at once
	// offline is the error of the first trace that found that this host
	// cannot reach any root server.
	offline atomic.Pointer[error]
}

func newRun(ctx context.Context, o Options) *batchRun {
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs
	}
	ctx, cancel := context.WithCancel(ctx)
	return &batchRun{
		ctx: ctx, cancel: cancel, res: o.Resolver, jobs: jobs,
		slots: make(chan struct{}, jobs*Window),
		todo:  make(chan item),
		done:  make(chan item, jobs*Window),
		read:  make(chan readState, 1),
		out:   make(chan Result, jobs),
	}
}

// run reads, traces and reorders, and closes r.out when all is done.
func (r *batchRun) run(names iter.Seq2[Name, error]) {
	defer close(r.out)
	defer r.cancel()
	// Reading stdin cannot be cancelled, so nothing waits for the reader
	// once ctx is done; it tells how it ended on r.read.
	go r.readNames(names)
	var workers sync.WaitGroup
	for range r.jobs {
		workers.Go(r.work)
	}
	go func() {
		workers.Wait()
		close(r.done)
	}()
	r.reorder()
}

// readNames hands out the names, at most the window ahead of the
// reorderer.
func (r *batchRun) readNames(names iter.Seq2[Name, error]) {
	defer close(r.todo)
	var st readState
	seq := 0
	for n, err := range names {
		if !r.send(item{Result: Result{Name: n, Err: err}, seq: seq}) {
			st.unsent = n
			break
		}
		seq++
	}
	st.eof = st.unsent == (Name{})
	r.read <- st
}

// send hands it to the workers once a slot of the window is free; false
// when ctx is done first.
func (r *batchRun) send(it item) bool {
	select {
	case r.slots <- struct{}{}:
	case <-r.ctx.Done():
		return false
	}
	select {
	case r.todo <- it:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// work traces names until they run out or ctx is done.
func (r *batchRun) work() {
	for {
		select {
		case it, ok := <-r.todo:
			if !ok {
				return
			}
			if it.Err == nil {
				r.trace(&it)
			}
			r.done <- it
		case <-r.ctx.Done():
			return
		}
	}
}

// trace traces one name and diagnoses it.
func (r *batchRun) trace(it *item) {
	q := it.Question
	t, err := r.res.Trace(r.ctx, q.Name, q.Qtype)
	switch {
	case r.ctx.Err() != nil && !offline(err):
		it.interrupted = true
	case t == nil && it.Line > 0: // refused before any query
		it.Err = &LineError{Source: it.Source, Line: it.Line, Err: err}
	case t == nil:
		it.Err = err
	case offline(err):
		// No name can be traced: the run ends with err (see reorder).
		r.offline.CompareAndSwap(nil, &err)
		it.interrupted = true
		r.cancel()
	default:
		t.Findings = trace.Diagnose(t)
		it.Trace, it.Err = t, err
	}
}

// offline reports whether err says that this host cannot reach any root
// server: every other name would fail alike.
func offline(err error) bool {
	var nr *resolver.NoRouteError
	return errors.As(err, &nr) && nr.Zone == "."
}

// reorder gives back what the workers did, in the list's order, up to the
// first trace interrupted, and then says where the list stopped.
func (r *batchRun) reorder() {
	pending := map[int]item{}
	next := 0
	var stop *Name // the first name not given back
	for it := range r.done {
		pending[it.seq] = it
		r.peak = max(r.peak, len(pending))
		for ; ; next++ {
			it, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			<-r.slots
			if stop != nil {
				continue
			}
			if it.interrupted {
				n := it.Name
				stop = &n
				continue
			}
			r.out <- it.Result
		}
	}
	if err := r.offline.Load(); err != nil {
		r.out <- Result{Name: *stop, Err: *err}
		return
	}
	var st readState
	if r.ctx.Err() == nil {
		st = <-r.read // the names ran out: the reader is done
	} else {
		select {
		case st = <-r.read:
		default: // still waiting for input, which ctx cut short
		}
	}
	if stop == nil && !st.eof {
		stop = &st.unsent
	}
	if stop != nil {
		r.out <- Result{Name: *stop, Err: ErrInterrupted}
	}
}
