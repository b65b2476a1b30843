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

// maxChain bounds the CNAMEs followed inside a zone, as BIND does (16).
const maxChain = 16

func (v *Validator) answer(z Zone, qname string, qtype uint16, rcode int, answer, authority []dns.RR) Answer {
	if z.Status != Secure {
		return Answer{Status: z.Status}
	}
	a := Answer{Status: Secure}
	sets := Sets(answer)
	name, done := qname, false // the name the reply ends at, after the CNAMEs it followed
	for range maxChain + 1 {
		if !dns.IsSubDomain(z.Name, name) {
			return a // the chain left the zone: the target's zone validates it
		}
		if v.data(z, sets, authority, name, qtype, &a) {
			done = true
			break
		}
		cname := find(sets, name, dns.TypeCNAME)
		if cname == nil || len(cname.RRs) == 0 {
			break
		}
		if !v.dname(z, sets, name, &a) {
			v.verifySet(z, cname, authority, &a)
		}
		name = dns.CanonicalName(cname.RRs[0].(*dns.CNAME).Target)
	}
	if done || (rcode != dns.RcodeSuccess && rcode != dns.RcodeNameError) {
		return a
	}
	d := NoData
	if rcode == dns.RcodeNameError {
		d = NameError
	}
	auth := Sets(authority)
	if soa := find(auth, z.Name, dns.TypeSOA); soa != nil {
		r := v.Verify(z.Name, soa, z.Keys)
		a.add(r.Status, r.Findings)
	}
	r := v.denial(z, name, qtype, d, "", auth)
	a.add(r.Status, r.Findings)
	a.Proof = r.Proof
	return a
}

// data verifies the answer's records of name and qtype (every set at
// name, for ANY), reporting whether there were any.
func (v *Validator) data(z Zone, sets []*RRset, authority []dns.RR, name string, qtype uint16, a *Answer) bool {
	found := false
	for _, s := range sets {
		if len(s.RRs) == 0 || !equalNames(s.Name, name) || (s.Type != qtype && (qtype != dns.TypeANY || s.Type == dns.TypeCNAME)) {
			continue
		}
		found = true
		v.verifySet(z, s, authority, a)
	}
	return found
}

// verifySet verifies one RRset of the zone's, and for one expanded from
// a wildcard the proof that the name itself does not exist.
func (v *Validator) verifySet(z Zone, s *RRset, authority []dns.RR, a *Answer) {
	r := v.Verify(z.Name, s, z.Keys)
	a.add(r.Status, r.Findings)
	if r.Status == Secure && r.Wildcard != "" {
		d := v.denial(z, s.Name, s.Type, WildcardAnswer, r.Wildcard, Sets(authority))
		a.add(d.Status, d.Findings)
		a.Proof = d.Proof
	}
}

// dname verifies a DNAME of the answer above name, of which name's CNAME
// is a synthesis (RFC 6672 §5.3.1): the DNAME is what is signed.
func (v *Validator) dname(z Zone, sets []*RRset, name string, a *Answer) bool {
	for _, s := range sets {
		if s.Type == dns.TypeDNAME && len(s.RRs) > 0 && dns.IsSubDomain(s.Name, name) && !equalNames(s.Name, name) {
			r := v.Verify(z.Name, s, z.Keys)
			a.add(r.Status, r.Findings)
			return true
		}
	}
	return false
}

func (a *Answer) add(s Status, f []Finding) {
	a.Status = worse(a.Status, s)
	a.Findings = append(a.Findings, f...)
}

// denialResult is a denial with its signatures checked.
type denialResult struct {
	Status   Status
	Proof    *Proof
	Findings []Finding
}

// denial checks what z's NSEC or NSEC3 records among sets prove, then
// the signatures of the records the proof rests on (only those: a reply
// stuffed with records costs no more).
func (v *Validator) denial(z Zone, name string, qtype uint16, d Denial, wildcard string, sets []*RRset) denialResult {
	var rrs []dns.RR
	for _, s := range sets {
		if (s.Type == dns.TypeNSEC || s.Type == dns.TypeNSEC3) && dns.IsSubDomain(z.Name, s.Name) {
			rrs = append(rrs, s.RRs...)
		}
	}
	p, findings, err := v.Deny(z.Name, name, qtype, d, wildcard, rrs)
	r := denialResult{Status: Secure, Findings: findings}
	if err != nil {
		r.Status = Bogus
		r.Findings = append(r.Findings, finding(CodeNSECProofInvalid, z.Name, name, qtype, 0,
			"the %s proof for %s %s fails: %v", d, name, typeName(qtype), err))
		return r
	}
	for _, s := range sets {
		if len(s.RRs) > 0 && slices.ContainsFunc(p.Records, func(rr dns.RR) bool { return slices.Contains(s.RRs, rr) }) {
			vr := v.Verify(z.Name, s, z.Keys)
			r.Status = worse(r.Status, vr.Status)
			r.Findings = append(r.Findings, vr.Findings...)
		}
	}
	r.Proof = &p
	if r.Status == Secure {
		r.Status = p.Status
	}
	return r
}
