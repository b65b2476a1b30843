package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// More sentinel errors.
var (
	ErrBadName    = errors.New("invalid domain name")
	ErrMaxNesting = errors.New("glueless lookups nested too deep")
)

// Trace walks from the root hints to the authoritative answer for name and
// qtype (class IN), recording every query. It returns the trace, partial when
// the walk failed, with the error that ended it: a *ZoneError when every
// server of a zone failed, or one wrapping ErrMaxQueries, ErrMaxDepth,
// ErrLoop, or the context's error.
//
// Servers of a zone are tried one at a time in a fixed order: the nameserver
// names whose addresses are known (root hints, in-bailiwick glue, or resolved
// earlier in this trace) sorted by name, then the others sorted by name,
// each resolved only when its turn comes. A name's IPv4 addresses are tried
// before its IPv6 ones, each in numeric order.
func (r *Resolver) Trace(ctx context.Context, name string, qtype uint16) (*trace.Trace, error) {
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return nil, fmt.Errorf("%w: %q", ErrBadName, name)
	}
	w := &run{r: r, start: time.Now(), addrs: map[string][]netip.Addr{}}
	t := w.walk(ctx, trace.Question{Name: dns.CanonicalName(name), Qtype: qtype, Qclass: dns.ClassINET}, 0, nil)
	t.Number()
	return t, t.Err
}

// run is the state of one Trace, shared by its nested lookups.
type run struct {
	r       *Resolver
	start   time.Time
	queries atomic.Int64

	mu    sync.Mutex
	addrs map[string][]netip.Addr // NS names resolved so far
}

// nameserver is one NS name of a zone and the addresses known for it.
type nameserver struct {
	name  string
	addrs []trace.Server
}

// errFatal marks an error that ends the whole walk, not just one server.
type errFatal struct{ error }

func (e errFatal) Unwrap() error { return e.error }

// walk resolves q from the root. nest counts the glueless lookups this walk
// is nested in; chain holds the NS names they are resolving, outermost first.
func (w *run) walk(ctx context.Context, q trace.Question, nest int, chain []string) *trace.Trace {
	t := &trace.Trace{Question: q}
	begin := time.Now()
	defer func() {
		t.Duration = time.Since(begin)
		t.Queries = len(t.Hops)
		for _, h := range t.Hops {
			for _, l := range h.Lookups {
				t.Queries += l.Queries
			}
		}
	}()

	zone := "."
	servers := w.fromHints()
	var via *trace.Hop // the referral that named the servers, where lookups are recorded
	for referrals := 0; ; referrals++ {
		if referrals > w.r.opts.MaxDepth {
			t.Outcome, t.Err = trace.Failed, fmt.Errorf("%w: more than %d", ErrMaxDepth, w.r.opts.MaxDepth)
			return t
		}
		hop, c, err := w.askZone(ctx, t, zone, q, servers, via, nest, chain)
		if err != nil {
			var fatal errFatal
			if errors.As(err, &fatal) {
				err = fatal.error
			}
			t.Outcome, t.Err = trace.Failed, err
			return t
		}
		if c.Outcome != trace.Referral {
			t.Outcome, t.Answer, t.Authority = c.Outcome, c.Answer, c.Authority
			return t
		}
		zone, servers, via = c.Referral.Zone, w.fromReferral(c.Referral), hop
	}
}

// askZone asks the servers of zone in turn until one gives a usable reply:
// a referral or an authoritative outcome. Failed attempts stay in t.
func (w *run) askZone(ctx context.Context, t *trace.Trace, zone string, q trace.Question, servers []nameserver, via *trace.Hop, nest int, chain []string) (*trace.Hop, Classification, error) {
	var failed []Attempt
	for _, ns := range servers {
		addrs := [][]trace.Server{ns.addrs}
		if ns.addrs == nil {
			addrs = [][]trace.Server{nil, nil} // resolved in turn: A, then AAAA if need be
		}
		for i, group := range addrs {
			if group == nil {
				qtype := []uint16{dns.TypeA, dns.TypeAAAA}[i]
				lookup, resolved, err := w.resolveNS(ctx, ns.name, qtype, nest, chain)
				if lookup != nil {
					via.Lookups = append(via.Lookups, lookup)
				}
				if errors.As(err, new(errFatal)) {
					return nil, Classification{}, err
				}
				if err != nil {
					failed = append(failed, Attempt{Server: trace.Server{Name: ns.name}, Err: err})
				}
				group = resolved
			}
			for _, s := range group {
				hop, c, err := w.query(ctx, zone, q, s)
				if hop != nil {
					t.Hops = append(t.Hops, hop)
				}
				if err != nil {
					return nil, c, err
				}
				if hop.Err == nil {
					return hop, c, nil
				}
				failed = append(failed, Attempt{Server: s, Err: hop.Err})
			}
		}
	}
	return nil, Classification{}, &ZoneError{Zone: zone, Attempts: failed}
}

