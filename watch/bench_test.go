package watch

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
)

// benchWatcher watches the 10,000 names of a lab of 100 zones of 100
// names each (labtest.Batch) whose delegations and records last ttl; with
// signed, the root and test. are signed, and the 100 zones insecure.
func benchWatcher(b *testing.B, ttl string, signed bool) *Watcher {
	b.Helper()
	files, list := labtest.Batch(100, 100, 0)
	for name, data := range files {
		files[name] = []byte(strings.ReplaceAll(string(data), "3600", ttl))
	}
	if signed {
		files[lab.ManifestName] = []byte("sign . seed=bench\nsign test. seed=bench\n")
	}
	l := labtest.StartFiles(b, "bench", files)
	w, err := New(Options{Resolver: labOptions(l), Names: names(b, list...), Jobs: 16})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// queries is what the watch's traces sent so far.
func (w *Watcher) queries() float64 {
	w.metrics.mu.Lock()
	defer w.metrics.mu.Unlock()
	return w.metrics.count.queries
}

// BenchmarkCycle times one cycle of a watch of 10,000 names under 100
// zones, once the first has filled the cache, and reports the queries a
// cycle sends per name and zone whose TTL ran out in it (the target is
// 1.05 at most: one query for each name's own question, one for each
// referral to renew, and little else). With ttl-10s the test. zones'
// TTLs run out between cycles (the benchmark waits for it, untimed) and
// not within one: each zone's referral and the check of its servers are
// made again.
func BenchmarkCycle(b *testing.B) {
	for _, bc := range []struct {
		name, ttl      string
		expire, signed bool
	}{{"ttl-1h", "3600", false, false}, {"ttl-1h-signed", "3600", false, true}, {"ttl-10s", "10", true, false}} {
		b.Run(bc.name, func(b *testing.B) {
			w := benchWatcher(b, bc.ttl, bc.signed)
			ctx := context.Background()
			w.cycle(ctx, 0)
			zones := 0
			if bc.expire {
				zones = 100
			}
			before := w.queries()
			b.ResetTimer()
			for i := range b.N {
				if bc.expire {
					b.StopTimer()
					time.Sleep(10 * time.Second)
					b.StartTimer()
				}
				w.cycle(ctx, i+1)
			}
			b.StopTimer()
			perCycle := (w.queries() - before) / float64(b.N)
			b.ReportMetric(perCycle, "queries/cycle")
			b.ReportMetric(perCycle/float64(len(w.names)+zones), "queries/(name+expired-zone)")
		})
	}
}

// BenchmarkHeap runs 100 cycles of the watch of BenchmarkCycle and reports
// the live heap after 100 cycles over that after 10 (the target is 1.10
// at most: what a watch keeps is bounded by its names, not its age). Run
// it with -benchtime=1x: each iteration is 100 cycles.
func BenchmarkHeap(b *testing.B) {
	for range b.N {
		w := benchWatcher(b, "3600", false)
		ctx := context.Background()
		var at10, at100 uint64
		for i := 1; i <= 100; i++ {
			w.cycle(ctx, i)
			switch i {
			case 10:
				at10 = liveHeap()
			case 100:
				at100 = liveHeap()
			}
		}
		b.ReportMetric(float64(at10)/1e6, "MB-heap@10")
		b.ReportMetric(float64(at100)/1e6, "MB-heap@100")
		b.ReportMetric(float64(at100)/float64(at10), "heap100/heap10")
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
