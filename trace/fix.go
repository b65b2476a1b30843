package trace

// Fix advice (issue 16): for each finding, where to act and the records to
// add or remove there, in zone-file syntax, with the names, addresses and
// TTLs the trace learned. Each code's advice is one function of the
// finding and what the diagnosis gathered from the trace, listed in
// fixers; the fix_*.go files hold them.

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"golang.org/x/net/publicsuffix"
)

// Where says where a fix is made.
type Where string

// The places a fix is made.
const (
	// WhereRegistrar is the parent zone: for a registered domain, the
	// registry of its TLD, reached through the registrar; for a zone
	// below one, the parent zone's own file. The delegation (NS) and the
	// glue are made there.
	WhereRegistrar Where = "registrar"
	// WhereZone is the domain's own zone: its zone file, or its DNS
	// provider's console.
	WhereZone Where = "zone"
	// WhereServer is the configuration of a nameserver the domain's owner
	// runs: the zones it loads, what it allows.
	WhereServer Where = "server"
	// WhereOperator is something only the operator of a server or zone
	// the domain's owner does not run can do: a DNS provider, a registry.
	WhereOperator Where = "operator"
)

// Op says what a Change does with its record.
type Op string

// The operations of a Change.
const (
	OpAdd    Op = "add"
	OpRemove Op = "remove"
)

// Change is one record to add to, or remove from, one zone. A record's TTL
// is not part of what it is (RFC 2181 §5.2): to change a TTL, remove the
// record and add it with the new one.
type Change struct {
	Op Op
	// Where is the place of the zone: WhereRegistrar for the parent's
	// copy of a delegation (its NS and glue), WhereZone for the domain's
	// own zones, WhereOperator for the zone of someone else (a provider's
	// nameserver names).
	Where Where
	Zone  string // the zone whose data holds the record, e.g. "com." for glue
	// RR is the record in zone-file syntax, on one line, names fully
	// qualified: "ns1.example.com. 172800 IN A 192.0.2.53".
	RR string
}

// Fix says how to repair what a finding reports: where, the records, and,
// when their order matters, the steps with the waits between them. Every
// name, address and TTL in it comes from the trace. When the right repair
// depends on what the domain's owner means (which NS set is the one they
// want), Fix is the way the trace's evidence favours and Or the others,
// each with its evidence.
type Fix struct {
	Where Where
	// Summary says what to do, in one line: "add glue: ns1.example.com.
	// A 192.0.2.53".
	Summary string
	// Records are the records to add and remove, in the order to make the
	// changes; none when the trace does not know them (an address it never
	// learned) or nothing in zone data is to change (a server's
	// configuration).
	Records []Change
	// Steps are what to do in order, with how long to wait between them
	// (the TTLs that caches hold the old data for), when the order matters
	// or the records do not say it all; nil otherwise.
	Steps []string
	// Server is the server whose configuration is to change, for a fix
	// of one server's (WhereServer, WhereOperator); nil otherwise.
	Server *Server
	// Evidence is what in the trace speaks for this way, when there is
	// more than one.
	Evidence string
	// Or are the other ways, each with its Evidence; nil when there is one.
	Or []Fix
}

