package lab

import (
	"cmp"
	"crypto"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// SignFault is a way a signed zone can be broken, for tests and demos.
type SignFault string

// The signing faults.
const (
	// SignWrongDS publishes a DS for the parent that matches no key.
	SignWrongDS SignFault = "wrong-ds"
	// SignExpired makes every signature expired a day ago.
	SignExpired SignFault = "expired-signatures"
	// SignNotYetValid makes every signature start a day from now.
	SignNotYetValid SignFault = "not-yet-valid"
	// SignMissingRRSIG leaves every RRset but the DNSKEY set unsigned.
	SignMissingRRSIG SignFault = "missing-rrsig"
	// SignBadSignature corrupts the signature of every RRset but the
	// DNSKEY set, so the keys hold and the data does not.
	SignBadSignature SignFault = "bad-signature"
	// SignUnsignedWithDS leaves the zone unsigned but publishes a DS for
	// it: a move to a provider that does not sign, the DS left behind.
	SignUnsignedWithDS SignFault = "unsigned-with-ds"
	// SignExpiresSoon makes every signature expire a day from now, as
	// when the signer stopped re-signing four weeks ago.
	SignExpiresSoon SignFault = "expires-soon"
	// SignNoDS publishes no DS for the zone: it is signed, but its parent
	// does not know it (an island of security, before its DS reaches the
	// registry).
	SignNoDS SignFault = "no-ds"
	// SignBadNSEC writes into every NSEC and NSEC3 type bitmap every type
	// the zone holds at any name, and signs them well: a signer's bug, by
	// which no NODATA proof holds (the bitmap says the type is there).
	SignBadNSEC SignFault = "bad-nsec"
)

// SignFaults lists the signing faults.
var SignFaults = []SignFault{SignWrongDS, SignExpired, SignNotYetValid, SignMissingRRSIG, SignBadSignature, SignUnsignedWithDS,
	SignExpiresSoon, SignNoDS, SignBadNSEC}

// SignOptions says how Sign signs a zone. The zero value signs with an
// ECDSAP256SHA256 KSK and ZSK, an NSEC chain, and signatures valid from
// an hour before now for 30 days, as dnssec-signzone's defaults do.
type SignOptions struct {
	// Algorithm is the keys' algorithm; 0 means ECDSAP256SHA256 (13).
	Algorithm uint8
	// Bits is the RSA key size; 0 means 2048. Other algorithms have one size.
	Bits int
	// CSK signs everything with one key (flags 257) instead of a KSK and a ZSK.
	CSK bool
	// NSEC3 makes an NSEC3 chain (RFC 5155) with these parameters
	// instead of NSEC; Salt is hex, empty for none (RFC 9276 asks for 0
	// iterations and no salt).
	NSEC3      bool
	Iterations uint16
	Salt       string
	// OptOut leaves unsigned delegations out of the NSEC3 chain.
	OptOut bool
	// Now is the signing time; the zero value means time.Now().
	Now time.Time
	// Inception and Expiration, when both are set, are the signatures'
	// validity period instead of the hour before Now and 30 days after
	// (dnssec-signzone -s and -e). The timing faults override them.
	Inception, Expiration time.Time
	// Seed, when set, makes the keys from this word instead of at random
	// (seededKey), so that a lab with a seed and a validity period serves
	// the same records every run. RSA keys cannot be seeded.
	Seed string
	// Faults break the signed zone on purpose.
	Faults []SignFault
	// Keys sign the zone instead of keys made for it: the first with the
	// SEP flag is the KSK, the first without it the ZSK; without a ZSK
	// the KSK signs everything (a CSK). Algorithm and Bits are then not
	// used.
	Keys []Key
}

// Signed is a zone signed by Sign.
type Signed struct {
	Origin string
	// Records are the zone's records and its DNSSEC records: DNSKEY,
	// NSEC or NSEC3 and NSEC3PARAM, RRSIG. Under unsigned-with-ds, only
	// the zone's own records.
	Records []dns.RR
	// DS is what the parent publishes (unless the parent's zone file has
	// DS records for the zone: see SignTree): the SHA-256 digest of the
	// KSK (RFC 4509), under wrong-ds one of a key the zone does not have,
	// under no-ds none.
	DS []*dns.DS
	// Keys are the zone's DNSKEY records, the KSK (or CSK) first.
	Keys    []*dns.DNSKEY
	private []crypto.Signer // of each of Keys
}

// signTTL is the TTL of the DNSKEY records, BIND's default dnskey-ttl.
const signTTL = 3600

// Sign signs the zone at origin whose records are rrs (those of a zone
// file, DS records at its delegations included; RRSIG, NSEC, NSEC3,
// NSEC3PARAM and DNSKEY records in rrs are dropped) with keys it
// generates, as dnssec-signzone does: every authoritative RRset is
// signed, delegation NS sets and glue are not, and an NSEC or NSEC3 chain
// covers the names (RFC 4035 §2, RFC 5155 §7.1). rrs is not changed.
func Sign(origin string, rrs []dns.RR, o SignOptions) (*Signed, error) {
	s, err := newSigner(origin, rrs, o)
	if err != nil {
		return nil, err
	}
	return s.sign()
}

// signer is the signing of one zone.
type signer struct {
	origin   string
	o        SignOptions
	has      map[SignFault]bool
	rrs      []dns.RR
	cuts     map[string]bool // delegations below the apex
	ksk, zsk *dns.DNSKEY
	kskPriv  crypto.Signer
	zskPriv  crypto.Signer
	negTTL   uint32
	made     int // keys made, for the next seeded key
}

func newSigner(origin string, rrs []dns.RR, o SignOptions) (*signer, error) {
	s := &signer{origin: dns.CanonicalName(origin), o: o, has: map[SignFault]bool{}, cuts: map[string]bool{}}
	if s.o.Algorithm == 0 {
		s.o.Algorithm = dns.ECDSAP256SHA256
	}
	if s.o.Now.IsZero() {
		s.o.Now = time.Now()
	}
	for _, f := range o.Faults {
		if !slices.Contains(SignFaults, f) {
			return nil, fmt.Errorf("sign %s: unknown fault %q", s.origin, f)
		}
		s.has[f] = true
	}
	for _, rr := range rrs {
		switch rr.Header().Rrtype {
		case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeDNSKEY:
			continue
		}
		c := dns.Copy(rr)
		c.Header().Name = dns.CanonicalName(c.Header().Name)
		if !dns.IsSubDomain(s.origin, c.Header().Name) {
			return nil, fmt.Errorf("sign %s: %s is out of the zone", s.origin, c.Header().Name)
		}
		s.rrs = append(s.rrs, c)
		if c.Header().Rrtype == dns.TypeNS && c.Header().Name != s.origin {
			s.cuts[c.Header().Name] = true
		}
		if soa, ok := c.(*dns.SOA); ok && c.Header().Name == s.origin {
			s.negTTL = min(soa.Hdr.Ttl, soa.Minttl) // RFC 9077
		}
	}
	if s.negTTL == 0 && !slices.ContainsFunc(s.rrs, func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeSOA }) {
		return nil, fmt.Errorf("sign %s: no SOA record at the apex", s.origin)
	}
	return s, s.keys()
}

