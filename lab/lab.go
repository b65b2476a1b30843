package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// Errors of Dial, wrapped in a *net.OpError.
var (
	// ErrNotServed means the lab has no server at the address asked.
	ErrNotServed = errors.New("address not served by the lab")
	// ErrClosed means the lab was closed.
	ErrClosed = errors.New("lab closed")
)

// tcpIdle bounds how long a TCP connection may sit without a query.
const tcpIdle = 30 * time.Second

var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// Lab is a started scenario: one UDP and one TCP listener on the same port
// of 127.0.0.1 for every address written for a server. It is made by Start;
// its methods are safe for concurrent use.
type Lab struct {
	s     atomic.Pointer[Scenario] // swapped by Reload
	hosts map[netip.Addr]*served
	done  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}

	// sources maps the sockets the lab replies from over UDP, on
	// loopback, to their hosts (see packetConn).
	sources map[netip.AddrPort]source
}

// served is a host's sockets and the host that answers on them, which
// Reload swaps.
type served struct {
	h     atomic.Pointer[host]
	udp   *net.UDPConn
	tcp   *net.TCPListener
	port  netip.AddrPort // on 127.0.0.1
	other *net.UDPConn   // FaultOtherAddress's: where UDP replies leave from
}

// Start opens the listeners of every address of every server of s and
// serves them until Close.
func Start(s *Scenario) (*Lab, error) {
	if s == nil {
		return nil, errors.New("lab: nil scenario")
	}
	l := &Lab{hosts: make(map[netip.Addr]*served), done: make(chan struct{}), conns: make(map[net.Conn]struct{}),
		sources: make(map[netip.AddrPort]source)}
	l.s.Store(s)
	for a, h := range s.hosts() {
		udp, tcp, err := listenPair()
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("lab: listening for %s: %w", a, err)
		}
		port := udp.LocalAddr().(*net.UDPAddr).AddrPort()
		sv := &served{udp: udp, tcp: tcp, port: port}
		sv.h.Store(h)
		l.hosts[a] = sv
		if err := l.addSources(sv); err != nil {
			l.Close()
			return nil, fmt.Errorf("lab: listening for %s: %w", a, err)
		}
	}
	for _, sv := range l.hosts {
		l.wg.Add(2)
		go l.serveUDP(sv)
		go l.serveTCP(sv)
	}
	return l, nil
}

// listenPair opens UDP and TCP on the same ephemeral port of 127.0.0.1,
// trying again when TCP finds the port taken.
func listenPair() (*net.UDPConn, *net.TCPListener, error) {
	var err error
	for range 20 {
		var udp *net.UDPConn
		udp, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
		if err != nil {
			return nil, nil, err
		}
		port := udp.LocalAddr().(*net.UDPAddr).AddrPort()
		var tcp *net.TCPListener
		tcp, err = net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(port))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
	}
	return nil, nil, err
}

// Scenario is the scenario the lab serves.
func (l *Lab) Scenario() *Scenario { return l.s.Load() }

// Reload serves s from now on, in place of the scenario served, on the
// same listeners: as an operator reloads a server after editing a zone,
// or moves a zone to other servers. Each query is answered wholly by the
// old scenario or wholly by s. Every address s serves must be one the lab
// already listens on (a lab cannot open listeners while walks dial it);
// an address the lab serves and s does not goes silent, as a server taken
// out of service. On error the lab goes on serving what it served.
func (l *Lab) Reload(s *Scenario) error {
	if s == nil {
		return errors.New("lab: reload: nil scenario")
	}
	hosts := s.hosts()
	for a, h := range hosts {
		sv, ok := l.hosts[a]
		if !ok {
			return fmt.Errorf("lab: reload: %s is not an address the running lab serves", a)
		}
		if h.from.IsValid() && sv.other == nil {
			return fmt.Errorf("lab: reload: %s gains the fault %s, whose socket a running lab cannot open", a, FaultOtherAddress)
		}
	}
	for a, sv := range l.hosts {
		h := hosts[a]
		if h == nil {
			h = &host{addr: a, faults: map[FaultKind]bool{FaultDown: true}}
		}
		sv.h.Store(h)
	}
	l.s.Store(s)
	return nil
}

// SetZone serves the zone file name (as the scenario's files are named:
// "example.com.zone") with content data from now on, added or in place of
// the file of that name, through Reload. The rest of the scenario stays.
func (l *Lab) SetZone(name string, data []byte) error {
	s, err := l.Scenario().WithFile(name, data)
	if err != nil {
		return err
	}
	return l.Reload(s)
}

