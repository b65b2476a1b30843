package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

// Live output: on a terminal, hops are written as their replies arrive,
// and while a query goes unanswered for longer than statusAfter a one-line
// status on stderr says what is being waited on. The status is redrawn in
// place with "\r" and erased before anything else is written, so it never
// stays on screen; it is drawn only when stderr is a terminal too.
const (
	statusAfter = 300 * time.Millisecond
	statusTick  = 100 * time.Millisecond
)

// wantLive decides whether to write the walk as it happens: "auto" does
// when stdout is a terminal and the format can.
func wantLive(mode string, out output, stdout io.Writer) (bool, error) {
	switch mode {
	case "always":
		return out.stream != nil, nil
	case "never":
		return false, nil
	case "auto":
		return out.stream != nil && isTerminal(stdout), nil
	}
	return false, fmt.Errorf("unknown --live %q (want auto, always or never)", mode)
}

// live writes a walk as it happens. Its methods are safe for concurrent
// use, as the resolver's Observer requires.
type live struct {
	mu     sync.Mutex
	out    stream
	status *statusLine // nil when no status line is drawn
	now    func() time.Time
	// pending are the queries sent and not yet answered.
	pending map[pendingKey]pendingQuery
	err     error
}

type pendingKey struct {
	zone  string
	addr  netip.Addr
	q     trace.Question
	start time.Duration
}

type pendingQuery struct {
	h     trace.Hop
	sent  time.Time
	check bool // a query of the server checks, which may outlast the walk
}

// newLive starts live output of a walk of q to stdout, with the status line
// on stderr when that is a terminal. Call done when the walk is over.
func newLive(out output, q trace.Question, stdout, stderr io.Writer) *live {
	l := &live{
		out:     out.stream(stdout, q),
		now:     time.Now,
		pending: map[pendingKey]pendingQuery{},
	}
	if isTerminal(stderr) {
		l.status = newStatusLine(&l.mu, stderr.(*os.File))
		l.status.start(statusTick, l.waiting)
	}
	return l
}

// observer gives the resolver's hooks.
func (l *live) observer() *resolver.Observer {
	return &resolver.Observer{
		QueryStarted: func(h trace.Hop, _ int) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.pending[keyOf(h)] = pendingQuery{h: h, sent: l.now()}
		},
		HopDone: func(h trace.Hop, depth int) {
			l.mu.Lock()
			defer l.mu.Unlock()
			delete(l.pending, keyOf(h))
			l.write(func() error { return l.out.Hop(h, depth) })
		},
		LookupStarted: func(q trace.Question, depth int) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.write(func() error { return l.out.LookupStarted(q, depth) })
		},
		LookupDone: func(t *trace.Trace, depth int) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.write(func() error { return l.out.LookupDone(t, depth) })
		},
		// The server checks draw nothing as they go: their hops are in
		// the trace, and their findings in Done. They are waited on.
		CheckStarted: func(h trace.Hop) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.pending[keyOf(h)] = pendingQuery{h: h, sent: l.now(), check: true}
		},
		CheckDone: func(h trace.Hop) {
			l.mu.Lock()
			defer l.mu.Unlock()
			delete(l.pending, keyOf(h))
		},
	}
}

func keyOf(h trace.Hop) pendingKey {
	return pendingKey{zone: h.Zone, addr: h.Server.Addr, q: h.Question, start: h.Start}
}

// write erases the status line, then writes to stdout; l.mu is held.
func (l *live) write(f func() error) {
	if l.status != nil {
		l.status.clear()
	}
	if err := f(); err != nil && l.err == nil {
		l.err = err
	}
}

// done stops the status line and writes the end of the output.
func (l *live) done(t *trace.Trace) error {
	l.cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.write(func() error { return l.out.Done(t) })
	return l.err
}

// cancel stops the status line, as done does, when the walk never began.
func (l *live) cancel() {
	if l.status != nil {
		l.status.stop()
	}
}

// waiting gives the status line for the walk's query waited on longest (the
// checks' when none of the walk's is under way), if it has
// waited longer than statusAfter, and "" otherwise; l.mu is held.
func (l *live) waiting(int) string {
	// The walk's own queries first: they are what the answer waits for;
	// the checks' only once none of the walk's is under way.
	var oldest *pendingQuery
	for _, p := range l.pending {
		if oldest == nil || oldest.check && !p.check || oldest.check == p.check && p.sent.Before(oldest.sent) {
			oldest = &p
		}
	}
	if oldest == nil {
		return ""
	}
	waited := l.now().Sub(oldest.sent)
	if waited < statusAfter {
		return ""
	}
	if oldest.check {
		return checkingLine(oldest.h, waited, l.checking())
	}
	return waitingLine(oldest.h, waited, len(l.pending)-1)
}

// checking counts the server addresses whose checks are still waited on;
// l.mu is held.
func (l *live) checking() int {
	addrs := map[netip.Addr]bool{}
	for _, p := range l.pending {
		if p.check {
			addrs[p.h.Server.Addr] = true
		}
	}
	return len(addrs)
}

// checkingLine says which server the checks still wait on, once the walk's
// own queries are answered or while they are: "checking servers: waiting
// for ns1.example.com. (192.0.2.1) for example.com. … 1.2s (and 2 more
// servers)".
func checkingLine(h trace.Hop, waited time.Duration, servers int) string {
	s := "checking servers: " + waitingLine(h, waited, 0)
	switch {
	case servers == 2:
		s += " (and 1 more server)"
	case servers > 2:
		s += fmt.Sprintf(" (and %d more servers)", servers-1)
	}
	return s
}

// waitingLine says what is being waited on: "waiting for ns1.example.com.
// (192.0.2.1) for example.com. … 1.2s".
func waitingLine(h trace.Hop, waited time.Duration, others int) string {
	server := h.Server.Addr.String()
	if h.Server.Name != "" {
		server = h.Server.Name + " (" + server + ")"
	}
	var b strings.Builder
	b.WriteString("waiting for " + server + " for " + h.Zone)
	b.WriteString(" … " + formatWait(waited))
	if others > 0 {
		fmt.Fprintf(&b, " (and %d more)", others)
	}
	return b.String()
}

// formatWait writes a wait to a tenth of a second: "0.3s", "12.0s".
func formatWait(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

var _ stream = (*render.TreeStream)(nil)
