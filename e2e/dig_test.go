package e2e

import (
	"testing"

	"github.com/miekg/dns"
)

// digOut is dig +trace +comments +nocookie as BIND 9.18 prints it, for an
// NXDOMAIN after one server of example.com refused the connection.
const digOut = `
; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> +trace +nodnssec +comments +nocookie @127.0.1.1 nope.example.com. A
; (1 server found)
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 46216
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 2
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; ANSWER SECTION:
.			518400	IN	NS	a.root-servers.net.

;; Received 87 bytes from 127.0.1.1#53(127.0.1.1) in 0 ms

;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 27663
;; flags: qr; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; AUTHORITY SECTION:
com.			172800	IN	NS	a.gtld-servers.net.

;; Received 108 bytes from 127.0.1.1#53(a.root-servers.net) in 0 ms

;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 27664
;; flags: qr; QUERY: 1, ANSWER: 0, AUTHORITY: 2, ADDITIONAL: 3

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; AUTHORITY SECTION:
example.com.		172800	IN	NS	ns2.example.com.
example.com.		172800	IN	NS	ns1.example.com.

;; Received 141 bytes from 127.0.1.2#53(a.gtld-servers.net) in 0 ms

;; communications error to 127.0.1.4#53: connection refused
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 33344
;; flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; AUTHORITY SECTION:
example.com.		3600	IN	SOA	ns1.example.com. hostmaster.example.com. 2025011500 7200 3600 1209600 3600

;; Received 124 bytes from 127.0.1.3#53(ns1.example.com) in 0 ms

`

func TestParseDig(t *testing.T) {
	replies, err := parseDig(digOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 4 {
		t.Fatalf("%d replies, want 4", len(replies))
	}
	if last := replies[3]; last.msg.Rcode != dns.RcodeNameError || !last.msg.Authoritative || last.from != "127.0.1.3#53(ns1.example.com) in 0 ms" {
		t.Errorf("last reply: rcode %d, aa %v, from %q", last.msg.Rcode, last.msg.Authoritative, last.from)
	}
	l, err := digLeg(replies, "nope.example.com.", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	soa, _ := normRRs([]string{"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2025011500 7200 3600 1209600 3600"})
	want := leg{Zones: []string{".", "com.", "example.com."}, Outcome: "nxdomain", Authority: soa}
	if !l.equal(want) {
		t.Errorf("digLeg:\n got %v\nwant %v", l, want)
	}
}

func TestOutcomeOf(t *testing.T) {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name   string
		msg    dns.Msg
		qtype  uint16
		wanted string
	}{
		{"answer", dns.Msg{Answer: []dns.RR{rr("www.example.com. 60 IN A 127.0.0.1")}}, dns.TypeA, "answer"},
		{"chain in zone", dns.Msg{Answer: []dns.RR{rr("www.example.com. 60 IN CNAME a.example.com."), rr("a.example.com. 60 IN A 127.0.0.1")}}, dns.TypeA, "answer"},
		{"chain out of zone", dns.Msg{Answer: []dns.RR{rr("www.example.com. 60 IN CNAME a.example.net.")}}, dns.TypeA, "cname"},
		{"nxdomain", dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}}, dns.TypeA, "nxdomain"},
		{"nodata", dns.Msg{}, dns.TypeMX, "nodata"},
	}
	for _, tt := range tests {
		if got := outcomeOf(&tt.msg, "www.example.com.", tt.qtype); got != tt.wanted {
			t.Errorf("%s: outcomeOf = %s, want %s", tt.name, got, tt.wanted)
		}
	}
}
