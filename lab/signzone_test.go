package lab

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// signedFiles is the base scenario signed from the root down.
func signedFiles(conf string) map[string][]byte {
	return files(map[string]string{ManifestName: conf})
}

// TestSignDirective signs the base scenario from the root down, checks
// that the servers hold each zone's DNSKEY and the DS of its child, and
// that the lab's anchor validates the chain.
func TestSignDirective(t *testing.T) {
	s, err := Parse("signed", signedFiles("sign .\nsign com. nsec3 optout\nsign example.com. ed25519 csk\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Signed("example.com") == nil || s.Signed("com.") == nil || len(s.Anchors()) != 1 {
		t.Fatalf("Signed(example.com) = %v, Signed(com.) = %v, Anchors() = %v", s.Signed("example.com"), s.Signed("com."), s.Anchors())
	}
	if k := s.Signed("example.com.").Keys; len(k) != 1 || k[0].Algorithm != dns.ED25519 || k[0].Flags != 257 {
		t.Errorf("example.com. keys = %v, want one ED25519 CSK", k)
	}
	hosts := s.hosts()
	ask := func(addr, name string, qtype uint16) []dns.RR {
		h := hosts[netip.MustParseAddr(addr)]
		if h == nil {
			t.Fatalf("no host %s", addr)
		}
		return h.respond(query(name, qtype, 1232), "udp").Answer
	}
	if a := ask("192.5.6.30", "example.com.", dns.TypeDS); len(a) != 1 || a[0].(*dns.DS).KeyTag != s.Signed("example.com.").DS[0].KeyTag {
		t.Errorf("com.'s server: example.com. DS = %v, want %v", a, s.Signed("example.com.").DS)
	}
	if a := ask("192.0.2.1", "example.com.", dns.TypeDNSKEY); len(a) != 1 {
		t.Errorf("example.com.'s server: DNSKEY = %v, want its CSK", a)
	}
	if a := ask("192.5.6.30", "com.", dns.TypeNSEC3PARAM); len(a) != 1 {
		t.Errorf("com.'s server: NSEC3PARAM = %v, want one", a)
	}

	// The chain, from the lab's anchor.
	v := &dnssec.Validator{}
	of := func(origin, name string, types ...uint16) []dns.RR {
		var out []dns.RR
		for _, rr := range s.Signed(origin).Records {
			t := rr.Header().Rrtype
			if sig, ok := rr.(*dns.RRSIG); ok {
				t = sig.TypeCovered
			}
			for _, want := range types {
				if t == want && (name == "" || strings.EqualFold(rr.Header().Name, name)) {
					out = append(out, rr)
				}
			}
		}
		return out
	}
	z := v.Keys(dnssec.AnchorLink(s.Anchors(), "."), of(".", ".", dns.TypeDNSKEY))
	z = v.Keys(v.Delegation(z, "com.", of(".", "com.", dns.TypeNS, dns.TypeDS)), of("com.", "com.", dns.TypeDNSKEY))
	z = v.Keys(v.Delegation(z, "example.com.", of("com.", "example.com.", dns.TypeNS, dns.TypeDS)), of("example.com.", "example.com.", dns.TypeDNSKEY))
	if z.Status != dnssec.Secure || len(z.Findings) > 0 {
		t.Errorf("example.com. from the lab's anchor: %s %v, want secure", z.Status, z.Findings)
	}
	a := v.Answer(z, "nope.example.com.", dns.TypeA, dns.RcodeNameError, nil,
		append(of("example.com.", "example.com.", dns.TypeSOA), of("example.com.", "", dns.TypeNSEC)...))
	if a.Status != dnssec.Secure {
		t.Errorf("NXDOMAIN in example.com.: %s %v, want secure", a.Status, a.Findings)
	}
}

// TestSignDirectiveFault checks that a fault of the directive reaches
// the zone: unsigned-with-ds leaves the zone unsigned, its DS published.
func TestSignDirectiveFault(t *testing.T) {
	s, err := Parse("signed", signedFiles("sign .\nsign com.\nsign example.com. unsigned-with-ds\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := s.hosts()[netip.MustParseAddr("192.0.2.1")]
	if a := h.respond(query("example.com.", dns.TypeDNSKEY, 1232), "udp").Answer; len(a) != 0 {
		t.Errorf("example.com. DNSKEY = %v, want none", a)
	}
	h = s.hosts()[netip.MustParseAddr("192.5.6.30")]
	if a := h.respond(query("example.com.", dns.TypeDS, 1232), "udp").Answer; len(a) != 1 {
		t.Errorf("com.'s example.com. DS = %v, want one", a)
	}
}

// TestSignSeeded checks that a seed, a start and an end sign the same
// records every time, for each algorithm that can be seeded, and that
// another seed makes other keys.
func TestSignSeeded(t *testing.T) {
	const when = " start=20250101000000 end=20450101000000"
	records := func(conf string) []string {
		t.Helper()
		s, err := Parse("signed", signedFiles(conf))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, origin := range []string{".", "com.", "example.com."} {
			for _, rr := range s.Signed(origin).Records {
				out = append(out, rr.String())
			}
			for _, d := range s.Signed(origin).DS {
				out = append(out, d.String())
			}
		}
		slices.Sort(out) // Parse reads a zone's names in map order
		return out
	}
	for _, alg := range []string{"ecdsap256sha256", "ecdsap384sha384", "ed25519"} {
		conf := "sign . seed=demo " + alg + when + "\nsign com. seed=demo wrong-ds " + alg + when + "\nsign example.com. seed=demo " + alg + when + "\n"
		a, b := records(conf), records(conf)
		if !slices.Equal(a, b) {
			t.Errorf("%s: two signings with one seed differ:\n%s\n%s", alg, strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
		if c := records(strings.ReplaceAll(conf, "seed=demo", "seed=other")); slices.Equal(a, c) {
			t.Errorf("%s: seeds demo and other sign alike", alg)
		}
		s, err := Parse("signed", signedFiles(conf))
		if err != nil {
			t.Fatal(err)
		}
		for _, origin := range []string{"com.", "example.com."} {
			if sig := s.Signed(origin).Records[len(s.Signed(origin).Records)-1].(*dns.RRSIG); dns.TimeToString(sig.Inception) != "20250101000000" || dns.TimeToString(sig.Expiration) != "20450101000000" {
				t.Errorf("%s: %s signature valid %s-%s, want 20250101000000-20450101000000", alg, origin, dns.TimeToString(sig.Inception), dns.TimeToString(sig.Expiration))
			}
		}
		if ds, k := s.Signed("com.").DS[0], s.Signed("com.").Keys[0]; ds.KeyTag == k.KeyTag() {
			t.Errorf("%s: com.'s wrong DS matches its key %d", alg, k.KeyTag())
		}
		// Its key files load back as the same keys.
		fs := signedFiles(conf)
		maps.Copy(fs, s.Signed("example.com.").KeyFiles())
		again, err := Parse("signed", fs)
		if err != nil {
			t.Fatalf("%s: with its key files: %v", alg, err)
		}
		if a, b := s.Signed("example.com.").Keys[0], again.Signed("example.com.").Keys[0]; a.String() != b.String() {
			t.Errorf("%s: example.com.'s key %v, from its key files %v", alg, a, b)
		}
	}
}

func TestSignDirectiveErrors(t *testing.T) {
	tests := []struct{ conf, err string }{
		{"sign\n", "lab.conf:1: sign needs a zone"},
		{"sign nope.\n", "lab.conf:1: sign: no zone nope."},
		{"sign com. bogus\n", `lab.conf:1: sign: unknown option "bogus"`},
		{"sign com. 13 14\n", `lab.conf:1: sign: unknown option "14"`},
		{"sign com. optout\n", "lab.conf:1: sign: iterations, salt and optout need nsec3"},
		{"sign com. nsec3 salt=abc\n", `lab.conf:1: sign: bad salt "abc"`},
		{"sign com. nsec3 iterations=70000\n", `lab.conf:1: sign: bad iterations "70000"`},
		{"sign com.\nsign com.\n", "lab.conf:2: sign: zone com. is signed twice"},
		{"sign com. ed448\n", "sign com.: algorithm 16 cannot be generated"},
		{"sign a..b\n", `lab.conf:1: bad zone name "a..b"`},
		{"sign com. rsasha256 seed=x\n", "sign com.: algorithm 8 cannot be made from a seed"},
		{"sign com. start=20250101000000\n", "lab.conf:1: sign: start and end go together"},
		{"sign com. start=20250101000000 end=20240101000000\n", "lab.conf:1: sign: start is not before end"},
		{"sign com. start=2025 end=20240101000000\n", `lab.conf:1: sign: bad start "2025"`},
		{"sign com. seed=\n", `lab.conf:1: sign: unknown option "seed="`},
	}
	for _, tc := range tests {
		_, err := Parse("", signedFiles(tc.conf))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Parse(%q) error = %v, want %q", tc.conf, err, tc.err)
		}
	}
}
