package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nstrace/nstrace/trace"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"walk", errors.New("all servers failed"), exitFailed},
		{"context", context.Canceled, exitFailed},
		{"usage", usageError{errors.New("bad flag")}, exitUsage},
		{"wrapped usage", fmt.Errorf("lab: %w", usageError{errors.New("x")}), exitUsage},
		{"findings", findingsError{threshold: trace.SeverityError}, exitFindings},
		{"breaks", breaksError{}, exitBreaks},
		{"batch", exitError{code: exitInterrupted, msg: "interrupted"}, exitInterrupted},
		{"sigterm", exitError{code: exitTerminated, msg: "terminated"}, exitTerminated},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%s) = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestExitRank(t *testing.T) {
	order := []int{exitOK, exitFindings, exitFailed, exitUsage}
	for i := 1; i < len(order); i++ {
		if exitRank(order[i-1]) >= exitRank(order[i]) {
			t.Errorf("exitRank(%d) >= exitRank(%d); want 0 < 3 < 1 < 2", order[i-1], order[i])
		}
	}
}

// TestREADMEExitCodes keeps the README's tables of exit codes in step with
// the tables --help and the manual page are written from.
func TestREADMEExitCodes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		after string // the line the README's table follows
		table []exitStatus
	}{
		{"### Exit codes", traceExits},
		{"Its exit code says whether to go ahead:", preflightExits},
		{"Its exit code follows diff(1):", diffExits},
		{"nstrace watch exits with:", watchExits},
	} {
		got, err := readmeTable(string(data), c.after)
		if err != nil {
			t.Errorf("README: %v", err)
			continue
		}
		var want []string
		for _, s := range c.table {
			want = append(want, strconv.Itoa(s.code)+" "+s.text)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("README's table after %q:\n%s\nwant the one of exit.go:\n%s", c.after, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// readmeTable reads the rows of the Markdown table after the line after:
// "CODE TEXT" each, the text without links and code spans.
func readmeTable(readme, after string) ([]string, error) {
	_, rest, ok := strings.Cut(readme, "\n"+after+"\n")
	if !ok {
		return nil, fmt.Errorf("no line %q", after)
	}
	link := regexp.MustCompile(`\[([^]]*)\]\([^)]*\)`)
	var rows []string
	for line := range strings.Lines(strings.TrimLeft(rest, "\n")) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) != 4 {
			break
		}
		code, text := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		if _, err := strconv.Atoi(code); err != nil {
			continue // the header and its rule
		}
		text = strings.ReplaceAll(link.ReplaceAllString(text, "$1"), "`", "")
		rows = append(rows, code+" "+text)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no table after %q", after)
	}
	return rows, nil
}

// TestManExitStatus checks that the manual page lists every code of the
// tables, each as one tagged paragraph (a wrapped line of --help once made
// a bogus ".TP (error" entry).
func TestManExitStatus(t *testing.T) {
	var b strings.Builder
	if err := writeMan(&b, newRootCmd(&b)); err != nil {
		t.Fatal(err)
	}
	_, exits, _ := strings.Cut(b.String(), ".SH EXIT STATUS\n")
	exits, _, _ = strings.Cut(exits, ".SH ")
	tags := regexp.MustCompile(`(?m)^\.TP\n\.B (.*)$`).FindAllStringSubmatch(exits, -1)
	var got, want []string
	for _, m := range tags {
		got = append(got, m[1])
	}
	for _, table := range [][]exitStatus{traceExits, preflightExits, diffExits, watchExits} {
		for _, s := range table {
			want = append(want, strconv.Itoa(s.code))
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("EXIT STATUS tags %q, want %q:\n%s", got, want, exits)
	}
}

func TestExitHelp(t *testing.T) {
	for _, table := range [][]exitStatus{traceExits, preflightExits, diffExits, watchExits} {
		for line := range strings.Lines(exitHelp(table)) {
			if n := len(strings.TrimSuffix(line, "\n")); n > 80 {
				t.Errorf("help line of %d bytes, want at most 80: %q", n, line)
			}
		}
	}
}

// TestInterruption gives SIGTERM its own code and word, and anything else
// that cancels a trace (Ctrl-C, a caller) Ctrl-C's.
func TestInterruption(t *testing.T) {
	for _, c := range []struct {
		name  string
		cause error
		code  int
		word  string
	}{
		{"SIGTERM", signalCause{syscall.SIGTERM}, exitTerminated, "terminated"},
		{"SIGINT", signalCause{os.Interrupt}, exitInterrupted, "interrupted"},
		{"cancel", nil, exitInterrupted, "interrupted"},
	} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(c.cause)
		if code, word := interruption(ctx); code != c.code || word != c.word {
			t.Errorf("%s: interruption = %d %q, want %d %q", c.name, code, word, c.code, c.word)
		}
	}
}
