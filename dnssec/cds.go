package dnssec

import (
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// CDS checks a secure zone's CDS and CDNSKEY records, which ask the
// parent to change its DS (RFC 7344, RFC 8078): each set must be signed
// by a key that a current DS points at (RFC 7344 §4.1), the two must
// agree when both are published, each must point at a key of the zone's
// DNSKEY set (the DS set it asks for would break the chain otherwise,
// RFC 7344 §4.1), and a delete request ("0 0 0 00" and "0 3 0 AA==", RFC
// 8078 §4) must stand alone. rrs holds the answers to
// the CDS and CDNSKEY queries, RRSIGs included. Each problem is a
// cds-mismatch finding; a zone that is not Secure is not checked.
func (v *Validator) CDS(z Zone, rrs []dns.RR) []Finding {
	if z.Status != Secure {
		return nil
	}
	sets := Sets(rrs)
	cds := find(sets, z.Name, dns.TypeCDS)
	cdnskey := find(sets, z.Name, dns.TypeCDNSKEY)
	var out []Finding
	bad := func(t uint16, format string, args ...any) {
		out = append(out, finding(CodeCDSMismatch, z.Name, z.Name, t, 0, format, args...))
	}
	var trusted []*dns.DNSKEY // the keys a DS points at
	for _, d := range z.DS {
		if k, revoked := MatchDS(d, z.Keys); k != nil && !revoked && !slices.Contains(trusted, k) {
			trusted = append(trusted, k)
		}
	}
	for _, s := range []*RRset{cds, cdnskey} {
		if s == nil || len(s.RRs) == 0 {
			continue
		}
		if r := v.Verify(z.Name, s, trusted); r.Status != Secure {
			bad(s.Type, "the %s set of %s is not signed by a key that a DS of the parent points at (RFC 7344 §4.1)", typeName(s.Type), z.Name)
		}
		if !wellFormedDeletes(s) {
			bad(s.Type, "the %s set of %s holds a malformed delete request; it is \"0 0 0 00\" for CDS and \"0 3 0 AA==\" for CDNSKEY (RFC 8078 §4)", typeName(s.Type), z.Name)
		}
		if tags := strays(s, z.Keys); len(tags) > 0 {
			bad(s.Type, "the %s set of %s asks for a DS of key %s, which is not in its DNSKEY set (RFC 7344 §4.1)", typeName(s.Type), z.Name, tags)
		}
		if deletes(s) > 0 && len(s.RRs) > 1 {
			bad(s.Type, "the %s set of %s mixes a delete request with other records (RFC 8078 §4)", typeName(s.Type), z.Name)
		}
	}
	if cds != nil && cdnskey != nil && len(cds.RRs) > 0 && len(cdnskey.RRs) > 0 && !agree(cds, cdnskey) {
		bad(dns.TypeCDS, "the CDS and CDNSKEY sets of %s ask for different DS records (RFC 7344 §4)", z.Name)
	}
	return out
}

// strays gives the key tags of the records of a CDS or CDNSKEY set that
// point at no key of keys, delete requests aside, as "1234, 5678".
func strays(s *RRset, keys []*dns.DNSKEY) string {
	var tags []string
	for _, rr := range s.RRs {
		switch r := rr.(type) {
		case *dns.CDS:
			d := r.DS
			if r.Algorithm != 0 && !slices.ContainsFunc(keys, func(k *dns.DNSKEY) bool { return digestEqual(&d, k) }) {
				tags = append(tags, strconv.Itoa(int(r.KeyTag)))
			}
		case *dns.CDNSKEY:
			if r.Algorithm != 0 && !slices.ContainsFunc(keys, func(k *dns.DNSKEY) bool {
				return k.Flags == r.Flags && k.Algorithm == r.Algorithm && k.PublicKey == r.PublicKey
			}) {
				tags = append(tags, strconv.Itoa(int(r.KeyTag())))
			}
		}
	}
	return strings.Join(tags, ", ")
}

// deletes counts the delete requests of a CDS or CDNSKEY set, noting as
// one any record with algorithm 0, well formed or not.
func deletes(s *RRset) int {
	n := 0
	for _, rr := range s.RRs {
		switch r := rr.(type) {
		case *dns.CDS:
			if r.Algorithm == 0 {
				n++
			}
		case *dns.CDNSKEY:
			if r.Algorithm == 0 {
				n++
			}
		}
	}
	return n
}

// wellFormedDeletes reports whether every record of algorithm 0 in a CDS
// or CDNSKEY set is the delete request RFC 8078 §4 spells out.
func wellFormedDeletes(s *RRset) bool {
	for _, rr := range s.RRs {
		switch r := rr.(type) {
		case *dns.CDS:
			if r.Algorithm == 0 && (r.KeyTag != 0 || r.DigestType != 0 || r.Digest != "00") {
				return false
			}
		case *dns.CDNSKEY:
			if r.Algorithm == 0 && (r.Flags != 0 || r.Protocol != 3 || r.PublicKey != "AA==") {
				return false
			}
		}
	}
	return true
}

// agree reports whether every CDNSKEY has a CDS and every CDS a CDNSKEY.
func agree(cds, cdnskey *RRset) bool {
	var keys []*dns.DNSKEY
	for _, rr := range cdnskey.RRs {
		if k, ok := rr.(*dns.CDNSKEY); ok {
			kk := k.DNSKEY
			kk.Hdr.Name = k.Hdr.Name
			keys = append(keys, &kk)
		}
	}
	hasCDS := make([]bool, len(keys))
	for _, rr := range cds.RRs {
		c, ok := rr.(*dns.CDS)
		if !ok {
			continue
		}
		if c.Algorithm == 0 { // delete: matches a CDNSKEY delete
			if !slices.ContainsFunc(keys, func(k *dns.DNSKEY) bool { return k.Algorithm == 0 }) {
				return false
			}
			continue
		}
		d := c.DS
		i := slices.IndexFunc(keys, func(k *dns.DNSKEY) bool { return k.Algorithm != 0 && digestEqual(&d, k) })
		if i < 0 {
			return false
		}
		hasCDS[i] = true
	}
	for i, k := range keys {
		if k.Algorithm != 0 && !hasCDS[i] {
			return false
		}
		if k.Algorithm == 0 && !slices.ContainsFunc(cds.RRs, func(rr dns.RR) bool { c, ok := rr.(*dns.CDS); return ok && c.Algorithm == 0 }) {
			return false
		}
	}
	return true
}
