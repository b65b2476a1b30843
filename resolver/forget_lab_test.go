package resolver_test

import (
	"context"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestForgetAnswers traces a name three times through one cache: the
// second trace takes everything from the cache; after ForgetAnswers the
// third asks the name's own servers again, and only them.
func TestForgetAnswers(t *testing.T) {
	cache := resolver.NewCache()
	r := newResolver(t, startLab(t, "healthy"), resolver.Options{Cache: cache, PathOnly: true})
	walk := func() (asked []string) {
		t.Helper()
		tr, err := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
		if err != nil {
			t.Fatalf("Trace: %v", err)
		}
		tr.Walk(func(h *trace.Hop) {
			if !h.Cached {
				asked = append(asked, h.Zone+" "+h.Question.Name)
			}
		})
		return asked
	}
	walk()
	if asked := walk(); len(asked) != 0 {
		t.Errorf("second trace asked %q, want nothing: the cache holds it all", asked)
	}
	cache.ForgetAnswers()
	if asked := walk(); len(asked) != 1 || asked[0] != "example.com. www.example.com." {
		t.Errorf("after ForgetAnswers, the trace asked %q; want www.example.com. of example.com. alone", asked)
	}
}

// TestCachedKeys traces two names of a signed lab through one cache: the
// second takes each zone's DNSKEY set from the cache, sends no DNSKEY
// query, and validates as the first did.
func TestCachedKeys(t *testing.T) {
	l := startLab(t, "dnssec")
	r := newResolver(t, l, resolver.Options{TrustAnchors: l.Scenario().Anchors(), Cache: resolver.NewCache(), PathOnly: true})
	for i, name := range []string{"www.example.com.", "alias.example.com."} {
		tr, err := r.Trace(context.Background(), name, dns.TypeA)
		if err != nil {
			t.Fatalf("Trace(%s): %v", name, err)
		}
		if len(tr.DNSSEC) != 3 {
			t.Errorf("%s: %d zones validated, want 3 (., com., example.com.)", name, len(tr.DNSSEC))
		}
		for _, d := range tr.DNSSEC {
			switch {
			case d.Query == nil:
				t.Errorf("%s: %s has no DNSKEY query", name, d.Zone)
			case d.Query.Cached != (i > 0):
				t.Errorf("%s: %s's DNSKEY query cached = %v, want %v", name, d.Zone, d.Query.Cached, i > 0)
			}
			if d.Status != trace.DNSSECSecure {
				t.Errorf("%s: %s is %s, want secure", name, d.Zone, d.Status)
			}
		}
	}
}
