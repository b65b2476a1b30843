package resolver

import (
	"cmp"
	"context"
	"errors"
	"net/netip"
	"sync"
	"syscall"

	"github.com/nstrace/nstrace/trace"
)

// This host's routes. An address family this host has no route for is a
// failure of this host, never of the servers whose addresses are of that
// family: the kernel refuses to send before any packet leaves. The walk
// finds this out once per family, before the first query of the family is
// sent, says so on one query's hop (trace.ReasonNoRoute), and asks no other
// address of the family for the rest of the run: of the trace, or of every
// trace sharing a Cache. Queries of traces running together wait for the
// probe under way, and only one of them says so: were it said by each one
// that came before the probe ended, a list would say it as many times as
// it has names running at once.

// routes is what a run knows of this host's routes, per address family.
// The zero value knows nothing yet.
type routes struct {
	mu     sync.Mutex
	probes [2]chan struct{} // closed once the family's probe has ended; nil before it starts
	down   [2]error         // the error that showed a family unusable; nil while it works
	said   [2]bool          // whether a hop says that the family is down
}

// probeDone is the probe of a family found out by a query's own error.
var probeDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// family is the index of a's address family in routes: 0 for IPv4
// (IPv4-mapped IPv6 included), 1 for IPv6.
func family(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 0
	}
	return 1
}

// familyName names a's address family, as people write it.
func familyName(a netip.Addr) string {
	if family(a) == 0 {
		return "IPv4"
	}
	return "IPv6"
}

// downErr gives the error that showed a's family unusable from this host,
// or nil.
func (rs *routes) downErr(a netip.Addr) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.down[family(a)]
}

// markDown records that err, a noRouteError, showed a's family unusable;
// the first such error is kept. sent says that err is that of a query's
// own hop, which says so then.
func (rs *routes) markDown(a netip.Addr, err error, sent bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	f := family(a)
	if rs.probes[f] == nil {
		rs.probes[f] = probeDone
	}
	if rs.down[f] == nil {
		rs.down[f] = err
	}
	rs.said[f] = rs.said[f] || sent
}

// claim reports whether a query to a, whose family is down, is the one to
// say so on its hop: the first one asking.
func (rs *routes) claim(a netip.Addr) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	f := family(a)
	first := !rs.said[f]
	rs.said[f] = true
	return first
}

// probe finds out, once per family, whether this host can send to a's
// family, by connecting a UDP socket to a: connect(2) on a datagram socket
// only looks up the route, and sends nothing. Only a noRouteError marks
// the family down; any other error is left to the query to meet. A probe
// of the family already under way is waited for, so that what it finds is
// known on return.
func (rs *routes) probe(ctx context.Context, dial DialFunc, a netip.AddrPort) {
	rs.mu.Lock()
	f := family(a.Addr())
	if done := rs.probes[f]; done != nil {
		rs.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
		}
		return
	}
	done := make(chan struct{})
	rs.probes[f] = done
	rs.mu.Unlock()
	defer close(done)
	c, err := dial(ctx, "udp", a)
	if err == nil {
		c.Close()
		return
	}
	if local := localError(err); local != nil {
		rs.markDown(a.Addr(), noRouteError{family: familyName(a.Addr()), errno: local}, false)
	}
}

// localErrnos are the errors connect(2) gives on a datagram socket, before
// any packet leaves, when this host cannot send to the address's family:
// no route (ENETUNREACH, or EHOSTUNREACH from an unreachable route), no
// source address of the family (EADDRNOTAVAIL), or no support for it
// (EAFNOSUPPORT).
var localErrnos = []syscall.Errno{syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.EADDRNOTAVAIL, syscall.EAFNOSUPPORT}

// localError gives the errno behind a dial's err when it is one of
// localErrnos, or nil.
func localError(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		for _, e := range localErrnos {
			if errno == e {
				return errno
			}
		}
	}
	return nil
}

// noRouteError is the error of a query this host could not send: its
// address family is unusable from here (see localErrnos).
type noRouteError struct {
	family string // "IPv4" or "IPv6"
	errno  error
}

func (e noRouteError) Error() string {
	return "this host has no " + e.family + " route: " + e.errno.Error()
}

func (e noRouteError) Unwrap() error { return e.errno }

// noRoute reports whether err says that this host could not send a query,
// or reach any server of a zone, for want of a route.
func noRoute(err error) bool {
	return errors.As(err, new(noRouteError)) || errors.As(err, new(*NoRouteError))
}

// NoRouteError is the error of a walk that could not ask any server of a
// zone because this host has no route to any of their addresses' families:
// no server of the zone is at fault. At the root, it means that this host
// is offline, or has no route of the family asked for (Options.Family).
type NoRouteError struct {
	Zone string
	// Family is "IPv4" or "IPv6" when the walk was restricted to one
	// (Options.Family); "" for both.
	Family string
	// Err is what the kernel said, e.g. syscall.ENETUNREACH.
	Err error
}

func (e *NoRouteError) Error() string {
	over := ""
	if e.Family != "" {
		over = " over " + e.Family
	}
	if e.Zone == "." {
		return "this host cannot reach any root server" + over + ": " + e.Err.Error()
	}
	return "this host cannot reach any server of " + e.Zone + over + ": " + e.Err.Error()
}

func (e *NoRouteError) Unwrap() error { return e.Err }

// skip reports whether s is not to be asked, as this host has no route to
// its family; the zone's error then says so when no server was asked. The
// first query of the run to a family found down is not skipped: its hop
// says why it was not sent (see run.send).
func (zq *zoneQuery) skip(s trace.Server) bool {
	zq.w.routes.probe(zq.ctx, zq.w.r.opts.Dial, netip.AddrPortFrom(s.Addr, zq.w.r.opts.Port))
	err := zq.w.routes.downErr(s.Addr)
	if err == nil || zq.w.routes.claim(s.Addr) {
		return false
	}
	zq.noRoute = cmp.Or(zq.noRoute, err)
	return true
}
