package trace

// The fixes of DNSSEC validation's codes (issue 13 on issue 16): the DS
// records to publish or remove at the registrar, computed from the keys
// the zone serves (DNSKEY.ToDS, digest type 2, RFC 4509), in an order that
// keeps the zone validating and with the TTLs to wait; re-signing at the
// zone's signer; an algorithm roll (RFC 6781 §4.1.4, RFC 7583 §3.3).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// dnssecOf gives what validation recorded of zone, or nil.
func (d *diagnosis) dnssecOf(zone string) *DNSSEC {
	if len(d.traces) == 0 {
		return nil
	}
	return d.traces[0].DNSSECOf(canon(zone))
}

// parentOf gives the zone whose servers referred to zone: where its DS
// records are published. "" when the trace saw no referral to it.
func (d *diagnosis) parentOf(zone string) string {
	if z := d.zones[canon(zone)]; z != nil {
		return z.parent
	}
	return ""
}

// delegated gives the zone an insecure-delegation finding is about: the
// child its parent's referral (the finding's hop) proves has no DS.
func (d *diagnosis) delegated(f Finding) string {
	for _, id := range f.Hops {
		if h := d.hop(id); h != nil && h.Referral != nil {
			return canon(h.Referral.Zone)
		}
	}
	return ""
}

// fixZone is the zone a finding's fix is for: its zone, but for
// insecure-delegation, about the parent's referral, the child.
func (d *diagnosis) fixZone(f Finding) string {
	if f.Code == dnssec.CodeInsecureDelegation {
		if c := d.delegated(f); c != "" {
			return c
		}
	}
	return f.Zone
}

// sepKeys gives the keys of st that a DS should point at: the zone keys
// with the SEP flag (257), not revoked, of an algorithm validators check;
// the signers of the DNSKEY set first.
func sepKeys(st *DNSSEC) []Key {
	var out []Key
	for _, k := range st.Keys {
		if k.Flags&dns.SEP != 0 && k.Flags&dns.ZONE != 0 && k.Flags&dns.REVOKE == 0 && dnssec.Algorithm(k.Algorithm) != dnssec.Unsupported {
			out = append(out, k)
		}
	}
	signs := keySigners(st)
	slices.SortStableFunc(out, func(a, b Key) int {
		return boolRank(!slices.Contains(signs, a.KeyTag)) - boolRank(!slices.Contains(signs, b.KeyTag))
	})
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// keySigners gives the key tags of the RRSIGs over the zone's DNSKEY set,
// as its DNSKEY query got them.
func keySigners(st *DNSSEC) []uint16 {
	if st.Query == nil {
		return nil
	}
	var out []uint16
	for _, rr := range st.Query.AnswerSigs {
		if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == dns.TypeDNSKEY && !slices.Contains(out, sig.KeyTag) {
			out = append(out, sig.KeyTag)
		}
	}
	return out
}

// keyRRs gives st's keys as records.
func keyRRs(st *DNSSEC) []*dns.DNSKEY {
	out := make([]*dns.DNSKEY, len(st.Keys))
	for i, k := range st.Keys {
		out[i] = k.RR(st.Zone)
	}
	return out
}

// matches reports whether ds points at a key of st that is not revoked.
func matches(st *DNSSEC, ds DS) bool {
	k, revoked := dnssec.MatchDS(ds.RR(st.Zone), keyRRs(st))
	return k != nil && !revoked
}

// dsFor gives the DS record, digest type SHA-256 (RFC 4509), that points
// at key k of zone, with ttl.
func dsFor(zone string, k Key, ttl uint32) string {
	ds := k.RR(zone).ToDS(dns.SHA256)
	ds.Hdr.Ttl = ttl
	ds.Digest = strings.ToUpper(ds.Digest)
	return rrLine(ds)
}

// dsTTL gives the TTL the parent gives zone's DS set: the one it serves,
// or, for a zone it has none for, its NS set's.
func (d *diagnosis) dsTTL(st *DNSSEC) uint32 {
	for _, ds := range st.DS {
		if ds.TTL > 0 {
			return ds.TTL
		}
	}
	if z := d.zones[st.Zone]; z != nil && z.ref != nil && maxTTL(z.ref.NS) > 0 {
		return maxTTL(z.ref.NS)
	}
	return 86400
}

// keyTTL gives the TTL of zone's DNSKEY set, or 3600 when unknown.
func keyTTL(st *DNSSEC) uint32 {
	for _, k := range st.Keys {
		if k.TTL > 0 {
			return k.TTL
		}
	}
	return 3600
}

func tagList[T any](xs []T, tag func(T) uint16) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.Itoa(int(tag(x))))
	}
	return andList(s)
}

