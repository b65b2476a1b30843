package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
)

// LoopbackOnly wraps dial so that it refuses, before any packet is sent, every
// address outside 127.0.0.0/8 and ::1 (IPv4-mapped ones included). It is the
// project's one loopback guard: tests that dial servers of their own wrap
// their dial in it, so that a bug can never send a query to the internet.
// An unconnected socket (UnconnectedUDP), which could send anywhere, is
// wrapped too: it refuses to write to any address but loopback.
// (The lab's own Dial needs none: it dials only its listeners on 127.0.0.1.)
func LoopbackOnly(dial DialFunc) DialFunc {
	return func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		if !addr.Addr().Unmap().IsLoopback() {
			return nil, errNotLoopback
		}
		c, err := dial(ctx, network, addr)
		if err != nil || network != UnconnectedUDP {
			return c, err
		}
		pc, ok := c.(PacketConn)
		if !ok {
			c.Close()
			return nil, errors.New("the dial of an unconnected socket gave no packet conn")
		}
		return loopbackConn{pc}, nil
	}
}

// loopbackConn is an unconnected socket that sends to loopback only.
type loopbackConn struct{ PacketConn }

func (c loopbackConn) WriteTo(b []byte, to net.Addr) (int, error) {
	if a, ok := to.(*net.UDPAddr); !ok || !a.AddrPort().Addr().Unmap().IsLoopback() {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: to, Err: errNotLoopback}
	}
	return c.PacketConn.WriteTo(b, to)
}

// Write refuses: an unconnected socket has no address to write to but
// WriteTo's.
func (c loopbackConn) Write([]byte) (int, error) {
	return 0, &net.OpError{Op: "write", Net: "udp", Err: errNotLoopback}
}

// errNotLoopback names no address: the hop and the walk's error already do,
// and one wording lets the walk's error group every refused server together.
var errNotLoopback = errors.New("refused: not a loopback address, and only loopback is allowed here")
