package trace

// DNSSEC is what validation found of one zone the walk crossed (issue 13):
// the zone's status, what its parent's DS records point at, the keys it
// publishes, and the findings. The resolver fills it in; the model holds it.
type DNSSEC struct {
	Zone string
	// Status is one word: secure, insecure, bogus or indeterminate
	// (docs/dnssec.md).
	Status string
	// DS are the DS records of the zone's parent (or the trust anchors,
	// at the root) that validation used; none for an unsigned delegation.
	DS []DS
	// Keys are the zone's DNSKEY records.
	Keys []Key
	// Query is the DNSKEY query sent beside the walk; nil when none was
	// sent (the zone is insecure, or the query budget was spent).
	Query *Hop
	// Findings are what validation of the zone's keys, its delegations
	// and the walk's answer from it found, with the codes of
	// docs/findings.md; Diagnose adds them to the trace's.
	Findings []Finding
}

// The DNSSEC statuses of a zone (RFC 4035 §4.3).
const (
	DNSSECSecure        = "secure"
	DNSSECInsecure      = "insecure"
	DNSSECBogus         = "bogus"
	DNSSECIndeterminate = "indeterminate"
)

// DS is one DS record as a trace shows it.
type DS struct {
	KeyTag     uint16
	Algorithm  uint8
	DigestType uint8
}

// Key is one DNSKEY record as a trace shows it.
type Key struct {
	KeyTag    uint16
	Algorithm uint8
	Flags     uint16
}

// DNSSECOf returns the DNSSEC state of zone, or nil when the walk did
// not validate it.
func (t *Trace) DNSSECOf(zone string) *DNSSEC {
	for _, z := range t.DNSSEC {
		if z.Zone == zone {
			return z
		}
	}
	return nil
}