func dsTag(d DS) uint16   { return d.KeyTag }
func keyTag(k Key) uint16 { return k.KeyTag }

// dsChanges gives the DS records of keys to add and of old to remove, at
// parent, adds first.
func dsChanges(zone, parent string, keys []Key, ttl uint32, old []DS) []Change {
	var out []Change
	for _, k := range keys {
		out = append(out, Change{Op: OpAdd, Where: WhereRegistrar, Zone: parent, RR: dsFor(zone, k, ttl)})
	}
	for _, ds := range old {
		out = append(out, Change{Op: OpRemove, Where: WhereRegistrar, Zone: parent, RR: rrLine(ds.RR(zone))})
	}
	return out
}

// registrarKeyStep says what to give a registrar that asks for the key
// rather than the DS.
func registrarKeyStep(zone string, keys []Key) string {
	var lines []string
	for _, k := range keys {
		lines = append(lines, rrLine(k.RR(zone)))
	}
	return "if the registrar asks for the key rather than the DS, give it " + andList(lines)
}

// fixDSNoMatch: a DS matches no key of the zone — publish the DS of the key
// that signs the DNSKEY set in its place (or, for a zone not meant to be
// signed any more, remove it); or a DS matches a key that does not sign the
// DNSKEY set — sign it with that key, or publish the DS of the key that does.
func (d *diagnosis) fixDSNoMatch(f Finding) *Fix {
	st, parent := d.dnssecOf(f.Zone), d.parentOf(f.Zone)
	if st == nil || parent == "" || len(st.DS) == 0 {
		return nil
	}
	var matched, stale []DS
	for _, ds := range st.DS {
		if matches(st, ds) {
			matched = append(matched, ds)
		} else {
			stale = append(stale, ds)
		}
	}
	if len(matched) > 0 {
		return d.fixKeyNotSigning(st, parent, matched, stale)
	}
	seps := sepKeys(st)
	if len(seps) == 0 {
		return nil
	}
	ttl := d.dsTTL(st)
	replace := said(&Fix{Where: WhereRegistrar, Records: dsChanges(st.Zone, parent, seps[:1], ttl, stale),
		Evidence: fmt.Sprintf("key %d of %s has the SEP flag and signs its DNSKEY set", seps[0].KeyTag, st.Zone),
		Steps: []string{
			fmt.Sprintf("add the DS of key %d, the key-signing key (SEP, flags 257) of %s, %s; %s", seps[0].KeyTag, st.Zone, registrarText(parent), registrarKeyStep(st.Zone, seps[:1])),
			fmt.Sprintf("remove DS %s: it matches no key %s serves (a key rolled without its DS, or a DS mistyped)", tagList(stale, dsTag), st.Zone),
			fmt.Sprintf("validating resolvers that hold the old DS set keep failing %s until its TTL, %s, has passed from when %s serves the new one", st.Zone, ttlWords(ttl), parent),
		}},
		fmt.Sprintf("publish the DS of %s's key-signing key %d in place of DS %s, which matches no key of the zone", st.Zone, seps[0].KeyTag, tagList(stale, dsTag)))
	unsign := said(&Fix{Where: WhereRegistrar, Records: dsChanges(st.Zone, parent, nil, ttl, stale),
		Evidence: "if " + st.Zone + " is no longer meant to be signed",
		Steps: []string{
			fmt.Sprintf("remove DS %s %s", tagList(stale, dsTag), registrarText(parent)),
			fmt.Sprintf("wait its TTL, %s, for caches to drop it, before %s stops signing or its keys change", ttlWords(ttl), st.Zone),
			fmt.Sprintf("then %s is insecure: validators accept it unchecked; its keys and signatures can go after their TTL, %s", st.Zone, ttlWords(keyTTL(st))),
		}},
		"make "+st.Zone+" unsigned in the eyes of validators")
	return either(replace, unsign)
}

