package dnssec_test

import (
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

func TestMatchDS(t *testing.T) {
	ksk := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	zsk := newKey(t, "example.com.", dns.ZONE, dns.ECDSAP256SHA256)
	revoked := *ksk.DNSKEY
	revoked.Flags |= dns.REVOKE
	noZone := *ksk.DNSKEY
	noZone.Flags = dns.SEP
	otherOwner := *ksk.DNSKEY
	otherOwner.Hdr.Name = "example.net."
	wrongAlg := ksk.ToDS(dns.SHA256)
	wrongAlg.Algorithm = dns.RSASHA256
	tests := []struct {
		name        string
		ds          *dns.DS
		keys        []*dns.DNSKEY
		want        *dns.DNSKEY
		wantRevoked bool
	}{
		{name: "sha-1", ds: ksk.ToDS(dns.SHA1), keys: []*dns.DNSKEY{zsk.DNSKEY, ksk.DNSKEY}, want: ksk.DNSKEY},
		{name: "sha-256", ds: ksk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{zsk.DNSKEY, ksk.DNSKEY}, want: ksk.DNSKEY},
		{name: "sha-384", ds: ksk.ToDS(dns.SHA384), keys: []*dns.DNSKEY{zsk.DNSKEY, ksk.DNSKEY}, want: ksk.DNSKEY},
		{name: "a zsk, no sep flag needed", ds: zsk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{zsk.DNSKEY}, want: zsk.DNSKEY},
		{name: "no such key", ds: ksk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{zsk.DNSKEY}},
		{name: "not a zone key", ds: ksk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{&noZone}},
		{name: "other owner", ds: ksk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{&otherOwner}},
		{name: "other algorithm", ds: wrongAlg, keys: []*dns.DNSKEY{ksk.DNSKEY}},
		{name: "revoked since", ds: ksk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{&revoked}, want: &revoked, wantRevoked: true},
		{name: "revoked key's own digest", ds: revoked.ToDS(dns.SHA256), keys: []*dns.DNSKEY{&revoked}, want: &revoked, wantRevoked: true},
		{name: "unknown digest type", ds: func() *dns.DS { d := ksk.ToDS(dns.SHA256); d.DigestType = 9; return d }(), keys: []*dns.DNSKEY{ksk.DNSKEY}},
		{name: "digest in lower case", ds: ksk.ToDS(dns.SHA256), keys: []*dns.DNSKEY{ksk.DNSKEY}, want: ksk.DNSKEY},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, revoked := dnssec.MatchDS(tc.ds, tc.keys)
			if got != tc.want || revoked != tc.wantRevoked {
				t.Errorf("MatchDS = %v, %v; want %v, %v", got, revoked, tc.want, tc.wantRevoked)
			}
		})
	}
}

// keySet is a zone's DNSKEY answer signed by the keys given.
func keySet(t *testing.T, keys []key, signers ...key) []dns.RR {
	var rrs []dns.RR
	for _, k := range keys {
		rrs = append(rrs, k.DNSKEY)
	}
	out := slices.Clone(rrs)
	for _, s := range signers {
		out = append(out, s.sign(t, rrs, now.Add(-time.Hour), now.Add(20*24*time.Hour)))
	}
	return out
}

