package lab

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// signLine is a sign directive of lab.conf.
type signLine struct {
	line int
	zone string
	opts SignOptions
}

// parseSignLine parses "sign ZONE [OPTION...]", the options in any order:
//
//	ALGORITHM       a mnemonic or number: ecdsap256sha256 (13, the default),
//	                ecdsap384sha384, ed25519, rsasha256, rsasha512, rsasha1, ...
//	csk             one key signs everything, instead of a KSK and a ZSK
//	nsec3           an NSEC3 chain instead of NSEC; with iterations=N,
//	                salt=HEX and optout
//	FAULT           a SignFault: wrong-ds, expired-signatures, not-yet-valid,
//	                missing-rrsig, bad-signature, unsigned-with-ds,
//	                expires-soon, no-ds
//	seed=WORD       keys made from WORD, the same every run (not RSA)
//	start=TIME      with end=TIME, the signatures' validity period, as
//	                dnssec-signzone -s and -e take it: YYYYMMDDHHMMSS, UTC
//
// Keys are made when the scenario is parsed, unless the scenario holds
// them as BIND's key files (K<zone>+<alg>+<tag>.key and .private, as
// Signed.KeyFiles writes them) or a seed makes them; the signatures are
// valid from an hour before for 30 days, or from start to end. A signed
// zone's DS goes to its parent zone, unless the parent's zone file has DS
// records for it already. With a seed (or key files), a start and an end,
// the zone is signed the same every run.
func parseSignLine(args []string) (signLine, error) {
	if len(args) == 0 {
		return signLine{}, errors.New("sign needs a zone")
	}
	l := signLine{}
	var err error
	if l.zone, err = zoneName(args[0]); err != nil {
		return l, err
	}
	for _, a := range args[1:] {
		if err := l.opts.set(strings.ToLower(a)); err != nil {
			return l, err
		}
	}
	if (l.opts.Iterations > 0 || l.opts.Salt != "" || l.opts.OptOut) && !l.opts.NSEC3 {
		return l, errors.New("sign: iterations, salt and optout need nsec3")
	}
	if l.opts.Inception.IsZero() != l.opts.Expiration.IsZero() {
		return l, errors.New("sign: start and end go together")
	}
	if !l.opts.Inception.IsZero() && !l.opts.Inception.Before(l.opts.Expiration) {
		return l, errors.New("sign: start is not before end")
	}
	return l, nil
}

func zoneName(s string) (string, error) {
	if _, ok := dns.IsDomainName(s); !ok {
		return "", fmt.Errorf("bad zone name %q", s)
	}
	return dns.CanonicalName(s), nil
}

// set applies one option of a sign directive.
func (o *SignOptions) set(a string) error {
	key, val, hasVal := strings.Cut(a, "=")
	switch {
	case a == "csk":
		o.CSK = true
	case a == "nsec3":
		o.NSEC3 = true
	case a == "optout":
		o.OptOut = true
	case key == "iterations" && hasVal:
		n, err := strconv.ParseUint(val, 10, 16)
		if err != nil {
			return fmt.Errorf("sign: bad iterations %q", val)
		}
		o.Iterations = uint16(n)
	case key == "seed" && hasVal && val != "":
		o.Seed = val
	case (key == "start" || key == "end") && hasVal:
		t, err := time.Parse("20060102150405", val)
		if err != nil {
			return fmt.Errorf("sign: bad %s %q (YYYYMMDDHHMMSS)", key, val)
		}
		if key == "start" {
			o.Inception = t
		} else {
			o.Expiration = t
		}
	case key == "salt" && hasVal:
		if val == "-" {
			o.Salt = ""
			break
		}
		if val == "" || len(val)%2 != 0 || len(val) > 510 || strings.Trim(val, "0123456789abcdef") != "" {
			return fmt.Errorf("sign: bad salt %q (hex, or - for none)", val)
		}
		o.Salt = strings.ToUpper(val)
	case slices.Contains(SignFaults, SignFault(a)):
		o.Faults = append(o.Faults, SignFault(a))
	default:
		alg, ok := dns.StringToAlgorithm[strings.ToUpper(a)]
		if n, err := strconv.ParseUint(a, 10, 8); err == nil {
			alg, ok = uint8(n), dns.AlgorithmToString[uint8(n)] != ""
		}
		if !ok || o.Algorithm != 0 {
			return fmt.Errorf("sign: unknown option %q (an algorithm, csk, nsec3, iterations=N, salt=HEX, optout, seed=WORD, start=TIME, end=TIME, or a fault: %s)", a, signFaultWords())
		}
		o.Algorithm = alg
	}
	return nil
}