// fixKeyNotSigning: a DS points at a key, but no valid signature by it
// covers the DNSKEY set: sign the set with it, or, when another key with
// the SEP flag signs it (a KSK rolled at the zone whose DS never reached
// the registry), publish that key's DS.
func (d *diagnosis) fixKeyNotSigning(st *DNSSEC, parent string, matched, stale []DS) *Fix {
	tags := tagList(matched, dsTag)
	resign := &Fix{Where: WhereZone,
		Summary: fmt.Sprintf("sign the DNSKEY set of %s with key %s, the key the DS at %s points at: re-sign the zone at its signer", st.Zone, tags, parent),
		Steps: []string{
			fmt.Sprintf("re-sign %s with key %s: the signer needs its private half (BIND's key directory, or the provider's key store)", st.Zone, tags),
			"check the signer's clock (NTP): a signature dated by a wrong clock is expired or not yet valid",
			"reload the zone on every server, or let the secondaries transfer it",
		}}
	var rolled []Key
	for _, k := range sepKeys(st) {
		if slices.Contains(keySigners(st), k.KeyTag) && !slices.ContainsFunc(matched, func(ds DS) bool { return ds.KeyTag == k.KeyTag }) {
			rolled = append(rolled, k)
		}
	}
	if len(rolled) == 0 {
		return resign
	}
	ttl := d.dsTTL(st)
	publish := said(&Fix{Where: WhereRegistrar, Records: dsChanges(st.Zone, parent, rolled[:1], ttl, append(slices.Clone(matched), stale...)),
		Evidence: fmt.Sprintf("key %d signs the DNSKEY set, and no DS points at it: the key-signing key was rolled at the zone, and its DS never reached %s", rolled[0].KeyTag, parent),
		Steps: []string{
			fmt.Sprintf("add the DS of key %d %s; %s", rolled[0].KeyTag, registrarText(parent), registrarKeyStep(st.Zone, rolled[:1])),
			fmt.Sprintf("remove DS %s once the new one is served, and keep key %s in the DNSKEY set until its TTL, %s, has passed", tags, tags, ttlWords(ttl)),
		}},
		fmt.Sprintf("publish the DS of key %d, which signs %s's DNSKEY set, in place of DS %s", rolled[0].KeyTag, st.Zone, tags))
	return either(resign, publish)
}

// fixDNSKEYMissing: the parent publishes DS records, the zone serves no
// keys — remove the DS (the zone is not signed any more), or sign the
// zone again with the key the DS points at.
func (d *diagnosis) fixDNSKEYMissing(f Finding) *Fix {
	st, parent := d.dnssecOf(f.Zone), d.parentOf(f.Zone)
	if st == nil || parent == "" || len(st.DS) == 0 {
		return nil
	}
	ttl, tags := d.dsTTL(st), tagList(st.DS, dsTag)
	remove := said(&Fix{Where: WhereRegistrar, Records: dsChanges(st.Zone, parent, nil, ttl, st.DS),
		Evidence: st.Zone + " serves no DNSKEY records: its servers serve it unsigned (a move to a provider that does not sign, the DS left behind)",
		Steps: []string{
			fmt.Sprintf("remove DS %s %s", tags, registrarText(parent)),
			fmt.Sprintf("validating resolvers that hold the DS keep failing %s until its TTL, %s, has passed from when %s stops serving it", st.Zone, ttlWords(ttl), parent),
			fmt.Sprintf("%s is then insecure; to sign it again, sign it first and publish the new DS after", st.Zone),
		}},
		fmt.Sprintf("remove the DS of %s, which is not signed", st.Zone))
	resign := &Fix{Where: WhereZone, Evidence: "if " + st.Zone + " is meant to be signed",
		Summary: fmt.Sprintf("sign %s again at its servers with key %s, the key the DS points at, or sign it with new keys and publish their DS in place of DS %s", st.Zone, tags, tags)}
	return either(remove, resign)
}

// resignWords says, for each code of a zone's signatures, what is wrong
// and the steps beyond re-signing.
var resignWords = map[string]struct{ what, why string }{
	dnssec.CodeRRSIGExpired:     {"its signatures have expired", "find why re-signing stopped: the signer lost its keys, its job or service stopped, or a secondary no longer transfers the zone and serves an old copy; check the signer's clock (NTP)"},
	dnssec.CodeRRSIGNotYetValid: {"its signatures start in the future", "set the signer's clock right (NTP) first: it runs ahead"},
	dnssec.CodeRRSIGExpiresSoon: {"its signatures expire within days", "check that re-signing runs by itself (BIND's dnssec-policy re-signs well before expiry; a cron job of dnssec-signzone may have stopped)"},
	dnssec.CodeRRSIGMissing:     {"records are served without their signatures", "sign the whole zone (a record added after signing, or a signer that skips some names); check that every server serves the signed copy, not an unsigned one"},
	dnssec.CodeSignatureInvalid: {"a signature does not verify: the records changed after they were signed, or a server alters them", "change the zone through the signer only (BIND's inline-signing, dnssec-policy), never the signed file by hand"},
	dnssec.CodeNSECProofInvalid: {"a proof that a name or type does not exist fails: its NSEC or NSEC3 chain does not match the records", "rebuild the chain: sign the whole zone again (dnssec-signzone, or rndc sign), not just the records that changed"},
}

