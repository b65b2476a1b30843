package dnssec

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// rootAnchors are the root zone's trust anchors as IANA publishes them in
// https://data.iana.org/root-anchors/root-anchors.xml: KSK-2017 (key tag
// 20326, valid from 2017-02-02) and KSK-2024 (key tag 38696, valid from
// 2024-07-18), both RSASHA256 with SHA-256 digests. The same digests are
// in Unbound's unbound-anchor (smallapp/unbound-anchor.c, 20326), BIND's
// bind.keys (initial-ds 38696; the key of 20326) and Debian's
// dns-root-data root.ds; the tests derive both from the root's DNSKEYs.
const rootAnchors = `. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`

// RootAnchors returns the root trust anchors built in, as DS records; the
// caller may change them.
func RootAnchors() []dns.RR {
	rrs, err := ReadAnchors(strings.NewReader(rootAnchors), "root anchors")
	if err != nil {
		panic(err) // a constant: the tests read it
	}
	return rrs
}

// maxAnchorFile bounds a trust anchor file; real ones are a few lines.
const maxAnchorFile = 1 << 20

// LoadAnchors reads a trust anchor file (see ReadAnchors).
func LoadAnchors(path string) ([]dns.RR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAnchors(f, path)
}

// ReadAnchors reads trust anchors: DS or DNSKEY records of class IN in
// zone-file format, as Unbound's trust-anchor-file and
// auto-trust-anchor-file hold them (comments, $ORIGIN and $TTL allowed,
// owner names relative to the root), or the trust-anchors clause of
// named.conf that delv -a and BIND's bind.keys use (initial-key,
// static-key, initial-ds, static-ds; also the older managed-keys and
// trusted-keys). file names the input in errors, which are one line each.
func ReadAnchors(r io.Reader, file string) ([]dns.RR, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxAnchorFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > maxAnchorFile {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a trust anchor file", file, maxAnchorFile)
	}
	if text, ok, err := fromBIND(string(data)); ok {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		data = []byte(text)
	}
	zp := dns.NewZoneParser(bytes.NewReader(data), ".", file)
	zp.SetDefaultTTL(0)
	zp.SetIncludeAllowed(false)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if err := checkAnchor(rr); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		rr.Header().Name = dns.CanonicalName(rr.Header().Name)
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, oneLine(err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no DS or DNSKEY records", file)
	}
	return out, nil
}

// digestLen is the length of each DS digest type's digest.
var digestLen = map[uint8]int{dns.SHA1: 20, dns.SHA256: 32, dns.SHA384: 48}

func checkAnchor(rr dns.RR) error {
	h := rr.Header()
	if h.Class != dns.ClassINET {
		return fmt.Errorf("%s: class %s: trust anchors are class IN", h.Name, dns.Class(h.Class))
	}
	switch r := rr.(type) {
	case *dns.DS:
		if b, err := hex.DecodeString(r.Digest); err != nil || len(b) == 0 || (digestLen[r.DigestType] != 0 && len(b) != digestLen[r.DigestType]) {
			return fmt.Errorf("%s DS %d: digest %q is not a digest of type %d", h.Name, r.KeyTag, r.Digest, r.DigestType)
		}
	case *dns.DNSKEY:
		if r.Flags&dns.ZONE == 0 || r.Protocol != 3 {
			return fmt.Errorf("%s DNSKEY %d: not a zone key (flags %d, protocol %d)", h.Name, r.KeyTag(), r.Flags, r.Protocol)
		}
		if b, err := base64.StdEncoding.DecodeString(r.PublicKey); err != nil || len(b) == 0 {
			return fmt.Errorf("%s DNSKEY: the key is not base64", h.Name)
		}
		if r.Flags&dns.REVOKE != 0 {
			return fmt.Errorf("%s DNSKEY %d: revoked (RFC 5011)", h.Name, r.KeyTag())
		}
	default:
		return fmt.Errorf("%s %s: a trust anchor is a DS or DNSKEY record", h.Name, dns.Type(h.Rrtype))
	}
	return nil
}

// oneLine is a zone parser's error on one line.
func oneLine(err error) error {
	return fmt.Errorf("%s", strings.Join(strings.Fields(err.Error()), " "))
}

// AnchorLink is the link that anchors give zone: Secure with their DS
// records (a DNSKEY anchor as its SHA-256 digest) when some are for zone,
// Indeterminate when none is.
func AnchorLink(anchors []dns.RR, zone string) Link {
	zone = dns.CanonicalName(zone)
	l := Link{Zone: zone, Status: Indeterminate, Anchor: true}
	for _, rr := range anchors {
		if !equalNames(rr.Header().Name, zone) {
			continue
		}
		switch r := rr.(type) {
		case *dns.DS:
			l.DS = append(l.DS, r)
		case *dns.DNSKEY:
			if ds := r.ToDS(dns.SHA256); ds != nil {
				l.DS = append(l.DS, ds)
			}
		}
	}
	if len(l.DS) > 0 {
		l.Status = Secure
	}
	return l
}
