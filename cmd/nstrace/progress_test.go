package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		done, total, failed int
		elapsed             time.Duration
		width               int
		want                string
	}{
		{0, 100, 0, 0, 80, " 0/100 ░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░   0% · 0 names/s · ETA -"},
		{50, 100, 0, 10 * time.Second, 80, " 50/100 ████████████████████░░░░░░░░░░░░░░░░░░░░  50% · 5.0 names/s · ETA 10s"},
		{1234, 10000, 3, 2 * time.Second, 80, " 1234/10000 ███▎░░░░░░░░░░░░░░░░░░░░░░░  12% · 617 names/s · ETA 14s · 3 failed"},
		{10000, 10000, 0, 4 * time.Second, 60, " 10000/10000 █████████████████ 100% · 2500 names/s · ETA 0s"},
		// Too narrow for a bar.
		{1234, 10000, 0, 2 * time.Second, 40, " 1234/10000 12% · 617 names/s · ETA 14s"},
		{1234, 10000, 0, 2 * time.Second, 20, " 1234/10000 12% · 6"},
		// A list read from a pipe: no total, no bar, no ETA.
		{1234, 0, 2, 2 * time.Second, 80, " 1234 names · 617 names/s · 2 failed"},
		{1, 0, 0, 4 * time.Second, 80, " 1 name · 0.2 names/s"},
	} {
		got := progressLine(c.done, c.total, c.failed, c.elapsed, c.width)
		if got != c.want {
			t.Errorf("progressLine(%d, %d, %d, %s, %d) =\n%q\nwant\n%q", c.done, c.total, c.failed, c.elapsed, c.width, got, c.want)
		}
		if n := utf8.RuneCountInString(got); n >= c.width {
			t.Errorf("progressLine(%d, %d, %d, %s, %d) takes %d columns, want fewer than %d", c.done, c.total, c.failed, c.elapsed, c.width, n, c.width)
		}
	}
}

// TestProgressDraw checks that the bar is drawn in place and erased before
// anything else is written to the terminal.
func TestProgressDraw(t *testing.T) {
	var term bytes.Buffer
	now := time.Unix(0, 0)
	p := startProgress(&term, func() int { return 60 }, func() time.Time { return now }, 4, true)
	p.add(false)
	p.add(true)
	now = now.Add(time.Second)
	p.bar.redraw(p.line)
	bar := "\r 2/4 ███████▌░░░░░░░  50% · 2.0 names/s · ETA 1s · 1 failed\x1b[K"
	if term.String() != bar {
		t.Fatalf("drawn %q, want %q", term.String(), bar)
	}
	term.Reset()
	p.stdout(func() error { term.WriteString("output\n"); return nil })
	if want := "\r\x1b[Koutput\n"; term.String() != want {
		t.Errorf("stdout wrote %q, want %q: the bar erased first", term.String(), want)
	}
	term.Reset()
	p.stdout(func() error { term.WriteString("more\n"); return nil })
	if want := "more\n"; term.String() != want {
		t.Errorf("stdout with no bar shown wrote %q, want %q", term.String(), want)
	}
	p.bar.redraw(p.line)
	term.Reset()
	p.println(nil, "nstrace: names.txt:3: bad")
	if want := "\r\x1b[Knstrace: names.txt:3: bad\n"; term.String() != want {
		t.Errorf("println wrote %q, want %q", term.String(), want)
	}
	p.bar.redraw(p.line)
	term.Reset()
	p.finish()
	if want := "\r\x1b[K"; term.String() != want {
		t.Errorf("finish wrote %q, want %q: the bar erased", term.String(), want)
	}
}

// TestProgressNil checks that with no terminal there is no bar, and that
// what goes through it is still written.
func TestProgressNil(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p := newProgress(&stdout, &stderr, 10)
	if p != nil {
		t.Fatal("newProgress on a buffer gave a bar")
	}
	p.add(true)
	p.stdout(func() error { stdout.WriteString("out\n"); return nil })
	p.println(&stderr, "err")
	p.finish()
	if stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q; want \"out\\n\", \"err\\n\"", stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Error("a bar was drawn")
	}
}
