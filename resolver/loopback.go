package resolver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// LoopbackOnly wraps dial so that it refuses, before any packet is sent, every
// address outside 127.0.0.0/8 and ::1. Tests and the lab use it so that a bug
// can never send a query to the internet.
func LoopbackOnly(dial DialFunc) DialFunc {
	return func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		if !addr.Addr().Unmap().IsLoopback() {
			return nil, fmt.Errorf("refusing to send to %s: only loopback is allowed here", addr)
		}
		return dial(ctx, network, addr)
	}
}
