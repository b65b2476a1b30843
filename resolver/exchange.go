package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// ErrTimeout is wrapped by the error of a query that got no acceptable reply in time.
var ErrTimeout = errors.New("timeout")

// ErrTruncatedTCP is the error of a query whose reply was truncated over TCP too (RFC 7766).
var ErrTruncatedTCP = errors.New("reply truncated over TCP")

// reply is one exchange's result: the message and how it was had.
type reply struct {
	msg       *dns.Msg
	size      int
	rtt       time.Duration
	protocol  string
	truncated bool // the UDP reply had TC=1 and TCP was used
	noEDNS    bool // EDNS0 was rejected and the query repeated without it
	// from is where a reply came from, set only when it was another
	// address than the one asked (UnconnectedUDP).
	from netip.AddrPort
}

// newQuery builds the query the engine sends: RD as asked (0 but for the
// priming query to a server the user named), EDNS0 with the configured
// buffer size unless edns is false, with DO set unless Options.NoDNSSEC,
// a fresh random ID.
func (r *Resolver) newQuery(q trace.Question, rd, edns bool) *dns.Msg {
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.RecursionDesired = rd
	m.Question = []dns.Question{{Name: q.Name, Qtype: q.Qtype, Qclass: qclass(q)}}
	if edns {
		m.SetEdns0(r.opts.UDPSize, !r.opts.NoDNSSEC)
	}
	return m
}

func qclass(q trace.Question) uint16 {
	if q.Qclass == 0 {
		return dns.ClassINET
	}
	return q.Qclass
}

// exchange sends q to server over UDP; again without EDNS0 when the server
// rejects it (RFC 6891 §7); and over TCP when the UDP reply is truncated
// (RFC 7766). The last reply is returned with any error, so a hop can record
// what was seen; the RTT covers every exchange.
func (r *Resolver) exchange(ctx context.Context, q trace.Question, server netip.AddrPort, rd bool) (reply, error) {
	edns := true
	var spent time.Duration
	rep, err := r.exchangeOn(ctx, "udp", r.newQuery(q, rd, edns), server)
	if err == nil && rejectsEDNS(rep.msg) {
		edns, spent = false, rep.rtt
		rep, err = r.exchangeOn(ctx, "udp", r.newQuery(q, rd, edns), server)
		rep.rtt += spent
		rep.noEDNS = true
	}
	if err != nil || !rep.msg.Truncated {
		return rep, err
	}
	spent, noEDNS := rep.rtt, rep.noEDNS
	rep, err = r.exchangeOn(ctx, "tcp", r.newQuery(q, rd, edns), server)
	rep.rtt += spent
	rep.truncated, rep.noEDNS = true, noEDNS
	if err == nil && rep.msg.Truncated {
		err = ErrTruncatedTCP
	}
	return rep, err
}

// rejectsEDNS reports whether a reply to a query with EDNS0 says the server
// does not do EDNS0: FORMERR or NOTIMP without an OPT record, or BADVERS.
func rejectsEDNS(m *dns.Msg) bool {
	switch {
	case m.Rcode == dns.RcodeBadVers:
		return true
	case m.Rcode == dns.RcodeFormatError || m.Rcode == dns.RcodeNotImplemented:
		return m.IsEdns0() == nil
	}
	return false
}

// exchangeOn sends m over one transport and waits for a reply that matches it
// (RFC 5452 §9.1: ID, question name, type and class). Over UDP a reply that does
// not match, or does not parse, is dropped and the wait goes on, as a forged
// or stale datagram must not end the query; over TCP the stream is spent.
// Over UnconnectedUDP (a probe's, see probe.go), a reply that matches but
// comes from another address than server's ends the query with an
// otherAddress error and no reply: it is reported, never used.
func (r *Resolver) exchangeOn(ctx context.Context, network string, m *dns.Msg, server netip.AddrPort) (rep reply, err error) {
	rep.protocol = network
	if network == UnconnectedUDP {
		rep.protocol = "udp"
	}
	start := time.Now()
	defer func() { rep.rtt = time.Since(start) }()
	// The query's own timeout is a socket deadline; the caller's context
	// ends the wait early through AfterFunc. Keeping the two apart means a
	// timeout is reported as one only when it is this query's.
	deadline := start.Add(r.opts.Timeout)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := r.dial(dctx, network, server)
	if err != nil {
		if local := localError(err); local != nil && network != "tcp" && ended(ctx) == nil {
			// connect(2) on a datagram socket sends nothing: the failure
			// is this host's (see localErrnos).
			return rep, noRouteError{family: familyName(server.Addr()), errno: local}
		}
		return rep, r.netError(ctx, err)
	}
	defer c.Close()
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	t := newTransport(c, server, network == UnconnectedUDP)
	if err := t.write(m); err != nil {
		return rep, r.netError(ctx, err)
	}
	var ignored error
	malformed := false // the server itself sent bytes that are not DNS
	for {
		raw, from, err := t.read()
		if errors.Is(err, dns.ErrShortRead) && network != "tcp" {
			ignored, malformed = errors.New("a datagram too short to be DNS"), malformed || t.pc == nil
			continue
		}
		if err != nil {
			err = r.netError(ctx, err)
			if ignored != nil && errors.Is(err, ErrTimeout) {
				err = fmt.Errorf("%w (ignored %v)", err, ignored)
				if malformed {
					err = badReply{err} // it replied, with garbage: not silence
				}
			}
			return rep, err
		}
		got := new(dns.Msg)
		if err := got.Unpack(raw); err != nil {
			ignored, malformed = errors.New("a malformed reply"), malformed || from == t.server
		} else if err := matches(m, got); err != nil {
			ignored = err
		} else if from != t.server {
			rep.from = from
			return rep, otherAddress{from}
		} else {
			rep.msg, rep.size = got, len(raw)
			return rep, nil
		}
		if network == "tcp" {
			return rep, badReply{ignored}
		}
	}
}

