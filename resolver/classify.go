package resolver

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// Errors that make a reply unusable, wrapped by Classification.Err.
var (
	ErrLame       = errors.New("lame")
	ErrUpward     = errors.New("upward referral")
	ErrHorizontal = errors.New("referral to the same zone")
	ErrSideways   = errors.New("sideways referral")
)

// Classification is what one reply means for the walk.
type Classification struct {
	Outcome trace.Outcome
	// Referral is the delegation handed down, for Outcome trace.Referral.
	Referral *trace.Delegation
	// Answer holds the records for the question (with the CNAME chain that
	// leads to them); Authority the SOA of a negative answer.
	Answer    []dns.RR
	Authority []dns.RR
	// Additional holds, for an answer to an NS question, the addresses
	// the reply's additional section gives for the NS names inside the
	// zone: the zone's own data, which no walk asks for.
	Additional []dns.RR
	// Err says why the reply cannot be used, for trace.Lame and trace.Error;
	// Reason says the same as a value, and ReferredTo names the zone of a
	// referral that is not followed.
	Err        error
	Reason     trace.Reason
	ReferredTo string
	// AnswerSigs and AuthorityDNSSEC are the reply's DNSSEC records (see
	// trace.Hop), for a usable reply.
	AnswerSigs      []dns.RR
	AuthorityDNSSEC []dns.RR
}

// fill records c in the hop whose reply it classifies.
func (c Classification) fill(hop *trace.Hop) {
	hop.Outcome, hop.Referral, hop.Answer, hop.Authority = c.Outcome, c.Referral, c.Answer, c.Authority
	hop.Additional = c.Additional
	hop.Err, hop.Reason, hop.ReferredTo = c.Err, c.Reason, c.ReferredTo
	hop.AnswerSigs, hop.AuthorityDNSSEC = c.AnswerSigs, c.AuthorityDNSSEC
}

// lame is the classification of a reply from a server that does not serve
// the zone it was asked as an authority for.
func lame(reason trace.Reason, err error) Classification {
	return Classification{Outcome: trace.Lame, Reason: reason, Err: err}
}

// badReferral is the classification of a referral that is not followed.
func badReferral(reason trace.Reason, sentinel error, format, child string) Classification {
	c := lame(reason, fmt.Errorf(format, sentinel, child))
	c.ReferredTo = child
	return c
}

// Classify sorts the reply m, from a server asked as an authority for zone,
// to the question q. It trusts nothing in m beyond what RFC 2181 §5.4.1 lets
// a server of zone speak for: a referral must be strictly below zone and at
// or above q.Name; glue is used only within zone; answers must carry AA.
//
// The DNSSEC records of a usable reply are kept beside (see signedRecords).
func Classify(zone string, q trace.Question, m *dns.Msg) Classification {
	c := classify(zone, q, m)
	if c.Err == nil {
		c.AnswerSigs, c.AuthorityDNSSEC = signedRecords(m)
	}
	return c
}

func classify(zone string, q trace.Question, m *dns.Msg) Classification {
	zone = dns.CanonicalName(zone)
	qname := dns.CanonicalName(q.Name)
	switch m.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return Classification{Outcome: trace.Error, Err: RcodeError(m.Rcode), Reason: rcodeReason(m.Rcode)}
	}

	chain, final := answerChain(qname, q.Qtype, m.Answer)
	if len(chain) > 0 {
		if !m.Authoritative {
			return lame(trace.ReasonNotAuthoritative, fmt.Errorf("%w: answer without AA", ErrLame))
		}
		c := Classification{Outcome: trace.CNAME, Answer: chain}
		if final {
			c.Outcome = trace.Answer
			if q.Qtype == dns.TypeNS {
				c.Additional = nsAddrs(zone, chain, m.Extra)
			}
		} else {
			c.Authority = soaOf(m.Ns)
		}
		return c
	}

	// A negative answer whose SOA is for a zone above the one asked comes
	// from the parent's data: the server does not serve the zone it was
	// asked as an authority for (a lame delegation).
	for _, rr := range soaOf(m.Ns) {
		if owner := dns.CanonicalName(rr.Header().Name); owner != zone && dns.IsSubDomain(owner, zone) {
			return lame(trace.ReasonParentZone, fmt.Errorf("%w: answers from %s, not %s", ErrLame, owner, zone))
		}
	}

	if m.Rcode == dns.RcodeNameError {
		if !m.Authoritative {
			return lame(trace.ReasonNotAuthoritative, fmt.Errorf("%w: NXDOMAIN without AA", ErrLame))
		}
		return Classification{Outcome: trace.NXDomain, Authority: soaOf(m.Ns)}
	}

	soa := soaOf(m.Ns)
	if m.Authoritative && len(soa) > 0 {
		return Classification{Outcome: trace.NoData, Authority: soa}
	}
	child, ns := nsSet(m.Ns)
	if child == "" {
		if m.Authoritative {
			return Classification{Outcome: trace.NoData}
		}
		return lame(trace.ReasonNotAuthoritative, fmt.Errorf("%w: no answer, no referral and no AA", ErrLame))
	}
	switch {
	case child == zone:
		return badReferral(trace.ReasonHorizontalReferral, ErrHorizontal, "%w %s", child)
	case dns.IsSubDomain(child, zone):
		return badReferral(trace.ReasonUpwardReferral, ErrUpward, "%w to %s", child)
	case !dns.IsSubDomain(zone, child) || !dns.IsSubDomain(child, qname):
		return badReferral(trace.ReasonSidewaysReferral, ErrSideways, "%w to %s", child)
	}
	return Classification{Outcome: trace.Referral, Referral: &trace.Delegation{
		Zone: child,
		NS:   ns,
		Glue: glue(zone, ns, m.Extra),
	}}
}

