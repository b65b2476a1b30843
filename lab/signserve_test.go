package lab

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// signedExample is example.com. with an alias, a wildcard, an empty
// non-terminal and an unsigned delegation.
const signedExample = `$TTL 3600
@		IN	SOA	ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600
@		IN	NS	ns1.example.com.
@		IN	NS	ns2.example.com.
ns1		IN	A	192.0.2.1
ns2		IN	AAAA	2001:db8::2
www		IN	A	192.0.2.10
alias		IN	CNAME	www
*.wild		IN	TXT	"wild"
x.ent		IN	A	192.0.2.11
sub		IN	NS	ns.sub
ns.sub		IN	A	192.0.2.12
`

// walkSigned asks the lab's servers, with DO, what a validating resolver
// would for qname/qtype from the root down (each zone's DNSKEY set, then
// the question), and validates each step from the lab's anchor. It gives
// the last zone's state and the answer's.
func walkSigned(t *testing.T, l *Lab, qname string, qtype uint16) (dnssec.Zone, dnssec.Answer) {
	t.Helper()
	ask := func(addr, name string, qtype uint16) *dns.Msg {
		q := query(name, qtype, 1232)
		q.IsEdns0().SetDo()
		r, err := exchange(t, l, addr, "tcp", q)
		if err != nil {
			t.Fatalf("%s %s to %s: %v", name, dns.TypeToString[qtype], addr, err)
		}
		return r
	}
	v := &dnssec.Validator{}
	link := dnssec.AnchorLink(l.Scenario().Anchors(), ".")
	zone, addr := ".", aRoot.String()
	for {
		z := v.Keys(link, ask(addr, zone, dns.TypeDNSKEY).Answer)
		r := ask(addr, qname, qtype)
		if r.Authoritative || len(r.Ns) == 0 || r.Ns[0].Header().Rrtype != dns.TypeNS {
			return z, v.Answer(z, qname, qtype, r.Rcode, r.Answer, r.Ns)
		}
		child := r.Ns[0].Header().Name
		link = v.Delegation(z, child, r.Ns)
		next := map[string]string{"com.": "192.5.6.30", "example.com.": "192.0.2.1"}[child]
		if next == "" {
			return v.Keys(link, nil), dnssec.Answer{Status: link.Status, Findings: link.Findings}
		}
		zone, addr = child, next
	}
}

// TestServeSigned serves a signed hierarchy and validates what its
// servers send to queries with DO: answers, CNAMEs, wildcards, NXDOMAIN,
// NODATA, an empty non-terminal and an insecure delegation, under NSEC,
// NSEC3 and NSEC3 opt-out.
func TestServeSigned(t *testing.T) {
	queries := []struct {
		name  string
		qtype uint16
	}{
		{"www.example.com.", dns.TypeA}, {"alias.example.com.", dns.TypeA}, {"foo.wild.example.com.", dns.TypeTXT},
		{"nope.example.com.", dns.TypeA}, {"a.b.nope.example.com.", dns.TypeA}, {"www.example.com.", dns.TypeMX},
		{"ent.example.com.", dns.TypeA}, {"foo.wild.example.com.", dns.TypeMX}, {"example.com.", dns.TypeNS},
		{"example.com.", dns.TypeDS}, {"nope.com.", dns.TypeA}, {"www.sub.example.com.", dns.TypeA},
	}
	for _, signing := range []string{"", "nsec3", "nsec3 optout"} {
		s, err := Parse("signed", files(map[string]string{"example.com.zone": signedExample,
			ManifestName: "sign . " + signing + "\nsign com. " + signing + "\nsign example.com. " + signing + "\n"}))
		if err != nil {
			t.Fatal(err)
		}
		l := start(t, s)
		for _, q := range queries {
			t.Run(signing+"/"+q.name+"/"+dns.TypeToString[q.qtype], func(t *testing.T) {
				_, a := walkSigned(t, l, q.name, q.qtype)
				want := dnssec.Secure
				switch {
				case q.name == "www.sub.example.com.":
					want = dnssec.Insecure // below an unsigned delegation
				case signing == "nsec3 optout" && (q.name == "nope.example.com." || q.name == "a.b.nope.example.com." || q.name == "nope.com."):
					want = dnssec.Insecure // opt-out: NXDOMAIN proves only insecurely
				}
				if a.Status != want {
					t.Errorf("status %s, want %s; findings %v", a.Status, want, a.Findings)
				}
			})
		}
	}
}

// TestServeSignedFaults checks each signing fault through the servers:
// the zone's or the answer's status and finding.
func TestServeSignedFaults(t *testing.T) {
	tests := []struct {
		fault      SignFault
		zoneStatus dnssec.Status
		code       string
	}{
		{SignWrongDS, dnssec.Bogus, dnssec.CodeDSNoMatchingDNSKEY},
		{SignExpired, dnssec.Bogus, dnssec.CodeRRSIGExpired},
		{SignNotYetValid, dnssec.Bogus, dnssec.CodeRRSIGNotYetValid},
		{SignUnsignedWithDS, dnssec.Bogus, dnssec.CodeDNSKEYMissing},
		// BIND serves a zone whose apex NSEC is unsigned as unsigned: no
		// RRSIG of the DNSKEY set either, so the keys fail too.
		{SignMissingRRSIG, dnssec.Bogus, dnssec.CodeRRSIGMissing},
		{SignBadSignature, dnssec.Secure, dnssec.CodeSignatureInvalid},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			s, err := Parse("signed", files(map[string]string{"example.com.zone": signedExample,
				ManifestName: "sign .\nsign com.\nsign example.com. " + string(tc.fault) + "\n"}))
			if err != nil {
				t.Fatal(err)
			}
			z, a := walkSigned(t, start(t, s), "www.example.com.", dns.TypeA)
			if z.Status != tc.zoneStatus || a.Status != dnssec.Bogus {
				t.Errorf("zone %s, answer %s; want zone %s, answer bogus", z.Status, a.Status, tc.zoneStatus)
			}
			found := false
			for _, f := range append(z.Findings, a.Findings...) {
				found = found || f.Code == tc.code
			}
			if !found {
				t.Errorf("findings %v %v lack %s", z.Findings, a.Findings, tc.code)
			}
		})
	}
}

