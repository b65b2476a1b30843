package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"

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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

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
	status io.Writer // nil when no status line is drawn
	width  func() int
	now    func() time.Time
	// pending are the queries sent and not yet answered.
	pending map[pendingKey]pendingQuery
	shown   bool // a status line is on screen
	err     error
	stop    chan struct{}
	stopped chan struct{}
}

type pendingKey struct {
	zone  string
	addr  netip.Addr
	q     trace.Question
	start time.Duration
}

type pendingQuery struct {
	h    trace.Hop
	sent time.Time
}

// newLive starts live output of a walk of q to stdout, with the status line
// on stderr when that is a terminal. Call done when the walk is over.
func newLive(out output, q trace.Question, stdout, stderr io.Writer) *live {
	l := &live{
		out:     out.stream(stdout, q),
		now:     time.Now,
		pending: map[pendingKey]pendingQuery{},
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if isTerminal(stderr) {
		l.status = stderr
		fd := int(stderr.(*os.File).Fd())
		l.width = func() int {
			if w, _, err := term.GetSize(fd); err == nil && w > 0 {
				return w
			}
			return 80
		}
	}
	go l.tick()
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
	}
}

func keyOf(h trace.Hop) pendingKey {
	return pendingKey{zone: h.Zone, addr: h.Server.Addr, q: h.Question, start: h.Start}
}

// write erases the status line, then writes to stdout; l.mu is held.
func (l *live) write(f func() error) {
	l.clear()
	if err := f(); err != nil && l.err == nil {
		l.err = err
	}
}

// done stops the status line and writes the end of the output.
func (l *live) done(t *trace.Trace) error {
	close(l.stop)
	<-l.stopped
	l.mu.Lock()
	defer l.mu.Unlock()
	l.write(func() error { return l.out.Done(t) })
	return l.err
}

// cancel stops the status line when the walk never began.
func (l *live) cancel() {
	close(l.stop)
	<-l.stopped
}

// tick redraws the status line until done.
func (l *live) tick() {
	defer close(l.stopped)
	if l.status == nil {
		<-l.stop
		return
	}
	tk := time.NewTicker(statusTick)
	defer tk.Stop()
	for {
		select {
		case <-l.stop:
			l.mu.Lock()
			l.clear()
			l.mu.Unlock()
			return
		case <-tk.C:
			l.mu.Lock()
			l.draw()
			l.mu.Unlock()
		}
	}
}

// draw writes the status line for the query waited on longest, if it has
// waited longer than statusAfter; l.mu is held.
func (l *live) draw() {
	var oldest *pendingQuery
	for _, p := range l.pending {
		if oldest == nil || p.sent.Before(oldest.sent) {
			oldest = &p
		}
	}
	if oldest == nil {
		l.clear()
		return
	}
	waited := l.now().Sub(oldest.sent)
	if waited < statusAfter {
		l.clear()
		return
	}
	text := statusLine(oldest.h, waited, len(l.pending)-1)
	if w := l.width() - 1; utf8.RuneCountInString(text) > w {
		text = string([]rune(text)[:max(0, w-1)]) + "…"
	}
	io.WriteString(l.status, "\r\x1b[K"+text)
	l.shown = true
}

// clear erases the status line if one is on screen; l.mu is held.
func (l *live) clear() {
	if l.shown {
		io.WriteString(l.status, "\r\x1b[K")
		l.shown = false
	}
}

// statusLine says what is being waited on: "waiting for ns1.example.com.
// (192.0.2.1) for example.com. … 1.2s".
func statusLine(h trace.Hop, waited time.Duration, others int) string {
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
