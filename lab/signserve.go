package lab

import (
	"slices"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// signedZone is what a signed zone serves, beside its records, to a query
// with the DO bit (RFC 4035 §3.1): signatures, and NSEC or NSEC3 proofs.
type signedZone struct {
	sigs   map[sigKey][]dns.RR // RRSIGs by owner and type covered
	nsec   []*dns.NSEC         // in canonical order
	nsec3  []*dns.NSEC3        // in hash order
	hashes []string            // each NSEC3's owner hash, upper case
	iter   uint16
	salt   string
}

type sigKey struct {
	name string
	t    uint16
}

func newSignedZone(sz *Signed) *signedZone {
	s := &signedZone{sigs: map[sigKey][]dns.RR{}}
	for _, rr := range sz.Records {
		switch r := rr.(type) {
		case *dns.RRSIG:
			k := sigKey{r.Hdr.Name, r.TypeCovered}
			s.sigs[k] = append(s.sigs[k], r)
		case *dns.NSEC:
			s.nsec = append(s.nsec, r)
		case *dns.NSEC3:
			s.nsec3 = append(s.nsec3, r)
			s.hashes = append(s.hashes, strings.ToUpper(dns.SplitDomainName(r.Hdr.Name)[0]))
			s.iter, s.salt = r.Iterations, r.Salt
		}
	}
	return s
}

// proof gathers proof records with their signatures, each once.
type proof []dns.RR

func (p *proof) add(s *signedZone, rr dns.RR) {
	if rr == nil || slices.Contains(*p, rr) {
		return
	}
	*p = append(*p, rr)
	*p = append(*p, s.sigs[sigKey{rr.Header().Name, rr.Header().Rrtype}]...)
}

// sign adds to r, the zone's reply to q, what a query with the DO bit gets
// from a signed zone, as BIND does: the RRSIGs of every RRset of the
// answer and authority sections (a wildcard's for the records it made,
// RFC 4035 §3.1.3.3), the DS of a delegation or the proof that it has
// none, and the NSEC or NSEC3 proofs of NXDOMAIN, NODATA and wildcard
// answers (RFC 4035 §3.1.3, RFC 5155 §7.2). The zone's own addresses in
// the additional section get theirs; glue stays unsigned.
func (z *zone) sign(r *result, q question) {
	s := z.dnssec
	if s == nil {
		return
	}
	var wild proof
	r.answer = z.withSigs(r.answer, &wild)
	name := q.name // where the answer's CNAMEs lead
	for _, rr := range r.answer {
		if c, ok := rr.(*dns.CNAME); ok && c.Hdr.Name == name && q.qtype != dns.TypeCNAME {
			name = c.Target
		}
	}
	var cut string
	for _, rr := range r.ns {
		if rr.Header().Rrtype == dns.TypeNS && rr.Header().Name != z.origin {
			cut = rr.Header().Name
		}
	}
	r.extra = z.withSigs(r.extra, nil) // the zone's own addresses, not glue
	var p proof
	switch {
	case cut != "":
		r.ns = append(slices.Clip(r.ns), z.delegation(cut)...)
	case r.rcode == dns.RcodeNameError:
		z.nxdomain(&p, name)
		r.ns = append(z.withSigs(r.ns, nil), p...)
	case r.aa && r.rcode == dns.RcodeSuccess && !slices.ContainsFunc(r.answer, func(rr dns.RR) bool {
		return rr.Header().Name == name && (rr.Header().Rrtype == q.qtype || q.qtype == dns.TypeANY)
	}) && dns.IsSubDomain(z.origin, name):
		z.nodata(&p, name, q.qtype)
		r.ns = append(z.withSigs(r.ns, nil), p...)
	default:
		r.ns = append(z.withSigs(r.ns, nil), wild...)
	}
}

// withSigs puts after each RRset of sec the zone's RRSIGs of it. An RRset
// a wildcard made gets the wildcard's signatures, renamed, and its proof
// that no closer name exists goes to wild.
func (z *zone) withSigs(sec []dns.RR, wild *proof) []dns.RR {
	s := z.dnssec
	var out []dns.RR
	for i, rr := range sec {
		out = append(out, rr)
		h := rr.Header()
		if i+1 < len(sec) && sec[i+1].Header().Name == h.Name && sec[i+1].Header().Rrtype == h.Rrtype {
			continue // not the RRset's last record
		}
		if !dns.IsSubDomain(z.origin, h.Name) || z.cut(h.Name, h.Rrtype) != "" {
			continue // not the zone's data: glue, or another zone's
		}
		if sigs := s.sigs[sigKey{h.Name, h.Rrtype}]; len(sigs) > 0 || z.has(h.Name, h.Rrtype) {
			out = append(out, sigs...)
			continue
		}
		ce := z.encloser(h.Name)
		for _, sig := range s.sigs[sigKey{wildcardAt(ce), h.Rrtype}] {
			c := dns.Copy(sig)
			c.Header().Name = h.Name
			out = append(out, c)
		}
		if wild != nil {
			if s.nsec3 != nil {
				wild.add(s, s.cover3(nextCloser(h.Name, ce)))
			} else {
				wild.add(s, s.cover(h.Name))
			}
		}
	}
	return out
}

// delegation is the DS RRset of a cut with its signatures, or the proof
// that the cut has none.
func (z *zone) delegation(cut string) []dns.RR {
	if ds := z.rrset(cut, dns.TypeDS); len(ds) > 0 {
		return append(slices.Clone(ds), z.dnssec.sigs[sigKey{cut, dns.TypeDS}]...)
	}
	var p proof
	z.nodata(&p, cut, dns.TypeDS)
	return p
}

// nxdomain proves that name, and the wildcard that would answer for it,
// do not exist (RFC 4035 §3.1.3.2, RFC 5155 §7.2.2).
func (z *zone) nxdomain(p *proof, name string) {
	s := z.dnssec
	ce := z.encloser(name)
	if s.nsec3 != nil {
		p.add(s, s.match3(ce))
		p.add(s, s.cover3(nextCloser(name, ce)))
		p.add(s, s.cover3(wildcardAt(ce)))
		return
	}
	p.add(s, s.cover(name))
	p.add(s, s.cover(wildcardAt(ce)))
}

// nodata proves that name has no qtype: its own NSEC or NSEC3, an empty
// non-terminal's, an opt-out span's for an unsigned delegation, or a
// wildcard's (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3-7.2.5).
func (z *zone) nodata(p *proof, name string, qtype uint16) {
	s := z.dnssec
	exists := z.names[name]
	if s.nsec3 != nil {
		if m := s.match3(name); m != nil {
			p.add(s, m)
			return
		}
		ce := z.encloser(name)
		p.add(s, s.match3(ce))
		p.add(s, s.cover3(nextCloser(name, ce)))
		if !exists {
			p.add(s, s.match3(wildcardAt(ce)))
		}
		return
	}
	if n := s.at(name); n != nil {
		p.add(s, n)
		return
	}
	p.add(s, s.cover(name)) // an empty non-terminal, or a wildcard's name
	if !exists {
		p.add(s, s.at(wildcardAt(z.encloser(name))))
	}
}

// unsigned is a copy of a signed zone without its DNSSEC: the zone as a
// provider that does not sign serves it. An unsigned zone is itself.
func (z *zone) unsigned() *zone {
	if z.dnssec == nil {
		return z
	}
	c := *z
	c.dnssec = nil
	c.rrs = make(map[string][]dns.RR, len(z.rrs))
	for name, rrs := range z.rrs {
		c.rrs[name] = slices.DeleteFunc(slices.Clone(rrs), func(rr dns.RR) bool {
			switch rr.Header().Rrtype {
			case dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY, dns.TypeNSEC3PARAM:
				return true
			}
			return false
		})
	}
	return &c
}

// encloser is the closest encloser of name (RFC 5155 §1.3): its nearest
// ancestor that exists in the zone.
func (z *zone) encloser(name string) string {
	for name != z.origin && name != "." {
		name = parent(name)
		if z.names[name] {
			return name
		}
	}
	return z.origin
}

func wildcardAt(ce string) string {
	if ce == "." {
		return "*."
	}
	return "*." + ce
}

// nextCloser is the ancestor of name one label longer than ce.
func nextCloser(name, ce string) string {
	for n := name; n != "." && n != ce; n = parent(n) {
		if parent(n) == ce {
			return n
		}
	}
	return name
}

func (s *signedZone) at(name string) dns.RR {
	for _, n := range s.nsec {
		if n.Hdr.Name == name {
			return n
		}
	}
	return nil
}

func (s *signedZone) cover(name string) dns.RR {
	for _, n := range s.nsec {
		if dnssec.Covers(n.Hdr.Name, n.NextDomain, name) {
			return n
		}
	}
	return nil
}

func (s *signedZone) match3(name string) dns.RR {
	h := dns.HashName(name, dns.SHA1, s.iter, s.salt)
	if i := slices.Index(s.hashes, h); i >= 0 {
		return s.nsec3[i]
	}
	return nil
}

func (s *signedZone) cover3(name string) dns.RR {
	h := dns.HashName(name, dns.SHA1, s.iter, s.salt)
	for i, o := range s.hashes {
		next := strings.ToUpper(s.nsec3[i].NextDomain)
		if (o < next && o < h && h < next) || (o >= next && (h > o || h < next)) {
			return s.nsec3[i]
		}
	}
	return nil
}
