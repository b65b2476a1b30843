package resolver

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

func rrs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("dns.NewRR(%q): %v", l, err)
		}
		out = append(out, rr)
	}
	return out
}

type fakeReply struct {
	rcode         int
	aa            bool
	answer, ns, x []string
}

func (r fakeReply) msg(t testing.TB) *dns.Msg {
	m := new(dns.Msg)
	m.Response = true
	m.Rcode = r.rcode
	m.Authoritative = r.aa
	m.Answer = rrs(t, r.answer...)
	m.Ns = rrs(t, r.ns...)
	m.Extra = rrs(t, r.x...)
	return m
}

func TestClassify(t *testing.T) {
	www := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	tests := []struct {
		name    string
		zone    string
		q       trace.Question
		reply   fakeReply
		outcome trace.Outcome
		err     error        // wrapped by Classification.Err, when set
		reason  trace.Reason // Classification.Reason
		to      string       // Classification.ReferredTo
		child   string       // the referral's zone
		used    int          // glue records used
		ignored []trace.Reason
		answer  int
	}{
		{
			name: "referral with in-domain glue",
			zone: "com.", q: www,
			reply: fakeReply{
				ns: []string{"example.com. 172800 IN NS ns2.example.com.", "example.com. 172800 IN NS ns1.example.com."},
				x:  []string{"ns1.example.com. 172800 IN A 192.0.2.1", "ns2.example.com. 172800 IN AAAA 2001:db8::2"},
			},
			outcome: trace.Referral, child: "example.com.", used: 2,
		},
		{
			name: "sibling glue within the parent is used, out-of-bailiwick glue is not",
			zone: "com.", q: www,
			reply: fakeReply{
				ns: []string{"example.com. 172800 IN NS ns.other.com.", "example.com. 172800 IN NS ns.provider.eu."},
				x:  []string{"ns.other.com. 172800 IN A 192.0.2.1", "ns.provider.eu. 172800 IN A 203.0.113.9", "www.victim.test. 1 IN A 192.0.2.66"},
			},
			outcome: trace.Referral, child: "example.com.", used: 1, ignored: []trace.Reason{trace.ReasonOutOfBailiwick, trace.ReasonNotNameserver},
		},
		{
			name: "referral from the root straight to the name asked",
			zone: ".", q: trace.Question{Name: "com.", Qtype: dns.TypeNS},
			reply:   fakeReply{ns: []string{"com. 172800 IN NS a.gtld-servers.net."}},
			outcome: trace.Referral, child: "com.",
		},
		{
			name: "upward referral is lame",
			zone: "example.com.", q: www,
			reply:   fakeReply{ns: []string{". 518400 IN NS a.root-servers.net."}},
			outcome: trace.Lame, err: ErrUpward, reason: trace.ReasonUpwardReferral, to: ".",
		},
		{
			name: "horizontal referral is lame",
			zone: "example.com.", q: www,
			reply:   fakeReply{ns: []string{"example.com. 3600 IN NS ns1.example.com."}},
			outcome: trace.Lame, err: ErrHorizontal, reason: trace.ReasonHorizontalReferral, to: "example.com.",
		},
		{
			name: "sideways referral is lame",
			zone: "com.", q: www,
			reply:   fakeReply{ns: []string{"example.net. 3600 IN NS ns1.example.net."}},
			outcome: trace.Lame, err: ErrSideways, reason: trace.ReasonSidewaysReferral, to: "example.net.",
		},
		{
			name: "referral below the name asked is sideways",
			zone: "com.", q: trace.Question{Name: "example.com.", Qtype: dns.TypeA},
			reply:   fakeReply{ns: []string{"www.example.com. 3600 IN NS ns1.example.net."}},
			outcome: trace.Lame, err: ErrSideways, reason: trace.ReasonSidewaysReferral, to: "www.example.com.",
		},
		{
			name: "authoritative answer",
			zone: "example.com.", q: www,
			reply:   fakeReply{aa: true, answer: []string{"www.example.com. 3600 IN A 192.0.2.80"}, ns: []string{"example.com. 3600 IN NS ns1.example.com."}},
			outcome: trace.Answer, answer: 1,
		},
		{
			name: "answer without AA is lame",
			zone: "example.com.", q: www,
			reply:   fakeReply{answer: []string{"www.example.com. 3600 IN A 192.0.2.80"}},
			outcome: trace.Lame, err: ErrLame, reason: trace.ReasonNotAuthoritative,
		},
		{
			name: "unrelated answer records are no answer",
			zone: "example.com.", q: www,
			reply:   fakeReply{aa: true, answer: []string{"evil.example.org. 3600 IN A 192.0.2.66"}, ns: []string{"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"}},
			outcome: trace.NoData,
		},
		{
			name: "CNAME to another zone",
			zone: "example.com.", q: www,
			reply:   fakeReply{aa: true, answer: []string{"www.example.com. 300 IN CNAME web.example.net."}},
			outcome: trace.CNAME, answer: 1,
		},
		{
			name: "CNAME chain ending in the answer",
			zone: "example.com.", q: www,
			reply: fakeReply{aa: true, answer: []string{
				"www.example.com. 300 IN CNAME a.example.com.",
				"a.example.com. 300 IN CNAME b.example.com.",
				"b.example.com. 300 IN A 192.0.2.7",
			}},
			outcome: trace.Answer, answer: 3,
		},
		{
			name: "CNAME loop ends",
			zone: "example.com.", q: www,
			reply: fakeReply{aa: true, answer: []string{
				"www.example.com. 300 IN CNAME a.example.com.",
				"a.example.com. 300 IN CNAME www.example.com.",
			}},
			outcome: trace.CNAME, answer: 2,
		},
		{
			name: "asking for the CNAME itself",
			zone: "example.com.", q: trace.Question{Name: "www.example.com.", Qtype: dns.TypeCNAME},
			reply:   fakeReply{aa: true, answer: []string{"www.example.com. 300 IN CNAME web.example.net."}},
			outcome: trace.Answer, answer: 1,
		},
		{
			name: "NXDOMAIN",
			zone: "example.com.", q: www,
			reply:   fakeReply{rcode: dns.RcodeNameError, aa: true, ns: []string{"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"}},
			outcome: trace.NXDomain,
		},
		{
			name: "NXDOMAIN from the parent's zone is lame",
			zone: "new.example.com.", q: trace.Question{Name: "www.new.example.com.", Qtype: dns.TypeA},
			reply:   fakeReply{rcode: dns.RcodeNameError, aa: true, ns: []string{"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"}},
			outcome: trace.Lame, err: ErrLame, reason: trace.ReasonParentZone,
		},
		{
			name: "NODATA from a child zone the server also serves",
			zone: "example.com.", q: trace.Question{Name: "www.dev.example.com.", Qtype: dns.TypeMX},
			reply:   fakeReply{aa: true, ns: []string{"dev.example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"}},
			outcome: trace.NoData,
		},
		{
			name: "NXDOMAIN without AA is lame",
			zone: "example.com.", q: www,
			reply:   fakeReply{rcode: dns.RcodeNameError},
			outcome: trace.Lame, err: ErrLame, reason: trace.ReasonNotAuthoritative,
		},
		{
			name: "NODATA",
			zone: "example.com.", q: www,
			reply:   fakeReply{aa: true, ns: []string{"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"}},
			outcome: trace.NoData,
		},
		{
			name: "NODATA without SOA",
			zone: "example.com.", q: www,
			reply:   fakeReply{aa: true},
			outcome: trace.NoData,
		},
		{
			name: "empty reply without AA is lame",
			zone: "example.com.", q: www,
			reply:   fakeReply{},
			outcome: trace.Lame, err: ErrLame, reason: trace.ReasonNotAuthoritative,
		},
		{
			name: "REFUSED",
			zone: "example.com.", q: www,
			reply:   fakeReply{rcode: dns.RcodeRefused},
			outcome: trace.Error, err: RcodeError(dns.RcodeRefused), reason: trace.ReasonRefused,
		},
		{
			name: "SERVFAIL",
			zone: "example.com.", q: www,
			reply:   fakeReply{rcode: dns.RcodeServerFailure, aa: true},
			outcome: trace.Error, err: RcodeError(dns.RcodeServerFailure), reason: trace.ReasonServfail,
		},
		{
			name: "case does not matter",
			zone: "COM.", q: trace.Question{Name: "WWW.Example.COM.", Qtype: dns.TypeA},
			reply:   fakeReply{ns: []string{"EXAMPLE.com. 172800 IN NS NS1.example.com."}, x: []string{"ns1.EXAMPLE.com. 172800 IN A 192.0.2.1"}},
			outcome: trace.Referral, child: "example.com.", used: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Classify(tt.zone, tt.q, tt.reply.msg(t))
			if c.Outcome != tt.outcome {
				t.Fatalf("Classify outcome = %v (err %v), want %v", c.Outcome, c.Err, tt.outcome)
			}
			if (c.Err != nil) != (tt.err != nil) || (tt.err != nil && !errors.Is(c.Err, tt.err)) {
				t.Errorf("Classify err = %v, want %v", c.Err, tt.err)
			}
			if c.Reason != tt.reason || c.ReferredTo != tt.to {
				t.Errorf("Classify reason = %q (to %q), want %q (to %q)", c.Reason, c.ReferredTo, tt.reason, tt.to)
			}
			if len(c.Answer) != tt.answer {
				t.Errorf("Classify answer = %v, want %d records", c.Answer, tt.answer)
			}
			if tt.outcome != trace.Referral {
				if c.Referral != nil {
					t.Errorf("Classify referral = %+v, want none", c.Referral)
				}
				return
			}
			if c.Referral.Zone != tt.child {
				t.Errorf("Classify referral zone = %q, want %q", c.Referral.Zone, tt.child)
			}
			used, ignored := 0, []trace.Reason(nil)
			for _, g := range c.Referral.Glue {
				if g.Ignored == trace.ReasonNone {
					used++
				} else {
					ignored = append(ignored, g.Ignored)
				}
			}
			if used != tt.used || !slices.Equal(ignored, tt.ignored) {
				t.Errorf("Classify glue = %+v, want %d used and ignored %q", c.Referral.Glue, tt.used, tt.ignored)
			}
			for i := 1; i < len(c.Referral.NS); i++ {
				if strings.Compare(c.Referral.NS[i-1].Name, c.Referral.NS[i].Name) >= 0 {
					t.Errorf("Classify NS = %+v, want sorted without repeats", c.Referral.NS)
				}
			}
		})
	}
}

