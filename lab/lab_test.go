package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/txtar"
)

// aRoot is the address the scenarios write for a.root-servers.net. Like
// every address in a lab, it is served on loopback: nothing is sent to it.
var aRoot = netip.AddrFrom4([4]byte{198, 41, 0, 4})

// scenario parses a txtar archive written in a test.
func scenario(t testing.TB, archive string) *Scenario {
	t.Helper()
	a := txtar.Parse([]byte(archive))
	files := make(map[string][]byte)
	for _, f := range a.Files {
		files[f.Name] = f.Data
	}
	s, err := Parse(t.Name(), files)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// start starts s and closes it when the test ends.
func start(t testing.TB, s *Scenario) *Lab {
	t.Helper()
	l, err := Start(s)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// raw sends pkt to the listener of a written address and returns the reply
// bytes, or an error after timeout.
func raw(t testing.TB, l *Lab, addr, proto string, pkt []byte, timeout time.Duration) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := l.Dial(ctx, proto, netip.AddrPortFrom(netip.MustParseAddr(addr), 53))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if proto == "udp" {
		if _, err := c.Write(pkt); err != nil {
			return nil, err
		}
		buf := make([]byte, 65535)
		n, err := c.Read(buf)
		return buf[:n], err
	}
	dc := &dns.Conn{Conn: c}
	if _, err := dc.Write(pkt); err != nil {
		return nil, err
	}
	return dc.ReadMsgHeader(nil)
}

// query builds a non-recursive query, with EDNS when size is not zero.
func query(qname string, qtype uint16, size uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	m.RecursionDesired = false
	if size > 0 {
		m.SetEdns0(size, false)
	}
	return m
}

// exchange sends m to a written address and parses the reply.
func exchange(t testing.TB, l *Lab, addr, proto string, m *dns.Msg) (*dns.Msg, error) {
	t.Helper()
	pkt, err := m.Pack()
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	b, err := raw(t, l, addr, proto, pkt, 2*time.Second)
	if err != nil {
		return nil, err
	}
	r := new(dns.Msg)
	if err := r.Unpack(b); err != nil {
		return nil, err
	}
	return r, nil
}

// texts renders records as "name ttl type rdata", OPT left out.
func texts(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		f := strings.Fields(rr.String())
		out = append(out, strings.Join(slices.Delete(f, 2, 3), " "))
	}
	return out
}