// fixResign: a zone's signatures or proofs are wrong: re-sign the zone at
// its signer and serve the new copy everywhere.
func (d *diagnosis) fixResign(f Finding) *Fix {
	w, ok := resignWords[f.Code]
	if !ok {
		return nil
	}
	if fix := d.oddServer(f); fix != nil {
		return fix
	}
	return &Fix{Where: WhereZone, Summary: fmt.Sprintf("re-sign %s at its signer: %s", f.Zone, w.what),
		Steps: []string{w.why, fmt.Sprintf("re-sign %s and reload it on every server, or let the secondaries transfer it", f.Zone)}}
}

// oddServer gives, for a finding that names its server in a zone whose
// servers disagree (dnssec-inconsistent), the fix of that server: serve
// the signed copy the others serve. nil otherwise.
func (d *diagnosis) oddServer(f Finding) *Fix {
	if f.Server == nil || !slices.ContainsFunc(d.out, func(o Finding) bool {
		return o.Code == dnssec.CodeDNSSECInconsistent && o.Zone == f.Zone
	}) {
		return nil
	}
	who := serverText(*f.Server)
	return &Fix{Where: serverPlace(f.Zone, serverName(f)), Server: f.Server,
		Summary: fmt.Sprintf("make %s serve %s signed, as the zone's other servers do: if it is a second provider, it must sign too, with its keys in the zone's one DNSKEY set (RFC 8901), or take the signed zone by transfer", who, f.Zone)}
}

// fixBogusAnswer: the answer fails for what another finding of its zone
// says: that finding's fix; a server alone serving it: that server's.
func (d *diagnosis) fixBogusAnswer(f Finding) *Fix {
	if fix := d.oddServer(f); fix != nil {
		return fix
	}
	for _, o := range d.out {
		if o.Zone != f.Zone || o.Severity != SeverityError {
			continue
		}
		if fix := d.causeFix(o); fix != nil {
			out := *fix
			out.Summary = "validating resolvers fail the answer because of " + o.Code + ": " + fix.Summary
			return &out
		}
	}
	return &Fix{Where: WhereZone, Summary: fmt.Sprintf("re-sign %s at its signer and reload it on every server: the answer's signatures or proofs fail", f.Zone)}
}

// causeFix gives the fix of o when it is a DNSSEC finding that makes its
// zone's answers fail, else nil.
func (d *diagnosis) causeFix(o Finding) *Fix {
	switch o.Code {
	case dnssec.CodeDSNoMatchingDNSKEY:
		return d.fixDSNoMatch(o)
	case dnssec.CodeDNSKEYMissing:
		return d.fixDNSKEYMissing(o)
	}
	if _, ok := resignWords[o.Code]; ok {
		return d.fixResign(o)
	}
	return nil
}

// fixInconsistent: the servers of a zone answer differently signed: the
// odd ones (unsigned, or signed by keys fewer servers use) are to serve
// what the others do.
func (d *diagnosis) fixInconsistent(f Finding) *Fix {
	by, order := d.hopsBy(f.Hops, signedBy)
	if len(order) < 2 {
		return nil
	}
	odd := order[0]
	for _, k := range order {
		if k == "" || (by[odd] != nil && odd != "" && len(by[k]) < len(by[odd])) {
			odd = k
		}
	}
	h := by[odd][0]
	srv := &Server{Name: h.Server.Name, Addr: h.Server.Addr}
	var groups []string
	for _, k := range order {
		how := "unsigned"
		if k != "" {
			how = "signed by key " + k
		}
		groups = append(groups, serversText(by[k])+": "+how)
	}
	what := "an unsigned copy"
	if odd != "" {
		what = "a copy signed by key " + odd
	}
	return &Fix{Where: serverPlace(f.Zone, srv.Name), Server: srv, Evidence: strings.Join(groups, "; "),
		Summary: fmt.Sprintf("make %s serve %s as the zone's other servers do: it serves %s; a second provider must sign with its keys in the zone's one DNSKEY set (RFC 8901), or serve the signed zone by transfer", serversText(by[odd]), f.Zone, what)}
}