// FuzzClassify feeds arbitrary bytes, as a hostile server might send, to
// the parser and the classifier: neither may panic, and what it returns must
// be internally consistent.
func FuzzClassify(f *testing.F) {
	seeds := []fakeReply{
		{ns: []string{"example.com. 172800 IN NS ns1.example.com."}, x: []string{"ns1.example.com. 172800 IN A 192.0.2.1"}},
		{aa: true, answer: []string{"www.example.com. 300 IN CNAME a.example.com.", "a.example.com. 300 IN A 192.0.2.7"}},
		{rcode: dns.RcodeNameError, aa: true, ns: []string{"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5"}},
		{ns: []string{". 518400 IN NS a.root-servers.net."}},
	}
	for _, s := range seeds {
		m := s.msg(f)
		m.Question = []dns.Question{{Name: "www.example.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET}}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "com.")
	}
	f.Fuzz(func(t *testing.T, b []byte, zone string) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil || len(m.Question) != 1 {
			return
		}
		if _, ok := dns.IsDomainName(zone); !ok {
			zone = "."
		}
		q := trace.Question{Name: m.Question[0].Name, Qtype: m.Question[0].Qtype}
		c := Classify(zone, q, m)
		if (c.Outcome == trace.Referral) != (c.Referral != nil) {
			t.Fatalf("outcome %v with referral %+v", c.Outcome, c.Referral)
		}
		if c.Referral != nil {
			if !dns.IsSubDomain(dns.CanonicalName(zone), c.Referral.Zone) || c.Referral.Zone == dns.CanonicalName(zone) {
				t.Fatalf("referral from %s to %s is not downward", zone, c.Referral.Zone)
			}
			for _, g := range c.Referral.Glue {
				if g.Ignored == trace.ReasonNone && !dns.IsSubDomain(dns.CanonicalName(zone), g.Name) {
					t.Fatalf("glue %s used outside %s", g.Name, zone)
				}
			}
		}
		if (c.Err != nil) != (c.Outcome == trace.Lame || c.Outcome == trace.Error) {
			t.Fatalf("outcome %v with err %v", c.Outcome, c.Err)
		}
	})
}

func TestMatchesComparesWireNames(t *testing.T) {
	for _, tc := range []struct {
		asked, got string
		ok         bool
	}{
		{"www.example.com.", "WWW.Example.COM.", true},
		{`www.exa\mple.com.`, "www.example.com.", true},
		{`a\046b.example.`, `a\.B.example.`, true},
		{`b\195\188cher.de.`, `B\195\188CHER.de.`, true},
		{`a\.b.example.`, "a.b.example.", false},
		{"www.example.com.", "www.example.org.", false},
	} {
		q := new(dns.Msg)
		q.SetQuestion(tc.asked, dns.TypeA)
		r := new(dns.Msg)
		r.SetReply(q)
		r.Question[0].Name = tc.got
		if err := matches(q, r); (err == nil) != tc.ok {
			t.Errorf("matches(%q, reply for %q) = %v, want ok %v", tc.asked, tc.got, err, tc.ok)
		}
	}
}
