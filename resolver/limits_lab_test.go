package resolver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestCutShort: nstrace's own end (Ctrl-C, the deadline, the query
// budget) is no server's fault. The walk is partial, every query it cut is
// in the trace, Abandoned with the reason, and Diagnose blames no server
// of the zone where it stopped.
func TestCutShort(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		opts     resolver.Options
		// budget, when set, is the queries a first, unlimited walk sent,
		// less this: the walk is then run again with that budget.
		budget  int
		cancel  bool // cancel the walk as example.com.'s first query leaves, as Ctrl-C does
		err     error
		partial trace.Reason
	}{
		// The deadline is long enough for the root and com. to answer on
		// a loaded machine (-race), and example.com.'s server answers
		// after an hour: the deadline ends the walk there, whatever the
		// load, and no query's own timeout comes first.
		{name: "deadline", scenario: "slow", opts: resolver.Options{Deadline: 2 * time.Second, Timeout: time.Hour}, err: resolver.ErrDeadline, partial: trace.ReasonDeadline},
		{name: "deadline --all", scenario: "slow", opts: resolver.Options{Deadline: 2 * time.Second, Timeout: time.Hour, All: true}, err: resolver.ErrDeadline, partial: trace.ReasonDeadline},
		{name: "Ctrl-C", scenario: "delay", cancel: true, err: context.Canceled, partial: trace.ReasonCancelled},
		{name: "Ctrl-C --all", scenario: "delay", opts: resolver.Options{All: true}, cancel: true, err: context.Canceled, partial: trace.ReasonCancelled},
		// ns1 is down: with every try allowed it is unreachable; without
		// the last of them, it was not asked to the end.
		{name: "budget, no retry", scenario: "deadserver", opts: resolver.Options{HedgeDelay: -1, Timeout: 200 * time.Millisecond, NoChildNS: true, PathOnly: true}, budget: 1, err: resolver.ErrMaxQueries, partial: trace.ReasonQueryLimit},
		{name: "budget --all, no retry", scenario: "deadserver", opts: resolver.Options{All: true, NoProbes: true, Timeout: 200 * time.Millisecond}, budget: 3, err: resolver.ErrMaxQueries, partial: trace.ReasonQueryLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l *lab.Lab
			if tt.scenario == "slow" {
				l = labtest.StartSlow(t, time.Hour)
			} else {
				l = startLab(t, tt.scenario)
			}
			opts := tt.opts
			if tt.budget > 0 {
				full, err := newResolver(t, l, opts).Trace(context.Background(), "www.example.com", dns.TypeA)
				if err != nil {
					t.Fatal(err)
				}
				opts.MaxQueries = full.Queries - tt.budget
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				opts.Observer = &resolver.Observer{QueryStarted: func(h trace.Hop, _ int) {
					if h.Zone == "example.com." {
						cancel()
					}
				}}
			}
			tr, err := newResolver(t, l, opts).Trace(ctx, "www.example.com", dns.TypeA)
			if !errors.Is(err, tt.err) || tr.Partial() != tt.partial {
				t.Fatalf("Trace = %v, partial %q; want %v, %q", err, tr.Partial(), tt.err, tt.partial)
			}
			var asked int
			tr.Walk(func(h *trace.Hop) {
				if h.Zone != "example.com." {
					return
				}
				asked++
				if h.Reason.CutShort() && (h.Outcome != trace.Abandoned || h.Reason != tt.partial) {
					t.Errorf("hop %d: %s, %q; want abandoned, %q", h.ID, h.Outcome, h.Reason, tt.partial)
				}
			})
			if asked == 0 {
				t.Errorf("no query to example.com.'s servers in the trace: the walk's last zone is lost")
			}
			for _, f := range trace.Diagnose(tr) {
				if f.Severity == trace.SeverityError {
					t.Errorf("finding %s %s: %s", f.Code, f.Zone, f.Message)
				}
			}
		})
	}
}