// signedBy gives the key tags that sign h's answer, "" when unsigned.
func signedBy(h *Hop) string {
	var tags []string
	for _, rr := range h.AnswerSigs {
		if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == h.Question.Qtype {
			tags = append(tags, strconv.Itoa(int(sig.KeyTag)))
		}
	}
	slices.Sort(tags)
	return strings.Join(slices.Compact(tags), ", ")
}

// fixInsecureDelegation: a signed parent proves its child has no DS: the
// child's DS to publish, when it is signed already (an island), or to sign
// it first.
func (d *diagnosis) fixInsecureDelegation(f Finding) *Fix {
	child := d.delegated(f)
	if child == "" {
		return nil
	}
	st := d.dnssecOf(child)
	if st != nil && len(sepKeys(st)) > 0 {
		seps := sepKeys(st)[:1]
		return said(&Fix{Where: WhereRegistrar, Records: dsChanges(child, f.Zone, seps, d.dsTTL(st), nil),
			Steps: []string{
				fmt.Sprintf("check that every server of %s serves it signed with key %d (nstrace %s --all), or validators will fail it once the DS is published", child, seps[0].KeyTag, child),
				fmt.Sprintf("add the DS %s; %s", registrarText(f.Zone), registrarKeyStep(child, seps)),
				"from then on a change of the key-signing key needs the DS changed too, in the order RFC 7583 gives",
			}},
			fmt.Sprintf("to have validators check %s, which is signed, publish the DS of its key-signing key %d", child, seps[0].KeyTag))
	}
	return &Fix{Where: WhereZone,
		Summary: fmt.Sprintf("to have validators check %s, sign it, then publish the DS of its key-signing key %s", child, registrarText(f.Zone)),
		Steps: []string{
			fmt.Sprintf("sign %s at its DNS provider, or with BIND's dnssec-policy", child),
			"wait until every server serves it signed",
			fmt.Sprintf("publish the DS of its key-signing key %s: nstrace %s gives the record once the zone is signed", registrarText(f.Zone), child),
		}}
}

// fixAlgorithmRoll: a zone signed with an algorithm validators do not
// support, or that RFC 8624 says not to sign with: roll to
// ECDSAP256SHA256, both algorithms signing until the new DS is in caches
// (RFC 6781 §4.1.4, RFC 7583 §3.3).
func (d *diagnosis) fixAlgorithmRoll(f Finding) *Fix {
	st, parent := d.dnssecOf(f.Zone), d.parentOf(f.Zone)
	if st == nil || parent == "" {
		return nil
	}
	var old []DS
	for _, ds := range st.DS {
		if dnssec.Algorithm(ds.Algorithm) != dnssec.Validated {
			old = append(old, ds)
		}
	}
	a := weakAlgorithm(st)
	alg := "algorithm " + strconv.Itoa(int(a))
	if dns.AlgorithmToString[a] != "" {
		alg = dns.AlgorithmToString[a] + " (" + strconv.Itoa(int(a)) + ")"
	}
	why := "validators do not support " + alg + " and treat " + f.Zone + " as unsigned"
	if f.Code == dnssec.CodeDeprecatedAlg {
		why = "RFC 8624 says not to sign with " + alg + " any more"
	}
	fix := &Fix{Where: WhereZone, Records: dsChanges(f.Zone, parent, nil, d.dsTTL(st), old),
		Summary: fmt.Sprintf("roll %s to ECDSAP256SHA256 (13): %s", f.Zone, why),
		Steps: []string{
			"add a KSK and a ZSK of ECDSAP256SHA256 (13) and sign every RRset with both algorithms (BIND's dnssec-policy rolls the algorithm by itself when its policy changes)",
			fmt.Sprintf("wait until the new signatures are in caches: the zone's largest TTL, the DNSKEY TTL %s at least", ttlWords(keyTTL(st))),
			fmt.Sprintf("publish the DS of the new KSK %s", registrarText(parent)),
		}}
	if len(old) > 0 {
		fix.Steps = append(fix.Steps, fmt.Sprintf("remove DS %s (the records) and wait its TTL, %s", tagList(old, dsTag), ttlWords(d.dsTTL(st))))
	}
	fix.Steps = append(fix.Steps, fmt.Sprintf("remove the old keys, then, after the DNSKEY TTL, %s, their signatures", ttlWords(keyTTL(st))))
	return fix
}

