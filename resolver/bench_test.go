package resolver_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// BenchmarkTraceCriticalPath traces www.example.com on a lab whose every
// server waits 10ms before each reply (testdata/lab/slow.txtar). The walk
// crosses three zones, so the critical path is 3 × 10ms; the metric
// "x-critical-path" is the wall time divided by it, the server checks of
// example.com included. Target: at most 1.10.
func BenchmarkTraceCriticalPath(b *testing.B) {
	const delay, levels = 10 * time.Millisecond, 3
	l := startLab(b, "slow")
	r := newResolver(b, l, resolver.Options{})
	ctx := context.Background()
	var wall time.Duration
	for b.Loop() {
		start := time.Now()
		tr, err := r.Trace(ctx, "www.example.com", dns.TypeA)
		wall += time.Since(start)
		if err != nil || len(tr.Zones()) != levels {
			b.Fatalf("Trace = %v zones, %v; want %d zones", tr.Zones(), err, levels)
		}
	}
	b.ReportMetric(float64(wall)/float64(b.N)/float64(levels*delay), "x-critical-path")
}

// BenchmarkTraceDeadServers traces on a lab with two servers per zone at
// three levels, the first asked of each pair down and every server 20ms
// slow (testdata/lab/bench-dead.txtar). Hedging should make each dead server
// cost about one hedge delay: "x-critical-path" is the wall time divided by
// the 3 × 20ms critical path; "x-hedge-bound" divides it by the bound the
// issue sets, the critical path plus one hedge delay (as used) per level.
// Target for the latter: at most 1.
func BenchmarkTraceDeadServers(b *testing.B) {
	const delay, levels = 20 * time.Millisecond, 3
	l := startLab(b, "bench-dead")
	// The walk's own path: hedging, which the server checks (which ask the
	// dead server to the end) do not change.
	r := newResolver(b, l, resolver.Options{Timeout: 2 * time.Second, NoChildNS: true, PathOnly: true})
	ctx := context.Background()
	var wall, bound time.Duration
	for b.Loop() {
		start := time.Now()
		tr, err := r.Trace(ctx, "www.example.com", dns.TypeA)
		wall += time.Since(start)
		if err != nil || tr.Outcome != trace.Answer {
			b.Fatalf("Trace = %v, %v; want an answer", tr.Outcome, err)
		}
		bound += levels * delay
		for _, h := range tr.Hops {
			// The hedge delay used is how long the dead server was waited
			// for before the next one was asked: the start of the next hop
			// minus its own. On a loaded machine the last hop sent can be
			// abandoned too (a late server asked again): nothing came after.
			if i := slices.Index(tr.Hops, h); h.Outcome == trace.Abandoned && i+1 < len(tr.Hops) {
				bound += tr.Hops[i+1].Start - h.Start
			}
		}
	}
	b.ReportMetric(float64(wall)/float64(b.N)/float64(levels*delay), "x-critical-path")
	b.ReportMetric(float64(wall)/float64(bound), "x-hedge-bound")
}

// BenchmarkTraceLoss traces 50 times on a lab where every server drops 10%
// of UDP queries (testdata/lab/bench-loss.txtar) and reports the share of
// traces that reached the answer (target ≥ 0.95) and the share that reached
// a wrong verdict, an authoritative outcome other than the answer (target 0).
func BenchmarkTraceLoss(b *testing.B) {
	l := startLab(b, "bench-loss")
	r := newResolver(b, l, resolver.Options{Timeout: time.Second, PathOnly: true}) // the walk's verdict
	ctx := context.Background()
	traces, answered, wrong := 0, 0, 0
	for b.Loop() {
		for i := 0; i < 50; i++ {
			tr, _ := r.Trace(ctx, "www.example.com", dns.TypeA)
			traces++
			if tr.Outcome == trace.Answer && len(tr.Answer) == 1 && rdata(tr.Answer[0]) == "192.0.2.10" {
				answered++
			} else if tr.Outcome.Authoritative() {
				wrong++
			}
		}
	}
	b.ReportMetric(float64(answered)/float64(traces), "answered")
	b.ReportMetric(float64(wrong)/float64(traces), "wrong")
}

func rdata(rr dns.RR) string {
	if a, ok := rr.(*dns.A); ok {
		return a.A.String()
	}
	return ""
}

