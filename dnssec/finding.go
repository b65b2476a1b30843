package dnssec

import (
	"fmt"

	"github.com/miekg/dns"
)

// Status is the outcome of validating a zone, a delegation or an answer
// (RFC 4033 §5, RFC 4035 §4.3).
type Status string

// The statuses. The zero Status is none of them: nothing was validated.
const (
	// Secure: a chain of signatures leads from a trust anchor to the data.
	Secure Status = "secure"
	// Insecure: the data is proven to be unsigned (a signed parent proves
	// there is no DS), or signed only with algorithms or NSEC3 parameters
	// a validator does not accept; validators answer without checking.
	Insecure Status = "insecure"
	// Bogus: the data should be signed and the signatures or proofs fail;
	// validating resolvers answer SERVFAIL.
	Bogus Status = "bogus"
	// Indeterminate: there is no trust anchor above the data, or the
	// records needed to decide were not obtained.
	Indeterminate Status = "indeterminate"
)

// worse is the status of a whole made of a and b: bogus wins, then
// indeterminate, then insecure; secure only when both are.
func worse(a, b Status) Status {
	rank := func(s Status) int {
		switch s {
		case Bogus:
			return 3
		case Indeterminate:
			return 2
		case Insecure:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// Severity ranks a finding; its values are the trace package's.
type Severity string

// The severities, from the worst.
const (
	SeverityError   Severity = "error"   // validating resolvers fail, or will
	SeverityWarning Severity = "warning" // works now, but is fragile or against best practice
	SeverityInfo    Severity = "info"    // worth knowing; nothing to fix
)

// The finding codes. They are stable: scripts match them (issue 13 lists
// them; docs/findings.md will explain each).
const (
	CodeDSNoMatchingDNSKEY  = "ds-no-matching-dnskey"
	CodeDNSKEYMissing       = "dnskey-missing"
	CodeRRSIGMissing        = "rrsig-missing"
	CodeRRSIGExpired        = "rrsig-expired"
	CodeRRSIGNotYetValid    = "rrsig-not-yet-valid"
	CodeRRSIGExpiresSoon    = "rrsig-expires-soon"
	CodeSignatureInvalid    = "signature-invalid"
	CodeNSECProofInvalid    = "nsec-proof-invalid"
	CodeUnsupportedAlg      = "unsupported-algorithm"
	CodeDeprecatedAlg       = "deprecated-algorithm"
	CodeInsecureDelegation  = "insecure-delegation"
	CodeBogusAnswer         = "bogus-answer"
	CodeAlgorithmNotSigning = "algorithm-not-signing"
	CodeDSDigestSHA1Only    = "ds-digest-sha1-only"
	CodeDNSKEYRevokedDS     = "dnskey-revoked-ds"
	CodeCDSMismatch         = "cds-mismatch"
	CodeNSEC3Parameters     = "nsec3-parameters"
	CodeNSEC3Insecure       = "nsec3-iterations-insecure"
	CodeDNSSECInconsistent  = "dnssec-inconsistent"
	CodeTrustAnchorMismatch = "trust-anchor-mismatch"
)

// codes is every code with its severity, errors first, in the order
// docs/findings.md will list them.
var codes = [...]struct {
	code     string
	severity Severity
}{
	{CodeDSNoMatchingDNSKEY, SeverityError},
	{CodeDNSKEYMissing, SeverityError},
	{CodeRRSIGMissing, SeverityError},
	{CodeRRSIGExpired, SeverityError},
	{CodeRRSIGNotYetValid, SeverityError},
	{CodeSignatureInvalid, SeverityError},
	{CodeNSECProofInvalid, SeverityError},
	{CodeBogusAnswer, SeverityError},
	{CodeDNSSECInconsistent, SeverityError},
	{CodeRRSIGExpiresSoon, SeverityWarning},
	{CodeAlgorithmNotSigning, SeverityWarning},
	{CodeDNSKEYRevokedDS, SeverityWarning},
	{CodeCDSMismatch, SeverityWarning},
	{CodeNSEC3Parameters, SeverityWarning},
	{CodeNSEC3Insecure, SeverityWarning},
	{CodeUnsupportedAlg, SeverityInfo},
	{CodeDeprecatedAlg, SeverityInfo},
	{CodeInsecureDelegation, SeverityInfo},
	{CodeDSDigestSHA1Only, SeverityInfo},
	{CodeTrustAnchorMismatch, SeverityInfo},
}

// Codes lists every code the package gives, errors first. The slice is
// the caller's.
func Codes() []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.code
	}
	return out
}

// SeverityOf gives the severity of a code, or "" for a code that is not
// one of the package's.
func SeverityOf(code string) Severity {
	for _, c := range codes {
		if c.code == code {
			return c.severity
		}
	}
	return ""
}

// Finding is one thing validation found wrong, or worth knowing. Meaning
// travels in Code and the typed fields; Message is for people only.
type Finding struct {
	Code     string
	Severity Severity
	Zone     string // the zone it is about
	Name     string // the owner of the records it is about; empty when none
	Type     uint16 // the type of those records; 0 when none
	KeyTag   uint16 // the key (DS, DNSKEY or RRSIG key tag) it is about; 0 when none
	Message  string // one line for people
}

// String gives the finding as "code zone: message".
func (f Finding) String() string { return f.Code + " " + f.Zone + ": " + f.Message }

// finding builds a Finding with its code's severity.
func finding(code, zone, name string, rrtype, tag uint16, format string, args ...any) Finding {
	return Finding{Code: code, Severity: SeverityOf(code), Zone: zone, Name: name, Type: rrtype, KeyTag: tag,
		Message: fmt.Sprintf(format, args...)}
}

// typeName is t as zone files write it.
func typeName(t uint16) string { return dns.Type(t).String() }