// keys makes the KSK and ZSK (or the CSK), or takes them from the options.
func (s *signer) keys() error {
	if len(s.o.Keys) > 0 {
		return s.givenKeys()
	}
	var err error
	if s.ksk, s.kskPriv, err = s.newKey(dns.ZONE | dns.SEP); err != nil {
		return err
	}
	s.zsk, s.zskPriv = s.ksk, s.kskPriv
	for !s.o.CSK && (s.zsk == s.ksk || s.zsk.KeyTag() == s.ksk.KeyTag()) {
		if s.zsk, s.zskPriv, err = s.newKey(dns.ZONE); err != nil {
			return err
		}
	}
	return nil
}

// givenKeys takes the KSK and ZSK from the options.
func (s *signer) givenKeys() error {
	for _, k := range s.o.Keys {
		switch sep := k.DNSKEY.Flags&dns.SEP != 0; {
		case sep && s.ksk == nil:
			s.ksk, s.kskPriv = k.DNSKEY, k.Private
		case !sep && s.zsk == nil:
			s.zsk, s.zskPriv = k.DNSKEY, k.Private
		}
	}
	if s.ksk == nil {
		return fmt.Errorf("sign %s: no key with the SEP flag (257) among its keys", s.origin)
	}
	if s.zsk == nil {
		s.zsk, s.zskPriv = s.ksk, s.kskPriv
	}
	s.o.Algorithm = s.ksk.Algorithm
	return nil
}

