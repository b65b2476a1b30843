package resolver_test

import (
	"context"
	"maps"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestAllLookupsShareCache traces names whose nameservers came without glue
// with Options.All: the lookups of the trace share one cache, so only the
// first lookup of a domain walks from the root, and the others ask only
// the servers of the name's own zone (issue 18).
func TestAllLookupsShareCache(t *testing.T) {
	tests := []struct {
		scenario string
		asked    map[string]int // queries the lookups sent, by zone
		cached   int            // hops the lookups took from the cache
	}{
		// ns1 and ns2.provider.net., A and AAAA: net. once, provider.net.
		// once a lookup; the root's referral to net. once.
		{"glueless", map[string]int{".": 1, "net.": 1, "provider.net.": 4}, 6},
		// ns1 and ns2.dnsprovider.eu., A and AAAA.
		{"demo", map[string]int{".": 1, "eu.": 1, "dnsprovider.eu.": 4}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			r := newResolver(t, startLab(t, tt.scenario), resolver.Options{All: true})
			tr, err := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
			if err != nil {
				t.Fatalf("Trace: %v", err)
			}
			asked, cached, lookups := map[string]int{}, 0, 0
			for _, h := range tr.Hops {
				for _, l := range h.Lookups {
					lookups++
					l.Walk(func(h *trace.Hop) {
						switch {
						case h.Purpose.Check(), h.Purpose.Probe():
							// The checks of dnsprovider.eu.'s servers, which
							// the first lookup to cross it makes, are not the
							// lookups' walks.
						case h.Cached:
							cached++
						default:
							asked[h.Zone]++
						}
					})
				}
			}
			if lookups != 4 || !maps.Equal(asked, tt.asked) || cached != tt.cached {
				t.Errorf("%d lookups asked %v and took %d hops from the cache; want 4 lookups asking %v, %d from the cache", lookups, asked, cached, tt.asked, tt.cached)
			}
		})
	}
}
