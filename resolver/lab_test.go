package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// startLab serves testdata/lab/NAME.txtar on loopback for the test's duration.
func startLab(t testing.TB, name string) *lab.Lab { return labtest.Start(t, name) }

// newResolver aims a resolver at l, with a 1s timeout: failure cases stay
// quick, and a loaded machine (-race) does not time out healthy servers.
// The dial refuses anything but the lab's addresses.
func newResolver(t testing.TB, l *lab.Lab, opts resolver.Options) *resolver.Resolver {
	t.Helper()
	opts.Dial = l.Dial
	opts.RootHints = l.RootHints()
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	r, err := resolver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hopsWith returns the hops, nested lookups included, that match f.
func hopsWith(tr *trace.Trace, f func(*trace.Hop) bool) []*trace.Hop {
	var out []*trace.Hop
	for _, h := range tr.Hops {
		if f(h) {
			out = append(out, h)
		}
		for _, l := range h.Lookups {
			out = append(out, hopsWith(l, f)...)
		}
	}
	return out
}

// walkHops returns the hops of the walk itself, without checks.
func walkHops(tr *trace.Trace) []*trace.Hop {
	var out []*trace.Hop
	for _, h := range tr.Hops {
		if h.Purpose == trace.PurposeWalk {
			out = append(out, h)
		}
	}
	return out
}

// failedWalkHops returns the walk's hops, lookups included, that failed.
func failedWalkHops(tr *trace.Trace) []*trace.Hop {
	return hopsWith(tr, func(h *trace.Hop) bool { return h.Err != nil && h.Purpose == trace.PurposeWalk })
}

func TestTraceLab(t *testing.T) {
	tests := []struct {
		scenario string
		name     string
		qtype    uint16
		opts     resolver.Options
		outcome  trace.Outcome
		err      error    // wanted in the error chain when set
		zones    []string // the zones crossed, when set
		answer   string   // a substring of the final answer, when set
		check    func(t *testing.T, tr *trace.Trace)
	}{
		{scenario: "healthy", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{HedgeDelay: -1}, outcome: trace.Answer,
			zones: []string{".", "com.", "example.com."}, answer: "192.0.2.10",
			check: func(t *testing.T, tr *trace.Trace) {
				var srcs []trace.Source
				for _, h := range walkHops(tr) {
					srcs = append(srcs, h.Server.Source)
				}
				if want := []trace.Source{trace.SourceHints, trace.SourceGlue, trace.SourceGlue}; !slices.Equal(srcs, want) {
					t.Errorf("sources = %v, want %v", srcs, want)
				}
				if tr.Queries != 5 {
					t.Errorf("Queries = %d, want 5 (3, and the NS checks of com. and example.com.)", tr.Queries)
				}
				var checks []string
				for _, h := range tr.Hops {
					if h.Purpose == trace.PurposeChildNS {
						checks = append(checks, h.Question.String()+" "+string(h.Outcome))
					}
				}
				if want := []string{"com. IN NS answer", "example.com. IN NS answer"}; !slices.Equal(checks, want) {
					t.Errorf("child NS checks = %v, want %v", checks, want)
				}
				f := tr.Final()
				if f == nil || !f.AA || f.Protocol != "udp" || f.Size == 0 || f.Rcode != dns.RcodeSuccess {
					t.Errorf("final hop = %+v, want AA over UDP with a size and NOERROR", f)
				}
				ref := tr.Hops[1].Referral
				if ref == nil || ref.Zone != "example.com." || len(ref.NS) != 2 || ref.NS[0].TTL != 172800 || len(ref.Glue) != 2 {
					t.Errorf("com referral = %+v, want example.com. with 2 NS (TTL 172800) and 2 glue", ref)
				}
			}},
		{scenario: "healthy", name: "WWW.Example.COM.", qtype: dns.TypeAAAA, outcome: trace.Answer, answer: "2001:db8::10"},
		{scenario: "healthy", name: "alias.example.com", qtype: dns.TypeA, outcome: trace.Answer, answer: "CNAME"},
		{scenario: "healthy", name: "nope.example.com", qtype: dns.TypeA, outcome: trace.NXDomain, answer: "SOA"},
		{scenario: "healthy", name: "mail.example.com", qtype: dns.TypeMX, outcome: trace.NoData, answer: "SOA"},
		{scenario: "healthy", name: "example.com", qtype: dns.TypeMX, outcome: trace.Answer, answer: "mail.example.com."},
		{scenario: "healthy", name: "com", qtype: dns.TypeNS, outcome: trace.Answer, zones: []string{".", "com."}},
		{scenario: "healthy", name: ".", qtype: dns.TypeNS, outcome: trace.Answer, zones: []string{"."}},
		// Names a user types: escaped labels are compared as wire names,
		// with the names in replies, which miekg/dns spells its own way.
		{scenario: "names", name: `www.exa\mple.com`, qtype: dns.TypeA, outcome: trace.Answer, answer: "192.0.2.10",
			check: func(t *testing.T, tr *trace.Trace) {
				if tr.Question.Name != "www.example.com." {
					t.Errorf("Question.Name = %q, want it as the wire has it", tr.Question.Name)
				}
			}},
		{scenario: "names", name: `A\046B.example.com`, qtype: dns.TypeTXT, outcome: trace.Answer, answer: "a label with a dot",
			check: func(t *testing.T, tr *trace.Trace) {
				if tr.Question.Name != `a\.b.example.com.` {
					t.Errorf("Question.Name = %q, want a\\.b.example.com.", tr.Question.Name)
				}
			}},
		{scenario: "names", name: `b\195\188cher.example.com.`, qtype: dns.TypeA, outcome: trace.Answer, answer: "192.0.2.11"},
		{scenario: "names", name: `a.b.example.com`, qtype: dns.TypeTXT, outcome: trace.NXDomain}, // two labels, not one with a dot
		{scenario: "names", name: "xn--bcher-kva.de", qtype: dns.TypeA, outcome: trace.Answer, answer: "192.0.2.80",
			zones: []string{".", "de.", "xn--bcher-kva.de."}},
		{scenario: "names", name: "example.com", qtype: dns.TypeANY, outcome: trace.Answer, answer: "MX"},
		{scenario: "subdelegation", name: "api.dev.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			zones: []string{".", "com.", "example.com.", "dev.example.com."}, answer: "192.0.2.80"},
		{scenario: "glueless", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{HedgeDelay: -1}, outcome: trace.Answer,
			zones: []string{".", "com.", "example.com."}, answer: "192.0.2.10",
			check: func(t *testing.T, tr *trace.Trace) {
				com := tr.Hops[1]
				if len(com.Lookups) != 1 || com.Lookups[0].Question.Name != "ns1.provider.net." || com.Lookups[0].Question.Qtype != dns.TypeA {
					t.Fatalf("com hop lookups = %+v, want one for ns1.provider.net. A", com.Lookups)
				}
				l := com.Lookups[0]
				if got, want := l.Zones(), []string{".", "net.", "provider.net."}; !slices.Equal(got, want) {
					t.Errorf("lookup zones = %v, want %v", got, want)
				}
				final := tr.Final()
				if final.Server.Source != trace.SourceResolved || final.Server.Addr != netip.MustParseAddr("185.12.64.1") {
					t.Errorf("final server = %+v, want ns1.provider.net. 185.12.64.1 resolved", final.Server)
				}
				if tr.Queries != 8 {
					t.Errorf("Queries = %d, want 8 (3, 3 for the lookup, 2 NS checks)", tr.Queries)
				}
			}},
		{scenario: "deadserver", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				// ns1 is abandoned for ns2, never waited out. On a loaded
				// machine the hedge may also fire at a slow live server,
				// ask it again and abandon one copy: every failed hop is
				// abandoned, whichever they are.
				failed := failedWalkHops(tr)
				if !slices.ContainsFunc(failed, func(h *trace.Hop) bool { return h.Server.Name == "ns1.example.com." }) {
					t.Fatalf("failed hops = %v, want ns1.example.com. among them", failed)
				}
				for _, h := range failed {
					if h.Outcome != trace.Abandoned {
						t.Errorf("%s %s: %s (%v), want abandoned for another server by hedging", h.Zone, h.Server.Name, h.Outcome, h.Err)
					}
				}
				if tr.Final().Server.Name != "ns2.example.com." {
					t.Errorf("answered by %s, want ns2.example.com.", tr.Final().Server.Name)
				}
			}},
		{scenario: "deadserver", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{HedgeDelay: -1}, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				failed := failedWalkHops(tr)
				if len(failed) != 1 || failed[0].Server.Name != "ns1.example.com." || !errors.Is(failed[0].Err, resolver.ErrTimeout) {
					t.Fatalf("failed hops = %v, want ns1.example.com. timing out", failed)
				}
			}},
		{scenario: "lamedelegation", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				failed := failedWalkHops(tr)
				if len(failed) != 1 || !errors.Is(failed[0].Err, resolver.RcodeError(dns.RcodeRefused)) {
					t.Errorf("failed hops = %v, want one REFUSED", failed)
				}
			}},
		{scenario: "truncate", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				if f := tr.Final(); f.Protocol != "tcp" || !f.Truncated || f.TC {
					t.Errorf("final hop protocol %s truncated %v TC %v, want tcp after truncation, TC clear", f.Protocol, f.Truncated, f.TC)
				}
			}},
		{scenario: "no-edns", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				if f := tr.Final(); !f.NoEDNS || f.Rcode != dns.RcodeSuccess {
					t.Errorf("final hop NoEDNS %v rcode %d, want the query repeated without EDNS0 and answered", f.NoEDNS, f.Rcode)
				}
			}},
		{scenario: "bigtxt", name: "big.example.com", qtype: dns.TypeTXT, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				f := tr.Final()
				if f.Protocol != "tcp" || f.Size <= 1232 || len(tr.Answer) < 5 {
					t.Errorf("final hop %s %d bytes with %d records, want a large TXT RRset over tcp", f.Protocol, f.Size, len(tr.Answer))
				}
			}},
		{scenario: "noaddress", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer},
		{scenario: "poison-glue", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				poisoned := netip.MustParseAddr("192.0.2.66")
				if h := hopsWith(tr, func(h *trace.Hop) bool { return h.Server.Addr == poisoned }); len(h) > 0 {
					t.Errorf("queried the poisoned address: %v", h[0])
				}
				var ignored []string
				for _, h := range hopsWith(tr, func(h *trace.Hop) bool { return h.Referral != nil }) {
					for _, g := range h.Referral.Glue {
						if g.Ignored != trace.ReasonNone {
							ignored = append(ignored, g.Name)
						}
					}
				}
				if !slices.Contains(ignored, "ns1.provider.net.") {
					t.Errorf("ignored glue = %v, want ns1.provider.net. among it", ignored)
				}
			}},
		{scenario: "refused", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.RcodeError(dns.RcodeRefused)},
		{scenario: "servfail", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.RcodeError(dns.RcodeServerFailure)},
		{scenario: "lame", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrLame},
		{scenario: "upward", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrUpward},
		{scenario: "horizontal", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrHorizontal},
		{scenario: "sideways", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrSideways},
		{scenario: "wrong-id", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrTimeout},
		{scenario: "wrong-question", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrTimeout},
		{scenario: "garbage", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrTimeout},
		{scenario: "tc-always", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrTruncatedTCP},
		{scenario: "tcp-hang", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrTimeout},
		{scenario: "no-tcp", name: "big.example.com", qtype: dns.TypeTXT, outcome: trace.Failed, err: resolver.ErrNoServers},
		{scenario: "delay", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{Timeout: 50 * time.Millisecond}, outcome: trace.Failed, err: resolver.ErrTimeout},
		{scenario: "delay", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{Timeout: time.Second}, outcome: trace.Answer},
		{scenario: "glueless-cycle", name: "www.a.example", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrLoop},
		{scenario: "healthy", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{All: true}, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				var got []string
				for _, h := range tr.Hops {
					if h.Zone == "example.com." && !h.Purpose.Probe() { // probe_lab_test.go
						got = append(got, h.Server.Name+" "+h.Question.String())
					}
				}
				want := []string{
					"ns1.example.com. www.example.com. IN A", "ns1.example.com. example.com. IN SOA", "ns1.example.com. example.com. IN NS",
					"ns2.example.com. www.example.com. IN A", "ns2.example.com. example.com. IN SOA", "ns2.example.com. example.com. IN NS",
				}
				if !slices.Equal(got, want) {
					t.Errorf("example.com. hops = %q, want %q", got, want)
				}
			}},
		{scenario: "deadserver", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{All: true, Timeout: 500 * time.Millisecond}, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				failed := hopsWith(tr, func(h *trace.Hop) bool { return h.Err != nil && !h.Purpose.Probe() })
				// ns1 is down: each question, asked twice (Tries), timed out.
				if len(failed) != 6 {
					t.Errorf("failed hops: %d, want 6 (3 questions × 2 tries to ns1)", len(failed))
				}
				for _, h := range failed {
					if h.Server.Name != "ns1.example.com." || !errors.Is(h.Err, resolver.ErrTimeout) {
						t.Errorf("failed hop %s %v, want only ns1.example.com. timing out", h.Server.Name, h.Err)
					}
				}
			}},
		{scenario: "glueless", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{All: true}, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				var lookups []string
				for _, h := range tr.Hops {
					for _, l := range h.Lookups {
						lookups = append(lookups, l.Question.String())
					}
				}
				want := []string{"ns1.provider.net. IN A", "ns1.provider.net. IN AAAA", "ns2.provider.net. IN A", "ns2.provider.net. IN AAAA"}
				if !slices.Equal(lookups, want) {
					t.Errorf("lookups = %q, want %q", lookups, want)
				}
			}},
		{scenario: "glueless", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			opts: resolver.Options{Delegate: []*trace.Delegation{{
				Zone: "example.com.",
				NS:   []trace.NS{{Name: "ns2.provider.net."}},
				Glue: []trace.Glue{{Name: "ns2.provider.net.", Addr: netip.MustParseAddr("194.0.34.2")}},
			}}},
			check: func(t *testing.T, tr *trace.Trace) {
				var got []string
				for _, h := range walkHops(tr) {
					got = append(got, fmt.Sprintf("%s %s simulated=%v", h.Zone, h.Server.Name, h.Simulated))
				}
				want := []string{
					". a.root-servers.net. simulated=false",
					"com. a.gtld-servers.net. simulated=false",
					"com. --delegate simulated=true",
					"example.com. ns2.provider.net. simulated=false",
				}
				if !slices.Equal(got, want) {
					t.Errorf("walk = %q, want %q", got, want)
				}
				if sim := walkHops(tr)[2]; sim.Referral.NS[0].TTL != 172800 {
					t.Errorf("simulated NS TTL = %d, want the parent's 172800", sim.Referral.NS[0].TTL)
				}
				if len(walkHops(tr)[1].Lookups) != 0 {
					t.Errorf("the real referral's glueless servers were looked up, but the walk went on from the simulated one")
				}
			}},
		{scenario: "healthy", name: "www.new.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrLame,
			opts: resolver.Options{Delegate: []*trace.Delegation{{
				Zone: "new.example.com.",
				NS:   []trace.NS{{Name: "ns1.example.com."}},
			}}},
			check: func(t *testing.T, tr *trace.Trace) {
				sim := hopsWith(tr, func(h *trace.Hop) bool { return h.Simulated })
				if len(sim) != 1 || sim[0].Zone != "example.com." {
					t.Errorf("simulated hops = %v, want one from example.com., which says NXDOMAIN for the new zone", sim)
				}
			}},
		{scenario: "loss", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{Timeout: 2 * time.Second, NoChildNS: true}, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				// A lost datagram costs a hedge delay, not a timeout: the
				// query is sent again and the lost one abandoned, none
				// waited out (not a wall time: a loaded machine is slow).
				lost := hopsWith(tr, func(h *trace.Hop) bool { return h.Outcome == trace.Abandoned && h.Server.Name == "ns1.example.com." })
				if len(lost) == 0 {
					t.Errorf("no query to ns1.example.com. abandoned, of %d in the walk", len(walkHops(tr)))
				}
				if timedOut := hopsWith(tr, func(h *trace.Hop) bool { return errors.Is(h.Err, resolver.ErrTimeout) }); len(timedOut) > 0 {
					t.Errorf("%s %s timed out: a lost datagram should cost a hedge delay, not a timeout", timedOut[0].Zone, timedOut[0].Server.Name)
				}
			}},
		{scenario: "inzone-noglue", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{HedgeDelay: -1}, outcome: trace.Failed, err: resolver.ErrNoGlue,
			check: func(t *testing.T, tr *trace.Trace) {
				want := "all 2 servers for example.com. failed: ns1.example.com., ns2.example.com. no glue for a name inside the zone"
				if tr.Err.Error() != want {
					t.Errorf("err = %q, want %q", tr.Err, want)
				}
				if tr.Queries != 3 {
					t.Errorf("Queries = %d, want 3: no lookup can help", tr.Queries)
				}
			}},
		{scenario: "referral-loop", name: "www.sub.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrHorizontal},
		{scenario: "cname-loop", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrLoop,
			check: func(t *testing.T, tr *trace.Trace) {
				if want := "CNAME loop www.example.com. → www.example.net. → www.example.com."; !strings.Contains(tr.Err.Error(), want) {
					t.Errorf("err = %v, want it to name the loop %q", tr.Err, want)
				}
			}},
		{scenario: "cname-loop", name: "chain.example.com", qtype: dns.TypeA, opts: resolver.Options{MaxCNAME: 1}, outcome: trace.Failed, err: resolver.ErrMaxCNAME},
		{scenario: "cname-loop", name: "chain.example.com", qtype: dns.TypeA, outcome: trace.Answer, answer: "192.0.2.99",
			check: func(t *testing.T, tr *trace.Trace) {
				if len(tr.Answer) != 3 {
					t.Errorf("answer = %v, want the two CNAMEs and the A record", tr.Answer)
				}
			}},
		{scenario: "cname-loop", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{NoFollow: true}, outcome: trace.CNAME, answer: "www.example.net."},
		{scenario: "many-ns", name: "www.example.com", qtype: dns.TypeA, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				// The referral com. gave; on a loaded machine the hedge may
				// have asked its other server too, and abandoned it.
				i := slices.IndexFunc(walkHops(tr), func(h *trace.Hop) bool { return h.Zone == "com." && h.Outcome == trace.Referral })
				if i < 0 {
					t.Fatalf("no referral from com.: %v", walkHops(tr))
				}
				if ref := walkHops(tr)[i]; len(ref.Referral.NS) != 1000 || ref.Protocol != "tcp" {
					t.Errorf("com referral: %d NS over %s, want 1000 over tcp", len(ref.Referral.NS), ref.Protocol)
				}
				if tr.Queries > 10 {
					t.Errorf("Queries = %d, want the glued server asked straight away", tr.Queries)
				}
			}},
		{scenario: "many-ns", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{MaxNS: 5, HedgeDelay: -1}, outcome: trace.Answer},
		{scenario: "chain40", name: "www.l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11.l12.l13.l14.l15.l16.l17.l18.l19.l20.l21.l22.l23.l24.l25.l26.l27.l28.l29.l30.l31.l32.l33.l34.l35.l36.l37.l38.l39.l40.example", qtype: dns.TypeA, outcome: trace.Failed, err: resolver.ErrMaxDepth},
		{scenario: "chain40", name: "www.l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11.l12.l13.l14.l15.l16.l17.l18.l19.l20.l21.l22.l23.l24.l25.l26.l27.l28.l29.l30.l31.l32.l33.l34.l35.l36.l37.l38.l39.l40.example", qtype: dns.TypeA, opts: resolver.Options{MaxDepth: 45, NoChildNS: true}, outcome: trace.Answer,
			check: func(t *testing.T, tr *trace.Trace) {
				if n := len(tr.Zones()); n != 42 {
					t.Errorf("crossed %d zones, want 42", n)
				}
			}},
		{scenario: "healthy", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{MaxQueries: 2}, outcome: trace.Failed, err: resolver.ErrMaxQueries},
		{scenario: "subdelegation", name: "api.dev.example.com", qtype: dns.TypeA, opts: resolver.Options{MaxDepth: 2}, outcome: trace.Failed, err: resolver.ErrMaxDepth},
		{scenario: "glueless", name: "www.example.com", qtype: dns.TypeA, opts: resolver.Options{MaxNesting: 1}, outcome: trace.Answer},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			t.Parallel()
			// The walk's own path: the server checks beside it have tests
			// of their own (servers_test.go).
			tt.opts.PathOnly = true
			r := newResolver(t, startLab(t, tt.scenario), tt.opts)
			tr, err := r.Trace(context.Background(), tt.name, tt.qtype)
			if tr == nil {
				t.Fatalf("Trace(%q) = nil, %v", tt.name, err)
			}
			if tr.Outcome != tt.outcome {
				t.Fatalf("Trace(%q) outcome = %v (err %v), want %v", tt.name, tr.Outcome, err, tt.outcome)
			}
			if err != tr.Err {
				t.Errorf("Trace(%q) returned %v, but the trace says %v", tt.name, err, tr.Err)
			}
			if tt.outcome.Authoritative() != (err == nil) {
				t.Errorf("Trace(%q) err = %v with outcome %v", tt.name, err, tr.Outcome)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("Trace(%q) err = %v, want %v in its chain", tt.name, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("Trace(%q) err = %q, want one line", tt.name, err)
			}
			if tt.zones != nil && !slices.Equal(tr.Zones(), tt.zones) {
				t.Errorf("Trace(%q) zones = %v, want %v", tt.name, tr.Zones(), tt.zones)
			}
			if tt.answer != "" {
				var all []string
				for _, rr := range append(slices.Clone(tr.Answer), tr.Authority...) {
					all = append(all, rr.String())
				}
				if !strings.Contains(strings.Join(all, "\n"), tt.answer) {
					t.Errorf("Trace(%q) records = %v, want %q among them", tt.name, all, tt.answer)
				}
			}
			if n := len(hopsWith(tr, func(h *trace.Hop) bool { return !h.Cached })); n != tr.Queries {
				t.Errorf("Trace(%q) Queries = %d, but it holds %d hops not from the cache", tt.name, tr.Queries, n)
			}
			if tt.check != nil {
				tt.check(t, tr)
			}
		})
	}
}