func TestKeys(t *testing.T) {
	ksk := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	zsk := newKey(t, "example.com.", dns.ZONE, dns.ECDSAP256SHA256)
	ed := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ED25519)
	rev := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	revDS := rev.ToDS(dns.SHA256)
	rev.Flags |= dns.REVOKE
	unsupported := ksk.ToDS(dns.SHA256)
	unsupported.Algorithm = dns.ED448
	gost := ksk.ToDS(dns.SHA256)
	gost.DigestType = dns.GOST94
	badSHA1 := ksk.ToDS(dns.SHA1)
	badSHA1.Digest = "00" + badSHA1.Digest[2:]
	tests := []struct {
		name   string
		ds     []*dns.DS
		rrs    []dns.RR
		status dnssec.Status
		want   []string // exactly these codes, in order
		anchor bool     // ds are trust anchors (Link.Anchor)
	}{
		{name: "ksk and zsk", ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk}, ksk), status: dnssec.Secure},
		{name: "two digests of one key", ds: []*dns.DS{ksk.ToDS(dns.SHA256), ksk.ToDS(dns.SHA384)}, rrs: keySet(t, []key{ksk, zsk}, ksk), status: dnssec.Secure},
		{name: "sha-1 only", ds: []*dns.DS{ksk.ToDS(dns.SHA1)}, rrs: keySet(t, []key{ksk, zsk}, ksk), status: dnssec.Secure, want: []string{dnssec.CodeDSDigestSHA1Only}},
		{name: "a bad sha-1 beside sha-256 is ignored", ds: []*dns.DS{badSHA1, ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk}, ksk), status: dnssec.Secure},
		{name: "no keys", ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, status: dnssec.Bogus, want: []string{dnssec.CodeDNSKEYMissing}},
		{name: "ds matches no key", ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{zsk}, zsk), status: dnssec.Bogus, want: []string{dnssec.CodeDSNoMatchingDNSKEY}},
		{name: "matched key does not sign", ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk}, zsk), status: dnssec.Bogus,
			want: []string{dnssec.CodeDSNoMatchingDNSKEY, dnssec.CodeRRSIGMissing}},
		{name: "unsupported algorithm", ds: []*dns.DS{unsupported}, rrs: keySet(t, []key{ksk}, ksk), status: dnssec.Insecure, want: []string{dnssec.CodeUnsupportedAlg}},
		{name: "unsupported digest", ds: []*dns.DS{gost}, rrs: keySet(t, []key{ksk}, ksk), status: dnssec.Insecure, want: []string{dnssec.CodeUnsupportedAlg}},
		{name: "unsupported beside supported", ds: []*dns.DS{unsupported, ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk}, ksk), status: dnssec.Secure},
		{name: "algorithm in ds that signs nothing", ds: []*dns.DS{ksk.ToDS(dns.SHA256), ed.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk, ed}, ksk),
			status: dnssec.Secure, want: []string{dnssec.CodeAlgorithmNotSigning}},
		{name: "two algorithms signing", ds: []*dns.DS{ksk.ToDS(dns.SHA256), ed.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk, ed}, ksk, ed), status: dnssec.Secure},
		{name: "ds of a revoked key", ds: []*dns.DS{revDS}, rrs: keySet(t, []key{rev, zsk}, rev), status: dnssec.Bogus,
			want: []string{dnssec.CodeDNSKEYRevokedDS, dnssec.CodeDSNoMatchingDNSKEY}},
		{name: "ds of a revoked key beside a good one", ds: []*dns.DS{revDS, ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{rev, ksk, zsk}, rev, ksk),
			status: dnssec.Secure, want: []string{dnssec.CodeDNSKEYRevokedDS}},
		// A trust anchor that leads to no key signing the set is ours to
		// fix (indeterminate), not the zone's (bogus); the zone's own faults
		// stay its own.
		{name: "anchor matches no key", anchor: true, ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{zsk}, zsk),
			status: dnssec.Indeterminate, want: []string{dnssec.CodeTrustAnchorMismatch}},
		{name: "anchor is a key that signs no DNSKEY set", anchor: true, ds: []*dns.DS{zsk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk}, ksk),
			status: dnssec.Indeterminate, want: []string{dnssec.CodeTrustAnchorMismatch}},
		{name: "anchor of a zone with no keys", anchor: true, ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, status: dnssec.Bogus, want: []string{dnssec.CodeDNSKEYMissing}},
		{name: "anchor and ksk", anchor: true, ds: []*dns.DS{ksk.ToDS(dns.SHA256)}, rrs: keySet(t, []key{ksk, zsk}, ksk), status: dnssec.Secure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := validator().Keys(dnssec.Link{Zone: "example.com.", Status: dnssec.Secure, DS: tc.ds, Anchor: tc.anchor}, tc.rrs)
			if z.Status != tc.status || !slices.Equal(codes(z.Findings), tc.want) {
				t.Errorf("Keys = %s %v, want %s %v", z.Status, z.Findings, tc.status, tc.want)
			}
		})
	}
}