// BenchmarkTraceAll traces with Options.All on a lab of 13 root, 4 com and
// 4 example.com servers, each with its own delay from 5 to 40ms
// (testdata/lab/bench-all.txtar). Asking every server of a level in
// parallel should cost that level's slowest server: "x-slowest-path" is the
// wall time divided by the sum over the three levels of the slowest delay
// (3 × 40ms). Target: at most 1.3.
func BenchmarkTraceAll(b *testing.B) {
	const slowest = 3 * 40 * time.Millisecond
	l := startLab(b, "bench-all")
	r := newResolver(b, l, resolver.Options{All: true, Timeout: time.Second})
	ctx := context.Background()
	var wall time.Duration
	for b.Loop() {
		start := time.Now()
		tr, err := r.Trace(ctx, "www.example.com", dns.TypeA)
		wall += time.Since(start)
		if err != nil || tr.Outcome != trace.Answer {
			b.Fatalf("Trace = %v, %v; want an answer", tr.Outcome, err)
		}
		if n := len(tr.Hops) - probeHops(tr); n != 13*2+4*3+4*3 {
			b.Fatalf("Trace sent %d queries, want every server asked: 13×2 + 4×3 + 4×3", n)
		}
	}
	b.ReportMetric(float64(wall)/float64(b.N)/float64(slowest), "x-slowest-path")
}

// BenchmarkServerChecks measures what the default server checks cost.
//
// healthy: www.example.com on testdata/lab/slow.txtar (every reply 10ms
// late), with the checks and with PathOnly, one after the other:
// "x-path-only" is the wall time with the checks over the wall time
// without (target: at most 1.10), "answer-x-path-only" the time until the
// walk's answer was reported to the Observer over the same (the answer is
// never later).
//
// dead: www.example.com on testdata/lab/check-dead.txtar, where ns2, which
// the walk never needs, is dead, with a 200ms timeout and 2 tries:
// "ms-named-after-answer" is how long after the answer Trace returned with
// unreachable-server, and "x-timeout-tries" that over --timeout × --tries
// (target: at most 1, plus scheduling).
func BenchmarkServerChecks(b *testing.B) {
	b.Run("healthy", func(b *testing.B) {
		l := startLab(b, "slow")
		var answerAt time.Time
		obs := &resolver.Observer{HopDone: func(h trace.Hop, depth int) {
			if depth == 0 && h.Outcome == trace.Answer {
				answerAt = time.Now()
			}
		}}
		checked := newResolver(b, l, resolver.Options{Observer: obs})
		pathOnly := newResolver(b, l, resolver.Options{PathOnly: true})
		ctx := context.Background()
		var wall, walls, answer time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := pathOnly.Trace(ctx, "www.example.com", dns.TypeA); err != nil {
				b.Fatal(err)
			}
			walls += time.Since(start)
			start = time.Now()
			tr, err := checked.Trace(ctx, "www.example.com", dns.TypeA)
			wall += time.Since(start)
			answer += answerAt.Sub(start)
			if err != nil || tr.Queries < 10 {
				b.Fatalf("Trace = %d queries, %v; want the checks' too", tr.Queries, err)
			}
		}
		b.ReportMetric(float64(wall)/float64(walls), "x-path-only")
		b.ReportMetric(float64(answer)/float64(walls), "answer-x-path-only")
	})
	b.Run("dead", func(b *testing.B) {
		const timeout, tries = 200 * time.Millisecond, 2
		l := startLab(b, "check-dead")
		var answerAt time.Time
		obs := &resolver.Observer{HopDone: func(h trace.Hop, depth int) {
			if depth == 0 && h.Outcome == trace.Answer {
				answerAt = time.Now()
			}
		}}
		r := newResolver(b, l, resolver.Options{Timeout: timeout, Tries: tries, Observer: obs})
		ctx := context.Background()
		var late time.Duration
		for b.Loop() {
			tr, _ := r.Trace(ctx, "www.example.com", dns.TypeA)
			fs := trace.Diagnose(tr)
			late += time.Since(answerAt)
			if !slices.ContainsFunc(fs, func(f trace.Finding) bool { return f.Code == trace.CodeUnreachableServer }) {
				b.Fatalf("Trace findings = %v, want unreachable-server", fs)
			}
		}
		per := late / time.Duration(b.N)
		b.ReportMetric(float64(per)/float64(time.Millisecond), "ms-named-after-answer")
		b.ReportMetric(float64(per)/float64(tries*timeout), "x-timeout-tries")
	})
}

func probeHops(tr *trace.Trace) int {
	return len(hopsWith(tr, func(h *trace.Hop) bool { return h.Purpose.Probe() }))
}

