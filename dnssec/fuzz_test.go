package dnssec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
)

// pack makes a reply's wire form, a fuzz seed.
func pack(t testing.TB, qname string, qtype uint16, rcode int, answer, authority []dns.RR) []byte {
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	m.Response, m.Authoritative, m.Rcode = true, true, rcode
	m.Answer, m.Ns = answer, authority
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzValidate feeds every step of validation a reply from a hostile
// server: any records, any number of them, with the zone taken from its
// signatures. Nothing may panic, and each step must end.
func FuzzValidate(f *testing.F) {
	for _, o := range []lab.SignOptions{{}, {NSEC3: true, OptOut: true}, {NSEC3: true, Iterations: 150, Salt: "ab"}} {
		tr := newTree(f, o)
		ex := "example.com."
		f.Add(pack(f, ex, dns.TypeDNSKEY, 0, tr.all(ex, dns.TypeDNSKEY), nil))
		for _, q := range []struct {
			name  string
			qtype uint16
		}{{"www.example.com.", dns.TypeA}, {"alias.example.com.", dns.TypeA}, {"foo.wild.example.com.", dns.TypeTXT},
			{"nope.example.com.", dns.TypeA}, {"ent.example.com.", dns.TypeA}, {"foo.wild.example.com.", dns.TypeMX}} {
			answer, authority, rcode := tr.reply(q.name, q.qtype)
			f.Add(pack(f, q.name, q.qtype, rcode, append(answer, tr.all(ex, dns.TypeDNSKEY)...), authority))
		}
		f.Add(pack(f, "www.sub.example.com.", dns.TypeA, 0, tr.all(ex, dns.TypeDNSKEY),
			append(tr.rrs(ex, "sub.example.com.", dns.TypeNS), tr.denial(ex)...)))
		f.Add(pack(f, "www.example.com.", dns.TypeA, 0, tr.all("com.", dns.TypeDNSKEY),
			tr.rrs("com.", ex, dns.TypeNS, dns.TypeDS)))
	}
	v := &dnssec.Validator{Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil || len(m.Question) != 1 {
			return
		}
		q := m.Question[0]
		all := append(append(append([]dns.RR{}, m.Answer...), m.Ns...), m.Extra...)
		zone := dns.CanonicalName(q.Name)
		for _, rr := range all {
			if s, ok := rr.(*dns.RRSIG); ok {
				zone = dns.CanonicalName(s.SignerName)
				break
			}
		}
		var ds []*dns.DS
		for _, rr := range all {
			if d, ok := rr.(*dns.DS); ok {
				ds = append(ds, d)
			}
		}
		z := v.Keys(dnssec.Link{Zone: zone, Status: dnssec.Secure, DS: ds}, m.Answer)
		// Trust every key offered, to reach the checks behind the keys.
		trusted := dnssec.Zone{Name: zone, Status: dnssec.Secure, Keys: z.Keys}
		v.Answer(trusted, q.Name, q.Qtype, m.Rcode, m.Answer, m.Ns)
		for _, rr := range m.Ns {
			if rr.Header().Rrtype == dns.TypeNS {
				v.Delegation(trusted, rr.Header().Name, m.Ns)
				break
			}
		}
		v.CDS(trusted, m.Answer)
		for _, d := range []dnssec.Denial{dnssec.NameError, dnssec.NoData, dnssec.WildcardAnswer} {
			v.Deny(zone, q.Name, q.Qtype, d, "*."+zone, m.Ns)
		}
		for _, s := range dnssec.Sets(all) {
			if s.Name != dns.CanonicalName(s.Name) {
				t.Errorf("Sets gave owner %q, not canonical", s.Name)
			}
		}
	})
}

// FuzzReadAnchors reads any trust anchor file: a clear error or records,
// never a panic.
func FuzzReadAnchors(f *testing.F) {
	f.Add([]byte(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"))
	f.Add([]byte("trust-anchors { . initial-ds 38696 8 2 \"683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\"; };\n"))
	f.Add([]byte("trusted-keys { . 257 3 8 \"AwEAAQ==\"; };"))
	f.Add([]byte("$ORIGIN example.\n@ 60 IN DNSKEY 257 3 13 AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rrs, err := dnssec.ReadAnchors(strings.NewReader(string(b)), "f")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			return
		}
		for _, rr := range rrs {
			dnssec.AnchorLink(rrs, rr.Header().Name)
		}
	})
}

// FuzzCompare checks that canonical order is an order.
func FuzzCompare(f *testing.F) {
	f.Add("a.example.", "B.example.")
	f.Add("example.", "*.example.")
	f.Add(`\000.example.`, `\255.example.`)
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := dnssec.Compare(a, b), dnssec.Compare(b, a)
		if (ab < 0) != (ba > 0) || (ab == 0) != (ba == 0) {
			t.Errorf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
	})
}
