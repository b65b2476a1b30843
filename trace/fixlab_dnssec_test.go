package trace_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// pin writes into the lab the keys its signed zones were given when it
// loaded, as key files, and each signed zone's DS records into its
// parent's zone file, as the registry holds them: every load then signs
// with the same keys, so a DS a fix computes from one trace holds for the
// next, and the DS records a fix adds or removes are in a file. wrong-ds
// is then that file's DS, and each sign line says no-ds: the lab adds no
// DS of its own, even when a fix removes the file's.
func (l *fixLab) pin(t *testing.T) {
	t.Helper()
	s, err := lab.Parse(l.name, l.files)
	if err != nil {
		t.Fatal(err)
	}
	zones := s.Zones()
	for _, z := range zones {
		sz := s.Signed(z)
		if sz == nil {
			continue
		}
		if sz.Keys[0].Algorithm != dns.ECCGOST { // random bytes, which no key file holds
			maps.Copy(l.files, sz.KeyFiles())
		}
		if z == "." {
			continue
		}
		parent := ""
		for _, p := range zones {
			if p != z && dns.IsSubDomain(p, z) && (parent == "" || dns.CountLabel(p) > dns.CountLabel(parent)) {
				parent = p
			}
		}
		if l.hasDS(t, parent, z) {
			continue // the scenario gives what the parent publishes
		}
		for _, ds := range sz.DS {
			l.change(t, trace.Change{Op: trace.OpAdd, Zone: parent, RR: ds.String()})
		}
	}
	for _, z := range zones {
		l.signLine(z, func(opts []string) []string {
			if opts == nil || z == "." { // the root's DS is the lab's anchor
				return nil
			}
			opts = slices.DeleteFunc(opts, func(o string) bool { return o == string(lab.SignWrongDS) || o == string(lab.SignNoDS) })
			return append(opts, string(lab.SignNoDS)) // the parent's file has its DS
		})
	}
}

// hasDS reports whether the zone parent holds DS records of name.
func (l *fixLab) hasDS(t *testing.T, parent, name string) bool {
	for _, f := range l.zoneFiles(parent) {
		for _, rr := range parseZone(t, f, l.files[f], origin(f, l.files[f])) {
			if rr.Header().Rrtype == dns.TypeDS && dns.CanonicalName(rr.Header().Name) == dns.CanonicalName(name) {
				return true
			}
		}
	}
	return false
}

// signLine edits the options of zone's sign line in lab.conf with edit;
// for a zone without one, edit gets nil and a line is added when it gives
// any option or a non-nil slice.
func (l *fixLab) signLine(zone string, edit func([]string) []string) {
	zone = dns.CanonicalName(zone)
	lines := strings.Split(string(l.files[lab.ManifestName]), "\n")
	found := false
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "sign" && dns.CanonicalName(f[1]) == zone {
			found = true
			lines[i] = strings.Join(append([]string{"sign", zone}, edit(f[2:])...), " ")
		}
	}
	if !found {
		if opts := edit(nil); opts != nil {
			lines = append(lines, strings.Join(append([]string{"sign", zone}, opts...), " "))
		}
	}
	l.files[lab.ManifestName] = []byte(strings.Join(lines, "\n") + "\n")
}

// dropKeys removes zone's key files: its signer makes new keys.
func (l *fixLab) dropKeys(zone string) {
	prefix := "K" + dns.CanonicalName(zone) + "+"
	maps.DeleteFunc(l.files, func(name string, _ []byte) bool { return strings.HasPrefix(name, prefix) })
}

// signFaults are the sign options that break a zone's signing.
var signFaults = []string{
	string(lab.SignExpired), string(lab.SignNotYetValid), string(lab.SignMissingRRSIG), string(lab.SignBadSignature),
	string(lab.SignUnsignedWithDS), string(lab.SignExpiresSoon), string(lab.SignBadNSEC),
}

// resign plays zone's signer, as a fix at the zone (with no record to
// change) asks of the finding's code: it signs the zone again, right
// (re-signing drops the sign faults; an unsigned zone gets signed, and its
// DS published); rolls it to ECDSAP256SHA256 with new keys, their DS
// published (the algorithm codes); or signs it
// with NSEC3 of no iterations and no salt (the NSEC3 codes); or takes the
// CDS and CDNSKEY records out of its file (cds-mismatch).
func (l *fixLab) resign(code, zone string) {
	switch code {
	case dnssec.CodeDeprecatedAlg, dnssec.CodeUnsupportedAlg:
		// New keys, and their DS published (the lab's own: no-ds goes).
		l.dropKeys(zone)
		l.signLine(zone, func(opts []string) []string {
			return append([]string{}, slices.DeleteFunc(opts, func(o string) bool {
				_, isAlg := dns.StringToAlgorithm[strings.ToUpper(o)]
				return isAlg || o == "csk" || o == string(lab.SignNoDS)
			})...)
		})
	case dnssec.CodeCDSMismatch:
		// The fix's other way: take the CDS and CDNSKEY records out.
		for _, f := range l.zoneFiles(zone) {
			var kept []string
			for _, line := range strings.Split(string(l.files[f]), "\n") {
				if fs := strings.Fields(line); !slices.Contains(fs, "CDS") && !slices.Contains(fs, "CDNSKEY") {
					kept = append(kept, line)
				}
			}
			l.files[f] = []byte(strings.Join(kept, "\n"))
		}
	case dnssec.CodeNSEC3Parameters, dnssec.CodeNSEC3Insecure:
		l.signLine(zone, func(opts []string) []string {
			return slices.DeleteFunc(opts, func(o string) bool {
				return strings.HasPrefix(o, "iterations=") || strings.HasPrefix(o, "salt=")
			})
		})
	default:
		l.signLine(zone, func(opts []string) []string {
			return append([]string{}, slices.DeleteFunc(opts, func(o string) bool { return slices.Contains(signFaults, o) })...)
		})
	}
}

