package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Exit codes. Each command's meanings are in one table below, the source of
// its --help text, the manual page's EXIT STATUS and the README's tables (a
// test keeps the README in step); exitCode is the one mapping from an error
// to its code.
const (
	exitOK       = 0 // an authoritative outcome: answer, NXDOMAIN or NODATA
	exitFailed   = 1 // the walk failed
	exitUsage    = 2 // bad flags, arguments or input files
	exitFindings = 3 // an outcome, with findings at or above --fail-on
	// exitBreaks is preflight's 3: the switch would break something.
	exitBreaks = exitFindings
	// exitChanged is nstrace diff's 1: the traces differ, as diff(1) says.
	exitChanged = 1
	// exitDiffers is the 4 of nstrace NAME --diff OLD: traced fine, and
	// something changed since OLD.
	exitDiffers = 4
	// exitInterrupted is the exit code of a trace or a batch stopped by
	// Ctrl-C: 128 + SIGINT, as shells report a process killed by it.
	exitInterrupted = 130
	// exitTerminated is the exit code of a trace or a batch stopped by
	// SIGTERM (a Kubernetes eviction, kill(1)): 128 + SIGTERM, as shells
	// report a process killed by it, so that a Job's podFailurePolicy or a
	// script can tell it from Ctrl-C and from a verdict.
	exitTerminated = 143
)

// exitStatus is one exit code of a command and what it means.
type exitStatus struct {
	code int
	text string
}

// traceExits are the exit codes of nstrace NAME and nstrace -f.
var traceExits = []exitStatus{
	{exitOK, "an authoritative outcome was reached: an answer, NXDOMAIN or NODATA"},
	{exitFailed, "the walk failed: every server of a zone failed, or a limit was hit; the partial trace is still printed, and one line on stderr says why; when this host cannot reach any root server (no network), that line is all"},
	{exitUsage, "usage or input error: a bad flag, name, type, root hints, lab file or line of a list; one line on stderr, nothing on stdout"},
	{exitFindings, "an authoritative outcome was reached, but with findings at or above --fail-on (errors, by default): something is wrong with a delegation crossed or a server of it, as it answered (never a query nstrace cut short itself); the trace is printed, and one line on stderr names the codes"},
	{exitDiffers, "with --diff OLD: an authoritative outcome was reached, with no findings at or above --fail-on, and something changed since OLD; the changes are printed (a failed walk or findings keep their codes)"},
	{exitInterrupted, "interrupted by Ctrl-C: a trace is written as far as it went, marked partial; a list (-f) writes the traces done, in input order; one line on stderr says so, and for a list where the rest of it starts"},
	{exitTerminated, "terminated by SIGTERM (as Kubernetes stops a pod it evicts): the same as Ctrl-C, what is done is written, and one line on stderr says so"},
}

// preflightExits are the exit codes of nstrace preflight.
var preflightExits = []exitStatus{
	{exitOK, "nothing would break (differences of TTL, SOA or extra records may still be listed)"},
	{exitFailed, "the check could not be made: no question resolved now, and no walk reached the proposed servers"},
	{exitUsage, "usage or input error: a bad flag, zone, nameserver, name, type or lab"},
	{exitBreaks, "the switch would break something: a proposed server that does not answer for the zone, an NS set at the new servers that is not the proposed one, a record missing there, or a name that fails through them"},
}

// diffExits are the exit codes of nstrace diff, as diff(1)'s.
var diffExits = []exitStatus{
	{exitOK, "no change: the traces say the same of every delegation, answer and finding (timings and the order of servers aside)"},
	{exitChanged, "something changed: the changes are printed"},
	{exitUsage, "trouble: a file that cannot be read or holds no nstrace JSON trace, a schema_version newer than this nstrace reads, two traces of different questions, or a bad flag; one line on stderr, nothing on stdout"},
}

// exitHelp writes the exit codes for --help: "Exit codes:", then each code
// and its meaning, wrapped to fit 80 columns.
func exitHelp(table []exitStatus) string {
	w := 0
	for _, s := range table {
		w = max(w, len(strconv.Itoa(s.code)))
	}
	indent := "\n" + strings.Repeat(" ", 2+w+2)
	var b strings.Builder
	b.WriteString("Exit codes:")
	for _, s := range table {
		fmt.Fprintf(&b, "\n  %-*d  %s", w, s.code, strings.Join(wrap(s.text, 76-w), indent))
	}
	return b.String()
}

// wrap breaks text into lines of at most width bytes, at spaces; a word
// longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return append(lines, line)
}

// exitError ends a command with a code of its own and one line on stderr.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// exitCode is the exit code of a command that returned err: the one
// mapping from errors to codes, for Main and for each name of a batch.
func exitCode(err error) int {
	var e exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &e):
		return e.code
	case errors.As(err, new(findingsError)):
		return exitFindings
	case errors.As(err, new(breaksError)):
		return exitBreaks
	case errors.As(err, new(usageError)):
		return exitUsage
	}
	return exitFailed
}

// exitRank orders exit codes from the best: 0, then 3 (findings), 1 (a
// failed walk), 2 (a bad input line); a batch exits with its names' worst.
func exitRank(code int) int {
	switch code {
	case exitOK:
		return 0
	case exitFindings:
		return 1
	case exitFailed:
		return 2
	}
	return 3
}