// BenchmarkProbes measures what the protocol probes cost the walk, on the
// lab of BenchmarkTraceAll (every server 5 to 40ms late): the same trace
// with Options.All, with the probes and with NoProbes, one after the other.
// "x-no-probes" is the wall time with the probes over the wall time
// without. The probes of a zone start with its own queries and run beside
// the walk, so the target is at most 1.10.
func BenchmarkProbes(b *testing.B) {
	l := startLab(b, "bench-all")
	probed := newResolver(b, l, resolver.Options{All: true, Timeout: time.Second})
	plain := newResolver(b, l, resolver.Options{All: true, Timeout: time.Second, NoProbes: true})
	ctx := context.Background()
	var with, without time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := plain.Trace(ctx, "www.example.com", dns.TypeA); err != nil {
			b.Fatal(err)
		}
		without += time.Since(start)
		start = time.Now()
		tr, err := probed.Trace(ctx, "www.example.com", dns.TypeA)
		with += time.Since(start)
		if err != nil || probeHops(tr) == 0 {
			b.Fatalf("Trace = %d probes, %v; want the probes", probeHops(tr), err)
		}
	}
	b.ReportMetric(float64(with)/float64(without), "x-no-probes")
}

// BenchmarkTraceDNSSEC is BenchmarkTraceCriticalPath on the same lab
// signed from the root down (testdata/lab/slow-signed.txtar), validation
// on (the lab's anchor) and off (--no-dnssec). The DNSKEY queries run
// beside the walk, so that "x-critical-path" of validation on stays that
// of off; "x-no-dnssec" is the ratio of the two walks' wall times, on
// over off. Target: at most 1.10.
func BenchmarkTraceDNSSEC(b *testing.B) {
	const delay, levels = 10 * time.Millisecond, 3
	l := startLab(b, "slow-signed")
	on := newResolver(b, l, resolver.Options{TrustAnchors: l.Scenario().Anchors()})
	off := newResolver(b, l, resolver.Options{NoDNSSEC: true})
	ctx := context.Background()
	var wallOn, wallOff time.Duration
	for b.Loop() {
		for _, r := range []*resolver.Resolver{on, off} {
			start := time.Now()
			tr, err := r.Trace(ctx, "www.example.com", dns.TypeA)
			d := time.Since(start)
			if err != nil || len(tr.Zones()) != levels {
				b.Fatalf("Trace = %v zones, %v; want %d zones", tr.Zones(), err, levels)
			}
			if r == on {
				wallOn += d
				if z := tr.DNSSECOf("example.com."); z == nil || z.Status != trace.DNSSECSecure {
					b.Fatalf("example.com. is %v, want secure", z)
				}
			} else {
				wallOff += d
			}
		}
	}
	b.ReportMetric(float64(wallOn)/float64(b.N)/float64(levels*delay), "x-critical-path")
	b.ReportMetric(float64(wallOn)/float64(wallOff), "x-no-dnssec")
}

// BenchmarkDemoDNSSEC traces the README's demo (www.example.com in the
// demo lab, signed from the root down, no delays: loopback round trips
// and the CPU) with the default checks and probes, validating from the
// demo's anchor and with --no-dnssec, in turns. "x-no-dnssec"
// is the median over the iterations of on's wall time over off's (a
// median, as other processes' load on a shared machine swings single
// traces of ~10 ms by half); "queries-on" and "queries-off" are the
// queries of one trace each way: the DNSKEY queries make the difference.
func BenchmarkDemoDNSSEC(b *testing.B) {
	l := startLab(b, "demo")
	on := newResolver(b, l, resolver.Options{TrustAnchors: l.Scenario().Anchors()})
	off := newResolver(b, l, resolver.Options{NoDNSSEC: true})
	ctx := context.Background()
	var ratios []float64
	var qOn, qOff int
	for n := 0; b.Loop(); n++ {
		var wall [2]time.Duration
		for k := range 2 {
			i := (k + n) % 2 // on first, then off first: neither gains by its turn
			r := []*resolver.Resolver{on, off}[i]
			start := time.Now()
			tr, err := r.Trace(ctx, "www.example.com", dns.TypeA)
			wall[i] = time.Since(start)
			if err != nil || tr.Outcome != trace.Answer {
				b.Fatalf("Trace = %v, %v; want the answer", tr.Outcome, err)
			}
			if r == on {
				qOn = tr.Queries
			} else {
				qOff = tr.Queries
			}
		}
		ratios = append(ratios, float64(wall[0])/float64(wall[1]))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "x-no-dnssec")
	b.ReportMetric(float64(qOn), "queries-on")
	b.ReportMetric(float64(qOff), "queries-off")
}