var authLab = `
-- root.zone --
$TTL 86400
.			IN	SOA	a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
.			518400	IN	NS	a.root-servers.net.
com.			172800	IN	NS	a.gtld-servers.net.
net.			172800	IN	NS	a.gtld-servers.net.
a.root-servers.net.	518400	IN	A	198.41.0.4
a.gtld-servers.net.	172800	IN	A	192.5.6.30
-- net.zone --
$TTL 172800
@		900	IN	SOA	a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900
@			IN	NS	a.gtld-servers.net.
a.gtld-servers		IN	A	192.5.6.30
a.root-servers	518400	IN	A	198.41.0.4
-- com.zone --
$TTL 172800
@		900	IN	SOA	a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900
@			IN	NS	a.gtld-servers.net.
example			IN	NS	ns1.example.com.
example			IN	NS	ns2.example.com.
example		86400	IN	DS	370 13 2 BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A86764247C
ns1.example		IN	A	192.0.2.1
ns2.example		IN	A	192.0.2.2
glueless		IN	NS	ns1.provider.net.
-- example.com.zone --
$ORIGIN example.com.
$TTL 3600
@		IN	SOA	ns1 hostmaster 2025011500 7200 3600 1209600 300
@		IN	NS	ns1
@		IN	NS	ns2
@		IN	MX	10 mail
ns1		IN	A	192.0.2.1
ns1		IN	AAAA	2001:db8::1
ns2		IN	A	192.0.2.2
www		IN	A	192.0.2.10
www		IN	AAAA	2001:db8::10
mail		IN	A	192.0.2.25
alias		IN	CNAME	www
chain		IN	CNAME	alias
out		IN	CNAME	www.example.net.
dangling	IN	CNAME	nope
loop1		IN	CNAME	loop2
loop2		IN	CNAME	loop1
a.b.c		IN	TXT	"deep"
*.wild		IN	A	192.0.2.99
sub		IN	NS	ns.sub
ns.sub		IN	A	192.0.2.50
intosub		IN	CNAME	host.sub
other		IN	NS	ns1
dn	600	IN	DNAME	example.net.
dnlong		IN	DNAME	aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.dddddddddddddddddddddddddddddddddddddddd.example.net.
long1		IN	CNAME	long2
long2		IN	CNAME	long3
long3		IN	CNAME	long4
long4		IN	CNAME	long5
long5		IN	CNAME	long6
long6		IN	CNAME	long7
long7		IN	CNAME	long8
long8		IN	CNAME	long9
long9		IN	CNAME	long10
long10		IN	CNAME	long11
long11		IN	CNAME	long12
long12		IN	CNAME	www
mx2		IN	MX	10 ns.sub
big		IN	TXT	"` + strings.Repeat("a", 250) + `"
big		IN	TXT	"` + strings.Repeat("b", 250) + `"
big		IN	TXT	"` + strings.Repeat("c", 250) + `"
big		IN	TXT	"` + strings.Repeat("d", 250) + `"
big		IN	TXT	"` + strings.Repeat("e", 250) + `"
-- example.net.zone --
$ORIGIN example.net.
$TTL 3600
@		IN	SOA	ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@		IN	NS	ns1.example.com.
www		IN	A	192.0.2.11
`

var (
	apexNS    = []string{"example.com. 3600 NS ns1.example.com.", "example.com. 3600 NS ns2.example.com."}
	apexGlue  = []string{"ns1.example.com. 3600 A 192.0.2.1", "ns1.example.com. 3600 AAAA 2001:db8::1", "ns2.example.com. 3600 A 192.0.2.2"}
	negSOA    = []string{"example.com. 300 SOA ns1.example.com. hostmaster.example.com. 2025011500 7200 3600 1209600 300"}
	wwwA      = "www.example.com. 3600 A 192.0.2.10"
	aliasRR   = "alias.example.com. 3600 CNAME www.example.com."
	dnameRR   = "dn.example.com. 600 DNAME example.net."
	comGlue   = []string{"ns1.example.com. 172800 A 192.0.2.1", "ns2.example.com. 172800 A 192.0.2.2"}
	comNS     = []string{"example.com. 172800 NS ns1.example.com.", "example.com. 172800 NS ns2.example.com."}
	subNS     = []string{"sub.example.com. 3600 NS ns.sub.example.com."}
	subGlue   = []string{"ns.sub.example.com. 3600 A 192.0.2.50"}
	longChain = func() []string {
		var out []string
		for i := 1; i < 12; i++ {
			out = append(out, fmt.Sprintf("long%d.example.com. 3600 CNAME long%d.example.com.", i, i+1))
		}
		return append(out, "long12.example.com. 3600 CNAME www.example.com.")
	}()
	bigAnswer = func() []string {
		var out []string
		for _, c := range "abcde" {
			out = append(out, `big.example.com. 3600 TXT "`+strings.Repeat(string(c), 250)+`"`)
		}
		return out
	}()
)

