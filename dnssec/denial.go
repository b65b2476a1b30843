package dnssec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Denial is what a negative answer, or a wildcard answer, must prove.
type Denial int

// The denials.
const (
	// NameError: the name does not exist, and no wildcard could have
	// answered for it (NXDOMAIN; RFC 4035 §5.4, RFC 5155 §8.4).
	NameError Denial = iota
	// NoData: the name exists without the type asked, or a wildcard that
	// would answer has no such type (RFC 4035 §5.4, RFC 5155 §8.5-8.7).
	// For type DS at a delegation it proves the child unsigned (§8.6).
	NoData
	// WildcardAnswer: an answer was expanded from a wildcard, so the name
	// asked must not exist (RFC 4035 §5.3.4, RFC 5155 §8.8).
	WildcardAnswer
)

func (d Denial) String() string {
	switch d {
	case NameError:
		return "NXDOMAIN"
	case NoData:
		return "NODATA"
	case WildcardAnswer:
		return "wildcard answer"
	}
	return fmt.Sprintf("Denial(%d)", int(d))
}

// Proof is what NSEC or NSEC3 records proved.
type Proof struct {
	NSEC3 bool
	// Status is Secure for a proof that holds, Insecure when it holds only
	// through an opt-out NSEC3 (RFC 5155 §6) or NSEC3 parameters beyond
	// the validator's limit; a proof that fails is an error instead.
	Status Status
	OptOut bool
	// ClosestEncloser is the nearest existing ancestor of the name (RFC
	// 5155 §7.2.1), when the proof needed it.
	ClosestEncloser string
	// Wildcard is the wildcard a NODATA proof found without the type.
	Wildcard string
	// Records are the NSEC or NSEC3 records the proof rests on: the ones
	// whose signatures must hold.
	Records []dns.RR
}

// errNoRecords means a denial came with no NSEC or NSEC3 records.
var errNoRecords = errors.New("no NSEC or NSEC3 records")

// Deny checks that the NSEC or NSEC3 records among rrs, of zone, prove
// the denial d for qname and qtype. It checks no signatures (Answer and
// Delegation do): the records are taken as given. For WildcardAnswer,
// wildcard is the wildcard the answer came from (Verified.Wildcard). The
// error says in one line why the proof fails.
func (v *Validator) Deny(zone, qname string, qtype uint16, d Denial, wildcard string, rrs []dns.RR) (Proof, []Finding, error) {
	zone, qname = dns.CanonicalName(zone), dns.CanonicalName(qname)
	if !dns.IsSubDomain(zone, qname) {
		return Proof{}, nil, fmt.Errorf("%s is not in zone %s", qname, zone)
	}
	if d == WildcardAnswer && (len(wildcard) < 2 || !strings.HasPrefix(wildcard, "*.") || !dns.IsSubDomain(zone, wildcard)) {
		return Proof{}, nil, fmt.Errorf("%q is not a wildcard of zone %s", wildcard, zone)
	}
	if n3 := typed[*dns.NSEC3](rrs); len(n3) > 0 {
		return v.denyNSEC3(zone, qname, qtype, d, wildcard, n3)
	}
	nsecs := typed[*dns.NSEC](rrs)
	if len(nsecs) == 0 {
		return Proof{}, nil, errNoRecords
	}
	p, err := denyNSEC(zone, qname, qtype, d, wildcard, nsecs)
	return p, nil, err
}

// nsecChain is a zone's NSEC records of one reply.
type nsecChain struct {
	zone string
	rrs  []*dns.NSEC
	used *[]dns.RR // the records a match or cover found
}

func (c nsecChain) use(n *dns.NSEC) *dns.NSEC {
	if n != nil && !slices.Contains(*c.used, dns.RR(n)) {
		*c.used = append(*c.used, n)
	}
	return n
}

// match is the NSEC owned by name, or nil.
func (c nsecChain) match(name string) *dns.NSEC {
	for _, n := range c.rrs {
		if equalNames(n.Hdr.Name, name) {
			return c.use(n)
		}
	}
	return nil
}

// cover is an NSEC that proves name does not exist in the zone: name
// falls between its owner and next name, and its owner is no delegation
// or DNAME above name, whose NSEC says nothing of names below (RFC 6840
// §4.1).
func (c nsecChain) cover(name string) *dns.NSEC {
	for _, n := range c.rrs {
		if !Covers(n.Hdr.Name, n.NextDomain, name) || !dns.IsSubDomain(c.zone, n.Hdr.Name) {
			continue
		}
		if dns.IsSubDomain(n.Hdr.Name, name) && ancestorCut(n.TypeBitMap, equalNames(n.Hdr.Name, c.zone)) {
			continue
		}
		return c.use(n)
	}
	return nil
}

// ancestorCut reports whether an NSEC or NSEC3 bitmap marks a delegation
// (NS without SOA) or a DNAME, below which it proves nothing.
func ancestorCut(bitmap []uint16, apex bool) bool {
	return (slices.Contains(bitmap, dns.TypeNS) && !apex && !slices.Contains(bitmap, dns.TypeSOA)) ||
		slices.Contains(bitmap, dns.TypeDNAME)
}

