package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// query is what the arguments ask: the question, and the server to prime
// the walk from when one was named with @SERVER.
type query struct {
	trace.Question
	server netip.AddrPort // invalid when no @SERVER was given
}

// digFlags are the flags that ask what dig's do.
type digFlags struct {
	qname   string // -q NAME
	qtype   string // -t TYPE
	qclass  string // -c CLASS
	reverse string // -x ADDR
}

// errNoName is the usage error of a command line that names nothing to trace.
var errNoName = errors.New("no name to trace; usage: nstrace [flags] [@SERVER] NAME [TYPE]")

// parseArgs reads the positional arguments as dig does: a NAME, a TYPE, a
// CLASS and an @SERVER, in any order. A word is the type if no type was
// given yet and it is one (A, mx, TYPE65280…), else the class if no class
// was given yet and it is one (IN, CH, CLASS3…), else the name; so, as in
// dig, "nstrace mx example.com" and "nstrace example.com mx" are the same,
// and a name that is also a type or class is written with its final dot
// ("in.") or given with -q. "+trace" is accepted and ignored, since nstrace
// always traces. Only class IN can be traced; @SERVER is an IP address,
// optionally with "#PORT", never a name, which would have to be looked up
// through the system's resolver.
func parseArgs(args []string, f digFlags, port uint16) (query, error) {
	s := &argState{q: query{Question: trace.Question{Qclass: dns.ClassINET}}}
	if err := s.flags(f); err != nil {
		return s.q, err
	}
	for _, a := range args {
		if err := s.word(a, port); err != nil {
			return s.q, err
		}
	}
	if s.name == "" {
		return s.q, errNoName
	}
	var err error
	if s.q.Name, err = trace.ParseName(s.name); err != nil {
		return s.q, err
	}
	if !s.typeSet {
		s.q.Qtype = dns.TypeA
	}
	return s.q, resolver.CheckQuestion(s.q.Name, s.q.Qtype)
}

// argState is what parseArgs has read so far.
type argState struct {
	q                 query
	name              string // as typed
	typeSet, classSet bool
}

// flags reads dig's flags, which come before the words.
func (s *argState) flags(f digFlags) error {
	if f.qtype != "" {
		t, err := parseType(f.qtype)
		if err != nil {
			return err
		}
		s.q.Qtype, s.typeSet = t, true
	}
	if f.qclass != "" {
		if err := checkClass(f.qclass); err != nil {
			return err
		}
		s.classSet = true
	}
	if f.reverse != "" {
		a, err := netip.ParseAddr(f.reverse)
		if err != nil {
			return fmt.Errorf("-x %s: not an IP address", f.reverse)
		}
		s.name = reverseName(a)
		if !s.typeSet {
			s.q.Qtype, s.typeSet = dns.TypePTR, true
		}
	}
	if f.qname != "" {
		if s.name != "" {
			return fmt.Errorf("-q %s and -x %s both name what to trace; give one", f.qname, f.reverse)
		}
		s.name = f.qname
	}
	return nil
}

// word reads one positional argument.
func (s *argState) word(a string, port uint16) error {
	switch {
	case strings.HasPrefix(a, "@"):
		if s.q.server.IsValid() {
			return fmt.Errorf("more than one @SERVER: %s", a)
		}
		srv, err := parseServer(a[1:], port)
		s.q.server = srv
		return err
	case strings.HasPrefix(a, "+"):
		if opt := strings.ToLower(a); opt != "+trace" {
			return fmt.Errorf("dig option %s is not supported; nstrace always traces (+trace)", a)
		}
	case !s.typeSet && isType(a):
		t, err := parseType(a)
		s.q.Qtype, s.typeSet = t, true
		return err
	case s.name != "" && s.typeSet && isType(a):
		// After the name, a second type is a second type, not a name.
		return fmt.Errorf("two types given: %s and %s", trace.TypeString(s.q.Qtype), strings.ToUpper(a))
	case !s.classSet && isClass(a):
		s.classSet = true
		return checkClass(a)
	case s.name != "" && !strings.Contains(a, "."):
		// After the name, a single label is most likely a mistyped type.
		return fmt.Errorf("unknown record type %q", a)
	case s.name != "":
		return fmt.Errorf("more than one name to trace: %q and %q", s.name, a)
	default:
		s.name = a
	}
	return nil
}

// parseType accepts a type mnemonic, in any case, or TYPEnnn (RFC 3597).
func parseType(s string) (uint16, error) { return trace.ParseType(s) }

// isType reports whether s reads as a type, so that a word such as
// "TYPE99999" is a bad type rather than a name.
func isType(s string) bool {
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok && t != dns.TypeNone {
		return true
	}
	n, ok := strings.CutPrefix(u, "TYPE")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// classNames are the class names dig knows that miekg/dns does not.
var classNames = map[string]string{"CHAOS": "CH", "HESIOD": "HS"}

// isClass reports whether s reads as a class: a mnemonic or CLASSnnn.
func isClass(s string) bool {
	u := strings.ToUpper(s)
	if _, ok := dns.StringToClass[u]; ok || classNames[u] != "" {
		return true
	}
	n, ok := strings.CutPrefix(u, "CLASS")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// checkClass accepts IN (or CLASS1) and explains any other class.
func checkClass(s string) error {
	u := strings.ToUpper(s)
	if u == "IN" || u == "CLASS1" {
		return nil
	}
	if !isClass(s) {
		return fmt.Errorf("unknown class %q", s)
	}
	if c, ok := classNames[u]; ok {
		u = c
	}
	return fmt.Errorf("class %s is not supported: nstrace traces class IN only", u)
}

// parseServer reads the address of @SERVER, "192.0.2.1", "2001:db8::1" or
// either with "#PORT" as BIND writes it; port is used when none is given.
func parseServer(s string, port uint16) (netip.AddrPort, error) {
	host, p, hasPort := strings.Cut(s, "#")
	if hasPort {
		var err error
		if port, err = parsePort(p); err != nil {
			return netip.AddrPort{}, fmt.Errorf("@%s: %w", s, err)
		}
	}
	if ap, err := netip.ParseAddrPort(host); err == nil && !hasPort {
		return ap, nil // [2001:db8::1]:53 or 192.0.2.1:53
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		if _, ok := dns.IsDomainName(host); ok && host != "" {
			return netip.AddrPort{}, fmt.Errorf("@%s: give the server as an IP address; nstrace does not look up server names through the system's resolver", s)
		}
		return netip.AddrPort{}, fmt.Errorf("@%s: not an IP address", s)
	}
	return netip.AddrPortFrom(a.Unmap(), port), nil
}

// reverseName is the PTR name of a, as dig -x gives it (RFC 1035 §3.5,
// RFC 3596 §2.5).
func reverseName(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", b[3], b[2], b[1], b[0])
	}
	b := a.As16()
	var s strings.Builder
	const hex = "0123456789abcdef"
	for i := len(b) - 1; i >= 0; i-- {
		s.WriteByte(hex[b[i]&0xf])
		s.WriteByte('.')
		s.WriteByte(hex[b[i]>>4])
		s.WriteByte('.')
	}
	return s.String() + "ip6.arpa."
}