// dial opens a conn of network to server: for UnconnectedUDP one that is a
// PacketConn, or, when Options.Dial cannot make one, a connected "udp" one.
func (r *Resolver) dial(ctx context.Context, network string, server netip.AddrPort) (net.Conn, error) {
	if network != UnconnectedUDP {
		return r.opts.Dial(ctx, network, server)
	}
	c, err := r.opts.Dial(ctx, network, server)
	if err == nil {
		if _, ok := c.(PacketConn); ok {
			return c, nil
		}
		c.Close()
	}
	return r.opts.Dial(ctx, "udp", server)
}

// transport reads and writes the messages of one exchange: over a
// connected socket or a stream, through dns.Conn, every message from
// the server; over an unconnected socket, with the address each came from.
type transport struct {
	co     *dns.Conn
	pc     net.PacketConn // set for an unconnected socket
	server netip.AddrPort
	buf    []byte
}

func newTransport(c net.Conn, server netip.AddrPort, unconnected bool) *transport {
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	t := &transport{co: &dns.Conn{Conn: c, UDPSize: 65535}, server: server}
	if pc, ok := c.(PacketConn); ok && unconnected && c.RemoteAddr() == nil {
		t.pc, t.buf = pc, make([]byte, 65535)
	}
	return t
}

func (t *transport) write(m *dns.Msg) error {
	if t.pc == nil {
		return t.co.WriteMsg(m)
	}
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = t.pc.WriteTo(b, net.UDPAddrFromAddrPort(t.server))
	return err
}

func (t *transport) read() ([]byte, netip.AddrPort, error) {
	if t.pc == nil {
		raw, err := t.co.ReadMsgHeader(nil)
		return raw, t.server, err
	}
	n, from, err := t.pc.ReadFrom(t.buf)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	if n < 12 { // a DNS header's size
		return nil, netip.AddrPort{}, dns.ErrShortRead
	}
	var src netip.AddrPort
	if a, ok := from.(*net.UDPAddr); ok {
		src = a.AddrPort()
	}
	return t.buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), nil
}

// matches reports why got is not the reply to query, or nil when it is.
func matches(query, got *dns.Msg) error {
	switch {
	case !got.Response:
		return errors.New("a message without the QR bit")
	case got.Id != query.Id:
		return errors.New("a reply with another ID")
	case len(got.Question) != 1:
		if got.Rcode != dns.RcodeSuccess && len(got.Question) == 0 {
			return nil // some servers drop the question from FORMERR and similar replies
		}
		return fmt.Errorf("a reply with %d questions", len(got.Question))
	}
	q, w := got.Question[0], query.Question[0]
	if !sameName(q.Name, w.Name) || q.Qtype != w.Qtype || q.Qclass != w.Qclass {
		return fmt.Errorf("a reply for another question (%s %s)", q.Name, trace.TypeString(q.Qtype))
	}
	return nil
}

// sameName reports whether two names are the same on the wire, in any
// ASCII case (RFC 4343): "www.exa\mple.com." and "www.EXAMPLE.com." are.
func sameName(a, b string) bool {
	return strings.EqualFold(a, b) || trace.CanonicalName(a) == trace.CanonicalName(b)
}

// netError turns a dial, read or write error into the error a hop records.
// A timeout is this query's own only when the caller's context has not
// ended, nor was about to: its deadline may fire a moment after the socket's.
func (r *Resolver) netError(ctx context.Context, err error) error {
	if err := ended(ctx); err != nil {
		return err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w after %s", ErrTimeout, r.opts.Timeout)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return fmt.Errorf("%w: %w", errNetwork, err)
}

// ended returns the cause of ctx's end, or nil while it goes on. A context
// whose deadline has passed counts as ended even before its timer fires.
func ended(ctx context.Context) error {
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}