func signFaultWords() string {
	var w []string
	for _, f := range SignFaults {
		w = append(w, string(f))
	}
	return strings.Join(w, ", ")
}

// signZones signs the zones the sign directives name, from the deepest
// up, and adds to each its DNSKEY and NSEC3PARAM records and, in its
// parent, its DS. The signatures and NSEC or NSEC3 chains are kept apart,
// in s.signed, until the servers serve them.
func (s *Scenario) signZones(lines []signLine, files map[string][]byte) error {
	if len(lines) == 0 {
		return nil
	}
	opts := map[string]SignOptions{}
	for _, l := range lines {
		switch cs := s.copies(l.zone); {
		case len(cs) == 0:
			return fmt.Errorf("%s:%d: sign: no zone %s", ManifestName, l.line, l.zone)
		case len(cs) > 1:
			return fmt.Errorf("%s:%d: sign: zone %s has %d copies; a signed zone has one", ManifestName, l.line, l.zone, len(cs))
		}
		if _, dup := opts[l.zone]; dup {
			return fmt.Errorf("%s:%d: sign: zone %s is signed twice", ManifestName, l.line, l.zone)
		}
		keys, err := keysOf(l.zone, files)
		if err != nil {
			return err
		}
		l.opts.Keys = keys
		opts[l.zone] = l.opts
	}
	zones := map[string][]dns.RR{}
	for _, z := range s.zones {
		if _, ok := zones[z.origin]; ok {
			continue // a zone with copies: none is signed
		}
		for _, rrs := range z.rrs {
			zones[z.origin] = append(zones[z.origin], rrs...)
		}
	}
	signed, err := SignTree(zones, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", ManifestName, err)
	}
	for origin, sz := range signed {
		z := s.copies(origin)[0]
		if len(sz.Keys) > 0 && !slices.Contains(sz.Records, dns.RR(sz.Keys[0])) {
			continue // unsigned-with-ds: served unsigned
		}
		z.dnssec = newSignedZone(sz)
		if z.dnssec.nsec3 == nil && len(z.dnssec.sigs[sigKey{origin, dns.TypeNSEC}]) == 0 {
			// BIND serves a zone as signed only when its apex has a DNSKEY
			// and a signed NSEC or an NSEC3PARAM (rbtdb's iszonesecure);
			// else it adds no RRSIG and no proof, even to DNSKEY.
			z.dnssec = nil
		}
		for _, rr := range sz.Records {
			switch rr.Header().Rrtype {
			case dns.TypeDNSKEY, dns.TypeDS, dns.TypeNSEC3PARAM:
				name := rr.Header().Name
				if slices.ContainsFunc(z.rrs[name], func(o dns.RR) bool { return dns.IsDuplicate(o, rr) }) {
					continue // a DS of the zone file's
				}
				z.rrs[name] = append(z.rrs[name], rr)
				z.addName(name)
			}
		}
	}
	s.signed = signed
	return nil
}

// Signed is the zone origin as a sign directive signed it, or nil when
// none does.
func (s *Scenario) Signed(origin string) *Signed { return s.signed[dns.CanonicalName(origin)] }

// Anchors is the lab's trust anchor: the root zone's DS records when a
// sign directive signs the root, or nil.
func (s *Scenario) Anchors() []dns.RR {
	sz := s.Signed(".")
	if sz == nil {
		return nil
	}
	out := make([]dns.RR, len(sz.DS))
	for i, d := range sz.DS {
		out[i] = dns.Copy(d)
	}
	return out
}
