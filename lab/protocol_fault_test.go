package lab

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestProtocolFaults checks the faults that the per-server protocol checks
// find (issue 14), each on ns1.example.com (192.0.2.1) of authLab, against
// ns2 (192.0.2.2), which has none and answers as BIND 9.18 does.
func TestProtocolFaults(t *testing.T) {
	const ns1, ns2 = "192.0.2.1", "192.0.2.2"
	short := 200 * time.Millisecond
	ask := func(t *testing.T, l *Lab, addr, proto string, m *dns.Msg, timeout time.Duration) *dns.Msg {
		t.Helper()
		pkt, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		b, err := raw(t, l, addr, proto, pkt, timeout)
		if err != nil {
			return nil
		}
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		return r
	}
	withOpt := func() *dns.Msg {
		m := query("example.com.", dns.TypeSOA, 1232)
		o := m.IsEdns0()
		o.Option = append(o.Option, &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2}})
		o.SetZ(0x4000)
		return m
	}
	version1 := func() *dns.Msg {
		m := query("example.com.", dns.TypeSOA, 1232)
		m.IsEdns0().SetVersion(1)
		return m
	}
	tests := []struct {
		fault string
		check func(t *testing.T, l *Lab, addr string) // true of ns1, false of ns2
	}{
		{"edns-drop", func(t *testing.T, l *Lab, addr string) {
			if r := ask(t, l, addr, "udp", query("example.com.", dns.TypeSOA, 0), time.Second); r == nil {
				t.Errorf("%s: no reply without EDNS", addr)
			}
			for _, proto := range []string{"udp", "tcp"} {
				r := ask(t, l, addr, proto, query("example.com.", dns.TypeSOA, 1232), short)
				if (r == nil) != (addr == ns1) {
					t.Errorf("%s over %s: reply with EDNS %v", addr, proto, r)
				}
			}
		}},
		{"no-badvers", func(t *testing.T, l *Lab, addr string) {
			r := ask(t, l, addr, "udp", version1(), time.Second)
			if r == nil || (r.Rcode == dns.RcodeBadVers) == (addr == ns1) {
				t.Errorf("%s: reply to EDNS version 1:\n%v", addr, r)
			}
		}},
		{"echo-option", func(t *testing.T, l *Lab, addr string) {
			r := ask(t, l, addr, "udp", withOpt(), time.Second)
			if r == nil || r.IsEdns0() == nil || r.Rcode != dns.RcodeSuccess {
				t.Fatalf("%s: reply %v", addr, r)
			}
			o := r.IsEdns0()
			if echoed := len(o.Option) > 0 || o.Z() != 0; echoed != (addr == ns1) {
				t.Errorf("%s: option or flag echoed = %v:\n%v", addr, echoed, r)
			}
		}},
		{"aaaa-drop", func(t *testing.T, l *Lab, addr string) {
			if r := ask(t, l, addr, "udp", query("www.example.com.", dns.TypeAAAA, 1232), short); (r == nil) != (addr == ns1) {
				t.Errorf("%s: AAAA reply %v", addr, r)
			}
			if r := ask(t, l, addr, "udp", query("www.example.com.", dns.TypeA, 1232), time.Second); r == nil {
				t.Errorf("%s: no reply to A", addr)
			}
		}},
		{"no-negative-soa", func(t *testing.T, l *Lab, addr string) {
			for _, q := range []*dns.Msg{query("nope.example.com.", dns.TypeA, 1232), query("www.example.com.", dns.TypeMX, 1232)} {
				r := ask(t, l, addr, "udp", q, time.Second)
				if r == nil || !r.Authoritative || len(r.Answer) > 0 {
					t.Fatalf("%s: not a negative answer: %v", addr, r)
				}
				if soa := slices.ContainsFunc(r.Ns, func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeSOA }); soa == (addr == ns1) {
					t.Errorf("%s: %s: SOA in authority = %v", addr, q.Question[0].Name, soa)
				}
			}
		}},
		{"recursive", func(t *testing.T, l *Lab, addr string) {
			m := query(".", dns.TypeNS, 1232)
			m.RecursionDesired = true
			r := ask(t, l, addr, "udp", m, time.Second)
			open := r != nil && r.RecursionAvailable && r.Rcode == dns.RcodeSuccess && !r.Authoritative && len(r.Answer) > 0
			if open != (addr == ns1) {
				t.Errorf("%s: recursive reply for . NS:\n%v", addr, r)
			}
		}},
		{"axfr-open", func(t *testing.T, l *Lab, addr string) {
			r := ask(t, l, addr, "tcp", query("example.com.", dns.TypeAXFR, 0), time.Second)
			if r == nil {
				t.Fatalf("%s: no reply to AXFR", addr)
			}
			open := r.Rcode == dns.RcodeSuccess && len(r.Answer) > 2 && r.Answer[0].Header().Rrtype == dns.TypeSOA &&
				r.Answer[len(r.Answer)-1].Header().Rrtype == dns.TypeSOA
			if open != (addr == ns1) {
				t.Errorf("%s: AXFR reply rcode %s, %d records", addr, dns.RcodeToString[r.Rcode], len(r.Answer))
			}
			if u := ask(t, l, addr, "udp", query("example.com.", dns.TypeAXFR, 0), time.Second); u == nil || u.Rcode != dns.RcodeRefused {
				t.Errorf("%s: AXFR over UDP: %v, want REFUSED", addr, u)
			}
		}},
		{"case-fold", func(t *testing.T, l *Lab, addr string) {
			r := ask(t, l, addr, "udp", query("WwW.ExAmPlE.CoM.", dns.TypeA, 1232), time.Second)
			if r == nil || len(r.Question) != 1 || (r.Question[0].Name == "WwW.ExAmPlE.CoM.") == (addr == ns1) {
				t.Errorf("%s: reply question %v", addr, r)
			}
		}},
		{"minimal-responses", func(t *testing.T, l *Lab, addr string) {
			r := ask(t, l, addr, "udp", query("example.com.", dns.TypeNS, 1232), time.Second)
			if r == nil || !r.Authoritative || len(r.Answer) == 0 {
				t.Fatalf("%s: NS reply %v", addr, r)
			}
			extra := slices.ContainsFunc(r.Extra, func(rr dns.RR) bool { return rr.Header().Rrtype != dns.TypeOPT })
			if extra == (addr == ns1) {
				t.Errorf("%s: additional records = %v:\n%v", addr, extra, r)
			}
		}},
		{"soa-fields", func(t *testing.T, l *Lab, addr string) {
			r := ask(t, l, addr, "udp", query("example.com.", dns.TypeSOA, 1232), time.Second)
			if r == nil || len(r.Answer) != 1 {
				t.Fatalf("%s: SOA reply %v", addr, r)
			}
			soa := r.Answer[0].(*dns.SOA)
			if other := soa.Mbox != "hostmaster.example.com." || soa.Refresh != 7200; other != (addr == ns1) {
				t.Errorf("%s: SOA %v", addr, soa)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			l := start(t, scenario(t, authLab+"-- lab.conf --\nfault ns1.example.com "+tt.fault+"\n"))
			for _, addr := range []string{ns1, ns2} {
				tt.check(t, l, addr)
			}
		})
	}
}

