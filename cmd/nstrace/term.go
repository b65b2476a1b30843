package main

import (
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// terminalWidth gives a function that reads the width of the terminal f in
// columns each time it is called, as a window can be resized, or 80 when
// it cannot be read.
func terminalWidth(f *os.File) func() int {
	fd := int(f.Fd())
	return func() int {
		if w, _, err := term.GetSize(fd); err == nil && w > 0 {
			return w
		}
		return 80
	}
}

// A statusLine is one line at the bottom of a terminal, redrawn in place
// with "\r" and erased before anything else is written to the terminal, so
// that it never stays on screen: live output's "waiting for …" and batch
// mode's progress bar. Its owner's lock guards it: hold mu to call draw
// and clear.
type statusLine struct {
	mu    sync.Locker
	w     io.Writer
	width func() int
	shown bool // the line is on screen

	quit, stopped chan struct{} // nil until start
}

// newStatusLine returns a status line on the terminal f, guarded by mu.
func newStatusLine(mu sync.Locker, f *os.File) *statusLine {
	return &statusLine{mu: mu, w: f, width: terminalWidth(f)}
}

// start redraws the line every d with the text that text gives for the
// terminal's width, until stop.
func (s *statusLine) start(d time.Duration, text func(width int) string) {
	s.quit, s.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
				s.redraw(text)
			}
		}
	}()
}

// redraw draws the line with the text that text gives for the terminal's
// width, or erases it when that is "". It takes mu, which text may rely on.
func (s *statusLine) redraw(text func(width int) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := text(s.width()); t != "" {
		s.draw(t)
	} else {
		s.clear()
	}
}

// stop stops the redrawing and erases the line.
func (s *statusLine) stop() {
	if s.quit != nil {
		close(s.quit)
		<-s.stopped
		s.quit = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
}

// draw writes text over the line, cut with "…" to one column less than
// the terminal's width (the last column wraps in some terminals), and
// erases what is left of the line after it.
func (s *statusLine) draw(text string) {
	if w := s.width() - 1; utf8.RuneCountInString(text) > w {
		text = string([]rune(text)[:max(0, w-1)]) + "…"
	}
	io.WriteString(s.w, "\r"+text+"\x1b[K")
	s.shown = true
}

// clear erases the line if it is on screen.
func (s *statusLine) clear() {
	if s.shown {
		io.WriteString(s.w, "\r\x1b[K")
		s.shown = false
	}
}
