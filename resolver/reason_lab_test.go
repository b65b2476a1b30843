package resolver_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestReasons checks that the walk records why each hop and each failed
// walk went wrong as a value, the one that diagnosis and renderers read.
func TestReasons(t *testing.T) {
	tests := []struct {
		scenario, name string
		qtype          uint16
		opts           resolver.Options
		reason         trace.Reason // the trace's
		hop            trace.Reason // of some hop of the walk, when set
		to             string       // that hop's ReferredTo
		loops          [][]string
	}{
		{scenario: "healthy", name: "www.example.com"},
		{scenario: "deadserver", name: "www.example.com", opts: resolver.Options{HedgeDelay: -1}, hop: trace.ReasonTimeout},
		{scenario: "deadserver", name: "www.example.com", hop: trace.ReasonAbandoned},
		{scenario: "refused", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonRefused},
		{scenario: "servfail", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonServfail},
		{scenario: "lame", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonNotAuthoritative},
		{scenario: "upward", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonUpwardReferral, to: "."},
		{scenario: "horizontal", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonHorizontalReferral, to: "example.com."},
		{scenario: "sideways", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonSidewaysReferral, to: "sideways.invalid."},
		{scenario: "tc-always", name: "www.example.com", reason: trace.ReasonAllServersFailed, hop: trace.ReasonTruncated},
		{scenario: "no-tcp", name: "big.example.com", qtype: dns.TypeTXT, reason: trace.ReasonAllServersFailed, hop: trace.ReasonNetwork},
		{scenario: "cname-loop", name: "www.example.com", reason: trace.ReasonLoop},
		{scenario: "glueless-cycle", name: "www.a.example", reason: trace.ReasonAllServersFailed,
			loops: [][]string{{"ns.b.example.", "ns.a.example.", "ns.b.example."}}},
		{scenario: "healthy", name: "www.example.com", opts: resolver.Options{MaxQueries: 2}, reason: trace.ReasonQueryLimit},
		{scenario: "subdelegation", name: "api.dev.example.com", opts: resolver.Options{MaxDepth: 2}, reason: trace.ReasonReferralLimit},
		{scenario: "delay", name: "www.example.com", opts: resolver.Options{Deadline: 50 * time.Millisecond}, reason: trace.ReasonDeadline, hop: trace.ReasonDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name+"/"+string(tt.reason)+string(tt.hop), func(t *testing.T) {
			l := startLab(t, tt.scenario)
			qtype := tt.qtype
			if qtype == 0 {
				qtype = dns.TypeA
			}
			tr, err := newResolver(t, l, tt.opts).Trace(context.Background(), tt.name, qtype)
			if tr.Reason != tt.reason {
				t.Errorf("Trace(%q).Reason = %q, want %q (err %v)", tt.name, tr.Reason, tt.reason, err)
			}
			if (tr.Reason == trace.ReasonNone) != (tr.Err == nil) {
				t.Errorf("Trace(%q).Reason = %q with Err %v: one without the other", tt.name, tr.Reason, tr.Err)
			}
			if !slices.EqualFunc(tr.Loops, tt.loops, slices.Equal) {
				t.Errorf("Trace(%q).Loops = %q, want %q", tt.name, tr.Loops, tt.loops)
			}
			tr.Walk(func(h *trace.Hop) {
				if (h.Reason == trace.ReasonNone) != (h.Err == nil) {
					t.Errorf("hop %d Reason = %q with Err %v: one without the other", h.ID, h.Reason, h.Err)
				}
			})
			if tt.hop == trace.ReasonNone {
				return
			}
			hs := hopsWith(tr, func(h *trace.Hop) bool { return h.Reason == tt.hop })
			if len(hs) == 0 {
				t.Fatalf("Trace(%q) has no hop with reason %q", tt.name, tt.hop)
			}
			if hs[0].ReferredTo != tt.to {
				t.Errorf("hop %d ReferredTo = %q, want %q", hs[0].ID, hs[0].ReferredTo, tt.to)
			}
		})
	}
}

// TestReasonCancelled: a walk its caller cancels says so, as do its hops
// cut off; neither is a server's failure.
func TestReasonCancelled(t *testing.T) {
	l := startLab(t, "delay")
	ctx, cancel := context.WithCancel(context.Background())
	r := newResolver(t, l, resolver.Options{Observer: &resolver.Observer{
		QueryStarted: func(h trace.Hop, _ int) {
			if h.Zone == "example.com." {
				cancel()
			}
		},
	}})
	tr, _ := r.Trace(ctx, "www.example.com", dns.TypeA)
	if tr.Reason != trace.ReasonCancelled || !tr.Reason.Ours() {
		t.Errorf("Trace.Reason = %q, want %q", tr.Reason, trace.ReasonCancelled)
	}
	if hs := hopsWith(tr, func(h *trace.Hop) bool { return h.Reason == trace.ReasonCancelled }); len(hs) == 0 {
		t.Errorf("no hop with reason %q", trace.ReasonCancelled)
	}
}

