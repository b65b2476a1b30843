package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// progressTick is how often the progress bar is redrawn.
const progressTick = 200 * time.Millisecond

// progress draws a batch's progress bar on stderr, a terminal: names done
// out of the total (or, for a list read from a pipe, names done), the rate
// and the time left, on a statusLine. A nil *progress draws nothing, and
// its methods still write what they are given; its methods are safe for
// concurrent use.
type progress struct {
	mu     sync.Mutex
	bar    *statusLine
	now    func() time.Time
	start  time.Time
	total  int // 0 when unknown
	done   int
	failed int
	// erase is set when stdout is a terminal too: the bar is erased before
	// each write to stdout, which would otherwise land after it on its line.
	erase bool
}

// newProgress starts a progress bar on stderr when stderr is a terminal,
// and returns nil otherwise. total is the number of names, 0 when unknown.
func newProgress(stdout, stderr io.Writer, total int) *progress {
	if !isTerminal(stderr) {
		return nil
	}
	f := stderr.(*os.File)
	p := startProgress(f, terminalWidth(f), time.Now, total, isTerminal(stdout))
	p.bar.start(progressTick, p.line)
	return p
}

// startProgress returns a progress bar that draws on w when told to.
func startProgress(w io.Writer, width func() int, now func() time.Time, total int, erase bool) *progress {
	p := &progress{now: now, start: now(), total: total, erase: erase}
	p.bar = &statusLine{mu: &p.mu, w: w, width: width}
	return p
}

// line gives the bar for a terminal width columns wide; p.mu is held.
func (p *progress) line(width int) string {
	return progressLine(p.done, p.total, p.failed, p.now().Sub(p.start), width)
}

// add counts a name done, failed or not.
func (p *progress) add(failed bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
}

// stdout runs f, which writes to stdout, with the bar erased first when
// they share the terminal.
func (p *progress) stdout(f func() error) error {
	if p == nil {
		return f()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.erase {
		p.bar.clear()
	}
	return f()
}

// println writes one line to stderr, above the bar.
func (p *progress) println(w io.Writer, s string) {
	if p == nil {
		fmt.Fprintln(w, s)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.clear()
	fmt.Fprintln(p.bar.w, s)
}

// finish stops the bar and erases it.
func (p *progress) finish() {
	if p != nil {
		p.bar.stop()
	}
}

// progressLine gives the bar for done names out of total (0 when unknown),
// failed of them failed, elapsed since the start, in at most width-1
// columns (the last column of a terminal wraps in some):
//
//	1234/10000 ██▋░░░░░░░░░░░░░░░░░  12% · 2345 names/s · ETA 4s · 3 failed
//	1234 names · 2345 names/s · 3 failed
func progressLine(done, total, failed int, elapsed time.Duration, width int) string {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	var tail []string
	tail = append(tail, formatRate(rate))
	if total > 0 {
		eta := "ETA -"
		if rate > 0 && done <= total {
			eta = "ETA " + (time.Duration(float64(total-done)/rate*float64(time.Second)) + time.Second/2).Truncate(time.Second).String()
		}
		tail = append(tail, eta)
	}
	if failed > 0 {
		tail = append(tail, strconv.Itoa(failed)+" failed")
	}
	rest := strings.Join(tail, " · ")
	if total <= 0 {
		return fitWidth(" "+batchPlural(done, "name", "names")+" · "+rest, width-1)
	}
	count := fmt.Sprintf(" %d/%d ", done, total)
	pct := fmt.Sprintf(" %3d%% · ", done*100/total)
	barW := min(40, width-1-utf8.RuneCountInString(count+pct+rest))
	if barW < 10 {
		return fitWidth(count+strings.TrimLeft(pct, " ")+rest, width-1)
	}
	return count + progressBar(done, total, barW) + pct + rest
}

// progressBar draws done/total in w columns, in eighths of a column.
func progressBar(done, total, w int) string {
	eighths := min(done, total) * w * 8 / total
	full, part := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if part > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[part-1])
		full++
	}
	return s + strings.Repeat("░", w-full)
}

func formatRate(r float64) string {
	if r >= 10 || r == 0 {
		return strconv.FormatFloat(r, 'f', 0, 64) + " names/s"
	}
	return strconv.FormatFloat(r, 'f', 1, 64) + " names/s"
}

// fitWidth cuts s to at most w columns.
func fitWidth(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	return string([]rune(s)[:max(w, 0)])
}

func batchPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
