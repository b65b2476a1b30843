package dnssec_test

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
)

// BenchmarkCut measures validating one zone cut: the parent's signed DS
// (Delegation), then the child's DNSKEY RRset against it (Keys), with
// every zone signed by one algorithm; and an answer and an NXDOMAIN proof
// from the child. The resolver's budget for validation is ≤ 1.10× the
// walk without it, whose hops take a round trip each (a millisecond on
// the lab, tens on the internet).
func BenchmarkCut(b *testing.B) {
	for _, alg := range []struct {
		name string
		opts lab.SignOptions
	}{
		{"ECDSAP256SHA256", lab.SignOptions{Algorithm: dns.ECDSAP256SHA256}},
		{"RSASHA256-2048", lab.SignOptions{Algorithm: dns.RSASHA256}},
		{"ED25519", lab.SignOptions{Algorithm: dns.ED25519}},
	} {
		tr := newTreeAll(b, alg.opts)
		v := validator()
		com := tr.walk(v, "com.")
		ref := append(tr.rrs("com.", "example.com.", dns.TypeNS, dns.TypeDS), tr.denial("com.")...)
		keys := tr.all("example.com.", dns.TypeDNSKEY)
		b.Run(alg.name+"/DS+DNSKEY", func(b *testing.B) {
			for b.Loop() {
				z := v.Keys(v.Delegation(com, "example.com.", ref), keys)
				if z.Status != dnssec.Secure {
					b.Fatal(z.Findings)
				}
			}
		})
		ex := v.Keys(v.Delegation(com, "example.com.", ref), keys)
		answer, authority, rcode := tr.reply("www.example.com.", dns.TypeA)
		b.Run(alg.name+"/answer", func(b *testing.B) {
			for b.Loop() {
				if a := v.Answer(ex, "www.example.com.", dns.TypeA, rcode, answer, authority); a.Status != dnssec.Secure {
					b.Fatal(a.Findings)
				}
			}
		})
		answer, authority, rcode = tr.reply("nope.example.com.", dns.TypeA)
		b.Run(alg.name+"/nxdomain", func(b *testing.B) {
			for b.Loop() {
				if a := v.Answer(ex, "nope.example.com.", dns.TypeA, rcode, answer, authority); a.Status != dnssec.Secure {
					b.Fatal(a.Findings)
				}
			}
		})
	}
}