// TestReasonNoRoute: an address this host cannot send to is its failure,
// not the server's.
func TestReasonNoRoute(t *testing.T) {
	l := startLab(t, "healthy")
	r, err := resolver.New(resolver.Options{
		RootHints: l.RootHints(),
		Dial: func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &os.SyscallError{Syscall: "connect", Err: syscall.ENETUNREACH}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := r.Trace(context.Background(), "www.example.com", dns.TypeA)
	if h := tr.Hops[0]; h.Reason != trace.ReasonNoRoute || !h.Reason.Ours() {
		t.Errorf("hop 1 Reason = %q, want %q", h.Reason, trace.ReasonNoRoute)
	}
}

// TestGlueIgnored: glue the walk does not use says why.
func TestGlueIgnored(t *testing.T) {
	l := startLab(t, "poison-glue")
	tr, err := newResolver(t, l, resolver.Options{}).Trace(context.Background(), "www.example.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	var got []trace.Reason
	for _, h := range hopsWith(tr, func(h *trace.Hop) bool { return h.Referral != nil }) {
		for _, g := range h.Referral.Glue {
			if g.Ignored != trace.ReasonNone {
				got = append(got, g.Ignored)
			}
		}
	}
	if len(got) == 0 || slices.ContainsFunc(got, func(r trace.Reason) bool {
		return r != trace.ReasonOutOfBailiwick && r != trace.ReasonNotNameserver
	}) {
		t.Errorf("ignored glue reasons = %q, want out-of-bailiwick or not-nameserver", got)
	}
}

// TestMode: the trace says how it was walked; only the outermost walk asks
// every server with All, not the lookups of nameserver addresses in it.
func TestMode(t *testing.T) {
	l := startLab(t, "glueless")
	proposed := &trace.Delegation{Zone: "example.com.", NS: []trace.NS{{Name: "ns1.provider.net."}}}
	tests := []struct {
		opts       resolver.Options
		want, look trace.Mode
	}{
		{resolver.Options{}, trace.Mode{}, trace.Mode{}},
		{resolver.Options{All: true}, trace.Mode{All: true}, trace.Mode{}},
		{resolver.Options{Delegate: []*trace.Delegation{proposed}}, trace.Mode{Simulated: true}, trace.Mode{Simulated: true}},
	}
	for _, tt := range tests {
		tr, err := newResolver(t, l, tt.opts).Trace(context.Background(), "www.example.com", dns.TypeA)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Mode != tt.want {
			t.Errorf("Trace with %+v: Mode = %+v, want %+v", tt.opts, tr.Mode, tt.want)
		}
		tr.Walk(func(h *trace.Hop) {
			for _, l := range h.Lookups {
				if l.Mode != tt.look {
					t.Errorf("Trace with %+v: lookup Mode = %+v, want %+v", tt.opts, l.Mode, tt.look)
				}
			}
		})
	}
}

// TestPrime: a walk primed by a server starts from the roots it names, and
// says so in its Mode; a priming query that fails is the walk's reason.
func TestPrime(t *testing.T) {
	l := startLab(t, "refused")
	// The lab maps the address its scenarios write for a.root-servers.net.
	root := netip.AddrPortFrom(l.RootHints()[0].Addr, 53)
	tr, err := newResolver(t, l, resolver.Options{Prime: root}).Trace(context.Background(), "www.example.com", dns.TypeNS)
	if tr == nil || len(tr.Hops) == 0 {
		t.Fatalf("Trace primed by %s = %v, %v", root, tr, err)
	}
	if h := tr.Hops[0]; h.Purpose != trace.PurposePrime || h.Outcome != trace.Answer || !tr.Mode.Primed {
		t.Errorf("first hop %s %s, Mode %+v: want a priming answer and Mode.Primed", h.Purpose, h.Outcome, tr.Mode)
	}
	if h := tr.Hops[1]; h.Server.Source != trace.SourcePrimed {
		t.Errorf("hop 2 asked %+v, want a root named by the priming reply", h.Server)
	}

	ns1 := netip.MustParseAddrPort("192.0.2.1:53") // answers REFUSED
	tr, err = newResolver(t, l, resolver.Options{Prime: ns1}).Trace(context.Background(), "www.example.com", dns.TypeA)
	if err == nil || tr.Reason != trace.ReasonRefused || tr.Hops[0].Reason != trace.ReasonRefused || !tr.Mode.Primed {
		t.Errorf("Trace primed by a server that refuses: Reason %q, hop %q, Mode %+v, err %v; want refused", tr.Reason, tr.Hops[0].Reason, tr.Mode, err)
	}
}
