package dnssec

import (
	"encoding/base32"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// nsec3Chain is a zone's NSEC3 records of one reply that share the
// parameters of the first usable one, with the hashes computed so far.
type nsec3Chain struct {
	zone   string
	rrs    []*dns.NSEC3
	owners []string // each record's owner hash, upper case
	nexts  []string // each record's next hash, upper case
	iter   uint16
	salt   string
	hashes map[string]string
	used   []dns.RR // the records a match or cover found
}

func (c *nsec3Chain) use(n *dns.NSEC3) *dns.NSEC3 {
	if n != nil && !slices.Contains(c.used, dns.RR(n)) {
		c.used = append(c.used, n)
	}
	return n
}

// b32 is base32hex without padding, the NSEC3 hash encoding (RFC 5155 §3.3).
var b32 = base32.HexEncoding.WithPadding(base32.NoPadding)

// newNSEC3Chain keeps the records a validator may use (RFC 5155 §8.2):
// hash algorithm SHA-1, flags 0 or opt-out, owners one hash label below
// the zone, next hashes that decode, and the parameters of the first.
func newNSEC3Chain(zone string, rrs []*dns.NSEC3) (*nsec3Chain, error) {
	c := &nsec3Chain{zone: zone, hashes: map[string]string{}}
	for _, n := range rrs {
		if n.Hash != dns.SHA1 || n.Flags > 1 {
			continue
		}
		idx := dns.Split(n.Hdr.Name)
		if len(idx) < 2 || !equalNames(n.Hdr.Name[idx[1]:], zone) {
			continue
		}
		owner := strings.ToUpper(n.Hdr.Name[:idx[1]-1])
		next := strings.ToUpper(n.NextDomain)
		if !validHash(owner) || !validHash(next) {
			continue
		}
		if len(c.rrs) == 0 {
			c.iter, c.salt = n.Iterations, strings.ToUpper(n.Salt)
		} else if n.Iterations != c.iter || !strings.EqualFold(n.Salt, c.salt) {
			continue
		}
		c.rrs = append(c.rrs, n)
		c.owners = append(c.owners, owner)
		c.nexts = append(c.nexts, next)
	}
	if len(c.rrs) == 0 {
		return nil, fmt.Errorf("no usable NSEC3 record of %s (SHA-1, known flags, owner in the zone)", zone)
	}
	return c, nil
}

func validHash(h string) bool {
	b, err := b32.DecodeString(h)
	return err == nil && len(b) == 20
}

// hash is name's NSEC3 hash under the chain's parameters, computed once.
func (c *nsec3Chain) hash(name string) string {
	name = dns.CanonicalName(name)
	h, ok := c.hashes[name]
	if !ok {
		h = dns.HashName(name, dns.SHA1, c.iter, c.salt)
		c.hashes[name] = h
	}
	return h
}

// match is the record whose owner is name's hash, or nil.
func (c *nsec3Chain) match(name string) *dns.NSEC3 {
	h := c.hash(name)
	for i, o := range c.owners {
		if o == h {
			return c.use(c.rrs[i])
		}
	}
	return nil
}

// cover is a record whose span, owner hash to next hash, holds name's
// hash strictly inside, the last record wrapping round (RFC 5155 §3.1.7).
func (c *nsec3Chain) cover(name string) *dns.NSEC3 {
	h := c.hash(name)
	for i, o := range c.owners {
		n := c.nexts[i]
		if (o < n && o < h && h < n) || (o >= n && (h > o || h < n)) {
			return c.use(c.rrs[i])
		}
	}
	return nil
}

// closestEncloser finds the closest encloser proof (RFC 5155 §8.3): the
// nearest ancestor of qname whose hash an NSEC3 matches, and the next
// closer name, one label longer, whose hash one covers.
func (c *nsec3Chain) closestEncloser(qname string) (ce string, nc *dns.NSEC3, err error) {
	idx := dns.Split(qname)
	for i := 1; i < len(idx); i++ {
		ce = qname[idx[i]:]
		if !dns.IsSubDomain(c.zone, ce) {
			break
		}
		m := c.match(ce)
		if m == nil {
			continue
		}
		if ancestorCut(m.TypeBitMap, equalNames(ce, c.zone)) {
			return "", nil, fmt.Errorf("the closest encloser %s of %s is a delegation or DNAME", ce, qname)
		}
		next := qname[idx[i-1]:]
		if nc = c.cover(next); nc == nil {
			return "", nil, fmt.Errorf("no NSEC3 covers the next closer name %s", next)
		}
		return ce, nc, nil
	}
	if qname == c.zone || (len(idx) == 0 && c.zone == ".") {
		return "", nil, fmt.Errorf("no NSEC3 matches %s", qname)
	}
	return "", nil, fmt.Errorf("no NSEC3 matches an ancestor of %s in %s", qname, c.zone)
}

func (v *Validator) denyNSEC3(zone, qname string, qtype uint16, d Denial, wildcard string, rrs []*dns.NSEC3) (Proof, []Finding, error) {
	c, err := newNSEC3Chain(zone, rrs)
	if err != nil {
		return Proof{NSEC3: true}, nil, err
	}
	status, findings := v.nsec3Params(zone, c.rrs[0])
	p := Proof{NSEC3: true, Status: status}
	if status != Secure {
		// Not checked: hashing that much is what RFC 9276 §3.2 lets
		// validators refuse. The parameters' record is all it rests on.
		p.Records = []dns.RR{c.rrs[0]}
		return p, findings, nil
	}
	p, err = c.prove(qname, qtype, d, wildcard, p)
	p.Records = c.used
	return p, findings, err
}

func (c *nsec3Chain) prove(qname string, qtype uint16, d Denial, wildcard string, p Proof) (Proof, error) {
	switch d {
	case NameError:
		if c.match(qname) != nil {
			return p, fmt.Errorf("an NSEC3 shows that %s exists", qname)
		}
		ce, nc, err := c.closestEncloser(qname)
		if err != nil {
			return p, err
		}
		p.ClosestEncloser = ce
		if w := wildcardAt(ce); c.cover(w) == nil {
			return p, fmt.Errorf("no NSEC3 proves that %s does not exist", w)
		}
		p.optOut(nc)
		return p, nil
	case WildcardAnswer:
		ce := dns.CanonicalName(wildcard[2:])
		p.ClosestEncloser = ce
		next := nextCloser(qname, ce)
		if c.cover(next) == nil {
			return p, fmt.Errorf("no NSEC3 proves that %s, answered from %s, does not exist", next, wildcard)
		}
		return p, nil
	}
	return p, c.noData(qname, qtype, &p)
}

// optOut marks a proof whose next closer name is covered by an opt-out
// NSEC3: an unsigned delegation may hide there, so it proves insecurely.
func (p *Proof) optOut(nc *dns.NSEC3) {
	if nc.Flags&1 != 0 {
		p.OptOut = true
		p.Status = Insecure
	}
}

// noData proves qname has no qtype (RFC 5155 §8.5-8.7): its own NSEC3,
// an opt-out span for DS, or a wildcard's NSEC3.
func (c *nsec3Chain) noData(qname string, qtype uint16, p *Proof) error {
	if m := c.match(qname); m != nil {
		return typeAbsent(m.TypeBitMap, qname, qtype, equalNames(qname, c.zone), "NSEC3")
	}
	ce, nc, err := c.closestEncloser(qname)
	if err != nil {
		return err
	}
	p.ClosestEncloser = ce
	if qtype == dns.TypeDS {
		if nc.Flags&1 == 0 {
			return fmt.Errorf("the NSEC3 covering %s is not opt-out, so %s is no delegation", nextCloser(qname, ce), qname)
		}
		p.optOut(nc)
		return nil
	}
	w := wildcardAt(ce)
	m := c.match(w)
	if m == nil {
		return fmt.Errorf("no NSEC3 matches %s, or %s that would answer for it", qname, w)
	}
	p.Wildcard = w
	return typeAbsent(m.TypeBitMap, w, qtype, false, "NSEC3")
}

// nextCloser is the ancestor of qname one label longer than ce.
func nextCloser(qname, ce string) string {
	idx := dns.Split(qname)
	n := len(idx) - dns.CountLabel(ce) - 1
	if n < 0 || n >= len(idx) {
		return qname
	}
	return qname[idx[n]:]
}
