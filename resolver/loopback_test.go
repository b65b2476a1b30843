package resolver_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/nstrace/nstrace/resolver"
)

// TestLoopbackOnlyAddresses checks which destinations the guard lets
// through to the dial it wraps: 127.0.0.0/8 and ::1, mapped or not, and
// nothing else, not even the unspecified addresses that a kernel would
// take for this host.
func TestLoopbackOnlyAddresses(t *testing.T) {
	var dialled []string
	dial := resolver.LoopbackOnly(func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		dialled = append(dialled, addr.String())
		return nil, errors.New("stub")
	})
	tests := []struct {
		addr string
		pass bool
	}{
		{"192.0.2.1:53", false},
		{"[2001:db8::1]:53", false},
		{"[::ffff:192.0.2.1]:53", false},
		{"0.0.0.0:53", false},
		{"[::]:53", false},
		{"127.0.0.1:53", true},
		{"127.9.9.9:53", true},
		{"[::ffff:127.0.0.2]:53", true},
		{"[::1]:53", true},
	}
	var want []string
	for _, tt := range tests {
		_, err := dial(context.Background(), "udp", netip.MustParseAddrPort(tt.addr))
		if tt.pass {
			want = append(want, tt.addr)
			if err == nil || err.Error() != "stub" {
				t.Errorf("LoopbackOnly(%s) error = %v, want the inner dial's", tt.addr, err)
			}
		} else if err == nil || err.Error() == "stub" {
			t.Errorf("LoopbackOnly(%s) error = %v, want a refusal", tt.addr, err)
		}
	}
	if !slices.Equal(dialled, want) {
		t.Errorf("dialled %q, want %q", dialled, want)
	}
}

// TestLoopbackOnlyUnconnected: an unconnected socket, which could send
// anywhere, is guarded too: it writes to loopback, and refuses, sending
// nothing, any other address.
func TestLoopbackOnlyUnconnected(t *testing.T) {
	dial := resolver.LoopbackOnly(resolver.NetDial)
	c, err := dial(context.Background(), resolver.UnconnectedUDP, netip.MustParseAddrPort("127.0.0.1:53"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc, ok := c.(resolver.PacketConn)
	if !ok {
		t.Fatalf("LoopbackOnly(NetDial)(%s) = %T, want a PacketConn", resolver.UnconnectedUDP, c)
	}
	sink, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	if _, err := pc.WriteTo([]byte("loopback"), sink.LocalAddr()); err != nil {
		t.Errorf("WriteTo(%s) = %v, want it sent", sink.LocalAddr(), err)
	}
	for _, to := range []string{"192.0.2.1:53", "[2001:db8::1]:53", "[::ffff:192.0.2.1]:53", "0.0.0.0:53"} {
		if _, err := pc.WriteTo([]byte("x"), net.UDPAddrFromAddrPort(netip.MustParseAddrPort(to))); err == nil {
			t.Errorf("WriteTo(%s) sent, want a refusal", to)
		}
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("Write on an unconnected socket sent, want a refusal")
	}
}