// weakAlgorithm gives the algorithm of an algorithm finding: the first of
// st's DS records or keys that validators do not fully support.
func weakAlgorithm(st *DNSSEC) uint8 {
	for _, ds := range st.DS {
		if dnssec.Algorithm(ds.Algorithm) != dnssec.Validated {
			return ds.Algorithm
		}
	}
	for _, k := range st.Keys {
		if dnssec.Algorithm(k.Algorithm) != dnssec.Validated {
			return k.Algorithm
		}
	}
	return 0
}

// fixSHA1Digest: only SHA-1 DS records: add SHA-256 ones of the same keys,
// then remove the SHA-1 ones.
func (d *diagnosis) fixSHA1Digest(f Finding) *Fix {
	st, parent := d.dnssecOf(f.Zone), d.parentOf(f.Zone)
	if st == nil || parent == "" {
		return nil
	}
	var keys []Key
	for _, ds := range st.DS {
		for _, k := range st.Keys {
			if k.KeyTag == ds.KeyTag && matches(st, ds) && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	ttl := d.dsTTL(st)
	return said(&Fix{Where: WhereRegistrar, Records: dsChanges(f.Zone, parent, keys, ttl, st.DS),
		Steps: []string{
			fmt.Sprintf("add the SHA-256 (digest type 2) DS of key %s %s", tagList(keys, keyTag), registrarText(parent)),
			fmt.Sprintf("wait its TTL, %s, then remove the SHA-1 DS records", ttlWords(ttl)),
		}},
		fmt.Sprintf("publish SHA-256 DS records of %s's keys in place of the SHA-1 ones (RFC 8624 §3.3)", f.Zone))
}

// fixRevokedDS: a DS points at a revoked key: remove it.
func (d *diagnosis) fixRevokedDS(f Finding) *Fix {
	st, parent := d.dnssecOf(f.Zone), d.parentOf(f.Zone)
	if st == nil || parent == "" {
		return nil
	}
	var revoked []DS
	for _, ds := range st.DS {
		if k, rev := dnssec.MatchDS(ds.RR(st.Zone), keyRRs(st)); k != nil && rev {
			revoked = append(revoked, ds)
		}
	}
	if len(revoked) == 0 {
		return nil
	}
	return said(&Fix{Where: WhereRegistrar, Records: dsChanges(f.Zone, parent, nil, d.dsTTL(st), revoked)},
		fmt.Sprintf("remove DS %s, which points at a revoked key (RFC 5011): the zone's other DS records hold the chain", tagList(revoked, dsTag)))
}

// fixNSEC3Params: NSEC3 with iterations or a salt: RFC 9276's 0 and none.
func (d *diagnosis) fixNSEC3Params(f Finding) *Fix {
	return &Fix{Where: WhereZone,
		Summary: fmt.Sprintf("sign %s with NSEC3 of 0 extra iterations and no salt (RFC 9276): BIND's dnssec-policy \"nsec3param iterations 0 optout no salt-length 0;\", or rndc signing -nsec3param 1 0 0 - %s", f.Zone, f.Zone)}
}

// fixAlgorithmNotSigning: an algorithm of the DS or DNSKEY set signs
// nothing: sign with it too, or take its keys and DS out.
func (d *diagnosis) fixAlgorithmNotSigning(f Finding) *Fix {
	return &Fix{Where: WhereZone,
		Summary: fmt.Sprintf("sign %s with every algorithm of its DNSKEY set and DS records, or remove the keys and DS records of the algorithm that signs nothing (RFC 6840 §5.11): its DS first, then, after the DS TTL, its keys", f.Zone)}
}

// fixCDS: CDS or CDNSKEY records a parent cannot use.
func (d *diagnosis) fixCDS(f Finding) *Fix {
	return &Fix{Where: WhereZone,
		Summary: fmt.Sprintf("publish in %s CDS and CDNSKEY records that agree with each other and with its keys, signed by a key a DS points at (RFC 7344), or remove them; a delete request is \"CDS 0 0 0 00\" (RFC 8078)", f.Zone)}
}
