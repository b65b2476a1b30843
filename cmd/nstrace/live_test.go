package main

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/trace"
)

// chunk is what the terminal showed, and when.
type chunk struct {
	at   time.Time
	data string
}

// terminal is a pseudo-terminal whose output is recorded as it comes.
type terminal struct {
	tty    *os.File
	mu     sync.Mutex
	chunks []chunk
	done   chan struct{}
}

func openTerminal(t *testing.T) *terminal {
	t.Helper()
	return openTerminalWidth(t, 200)
}

// openTerminalWidth opens a terminal cols columns wide.
func openTerminalWidth(t *testing.T, cols uint16) *terminal {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	term := &terminal{tty: tty, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				term.mu.Lock()
				term.chunks = append(term.chunks, chunk{time.Now(), string(buf[:n])})
				term.mu.Unlock()
			}
			if err != nil {
				return // EIO once the other side is closed
			}
		}
	}()
	t.Cleanup(func() {
		tty.Close()
		ptmx.Close()
	})
	return term
}

// finish closes the terminal's other side and waits for all it showed.
func (term *terminal) finish(t *testing.T) {
	t.Helper()
	term.tty.Close()
	select {
	case <-term.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal's output never ended")
	}
}

// when gives the time the terminal had shown text, with every byte before.
func (term *terminal) when(text string) (time.Time, bool) {
	term.mu.Lock()
	defer term.mu.Unlock()
	var all strings.Builder
	for _, c := range term.chunks {
		all.WriteString(c.data)
		if strings.Contains(all.String(), text) {
			return c.at, true
		}
	}
	return time.Time{}, false
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	var all strings.Builder
	for _, c := range term.chunks {
		all.WriteString(c.data)
	}
	return all.String()
}

// On a terminal, hops are shown as their replies arrive: the referrals to
// example.com. are on screen while its only server is still silent, with a
// status line saying what is waited on, which is erased before the answer.
func TestLiveOnTerminal(t *testing.T) {
	const delay = 1500 * time.Millisecond
	lab := labtest.SlowPath(t, delay)
	term := openTerminal(t)
	start := time.Now()
	code := Main([]string{"--lab", lab, "--color", "never", "--hedge", "off", "www.example.com"}, term.tty, term.tty)
	term.finish(t)
	out := term.output()
	if code != exitOK {
		t.Fatalf("nstrace exited %d; the terminal showed:\n%s", code, out)
	}

	referral, ok1 := term.when("referral → example.com.")
	_, ok2 := term.when("waiting for ns1.example.com. (192.0.2.1) for example.com. …")
	answer, ok3 := term.when("answer 192.0.2.10")
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("the terminal lacks the referral (%v), the status line (%v) or the answer (%v):\n%q", ok1, ok2, ok3, out)
	}
	t.Logf("referral at %v, answer at %v", referral.Sub(start), answer.Sub(start))
	if gap := answer.Sub(referral); gap < delay-300*time.Millisecond {
		t.Errorf("the referral was shown %v before the answer, want about %v: hops were not shown as they came", gap, delay)
	}
	// Where the status line stands in the stream, and the wait it shows, say
	// what its arrival time would say without depending on how quickly a
	// loaded machine reads the terminal.
	r, s, a := strings.Index(out, "referral → example.com."), strings.Index(out, "waiting for"), strings.Index(out, "answer 192.0.2.10")
	if !(r < s && s < a) {
		t.Errorf("the status line stands at byte %d, want between the referral (%d) and the answer (%d)", s, r, a)
	}
	if waited := firstWait(t, out[s:]); waited < statusAfter {
		t.Errorf("the first status line shows a wait of %v, want at least %v", waited, statusAfter)
	}
	// The status line is drawn with \r, erased before the answer, and gone at the end.
	j := strings.Index(out, "answer 192.0.2.10")
	i := strings.LastIndex(out[:j], "waiting for")
	if k := strings.LastIndex(out[:j], "\r\x1b[K"); k < i {
		t.Errorf("the status line is not erased before the answer:\n%q", out)
	}
	if !strings.Contains(out, "\rwaiting for ") {
		t.Errorf("the status line is not drawn in place with \\r:\n%q", out)
	}
	// Only the server checks may still be waited on after the answer.
	if tail := strings.ReplaceAll(out[j:], "checking servers: waiting for", ""); strings.Contains(tail, "waiting for") {
		t.Errorf("a status line of the walk is drawn after the answer:\n%q", tail)
	}
}

// The answer is shown as soon as it comes, though a server the walk did
// not need is dead: the server checks go on after it, at most --timeout ×
// --tries longer, with a status line naming the server waited on, and the
// finding comes at the end.
func TestLiveAnswerBeforeChecks(t *testing.T) {
	const timeout, tries = time.Second, 2
	term := openTerminal(t)
	start := time.Now()
	lab := filepath.Join("..", "..", "testdata", "lab", "check-dead.txtar")
	code := Main([]string{"--lab", lab, "--color", "never", "--timeout", timeout.String(), "--tries", "2", "www.example.com"}, term.tty, term.tty)
	end := time.Now()
	term.finish(t)
	out := term.output()
	if code != exitFindings {
		t.Fatalf("nstrace exited %d, want %d; the terminal showed:\n%s", code, exitFindings, out)
	}
	answer, ok1 := term.when("answer 192.0.2.10")
	status, ok2 := term.when("checking servers: waiting for ns2.example.com. (94.130.20.2) for example.com. …")
	found, ok3 := term.when("unreachable-server")
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("the terminal lacks the answer (%v), the status line (%v) or the finding (%v):\n%q", ok1, ok2, ok3, out)
	}
	t.Logf("answer at %v, status at %v, finding at %v, exit at %v", answer.Sub(start), status.Sub(start), found.Sub(start), end.Sub(start))
	if after := answer.Sub(start); after > timeout/2 {
		t.Errorf("the answer came %v after the start: it waited for the checks", after)
	}
	if !status.After(answer) {
		t.Errorf("the checks' status line came at %v, before the answer at %v", status.Sub(start), answer.Sub(start))
	}
	if late := found.Sub(answer); late > tries*timeout+500*time.Millisecond {
		t.Errorf("the dead server was named %v after the answer, want within --timeout × --tries (%v)", late, tries*timeout)
	}
}