// TestTraceZoneError checks the one line that says why a walk failed.
func TestTraceZoneError(t *testing.T) {
	l := startLab(t, "refused")
	r := newResolver(t, l, resolver.Options{})
	_, err := r.Trace(context.Background(), "www.example.com", dns.TypeA)
	var ze *resolver.ZoneError
	if !errors.As(err, &ze) {
		t.Fatalf("Trace err = %v, want a *ZoneError", err)
	}
	if want := "the only server for example.com. failed: ns1.example.com. (192.0.2.1) REFUSED"; err.Error() != want {
		t.Errorf("Trace err = %q, want %q", err, want)
	}
}

func TestTraceCancel(t *testing.T) {
	l := startLab(t, "delay")
	r := newResolver(t, l, resolver.Options{Timeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	tr, err := r.Trace(ctx, "www.example.com", dns.TypeA)
	if !errors.Is(err, context.DeadlineExceeded) || tr.Outcome != trace.Failed {
		t.Errorf("Trace with a cancelled context = %v, %v; want a failed trace and the context's error", tr.Outcome, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Trace took %v after its context ended", d)
	}
}

func TestTraceBadName(t *testing.T) {
	r, err := resolver.New(resolver.Options{Dial: resolver.LoopbackOnly(nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "a..b", strings.Repeat("a", 64) + ".com"} {
		if _, err := r.Trace(context.Background(), name, dns.TypeA); !errors.Is(err, resolver.ErrBadName) {
			t.Errorf("Trace(%q) err = %v, want ErrBadName", name, err)
		}
	}
}

// TestLoopbackOnly proves the guard: the real root hints, behind
// LoopbackOnly, are refused without a packet being sent.
func TestLoopbackOnly(t *testing.T) {
	var mu sync.Mutex
	dialled := 0
	dial := func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		mu.Lock()
		dialled++
		mu.Unlock()
		return nil, errors.New("unreachable")
	}
	r, err := resolver.New(resolver.Options{Dial: resolver.LoopbackOnly(dial)})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Trace(context.Background(), "www.example.com", dns.TypeA)
	if !errors.Is(err, resolver.ErrNoServers) || len(tr.Hops) != 26 {
		t.Errorf("Trace = %d hops, %v; want 26 refused root addresses", len(tr.Hops), err)
	}
	if dialled != 0 {
		t.Errorf("the inner dial was called %d times, want 0", dialled)
	}
}
