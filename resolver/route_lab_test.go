package resolver_test

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestHostNetwork traces a healthy dual-stack hierarchy from hosts that
// lack one family, or both: each family this host cannot send to is found
// out once, on one hop (ReasonNoRoute), before any packet leaves, and no
// other address of it is asked; a zone none of whose servers can be asked
// fails with a *NoRouteError, never a *ZoneError against its servers.
func TestHostNetwork(t *testing.T) {
	tests := []struct {
		host     lab.HostNetwork
		name     string
		opts     resolver.Options
		outcome  trace.Outcome
		noRoute  []string // the families of the hops not sent, in order
		failZone string   // the zone of the *NoRouteError, when the walk fails
		family   string   // and the family it names
	}{
		{host: lab.HostDualStack, name: "www.example.com", outcome: trace.Answer},
		{host: lab.HostDualStack, name: "www.v6.example.com", outcome: trace.Answer},
		// ns1.example.com has IPv6 only: not sent, and ns2 answers.
		{host: lab.HostIPv4Only, name: "www.example.com", outcome: trace.Answer, noRoute: []string{"IPv6"}},
		{host: lab.HostIPv4Only, name: "www.example.com", opts: resolver.Options{All: true}, outcome: trace.Answer, noRoute: []string{"IPv6"}},
		{host: lab.HostIPv4Only, name: "www.v6.example.com", outcome: trace.Failed, noRoute: []string{"IPv6"}, failZone: "v6.example.com."},
		{host: lab.HostIPv4Only, name: "www.example.com", opts: resolver.Options{Family: 6}, outcome: trace.Failed, noRoute: []string{"IPv6"}, failZone: ".", family: "IPv6"},
		{host: lab.HostIPv6Only, name: "www.example.com", outcome: trace.Answer, noRoute: []string{"IPv4"}},
		{host: lab.HostIPv6Only, name: "www.v6.example.com", opts: resolver.Options{All: true}, outcome: trace.Answer, noRoute: []string{"IPv4"}},
		{host: lab.HostOffline, name: "www.example.com", outcome: trace.Failed, noRoute: []string{"IPv4", "IPv6"}, failZone: "."},
		{host: lab.HostOffline, name: "www.example.com", opts: resolver.Options{All: true}, outcome: trace.Failed, noRoute: []string{"IPv4", "IPv6"}, failZone: "."},
	}
	for _, tt := range tests {
		t.Run(string(tt.host)+"/"+tt.name, func(t *testing.T) {
			l := labtest.StartAs(t, "host-ipv4-only", tt.host)
			tr, err := newResolver(t, l, tt.opts).Trace(context.Background(), tt.name, dns.TypeA)
			if tr.Outcome != tt.outcome {
				t.Fatalf("Trace(%q) outcome = %v (%v), want %v", tt.name, tr.Outcome, err, tt.outcome)
			}
			var got []string
			tr.Walk(func(h *trace.Hop) {
				if h.Reason == trace.ReasonNoRoute {
					got = append(got, family(h))
				}
			})
			if !slices.Equal(got, tt.noRoute) {
				t.Errorf("Trace(%q) hops not sent: %q, want %q", tt.name, got, tt.noRoute)
			}
			// No address of a family found down is asked after it.
			down := map[string]bool{}
			tr.Walk(func(h *trace.Hop) {
				if down[family(h)] && !h.Cached {
					t.Errorf("hop %d (%s %s %v) to %s sent after %s was found down", h.ID, h.Purpose, h.Reason, h.Err, h.Server.Addr, family(h))
				}
				if h.Reason == trace.ReasonNoRoute {
					down[family(h)] = true
				}
			})
			var nr *resolver.NoRouteError
			switch {
			case tt.failZone == "" && err != nil:
				t.Errorf("Trace(%q) err = %v, want none", tt.name, err)
			case tt.failZone == "":
			case !errors.As(err, &nr) || nr.Zone != tt.failZone || nr.Family != tt.family:
				t.Errorf("Trace(%q) err = %v, want a *NoRouteError for %s", tt.name, err, tt.failZone)
			case !errors.Is(err, syscall.ENETUNREACH) || tr.Reason != trace.ReasonNoRoute || !tr.Reason.Ours():
				t.Errorf("Trace(%q) err = %v, Reason %q: want ENETUNREACH, %q", tt.name, err, tr.Reason, trace.ReasonNoRoute)
			}
		})
	}
}

// TestHostNetworkShared: traces that share a Cache, as those of a batch
// do, share what they learned of this host's routes: a family found down
// by one is not tried by the next.
func TestHostNetworkShared(t *testing.T) {
	l := labtest.StartAs(t, "host-ipv4-only", lab.HostIPv4Only)
	r := newResolver(t, l, resolver.Options{Cache: resolver.NewCache(), All: true})
	for i, name := range []string{"www.example.com", "example.com"} {
		tr, err := r.Trace(context.Background(), name, dns.TypeNS)
		if err != nil {
			t.Fatalf("Trace(%q): %v", name, err)
		}
		var v6, unsent int
		tr.Walk(func(h *trace.Hop) {
			if h.Server.Addr.Is6() {
				v6++
			}
			if h.Reason == trace.ReasonNoRoute {
				unsent++
			}
		})
		if want := 1 - i; v6 != want || unsent != want {
			t.Errorf("trace %d (%s): %d IPv6 hops, %d not sent; want %d of each", i+1, name, v6, unsent, want)
		}
	}
}

func family(h *trace.Hop) string {
	if h.Server.Addr.Unmap().Is4() {
		return "IPv4"
	}
	return "IPv6"
}