// firstWait reads the wait shown by the status line at the start of s:
// "waiting for … … 0.3s".
func firstWait(t *testing.T, s string) time.Duration {
	t.Helper()
	line, _, _ := strings.Cut(s, "\x1b[K")
	i := strings.LastIndex(line, "… ")
	if i < 0 {
		t.Fatalf("the status line %q shows no wait", line)
	}
	f := strings.Fields(line[i+len("… "):])
	d, err := time.ParseDuration(f[0])
	if err != nil {
		t.Fatalf("the status line %q: %v", line, err)
	}
	return d
}

// The status line names the server, the zone and the time waited, and is
// cut to the terminal's width.
func TestStatusLine(t *testing.T) {
	h := trace.Hop{Zone: "example.com.", Server: trace.Server{Name: "ns1.example.com."}}
	h.Server.Addr = mustAddr(t, "192.0.2.1")
	if got, want := waitingLine(h, 1240*time.Millisecond, 0), "waiting for ns1.example.com. (192.0.2.1) for example.com. … 1.2s"; got != want {
		t.Errorf("waitingLine = %q, want %q", got, want)
	}
	if got, want := waitingLine(h, 300*time.Millisecond, 2), "waiting for ns1.example.com. (192.0.2.1) for example.com. … 0.3s (and 2 more)"; got != want {
		t.Errorf("waitingLine = %q, want %q", got, want)
	}

	var buf bytes.Buffer
	l := &live{out: nopStream{}, now: time.Now, pending: map[pendingKey]pendingQuery{}}
	l.status = &statusLine{mu: &l.mu, w: &buf, width: func() int { return 20 }}
	l.pending[keyOf(h)] = pendingQuery{h: h, sent: time.Now().Add(-time.Second)}
	l.status.redraw(l.waiting)
	if got, want := buf.String(), "\rwaiting for ns1.ex…\x1b[K"; got != want {
		t.Errorf("draw at width 20 wrote %q, want %q", got, want)
	}
	buf.Reset()
	l.status.stop()
	if got := buf.String(); got != "\r\x1b[K" {
		t.Errorf("clear wrote %q, want \\r and erase-line", got)
	}
}

// Writes to stdout never come while a status line is on screen.
func TestLiveClearsBeforeWriting(t *testing.T) {
	var screen bytes.Buffer
	var order []string
	out := recordStream{write: func(s string) { order = append(order, "stdout:"+s); screen.WriteString(s) }}
	st := writerFunc(func(p []byte) (int, error) { order = append(order, "stderr:"+string(p)); return len(p), nil })
	l := &live{out: out, now: time.Now, pending: map[pendingKey]pendingQuery{}}
	l.status = &statusLine{mu: &l.mu, w: st, width: func() int { return 80 }}
	h := trace.Hop{Zone: "example.com.", Server: trace.Server{Name: "ns1.example.com.", Addr: mustAddr(t, "192.0.2.1")}}
	obs := l.observer()
	obs.QueryStarted(h, 0)
	l.pending[keyOf(h)] = pendingQuery{h: h, sent: time.Now().Add(-time.Second)}
	l.status.redraw(l.waiting)
	obs.HopDone(h, 0)
	want := []string{"stderr:\rwaiting for ns1.example.com. (192.0.2.1) for example.com. … 1.0s\x1b[K", "stderr:\r\x1b[K", "stdout:hop"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("writes = %q, want %q", order, want)
	}
	if len(l.pending) != 0 {
		t.Errorf("%d queries still pending after HopDone", len(l.pending))
	}
}

type nopStream struct{}

func (nopStream) Hop(trace.Hop, int) error                { return nil }
func (nopStream) LookupStarted(trace.Question, int) error { return nil }
func (nopStream) LookupDone(*trace.Trace, int) error      { return nil }
func (nopStream) Done(*trace.Trace) error                 { return nil }

type recordStream struct {
	nopStream
	write func(string)
}

func (r recordStream) Hop(trace.Hop, int) error { r.write("hop"); return nil }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Piped stdout is never live, even with stderr on a terminal: the output is
// the whole tree, written at the end, with no escape codes, and nothing,
// not even a status line, goes to the terminal while the server is slow.
func TestPipedStdoutWithTerminalStderr(t *testing.T) {
	lab := labtest.SlowPath(t, 700*time.Millisecond)
	term := openTerminal(t)
	var stdout bytes.Buffer
	code := Main([]string{"--lab", lab, "--hedge", "off", "www.example.com"}, &stdout, term.tty)
	term.finish(t)
	if code != exitOK {
		t.Fatalf("nstrace exited %d; stderr: %q", code, term.output())
	}
	if out := stdout.String(); strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "waiting") {
		t.Errorf("piped stdout has escape codes, \\r or a status line:\n%q", out)
	}
	if !strings.Contains(stdout.String(), "answer 192.0.2.10") {
		t.Errorf("piped stdout lacks the answer:\n%s", stdout.String())
	}
	if got := term.output(); got != "" {
		t.Errorf("the terminal on stderr showed %q, want nothing", got)
	}
}