func TestAuthoritative(t *testing.T) {
	l := start(t, scenario(t, authLab))
	tests := []struct {
		name         string
		server       string // written address
		qname        string
		qtype        uint16
		proto        string // "" means udp
		edns         uint16
		rd           bool // recursion desired
		rcode        int
		aa, tc       bool
		answer       []string
		ns, extra    []string
		wantQuestion string // "" means qname
	}{
		{name: "root referral", server: aRoot.String(), qname: "www.example.com.", qtype: dns.TypeA,
			ns: []string{"com. 172800 NS a.gtld-servers.net."}, extra: []string{"a.gtld-servers.net. 172800 A 192.5.6.30"}},
		{name: "referral with in-zone glue only", server: "192.5.6.30", qname: "www.example.com.", qtype: dns.TypeA,
			ns: comNS, extra: comGlue},
		{name: "glueless referral", server: "192.5.6.30", qname: "www.glueless.com.", qtype: dns.TypeA,
			ns: []string{"glueless.com. 172800 NS ns1.provider.net."}},
		{name: "DS is the parent's, with nothing more", server: "192.5.6.30", qname: "example.com.", qtype: dns.TypeDS, aa: true,
			answer: []string{"example.com. 86400 DS 370 13 2 BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A86764247C"}},
		{name: "no glue from the zone's own data", server: "192.0.2.1", qname: "www.other.example.com.", qtype: dns.TypeA,
			ns: []string{"other.example.com. 3600 NS ns1.example.com."}},
		{name: "NS at the cut is a referral", server: "192.5.6.30", qname: "example.com.", qtype: dns.TypeNS,
			ns: comNS, extra: comGlue},
		{name: "answer", server: "192.0.2.1", qname: "www.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{wwwA}, ns: apexNS, extra: apexGlue},
		{name: "answer over IPv6 address", server: "2001:db8::1", qname: "www.example.com.", qtype: dns.TypeAAAA, aa: true,
			answer: []string{"www.example.com. 3600 AAAA 2001:db8::10"}, ns: apexNS, extra: apexGlue},
		{name: "answer from second server", server: "192.0.2.2", qname: "www.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{wwwA}, ns: apexNS, extra: apexGlue},
		{name: "case kept in question", server: "192.0.2.1", qname: "WWW.Example.COM.", qtype: dns.TypeA, aa: true,
			answer: []string{wwwA}, ns: apexNS, extra: apexGlue},
		{name: "apex NS", server: "192.0.2.1", qname: "example.com.", qtype: dns.TypeNS, aa: true,
			answer: apexNS, extra: apexGlue},
		{name: "MX with target address", server: "192.0.2.1", qname: "example.com.", qtype: dns.TypeMX, aa: true,
			answer: []string{"example.com. 3600 MX 10 mail.example.com."}, ns: apexNS,
			extra: append([]string{"mail.example.com. 3600 A 192.0.2.25"}, apexGlue...)},
		{name: "CNAME followed in zone", server: "192.0.2.1", qname: "alias.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{aliasRR, wwwA}, ns: apexNS, extra: apexGlue},
		{name: "CNAME chain", server: "192.0.2.1", qname: "chain.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"chain.example.com. 3600 CNAME alias.example.com.", aliasRR, wwwA}, ns: apexNS, extra: apexGlue},
		{name: "CNAME asked", server: "192.0.2.1", qname: "alias.example.com.", qtype: dns.TypeCNAME, aa: true,
			answer: []string{aliasRR}, ns: apexNS, extra: apexGlue},
		{name: "CNAME into another zone, served here too", server: "192.0.2.1", qname: "out.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"out.example.com. 3600 CNAME www.example.net."}},
		{name: "CNAME out of the zones served", server: "192.0.2.2", qname: "out.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"out.example.com. 3600 CNAME www.example.net."}},
		{name: "CNAME to nothing", server: "192.0.2.1", qname: "dangling.example.com.", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, answer: []string{"dangling.example.com. 3600 CNAME nope.example.com."}, ns: negSOA},
		{name: "CNAME loop", server: "192.0.2.1", qname: "loop1.example.com.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeServerFailure,
			answer: []string{"loop1.example.com. 3600 CNAME loop2.example.com.", "loop2.example.com. 3600 CNAME loop1.example.com."}},
		{name: "CNAME chain past BIND's restarts", server: "192.0.2.1", qname: "long1.example.com.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeServerFailure,
			answer: longChain},
		{name: "CNAME chain at BIND's restarts", server: "192.0.2.1", qname: "long2.example.com.", qtype: dns.TypeA, aa: true,
			answer: append(longChain[1:], wwwA), ns: apexNS, extra: apexGlue},
		{name: "DNAME into another zone", server: "192.0.2.1", qname: "www.dn.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{dnameRR, "www.dn.example.com. 600 CNAME www.example.net."}},
		{name: "DNAME, CNAME asked", server: "192.0.2.1", qname: "www.dn.example.com.", qtype: dns.TypeCNAME, aa: true,
			answer: []string{dnameRR, "www.dn.example.com. 600 CNAME www.example.net."}, ns: apexNS, extra: apexGlue},
		{name: "DNAME asked at its owner", server: "192.0.2.1", qname: "dn.example.com.", qtype: dns.TypeDNAME, aa: true,
			answer: []string{dnameRR}, ns: apexNS, extra: apexGlue},
		{name: "DNAME target too long", server: "192.0.2.1", qname: "below-e2e.dnlong.example.com.", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeYXDomain, answer: []string{"dnlong.example.com. 3600 DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.dddddddddddddddddddddddddddddddddddddddd.example.net."}},
		{name: "RD: no authority", server: "192.0.2.1", qname: "www.example.com.", qtype: dns.TypeA, rd: true, aa: true,
			answer: []string{wwwA}},
		{name: "RD: NS in full", server: "192.0.2.1", qname: "example.com.", qtype: dns.TypeNS, rd: true, aa: true,
			answer: apexNS, extra: apexGlue},
		{name: "RD: referral in full", server: "192.5.6.30", qname: "www.example.com.", qtype: dns.TypeA, rd: true,
			ns: comNS, extra: comGlue},
		{name: "RD: additional of the answer kept", server: "192.0.2.1", qname: "example.com.", qtype: dns.TypeMX, rd: true, aa: true,
			answer: []string{"example.com. 3600 MX 10 mail.example.com."}, extra: []string{"mail.example.com. 3600 A 192.0.2.25"}},
		{name: "EDNS 512: minimal", server: "192.0.2.1", qname: "example.com.", qtype: dns.TypeMX, edns: 512, aa: true,
			answer: []string{"example.com. 3600 MX 10 mail.example.com."}},
		{name: "EDNS 512: referral keeps glue", server: "192.5.6.30", qname: "www.example.com.", qtype: dns.TypeA, edns: 512,
			ns: comNS, extra: comGlue},
		{name: "EDNS 512: negative keeps the SOA", server: "192.0.2.1", qname: "nope.example.com.", qtype: dns.TypeA, edns: 512, aa: true,
			rcode: dns.RcodeNameError, ns: negSOA},
		{name: "EDNS 512 over TCP: whole", server: "192.0.2.1", qname: "www.example.com.", qtype: dns.TypeA, edns: 512, proto: "tcp", aa: true,
			answer: []string{wwwA}, ns: apexNS, extra: apexGlue},
		{name: "CNAME into a delegation", server: "192.0.2.1", qname: "intosub.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"intosub.example.com. 3600 CNAME host.sub.example.com."}, ns: subNS, extra: subGlue},
		{name: "no glue in an answer's additional", server: "192.0.2.1", qname: "mx2.example.com.", qtype: dns.TypeMX, aa: true,
			answer: []string{"mx2.example.com. 3600 MX 10 ns.sub.example.com."}, ns: apexNS, extra: apexGlue},
		{name: "NXDOMAIN", server: "192.0.2.1", qname: "nope.example.com.", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, ns: negSOA},
		{name: "NODATA", server: "192.0.2.1", qname: "mail.example.com.", qtype: dns.TypeMX, aa: true, ns: negSOA},
		{name: "NXDOMAIN for SOA, with a zero TTL", server: "192.0.2.1", qname: "nope.example.com.", qtype: dns.TypeSOA, aa: true,
			rcode: dns.RcodeNameError, ns: []string{"example.com. 0 SOA ns1.example.com. hostmaster.example.com. 2025011500 7200 3600 1209600 300"}},
		{name: "additional without what the answer holds", server: "192.0.2.1", qname: "ns1.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"ns1.example.com. 3600 A 192.0.2.1"}, ns: apexNS, extra: apexGlue[1:]},
		{name: "empty non-terminal", server: "192.0.2.1", qname: "b.c.example.com.", qtype: dns.TypeA, aa: true, ns: negSOA},
		{name: "below an empty non-terminal", server: "192.0.2.1", qname: "x.b.c.example.com.", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, ns: negSOA},
		{name: "wildcard", server: "192.0.2.1", qname: "shop.wild.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"shop.wild.example.com. 3600 A 192.0.2.99"}, ns: apexNS, extra: apexGlue},
		{name: "wildcard deeper", server: "192.0.2.1", qname: "a.shop.wild.example.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"a.shop.wild.example.com. 3600 A 192.0.2.99"}, ns: apexNS, extra: apexGlue},
		{name: "wildcard NODATA", server: "192.0.2.1", qname: "shop.wild.example.com.", qtype: dns.TypeMX, aa: true, ns: negSOA},
		{name: "ANY, with no additional data", server: "192.0.2.1", qname: "www.example.com.", qtype: dns.TypeANY, aa: true,
			answer: []string{wwwA, "www.example.com. 3600 AAAA 2001:db8::10"}, ns: apexNS},
		{name: "referral to sub-delegation", server: "192.0.2.1", qname: "host.sub.example.com.", qtype: dns.TypeA,
			ns: subNS, extra: subGlue},
		{name: "NS at sub-delegation", server: "192.0.2.1", qname: "sub.example.com.", qtype: dns.TypeNS,
			ns: subNS, extra: subGlue},
		{name: "not served", server: "192.0.2.1", qname: "www.example.org.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "lame delegation", server: "192.0.2.50", qname: "host.sub.example.com.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "zone transfer", server: "192.0.2.1", qname: "example.com.", qtype: dns.TypeAXFR, proto: "tcp", rcode: dns.RcodeRefused},
		{name: "EDNS mirrored", server: "192.0.2.1", qname: "www.example.com.", qtype: dns.TypeA, edns: 4096, aa: true,
			answer: []string{wwwA}, ns: apexNS, extra: apexGlue},
		{name: "UDP truncated without EDNS", server: "192.0.2.1", qname: "big.example.com.", qtype: dns.TypeTXT, aa: true, tc: true,
			answer: bigAnswer[:1]},
		{name: "UDP truncated with EDNS, whole RRsets only", server: "192.0.2.1", qname: "big.example.com.", qtype: dns.TypeTXT, edns: 1232, aa: true, tc: true},
		{name: "UDP truncated at 1232 whatever the client says", server: "192.0.2.1", qname: "big.example.com.", qtype: dns.TypeTXT, edns: 4096, aa: true, tc: true},
		{name: "TCP whole", server: "192.0.2.1", qname: "big.example.com.", qtype: dns.TypeTXT, proto: "tcp", aa: true,
			answer: bigAnswer, ns: apexNS, extra: apexGlue},
		{name: "TCP whole with EDNS", server: "192.0.2.1", qname: "big.example.com.", qtype: dns.TypeTXT, proto: "tcp", edns: 1232, aa: true,
			answer: bigAnswer, ns: apexNS, extra: apexGlue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proto := tt.proto
			if proto == "" {
				proto = "udp"
			}
			q := query(tt.qname, tt.qtype, tt.edns)
			q.RecursionDesired = tt.rd
			r, err := exchange(t, l, tt.server, proto, q)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if r.Id != q.Id || !r.Response {
				t.Errorf("reply id %d, qr %v; want %d, true", r.Id, r.Response, q.Id)
			}
			if len(r.Question) != 1 || r.Question[0] != q.Question[0] {
				t.Errorf("question = %v, want %v", r.Question, q.Question)
			}
			if r.Rcode != tt.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if r.Authoritative != tt.aa || r.Truncated != tt.tc {
				t.Errorf("aa, tc = %v, %v; want %v, %v", r.Authoritative, r.Truncated, tt.aa, tt.tc)
			}
			if r.RecursionAvailable {
				t.Errorf("ra set")
			}
			for _, sec := range []struct {
				name      string
				got, want []string
			}{{"answer", texts(r.Answer), tt.answer}, {"authority", texts(r.Ns), tt.ns}, {"additional", texts(r.Extra), tt.extra}} {
				if !slices.Equal(sec.got, sec.want) {
					t.Errorf("%s:\n got %q\nwant %q", sec.name, sec.got, sec.want)
				}
			}
			opt := r.IsEdns0()
			switch {
			case tt.edns == 0 && opt != nil:
				t.Errorf("reply has OPT %v, query had none", opt)
			case tt.edns != 0 && opt == nil:
				t.Errorf("reply has no OPT, query had one")
			case tt.edns != 0 && opt.UDPSize() != 1232:
				t.Errorf("reply OPT size = %d, want 1232", opt.UDPSize())
			}
		})
	}
}

func TestOddQueries(t *testing.T) {
	l := start(t, scenario(t, authLab))
	badVers := query("www.example.com.", dns.TypeA, 1232)
	badVers.IsEdns0().SetVersion(1)
	notify := query("example.com.", dns.TypeSOA, 0)
	notify.Opcode = dns.OpcodeNotify
	chaos := query("version.bind.", dns.TypeTXT, 0)
	chaos.Question[0].Qclass = dns.ClassCHAOS
	twoQ := query("www.example.com.", dns.TypeA, 0)
	twoQ.Question = append(twoQ.Question, twoQ.Question[0])
	noQ := query("www.example.com.", dns.TypeA, 0)
	noQ.Question = nil
	optQ := query("www.example.com.", dns.TypeOPT, 0)
	tests := []struct {
		name  string
		m     *dns.Msg
		rcode int
	}{
		{"EDNS version 1", badVers, dns.RcodeBadVers},
		{"NOTIFY", notify, dns.RcodeNotImplemented},
		{"class CH", chaos, dns.RcodeRefused},
		{"two questions", twoQ, dns.RcodeFormatError},
		{"no question", noQ, dns.RcodeFormatError},
		{"qtype OPT", optQ, dns.RcodeFormatError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := exchange(t, l, "192.0.2.1", "udp", tt.m)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if r.Rcode != tt.rcode || r.Authoritative || r.Id != tt.m.Id {
				t.Errorf("rcode, aa, id = %s, %v, %d; want %s, false, %d",
					dns.RcodeToString[r.Rcode], r.Authoritative, r.Id, dns.RcodeToString[tt.rcode], tt.m.Id)
			}
		})
	}
	t.Run("unparseable", func(t *testing.T) {
		pkt := []byte{0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f}
		b, err := raw(t, l, "192.0.2.1", "udp", pkt, 2*time.Second)
		if err != nil {
			t.Fatalf("raw: %v", err)
		}
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil {
			t.Fatalf("Unpack: %v", err)
		}
		if r.Id != 0x1234 || r.Rcode != dns.RcodeFormatError {
			t.Errorf("id, rcode = %#x, %s; want 0x1234, FORMERR", r.Id, dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("reply is not answered", func(t *testing.T) {
		m := query("www.example.com.", dns.TypeA, 0)
		m.Response = true
		pkt, _ := m.Pack()
		if b, err := raw(t, l, "192.0.2.1", "udp", pkt, 200*time.Millisecond); err == nil {
			t.Errorf("got %d bytes in reply to a reply", len(b))
		}
	})
	t.Run("TCP pipelined", func(t *testing.T) {
		c, err := l.Dial(context.Background(), "tcp", netip.MustParseAddrPort("192.0.2.1:53"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		dc := &dns.Conn{Conn: c}
		for i, name := range []string{"www.example.com.", "mail.example.com.", "nope.example.com."} {
			m := query(name, dns.TypeA, 0)
			if err := dc.WriteMsg(m); err != nil {
				t.Fatalf("query %d: %v", i, err)
			}
			r, err := dc.ReadMsg()
			if err != nil {
				t.Fatalf("reply %d: %v", i, err)
			}
			if r.Id != m.Id || r.Question[0].Name != name {
				t.Errorf("reply %d is for %d %s, want %d %s", i, r.Id, r.Question[0].Name, m.Id, name)
			}
		}
	})
}

func TestDial(t *testing.T) {
	l := start(t, scenario(t, authLab))
	ctx := context.Background()
	tests := []struct {
		network, addr string
		want          error
	}{
		{"udp", "192.0.2.1:53", nil},
		{"tcp", "192.0.2.1:53", nil},
		{"udp", "[2001:db8::1]:53", nil},
		{"udp", "[::ffff:192.0.2.1]:53", nil},
		{"udp", "192.0.2.1:5353", nil}, // the port asked does not matter
		{"udp", "192.0.2.3:53", ErrNotServed},
		{"tcp", "198.51.100.99:53", ErrNotServed},
		{"udp", "127.0.0.1:53", ErrNotServed},
		{"udp", "[::1]:53", ErrNotServed},
		{"ip4", "192.0.2.1:53", nil}, // an error of its own
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.addr, func(t *testing.T) {
			c, err := l.Dial(ctx, tt.network, netip.MustParseAddrPort(tt.addr))
			if tt.network == "ip4" {
				if err == nil {
					c.Close()
					t.Fatalf("Dial(ip4) succeeded")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Dial(%s, %s) error = %v, want %v", tt.network, tt.addr, err, tt.want)
			}
			if err != nil {
				var op *net.OpError
				if !errors.As(err, &op) {
					t.Errorf("error %v is not a *net.OpError", err)
				}
				return
			}
			defer c.Close()
			remote := c.RemoteAddr().String()
			lp, _ := l.Listener(netip.MustParseAddrPort(tt.addr).Addr())
			if remote != lp.String() || !lp.Addr().IsLoopback() {
				t.Errorf("dialled %s, want the listener %s on loopback", remote, lp)
			}
		})
	}
	if _, ok := l.Listener(netip.MustParseAddr("192.0.2.3")); ok {
		t.Errorf("Listener(192.0.2.3) found, want none")
	}
	l.Close()
	if _, err := l.Dial(ctx, "udp", netip.MustParseAddrPort("192.0.2.1:53")); !errors.Is(err, ErrClosed) {
		t.Errorf("Dial after Close error = %v, want ErrClosed", err)
	}
}

// TestMaxRestarts wants the extended error BIND sends with the SERVFAIL of
// a CNAME chain it cut short, with EDNS only.
func TestMaxRestarts(t *testing.T) {
	l := start(t, scenario(t, authLab))
	for _, size := range []uint16{0, 1232} {
		r, err := exchange(t, l, "192.0.2.1", "udp", query("loop1.example.com.", dns.TypeA, size))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if opt := r.IsEdns0(); opt != nil {
			for _, o := range opt.Option {
				got = append(got, o.String())
			}
		}
		var want []string
		if size > 0 {
			want = []string{(&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeOther, ExtraText: "max. restarts reached"}).String()}
		}
		if r.Rcode != dns.RcodeServerFailure || !slices.Equal(got, want) {
			t.Errorf("EDNS %d: rcode %s, options %q; want SERVFAIL, %q", size, dns.RcodeToString[r.Rcode], got, want)
		}
	}
}
