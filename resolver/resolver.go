// Package resolver walks the DNS iteratively, from the root hints through each
// referral to the authoritative answer, and records every query in a
// trace.Trace. It never prints and never asks the system resolver: nameserver
// names that come without glue are resolved by the same walk, from the root.
package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/trace"
)

// DialFunc opens a connection to the DNS server at addr; network is "udp",
// "tcp" or UnconnectedUDP. It is the seam where tests and the lab map the
// addresses written in zones to loopback listeners.
type DialFunc func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error)

// UnconnectedUDP is the network a DialFunc is asked for when a protocol
// probe must see where a reply comes from (reply-from-other-address): a
// connected UDP socket takes datagrams from the address it is connected to
// only, so a reply from any other is never seen. The conn must also be a
// net.PacketConn (PacketConn), not connected: the query is sent with
// WriteTo(addr) and replies read with ReadFrom, which says where each came
// from. A DialFunc that cannot make one returns an error; the query then
// goes over "udp", blind to other addresses.
const UnconnectedUDP = "udp-unconnected"

// PacketConn is what a DialFunc returns for UnconnectedUDP; *net.UDPConn
// is one.
type PacketConn interface {
	net.Conn
	net.PacketConn
}

// NetDial is the DialFunc of a Resolver whose Options.Dial is nil: a
// net.Dialer, and for UnconnectedUDP a socket from net.ListenUDP on any
// local address of addr's family. It dials any address.
func NetDial(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
	if network == UnconnectedUDP {
		udp := "udp4"
		if !addr.Addr().Unmap().Is4() {
			udp = "udp6"
		}
		return net.ListenUDP(udp, nil)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr.String())
}

// Defaults used where Options leaves a field zero.
const (
	DefaultPort       = 53
	DefaultTimeout    = 2 * time.Second
	DefaultUDPSize    = 1232 // the EDNS0 buffer size of DNS Flag Day 2020
	DefaultMaxQueries = 200
	// DefaultMaxQueriesAll is the query budget with Options.All, which asks
	// every server of every zone up to three questions.
	DefaultMaxQueriesAll = 1000
	DefaultMaxDepth      = 30
	DefaultMaxNesting    = 4
	DefaultMaxNS         = 20
	DefaultMaxCNAME      = 16
	DefaultMaxAddrs      = 8
	DefaultTries         = 2
	DefaultHedgeDelay    = 250 * time.Millisecond
	DefaultDeadline      = 30 * time.Second
	// MinHedgeDelay is the least an adaptive hedge delay comes down to.
	MinHedgeDelay = 50 * time.Millisecond
)

// Options configures a Resolver. Zero values mean the documented defaults.
type Options struct {
	// Dial opens connections; nil means NetDial, to any address.
	Dial DialFunc
	// RootHints are the servers the walk starts from; nil means the
	// embedded IANA named.root (see RootHints).
	RootHints []trace.Server
	// Port is the port queried on every server; 0 means 53.
	Port uint16
	// Timeout bounds each query (UDP and a TCP retry each get their own);
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// UDPSize is the EDNS0 buffer size advertised; 0 means DefaultUDPSize.
	UDPSize uint16
	// MaxQueries bounds the queries of one Trace, nested lookups included;
	// the protocol probes have a budget of their own, half of it.
	MaxQueries int
	// MaxDepth bounds the referrals followed in one walk.
	MaxDepth int
	// MaxNesting bounds how deep lookups of glueless NS names may nest.
	MaxNesting int
	// MaxNS bounds the NS names considered per referral.
	MaxNS int
	// MaxCNAME bounds the CNAMEs followed in one walk; 0 means DefaultMaxCNAME.
	MaxCNAME int
	// MaxAddrs bounds the addresses tried per nameserver name.
	MaxAddrs int
	// Tries is how often one address is asked before it counts as
	// unreachable; only timeouts are tried again. 0 means DefaultTries.
	Tries int
	// HedgeDelay is how long a query may go unanswered before the next
	// server of the same zone is asked in parallel; the first usable reply
	// wins. 0 means DefaultHedgeDelay, adapted down to three times the
	// slowest reply seen so far in the trace (never below MinHedgeDelay); a
	// negative value asks one server at a time.
	HedgeDelay time.Duration
	// Deadline bounds a whole Trace; 0 means DefaultDeadline.
	Deadline time.Duration
	// Family restricts the addresses queried: 4 or 6; 0 means both.
	Family int
	// NoChildNS turns off the check that asks a server of each zone reached
	// through a referral for the zone's own NS RRset (and the servers
	// checked, for it).
	NoChildNS bool
	// PathOnly asks only the servers the walk needs, as dig +trace does;
	// by default every server of each zone below the TLD is checked beside
	// the walk (see servers.go). With All, it keeps the lookups of
	// nameserver addresses to their path.
	PathOnly bool
	// Prime, when valid, is a server (typically a recursive resolver) asked
	// first for the root NS set, with RD=1, as dig +trace @server does; the
	// walk then starts from the roots it names instead of RootHints.
	Prime netip.AddrPort
	// NoFollow stops a walk at the first CNAME instead of following it.
	NoFollow bool
	// Observer, when set, is told of the walk as it happens.
	Observer *Observer
	// All asks every address of every nameserver at every zone, in
	// parallel, instead of the first that answers (see zoneQuery.all); at the zones
	// reached through referrals it also asks each for the zone's SOA.
	All bool
	// Parallel bounds the queries sent at once to one zone's servers with
	// All; 0 means DefaultParallel.
	Parallel int
	// Delegate holds proposed delegations, each put in place of what the
	// parent zone says for its Zone (see simulate): the walk goes on, for
	// real, from the servers it names. Names must be fully qualified.
	Delegate []*trace.Delegation
	// NoProbes turns the protocol probes of each server checked off (see
	// probe.go); NoAXFRCheck leaves the zone transfer out of them: no AXFR
	// is sent.
	NoProbes, NoAXFRCheck bool
	// Cache, when set, is shared by the traces of this Resolver: what one
	// learned, another reuses while its TTL lasts (see Cache).
	Cache *Cache
	// TrustAnchors are the DS or DNSKEY records (dnssec.ReadAnchors) the
	// walk validates from: every query sets DO, and each zone of the walk
	// gets its DNSSEC status (trace.Trace.DNSSEC). nil means the root's
	// (dnssec.RootAnchors) when RootHints is nil, the real root, and no
	// validation otherwise: a lab carries its own anchor.
	TrustAnchors []dns.RR
	// NoDNSSEC turns DNSSEC off: no DO bit, no validation.
	NoDNSSEC bool
	// QMin, when not 0, makes every walk minimise the names it asks (RFC
	// 9156): at each zone it asks for one more label than it knows, with
	// this QTYPE (dns.TypeA, as Unbound does, or dns.TypeNS), and the full
	// name at the last label; see minimiser. 0 asks every server the full
	// name, as dig +trace does.
	QMin uint16
}

