package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"
)

// seededKey makes k's key pair from seed instead of at random, and sets
// k.PublicKey: the n-th key a signer makes for its zone and flags, so that
// a lab signed with a seed serves the same keys, key tags and DS digests
// every run, and users comparing two runs see no change that is not one.
// The private key is SHA-512 of the seed, the zone, the flags and n; its
// signatures are deterministic too (Ed25519's are by design, ECDSA's by
// RFC 6979), so with a fixed validity period every record is the same.
// Only the algorithms whose keys are a string of bytes can be seeded.
func seededKey(k *dns.DNSKEY, seed string, n int) (crypto.Signer, error) {
	for try := 0; ; try++ {
		h := sha512.Sum512(fmt.Appendf(nil, "nstrace lab key\x00%s\x00%s\x00%d\x00%d\x00%d",
			seed, dns.CanonicalName(k.Hdr.Name), k.Flags, n, try))
		var (
			pub  []byte
			priv crypto.Signer
			err  error
		)
		switch k.Algorithm {
		case dns.ED25519:
			p := ed25519.NewKeyFromSeed(h[:ed25519.SeedSize])
			pub, priv = p.Public().(ed25519.PublicKey), p
		case dns.ECDSAP256SHA256:
			pub, priv, err = seededECDSA(elliptic.P256(), h[:32])
		case dns.ECDSAP384SHA384:
			pub, priv, err = seededECDSA(elliptic.P384(), h[:48])
		default:
			return nil, fmt.Errorf("algorithm %d cannot be made from a seed (ecdsap256sha256, ecdsap384sha384 and ed25519 can)", k.Algorithm)
		}
		if err != nil {
			continue // a scalar out of the curve's range: 2^-32 for P-256
		}
		k.PublicKey = base64.StdEncoding.EncodeToString(pub)
		return priv, nil
	}
}

// seededECDSA is the ECDSA key whose private scalar is d, and its public
// key as a DNSKEY holds it: X and Y, without the uncompressed point's
// leading 0x04 (RFC 6605 §4).
func seededECDSA(c elliptic.Curve, d []byte) ([]byte, crypto.Signer, error) {
	p, err := ecdsa.ParseRawPrivateKey(c, d)
	if err != nil {
		return nil, nil, err
	}
	pub, err := p.PublicKey.Bytes()
	if err != nil {
		return nil, nil, err
	}
	return pub[1:], rfc6979{p}, nil
}

// rfc6979 signs with an ECDSA key without randomness: miekg/dns passes
// crypto/rand's reader, and a nil one makes Go sign as RFC 6979 says.
type rfc6979 struct{ *ecdsa.PrivateKey }

// plainKey is the key p wraps, as miekg/dns writes private keys.
func plainKey(p crypto.Signer) crypto.Signer {
	if k, ok := p.(rfc6979); ok {
		return k.PrivateKey
	}
	return p
}

func (k rfc6979) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.PrivateKey.Sign(nil, digest, opts)
}

// opaqueKey gives k random bytes for a public key: the key of an
// algorithm the lab cannot sign with (ECC-GOST, which BIND 9.18 and
// nstrace do not validate), so that a zone can be "signed" with it and
// validators treat the zone as unsigned (RFC 4035 §5.2). opaqueSign makes
// its signatures.
func opaqueKey(k *dns.DNSKEY) *dns.DNSKEY {
	b := make([]byte, 64) // a GOST R 34.10-2001 public key's size (RFC 5933)
	for {
		rand.Read(b)
		if k.PublicKey = base64.StdEncoding.EncodeToString(b); k.KeyTag() != 0 {
			return k
		}
	}
}

// opaqueSign fills sig as RRSIG.Sign does, for rrset, with random bytes
// for a signature: one that no validator can check.
func opaqueSign(sig *dns.RRSIG, rrset []dns.RR) {
	h := rrset[0].Header()
	sig.Hdr.Name, sig.Hdr.Rrtype, sig.Hdr.Class = h.Name, dns.TypeRRSIG, h.Class
	sig.OrigTtl, sig.TypeCovered = h.Ttl, h.Rrtype
	sig.Labels = uint8(dns.CountLabel(h.Name))
	if strings.HasPrefix(h.Name, "*.") {
		sig.Labels--
	}
	b := make([]byte, 64)
	rand.Read(b)
	sig.Signature = base64.StdEncoding.EncodeToString(b)
}