// query sends q to one server of zone and records the hop. The error is
// fatal to the walk (budget, cancellation); a server's failure is in hop.Err.
func (w *run) query(ctx context.Context, zone string, q trace.Question, s trace.Server) (*trace.Hop, Classification, error) {
	if err := ctx.Err(); err != nil {
		return nil, Classification{}, errFatal{err}
	}
	if n := w.queries.Add(1); n > int64(w.r.opts.MaxQueries) {
		return nil, Classification{}, errFatal{fmt.Errorf("%w: %d queries", ErrMaxQueries, w.r.opts.MaxQueries)}
	}
	hop := &trace.Hop{
		Zone:     zone,
		Server:   s,
		Port:     w.r.opts.Port,
		Question: q,
		Start:    time.Since(w.start),
		Rcode:    -1,
	}
	rep, err := w.r.exchange(ctx, q, netip.AddrPortFrom(s.Addr, w.r.opts.Port))
	hop.Protocol, hop.RTT, hop.Truncated = rep.protocol, rep.rtt, rep.truncated
	if rep.msg != nil {
		hop.Size, hop.Rcode, hop.AA, hop.TC = rep.size, rep.msg.Rcode, rep.msg.Authoritative, rep.msg.Truncated
	}
	if err != nil {
		hop.Outcome, hop.Err = trace.Error, err
		if ctx.Err() != nil {
			return hop, Classification{}, errFatal{ctx.Err()}
		}
		return hop, Classification{}, nil
	}
	c := Classify(zone, q, rep.msg)
	hop.Outcome, hop.Referral, hop.Answer, hop.Authority, hop.Err = c.Outcome, c.Referral, c.Answer, c.Authority, c.Err
	return hop, c, nil
}

// resolveNS finds the addresses of type qtype (A or AAAA) of a nameserver
// name that came without glue, by walking from the root. The walk is
// returned to be recorded, with the addresses, which are kept for the rest of
// the run. A name with no address of that type is an error, as is a loop.
func (w *run) resolveNS(ctx context.Context, name string, qtype uint16, nest int, chain []string) (*trace.Trace, []trace.Server, error) {
	key := name + " " + trace.TypeString(qtype)
	w.mu.Lock()
	cached, ok := w.addrs[key]
	w.mu.Unlock()
	if ok {
		return nil, servers(name, cached, trace.SourceCache), nil
	}
	if i := slices.Index(chain, name); i >= 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrLoop, strings.Join(append(chain[i:], name), " needs "))
	}
	if nest >= w.r.opts.MaxNesting {
		return nil, nil, fmt.Errorf("%w: more than %d", ErrMaxNesting, w.r.opts.MaxNesting)
	}
	l := w.walk(ctx, trace.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET}, nest+1, append(slices.Clip(chain), name))
	if l.Err != nil {
		if errors.Is(l.Err, ErrMaxQueries) || errors.Is(l.Err, context.Canceled) || errors.Is(l.Err, context.DeadlineExceeded) {
			return l, nil, errFatal{l.Err}
		}
		return l, nil, fmt.Errorf("%s: %w", key, l.Err)
	}
	addrs := addressesOf(l.Answer)
	if len(addrs) == 0 {
		return l, nil, fmt.Errorf("%s: %s", key, strings.ToUpper(string(l.Outcome)))
	}
	sortAddrs(addrs)
	addrs = slices.Compact(addrs)
	w.mu.Lock()
	w.addrs[key] = addrs
	w.mu.Unlock()
	return l, servers(name, addrs, trace.SourceResolved), nil
}

