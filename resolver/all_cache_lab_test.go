package resolver_test

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestLookupsShareCache traces names whose nameservers came without glue,
// by default and with Options.All: the lookups of the trace share one
// cache, so only the first lookup of a domain walks from the root, and the
// others start at the name's own zone and ask only its servers, marked
// FromCache (issue 18).
func TestLookupsShareCache(t *testing.T) {
	tests := []struct {
		scenario string
		asked    map[string]int // queries the lookups sent, by zone
	}{
		// ns1 and ns2.provider.net., A and AAAA: net. once, provider.net.
		// once a lookup; the root's referral to net. once.
		{"glueless", map[string]int{".": 1, "net.": 1, "provider.net.": 4}},
		// ns1 and ns2.dnsprovider.eu., A and AAAA.
		{"demo", map[string]int{".": 1, "eu.": 1, "dnsprovider.eu.": 4}},
	}
	for _, tt := range tests {
		for _, all := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/all=%v", tt.scenario, all), func(t *testing.T) {
				t.Parallel()
				// One server at a time: a hedge fired on a loaded machine
				// would add a query.
				r := newResolver(t, startLab(t, tt.scenario), resolver.Options{All: all, HedgeDelay: -1})
				tr, err := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
				if err != nil {
					t.Fatalf("Trace: %v", err)
				}
				lookupsShareCache(t, tr, tt.asked)
			})
		}
	}
}

func lookupsShareCache(t *testing.T, tr *trace.Trace, want map[string]int) {
	t.Helper()
	asked, cached, lookups, fromCache := map[string]int{}, 0, 0, 0
	for _, h := range tr.Hops {
		for _, l := range h.Lookups {
			lookups++
			if l.FromCache != "" {
				fromCache++
			}
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
	if lookups != 4 || !maps.Equal(asked, want) || cached != 0 || fromCache != 3 {
		t.Errorf("%d lookups asked %v, %d of them from the cache, and showed %d cached hops; want 4 lookups asking %v, 3 from the cache, no cached hop",
			lookups, asked, fromCache, cached, want)
	}
}
