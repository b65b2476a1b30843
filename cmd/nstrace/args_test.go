package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseArgs(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		flags  digFlags
		name   string
		qtype  uint16
		server string
		err    string
	}{
		{args: []string{"www.example.com"}, name: "www.example.com.", qtype: dns.TypeA},
		{args: []string{"example.com", "MX"}, name: "example.com.", qtype: dns.TypeMX},
		{args: []string{"MX", "example.com"}, name: "example.com.", qtype: dns.TypeMX},
		{args: []string{"mx", "IN", "Example.COM."}, name: "example.com.", qtype: dns.TypeMX},
		{args: []string{"example.com", "TYPE65280"}, name: "example.com.", qtype: 65280},
		{args: []string{"a", "a"}, name: "a.", qtype: dns.TypeA}, // dig: the type, then the name
		{args: []string{"in", "in."}, name: "in.", qtype: dns.TypeA},
		{args: []string{"+trace", "@192.0.2.53", "example.com"}, name: "example.com.", qtype: dns.TypeA, server: "192.0.2.53:53"},
		{args: []string{"example.com", "@192.0.2.53#5353"}, name: "example.com.", qtype: dns.TypeA, server: "192.0.2.53:5353"},
		{args: []string{"example.com", "@2001:db8::53"}, name: "example.com.", qtype: dns.TypeA, server: "[2001:db8::53]:53"},
		{args: []string{"example.com", "@[2001:db8::53]:5353"}, name: "example.com.", qtype: dns.TypeA, server: "[2001:db8::53]:5353"},
		{args: []string{"example.com", "@::ffff:192.0.2.53"}, name: "example.com.", qtype: dns.TypeA, server: "192.0.2.53:53"},
		{flags: digFlags{qtype: "aaaa", qname: "mx"}, name: "mx.", qtype: dns.TypeAAAA},
		{args: []string{"mx"}, flags: digFlags{qtype: "TXT"}, name: "mx.", qtype: dns.TypeTXT},
		{flags: digFlags{reverse: "192.0.2.1"}, name: "1.2.0.192.in-addr.arpa.", qtype: dns.TypePTR},
		{flags: digFlags{reverse: "2001:db8::1", qtype: "NS"}, name: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", qtype: dns.TypeNS},
		{flags: digFlags{qclass: "in"}, args: []string{"example.com"}, name: "example.com.", qtype: dns.TypeA},
		{args: []string{"Bücher.DE", "ANY"}, name: "xn--bcher-kva.de.", qtype: dns.TypeANY},
		{args: []string{"a", "a"}, name: "a.", qtype: dns.TypeA}, // as in dig: the second A is the name
		{args: []string{`www.exa\mple.com`}, name: "www.example.com.", qtype: dns.TypeA},

		{err: "no name to trace"},
		{args: []string{"MX"}, err: "no name to trace"},
		{args: []string{"example.com", "CH", "TXT"}, err: "class CH is not supported"},
		{args: []string{"example.com", "CLASS3"}, err: "class CLASS3 is not supported"},
		{flags: digFlags{qclass: "chaos"}, args: []string{"x"}, err: "class CH is not supported"},
		{flags: digFlags{qclass: "bogus"}, args: []string{"x"}, err: `unknown class "bogus"`},
		{args: []string{"example.com", "NOTATYPE"}, err: `unknown record type "NOTATYPE"`},
		{args: []string{"example.com", "TYPE99999"}, err: `unknown record type "TYPE99999"`},
		{args: []string{"example.com", "example.net"}, err: "more than one name"},
		{args: []string{"bad..name"}, err: "invalid domain name"},
		{args: []string{"x", "@ns1.example.com"}, err: "give the server as an IP address"},
		{args: []string{"x", "@192.0.2.1", "@192.0.2.2"}, err: "more than one @SERVER"},
		{args: []string{"x", "@192.0.2.1#0"}, err: "@192.0.2.1#0: port must be 1–65535"},
		{args: []string{"x", "+short"}, err: "+short is not supported"},
		{args: []string{"www.example.com", "A", "MX"}, err: "two types given: A and MX"},
		{args: []string{"www.example.com", "mx", "txt"}, err: "two types given: MX and TXT"},
		{args: []string{"www.example.com", "TXT"}, flags: digFlags{qtype: "A"}, err: "two types given: A and TXT"},
		{args: []string{"example.com", "AXFR"}, err: "AXFR is a zone transfer, not a lookup: use dig AXFR example.com. @SERVER"},
		{args: []string{"example.com", "ixfr"}, err: "IXFR is a zone transfer"},
		{args: []string{"example.com", "OPT"}, err: "OPT is EDNS's pseudo-record"},
		{args: []string{"example.com", "TSIG"}, err: "TSIG signs one message"},
		{flags: digFlags{qtype: "TKEY"}, args: []string{"example.com"}, err: "TKEY negotiates a TSIG key"},
		{args: []string{"aא.de"}, err: `"aא.de" is not a valid international name (IDNA 2008)`},
		{args: []string{strings.Repeat("a", 64) + ".com"}, err: "is 64 octets, over the limit of 63"},
		{flags: digFlags{reverse: "nope"}, err: "not an IP address"},
		{flags: digFlags{reverse: "192.0.2.1", qname: "x"}, err: "give one"},
	} {
		q, err := parseArgs(tt.args, tt.flags, 53)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseArgs(%q, %+v) error = %v, want one with %q", tt.args, tt.flags, err, tt.err)
			}
		case err != nil:
			t.Errorf("parseArgs(%q, %+v): %v", tt.args, tt.flags, err)
		case q.Name != tt.name || q.Qtype != tt.qtype || q.Qclass != dns.ClassINET:
			t.Errorf("parseArgs(%q, %+v) = %s, want %s IN %s", tt.args, tt.flags, q.Question, tt.name, dns.TypeToString[tt.qtype])
		case tt.server == "" && q.server.IsValid(), tt.server != "" && q.server != netip.MustParseAddrPort(tt.server):
			t.Errorf("parseArgs(%q) server = %v, want %q", tt.args, q.server, tt.server)
		}
	}
}
