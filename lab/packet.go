package lab

import (
	"errors"
	"net"
	"net/netip"
)

// unconnectedUDP is resolver.UnconnectedUDP, the network of a socket that
// sees where each reply comes from.
const unconnectedUDP = "udp-unconnected"

// otherLoopback is where a server with FaultOtherAddress replies from: a
// second loopback address, as a multi-homed server replies from another
// interface's.
var otherLoopback = netip.AddrFrom4([4]byte{127, 0, 0, 2})

// listenOther opens the socket a FaultOtherAddress server replies from: on
// otherLoopback, or on another port of 127.0.0.1 where the host has no
// such address (a reply from another port is dropped as one from another
// address is).
func listenOther() (*net.UDPConn, error) {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(otherLoopback, 0)))
	if err != nil {
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	}
	return c, err
}

// source is a socket the lab replies from: a host's listener, or its
// FaultOtherAddress socket.
type source struct {
	sv    *served
	other bool
}

// addSources records sv's listener, and opens and records its
// FaultOtherAddress socket when its host has the fault.
func (l *Lab) addSources(sv *served) error {
	l.sources[sv.port] = source{sv: sv}
	if !sv.h.Load().from.IsValid() {
		return nil
	}
	var err error
	if sv.other, err = listenOther(); err != nil {
		return err
	}
	l.sources[sv.other.LocalAddr().(*net.UDPAddr).AddrPort()] = source{sv: sv, other: true}
	return nil
}

// written is the address that a reply from the socket at ap stands for,
// false for a socket that is not the lab's.
func (l *Lab) written(ap netip.AddrPort) (netip.Addr, bool) {
	src, ok := l.sources[ap]
	if !ok {
		return netip.Addr{}, false
	}
	h := src.sv.h.Load()
	if src.other {
		return h.from, true
	}
	return h.addr, true
}

// packetConn is an unconnected UDP socket on 127.0.0.1 that speaks in
// written addresses: WriteTo sends to the listener of a written address the
// lab serves, and refuses any other; ReadFrom says which written address a
// reply came from (the listener's, or FaultOtherAddress's ADDR), with the
// port that was asked. A source the lab does not know is given as it is.
type packetConn struct {
	*net.UDPConn
	l    *Lab
	port uint16 // the port of the last WriteTo
}

func (l *Lab) listenPacket() (net.Conn, error) {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		return nil, err
	}
	return &packetConn{UDPConn: c, l: l}, nil
}

func (c *packetConn) WriteTo(b []byte, to net.Addr) (int, error) {
	a, ok := to.(*net.UDPAddr)
	if !ok {
		return 0, opError("udp", netip.AddrPort{}, ErrNotServed)
	}
	addr := a.AddrPort()
	if !c.l.Scenario().Host().reaches(addr.Addr()) {
		return 0, opError("udp", addr, errNoRoute)
	}
	sv, ok := c.l.hosts[addr.Addr().Unmap()]
	if !ok {
		return 0, opError("udp", addr, ErrNotServed)
	}
	c.port = addr.Port()
	return c.UDPConn.WriteTo(b, net.UDPAddrFromAddrPort(sv.port))
}

// Write refuses, as an unconnected socket's does: there is no address.
func (c *packetConn) Write([]byte) (int, error) {
	return 0, opError("udp", netip.AddrPort{}, errors.New("lab: an unconnected socket writes with WriteTo"))
}

func (c *packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.UDPConn.ReadFromUDPAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	if a, ok := c.l.written(from); ok {
		from = netip.AddrPortFrom(a, c.port)
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}