// fixers gives each code's fix: a function of the finding and what the
// diagnosis gathered, which returns nil when the trace does not say enough.
// A new code adds its function here (TestFixers checks that every code has
// one, or a line in noFix saying why not).
var fixers = map[string]func(*diagnosis, Finding) *Fix{
	CodeMissingGlue:          (*diagnosis).fixMissingGlue,
	CodeLameServer:           (*diagnosis).fixLame,
	CodeUnreachableServer:    (*diagnosis).fixUnreachable,
	CodeAllServersFailed:     (*diagnosis).fixAllFailed,
	CodeCircularDelegation:   (*diagnosis).fixCircular,
	CodeNSIsCNAME:            (*diagnosis).fixNSIsCNAME,
	CodeNSIsAddress:          (*diagnosis).fixNSIsAddress,
	CodeNSUnresolvable:       (*diagnosis).fixUnresolvable,
	CodeTCPFailed:            (*diagnosis).fixTCP,
	CodeNSMismatch:           (*diagnosis).fixNSMismatch,
	CodeSingleNameserver:     (*diagnosis).fixSingle,
	CodeNotDiverse:           (*diagnosis).fixNotDiverse,
	CodeGlueMismatch:         (*diagnosis).fixGlueMismatch,
	CodeGlueIncomplete:       (*diagnosis).fixGlueIncomplete,
	CodePrivateAddress:       (*diagnosis).fixPrivate,
	CodeNSTTLMismatch:        (*diagnosis).fixNSTTLMismatch,
	CodeLongNSTTL:            (*diagnosis).fixLongNSTTL,
	CodeSlowServer:           (*diagnosis).fixSlow,
	CodeOutOfBailiwickGlue:   (*diagnosis).fixOutOfBailiwick,
	CodeUpwardReferral:       (*diagnosis).fixReferral,
	CodeReferralLoop:         (*diagnosis).fixReferral,
	CodeSidewaysReferral:     (*diagnosis).fixReferral,
	CodeInconsistentReferral: (*diagnosis).fixStaleCopy,
	CodeInconsistentAnswer:   (*diagnosis).fixStaleCopy,
	CodeSOASerialMismatch:    (*diagnosis).fixStaleCopy,
	CodeAnswerTTLMismatch:    (*diagnosis).fixAnswerTTL,

	// DNSSEC validation's (fix_dnssec.go).
	dnssec.CodeDSNoMatchingDNSKEY:  (*diagnosis).fixDSNoMatch,
	dnssec.CodeDNSKEYMissing:       (*diagnosis).fixDNSKEYMissing,
	dnssec.CodeRRSIGMissing:        (*diagnosis).fixResign,
	dnssec.CodeRRSIGExpired:        (*diagnosis).fixResign,
	dnssec.CodeRRSIGNotYetValid:    (*diagnosis).fixResign,
	dnssec.CodeRRSIGExpiresSoon:    (*diagnosis).fixResign,
	dnssec.CodeSignatureInvalid:    (*diagnosis).fixResign,
	dnssec.CodeNSECProofInvalid:    (*diagnosis).fixResign,
	dnssec.CodeBogusAnswer:         (*diagnosis).fixBogusAnswer,
	dnssec.CodeDNSSECInconsistent:  (*diagnosis).fixInconsistent,
	dnssec.CodeInsecureDelegation:  (*diagnosis).fixInsecureDelegation,
	dnssec.CodeUnsupportedAlg:      (*diagnosis).fixAlgorithmRoll,
	dnssec.CodeDeprecatedAlg:       (*diagnosis).fixAlgorithmRoll,
	dnssec.CodeDSDigestSHA1Only:    (*diagnosis).fixSHA1Digest,
	dnssec.CodeDNSKEYRevokedDS:     (*diagnosis).fixRevokedDS,
	dnssec.CodeNSEC3Parameters:     (*diagnosis).fixNSEC3Params,
	dnssec.CodeNSEC3Insecure:       (*diagnosis).fixNSEC3Params,
	dnssec.CodeAlgorithmNotSigning: (*diagnosis).fixAlgorithmNotSigning,
	dnssec.CodeCDSMismatch:         (*diagnosis).fixCDS,
}

// noFix are the codes that have no fix, with why: what they report is not
// a fault of the domain's data or servers.
var noFix = map[string]string{
	CodeAnyQuery:    "the question, not the domain: ask for each type needed",
	CodeNoIPv4Route: "this host's network, not the domain's: trace from a host with IPv4",
	CodeNoIPv6Route: "this host's network, not the domain's: trace from a host with IPv6",
	// nstrace's trust anchor, not the domain's keys.
	dnssec.CodeTrustAnchorMismatch: "nstrace's trust anchor, not the domain's keys: give --trust-anchor the zone's key-signing key",
	// The symptom: the minimising walk's own findings say what to repair.
	CodeQminDifferentAnswer: "a symptom: the QNAME-minimising walk's own findings (ent-nxdomain, qmin-refused, qmin-timeout, qmin-servfail) say what to repair",
}

// NoFix says why findings of code carry no fix, or "" for a code that has
// one (or that is not one of Diagnose's).
func NoFix(code string) string { return noFix[code] }

// fixes gives each finding of d.out its fix.
func (d *diagnosis) fixes() {
	for i, f := range d.out {
		fixer := fixers[f.Code]
		if fixer == nil {
			continue
		}
		fix := fixer(d, f)
		if zone := d.fixZone(f); fix != nil && !BelowPublicSuffix(zone) {
			// A TLD's or the root's: nothing its domains' owners can do.
			fix = forOperator(fix, zone)
		}
		d.out[i].Fix = fix
	}
}

// rrLine writes a record as one zone-file line, single spaces between the
// fields: "ns1.example.com. 172800 IN A 192.0.2.53".
func rrLine(rr dns.RR) string {
	return strings.ReplaceAll(rr.String(), "\t", " ")
}

