package dnssec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Link is what a zone's parent, or a trust anchor, says about the zone:
// the DS records that point at its keys, or that it has none.
type Link struct {
	Zone string // canonical
	// Status is Secure when DS records were validated (or are anchors),
	// Insecure when the parent proves there is none or is itself
	// insecure, Bogus when the DS records or the proof fail, and
	// Indeterminate when nothing could be decided.
	Status   Status
	DS       []*dns.DS
	Findings []Finding
	// Anchor is true when DS are trust anchors (AnchorLink): what they
	// fail to match is the anchor's fault, not the zone's.
	Anchor bool
}

// Zone is a zone's DNSSEC state once its DNSKEY RRset was checked
// against its Link.
type Zone struct {
	Name     string // canonical
	Status   Status
	DS       []*dns.DS     // the link's DS records
	Keys     []*dns.DNSKEY // the zone's DNSKEY RRset; trusted for its data when Status is Secure
	Findings []Finding     // the link's findings, then the keys'
}

// MatchDS finds the key of keys that ds refers to (RFC 4034 §5.2): the
// same algorithm and key tag, a digest of the owner and key that equals
// ds's, and the zone-key flag set (the SEP flag is only a hint, RFC 4034
// §2.1.1, and is not required). Revoked reports a DS that points at a key
// carrying the REVOKE flag, or at a key once its REVOKE flag is cleared
// (RFC 5011 §2.1): such a key may not validate anything. A DS with a
// digest type that miekg/dns cannot compute matches nothing.
func MatchDS(ds *dns.DS, keys []*dns.DNSKEY) (key *dns.DNSKEY, revoked bool) {
	for _, k := range keys {
		if k.Algorithm != ds.Algorithm || k.Flags&dns.ZONE == 0 || k.Protocol != 3 {
			continue
		}
		if k.Flags&dns.REVOKE != 0 {
			old := *k
			old.Flags &^= dns.REVOKE
			if digestEqual(ds, k) || digestEqual(ds, &old) {
				return k, true
			}
			continue
		}
		if k.KeyTag() == ds.KeyTag && digestEqual(ds, k) {
			return k, false
		}
	}
	return nil, false
}

func digestEqual(ds *dns.DS, k *dns.DNSKEY) bool {
	if !equalNames(ds.Hdr.Name, k.Hdr.Name) {
		return false
	}
	d := k.ToDS(ds.DigestType)
	return d != nil && d.KeyTag == ds.KeyTag && strings.EqualFold(d.Digest, ds.Digest)
}

// Keys checks a zone's DNSKEY RRset against its link (RFC 4035 §5.2): a
// DS the validator can use matches a key of the set, and that key signs
// the set. rrs is the answer to a DNSKEY query, RRSIGs included. When the
// link is not Secure the zone takes its status and nothing is checked.
func (v *Validator) Keys(link Link, rrs []dns.RR) Zone {
	zone := dns.CanonicalName(link.Zone)
	z := Zone{Name: zone, Status: link.Status, DS: link.DS, Findings: slices.Clone(link.Findings)}
	set := find(Sets(rrs), zone, dns.TypeDNSKEY)
	if set == nil {
		set = &RRset{Name: zone, Type: dns.TypeDNSKEY}
	}
	z.Keys = typed[*dns.DNSKEY](set.RRs)
	if link.Status != Secure {
		return z
	}
	k := keyCheck{v: v, zone: zone, set: set, keys: z.Keys, anchor: link.Anchor}
	z.Status = k.run(link.DS)
	z.Findings = append(z.Findings, k.out...)
	return z
}

// keyCheck is the checking of one zone's DNSKEY RRset.
type keyCheck struct {
	v      *Validator
	zone   string
	set    *RRset
	keys   []*dns.DNSKEY
	anchor bool
	out    []Finding
}

func (k *keyCheck) add(f Finding) { k.out = append(k.out, f) }

func (k *keyCheck) run(all []*dns.DS) Status {
	ds := k.usable(all)
	if len(ds) == 0 {
		return Insecure
	}
	if len(k.keys) == 0 {
		k.add(finding(CodeDNSKEYMissing, k.zone, k.zone, dns.TypeDNSKEY, 0,
			"the parent publishes DS %s for %s, but the zone serves no DNSKEY records", dsTags(ds), k.zone))
		return Bogus
	}
	var matched []*dns.DNSKEY
	var failures []Finding
	secure := false
	for _, d := range ds {
		key, revoked := MatchDS(d, k.keys)
		switch {
		case key == nil:
			continue
		case revoked:
			k.add(finding(CodeDNSKEYRevokedDS, k.zone, k.zone, dns.TypeDS, d.KeyTag,
				"DS %d points at key %d, which is revoked (RFC 5011) and validates nothing", d.KeyTag, key.KeyTag()))
			continue
		}
		if slices.Contains(matched, key) {
			continue // a second digest of the same key
		}
		matched = append(matched, key)
		r := k.v.Verify(k.zone, bySigner(k.set, key), []*dns.DNSKEY{key})
		if r.Status == Secure {
			secure = true
			k.out = append(k.out, r.Findings...) // expires soon
			continue
		}
		failures = append(failures, r.Findings...)
	}
	if !secure && k.anchor && unsigning(failures) {
		k.add(finding(CodeTrustAnchorMismatch, k.zone, k.zone, dns.TypeDNSKEY, ds[0].KeyTag,
			"the trust anchor of %s (DS %s) matches no key that signs its DNSKEY set (keys %s): nothing at or below %s is validated, and no server is blamed for it; anchor the zone's key signing key instead (--trust-anchor)",
			k.zone, dsTags(ds), keyTags(k.keys), k.zone))
		return Indeterminate
	}
	if !secure {
		k.noChain(ds, matched, failures)
		return Bogus
	}
	k.algorithms(ds)
	return Secure
}