func (s *signer) newKey(flags uint16) (*dns.DNSKEY, crypto.Signer, error) {
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: s.origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: signTTL},
		Flags: flags, Protocol: 3, Algorithm: s.o.Algorithm}
	if s.o.Seed != "" {
		s.made++
		priv, err := seededKey(k, s.o.Seed, s.made)
		for err == nil && k.KeyTag() == 0 {
			s.made++
			priv, err = seededKey(k, s.o.Seed, s.made)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sign %s: %w", s.origin, err)
		}
		return k, priv, nil
	}
	bits := 0
	switch s.o.Algorithm {
	case dns.RSASHA1, dns.RSASHA1NSEC3SHA1, dns.RSASHA256, dns.RSASHA512:
		bits = cmp.Or(s.o.Bits, 2048)
	case dns.ECDSAP256SHA256, dns.ED25519:
		bits = 256
	case dns.ECDSAP384SHA384:
		bits = 384
	case dns.ECCGOST:
		return opaqueKey(k), nil, nil
	default:
		return nil, nil, fmt.Errorf("sign %s: algorithm %d cannot be generated", s.origin, s.o.Algorithm)
	}
	priv, err := k.Generate(bits)
	for err == nil && k.KeyTag() == 0 { // miekg's Sign refuses key tag 0
		priv, err = k.Generate(bits)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sign %s: %w", s.origin, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("sign %s: algorithm %d gives no signer", s.origin, s.o.Algorithm)
	}
	return k, signer, nil
}

func (s *signer) sign() (*Signed, error) {
	out := &Signed{Origin: s.origin, Keys: []*dns.DNSKEY{s.ksk}, private: []crypto.Signer{s.kskPriv}}
	if s.zsk != s.ksk {
		out.Keys = append(out.Keys, s.zsk)
		out.private = append(out.private, s.zskPriv)
	}
	out.DS = []*dns.DS{s.ksk.ToDS(dns.SHA256)}
	if s.has[SignNoDS] {
		out.DS = nil
	}
	if s.has[SignWrongDS] {
		other, _, err := s.newKey(dns.ZONE | dns.SEP)
		if err != nil {
			return nil, err
		}
		out.DS = []*dns.DS{other.ToDS(dns.SHA256)}
	}
	if s.has[SignUnsignedWithDS] {
		out.Records = s.rrs
		return out, nil
	}
	for _, k := range out.Keys {
		s.rrs = append(s.rrs, k)
	}
	if s.o.NSEC3 {
		s.rrs = append(s.rrs, s.nsec3()...)
	} else {
		s.rrs = append(s.rrs, s.nsec()...)
	}
	sigs, err := s.signatures()
	if err != nil {
		return nil, err
	}
	out.Records = append(s.rrs, sigs...)
	return out, nil
}

// occluded reports whether name is below a delegation: glue, not the
// zone's data.
func (s *signer) occluded(name string) bool {
	for c := range s.cuts {
		if name != c && dns.IsSubDomain(c, name) {
			return true
		}
	}
	return false
}

// types lists the types at each authoritative name.
func (s *signer) types() map[string][]uint16 {
	out := map[string][]uint16{}
	for _, rr := range s.rrs {
		h := rr.Header()
		if s.occluded(h.Name) {
			continue
		}
		if !slices.Contains(out[h.Name], h.Rrtype) {
			out[h.Name] = append(out[h.Name], h.Rrtype)
		}
	}
	return out
}