// nsRR is the record "zone ttl IN NS name".
func nsRR(zone string, ttl uint32, name string) string {
	return rrLine(&dns.NS{Hdr: dns.RR_Header{Name: canon(zone), Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: canon(name)})
}

// addrRR is the A or AAAA record of name for a.
func addrRR(name string, ttl uint32, a netip.Addr) string {
	a = a.Unmap()
	hdr := dns.RR_Header{Name: canon(name), Class: dns.ClassINET, Ttl: ttl}
	if a.Is4() {
		hdr.Rrtype = dns.TypeA
		return rrLine(&dns.A{Hdr: hdr, A: a.AsSlice()})
	}
	hdr.Rrtype = dns.TypeAAAA
	return rrLine(&dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
}

// short writes a record line without its TTL and class, as the one-line
// summaries give it: "ns1.example.com. A 192.0.2.53".
func short(line string) string {
	f := strings.Fields(line)
	if len(f) < 4 {
		return line
	}
	return strings.Join(append([]string{f[0]}, f[3:]...), " ")
}

// registrarText says where the parent's copy of zone's delegation is
// changed: "at the registrar (com.'s registry)", or, for a zone delegated
// by one of the owner's own, "in the parent zone example.com.".
func registrarText(parent string) string {
	if BelowPublicSuffix(parent) {
		return "in the parent zone " + parent
	}
	return "at the registrar (" + parent + "'s registry)"
}

// owner gives the registered domain of a name (example.com. for
// ns1.example.com.), or the name itself when it has none.
func owner(name string) string {
	n := strings.TrimSuffix(canon(name), ".")
	d, err := publicsuffix.EffectiveTLDPlusOne(n)
	if err != nil {
		return canon(name)
	}
	return d + "."
}

// sameOwner reports whether name belongs to the domain of zone, so that
// its records and its server are the zone owner's to change.
func sameOwner(zone, name string) bool { return owner(zone) == owner(name) }

// placeOf says where the records of name are changed for a finding about
// zone: in the zone owner's own zones, or by someone else's operator.
func placeOf(zone, name string) Where {
	if sameOwner(zone, name) {
		return WhereZone
	}
	return WhereOperator
}

// serverPlace says who changes the configuration of the server named name
// for zone: the zone's owner, or the server's operator.
func serverPlace(zone, name string) Where {
	if name != "" && sameOwner(zone, name) {
		return WhereServer
	}
	return WhereOperator
}

// ttlWords writes a TTL for steps: "172800 seconds (2d)".
func ttlWords(s uint32) string {
	u := ttlUnit(s)
	n := strconv.FormatUint(uint64(s), 10)
	if u == n+"s" {
		return n + " seconds"
	}
	return n + " seconds (" + u + ")"
}

// changesText says what cs do, grouped by what and where, in their order:
// "remove example.com. NS ns1.example.com. and ns1.example.com. A
// 192.0.2.1 at the registrar (com.); remove example.com. NS
// ns1.example.com. in example.com.".
func changesText(cs []Change) string {
	type group struct {
		op    Op
		place string
		rrs   []string
	}
	var gs []*group
	for _, c := range cs {
		place := "in " + c.Zone
		switch c.Where {
		case WhereRegistrar:
			place = "at the registrar (" + c.Zone + ")"
			if BelowPublicSuffix(c.Zone) {
				place = "in the parent zone " + c.Zone
			}
		case WhereOperator:
			place = "in " + c.Zone + " (its operator's)"
		}
		if n := len(gs); n > 0 && gs[n-1].op == c.Op && gs[n-1].place == place {
			gs[n-1].rrs = append(gs[n-1].rrs, short(c.RR))
			continue
		}
		gs = append(gs, &group{c.Op, place, []string{short(c.RR)}})
	}
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = string(g.op) + " " + andList(g.rrs) + " " + g.place
	}
	return strings.Join(parts, "; ")
}

// said gives fix with its Summary: the headline, then what its records do.
func said(fix *Fix, headline string) *Fix {
	fix.Summary = headline
	if len(fix.Records) > 0 {
		fix.Summary += ": " + changesText(fix.Records)
	}
	return fix
}

// forOperator gives fix as advice for the operator of zone, a zone no
// domain owner runs (the root, a TLD): every place is the operator's.
func forOperator(fix *Fix, zone string) *Fix {
	out := *fix
	out.Where = WhereOperator
	out.Summary = "for the operator of " + zone + ": " + fix.Summary
	out.Records = slices.Clone(fix.Records)
	for i := range out.Records {
		out.Records[i].Where = WhereOperator
	}
	out.Or = nil
	for _, o := range fix.Or {
		out.Or = append(out.Or, *forOperator(&o, zone))
	}
	return &out
}

// mergedFix gives the fix that stands for those of a group's findings
// (Merged): the first's, and each of its ways, with the records of the
// others' and a summary that says it holds for them too.
func mergedFix(g []Finding) *Fix {
	first := g[0].Fix
	if first == nil || len(g) == 1 {
		return first
	}
	var others []Finding
	for _, m := range g[1:] {
		if m.Fix != nil {
			others = append(others, m)
		}
	}
	if len(others) == 0 {
		return first
	}
	likewise := " (likewise for " + SomeOf(subjects(others)) + ")"
	merge := func(way *Fix, i int) Fix {
		out := *way
		out.Summary += likewise
		out.Records = slices.Clone(way.Records)
		for _, m := range others {
			if i < 0 {
				out.Records = append(out.Records, m.Fix.Records...)
			} else if i < len(m.Fix.Or) {
				out.Records = append(out.Records, m.Fix.Or[i].Records...)
			}
		}
		return out
	}
	out := merge(first, -1)
	out.Or = nil
	for i := range first.Or {
		out.Or = append(out.Or, merge(&first.Or[i], i))
	}
	return &out
}