// Observer receives a walk's progress as it happens, for live output. Each
// field may be nil. Calls come from the walk's goroutines, possibly several
// at once; they must return quickly. Hops are passed as copies, complete at
// the time of the call. depth is 0 for the walk itself and n for a lookup
// of a nameserver's address nested n deep.
type Observer struct {
	// QueryStarted is called as a query is sent: the hop has its zone,
	// server, question and start time, but no reply yet.
	QueryStarted func(h trace.Hop, depth int)
	// HopDone is called when the query has its reply, or has failed.
	HopDone func(h trace.Hop, depth int)
	// LookupStarted is called as a nested lookup of a nameserver's address
	// begins, and LookupDone as it ends.
	LookupStarted func(q trace.Question, depth int)
	LookupDone    func(l *trace.Trace, depth int)
	// CheckStarted and CheckDone are called, instead of QueryStarted and
	// HopDone, for the queries of the server checks (Options.PathOnly
	// unset), which run beside the walk and may outlast it, and of the
	// lookups they make; those lookups are not reported as lookups.
	CheckStarted func(h trace.Hop)
	CheckDone    func(h trace.Hop)
}

// Sentinel errors, wrapped by the errors a Trace returns.
var (
	ErrMaxQueries = errors.New("query budget exhausted")
	ErrMaxDepth   = errors.New("too many referrals")
	ErrLoop       = errors.New("delegation loop")
	ErrNoServers  = errors.New("no usable servers")
)

// Resolver walks the DNS. It does not change after New and is safe for
// concurrent use; each Trace keeps its own state.
type Resolver struct {
	opts Options
}

// New checks opts and returns a Resolver.
func New(opts Options) (*Resolver, error) {
	if opts.Dial == nil {
		opts.Dial = NetDial
	}
	if opts.RootHints == nil {
		opts.RootHints = RootHints()
		if opts.TrustAnchors == nil {
			opts.TrustAnchors = dnssec.RootAnchors()
		}
	}
	if opts.NoDNSSEC {
		opts.TrustAnchors = nil
	}
	if len(opts.RootHints) == 0 {
		return nil, fmt.Errorf("root hints: %w", ErrNoServers)
	}
	maxQueries := DefaultMaxQueries
	if opts.All {
		maxQueries = DefaultMaxQueriesAll
	}
	orDefault(&opts.Port, DefaultPort)
	orDefault(&opts.Timeout, DefaultTimeout)
	orDefault(&opts.UDPSize, DefaultUDPSize)
	orDefault(&opts.MaxQueries, maxQueries)
	orDefault(&opts.MaxDepth, DefaultMaxDepth)
	orDefault(&opts.MaxNesting, DefaultMaxNesting)
	orDefault(&opts.MaxNS, DefaultMaxNS)
	orDefault(&opts.MaxCNAME, DefaultMaxCNAME)
	orDefault(&opts.MaxAddrs, DefaultMaxAddrs)
	orDefault(&opts.Parallel, DefaultParallel)
	orDefault(&opts.Tries, DefaultTries)
	orDefault(&opts.Deadline, DefaultDeadline)
	switch opts.Family {
	case 0, 4, 6:
	default:
		return nil, fmt.Errorf("address family %d: want 4, 6 or 0 for both", opts.Family)
	}
	if opts.Observer == nil {
		opts.Observer = &Observer{}
	}
	return &Resolver{opts: opts}, nil
}

// orDefault sets *v to d when it is zero or negative: Options' zero values
// mean the documented defaults.
func orDefault[T int | uint16 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