// usable keeps the DS records a validator uses, noting the ones it does
// not: unsupported algorithms or digests (RFC 6840 §5.2), and SHA-1
// digests beside stronger ones (RFC 4509 §3).
func (k *keyCheck) usable(all []*dns.DS) []*dns.DS {
	var ds []*dns.DS
	strong := false
	for _, d := range all {
		if Algorithm(d.Algorithm) != Unsupported && Digest(d.DigestType) != Unsupported {
			ds = append(ds, d)
			strong = strong || Digest(d.DigestType) == Validated
		}
	}
	if len(ds) == 0 && len(all) > 0 {
		k.add(finding(CodeUnsupportedAlg, k.zone, k.zone, dns.TypeDS, all[0].KeyTag,
			"every DS of %s uses an algorithm or digest type validators do not support (%s): the zone is insecure (RFC 4035 §5.2)",
			k.zone, dsAlgs(all)))
		return nil
	}
	if strong {
		ds = slices.DeleteFunc(ds, func(d *dns.DS) bool { return Digest(d.DigestType) == Deprecated })
	} else if len(ds) > 0 {
		k.add(finding(CodeDSDigestSHA1Only, k.zone, k.zone, dns.TypeDS, ds[0].KeyTag,
			"every DS of %s is a SHA-1 digest; publish SHA-256 (digest type 2) instead (RFC 8624 §3.3)", k.zone))
	}
	seen := map[uint8]bool{}
	for _, d := range ds {
		if Algorithm(d.Algorithm) == Deprecated && !seen[d.Algorithm] {
			seen[d.Algorithm] = true
			k.add(finding(CodeDeprecatedAlg, k.zone, k.zone, dns.TypeDS, d.KeyTag,
				"%s is signed with %s (algorithm %d), which RFC 8624 says not to sign with any more",
				k.zone, dns.AlgorithmToString[d.Algorithm], d.Algorithm))
		}
	}
	return ds
}

// unsigning reports whether the failures of the keys a DS matched, if
// any matched, are all that the key signs no RRSIG of the DNSKEY set: a
// key that signs it badly (expired, invalid) is the zone's fault.
func unsigning(failures []Finding) bool {
	for _, f := range failures {
		if f.Code != CodeRRSIGMissing {
			return false
		}
	}
	return true
}

// noChain says why no DS leads to a key that signs the DNSKEY RRset.
func (k *keyCheck) noChain(ds []*dns.DS, matched []*dns.DNSKEY, failures []Finding) {
	if len(matched) == 0 {
		k.add(finding(CodeDSNoMatchingDNSKEY, k.zone, k.zone, dns.TypeDS, ds[0].KeyTag,
			"no DS of %s (%s) matches a key of its DNSKEY set (%s): validating resolvers fail the zone",
			k.zone, dsTags(ds), keyTags(k.keys)))
		return
	}
	k.add(finding(CodeDSNoMatchingDNSKEY, k.zone, k.zone, dns.TypeDNSKEY, matched[0].KeyTag(),
		"key %s matches a DS of %s but no valid signature of it covers the DNSKEY set: validating resolvers fail the zone",
		keyTags(matched), k.zone))
	k.out = append(k.out, failures...)
}

// algorithms notes an algorithm of the DS or DNSKEY set that signs
// nothing: RFC 4035 §2.2 asks for the DNSKEY RRset to be signed with each
// (a validator needs only one, RFC 6840 §5.11).
func (k *keyCheck) algorithms(ds []*dns.DS) {
	signing := map[uint8]bool{}
	for _, s := range k.set.Sigs {
		signing[s.Algorithm] = true
	}
	var algs []uint8
	for _, d := range ds {
		algs = append(algs, d.Algorithm)
	}
	for _, key := range k.keys {
		if key.Flags&dns.REVOKE == 0 && key.Flags&dns.ZONE != 0 && Algorithm(key.Algorithm) != Unsupported {
			algs = append(algs, key.Algorithm)
		}
	}
	slices.Sort(algs)
	for _, a := range slices.Compact(algs) {
		if !signing[a] {
			k.add(finding(CodeAlgorithmNotSigning, k.zone, k.zone, dns.TypeDNSKEY, 0,
				"algorithm %d (%s) is in the DS or DNSKEY set of %s but signs nothing (RFC 4035 §2.2)",
				a, dns.AlgorithmToString[a], k.zone))
		}
	}
}

// bySigner is set with only the signatures that name key's tag and
// algorithm.
func bySigner(set *RRset, key *dns.DNSKEY) *RRset {
	out := &RRset{Name: set.Name, Type: set.Type, RRs: set.RRs}
	tag := key.KeyTag()
	for _, s := range set.Sigs {
		if s.KeyTag == tag && s.Algorithm == key.Algorithm {
			out.Sigs = append(out.Sigs, s)
		}
	}
	return out
}

func dsTags(ds []*dns.DS) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprint(d.KeyTag))
	}
	return strings.Join(slices.Compact(parts), ", ")
}

func keyTags(keys []*dns.DNSKEY) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprint(k.KeyTag()))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func dsAlgs(ds []*dns.DS) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("algorithm %d digest %d", d.Algorithm, d.DigestType))
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ", ")
}
