package dnssec_test

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
)

// TestChain walks root → com → example.com with example.com signed each
// way, and checks the zone's status and the findings.
func TestChain(t *testing.T) {
	tests := []struct {
		name   string
		opts   lab.SignOptions
		status dnssec.Status
		want   []string // codes that must be among the findings
		none   bool     // and no finding at all
	}{
		{name: "ecdsa p256", opts: lab.SignOptions{}, status: dnssec.Secure, none: true},
		{name: "csk", opts: lab.SignOptions{CSK: true}, status: dnssec.Secure, none: true},
		{name: "nsec3", opts: lab.SignOptions{NSEC3: true}, status: dnssec.Secure, none: true},
		{name: "ecdsa p384", opts: lab.SignOptions{Algorithm: dns.ECDSAP384SHA384}, status: dnssec.Secure, none: true},
		{name: "ed25519", opts: lab.SignOptions{Algorithm: dns.ED25519}, status: dnssec.Secure, none: true},
		{name: "rsasha256", opts: lab.SignOptions{Algorithm: dns.RSASHA256, Bits: 1024}, status: dnssec.Secure, none: true},
		{name: "rsasha512", opts: lab.SignOptions{Algorithm: dns.RSASHA512, Bits: 1024}, status: dnssec.Secure, none: true},
		{name: "rsasha1", opts: lab.SignOptions{Algorithm: dns.RSASHA1, Bits: 1024}, status: dnssec.Secure, want: []string{dnssec.CodeDeprecatedAlg}},
		{name: "rsasha1-nsec3", opts: lab.SignOptions{Algorithm: dns.RSASHA1NSEC3SHA1, Bits: 1024, NSEC3: true}, status: dnssec.Secure, want: []string{dnssec.CodeDeprecatedAlg}},
		{name: "wrong-ds", opts: lab.SignOptions{Faults: []lab.SignFault{lab.SignWrongDS}}, status: dnssec.Bogus, want: []string{dnssec.CodeDSNoMatchingDNSKEY}},
		{name: "expired", opts: lab.SignOptions{Faults: []lab.SignFault{lab.SignExpired}}, status: dnssec.Bogus,
			want: []string{dnssec.CodeDSNoMatchingDNSKEY, dnssec.CodeRRSIGExpired}},
		{name: "not-yet-valid", opts: lab.SignOptions{Faults: []lab.SignFault{lab.SignNotYetValid}}, status: dnssec.Bogus,
			want: []string{dnssec.CodeDSNoMatchingDNSKEY, dnssec.CodeRRSIGNotYetValid}},
		{name: "unsigned-with-ds", opts: lab.SignOptions{Faults: []lab.SignFault{lab.SignUnsignedWithDS}}, status: dnssec.Bogus,
			want: []string{dnssec.CodeDNSKEYMissing}},
		// The keys hold; the data's signatures are what fail.
		{name: "missing-rrsig", opts: lab.SignOptions{Faults: []lab.SignFault{lab.SignMissingRRSIG}}, status: dnssec.Secure, none: true},
		{name: "bad-signature", opts: lab.SignOptions{Faults: []lab.SignFault{lab.SignBadSignature}}, status: dnssec.Secure, none: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTree(t, tc.opts)
			z := tr.walk(validator(), "com.", "example.com.")
			if z.Status != tc.status {
				t.Errorf("example.com. status = %s, want %s; findings %v", z.Status, tc.status, z.Findings)
			}
			for _, c := range tc.want {
				if !hasCode(z.Findings, c) {
					t.Errorf("findings %v lack %s", codes(z.Findings), c)
				}
			}
			if tc.none && len(z.Findings) > 0 {
				t.Errorf("findings = %v, want none", z.Findings)
			}
			for _, f := range z.Findings {
				if f.Zone != "example.com." || f.Severity != dnssec.SeverityOf(f.Code) || f.Message == "" {
					t.Errorf("finding %+v: want zone example.com., its code's severity and a message", f)
				}
			}
		})
	}
}

// TestChainUpper checks the zones above: root and com secure with the
// built tree, and an unsigned child of com proven insecure.
func TestChainUpper(t *testing.T) {
	tr := newTree(t, lab.SignOptions{})
	v := validator()
	for _, zs := range [][]string{{}, {"com."}} {
		if z := tr.walk(v, zs...); z.Status != dnssec.Secure || len(z.Findings) > 0 {
			t.Errorf("walk %v: status %s, findings %v; want secure, none", zs, z.Status, z.Findings)
		}
	}
	z := tr.walk(v, "com.", "insecure.com.")
	if z.Status != dnssec.Insecure || !slices.Equal(codes(z.Findings), []string{dnssec.CodeInsecureDelegation}) {
		t.Errorf("insecure.com.: status %s, findings %v; want insecure, insecure-delegation", z.Status, z.Findings)
	}
	// Without the parent's proof, the lack of DS is bogus.
	com := tr.walk(v, "com.")
	l := v.Delegation(com, "insecure.com.", tr.rrs("com.", "insecure.com.", dns.TypeNS))
	if l.Status != dnssec.Bogus || !hasCode(l.Findings, dnssec.CodeNSECProofInvalid) {
		t.Errorf("no proof: status %s, findings %v; want bogus, nsec-proof-invalid", l.Status, l.Findings)
	}
	// Below an insecure zone, everything is insecure without findings.
	ins := dnssec.Zone{Name: "insecure.com.", Status: dnssec.Insecure}
	if l := v.Delegation(ins, "a.insecure.com.", nil); l.Status != dnssec.Insecure || len(l.Findings) > 0 {
		t.Errorf("below insecure: %+v", l)
	}
	// No anchor for a zone: indeterminate.
	if l := dnssec.AnchorLink(tr.anchors(), "com."); l.Status != dnssec.Indeterminate {
		t.Errorf("AnchorLink(com.) = %s, want indeterminate", l.Status)
	}
}

// TestChainNSEC3Insecure checks an opt-out NSEC3 parent: the unsigned
// child is proven insecure through the opt-out span.
func TestChainNSEC3OptOut(t *testing.T) {
	tr := newTree(t, lab.SignOptions{NSEC3: true, OptOut: true})
	v := validator()
	ex := tr.walk(v, "com.", "example.com.")
	if ex.Status != dnssec.Secure {
		t.Fatalf("example.com.: %s %v", ex.Status, ex.Findings)
	}
	l := v.Delegation(ex, "sub.example.com.", append(tr.rrs("example.com.", "sub.example.com.", dns.TypeNS), tr.denial("example.com.")...))
	if l.Status != dnssec.Insecure || !hasCode(l.Findings, dnssec.CodeInsecureDelegation) {
		t.Errorf("sub.example.com.: status %s, findings %v; want insecure through opt-out", l.Status, l.Findings)
	}
}
