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
// (The lab's own Dial needs none: it dials only its listeners on 127.0.0.1.)
func LoopbackOnly(dial DialFunc) DialFunc {
	return func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		if !addr.Addr().Unmap().IsLoopback() {
			return nil, errNotLoopback
		}
		return dial(ctx, network, addr)
	}
}

// errNotLoopback names no address: the hop and the walk's error already do,
// and one wording lets the walk's error group every refused server together.
var errNotLoopback = errors.New("refused: not a loopback address, and only loopback is allowed here")