// Close stops every listener, closes open connections and waits for every
// goroutine of the lab to end. Closing twice is harmless.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	for _, sv := range l.hosts {
		if sv.udp != nil {
			sv.udp.Close()
		}
		if sv.tcp != nil {
			sv.tcp.Close()
		}
		if sv.other != nil {
			sv.other.Close()
		}
	}
	l.wg.Wait()
	return nil
}

// Listener says where a written address is served: the UDP and TCP port on
// 127.0.0.1. It is false for an address the scenario does not serve.
func (l *Lab) Listener(addr netip.Addr) (netip.AddrPort, bool) {
	sv, ok := l.hosts[addr.Unmap()]
	if !ok {
		return netip.AddrPort{}, false
	}
	return sv.port, true
}

// Dial connects to the listener of a written address (glue, hints, an A or
// AAAA record), whatever port is asked; network is "udp", "tcp" or
// "udp-unconnected" (resolver.UnconnectedUDP: see packetConn). It
// refuses at once an address of a family the scenario's host has no route
// for, as the kernel does (see HostNetwork), and, with ErrNotServed, an
// address the scenario does not serve. It never dials anything but
// 127.0.0.1, so a walk through the lab cannot send a packet off the
// machine. Its signature is that of resolver.DialFunc.
func (l *Lab) Dial(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
	if network != "udp" && network != "tcp" && network != unconnectedUDP {
		return nil, opError(network, addr, fmt.Errorf("lab: unknown network %q", network))
	}
	if !l.Scenario().Host().reaches(addr.Addr()) {
		return nil, opError(network, addr, errNoRoute) // as connect(2) fails it
	}
	sv, ok := l.hosts[addr.Addr().Unmap()]
	if !ok {
		return nil, opError(network, addr, ErrNotServed)
	}
	select {
	case <-l.done:
		return nil, opError(network, addr, ErrClosed)
	default:
	}
	if network == unconnectedUDP {
		return l.listenPacket()
	}
	var d net.Dialer
	return d.DialContext(ctx, network, netip.AddrPortFrom(loopback, sv.port.Port()).String())
}

func opError(network string, addr netip.AddrPort, err error) error {
	var a net.Addr
	if network == "tcp" {
		a = net.TCPAddrFromAddrPort(addr)
	} else {
		a = net.UDPAddrFromAddrPort(addr)
	}
	return &net.OpError{Op: "dial", Net: network, Addr: a, Err: err}
}

// RootHints are the root zone's apex NS names with their addresses, as
// root hints: sorted by name, then address, IPv4 first. They are nil when
// the scenario has no root zone.
func (l *Lab) RootHints() []trace.Server {
	s := l.Scenario()
	root := s.root()
	if root == nil {
		return nil
	}
	var names []string
	for _, rr := range root.rrset(".", dns.TypeNS) {
		names = append(names, rr.(*dns.NS).Ns)
	}
	slices.Sort(names)
	var out []trace.Server
	for _, n := range slices.Compact(names) {
		for _, a := range s.servers[n].addrs {
			out = append(out, trace.Server{Name: n, Addr: a, Source: trace.SourceHints})
		}
	}
	return out
}

func (l *Lab) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *Lab) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	c.Close()
}

func (l *Lab) serveUDP(sv *served) {
	defer l.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := sv.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt := slices.Clone(buf[:n])
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			h := sv.h.Load()
			if out := h.reply(l.done, pkt, "udp"); out != nil {
				if h.from.IsValid() {
					sv.other.WriteToUDPAddrPort(out, from)
				} else {
					sv.udp.WriteToUDPAddrPort(out, from)
				}
			}
		}()
	}
}

func (l *Lab) serveTCP(sv *served) {
	defer l.wg.Done()
	for {
		c, err := sv.tcp.AcceptTCP()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if sv.h.Load().faults[FaultNoTCP] {
			c.SetLinger(0) // a reset, as close to "connection refused" as an accepted socket gets
			c.Close()
			continue
		}
		if !l.track(c) {
			c.Close()
			return
		}
		l.wg.Add(1)
		go l.serveConn(sv, c)
	}
}

// serveConn answers the queries of one TCP connection in turn (RFC 7766).
func (l *Lab) serveConn(sv *served, c net.Conn) {
	defer l.wg.Done()
	defer l.untrack(c)
	if h := sv.h.Load(); h.faults[FaultDown] || h.faults[FaultTCPHang] {
		io.Copy(io.Discard, c) // until the client or Close gives up
		return
	}
	var hdr [2]byte
	for {
		c.SetReadDeadline(time.Now().Add(tcpIdle))
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		pkt := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(c, pkt); err != nil {
			return
		}
		out := sv.h.Load().reply(l.done, pkt, "tcp")
		if out == nil {
			continue
		}
		msg := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(out)), uint16(len(out)))
		if _, err := c.Write(append(msg, out...)); err != nil {
			return
		}
	}
}
