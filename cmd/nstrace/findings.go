package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/trace"
)

// failOnFlag is the --fail-on flag: the least severity of finding that makes
// nstrace exit 3. The zero value means the default, error.
type failOnFlag string

const failNever = "never"

// failOnValues are the values of --fail-on, for completion too.
var failOnValues = []string{string(trace.SeverityError), string(trace.SeverityWarning), failNever}

func (f *failOnFlag) String() string {
	if *f == "" {
		return string(trace.SeverityError)
	}
	return string(*f)
}

func (f *failOnFlag) Set(s string) error {
	if !slices.Contains(failOnValues, s) {
		return fmt.Errorf("want error, warning or never")
	}
	*f = failOnFlag(s)
	return nil
}

func (f *failOnFlag) Type() string { return "error|warning|never" }

// findingsFlags binds the flags of the diagnosis: the exit code threshold,
// the check of each zone's own NS set and the transfer probe.
func findingsFlags(f *pflag.FlagSet, threshold *failOnFlag, noChildNS, noAXFR *bool) {
	f.Var(threshold, "fail-on", "exit 3 when the walk has findings of this severity or worse: error, warning or never")
	f.BoolVar(noChildNS, "no-child-ns", false, "do not ask each zone reached for its own NS set (no ns-mismatch or ns-ttl-mismatch findings)")
	f.BoolVar(noAXFR, "no-axfr-check", false, "do not ask each server checked for a zone transfer (no axfr-open findings)")
}

// findingsError is the error of a walk that reached an authoritative outcome
// with findings at or above the threshold: exit code 3. The trace is
// written already; the error says on stderr, in one line, what was found.
type findingsError struct {
	threshold trace.Severity
	found     []trace.Finding // those at or above the threshold, worst first
}

func (e findingsError) Error() string {
	var codes []string
	for _, f := range e.found {
		if c := f.Code + " (" + f.Zone + ")"; !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	n := len(trace.Group(e.found)) // the findings of one cause are one
	noun := "finding"
	if n != 1 {
		noun += "s"
	}
	what := string(e.threshold) + " " + noun
	if e.found[len(e.found)-1].Severity != e.threshold || e.found[0].Severity != e.threshold {
		what = noun + " at or above " + string(e.threshold)
	}
	return fmt.Sprintf("%d %s: %s", n, what, strings.Join(codes, ", "))
}

// checkFindings returns a findingsError when t has findings at or above the
// threshold, nil otherwise.
func checkFindings(t *trace.Trace, threshold failOnFlag) error {
	if threshold == failNever || t == nil {
		return nil
	}
	min := trace.SeverityError
	if threshold != "" {
		min = trace.Severity(threshold)
	}
	var found []trace.Finding
	for _, f := range t.Findings {
		if f.Severity.AtLeast(min) {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return findingsError{threshold: min, found: found}
}
