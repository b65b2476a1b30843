package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/nstrace/nstrace/trace"
)

// More sentinel errors.
var (
	ErrBadName    = errors.New("invalid domain name")
	ErrMaxNesting = errors.New("glueless lookups nested too deep")
	ErrMaxCNAME   = errors.New("CNAME chain too long")
	ErrDeadline   = errors.New("trace deadline exceeded")
	// ErrNoGlue is the error of a nameserver named inside the zone it
	// serves, for which the parent gave no glue: nothing can resolve it.
	ErrNoGlue = errors.New("no glue for a name inside the zone")
	// ErrAbandoned is the error of a query, or a lookup, that was no longer
	// awaited because another server of the zone answered first.
	ErrAbandoned = errors.New("abandoned: another server answered first")
)

// errFatal marks an error that ends the whole walk, not just one server.
type errFatal struct{ error }

func (e errFatal) Unwrap() error { return e.error }

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
	if len(e.Attempts) == 0 {
		return fmt.Sprintf("no server for %s could be asked", e.Zone)
	}
	// An address asked more than once is named once, with its last error.
	// Servers that failed alike are then named together, at most a few of
	// them, so the line stays readable when all 26 root addresses fail alike.
	type failure struct {
		server trace.Server
		err    error
		tries  int
	}
	var fails []failure
	for _, a := range e.Attempts {
		i := slices.IndexFunc(fails, func(f failure) bool { return f.server.Name == a.Server.Name && f.server.Addr == a.Server.Addr })
		if i < 0 {
			fails = append(fails, failure{server: a.Server})
			i = len(fails) - 1
		}
		fails[i].err, fails[i].tries = a.Err, fails[i].tries+1
	}
	switch len(fails) {
	case 1:
		fmt.Fprintf(&b, "the only server for %s failed: ", e.Zone)
	default:
		fmt.Fprintf(&b, "all %d servers for %s failed: ", len(fails), e.Zone)
	}
	const most = 3
	var groups [][]failure
	for _, f := range fails {
		i := slices.IndexFunc(groups, func(g []failure) bool { return g[0].err.Error() == f.err.Error() && g[0].tries == f.tries })
		if i < 0 {
			groups = append(groups, nil)
			i = len(groups) - 1
		}
		groups[i] = append(groups[i], f)
	}
	for i, g := range groups {
		if i > 0 {
			b.WriteString("; ")
		}
		for j, f := range g[:min(len(g), most)] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.server.Name)
			if f.server.Addr.IsValid() {
				fmt.Fprintf(&b, " (%s)", f.server.Addr)
			}
		}
		if len(g) > most {
			fmt.Fprintf(&b, " and %d more", len(g)-most)
		}
		fmt.Fprintf(&b, " %v", g[0].err)
		if g[0].tries > 1 {
			fmt.Fprintf(&b, " (%d tries)", g[0].tries)
		}
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

// errNetwork is wrapped by the error of an exchange that failed on the network.
var errNetwork = errors.New("network error")

// badReply is the error of a TCP exchange whose reply did not parse or did
// not match the query, and of a UDP one that timed out having got from the
// server only bytes that are not a DNS message.
type badReply struct{ error }

// otherAddress is the error of a query whose reply came from another
// address than the one asked (over UnconnectedUDP): a resolver's socket
// takes replies from the address it asked only (RFC 5452 §3), so to
// resolvers the server is silent.
type otherAddress struct{ from netip.AddrPort }

func (e otherAddress) Error() string {
	return fmt.Sprintf("the reply came from %s, another address than the one asked", e.from)
}

func (e badReply) Unwrap() error { return e.error }

// loopChain is the error, wrapped with ErrLoop, of a lookup of a
// nameserver name that its own lookup needs: the names whose lookups need
// each other, from the first to the one needed again.
type loopChain []string

func (c loopChain) Error() string { return strings.Join(c, " needs ") }

// reasonOf gives the reason of an error the walk made, for a hop or a
// whole trace. nstrace's own limits come first, wherever they are in err
// (a lookup stopped by one fails the zone that needed it): a walk they
// stopped says nothing about the zone. A reply's own reasons (RCODE, lame)
// are set by Classify, where they are known.
func reasonOf(err error) trace.Reason {
	var rc RcodeError
	switch {
	case err == nil:
		return trace.ReasonNone
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return trace.ReasonCancelled
	case errors.Is(err, ErrDeadline):
		return trace.ReasonDeadline
	case errors.Is(err, ErrMaxQueries):
		return trace.ReasonQueryLimit
	case errors.Is(err, ErrMaxDepth):
		return trace.ReasonReferralLimit
	case errors.As(err, new(*ZoneError)):
		return trace.ReasonAllServersFailed
	case errors.Is(err, ErrMaxNesting):
		return trace.ReasonNestingLimit
	case errors.Is(err, ErrMaxCNAME):
		return trace.ReasonCNAMELimit
	case errors.Is(err, ErrLoop):
		return trace.ReasonLoop
	case errors.Is(err, ErrAbandoned):
		return trace.ReasonAbandoned
	case errors.As(err, new(badReply)): // before ErrTimeout: a UDP wait that got only garbage
		return trace.ReasonBadReply
	case errors.Is(err, ErrTimeout):
		return trace.ReasonTimeout
	case noRoute(err):
		return trace.ReasonNoRoute
	case errors.Is(err, errNetwork):
		return trace.ReasonNetwork
	case errors.Is(err, ErrTruncatedTCP):
		return trace.ReasonTruncated
	case errors.As(err, new(otherAddress)):
		return trace.ReasonOtherAddress
	case errors.As(err, &rc):
		return rcodeReason(int(rc))
	case errors.Is(err, ErrNoServers):
		return trace.ReasonNoServers
	}
	return trace.ReasonNone
}

// loopsIn gives the delegation loops anywhere in err, each once, in the
// order found.
func loopsIn(err error) [][]string {
	var loops [][]string
	var find func(error)
	find = func(err error) {
		switch e := err.(type) {
		case loopChain:
			if !slices.ContainsFunc(loops, func(l []string) bool { return slices.Equal(l, e) }) {
				loops = append(loops, e)
			}
		case interface{ Unwrap() error }:
			find(e.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				find(x)
			}
		}
	}
	find(err)
	return loops
}

// markFailed records err as the hop's failure: outcome, error and reason.
// A hop that nstrace's own end cut short (Ctrl-C, the deadline, the query
// budget) is Abandoned whatever the outcome given: its server was not
// asked to the end, and its silence says nothing of it.
func markFailed(hop *trace.Hop, outcome trace.Outcome, err error) {
	hop.Outcome, hop.Err, hop.Reason = outcome, err, reasonOf(err)
	if hop.Reason.CutShort() {
		hop.Outcome = trace.Abandoned
	}
}

// abandon marks a hop, or a lookup, cut off because another server of its
// zone answered first.
func abandon(hop *trace.Hop) { markFailed(hop, trace.Abandoned, ErrAbandoned) }

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
