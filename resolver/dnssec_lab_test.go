package resolver_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// zoneStatus gives each zone the trace validated as "zone status
// codes…", the codes sorted.
func zoneStatus(tr *trace.Trace) []string {
	var out []string
	for _, z := range tr.DNSSEC {
		var codes []string
		for _, f := range z.Findings {
			codes = append(codes, f.Code)
		}
		slices.Sort(codes)
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", z.Zone, z.Status, strings.Join(slices.Compact(codes), " "))))
	}
	return out
}

// statusCase is a question and the zones' statuses (zoneStatus) its
// trace should give.
type statusCase struct {
	name  string
	qtype uint16
	want  []string
}

// wantStatus traces tc's question with r and checks each zone's status.
func wantStatus(t *testing.T, r *resolver.Resolver, tc statusCase) {
	t.Helper()
	t.Run(tc.name+"/"+dns.TypeToString[tc.qtype], func(t *testing.T) {
		tr, err := r.Trace(context.Background(), tc.name, tc.qtype)
		if err != nil {
			t.Fatal(err)
		}
		if got := zoneStatus(tr); !slices.Equal(got, tc.want) {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	})
}

// TestDNSSECLab walks the signed lab with its anchor and checks each
// zone's status and findings, as delv sees them (testdata/lab/dnssec.txtar).
// A bogus zone's answer is what validating resolvers answer SERVFAIL for
// (bogus-answer); a signature that fails on the DNSKEY RRset leaves the
// DS's key signing nothing (ds-no-matching-dnskey).
func TestDNSSECLab(t *testing.T) {
	l := startLab(t, "dnssec")
	r := newResolver(t, l, resolver.Options{TrustAnchors: l.Scenario().Anchors(), HedgeDelay: -1})
	root, com := ". secure", "com. secure"
	for _, tc := range []statusCase{
		{"www.example.com.", dns.TypeA, []string{root, com, "example.com. secure"}},
		{"alias.example.com.", dns.TypeA, []string{root, com, "example.com. secure"}},
		{"a.wild.example.com.", dns.TypeTXT, []string{root, com, "example.com. secure"}},
		{"nope.example.com.", dns.TypeA, []string{root, com, "example.com. secure"}},
		{"ent.example.com.", dns.TypeA, []string{root, com, "example.com. secure"}},
		{"www.example.com.", dns.TypeMX, []string{root, com, "example.com. secure"}},
		{"www.sub.example.com.", dns.TypeA, []string{root, com, "example.com. secure", "sub.example.com. insecure insecure-delegation"}},
		{"www.nsec3.com.", dns.TypeA, []string{root, com, "nsec3.com. secure"}},
		// An opt-out NSEC3 proves NXDOMAIN insecurely (RFC 5155 §9.2); the zone's keys hold.
		{"nope.nsec3.com.", dns.TypeA, []string{root, com, "nsec3.com. secure"}},
		{"www.insecure.com.", dns.TypeA, []string{root, com, "insecure.com. insecure insecure-delegation"}},
		{"www.wrongds.com.", dns.TypeA, []string{root, com, "wrongds.com. bogus bogus-answer ds-no-matching-dnskey"}},
		{"www.expired.com.", dns.TypeA, []string{root, com, "expired.com. bogus bogus-answer ds-no-matching-dnskey rrsig-expired"}},
		{"www.notyet.com.", dns.TypeA, []string{root, com, "notyet.com. bogus bogus-answer ds-no-matching-dnskey rrsig-not-yet-valid"}},
		{"www.nosig.com.", dns.TypeA, []string{root, com, "nosig.com. bogus bogus-answer ds-no-matching-dnskey rrsig-missing"}},
		{"www.badsig.com.", dns.TypeA, []string{root, com, "badsig.com. bogus bogus-answer signature-invalid"}},
		{"www.nokeys.com.", dns.TypeA, []string{root, com, "nokeys.com. bogus bogus-answer dnskey-missing"}},
		{"www.salted.com.", dns.TypeA, []string{root, com, "salted.com. secure"}},
		{"nope.salted.com.", dns.TypeA, []string{root, com, "salted.com. secure nsec3-parameters"}},
		{"www.rsa.com.", dns.TypeA, []string{root, com, "rsa.com. secure"}},
		{"www.sha1.com.", dns.TypeA, []string{root, com, "sha1.com. secure deprecated-algorithm"}},
		{"www.badnsec.com.", dns.TypeMX, []string{root, com, "badnsec.com. bogus bogus-answer nsec-proof-invalid"}},
		{"www.badnsec.com.", dns.TypeA, []string{root, com, "badnsec.com. secure"}},
		{"www.gost.com.", dns.TypeA, []string{root, com, "gost.com. insecure unsupported-algorithm"}},
	} {
		wantStatus(t, r, tc)
	}
}

// TestDNSSECOff: --no-dnssec validates nothing and asks no DNSKEY; a lab
// without an anchor (an unsigned one) is not validated either.
func TestDNSSECOff(t *testing.T) {
	l := startLab(t, "dnssec")
	for name, opts := range map[string]resolver.Options{
		"no-dnssec": {TrustAnchors: l.Scenario().Anchors(), NoDNSSEC: true},
		"no anchor": {},
	} {
		t.Run(name, func(t *testing.T) {
			opts.HedgeDelay = -1
			tr, err := newResolver(t, l, opts).Trace(context.Background(), "www.example.com.", dns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			if tr.DNSSEC != nil {
				t.Errorf("DNSSEC = %v, want none", zoneStatus(tr))
			}
			n := 0
			for _, h := range tr.Hops {
				if !h.Cached { // the check's share of the walk's reply
					n++
				}
			}
			if tr.Queries != n {
				t.Errorf("%d queries for %d hops: DNSKEY queries were sent", tr.Queries, n)
			}
			for _, h := range walkHops(tr) {
				if len(h.AnswerSigs) > 0 && opts.NoDNSSEC {
					t.Errorf("hop %d has RRSIGs without DO", h.ID)
				}
			}
		})
	}
}

// TestDNSSECAll: with --all every server's reply is validated, and a
// finding of a reply names its server; a shared cache changes nothing.
func TestDNSSECAll(t *testing.T) {
	l := startLab(t, "dnssec")
	for name, opts := range map[string]resolver.Options{
		"all":   {All: true},
		"cache": {Cache: resolver.NewCache()},
	} {
		t.Run(name, func(t *testing.T) {
			opts.TrustAnchors, opts.HedgeDelay = l.Scenario().Anchors(), -1
			r := newResolver(t, l, opts)
			for range 2 { // the second from the cache
				tr, err := r.Trace(context.Background(), "www.badsig.com.", dns.TypeA)
				if err != nil {
					t.Fatal(err)
				}
				want := []string{". secure", "com. secure", "badsig.com. bogus bogus-answer signature-invalid"}
				if got := zoneStatus(tr); !slices.Equal(got, want) {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				for _, f := range tr.DNSSECOf("badsig.com.").Findings {
					if opts.All && f.Server == nil {
						t.Errorf("%s names no server", f.Code)
					}
				}
			}
		})
	}
}

// TestDNSSECDeadServer: the DNSKEY query sent to the first server of a
// zone, which is down, goes to the server that answered the walk; the
// zone is secure.
func TestDNSSECDeadServer(t *testing.T) {
	l := startLab(t, "dnssec-dead")
	r := newResolver(t, l, resolver.Options{TrustAnchors: l.Scenario().Anchors()})
	tr, err := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	z := tr.DNSSECOf("example.com.")
	if z == nil || z.Status != trace.DNSSECSecure {
		t.Fatalf("example.com. = %v, want secure", zoneStatus(tr))
	}
	if q := z.Query; q == nil || q.Server.Name != "ns2.example.com." || q.Err != nil {
		t.Errorf("DNSKEY query = %+v, want ns2.example.com.'s answer", q)
	}
}

// TestDNSSECSplit: a server that serves a signed zone unsigned is named
// by its answer's findings, and the servers of the zone disagree
// (dnssec-inconsistent), with --all as with the default server checks.
func TestDNSSECSplit(t *testing.T) {
	l := startLab(t, "dnssec-split")
	for _, all := range []bool{true, false} {
		t.Run(fmt.Sprint("all=", all), func(t *testing.T) {
			r := newResolver(t, l, resolver.Options{TrustAnchors: l.Scenario().Anchors(), All: all, HedgeDelay: -1})
			tr, err := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			checkSplit(t, tr)
		})
	}
}

func checkSplit(t *testing.T, tr *trace.Trace) {
	t.Helper()
	want := []string{". secure", "com. secure", "example.com. bogus bogus-answer dnssec-inconsistent rrsig-missing"}
	if got := zoneStatus(tr); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range tr.DNSSECOf("example.com.").Findings {
		switch {
		case f.Code == "dnssec-inconsistent" && !strings.Contains(f.Message, "ns2.example.com. (192.0.2.2): 192.0.2.10, unsigned"):
			t.Errorf("%s does not name ns2 unsigned: %s", f.Code, f.Message)
		case f.Code != "dnssec-inconsistent" && (f.Server == nil || f.Server.Name != "ns2.example.com."):
			t.Errorf("%s names %v, want ns2.example.com.", f.Code, f.Server)
		}
	}
}

// TestDNSSECDemo walks each name the demo lab's notes list, from the
// demo's own anchor, and checks each zone's status: the demo is signed
// from the root down, but for three insecure delegations and rollover.com,
// whose DS at com matches no key after a roll (lab/demo/lab.conf).
func TestDNSSECDemo(t *testing.T) {
	l := startLab(t, "demo")
	r := newResolver(t, l, resolver.Options{TrustAnchors: l.Scenario().Anchors(), HedgeDelay: -1, NoProbes: true})
	root, com, net, example := ". secure", "com. secure", "net. secure", "example.com. secure"
	for _, tc := range []statusCase{
		{"www.example.com.", dns.TypeA, []string{root, com, example}},
		{"example.com.", dns.TypeMX, []string{root, com, example}},
		{"nope.example.com.", dns.TypeA, []string{root, com, example}},
		{"www.example.com.", dns.TypeMX, []string{root, com, example}},
		{"ftp.example.com.", dns.TypeA, []string{root, com, example}},
		{"shop.example.com.", dns.TypeA, []string{root, com, example, net, "vanity.net. insecure insecure-delegation"}},
		{"example.shops.vanity.net.", dns.TypeA, []string{root, net, "vanity.net. insecure insecure-delegation"}},
		{"big.example.com.", dns.TypeTXT, []string{root, com, example}},
		{"api.dev.example.com.", dns.TypeA, []string{root, com, example, "dev.example.com. secure"}},
		{"api.aws.example.com.", dns.TypeAAAA, []string{root, com, example, "aws.example.com. insecure insecure-delegation"}},
		{"www.vanity.net.", dns.TypeA, []string{root, net, "vanity.net. insecure insecure-delegation"}},
		{"www.halfdead.com.", dns.TypeA, []string{root, com, "halfdead.com. insecure insecure-delegation"}},
		{"www.rollover.com.", dns.TypeA, []string{root, com, "rollover.com. bogus bogus-answer ds-no-matching-dnskey"}},
	} {
		wantStatus(t, r, tc)
	}
}

// TestDNSSECCheckJoins: the server checks ask the walk's server too, and
// every server of a bogus zone gives the same bogus answer; each finding
// is then the zone's, once, its hops the walk's and the checks', not one
// per server.
func TestDNSSECCheckJoins(t *testing.T) {
	l := startLab(t, "demo")
	r := newResolver(t, l, resolver.Options{TrustAnchors: l.Scenario().Anchors(), HedgeDelay: -1, NoProbes: true})
	tr, err := r.Trace(context.Background(), "www.rollover.com.", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	z := tr.DNSSEC[len(tr.DNSSEC)-1]
	var codes []string
	for _, f := range z.Findings {
		codes = append(codes, f.Code)
		if f.Code == "bogus-answer" && (f.Server != nil || len(f.Hops) != 3) {
			t.Errorf("bogus-answer: server %v, hops %v; want none, the walk's and both checks'", f.Server, f.Hops)
		}
	}
	if want := []string{"ds-no-matching-dnskey", "bogus-answer"}; !slices.Equal(codes, want) {
		t.Errorf("%s findings %q, want %q", z.Zone, codes, want)
	}
}

// TestCDSLab: a signed zone below the TLD is asked its CDS and CDNSKEY
// sets, one query each, beside the walk (testdata/lab/dnssec-fix.txtar):
// a CDS of a key the zone does not publish, or a malformed delete
// request, is cds-mismatch; CDS and CDNSKEY records of its key are
// nothing. With PathOnly, and for com., nothing is asked.
func TestCDSLab(t *testing.T) {
	l := startLab(t, "dnssec-fix")
	opts := resolver.Options{TrustAnchors: l.Scenario().Anchors(), HedgeDelay: -1}
	r := newResolver(t, l, opts)
	for _, tc := range []statusCase{
		{"www.cdsstray.com", dns.TypeA, []string{". secure", "com. secure", "cdsstray.com. secure cds-mismatch"}},
		{"www.cdsdel.com", dns.TypeA, []string{". secure", "com. secure", "cdsdel.com. secure cds-mismatch"}},
		{"www.cdsok.com", dns.TypeA, []string{". secure", "com. secure", "cdsok.com. secure"}},
	} {
		wantStatus(t, r, tc)
	}
	tr, err := r.Trace(context.Background(), "www.cdsok.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range tr.DNSSEC {
		want := 0
		if z.Zone == "cdsok.com." {
			want = 2
			if len(z.CDS) != 2 || !strings.HasPrefix(z.CDS[0], "CDS 19152 13 2 51249011") || !strings.HasPrefix(z.CDS[1], "CDNSKEY 257 3 13 BwZ7") {
				t.Errorf("cdsok.com.'s CDS = %q, want its CDS and CDNSKEY", z.CDS)
			}
		}
		if len(z.CDSQueries) != want {
			t.Errorf("%s: %d CDS and CDNSKEY queries, want %d", z.Zone, len(z.CDSQueries), want)
		}
	}
	opts.PathOnly = true
	tr, err = newResolver(t, l, opts).Trace(context.Background(), "www.cdsok.com", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range tr.DNSSEC {
		if len(z.CDSQueries) > 0 || len(z.CDS) > 0 {
			t.Errorf("with PathOnly, %s was asked its CDS: %q", z.Zone, z.CDS)
		}
	}
}
