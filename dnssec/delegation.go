package dnssec

import (
	"github.com/miekg/dns"
)

// Delegation decides what parent, already checked, says about its child
// zone from the records of a referral's authority section (or the answer
// and authority sections of a DS query): validated DS records make the
// link Secure; a signed proof that there is no DS (RFC 4035 §5.2, RFC 5155
// §8.6) makes it Insecure, with an insecure-delegation finding; DS records
// or a proof that fail make it Bogus. Below a parent that is not Secure,
// the link takes the parent's status.
func (v *Validator) Delegation(parent Zone, child string, rrs []dns.RR) Link {
	child = dns.CanonicalName(child)
	l := Link{Zone: child, Status: parent.Status}
	if parent.Status != Secure {
		return l
	}
	sets := Sets(rrs)
	if ds := find(sets, child, dns.TypeDS); ds != nil && len(ds.RRs) > 0 {
		r := v.Verify(parent.Name, ds, parent.Keys)
		l.Status, l.Findings = r.Status, r.Findings
		if r.Status == Secure {
			l.DS = typed[*dns.DS](ds.RRs)
		}
		return l
	}
	a := v.denial(parent, child, dns.TypeDS, NoData, "", sets)
	l.Findings = a.Findings
	switch a.Status {
	case Secure, Insecure:
		l.Status = Insecure
		how := "NSEC"
		if a.Proof.NSEC3 {
			how = "NSEC3"
		}
		if a.Proof.OptOut {
			how = "an opt-out NSEC3"
		}
		l.Findings = append(l.Findings, finding(CodeInsecureDelegation, parent.Name, child, dns.TypeDS, 0,
			"%s proves with %s that %s has no DS: validators treat the zone as unsigned and accept it unchecked", parent.Name, how, child))
	default:
		l.Status = a.Status
	}
	return l
}
