package dnssec

import (
	"time"

	"github.com/miekg/dns"
)

// Verified is what the signatures of one RRset prove.
type Verified struct {
	// Status is Secure when a signature by a key given holds, Bogus when
	// none does, Indeterminate when there were no records to check.
	Status   Status
	Findings []Finding
	// Wildcard is the wildcard the RRset was expanded from, e.g.
	// "*.example.com.", when the valid signature's Labels field says so
	// (RFC 4035 §5.3.4); such an answer is secure only with a proof that
	// the name asked does not exist. Empty otherwise.
	Wildcard string
	// Expires is the latest expiry of the signatures that hold.
	Expires time.Time
}

// Verify checks the signatures of one RRset of zone against the zone's
// keys, as RFC 4035 §5.3 asks: the signer is the zone, the labels fit the
// owner, the key is a zone key (not revoked, RFC 5011 §2.1) with the tag
// and algorithm named, the clock is within the validity period, and the
// signature verifies. One signature that holds is enough; signatures with
// an algorithm the validator does not support are ignored.
func (v *Validator) Verify(zone string, set *RRset, keys []*dns.DNSKEY) Verified {
	if set == nil || len(set.RRs) == 0 {
		return Verified{Status: Indeterminate}
	}
	zone = dns.CanonicalName(zone)
	if len(set.Sigs) == 0 {
		return Verified{Status: Bogus, Findings: []Finding{finding(CodeRRSIGMissing, zone, set.Name, set.Type, 0,
			"%s %s has no RRSIG", set.Name, typeName(set.Type))}}
	}
	c := sigCheck{v: v, zone: zone, set: set, keys: keys, now: v.now()}
	var out Verified
	for _, sig := range set.Sigs {
		if c.tries >= maxVerify {
			break
		}
		if c.one(sig) {
			out.Status = Secure
			if exp := serialTime(sig.Expiration, c.now); exp.After(out.Expires) {
				out.Expires = exp
				out.Wildcard = wildcardOf(set.Name, sig.Labels)
			}
		}
	}
	if out.Status == Secure {
		if soon := v.expiresSoon(); soon > 0 && out.Expires.Sub(c.now) < soon {
			out.Findings = append(out.Findings, finding(CodeRRSIGExpiresSoon, zone, set.Name, set.Type, 0,
				"the signatures of %s %s expire at %s, in less than %s", set.Name, typeName(set.Type),
				out.Expires.UTC().Format(time.RFC3339), soon))
		}
		return out
	}
	out.Status = Bogus
	out.Findings = c.failures
	if len(out.Findings) == 0 {
		out.Findings = []Finding{finding(CodeRRSIGMissing, zone, set.Name, set.Type, 0,
			"%s %s has no RRSIG with an algorithm validators support", set.Name, typeName(set.Type))}
	}
	return out
}

// sigCheck is the checking of one RRset's signatures.
type sigCheck struct {
	v        *Validator
	zone     string
	set      *RRset
	keys     []*dns.DNSKEY
	now      time.Time
	tries    int // cryptographic verifications spent
	failures []Finding
}

// one checks one signature, noting why it fails.
func (c *sigCheck) one(sig *dns.RRSIG) bool {
	name, t := c.set.Name, c.set.Type
	fail := func(code, format string, args ...any) bool {
		for _, f := range c.failures {
			if f.Code == code && f.KeyTag == sig.KeyTag {
				return false // one finding per key and reason
			}
		}
		c.failures = append(c.failures, finding(code, c.zone, name, t, sig.KeyTag, format, args...))
		return false
	}
	if Algorithm(sig.Algorithm) == Unsupported {
		return false
	}
	if !equalNames(sig.SignerName, c.zone) {
		return fail(CodeSignatureInvalid, "the RRSIG of %s %s by key %d names signer %s, not the zone %s (RFC 4035 §5.3.1)",
			name, typeName(t), sig.KeyTag, sig.SignerName, c.zone)
	}
	if int(sig.Labels) > dns.CountLabel(name) {
		return fail(CodeSignatureInvalid, "the RRSIG of %s %s by key %d has %d labels, more than its owner (RFC 4035 §5.3.1)",
			name, typeName(t), sig.KeyTag, sig.Labels)
	}
	if !sig.ValidityPeriod(c.now) {
		if serialBefore(sig.Expiration, c.now) {
			return fail(CodeRRSIGExpired, "the RRSIG of %s %s by key %d expired at %s", name, typeName(t), sig.KeyTag,
				serialTime(sig.Expiration, c.now).UTC().Format(time.RFC3339))
		}
		return fail(CodeRRSIGNotYetValid, "the RRSIG of %s %s by key %d is valid only from %s", name, typeName(t), sig.KeyTag,
			serialTime(sig.Inception, c.now).UTC().Format(time.RFC3339))
	}
	found := false
	for _, k := range c.keys {
		if k.Algorithm != sig.Algorithm || k.Flags&dns.REVOKE != 0 || k.KeyTag() != sig.KeyTag {
			continue
		}
		found = true
		if c.tries >= maxVerify {
			break
		}
		c.tries++
		if sig.Verify(k, c.set.RRs) == nil {
			return true
		}
	}
	if !found {
		return fail(CodeSignatureInvalid, "%s %s is signed by key %d (algorithm %d), which is not a key of %s's DNSKEY set",
			name, typeName(t), sig.KeyTag, sig.Algorithm, c.zone)
	}
	return fail(CodeSignatureInvalid, "the RRSIG of %s %s by key %d does not verify", name, typeName(t), sig.KeyTag)
}

// serialBefore reports whether the RRSIG time s (RFC 1982 serial
// arithmetic on 32-bit seconds, RFC 4034 §3.1.5) is before now.
func serialBefore(s uint32, now time.Time) bool {
	return int32(s-uint32(now.Unix())) < 0
}

// serialTime is the RRSIG time s as the time nearest now.
func serialTime(s uint32, now time.Time) time.Time {
	return time.Unix(now.Unix()+int64(int32(s-uint32(now.Unix()))), 0)
}

// wildcardOf is the wildcard an RRset at owner was expanded from, when a
// signature has fewer labels than the owner; empty when it was not.
func wildcardOf(owner string, labels uint8) string {
	n := dns.CountLabel(owner)
	if int(labels) >= n {
		return ""
	}
	w := "*."
	if labels > 0 {
		w += owner[dns.Split(owner)[n-int(labels)]:]
	}
	if equalNames(w, owner) {
		return "" // the wildcard's own records, asked for by name
	}
	return w
}
