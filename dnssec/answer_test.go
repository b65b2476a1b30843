package dnssec_test

import (
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
)

// wildcardReply is the answer for name expanded from *.wild.example.com.
func (tr *tree) wildcardReply(name string, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range tr.rrs("example.com.", "*.wild.example.com.", qtype) {
		c := dns.Copy(rr)
		c.Header().Name = name
		out = append(out, c)
	}
	return out
}

// reply is example.com.'s reply to name and qtype, built from the
// signed zone as a server would send it, with every NSEC or NSEC3 record
// of the zone in the authority section of a negative one.
func (tr *tree) reply(name string, qtype uint16) (answer, authority []dns.RR, rcode int) {
	ex := "example.com."
	switch name {
	case "www.example.com.":
		if qtype == dns.TypeA {
			return tr.rrs(ex, name, dns.TypeA), nil, dns.RcodeSuccess
		}
	case "alias.example.com.":
		return append(tr.rrs(ex, name, dns.TypeCNAME), tr.rrs(ex, "www.example.com.", dns.TypeA)...), nil, dns.RcodeSuccess
	case "foo.wild.example.com.":
		if qtype == dns.TypeTXT {
			return tr.wildcardReply(name, qtype), tr.denial(ex), dns.RcodeSuccess
		}
		return nil, append(tr.rrs(ex, ex, dns.TypeSOA), tr.denial(ex)...), dns.RcodeSuccess
	case "nope.example.com.", "a.b.nope.example.com.":
		return nil, append(tr.rrs(ex, ex, dns.TypeSOA), tr.denial(ex)...), dns.RcodeNameError
	}
	return nil, append(tr.rrs(ex, ex, dns.TypeSOA), tr.denial(ex)...), dns.RcodeSuccess
}

func TestAnswer(t *testing.T) {
	type q struct {
		name  string
		qtype uint16
	}
	queries := []q{
		{"www.example.com.", dns.TypeA},        // an answer
		{"alias.example.com.", dns.TypeA},      // a CNAME and its target
		{"foo.wild.example.com.", dns.TypeTXT}, // a wildcard answer
		{"nope.example.com.", dns.TypeA},       // NXDOMAIN
		{"a.b.nope.example.com.", dns.TypeA},   // NXDOMAIN deeper
		{"www.example.com.", dns.TypeMX},       // NODATA
		{"ent.example.com.", dns.TypeA},        // NODATA at an empty non-terminal
		{"foo.wild.example.com.", dns.TypeMX},  // NODATA from a wildcard
		{"example.com.", dns.TypeMX},           // NODATA at the apex
	}
	for _, signing := range []struct {
		name string
		opts lab.SignOptions
	}{{"nsec", lab.SignOptions{}}, {"nsec3", lab.SignOptions{NSEC3: true}}, {"nsec3-optout", lab.SignOptions{NSEC3: true, OptOut: true}}} {
		tr := newTree(t, signing.opts)
		v := validator()
		z := tr.walk(v, "com.", "example.com.")
		for _, qq := range queries {
			t.Run(signing.name+"/"+qq.name+"/"+dns.TypeToString[qq.qtype], func(t *testing.T) {
				answer, authority, rcode := tr.reply(qq.name, qq.qtype)
				a := v.Answer(z, qq.name, qq.qtype, rcode, answer, authority)
				want := dnssec.Secure
				if signing.opts.OptOut && rcode == dns.RcodeNameError {
					want = dnssec.Insecure // the next closer name may be an unsigned delegation
				}
				if a.Status != want || len(a.Findings) > 0 {
					t.Errorf("Answer = %s %v, want %s and no findings", a.Status, a.Findings, want)
				}
			})
		}
	}
}

