package resolver_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
)

// BenchmarkTraceCriticalPath traces www.example.com on a lab whose every
// server waits 10ms before each reply (testdata/lab/slow.txtar). The walk
// crosses three zones, so the critical path is 3 × 10ms; the metric
// "x-critical-path" is the wall time divided by it. Target: at most 1.10.
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
