package dnssec

import (
	"time"

	"github.com/miekg/dns"
)

// Support is how a validator treats a DNSSEC algorithm or digest type.
type Support int

// The supports, after RFC 8624's tables for validation.
const (
	// Unsupported: a zone signed only with it is insecure (RFC 4035 §5.2,
	// RFC 6840 §5.2): validators answer as for an unsigned zone.
	Unsupported Support = iota
	// Validated: validators check it.
	Validated
	// Deprecated: validators still check it, but it should not be used
	// to sign (RFC 8624 §3.1: RSASHA1 and RSASHA1-NSEC3-SHA1).
	Deprecated
)

// Algorithm is the support of a DNSKEY/RRSIG/DS algorithm: RSASHA256 (8),
// RSASHA512 (10), ECDSAP256SHA256 (13), ECDSAP384SHA384 (14) and ED25519
// (15) are validated; RSASHA1 (5) and RSASHA1-NSEC3-SHA1 (7) are validated
// but deprecated; anything else (ED448, GOST, DSA, unknown) is unsupported.
func Algorithm(alg uint8) Support {
	switch alg {
	case dns.RSASHA256, dns.RSASHA512, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return Validated
	case dns.RSASHA1, dns.RSASHA1NSEC3SHA1:
		return Deprecated
	}
	return Unsupported
}

// Digest is the support of a DS digest type: SHA-256 (2) and SHA-384 (4)
// are validated, SHA-1 (1) is validated but deprecated (RFC 8624 §3.3),
// GOST (3) and unknown types are unsupported.
func Digest(t uint8) Support {
	switch t {
	case dns.SHA256, dns.SHA384:
		return Validated
	case dns.SHA1:
		return Deprecated
	}
	return Unsupported
}

// Defaults of a Validator's zero fields.
const (
	// DefaultExpiresSoon is how close to its expiry a signature draws
	// rrsig-expires-soon: three days, time enough to find and fix a
	// signer that stopped.
	DefaultExpiresSoon = 72 * time.Hour
	// DefaultMaxIterations is the highest NSEC3 iteration count validated;
	// above it a proof is treated as insecure, as BIND 9.18 and Unbound do
	// (RFC 9276 §3.2 lets validators set such a limit).
	DefaultMaxIterations = 150
	// maxVerify bounds the signature checks spent on one RRset, so that a
	// hostile set of colliding keys and signatures (CVE-2023-50387,
	// "KeyTrap") costs little.
	maxVerify = 8
)

// Validator validates DNSSEC data. Its zero value uses the defaults and
// the system clock. It holds no state between calls and is safe for
// concurrent use.
type Validator struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ExpiresSoon is how close to its expiry a signature that holds draws
	// rrsig-expires-soon; 0 means DefaultExpiresSoon, negative never.
	ExpiresSoon time.Duration
	// MaxIterations is the highest NSEC3 iteration count validated; 0
	// means DefaultMaxIterations.
	MaxIterations uint16
}

func (v *Validator) now() time.Time {
	if v == nil || v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Validator) expiresSoon() time.Duration {
	if v == nil || v.ExpiresSoon == 0 {
		return DefaultExpiresSoon
	}
	return v.ExpiresSoon
}

func (v *Validator) maxIterations() uint16 {
	if v == nil || v.MaxIterations == 0 {
		return DefaultMaxIterations
	}
	return v.MaxIterations
}

// nsec3Params checks an NSEC3 chain's parameters against RFC 9276: a
// warning for iterations above 0 or a salt, and insecure above the
// validator's limit.
func (v *Validator) nsec3Params(zone string, n *dns.NSEC3) (Status, []Finding) {
	var out []Finding
	if n.Iterations > v.maxIterations() {
		out = append(out, finding(CodeNSEC3Insecure, zone, n.Hdr.Name, dns.TypeNSEC3, 0,
			"NSEC3 uses %d iterations, above %d: validators treat the zone's denials as insecure (RFC 9276 §3.2)", n.Iterations, v.maxIterations()))
		return Insecure, out
	}
	if n.Iterations > 0 || (n.Salt != "" && n.Salt != "-") {
		out = append(out, finding(CodeNSEC3Parameters, zone, n.Hdr.Name, dns.TypeNSEC3, 0,
			"NSEC3 uses %d iterations and salt %q; RFC 9276 §3.1 asks for 0 and no salt", n.Iterations, saltText(n.Salt)))
	}
	return Secure, out
}

func saltText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
