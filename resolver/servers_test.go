package resolver_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// checkHops gives the hops of the server checks of zone: every hop there
// but the walk's own.
func checkHops(tr *trace.Trace, zone string) []*trace.Hop {
	return hopsWith(tr, func(h *trace.Hop) bool { return h.Zone == zone && h.Purpose.Check() })
}

// TestServerChecks checks that, by default, every address of every server
// of a zone below the TLD is asked the walk's question, the SOA and the NS
// set beside the walk, and the root and TLD servers are not; and that
// --path-only asks none.
func TestServerChecks(t *testing.T) {
	tests := []struct {
		scenario string
		qtype    uint16
	}{
		{"check-dead", dns.TypeA},
		{"check-refused", dns.TypeA},
		{"check-noaa", dns.TypeA},
		{"check-upward", dns.TypeA},
		{"check-lossy", dns.TypeA},
		{"check-drop", dns.TypeAAAA},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			l := startLab(t, tt.scenario)
			tr, err := newResolver(t, l, resolver.Options{}).Trace(context.Background(), "www.example.com", tt.qtype)
			if err != nil || tr.Outcome != trace.Answer {
				t.Fatalf("Trace = %v, %v; want an answer from ns1", tr.Outcome, err)
			}
			asked := map[string][]string{}
			for _, h := range checkHops(tr, "example.com.") {
				a := h.Server.Addr.String()
				if q := trace.TypeString(h.Question.Qtype); !slices.Contains(asked[a], q) {
					asked[a] = append(asked[a], q)
				}
			}
			want := []string{trace.TypeString(tt.qtype), "SOA", "NS"}
			for _, a := range []string{"45.33.10.1", "94.130.20.2"} {
				if !slices.Equal(asked[a], want) {
					t.Errorf("server checks asked %s %v, want %v", a, asked[a], want)
				}
			}
			for _, z := range []string{".", "com."} {
				for _, h := range checkHops(tr, z) {
					if h.Purpose != trace.PurposeChildNS {
						t.Errorf("the servers of %s were checked (%s %s): only zones below the TLD are", z, h.Purpose, h.Question)
					}
				}
			}
			if tr.Mode.PathOnly {
				t.Error("Mode.PathOnly set without Options.PathOnly")
			}

			tr, _ = newResolver(t, l, resolver.Options{PathOnly: true}).Trace(context.Background(), "www.example.com", tt.qtype)
			for _, h := range checkHops(tr, "example.com.") {
				if h.Purpose != trace.PurposeChildNS {
					t.Errorf("with PathOnly, a server check was sent: %s %s to %s", h.Purpose, h.Question, h.Server.Addr)
				}
			}
			if !tr.Mode.PathOnly {
				t.Error("Mode.PathOnly not set with Options.PathOnly")
			}
		})
	}
}

// The checks run beside the walk: the walk's answer is reported to the
// Observer before any of the dead server's timeouts, the checks' queries
// are reported as checks, never as the walk's hops, and Trace waits for
// them.
func TestServerChecksBesideTheWalk(t *testing.T) {
	var mu sync.Mutex
	var events []string
	note := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	obs := &resolver.Observer{
		HopDone: func(h trace.Hop, _ int) {
			if h.Purpose == trace.PurposeCheck || h.Purpose == trace.PurposeSOA {
				note("check reported as a hop")
			}
			if h.Outcome == trace.Answer && h.Purpose == trace.PurposeWalk {
				note("answer")
			}
		},
		CheckDone: func(h trace.Hop) {
			if h.Err != nil {
				note("check failed")
			}
		},
	}
	l := startLab(t, "check-dead")
	// One server at a time: a hedge would have the walk ask the dead server
	// too, a seventh query, abandoned rather than waited out.
	tr, err := newResolver(t, l, resolver.Options{Observer: obs, HedgeDelay: -1}).Trace(context.Background(), "www.example.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(events, "check reported as a hop") {
		t.Errorf("a check's query was reported through HopDone: %v", events)
	}
	if len(events) < 2 || events[0] != "answer" || events[1] != "check failed" {
		t.Errorf("Observer events = %v, want the answer first, then the checks' failures", events)
	}
	dead := hopsWith(tr, func(h *trace.Hop) bool { return h.Server.Addr.String() == "94.130.20.2" && !h.Purpose.Probe() })
	if len(dead) != 6 {
		t.Errorf("the dead server was asked %d times, want 6 (3 questions, 2 tries each)", len(dead))
	}
	for _, h := range dead {
		if !errors.Is(h.Err, resolver.ErrTimeout) {
			t.Errorf("the dead server's hop %s: %v, want a timeout (Trace waits for the checks)", h.Question, h.Err)
		}
	}
}

// The checks leave a quarter of the query budget to the walk: with a
// budget too small for them, the walk still ends in its answer.
func TestServerChecksBudget(t *testing.T) {
	l := startLab(t, "check-dead")
	tr, err := newResolver(t, l, resolver.Options{MaxQueries: 8}).Trace(context.Background(), "www.example.com", dns.TypeA)
	if err != nil || tr.Outcome != trace.Answer {
		t.Fatalf("Trace = %v, %v; want an answer within 8 queries", tr.Outcome, err)
	}
	if tr.Queries > 8 {
		t.Errorf("Trace sent %d queries, over the budget of 8", tr.Queries)
	}
}

// With a shared cache, a zone checked by one trace is not asked again by
// the next: its checks come from the cache, and say what they said.
func TestServerChecksCached(t *testing.T) {
	l := startLab(t, "check-dead")
	r := newResolver(t, l, resolver.Options{Cache: resolver.NewCache()})
	first, _ := r.Trace(context.Background(), "www.example.com", dns.TypeA)
	second, _ := r.Trace(context.Background(), "www.example.com", dns.TypeAAAA)
	if n := len(checkHops(first, "example.com.")); n == 0 {
		t.Fatal("the first trace checked no server of example.com.")
	}
	for _, h := range checkHops(second, "example.com.") {
		if !h.Cached {
			t.Errorf("the second trace sent a check (%s to %s), want it from the cache", h.Question, h.Server.Addr)
		}
	}
	if fs := trace.Diagnose(second); !slices.ContainsFunc(fs, func(f trace.Finding) bool { return f.Code == trace.CodeUnreachableServer }) {
		t.Errorf("the second trace lacks unreachable-server: %v", fs)
	}
}
