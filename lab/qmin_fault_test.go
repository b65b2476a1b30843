package lab

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestQminFaults checks the faults that only queries which look minimised
// meet (RFC 9156): on ns1.example.com (192.0.2.1), against ns2 (192.0.2.2),
// which has none. Each row is a question and what ns1 answers it with the
// fault ("drop" for nothing); ns2 always answers as BIND 9.18 does.
func TestQminFaults(t *testing.T) {
	const ns1, ns2 = "192.0.2.1", "192.0.2.2"
	type row struct {
		name  string
		qtype uint16
		want  string // ns1's RCODE, "drop", or "same" for ns2's reply
	}
	tests := []struct {
		fault string
		rows  []row
	}{
		{"ent-nxdomain", []row{
			{"c.example.com.", dns.TypeA, "NXDOMAIN"},
			{"b.c.example.com.", dns.TypeNS, "NXDOMAIN"},
			{"a.b.c.example.com.", dns.TypeTXT, "same"},
			{"a.b.c.example.com.", dns.TypeA, "same"}, // NODATA at a name that owns records
			{"www.example.com.", dns.TypeA, "same"},
			{"example.com.", dns.TypeSOA, "same"},
			{"nope.example.com.", dns.TypeA, "same"},
		}},
		{"qmin-refuse", []row{
			{"c.example.com.", dns.TypeA, "REFUSED"},
			{"b.c.example.com.", dns.TypeNS, "REFUSED"},
			{"host.example.com.", dns.TypeA, "REFUSED"}, // owns records, and names below it
			{"a.b.c.example.com.", dns.TypeTXT, "same"},
			{"www.example.com.", dns.TypeA, "same"},
			{"example.com.", dns.TypeSOA, "same"},
			{"nope.example.com.", dns.TypeA, "same"},
		}},
		{"qmin-servfail", []row{
			{"c.example.com.", dns.TypeA, "SERVFAIL"},
			{"a.b.c.example.com.", dns.TypeA, "same"},
			{"example.com.", dns.TypeNS, "same"},
		}},
		{"qmin-drop", []row{
			{"c.example.com.", dns.TypeA, "drop"},
			{"b.c.example.com.", dns.TypeAAAA, "drop"},
			{"a.b.c.example.com.", dns.TypeA, "same"},
			{"example.com.", dns.TypeSOA, "same"},
		}},
	}
	// authLab's a.b.c.example.com. TXT makes b.c and c empty
	// non-terminals; host owns records and has sub.host below it.
	zone := strings.Replace(authLab, "-- example.net.zone --", "host IN A 192.0.2.31\nsub.host IN TXT \"x\"\n-- example.net.zone --", 1)
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			l := start(t, scenario(t, zone+"-- lab.conf --\nfault ns1.example.com "+tt.fault+"\n"))
			for _, r := range tt.rows {
				want, err := exchange(t, l, ns2, "udp", query(r.name, r.qtype, 1232))
				if err != nil {
					t.Fatalf("ns2 %s %s: %v", r.name, dns.TypeToString[r.qtype], err)
				}
				pkt, _ := query(r.name, r.qtype, 1232).Pack()
				b, err := raw(t, l, ns1, "udp", pkt, 300*time.Millisecond)
				got := "drop"
				if err == nil {
					m := new(dns.Msg)
					if err := m.Unpack(b); err != nil {
						t.Fatal(err)
					}
					got = dns.RcodeToString[m.Rcode]
					if r.want == "same" && got == dns.RcodeToString[want.Rcode] && len(m.Answer) == len(want.Answer) {
						got = "same"
					}
				}
				if got != r.want {
					t.Errorf("ns1 %s %s: %s, want %s (ns2: %s)", r.name, dns.TypeToString[r.qtype], got, r.want, dns.RcodeToString[want.Rcode])
				}
			}
		})
	}
}
