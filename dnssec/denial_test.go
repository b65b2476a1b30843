package dnssec_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// nsecChain is a hand-made NSEC chain of example.com.: an empty
// non-terminal (ent), an alias (c), an unsigned delegation (sub) and a
// wildcard (*.w).
const nsecChain = `example.com. 3600 IN NSEC a.example.com. NS SOA RRSIG NSEC DNSKEY
a.example.com. 3600 IN NSEC c.example.com. A RRSIG NSEC
c.example.com. 3600 IN NSEC d.example.com. CNAME RRSIG NSEC
d.example.com. 3600 IN NSEC x.ent.example.com. A RRSIG NSEC
x.ent.example.com. 3600 IN NSEC sub.example.com. A RRSIG NSEC
sub.example.com. 3600 IN NSEC *.w.example.com. NS RRSIG NSEC
*.w.example.com. 3600 IN NSEC example.com. TXT RRSIG NSEC
`

// denialCase is one proof to check, with the chain's records kept by keep
// (all when nil).
type denialCase struct {
	name     string
	qname    string
	qtype    uint16
	d        dnssec.Denial
	wildcard string
	keep     func(dns.RR) bool
	ok       bool
	status   dnssec.Status // of a proof that holds; secure when empty
}

func TestDenyNSEC(t *testing.T) {
	only := func(owners ...string) func(dns.RR) bool {
		return func(rr dns.RR) bool { return slices.Contains(owners, rr.Header().Name) }
	}
	tests := []denialCase{
		{name: "nxdomain", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true},
		{name: "nxdomain below a missing name", qname: "x.y.b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true},
		{name: "nxdomain, no wildcard proof", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, keep: only("a.example.com."), ok: false},
		{name: "nxdomain, no cover", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, keep: only("example.com."), ok: false},
		{name: "nxdomain for a name that exists", qname: "a.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: false},
		{name: "nxdomain below a delegation", qname: "foo.sub.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: false},
		{name: "nxdomain out of the zone", qname: "b.example.net.", qtype: dns.TypeA, d: dnssec.NameError, ok: false},
		{name: "nodata", qname: "a.example.com.", qtype: dns.TypeMX, d: dnssec.NoData, ok: true},
		{name: "nodata, type present", qname: "a.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: false},
		{name: "nodata, cname present", qname: "c.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: false},
		{name: "nodata at the apex", qname: "example.com.", qtype: dns.TypeMX, d: dnssec.NoData, ok: true},
		{name: "nodata at an empty non-terminal", qname: "ent.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: true},
		{name: "nodata from a wildcard", qname: "foo.w.example.com.", qtype: dns.TypeMX, d: dnssec.NoData, ok: true},
		{name: "nodata from a wildcard that has the type", qname: "foo.w.example.com.", qtype: dns.TypeTXT, d: dnssec.NoData, ok: false},
		{name: "nodata from a wildcard, no wildcard NSEC", qname: "foo.w.example.com.", qtype: dns.TypeMX, d: dnssec.NoData, keep: only("x.ent.example.com.", "sub.example.com."), ok: false},
		{name: "no DS at a delegation", qname: "sub.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: true},
		{name: "no DS from the child's apex", qname: "example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: false},
		{name: "no DS for a name that does not exist", qname: "b.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: false},
		{name: "nodata from the parent side of a delegation", qname: "sub.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: false},
		{name: "wildcard answer", qname: "foo.w.example.com.", qtype: dns.TypeTXT, d: dnssec.WildcardAnswer, wildcard: "*.w.example.com.", ok: true},
		{name: "wildcard answer for a name that exists", qname: "a.example.com.", qtype: dns.TypeTXT, d: dnssec.WildcardAnswer, wildcard: "*.example.com.", ok: false},
		{name: "no records", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, keep: only(), ok: false},
	}
	chain := parseZone(t, "example.com.", nsecChain)
	runDenials(t, chain, tests)

	// b.w exists: *.w answers for names below w, not below b.w.
	closer := parseZone(t, "example.com.", `example.com. 3600 IN NSEC *.w.example.com. NS SOA RRSIG NSEC DNSKEY
*.w.example.com. 3600 IN NSEC b.w.example.com. TXT RRSIG NSEC
b.w.example.com. 3600 IN NSEC example.com. A RRSIG NSEC
`)
	runDenials(t, closer, []denialCase{
		{name: "wildcard answer beside an existing name", qname: "a.w.example.com.", qtype: dns.TypeTXT, d: dnssec.WildcardAnswer, wildcard: "*.w.example.com.", ok: true},
		{name: "wildcard answer below a closer encloser", qname: "a.b.w.example.com.", qtype: dns.TypeTXT, d: dnssec.WildcardAnswer, wildcard: "*.w.example.com.", ok: false},
	})
}

func runDenials(t *testing.T, chain []dns.RR, tests []denialCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rrs := chain
			if tc.keep != nil {
				rrs = slices.DeleteFunc(slices.Clone(chain), func(rr dns.RR) bool { return !tc.keep(rr) })
			}
			p, _, err := validator().Deny("example.com.", tc.qname, tc.qtype, tc.d, tc.wildcard, rrs)
			if (err == nil) != tc.ok {
				t.Fatalf("Deny(%s %s, %s) error = %v, want ok %v", tc.qname, dns.TypeToString[tc.qtype], tc.d, err, tc.ok)
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || err.Error() == "") {
				t.Errorf("error %q is not one line", err)
			}
			want := tc.status
			if want == "" {
				want = dnssec.Secure
			}
			if err == nil && p.Status != want {
				t.Errorf("proof status = %s, want %s", p.Status, want)
			}
		})
	}
}

// nsec3Zone makes an NSEC3 chain of example.com. for names with their
// types, as a signer would: empty non-terminals get records with empty
// bitmaps, and with opt-out the unsigned delegations none.
func nsec3Zone(names map[string][]uint16, iter uint16, salt string, optOut bool, unsigned ...string) []dns.RR {
	type h struct {
		hash  string
		types []uint16
	}
	var hs []h
	for n, types := range names {
		if optOut && slices.Contains(unsigned, n) {
			continue
		}
		hs = append(hs, h{dns.HashName(n, dns.SHA1, iter, salt), types})
	}
	slices.SortFunc(hs, func(a, b h) int { return strings.Compare(a.hash, b.hash) })
	var flags uint8
	if optOut {
		flags = 1
	}
	var out []dns.RR
	for i, x := range hs {
		out = append(out, &dns.NSEC3{
			Hdr:  dns.RR_Header{Name: strings.ToLower(x.hash) + ".example.com.", Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 3600},
			Hash: dns.SHA1, Flags: flags, Iterations: iter, Salt: salt, SaltLength: uint8(len(salt) / 2),
			HashLength: 20, NextDomain: hs[(i+1)%len(hs)].hash, TypeBitMap: x.types,
		})
	}
	return out
}

var nsec3Names = map[string][]uint16{
	"example.com.":       {dns.TypeNS, dns.TypeSOA, dns.TypeRRSIG, dns.TypeDNSKEY, dns.TypeNSEC3PARAM},
	"a.example.com.":     {dns.TypeA, dns.TypeRRSIG},
	"c.example.com.":     {dns.TypeCNAME, dns.TypeRRSIG},
	"ent.example.com.":   nil,
	"x.ent.example.com.": {dns.TypeA, dns.TypeRRSIG},
	"sub.example.com.":   {dns.TypeNS},
	"sec.example.com.":   {dns.TypeNS, dns.TypeDS, dns.TypeRRSIG},
	"w.example.com.":     nil,
	"*.w.example.com.":   {dns.TypeTXT, dns.TypeRRSIG},
}

func TestDenyNSEC3(t *testing.T) {
	tests := []denialCase{
		{name: "nxdomain", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true},
		{name: "nxdomain deeper", qname: "x.y.b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true},
		{name: "nxdomain for a name that exists", qname: "a.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: false},
		{name: "nxdomain below a delegation", qname: "foo.sub.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: false},
		{name: "nodata", qname: "a.example.com.", qtype: dns.TypeMX, d: dnssec.NoData, ok: true},
		{name: "nodata, type present", qname: "a.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: false},
		{name: "nodata, cname present", qname: "c.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: false},
		{name: "nodata at an empty non-terminal", qname: "ent.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: true},
		{name: "nodata from a wildcard", qname: "foo.w.example.com.", qtype: dns.TypeMX, d: dnssec.NoData, ok: true},
		{name: "nodata from a wildcard that has the type", qname: "foo.w.example.com.", qtype: dns.TypeTXT, d: dnssec.NoData, ok: false},
		{name: "no DS at a delegation", qname: "sub.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: true},
		{name: "DS present", qname: "sec.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: false},
		{name: "no DS for a name that does not exist", qname: "b.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: false},
		{name: "nodata from the parent side of a delegation", qname: "sub.example.com.", qtype: dns.TypeA, d: dnssec.NoData, ok: false},
		{name: "wildcard answer", qname: "foo.w.example.com.", qtype: dns.TypeTXT, d: dnssec.WildcardAnswer, wildcard: "*.w.example.com.", ok: true},
		{name: "wildcard answer for a name that exists", qname: "a.example.com.", qtype: dns.TypeTXT, d: dnssec.WildcardAnswer, wildcard: "*.example.com.", ok: false},
	}
	runDenials(t, nsec3Zone(nsec3Names, 0, "", false), tests)

	optOut := []denialCase{
		{name: "opt-out no DS", qname: "sub.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: true, status: dnssec.Insecure},
		{name: "opt-out nxdomain", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true, status: dnssec.Insecure},
		{name: "opt-out signed delegation", qname: "sec.example.com.", qtype: dns.TypeDS, d: dnssec.NoData, ok: false},
	}
	runDenials(t, nsec3Zone(nsec3Names, 0, "", true, "sub.example.com."), optOut)

	high := []denialCase{{name: "iterations above the limit", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true, status: dnssec.Insecure}}
	runDenials(t, nsec3Zone(nsec3Names, 151, "", false), high)
	salted := []denialCase{{name: "salt and iterations", qname: "b.example.com.", qtype: dns.TypeA, d: dnssec.NameError, ok: true}}
	runDenials(t, nsec3Zone(nsec3Names, 5, "aabbccdd", false), salted)
}

// TestDenyNSEC3Hostile checks that records a validator must ignore are
// ignored (RFC 5155 §8.2), so that the proof they would make fails.
func TestDenyNSEC3Hostile(t *testing.T) {
	mutate := map[string]func(*dns.NSEC3){
		"unknown hash":      func(n *dns.NSEC3) { n.Hash = 2 },
		"unknown flags":     func(n *dns.NSEC3) { n.Flags = 0x80 },
		"owner out of zone": func(n *dns.NSEC3) { n.Hdr.Name = strings.Replace(n.Hdr.Name, "example.com.", "example.net.", 1) },
		"owner not a hash":  func(n *dns.NSEC3) { n.Hdr.Name = "zz." + n.Hdr.Name },
		"next not a hash":   func(n *dns.NSEC3) { n.NextDomain = "!!" },
		"short next hash":   func(n *dns.NSEC3) { n.NextDomain = n.NextDomain[:8] },
	}
	for name, m := range mutate {
		t.Run(name, func(t *testing.T) {
			chain := nsec3Zone(nsec3Names, 0, "", false)
			for _, rr := range chain {
				m(rr.(*dns.NSEC3))
			}
			if _, _, err := validator().Deny("example.com.", "b.example.com.", dns.TypeA, dnssec.NameError, "", chain); err == nil {
				t.Errorf("Deny with every record mutated = nil error, want one")
			}
		})
	}
	// Records with other parameters than the first are left out.
	mixed := append(nsec3Zone(nsec3Names, 1, "", false), nsec3Zone(nsec3Names, 0, "", false)...)
	if _, _, err := validator().Deny("example.com.", "b.example.com.", dns.TypeA, dnssec.NameError, "", mixed); err != nil {
		t.Errorf("Deny with two whole chains = %v, want the first to prove it", err)
	}
}
