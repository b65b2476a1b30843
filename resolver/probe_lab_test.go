package resolver_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestProbes checks the protocol probes on testdata/lab/probes.txtar:
// every address of every zone of a walk with Options.All is asked each
// probe once, in order, after the zone's own hops; what ns1's reply did
// wrong is its Flaw, and ns2, which has no fault, gives none.
func TestProbes(t *testing.T) {
	tests := []struct {
		zone    string
		purpose trace.Purpose
		flaw    trace.Reason
		reason  trace.Reason // of ns1's probe, when it failed
	}{
		{"fine", "", trace.ReasonNone, trace.ReasonNone},
		{"notcp", trace.PurposeProbeTCP, trace.ReasonNone, trace.ReasonNetwork},
		{"tcphang", trace.PurposeProbeTCP, trace.ReasonNone, trace.ReasonTimeout},
		{"ednsdrop", trace.PurposeProbeEDNSOption, trace.ReasonNone, trace.ReasonTimeout},
		{"badvers", trace.PurposeProbeEDNSVersion, trace.ReasonNoBADVERS, trace.ReasonNone},
		{"echo", trace.PurposeProbeEDNSOption, trace.ReasonOptionEchoed, trace.ReasonNone},
		{"aaaadrop", trace.PurposeProbeAAAA, trace.ReasonNone, trace.ReasonTimeout},
		{"nosoa", trace.PurposeProbeNXDomain, trace.ReasonNoNegativeSOA, trace.ReasonNone},
		{"recursive", trace.PurposeProbeRecursion, trace.ReasonRecursive, trace.ReasonNone},
		{"axfr", trace.PurposeProbeAXFR, trace.ReasonTransferOpen, trace.ReasonNone},
		{"casefold", trace.PurposeProbePlain, trace.ReasonCaseChanged, trace.ReasonNone},
	}
	l := startLab(t, "probes")
	r := newResolver(t, l, resolver.Options{All: true, Timeout: 300 * time.Millisecond})
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			t.Parallel()
			zone := tt.zone + ".com."
			tr, err := r.Trace(context.Background(), "www."+zone, dns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			var got []trace.Purpose
			lastOwn := -1
			for i, h := range tr.Hops {
				switch {
				case h.Zone != zone:
				case !h.Purpose.Probe():
					lastOwn = i
				case h.Server.Name == "ns2."+zone:
					if h.Flaw != trace.ReasonNone || h.Rcode < 0 {
						t.Errorf("ns2 %s: flaw %q, rcode %d; want a reply without flaw", h.Purpose, h.Flaw, h.Rcode)
					}
				default:
					if i < lastOwn {
						t.Errorf("probe hop %d (%s) comes before the zone's own hop %d", h.ID, h.Purpose, tr.Hops[lastOwn].ID)
					}
					if len(got) == 0 || got[len(got)-1] != h.Purpose {
						got = append(got, h.Purpose)
					}
					if h.Purpose == tt.purpose && (h.Flaw != tt.flaw || h.Reason != tt.reason) {
						t.Errorf("ns1 %s: flaw %q, reason %q; want %q, %q", h.Purpose, h.Flaw, h.Reason, tt.flaw, tt.reason)
					}
					// The apex has no AAAA: the NODATA lacks the SOA too.
					also := tt.flaw == trace.ReasonNoNegativeSOA && h.Purpose == trace.PurposeProbeAAAA
					if h.Purpose != tt.purpose && h.Flaw != trace.ReasonNone && !also {
						t.Errorf("ns1 %s: flaw %q, want none", h.Purpose, h.Flaw)
					}
				}
			}
			if !slices.Equal(got, trace.Probes()) {
				t.Errorf("ns1 was probed %v, want %v", got, trace.Probes())
			}
		})
	}
}

// TestProbesOff: Options.NoProbes sends none, NoAXFRCheck no AXFR, and the
// probes spend a budget of their own, never the walk's.
func TestProbesOff(t *testing.T) {
	l := startLab(t, "probes")
	count := func(opts resolver.Options) (probes, axfr int, tr *trace.Trace) {
		t.Helper()
		opts.All = true
		tr, err := newResolver(t, l, opts).Trace(context.Background(), "www.axfr.com", dns.TypeA)
		if err != nil {
			t.Fatalf("Trace(%+v): %v", opts, err)
		}
		for _, h := range tr.Hops {
			if h.Purpose.Probe() {
				probes++
			}
			if h.Purpose == trace.PurposeProbeAXFR {
				axfr++
			}
		}
		return probes, axfr, tr
	}
	if n, _, _ := count(resolver.Options{}); n != 7+2*8+2*8 {
		t.Errorf("probes = %d, want 7 at the root, 8 for each of 2 servers of com. and of axfr.com.", n)
	}
	if n, _, _ := count(resolver.Options{NoProbes: true}); n != 0 {
		t.Errorf("NoProbes: probes = %d, want 0", n)
	}
	if n, a, _ := count(resolver.Options{NoAXFRCheck: true}); a != 0 || n != 6+2*7+2*7 {
		t.Errorf("NoAXFRCheck: probes = %d, AXFR %d; want 34 and 0", n, a)
	}
	// The walk needs 3 + 2×3 + 2×3 = 15 queries; the probes have a budget of
	// their own, half of 24, and the zones of the walk (no lookups here)
	// half of that: the first 6 in the order of zones, addresses and probes,
	// every run.
	for range 3 {
		n, _, tr := count(resolver.Options{MaxQueries: 24})
		if tr.Outcome != trace.Answer || tr.Queries-n > 24 || n != 24/2/2 {
			t.Errorf("MaxQueries 24: outcome %s, %d queries, %d probes; want the answer within the budget, and 6 probes", tr.Outcome, tr.Queries, n)
		}
	}
}

// TestProbeOtherAddress: ns1.otheraddr.com. sends its UDP replies from
// another address. The walk, on connected sockets as a resolver's, never
// takes them: its queries to ns1 go unanswered. A probe's try after a
// timeout, on an unconnected socket, sees the reply and where it came
// from, and uses nothing of it; TCP is answered.
func TestProbeOtherAddress(t *testing.T) {
	l := startLab(t, "probes")
	r := newResolver(t, l, resolver.Options{All: true, Timeout: 300 * time.Millisecond})
	tr, err := r.Trace(context.Background(), "www.otheraddr.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddrPort("46.49.11.99:53")
	seen := 0
	for _, h := range tr.Hops {
		if h.Server.Name != "ns1.otheraddr.com." {
			continue
		}
		switch {
		case !h.Purpose.Probe():
			if h.Rcode >= 0 || h.From.IsValid() {
				t.Errorf("walk hop %d (%s): rcode %d, from %v; want no reply taken", h.ID, h.Purpose, h.Rcode, h.From)
			}
		case h.Protocol == "tcp":
			if h.Rcode < 0 {
				t.Errorf("probe %s over TCP: no reply (%v), want one", h.Purpose, h.Err)
			}
		case h.Reason == trace.ReasonOtherAddress:
			seen++
			if h.From != want || h.Rcode >= 0 || len(h.Answer) > 0 {
				t.Errorf("probe %s: from %v, rcode %d, answer %v; want from %v and nothing used", h.Purpose, h.From, h.Rcode, h.Answer, want)
			}
		case h.Reason != trace.ReasonTimeout:
			t.Errorf("probe %s over UDP: reason %q, want a timeout, then other-address", h.Purpose, h.Reason)
		}
	}
	if udp := len(trace.Probes()) - 2; seen != udp {
		t.Errorf("%d probes saw the reply from another address, want every UDP probe's second try, %d", seen, udp)
	}
}
