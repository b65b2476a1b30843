package dnssec

import (
	"slices"

	"github.com/miekg/dns"
)

// Answer is what validation says of a final reply.
type Answer struct {
	Status   Status
	Findings []Finding
	// Proof is the denial's, for NXDOMAIN, NODATA and wildcard answers.
	Proof *Proof
}

// Answer validates an authoritative reply of zone z to qname/qtype, as a
// validating resolver would: each RRset of the answer section that is z's
// data (a CNAME chain may leave the zone) must be signed by z's keys, a
// wildcard answer must come with a proof that qname does not exist, and
// NXDOMAIN or NODATA with a signed NSEC or NSEC3 proof (RFC 4035 §5.3,
// §5.4). A Bogus result carries a bogus-answer finding: validating
// resolvers answer SERVFAIL. Below a zone that is not Secure the answer
// takes the zone's status.
func (v *Validator) Answer(z Zone, qname string, qtype uint16, rcode int, answer, authority []dns.RR) Answer {
	a := v.answer(z, dns.CanonicalName(qname), qtype, rcode, answer, authority)
	if a.Status == Bogus {
		a.Findings = append(a.Findings, finding(CodeBogusAnswer, z.Name, dns.CanonicalName(qname), qtype, 0,
			"validating resolvers answer SERVFAIL for %s %s", dns.CanonicalName(qname), typeName(qtype)))
	}
	return a
}

func (v *Validator) answer(z Zone, qname string, qtype uint16, rcode int, answer, authority []dns.RR) Answer {
	if z.Status != Secure {
		return Answer{Status: z.Status}
	}
	a := Answer{Status: Secure}
	name := qname // the name the reply ends at, after the CNAMEs it followed
	for _, set := range Sets(answer) {
		if !dns.IsSubDomain(z.Name, set.Name) || len(set.RRs) == 0 || synthesized(set, answer) {
			continue
		}
		r := v.Verify(z.Name, set, z.Keys)
		a.add(r.Status, r.Findings)
		if r.Status == Secure && r.Wildcard != "" {
			d := v.denial(z, set.Name, set.Type, WildcardAnswer, r.Wildcard, Sets(authority))
			a.add(d.Status, d.Findings)
			a.Proof = d.Proof
		}
		if set.Type == dns.TypeCNAME && equalNames(set.Name, name) && set.Type != qtype {
			name = dns.CanonicalName(set.RRs[0].(*dns.CNAME).Target)
		}
	}
	negative := rcode == dns.RcodeNameError || (rcode == dns.RcodeSuccess && !hasData(answer, name, qtype))
	if !negative || !dns.IsSubDomain(z.Name, name) {
		return a
	}
	d := NoData
	if rcode == dns.RcodeNameError {
		d = NameError
	}
	sets := Sets(authority)
	if soa := find(sets, z.Name, dns.TypeSOA); soa != nil {
		r := v.Verify(z.Name, soa, z.Keys)
		a.add(r.Status, r.Findings)
	}
	r := v.denial(z, name, qtype, d, "", sets)
	a.add(r.Status, r.Findings)
	a.Proof = r.Proof
	return a
}

func (a *Answer) add(s Status, f []Finding) {
	a.Status = worse(a.Status, s)
	a.Findings = append(a.Findings, f...)
}

// hasData reports whether the answer section holds name's qtype records
// (any records, for ANY).
func hasData(answer []dns.RR, name string, qtype uint16) bool {
	return slices.ContainsFunc(answer, func(rr dns.RR) bool {
		h := rr.Header()
		return equalNames(h.Name, name) && (h.Rrtype == qtype || (qtype == dns.TypeANY && h.Rrtype != dns.TypeRRSIG))
	})
}

// synthesized reports whether set is an unsigned CNAME that a DNAME of
// the same answer made (RFC 6672 §5.3.1): its DNAME is what is signed.
func synthesized(set *RRset, answer []dns.RR) bool {
	if set.Type != dns.TypeCNAME || len(set.Sigs) > 0 {
		return false
	}
	return slices.ContainsFunc(answer, func(rr dns.RR) bool {
		d, ok := rr.(*dns.DNAME)
		return ok && dns.IsSubDomain(d.Hdr.Name, set.Name) && !equalNames(d.Hdr.Name, set.Name)
	})
}

// denialResult is a denial with its signatures checked.
type denialResult struct {
	Status   Status
	Proof    *Proof
	Findings []Finding
}

// denial checks the signatures of z's NSEC or NSEC3 records among sets,
// then what they prove.
func (v *Validator) denial(z Zone, name string, qtype uint16, d Denial, wildcard string, sets []*RRset) denialResult {
	r := denialResult{Status: Secure}
	var rrs []dns.RR
	for _, s := range sets {
		if (s.Type != dns.TypeNSEC && s.Type != dns.TypeNSEC3) || len(s.RRs) == 0 || !dns.IsSubDomain(z.Name, s.Name) {
			continue
		}
		vr := v.Verify(z.Name, s, z.Keys)
		r.Status = worse(r.Status, vr.Status)
		r.Findings = append(r.Findings, vr.Findings...)
		rrs = append(rrs, s.RRs...)
	}
	p, findings, err := v.Deny(z.Name, name, qtype, d, wildcard, rrs)
	r.Findings = append(r.Findings, findings...)
	if err != nil {
		r.Status = Bogus
		r.Findings = append(r.Findings, finding(CodeNSECProofInvalid, z.Name, name, qtype, 0,
			"the %s proof for %s %s fails: %v", d, name, typeName(qtype), err))
		return r
	}
	r.Proof = &p
	if r.Status == Secure {
		r.Status = p.Status
	}
	return r
}