// TestServeSignedWithoutDO checks that a query without DO gets the reply
// of an unsigned zone: no RRSIG, no NSEC.
func TestServeSignedWithoutDO(t *testing.T) {
	s, err := Parse("signed", files(map[string]string{"example.com.zone": signedExample, ManifestName: "sign example.com.\n"}))
	if err != nil {
		t.Fatal(err)
	}
	l := start(t, s)
	for _, q := range []string{"www.example.com.", "nope.example.com."} {
		r, err := exchange(t, l, "192.0.2.1", "udp", query(q, dns.TypeA, 1232))
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range append(r.Answer, r.Ns...) {
			switch rr.Header().Rrtype {
			case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
				t.Errorf("%s without DO: %v", q, rr)
			}
		}
	}
}

// FuzzSignServe signs any zone as a sign directive asks, then answers
// queries with DO from it: nothing may panic, and every reply must pack.
func FuzzSignServe(f *testing.F) {
	f.Add([]byte("sign example.com.\n"), []byte(signedExample))
	f.Add([]byte("sign .\nsign example.com. nsec3 optout\n"), []byte(signedExample))
	f.Add([]byte("sign example.com. nsec3 iterations=3 salt=ab ed25519 csk\n"), []byte(signedExample))
	f.Add([]byte("sign example.com. bad-signature expired-signatures\n"), []byte("@ SOA . . 1 2 3 4 5\n@ NS ns1\n*.* TXT x\n\\.x A 192.0.2.1\nsub NS ns1.sub\nns1.sub AAAA ::1\n$GENERATE 1-30 h$ A 192.0.2.$\n"))
	f.Fuzz(func(t *testing.T, conf, zone []byte) {
		s, err := Parse("fuzz", map[string][]byte{ManifestName: conf, "root.zone": []byte(base["root.zone"]),
			"com.zone": []byte(base["com.zone"]), "example.com.zone": zone})
		if err != nil {
			return
		}
		for _, h := range s.hosts() {
			for _, origin := range s.Zones() {
				for _, name := range []string{origin, "www." + origin, "nope." + origin, "a.b.wild." + origin, "x.sub." + origin} {
					if _, ok := dns.IsDomainName(name); !ok {
						continue
					}
					for _, qtype := range []uint16{dns.TypeA, dns.TypeDS, dns.TypeDNSKEY, dns.TypeTXT, dns.TypeANY, dns.TypeNSEC3PARAM} {
						q := query(name, qtype, 1232)
						q.IsEdns0().SetDo()
						if _, err := h.respond(q, "tcp").Pack(); err != nil {
							t.Errorf("%s %s: %v", name, dns.TypeToString[qtype], err)
						}
					}
				}
			}
		}
	})
}

// TestServeUnsignedCopy checks the unsigned fault: one of two servers of a
// signed zone serves it unsigned, with DO too, and the dnssec package
// finds the servers inconsistent.
func TestServeUnsignedCopy(t *testing.T) {
	s, err := Parse("signed", files(map[string]string{"example.com.zone": signedExample,
		ManifestName: "sign example.com.\nserver ns2.example.com 192.0.2.2\nfault ns2.example.com unsigned\n"}))
	if err != nil {
		t.Fatal(err)
	}
	l := start(t, s)
	byServer := map[string][]dns.RR{}
	for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
		q := query("example.com.", dns.TypeDNSKEY, 1232)
		q.IsEdns0().SetDo()
		r, err := exchange(t, l, addr, "udp", q)
		if err != nil {
			t.Fatal(err)
		}
		byServer[addr] = r.Answer
		q = query("www.example.com.", dns.TypeA, 1232)
		q.IsEdns0().SetDo()
		if r, err = exchange(t, l, addr, "udp", q); err != nil {
			t.Fatal(err)
		}
		signed := 0
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == dns.TypeRRSIG {
				signed++
			}
		}
		if want := map[string]int{"192.0.2.1": 1, "192.0.2.2": 0}[addr]; signed != want {
			t.Errorf("%s: www.example.com. A has %d RRSIGs, want %d", addr, signed, want)
		}
	}
	if len(byServer["192.0.2.2"]) != 0 || len(byServer["192.0.2.1"]) != 3 {
		t.Errorf("DNSKEY answers: %v", byServer)
	}
	if fs := dnssec.Consistent("example.com.", dns.TypeDNSKEY, byServer); len(fs) != 1 || fs[0].Code != dnssec.CodeDNSSECInconsistent {
		t.Errorf("Consistent = %v, want dnssec-inconsistent", fs)
	}
}
