package resolver

import (
	"errors"
	"fmt"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// ErrNotTraced is wrapped by the error of a question whose type is not a
// lookup: a zone transfer, or a record that only lives in one message.
var ErrNotTraced = errors.New("not a type that can be traced")

// notTraced says what to use instead of tracing a type.
var notTraced = map[uint16]string{
	dns.TypeAXFR: "AXFR is a zone transfer, not a lookup: use dig AXFR %s @SERVER",
	dns.TypeIXFR: "IXFR is a zone transfer, not a lookup: use dig IXFR=SERIAL %s @SERVER",
	// RFC 6891 §6.1.1: OPT is never asked for; nstrace sends one with
	// every query already.
	dns.TypeOPT:  "OPT is EDNS's pseudo-record of a message, not a type to look up: to see a server's, use dig +qr %s @SERVER",
	dns.TypeTSIG: "TSIG signs one message, it is not a type to look up: to sign queries, use dig -k KEYFILE %s @SERVER",
	dns.TypeTKEY: "TKEY negotiates a TSIG key, it is not a type to look up: use nsupdate -g, or dig -k KEYFILE %s @SERVER",
}

// CheckQuestion reports why name and qtype cannot be traced, or nil when
// they can: a name that breaks a limit of RFC 1035 (the error wraps
// ErrBadName and says which), or a type that is not a lookup (it wraps
// ErrNotTraced and says what to use instead). Trace checks its question
// with it; a program can check a question before it builds a Resolver.
func CheckQuestion(name string, qtype uint16) error {
	if err := trace.CheckName(name); err != nil {
		return fmt.Errorf("%w: %w", ErrBadName, err)
	}
	if f, ok := notTraced[qtype]; ok {
		return notTracedError(fmt.Sprintf(f, trace.CanonicalName(name)))
	}
	return nil
}

// notTracedError is an ErrNotTraced that is its own message.
type notTracedError string

func (e notTracedError) Error() string        { return string(e) }
func (e notTracedError) Is(target error) bool { return target == ErrNotTraced }
