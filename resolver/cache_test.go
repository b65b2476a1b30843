package resolver_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestCacheSharedByTraces traces names of one zone one after another and
// side by side with a shared cache: the root and com are asked once each,
// and the second trace's referrals are marked cached.
func TestCacheSharedByTraces(t *testing.T) {
	l := startLab(t, "healthy")
	cache := resolver.NewCache()
	// One server at a time: a hedge fired by a late reply would add a query.
	r := newResolver(t, l, resolver.Options{Cache: cache, PathOnly: true, HedgeDelay: -1})
	ctx := context.Background()

	first, err := r.Trace(ctx, "www.example.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Trace(ctx, "mail.example.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if first.Queries != 5 {
		t.Errorf("first trace: %d queries, want 5", first.Queries)
	}
	var cached []string
	for _, h := range second.Hops {
		if h.Cached {
			cached = append(cached, fmt.Sprintf("%s %s", h.Zone, h.Purpose))
		}
	}
	// The root's and com's referrals and both NS checks come from the cache;
	// only example.com is asked about mail.
	if second.Queries != 1 || len(cached) != 4 {
		t.Errorf("second trace: %d queries, cached hops %q; want 1 query and 4 cached hops", second.Queries, cached)
	}
	if got := second.Zones(); len(got) != 3 {
		t.Errorf("second trace crossed %v, want 3 zones as the first did", got)
	}
	again, _ := r.Trace(ctx, "www.example.com", dns.TypeA)
	if again.Queries != 0 || again.Outcome != trace.Answer {
		t.Errorf("repeated trace: %d queries, %v; want 0 queries and the cached answer", again.Queries, again.Outcome)
	}
}

// TestCacheConcurrent runs many traces of one zone at once: the cache must
// keep them from asking the root and com more than once each.
func TestCacheConcurrent(t *testing.T) {
	for _, check := range []bool{false, true} {
		t.Run(fmt.Sprintf("NS checks %v", check), func(t *testing.T) { testCacheConcurrent(t, check) })
	}
}

func testCacheConcurrent(t *testing.T, check bool) {
	l := startLab(t, "slow")
	cache := resolver.NewCache()
	// One server at a time: the count is about what the traces share, and a
	// hedge, which fires when a loaded machine delays a 10ms reply past the
	// 50ms floor, would add a query that the cache has nothing to do with.
	r := newResolver(t, l, resolver.Options{Cache: cache, NoChildNS: !check, HedgeDelay: -1, PathOnly: true})
	names := []string{"www.example.com", "mail.example.com", "nope.example.com", "alias.example.com", "example.com"}
	var wg sync.WaitGroup
	queries := make([]int, len(names))
	for i, n := range names {
		wg.Go(func() {
			tr, _ := r.Trace(context.Background(), n, dns.TypeA)
			queries[i] = tr.Queries
		})
	}
	wg.Wait()
	total := 0
	for _, q := range queries {
		total += q
	}
	// One referral from the root, one from com, one answer per name, and
	// with checks one NS query each for com. and example.com.
	want := 2 + len(names)
	if check {
		want += 2
	}
	if total != want {
		t.Errorf("%d traces sent %d queries (%v), want %d", len(names), total, queries, want)
	}
}