func (w *run) fromHints() []nameserver {
	var out []nameserver
	for _, s := range w.r.opts.RootHints {
		if n := len(out); n > 0 && out[n-1].name == s.Name {
			out[n-1].addrs = append(out[n-1].addrs, s)
			continue
		}
		out = append(out, nameserver{name: s.Name, addrs: []trace.Server{s}})
	}
	return out
}

// fromReferral lists the servers of a delegation in the documented order:
// names with known addresses first, then the others, each group by name.
func (w *run) fromReferral(d *trace.Delegation) []nameserver {
	var known, unknown []nameserver
	for i, ns := range d.NS {
		if i == w.r.opts.MaxNS {
			break
		}
		var glued []netip.Addr
		for _, g := range d.Glue {
			if g.Name == ns.Name && g.Ignored == "" {
				glued = append(glued, g.Addr)
			}
		}
		if len(glued) > 0 {
			known = append(known, nameserver{name: ns.Name, addrs: servers(ns.Name, glued, trace.SourceGlue)})
			continue
		}
		w.mu.Lock()
		_, ok := w.addrs[ns.Name+" A"]
		w.mu.Unlock()
		if ok {
			known = append(known, nameserver{name: ns.Name})
			continue
		}
		unknown = append(unknown, nameserver{name: ns.Name})
	}
	return append(known, unknown...)
}

func servers(name string, addrs []netip.Addr, src trace.Source) []trace.Server {
	out := make([]trace.Server, len(addrs))
	for i, a := range addrs {
		out[i] = trace.Server{Name: name, Addr: a, Source: src}
	}
	return out
}

func addressesOf(rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		var a netip.Addr
		switch rr := rr.(type) {
		case *dns.A:
			a, _ = netip.AddrFromSlice(rr.A.To4())
		case *dns.AAAA:
			a, _ = netip.AddrFromSlice(rr.AAAA.To16())
		}
		if a.IsValid() {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// Attempt is one server's failure, for a ZoneError. Server.Addr is invalid
// when the server's name could not be resolved to any address.
type Attempt struct {
	Server trace.Server
	Err    error
}

// ZoneError is the error of a walk in which no server of a zone gave a
// usable reply. It lists every attempt in the order made.
type ZoneError struct {
	Zone     string
	Attempts []Attempt
}

func (e *ZoneError) Error() string {
	var b strings.Builder
	switch len(e.Attempts) {
	case 0:
		fmt.Fprintf(&b, "no server for %s could be asked", e.Zone)
		return b.String()
	case 1:
		fmt.Fprintf(&b, "the only server for %s failed: ", e.Zone)
	default:
		fmt.Fprintf(&b, "all %d servers for %s failed: ", len(e.Attempts), e.Zone)
	}
	// Servers that failed alike are named together, at most a few of them,
	// so the line stays readable when all 26 root addresses fail the same way.
	const most = 3
	var groups [][]Attempt
	for _, a := range e.Attempts {
		i := slices.IndexFunc(groups, func(g []Attempt) bool { return g[0].Err.Error() == a.Err.Error() })
		if i < 0 {
			groups = append(groups, nil)
			i = len(groups) - 1
		}
		groups[i] = append(groups[i], a)
	}
	for i, g := range groups {
		if i > 0 {
			b.WriteString("; ")
		}
		for j, a := range g[:min(len(g), most)] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.Server.Name)
			if a.Server.Addr.IsValid() {
				fmt.Fprintf(&b, " (%s)", a.Server.Addr)
			}
		}
		if len(g) > most {
			fmt.Fprintf(&b, " and %d more", len(g)-most)
		}
		fmt.Fprintf(&b, " %v", g[0].Err)
	}
	return b.String()
}

// Unwrap gives ErrNoServers and each attempt's error, so errors.Is finds
// for example ErrLoop behind a zone that failed for want of addresses.
func (e *ZoneError) Unwrap() []error {
	errs := []error{ErrNoServers}
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}