// TestOtherAddressFault: ns1 with "other-address 192.0.2.99" sends its UDP
// replies from another socket. A connected socket, as the walk's, never
// gets them; an unconnected one (Dial's "udp-unconnected") gets each, from
// 192.0.2.99 at the port asked; TCP is answered as usual; ns2 answers from
// its own address.
func TestOtherAddressFault(t *testing.T) {
	l := start(t, scenario(t, authLab+"-- lab.conf --\nfault ns1.example.com other-address 192.0.2.99\n"))
	pkt, err := query("example.com.", dns.TypeSOA, 1232).Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw(t, l, "192.0.2.1", "udp", pkt, 200*time.Millisecond); err == nil {
		t.Error("ns1 over connected UDP: a reply, want none")
	}
	if _, err := raw(t, l, "192.0.2.1", "tcp", pkt, time.Second); err != nil {
		t.Errorf("ns1 over TCP: %v, want a reply", err)
	}
	for _, tt := range []struct{ addr, from string }{
		{"192.0.2.1", "192.0.2.99:5353"},
		{"192.0.2.2", "192.0.2.2:5353"},
	} {
		c, err := l.Dial(context.Background(), unconnectedUDP, netip.MustParseAddrPort(tt.addr+":53"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		pc := c.(net.PacketConn)
		pc.SetDeadline(time.Now().Add(time.Second))
		if _, err := pc.WriteTo(pkt, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(tt.addr+":5353"))); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65535)
		n, from, err := pc.ReadFrom(buf)
		if err != nil || from.String() != tt.from || n < 12 {
			t.Errorf("%s over an unconnected socket: %d bytes from %v (%v), want a reply from %s", tt.addr, n, from, err, tt.from)
		}
		if _, err := pc.WriteTo(pkt, net.UDPAddrFromAddrPort(netip.MustParseAddrPort("192.0.2.77:53"))); !errors.Is(err, ErrNotServed) {
			t.Errorf("WriteTo an address the lab does not serve: %v, want ErrNotServed", err)
		}
	}
}
