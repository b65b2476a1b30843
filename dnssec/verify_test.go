package dnssec_test

import (
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// key is a generated DNSKEY with its private half.
type key struct {
	*dns.DNSKEY
	priv crypto.Signer
}

func newKey(t testing.TB, zone string, flags uint16, alg uint8) key {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600}, Flags: flags, Protocol: 3, Algorithm: alg}
	bits := 256
	if alg == dns.RSASHA256 {
		bits = 1024
	}
	priv, err := k.Generate(bits)
	for err == nil && k.KeyTag() == 0 { // miekg's Sign refuses key tag 0
		priv, err = k.Generate(bits)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key{k, priv.(crypto.Signer)}
}

// sign signs rrs with k, valid from inception to expiration.
func (k key) sign(t testing.TB, rrs []dns.RR, inception, expiration time.Time) *dns.RRSIG {
	t.Helper()
	sig := &dns.RRSIG{Algorithm: k.Algorithm, KeyTag: k.KeyTag(), SignerName: k.Hdr.Name,
		Inception: uint32(inception.Unix()), Expiration: uint32(expiration.Unix())}
	if err := sig.Sign(k.priv, rrs); err != nil {
		t.Fatal(err)
	}
	return sig
}

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestVerify(t *testing.T) {
	zsk := newKey(t, "example.com.", dns.ZONE, dns.ECDSAP256SHA256)
	other := newKey(t, "example.com.", dns.ZONE, dns.ECDSAP256SHA256)
	rrs := []dns.RR{mustRR(t, "www.example.com. 300 IN A 192.0.2.1"), mustRR(t, "www.example.com. 300 IN A 192.0.2.2")}
	good := func() *dns.RRSIG { return zsk.sign(t, rrs, now.Add(-time.Hour), now.Add(10*24*time.Hour)) }
	revoked := *zsk.DNSKEY
	revoked.Flags |= dns.REVOKE
	notZone := *zsk.DNSKEY
	notZone.Flags = 0
	tests := []struct {
		name   string
		sigs   func() []*dns.RRSIG
		keys   []*dns.DNSKEY
		zone   string
		status dnssec.Status
		code   string
	}{
		{name: "good", sigs: func() []*dns.RRSIG { return []*dns.RRSIG{good()} }, status: dnssec.Secure},
		{name: "no signature", sigs: func() []*dns.RRSIG { return nil }, status: dnssec.Bogus, code: dnssec.CodeRRSIGMissing},
		{name: "expired", sigs: func() []*dns.RRSIG {
			return []*dns.RRSIG{zsk.sign(t, rrs, now.Add(-30*24*time.Hour), now.Add(-time.Second))}
		},
			status: dnssec.Bogus, code: dnssec.CodeRRSIGExpired},
		{name: "not yet valid", sigs: func() []*dns.RRSIG {
			return []*dns.RRSIG{zsk.sign(t, rrs, now.Add(time.Minute), now.Add(30*24*time.Hour))}
		},
			status: dnssec.Bogus, code: dnssec.CodeRRSIGNotYetValid},
		{name: "expires soon", sigs: func() []*dns.RRSIG { return []*dns.RRSIG{zsk.sign(t, rrs, now.Add(-time.Hour), now.Add(47*time.Hour))} },
			status: dnssec.Secure, code: dnssec.CodeRRSIGExpiresSoon},
		{name: "one of two expires soon", sigs: func() []*dns.RRSIG {
			return []*dns.RRSIG{zsk.sign(t, rrs, now.Add(-time.Hour), now.Add(47*time.Hour)), good()}
		}, status: dnssec.Secure},
		{name: "bad then good", sigs: func() []*dns.RRSIG {
			b := good()
			b.Signature = strings.Repeat("A", len(b.Signature))
			return []*dns.RRSIG{b, good()}
		}, status: dnssec.Secure},
		{name: "bad signature", sigs: func() []*dns.RRSIG {
			b := good()
			b.OrigTtl++ // the signed data changes
			return []*dns.RRSIG{b}
		}, status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "wrong signer", sigs: func() []*dns.RRSIG { s := good(); s.SignerName = "com."; return []*dns.RRSIG{s} },
			status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "signer a suffix but not the zone", sigs: func() []*dns.RRSIG { return []*dns.RRSIG{good()} }, zone: "ample.com.",
			status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "too many labels", sigs: func() []*dns.RRSIG { s := good(); s.Labels = 4; return []*dns.RRSIG{s} },
			status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "key not in the set", sigs: func() []*dns.RRSIG { return []*dns.RRSIG{good()} }, keys: []*dns.DNSKEY{other.DNSKEY},
			status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "revoked key", sigs: func() []*dns.RRSIG { return []*dns.RRSIG{good()} }, keys: []*dns.DNSKEY{&revoked},
			status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "not a zone key", sigs: func() []*dns.RRSIG { return []*dns.RRSIG{good()} }, keys: []*dns.DNSKEY{&notZone},
			status: dnssec.Bogus, code: dnssec.CodeSignatureInvalid},
		{name: "unsupported algorithm only", sigs: func() []*dns.RRSIG { s := good(); s.Algorithm = dns.ED448; return []*dns.RRSIG{s} },
			status: dnssec.Bogus, code: dnssec.CodeRRSIGMissing},
		{name: "unsupported algorithm beside a good one", sigs: func() []*dns.RRSIG {
			s := good()
			s.Algorithm = dns.ED448
			return []*dns.RRSIG{s, good()}
		}, status: dnssec.Secure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys := tc.keys
			if keys == nil {
				keys = []*dns.DNSKEY{zsk.DNSKEY, other.DNSKEY}
			}
			zone := tc.zone
			if zone == "" {
				zone = "example.com."
			}
			set := &dnssec.RRset{Name: "www.example.com.", Type: dns.TypeA, RRs: rrs, Sigs: tc.sigs()}
			r := validator().Verify(zone, set, keys)
			if r.Status != tc.status {
				t.Errorf("Verify status = %s, want %s; findings %v", r.Status, tc.status, r.Findings)
			}
			if tc.code == "" && len(r.Findings) > 0 || tc.code != "" && !hasCode(r.Findings, tc.code) {
				t.Errorf("findings = %v, want %q", r.Findings, tc.code)
			}
		})
	}
}

