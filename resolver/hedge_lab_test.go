package resolver_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestCheckAfterAbandonedLookup: example.com.'s servers come without glue.
// The walk looks up ns1.provider.net.'s A, asks that address, and, its
// reply held back, the hedge has it look up ns1's AAAA as well; that
// lookup's queries get no reply until the walk, answered, abandons it. The
// check of example.com.'s servers, which takes the walk's lookups, must
// still ask every server: an abandoned lookup is made again, its error (the
// walk's cancelled context) is no verdict on the zone (with the hedge's
// timing this lost the check in about 1 run of 7). The order is forced by
// the conns, not by delays.
func TestCheckAfterAbandonedLookup(t *testing.T) {
	l := startLab(t, "glueless")
	var (
		aaaaSent = make(chan struct{})
		once     sync.Once
		walked   atomic.Bool // the walk's reply from example.com. has come
		asked    sync.Map    // the addresses the walk asks at example.com.
	)
	gate := func(ctx context.Context, addr netip.AddrPort, q dns.Question) error {
		_, atZone := asked.Load(addr.Addr())
		switch {
		case walked.Load():
		case q.Name == "ns1.provider.net." && q.Qtype == dns.TypeAAAA:
			once.Do(func() { close(aaaaSent) })
			<-ctx.Done() // no reply: the walk abandons the lookup
			return ctx.Err()
		case q.Name == "www.example.com." && atZone:
			select { // the walk's query: answered once the hedge has fired
			case <-aaaaSent:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	dial := func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		if network == resolver.UnconnectedUDP {
			return nil, net.UnknownNetworkError(network) // connected sockets: one Write per query
		}
		c, err := l.Dial(ctx, network, addr)
		u, ok := c.(udpConn)
		if err != nil || !ok {
			return c, err
		}
		return &gatedConn{udpConn: u, ctx: ctx, addr: addr, gate: gate}, nil
	}
	obs := &resolver.Observer{QueryStarted: func(h trace.Hop, depth int) {
		if depth == 0 && h.Zone == "example.com." {
			asked.Store(h.Server.Addr, true) // before the query's dial
		}
	}, HopDone: func(h trace.Hop, depth int) {
		if depth == 0 && h.Zone == "example.com." && h.Purpose == trace.PurposeWalk && h.Err == nil {
			walked.Store(true)
		}
	}}
	r, err := resolver.New(resolver.Options{Dial: dial, RootHints: l.RootHints(), Timeout: 5 * time.Second,
		HedgeDelay: time.Millisecond, NoProbes: true, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Trace(context.Background(), "www.example.com.", dns.TypeA)
	if err != nil || tr.Outcome != trace.Answer {
		t.Fatalf("outcome %s (%v), want answer", tr.Outcome, err)
	}
	abandoned := false
	for _, h := range tr.Hops {
		for _, lk := range h.Lookups {
			if lk.Question.Name == "ns1.provider.net." && lk.Question.Qtype == dns.TypeAAAA && lk.Err != nil {
				abandoned = true
			}
		}
	}
	if !abandoned {
		t.Fatal("the walk's lookup of ns1.provider.net. AAAA was not abandoned: the scenario did not happen")
	}
	checked := map[netip.Addr]bool{}
	for _, h := range hopsWith(tr, func(h *trace.Hop) bool { return h.Zone == "example.com." && h.Purpose == trace.PurposeCheck }) {
		checked[h.Server.Addr] = true
	}
	if len(checked) != 2 {
		t.Errorf("the check of example.com. asked %d addresses %v, want both servers'", len(checked), checked)
	}
}

// udpConn is a connected UDP socket: dns.Conn frames no message written
// to a net.PacketConn.
type udpConn interface {
	net.Conn
	net.PacketConn
}

// A gatedConn holds each query it writes until gate allows it.
type gatedConn struct {
	udpConn
	ctx  context.Context
	addr netip.AddrPort
	gate func(ctx context.Context, addr netip.AddrPort, q dns.Question) error
}

func (c *gatedConn) Write(b []byte) (int, error) {
	var m dns.Msg
	if m.Unpack(b) == nil && len(m.Question) == 1 {
		if err := c.gate(c.ctx, c.addr, m.Question[0]); err != nil {
			return 0, err
		}
	}
	return c.udpConn.Write(b)
}