// signerZone gives the zone whose signer a fix of f at the zone is for:
// f's zone, or, for insecure-delegation, the child the finding's referral
// leads to.
func signerZone(tr *trace.Trace, f trace.Finding) string {
	if f.Code != dnssec.CodeInsecureDelegation {
		return f.Zone
	}
	var child string
	tr.Walk(func(h *trace.Hop) {
		if slices.Contains(f.Hops, h.ID) && h.Referral != nil {
			child = h.Referral.Zone
		}
	})
	return child
}

// isDNSSEC reports whether code is one of DNSSEC validation's.
func isDNSSEC(code string) bool { return slices.Contains(dnssec.Codes(), code) }

// dnssecFixCases are the lab scenarios of the DNSSEC codes; pinned keys
// and DS records (pin) make them repeatable.
var dnssecFixCases = []fixCase{
	{dnssec.CodeDSNoMatchingDNSKEY, "dnssec", "www.wrongds.com", dns.TypeA, resolver.Options{}, "", trace.WhereRegistrar, "wrongds.com. 3600 IN DS"},
	{dnssec.CodeDSNoMatchingDNSKEY, "dnssec", "www.expired.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "re-sign the zone"},
	{dnssec.CodeDNSKEYMissing, "dnssec", "www.nokeys.com", dns.TypeA, resolver.Options{}, "", trace.WhereRegistrar, "nokeys.com. 3600 IN DS"},
	{dnssec.CodeRRSIGMissing, "dnssec", "www.nosig.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "re-sign nosig.com."},
	{dnssec.CodeRRSIGExpired, "dnssec", "www.expired.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "clock"},
	{dnssec.CodeRRSIGNotYetValid, "dnssec", "www.notyet.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "clock"},
	{dnssec.CodeSignatureInvalid, "dnssec", "www.badsig.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "re-sign badsig.com."},
	{dnssec.CodeBogusAnswer, "dnssec", "www.wrongds.com", dns.TypeA, resolver.Options{}, "", trace.WhereRegistrar, "ds-no-matching-dnskey"},
	{dnssec.CodeInsecureDelegation, "dnssec", "www.insecure.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "sign it"},
	{dnssec.CodeDeprecatedAlg, "dnssec", "www.sha1.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "RFC 8624"},
	{dnssec.CodeNSECProofInvalid, "dnssec", "www.badnsec.com", dns.TypeMX, resolver.Options{}, "", trace.WhereZone, "re-sign badnsec.com."},
	{dnssec.CodeUnsupportedAlg, "dnssec", "www.gost.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "ECC-GOST (12)"},
	{dnssec.CodeNSEC3Parameters, "dnssec", "nope.salted.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "RFC 9276"},
	{dnssec.CodeDNSSECInconsistent, "dnssec-split", "www.example.com", dns.TypeA, resolver.Options{}, "", trace.WhereServer, "ns2.example.com."},
	{dnssec.CodeRRSIGExpiresSoon, "dnssec-fix", "www.soon.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "re-sign soon.com."},
	{dnssec.CodeInsecureDelegation, "dnssec-fix", "www.island.com", dns.TypeA, resolver.Options{}, "", trace.WhereRegistrar, "island.com. 172800 IN DS"},
	{dnssec.CodeUnsupportedAlg, "dnssec-fix", "www.ed448.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "ed448.com. 172800 IN DS 4242 16 2"},
	{dnssec.CodeDSDigestSHA1Only, "dnssec-fix", "www.sha1ds.com", dns.TypeA, resolver.Options{}, "", trace.WhereRegistrar, "sha1ds.com. 3600 IN DS 20135 13 2"},
	{dnssec.CodeNSEC3Insecure, "dnssec-fix", "nope.many.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "RFC 9276"},
	{dnssec.CodeCDSMismatch, "dnssec-fix", "www.cdsstray.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "RFC 7344"},
	{dnssec.CodeCDSMismatch, "dnssec-fix", "www.cdsdel.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone, "RFC 8078"},
}