// TestVerifyWildcard checks that a signature of a wildcard's records
// verifies for a name it was expanded to, and says so.
func TestVerifyWildcard(t *testing.T) {
	zsk := newKey(t, "example.com.", dns.ZONE, dns.ED25519)
	wild := []dns.RR{mustRR(t, "*.w.example.com. 300 IN TXT x")}
	sig := zsk.sign(t, wild, now.Add(-time.Hour), now.Add(10*24*time.Hour))
	for _, name := range []string{"a.w.example.com.", "b.a.w.example.com."} {
		rr := dns.Copy(wild[0])
		rr.Header().Name = name
		s := dns.Copy(sig).(*dns.RRSIG)
		s.Hdr.Name = name
		r := validator().Verify("example.com.", &dnssec.RRset{Name: name, Type: dns.TypeTXT, RRs: []dns.RR{rr}, Sigs: []*dns.RRSIG{s}}, []*dns.DNSKEY{zsk.DNSKEY})
		if r.Status != dnssec.Secure || r.Wildcard != "*.w.example.com." {
			t.Errorf("%s: status %s, wildcard %q; want secure from *.w.example.com.; %v", name, r.Status, r.Wildcard, r.Findings)
		}
	}
	// The wildcard's own records, asked for by name, are no expansion.
	r := validator().Verify("example.com.", &dnssec.RRset{Name: "*.w.example.com.", Type: dns.TypeTXT, RRs: wild, Sigs: []*dns.RRSIG{sig}}, []*dns.DNSKEY{zsk.DNSKEY})
	if r.Status != dnssec.Secure || r.Wildcard != "" {
		t.Errorf("*.w.example.com.: status %s, wildcard %q; want secure, none", r.Status, r.Wildcard)
	}
}

// TestVerifyKeyTrap checks that a set of many keys sharing one tag, and
// many signatures, costs a bounded number of verifications: the result
// comes, bogus, quickly.
func TestVerifyKeyTrap(t *testing.T) {
	zsk := newKey(t, "example.com.", dns.ZONE, dns.RSASHA256)
	rrs := []dns.RR{mustRR(t, "www.example.com. 300 IN A 192.0.2.1")}
	var keys []*dns.DNSKEY
	for range 200 {
		keys = append(keys, zsk.DNSKEY) // one tag, many times
	}
	var sigs []*dns.RRSIG
	bad := zsk.sign(t, rrs, now.Add(-time.Hour), now.Add(10*24*time.Hour))
	bad.OrigTtl++
	for range 200 {
		sigs = append(sigs, bad)
	}
	start := time.Now()
	r := validator().Verify("example.com.", &dnssec.RRset{Name: "www.example.com.", Type: dns.TypeA, RRs: rrs, Sigs: sigs}, keys)
	if r.Status != dnssec.Bogus || len(r.Findings) != 1 {
		t.Errorf("status %s, findings %v; want bogus with one finding", r.Status, r.Findings)
	}
	t.Logf("200 keys × 200 signatures: %v", time.Since(start))
}