// signed reports whether the RRset of name and type is signed: all but
// a delegation's NS set, and glue (RFC 4035 §2.2).
func (s *signer) signed(name string, t uint16) bool {
	return !s.cuts[name] || t == dns.TypeDS || t == dns.TypeNSEC
}

// bitmap is the NSEC or NSEC3 type bitmap of a name with types.
func (s *signer) bitmap(name string, types []uint16, own uint16) []uint16 {
	out := slices.Clone(types)
	if own == dns.TypeNSEC || slices.ContainsFunc(types, func(t uint16) bool { return s.signed(name, t) }) {
		out = append(out, dns.TypeRRSIG)
	}
	if own != 0 {
		out = append(out, own)
	}
	if s.has[SignBadNSEC] {
		for _, rr := range s.rrs {
			out = append(out, rr.Header().Rrtype)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (s *signer) nsec() []dns.RR {
	types := s.types()
	names := slices.SortedFunc(maps.Keys(types), dnssec.Compare)
	var out []dns.RR
	for i, n := range names {
		out = append(out, &dns.NSEC{
			Hdr:        dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: s.negTTL},
			NextDomain: names[(i+1)%len(names)],
			TypeBitMap: s.bitmap(n, types[n], dns.TypeNSEC),
		})
	}
	return out
}

func (s *signer) nsec3() []dns.RR {
	types := s.types()
	types[s.origin] = append(types[s.origin], dns.TypeNSEC3PARAM)
	for n := range types {
		for p := parent(n); n != s.origin && p != s.origin && dns.IsSubDomain(s.origin, p); p = parent(p) {
			if _, ok := types[p]; !ok {
				types[p] = nil // an empty non-terminal (RFC 5155 §7.1)
			}
		}
	}
	var flags uint8
	if s.o.OptOut {
		flags = 1
		for c := range s.cuts {
			if !slices.Contains(types[c], dns.TypeDS) {
				delete(types, c)
			}
		}
	}
	type hashed struct{ hash, name string }
	var hs []hashed
	for n := range types {
		hs = append(hs, hashed{dns.HashName(n, dns.SHA1, s.o.Iterations, s.o.Salt), n})
	}
	slices.SortFunc(hs, func(a, b hashed) int { return strings.Compare(a.hash, b.hash) })
	out := []dns.RR{&dns.NSEC3PARAM{
		Hdr:  dns.RR_Header{Name: s.origin, Rrtype: dns.TypeNSEC3PARAM, Class: dns.ClassINET, Ttl: 0},
		Hash: dns.SHA1, Iterations: s.o.Iterations, SaltLength: uint8(len(s.o.Salt) / 2), Salt: s.o.Salt,
	}}
	suffix := "." + s.origin
	if s.origin == "." {
		suffix = "."
	}
	for i, h := range hs {
		out = append(out, &dns.NSEC3{
			Hdr:  dns.RR_Header{Name: strings.ToLower(h.hash) + suffix, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: s.negTTL},
			Hash: dns.SHA1, Flags: flags, Iterations: s.o.Iterations, SaltLength: uint8(len(s.o.Salt) / 2), Salt: s.o.Salt,
			HashLength: 20, NextDomain: hs[(i+1)%len(hs)].hash,
			TypeBitMap: s.bitmap(h.name, types[h.name], 0),
		})
	}
	return out
}

// signatures signs every RRset that is signed, the DNSKEY, CDS and
// CDNSKEY sets with the KSK (as BIND does) and the rest with the ZSK, with the faults asked for.
func (s *signer) signatures() ([]dns.RR, error) {
	type key struct {
		name string
		t    uint16
	}
	sets := map[key][]dns.RR{}
	var order []key
	for _, rr := range s.rrs {
		h := rr.Header()
		k := key{h.Name, h.Rrtype}
		if s.occluded(h.Name) || !s.signed(h.Name, h.Rrtype) {
			continue
		}
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
	}
	inception, expiration := s.o.Now.Add(-time.Hour), s.o.Now.Add(30*24*time.Hour)
	switch {
	case s.has[SignExpired]:
		inception, expiration = s.o.Now.Add(-31*24*time.Hour), s.o.Now.Add(-24*time.Hour)
	case s.has[SignNotYetValid]:
		inception, expiration = s.o.Now.Add(24*time.Hour), s.o.Now.Add(31*24*time.Hour)
	case s.has[SignExpiresSoon]:
		inception, expiration = s.o.Now.Add(-29*24*time.Hour), s.o.Now.Add(24*time.Hour)
	case !s.o.Inception.IsZero() && !s.o.Expiration.IsZero():
		inception, expiration = s.o.Inception, s.o.Expiration
	}
	var out []dns.RR
	for _, k := range order {
		dnskey := k.t == dns.TypeDNSKEY
		if s.has[SignMissingRRSIG] && !dnskey {
			continue
		}
		key, priv := s.zsk, s.zskPriv
		if dnskey || k.t == dns.TypeCDS || k.t == dns.TypeCDNSKEY { // RFC 7344 §4.1: by a key a DS points at
			key, priv = s.ksk, s.kskPriv
		}
		sig := &dns.RRSIG{
			Hdr:       dns.RR_Header{Ttl: sets[k][0].Header().Ttl},
			Algorithm: key.Algorithm, KeyTag: key.KeyTag(), SignerName: s.origin,
			Inception: uint32(inception.Unix()), Expiration: uint32(expiration.Unix()),
		}
		if priv == nil {
			opaqueSign(sig, sets[k])
		} else if err := sig.Sign(priv, sets[k]); err != nil {
			return nil, fmt.Errorf("sign %s: %s %s: %w", s.origin, k.name, dns.Type(k.t), err)
		}
		if s.has[SignBadSignature] && !dnskey {
			sig.Signature = corrupt(sig.Signature)
		}
		out = append(out, sig)
	}
	return out, nil
}

// corrupt flips a bit in the middle of a base64 signature.
func corrupt(sig string) string {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) == 0 {
		return sig
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

// SignTree signs zones from the deepest up, so that each signed zone's DS
// records go into its parent's records at the delegation before the
// parent is signed, unless the parent's records have DS records there
// already: those are what the parent publishes (a DS roll half done, a DS
// left from a key gone). zones maps each origin to its records; only the
// zones that opts names are signed. The result has a Signed for each of
// those.
func SignTree(zones map[string][]dns.RR, opts map[string]SignOptions) (map[string]*Signed, error) {
	origins := slices.SortedFunc(maps.Keys(zones), func(a, b string) int {
		return cmp.Compare(dns.CountLabel(b), dns.CountLabel(a))
	})
	ds := map[string][]dns.RR{} // DS records waiting for each parent zone
	out := map[string]*Signed{}
	for _, origin := range origins {
		rrs := append(slices.Clone(zones[origin]), ds[origin]...)
		o, ok := opts[origin]
		if !ok {
			continue
		}
		sz, err := Sign(origin, rrs, o)
		if err != nil {
			return nil, err
		}
		out[origin] = sz
		if origin == "." {
			continue
		}
		p := closestZone(zones, parent(dns.CanonicalName(origin)))
		if hasDS(zones[p], sz.Origin) {
			continue
		}
		for _, d := range sz.DS {
			ds[p] = append(ds[p], d)
		}
	}
	return out, nil
}

// closestZone is the nearest zone of zones at or above name.
func closestZone(zones map[string][]dns.RR, name string) string {
	for {
		if _, ok := zones[name]; ok || name == "." {
			return name
		}
		name = parent(name)
	}
}

// hasDS reports whether rrs hold a DS record of name.
func hasDS(rrs []dns.RR, name string) bool {
	return slices.ContainsFunc(rrs, func(rr dns.RR) bool {
		return rr.Header().Rrtype == dns.TypeDS && dns.CanonicalName(rr.Header().Name) == name
	})
}
