package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/miekg/dns"
)

// TestHostNetwork checks that a lab on a host without a route for a family
// fails a dial to that family as the kernel does, and still answers over
// the other.
func TestHostNetwork(t *testing.T) {
	s := scenario(t, authLab)
	const (
		v4       = "192.0.2.1"
		v6       = "2001:db8::1"
		mapped   = "::ffff:192.0.2.1" // IPv4, written as IPv6
		unserved = "2001:db8::99"     // the family is refused before the lab looks
	)
	tests := []struct {
		host           HostNetwork
		reach, refused []string
	}{
		{"", []string{v4, v6, mapped}, nil},
		{HostDualStack, []string{v4, v6, mapped}, nil},
		{HostIPv4Only, []string{v4, mapped}, []string{v6, unserved}},
		{HostIPv6Only, []string{v6}, []string{v4, mapped}},
		{HostOffline, nil, []string{v4, v6, mapped, unserved}},
	}
	for _, tt := range tests {
		t.Run(string(tt.host), func(t *testing.T) {
			l := start(t, s.WithHost(tt.host))
			for _, proto := range []string{"udp", "tcp"} {
				for _, a := range tt.reach {
					r, err := exchange(t, l, a, proto, query("www.example.com.", dns.TypeA, 0))
					if err != nil || !r.Authoritative {
						t.Errorf("%s query to %s = %v, %v; want an authoritative answer", proto, a, r, err)
					}
				}
				for _, a := range tt.refused {
					addr := netip.AddrPortFrom(netip.MustParseAddr(a), 53)
					c, err := l.Dial(context.Background(), proto, addr)
					if c != nil {
						c.Close()
					}
					// The kernel's words and types, as a dial in a network
					// namespace with only lo gets them; Go writes a mapped
					// address as IPv4.
					want := fmt.Sprintf("dial %s %s: connect: network is unreachable", proto, netip.AddrPortFrom(addr.Addr().Unmap(), 53))
					var op *net.OpError
					if err == nil || err.Error() != want || !errors.Is(err, syscall.ENETUNREACH) || !errors.As(err, &op) || op.Op != "dial" {
						t.Errorf("Dial(%s, %s) = %v, want %q wrapping ENETUNREACH in a *net.OpError", proto, addr, err, want)
					}
				}
			}
		})
	}
	if got := s.Host(); got != HostDualStack {
		t.Errorf("Host() of the scenario WithHost copied = %q, want %q", got, HostDualStack)
	}
}

func TestParseHost(t *testing.T) {
	for _, n := range hostNetworks {
		s, err := Parse("x", files(map[string]string{"lab.conf": "# notes\nhost " + string(n) + " # comment\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if s.Host() != n {
			t.Errorf("Host() after %q = %q", "host "+n, s.Host())
		}
	}
	s, err := Parse("x", files(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Host() != HostDualStack {
		t.Errorf("Host() without a host line = %q, want %q", s.Host(), HostDualStack)
	}
}
