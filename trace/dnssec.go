package trace

import (
	"strings"

	"github.com/miekg/dns"
)

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
	// CDS are the zone's CDS and CDNSKEY records (RFC 7344, RFC 8078),
	// each as its type and data, as zone files write it ("CDS 20135 13 2
	// 6B4F…", "CDNSKEY 257 3 13 4eD4…"); CDSQueries the queries that asked
	// for them, beside the walk: a signed zone below the TLD whose servers
	// are checked (not with --path-only) is asked both, of one server.
	CDS        []string
	CDSQueries []*Hop
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

// DS is one DS record as a trace shows it: all of its data, so that a fix
// can name it exactly ("remove DS 12345") and a diff see a new digest.
type DS struct {
	KeyTag     uint16
	Algorithm  uint8
	DigestType uint8
	Digest     string // hex, as zone files write it
	TTL        uint32 // as the parent served it; 0 for a trust anchor
}

// Key is one DNSKEY record as a trace shows it: all of its data, so that
// a fix can compute the DS records that point at it (RFC 4034 §5.1.4).
type Key struct {
	KeyTag    uint16
	Algorithm uint8
	Flags     uint16 // 257 for a key-signing key (SEP), 256 for a zone-signing key
	Protocol  uint8  // 3 (RFC 4034 §2.1.2)
	PublicKey string // base64, as zone files write it
	TTL       uint32
}

// NewDS gives the DS record d as a trace shows it.
func NewDS(d *dns.DS) DS {
	// Upper case, as zone files and dig write it: miekg/dns keeps the
	// case a zone file gave, and writes lower case from the wire.
	return DS{KeyTag: d.KeyTag, Algorithm: d.Algorithm, DigestType: d.DigestType, Digest: strings.ToUpper(d.Digest), TTL: d.Hdr.Ttl}
}

// NewKey gives the DNSKEY record k as a trace shows it.
func NewKey(k *dns.DNSKEY) Key {
	return Key{KeyTag: k.KeyTag(), Algorithm: k.Algorithm, Flags: k.Flags, Protocol: k.Protocol, PublicKey: k.PublicKey, TTL: k.Hdr.Ttl}
}

// NewCDS gives a CDS or CDNSKEY record as DNSSEC.CDS holds it: its type
// and data, a digest in upper case.
func NewCDS(rr dns.RR) string {
	if c, ok := rr.(*dns.CDS); ok {
		d := *c
		d.Digest = strings.ToUpper(d.Digest)
		rr = &d
	}
	return dns.TypeToString[rr.Header().Rrtype] + " " + strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
}

// RR gives d as the DS record of zone.
func (d DS) RR(zone string) *dns.DS {
	return &dns.DS{Hdr: dns.RR_Header{Name: canon(zone), Rrtype: dns.TypeDS, Class: dns.ClassINET, Ttl: d.TTL},
		KeyTag: d.KeyTag, Algorithm: d.Algorithm, DigestType: d.DigestType, Digest: d.Digest}
}

// RR gives k as the DNSKEY record of zone.
func (k Key) RR(zone string) *dns.DNSKEY {
	return &dns.DNSKEY{Hdr: dns.RR_Header{Name: canon(zone), Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: k.TTL},
		Flags: k.Flags, Protocol: k.Protocol, Algorithm: k.Algorithm, PublicKey: k.PublicKey}
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
