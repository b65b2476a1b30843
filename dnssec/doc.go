// Package dnssec validates DNSSEC data along a delegation chain, as a
// validating resolver would (RFC 4033, RFC 4034, RFC 4035, RFC 5155), and
// says why when it fails. It sends nothing: callers give it the records
// their queries returned, and it gives back a Status per zone or answer
// with typed Findings, whose codes are stable.
//
// The steps, from a trust anchor down:
//
//	link := dnssec.AnchorLink(dnssec.RootAnchors(), ".")   // or ReadAnchors
//	root := v.Keys(link, dnskeyReply.Answer)                // DS → DNSKEY
//	link = v.Delegation(root, "com.", referral.Ns)          // DS, or proof of none
//	com := v.Keys(link, comDNSKEYReply.Answer)
//	ans := v.Answer(com, qname, qtype, reply.Rcode, reply.Answer, reply.Ns)
//
// All cryptography is miekg/dns's (RRSIG.Verify, DNSKEY.ToDS, HashName);
// the package decides which keys, signatures and proofs count. The zero
// Validator uses the documented defaults and the system clock; tests set
// its Now.
package dnssec