// TestAnswerBogus checks replies a validating resolver would fail.
func TestAnswerBogus(t *testing.T) {
	good := newTree(t, lab.SignOptions{})
	ex := "example.com."
	soa := good.rrs(ex, ex, dns.TypeSOA)
	// The covering NSEC of nope.example.com. alone, without the wildcard's.
	var covering []dns.RR
	for _, rr := range good.all(ex, dns.TypeNSEC) {
		if n, ok := rr.(*dns.NSEC); ok && dnssec.Compare(n.Hdr.Name, "nope.example.com.") < 0 && dnssec.Compare("nope.example.com.", n.NextDomain) < 0 {
			covering = good.rrs(ex, n.Hdr.Name, dns.TypeNSEC)
		}
	}
	tests := []struct {
		name      string
		opts      *lab.SignOptions // nil: the good tree
		qname     string
		qtype     uint16
		rcode     int
		answer    []dns.RR
		authority []dns.RR
		want      []string
	}{
		{name: "missing-rrsig", opts: &lab.SignOptions{Faults: []lab.SignFault{lab.SignMissingRRSIG}}, qname: "www.example.com.", qtype: dns.TypeA,
			want: []string{dnssec.CodeRRSIGMissing, dnssec.CodeBogusAnswer}},
		{name: "bad-signature", opts: &lab.SignOptions{Faults: []lab.SignFault{lab.SignBadSignature}}, qname: "www.example.com.", qtype: dns.TypeA,
			want: []string{dnssec.CodeSignatureInvalid, dnssec.CodeBogusAnswer}},
		{name: "nxdomain without proof", qname: "nope.example.com.", qtype: dns.TypeA, rcode: dns.RcodeNameError, authority: soa,
			want: []string{dnssec.CodeNSECProofInvalid, dnssec.CodeBogusAnswer}},
		{name: "nxdomain without wildcard proof", qname: "nope.example.com.", qtype: dns.TypeA, rcode: dns.RcodeNameError,
			authority: append(soa, covering...), want: []string{dnssec.CodeNSECProofInvalid}},
		{name: "nodata for a type that exists", qname: "www.example.com.", qtype: dns.TypeA, authority: append(soa, good.denial(ex)...),
			want: []string{dnssec.CodeNSECProofInvalid}},
		{name: "nxdomain for a name that exists", qname: "www.example.com.", qtype: dns.TypeA, rcode: dns.RcodeNameError,
			authority: append(soa, good.denial(ex)...), want: []string{dnssec.CodeNSECProofInvalid}},
		{name: "wildcard answer without proof", qname: "foo.wild.example.com.", qtype: dns.TypeTXT,
			answer: good.wildcardReply("foo.wild.example.com.", dns.TypeTXT), want: []string{dnssec.CodeNSECProofInvalid}},
		{name: "wildcard answer for a name that exists", qname: "exists.wild.example.com.", qtype: dns.TypeTXT,
			answer: good.wildcardReply("exists.wild.example.com.", dns.TypeTXT), authority: good.denial(ex), want: []string{dnssec.CodeNSECProofInvalid}},
		{name: "unsigned soa", qname: "nope.example.com.", qtype: dns.TypeA, rcode: dns.RcodeNameError,
			authority: append(good.rrs(ex, ex, dns.TypeSOA)[:1], good.denial(ex)...), want: []string{dnssec.CodeRRSIGMissing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := good
			if tc.opts != nil {
				tr = newTree(t, *tc.opts)
			}
			v := validator()
			z := tr.walk(v, "com.", "example.com.")
			answer, authority := tc.answer, tc.authority
			if tc.opts != nil {
				answer, authority, _ = tr.reply(tc.qname, tc.qtype)
			}
			a := v.Answer(z, tc.qname, tc.qtype, tc.rcode, answer, authority)
			if a.Status != dnssec.Bogus {
				t.Errorf("status = %s, want bogus; findings %v", a.Status, a.Findings)
			}
			for _, c := range append(tc.want, dnssec.CodeBogusAnswer) {
				if !hasCode(a.Findings, c) {
					t.Errorf("findings %v lack %s", codes(a.Findings), c)
				}
			}
		})
	}
}

// TestAnswerPolicy checks the warnings that leave an answer secure, and
// the NSEC3 iteration limit that makes it insecure.
func TestAnswerPolicy(t *testing.T) {
	tests := []struct {
		name   string
		opts   lab.SignOptions
		v      *dnssec.Validator
		status dnssec.Status
		want   string
	}{
		{name: "nsec3 iterations", opts: lab.SignOptions{NSEC3: true, Iterations: 10}, status: dnssec.Secure, want: dnssec.CodeNSEC3Parameters},
		{name: "nsec3 salt", opts: lab.SignOptions{NSEC3: true, Salt: "abcdef"}, status: dnssec.Secure, want: dnssec.CodeNSEC3Parameters},
		{name: "nsec3 above 150", opts: lab.SignOptions{NSEC3: true, Iterations: 151}, status: dnssec.Insecure, want: dnssec.CodeNSEC3Insecure},
		{name: "nsec3 above a lower limit", opts: lab.SignOptions{NSEC3: true, Iterations: 10},
			v: &dnssec.Validator{Now: func() time.Time { return now }, MaxIterations: 5}, status: dnssec.Insecure, want: dnssec.CodeNSEC3Insecure},
		{name: "expires soon", opts: lab.SignOptions{Now: now.Add(-28 * 24 * time.Hour)}, status: dnssec.Secure, want: dnssec.CodeRRSIGExpiresSoon},
		{name: "expires soon, lower threshold", opts: lab.SignOptions{Now: now.Add(-28 * 24 * time.Hour)},
			v: &dnssec.Validator{Now: func() time.Time { return now }, ExpiresSoon: 24 * time.Hour}, status: dnssec.Secure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTreeAt(t, tc.opts)
			v := tc.v
			if v == nil {
				v = validator()
			}
			z := tr.walk(v, "com.", "example.com.")
			answer, authority, rcode := tr.reply("nope.example.com.", dns.TypeA)
			if tc.want == dnssec.CodeRRSIGExpiresSoon || tc.name == "expires soon, lower threshold" {
				answer, authority, rcode = tr.reply("www.example.com.", dns.TypeA)
			}
			a := v.Answer(z, "nope.example.com.", dns.TypeA, rcode, answer, authority)
			if rcode == dns.RcodeSuccess {
				a = v.Answer(z, "www.example.com.", dns.TypeA, rcode, answer, authority)
			}
			if a.Status != tc.status {
				t.Errorf("status = %s, want %s; findings %v", a.Status, tc.status, a.Findings)
			}
			if tc.want == "" && len(a.Findings) > 0 || tc.want != "" && !hasCode(a.Findings, tc.want) {
				t.Errorf("findings = %v, want %q", codes(a.Findings), tc.want)
			}
		})
	}
}