// TestKeysLinkNotSecure checks that a zone below an insecure or bogus
// link takes its status, whatever its keys.
func TestKeysLinkNotSecure(t *testing.T) {
	ksk := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	for _, s := range []dnssec.Status{dnssec.Insecure, dnssec.Bogus, dnssec.Indeterminate} {
		f := dnssec.Finding{Code: dnssec.CodeInsecureDelegation}
		z := validator().Keys(dnssec.Link{Zone: "example.com.", Status: s, Findings: []dnssec.Finding{f}}, keySet(t, []key{ksk}, ksk))
		if z.Status != s || len(z.Findings) != 1 || len(z.Keys) != 1 {
			t.Errorf("link %s: zone %s, findings %v, keys %d; want %s, the link's finding, 1 key", s, z.Status, z.Findings, len(z.Keys), s)
		}
	}
}

func TestCDS(t *testing.T) {
	ksk := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	zsk := newKey(t, "example.com.", dns.ZONE, dns.ECDSAP256SHA256)
	other := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	z := validator().Keys(dnssec.Link{Zone: "example.com.", Status: dnssec.Secure, DS: []*dns.DS{ksk.ToDS(dns.SHA256)}}, keySet(t, []key{ksk, zsk}, ksk))
	if z.Status != dnssec.Secure {
		t.Fatal(z.Findings)
	}
	signed := func(signer key, rrs ...dns.RR) []dns.RR {
		return append(rrs, signer.sign(t, rrs, now.Add(-time.Hour), now.Add(20*24*time.Hour)))
	}
	cds := func(k key) dns.RR { return k.ToDS(dns.SHA256).ToCDS() }
	cdnskey := func(k key) dns.RR { return k.ToCDNSKEY() }
	del := mustRR(t, "example.com. 0 IN CDS 0 0 0 00")
	delKey := mustRR(t, "example.com. 0 IN CDNSKEY 0 3 0 AA==")
	badDel := mustRR(t, "example.com. 0 IN CDS 0 0 0 01")
	tests := []struct {
		name string
		rrs  []dns.RR
		bad  int // cds-mismatch findings
	}{
		{name: "none"},
		{name: "cds and cdnskey agree", rrs: append(signed(ksk, cds(ksk)), signed(ksk, cdnskey(ksk))...)},
		{name: "cds of a new key", rrs: signed(ksk, cds(zsk))},
		{name: "cds of a key not published", rrs: signed(ksk, cds(other)), bad: 1},
		{name: "cdnskey of a key not published", rrs: signed(ksk, cdnskey(other)), bad: 1},
		{name: "signed by a key no ds points at", rrs: signed(zsk, cds(ksk)), bad: 1},
		{name: "unsigned", rrs: []dns.RR{cds(ksk)}, bad: 1},
		{name: "disagree", rrs: append(signed(ksk, cds(ksk)), signed(ksk, cdnskey(zsk))...), bad: 1},
		{name: "delete", rrs: append(signed(ksk, del), signed(ksk, delKey)...)},
		{name: "delete with others", rrs: signed(ksk, del, cds(ksk)), bad: 1},
		{name: "malformed delete", rrs: signed(ksk, badDel), bad: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := validator().CDS(z, tc.rrs)
			if len(fs) != tc.bad {
				t.Errorf("CDS findings = %v, want %d", fs, tc.bad)
			}
			for _, f := range fs {
				if f.Code != dnssec.CodeCDSMismatch {
					t.Errorf("finding %v, want cds-mismatch", f)
				}
			}
		})
	}
}