// closestEncloser is the nearest ancestor of name that the covering NSEC
// n shows to exist: the longer of the names name shares with n's owner
// and with its next name (RFC 4592 §3.3.1).
func closestEncloser(zone, name string, n *dns.NSEC) string {
	ce := commonAncestor(name, n.Hdr.Name)
	if other := commonAncestor(name, n.NextDomain); dns.CountLabel(other) > dns.CountLabel(ce) {
		ce = other
	}
	if !dns.IsSubDomain(zone, ce) {
		return zone
	}
	return ce
}

// commonAncestor is the longest name both a and b are at or below.
func commonAncestor(a, b string) string {
	n := dns.CompareDomainName(a, b)
	if n == 0 {
		return "."
	}
	idx := dns.Split(a)
	return dns.CanonicalName(a[idx[len(idx)-n]:])
}

// wildcardAt is the wildcard name directly below ce.
func wildcardAt(ce string) string {
	if ce == "." {
		return "*."
	}
	return "*." + ce
}

func denyNSEC(zone, qname string, qtype uint16, d Denial, wildcard string, rrs []*dns.NSEC) (p Proof, err error) {
	c := nsecChain{zone: zone, rrs: rrs, used: &p.Records}
	p.Status = Secure
	switch d {
	case NameError:
		if c.match(qname) != nil {
			return p, fmt.Errorf("an NSEC shows that %s exists", qname)
		}
		n := c.cover(qname)
		if n == nil {
			return p, fmt.Errorf("no NSEC covers %s", qname)
		}
		p.ClosestEncloser = closestEncloser(zone, qname, n)
		w := wildcardAt(p.ClosestEncloser)
		if c.cover(w) == nil {
			return p, fmt.Errorf("no NSEC proves that %s does not exist", w)
		}
		return p, nil
	case WildcardAnswer:
		n := c.cover(qname)
		if n == nil {
			return p, fmt.Errorf("no NSEC proves that %s, answered from %s, does not exist", qname, wildcard)
		}
		// The wildcard answers only below the closest encloser: a name
		// between qname and it that exists would stop it (RFC 4592 §3.3.1).
		p.ClosestEncloser = dns.CanonicalName(wildcard[2:])
		if ce := closestEncloser(zone, qname, n); !equalNames(ce, p.ClosestEncloser) {
			return p, fmt.Errorf("the NSEC covering %s shows %s exists, so %s does not answer for it", qname, ce, wildcard)
		}
		return p, nil
	}
	return p, c.noData(qname, qtype, &p)
}

// noData proves that qname has no qtype: its own NSEC, an empty
// non-terminal's, or a wildcard's (RFC 4035 §3.1.3).
func (c nsecChain) noData(qname string, qtype uint16, p *Proof) error {
	if n := c.match(qname); n != nil {
		return typeAbsent(n.TypeBitMap, qname, qtype, equalNames(qname, c.zone), "NSEC")
	}
	n := c.cover(qname)
	if n == nil {
		return fmt.Errorf("no NSEC matches or covers %s", qname)
	}
	if dns.IsSubDomain(qname, n.NextDomain) {
		return nil // qname is an empty non-terminal: a name below it follows
	}
	if qtype == dns.TypeDS {
		return fmt.Errorf("an NSEC shows that %s does not exist, so it is no delegation", qname)
	}
	p.ClosestEncloser = closestEncloser(c.zone, qname, n)
	w := wildcardAt(p.ClosestEncloser)
	wn := c.match(w)
	if wn == nil {
		return fmt.Errorf("no NSEC matches %s, or %s that would answer for it", qname, w)
	}
	p.Wildcard = w
	return typeAbsent(wn.TypeBitMap, w, qtype, false, "NSEC")
}

// typeAbsent checks a bitmap that should show name without qtype: not
// the type, nor a CNAME, and for any type but DS not the parent's side of
// a delegation; for DS, not the child's apex (RFC 6840 §4.4).
func typeAbsent(bitmap []uint16, name string, qtype uint16, apex bool, kind string) error {
	switch {
	case slices.Contains(bitmap, qtype):
		return fmt.Errorf("the %s of %s lists %s", kind, name, typeName(qtype))
	case slices.Contains(bitmap, dns.TypeCNAME) && qtype != dns.TypeCNAME:
		return fmt.Errorf("the %s of %s lists CNAME", kind, name)
	case qtype == dns.TypeDS && slices.Contains(bitmap, dns.TypeSOA) && name != ".":
		return fmt.Errorf("the %s of %s is the child zone's, which cannot deny DS", kind, name)
	case qtype != dns.TypeDS && slices.Contains(bitmap, dns.TypeNS) && !slices.Contains(bitmap, dns.TypeSOA) && !apex:
		return fmt.Errorf("the %s of %s is a delegation's, which cannot deny %s", kind, name, typeName(qtype))
	}
	return nil
}