// answerChain returns the records of m's answer section that answer qname:
// the CNAME chain from qname (RFC 1034 §4.3.2) and the RRset of qtype at its
// end. final is false when the chain ends in a CNAME whose target has no
// records here.
func answerChain(qname string, qtype uint16, answer []dns.RR) (chain []dns.RR, final bool) {
	name := qname
	seen := map[string]bool{}
	for !seen[name] {
		seen[name] = true
		var rrset []dns.RR
		var next string
		for _, rr := range answer {
			h := rr.Header()
			if dns.CanonicalName(h.Name) != name || h.Class != dns.ClassINET {
				continue
			}
			switch {
			case h.Rrtype == qtype || qtype == dns.TypeANY:
				rrset = append(rrset, rr)
			case h.Rrtype == dns.TypeCNAME && next == "":
				next = dns.CanonicalName(rr.(*dns.CNAME).Target)
				chain = append(chain, rr)
			}
		}
		if len(rrset) > 0 {
			return append(chain, rrset...), true
		}
		if next == "" {
			break
		}
		name = next
	}
	return chain, false
}

// nsSet returns the owner and names of the NS RRset in the authority
// section, sorted by name. With NS RRsets for several owners the deepest is
// taken; the others are ignored (they delegate nothing).
func nsSet(authority []dns.RR) (owner string, ns []trace.NS) {
	for _, rr := range authority {
		n, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		o := dns.CanonicalName(n.Hdr.Name)
		if owner == "" || dns.CountLabel(o) > dns.CountLabel(owner) {
			owner, ns = o, nil
		}
		if o == owner {
			ns = append(ns, trace.NS{Name: dns.CanonicalName(n.Ns), TTL: n.Hdr.Ttl})
		}
	}
	slices.SortFunc(ns, func(a, b trace.NS) int { return strings.Compare(a.Name, b.Name) })
	ns = slices.CompactFunc(ns, func(a, b trace.NS) bool { return a.Name == b.Name })
	return owner, ns
}

// glue sorts the additional section's addresses for the NS names of a
// referral from zone to child. An address is used when its owner is one of
// the NS names and lies within zone, the bailiwick of the server that sent it
// (in-domain glue under child, or sibling glue elsewhere in zone, as BIND and
// Unbound accept). Every other address is kept, marked with why it was ignored.
func glue(zone string, ns []trace.NS, extra []dns.RR) []trace.Glue {
	var out []trace.Glue
	for _, rr := range extra {
		a := trace.AddrOf(rr)
		if !a.IsValid() {
			continue
		}
		name := dns.CanonicalName(rr.Header().Name)
		g := trace.Glue{Name: name, Addr: a, TTL: rr.Header().Ttl}
		switch {
		case !slices.ContainsFunc(ns, func(n trace.NS) bool { return n.Name == name }):
			g.Ignored = trace.ReasonNotNameserver
		case !dns.IsSubDomain(zone, name):
			g.Ignored = trace.ReasonOutOfBailiwick
		}
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b trace.Glue) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if a.Addr.Is4() != b.Addr.Is4() {
			if a.Addr.Is4() {
				return -1
			}
			return 1
		}
		return a.Addr.Compare(b.Addr)
	})
	return slices.CompactFunc(out, func(a, b trace.Glue) bool { return a.Name == b.Name && a.Addr == b.Addr })
}

func soaOf(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeSOA {
			out = append(out, rr)
		}
	}
	return out
}

// rcodeReason gives the reason of a reply whose RCODE is neither NOERROR
// nor NXDOMAIN.
func rcodeReason(rcode int) trace.Reason {
	switch rcode {
	case dns.RcodeRefused:
		return trace.ReasonRefused
	case dns.RcodeServerFailure:
		return trace.ReasonServfail
	}
	return trace.ReasonRcode
}

// RcodeError is the error of a reply whose RCODE is neither NOERROR nor
// NXDOMAIN, e.g. REFUSED or SERVFAIL. It prints as the RCODE's name.
type RcodeError int

func (e RcodeError) Error() string {
	if e == dns.RcodeBadVers {
		return "BADVERS" // 16 in a reply with EDNS (RFC 6891); nstrace sends no TSIG, whose BADSIG it also is
	}
	if s, ok := dns.RcodeToString[int(e)]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", int(e))
}

// nsAddrs gives the address records of extra whose owner is one of the NS
// targets of answer and lies inside zone, the data the server speaks for.
func nsAddrs(zone string, answer, extra []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range extra {
		name := dns.CanonicalName(rr.Header().Name)
		if !trace.AddrOf(rr).IsValid() || !dns.IsSubDomain(zone, name) {
			continue
		}
		if slices.ContainsFunc(answer, func(a dns.RR) bool {
			ns, ok := a.(*dns.NS)
			return ok && dns.CanonicalName(ns.Ns) == name
		}) {
			out = append(out, rr)
		}
	}
	return out
}
