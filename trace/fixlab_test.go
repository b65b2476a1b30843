package trace_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// A fixLab is the files of a lab scenario, which a test edits as the
// owner of a domain, its registry and its servers' operators would when
// they apply a fix, then serves and traces again.
type fixLab struct {
	name  string
	files map[string][]byte // by base name: the zone files and lab.conf
}

// loadFixLab reads testdata/lab/NAME.txtar.
func loadFixLab(t *testing.T, name string) *fixLab {
	t.Helper()
	a, err := txtar.ParseFile(labtest.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	l := &fixLab{name: name, files: map[string][]byte{}}
	for _, f := range a.Files {
		l.files[path.Base(strings.TrimSpace(f.Name))] = f.Data
	}
	return l
}

func (l *fixLab) clone() *fixLab {
	return &fixLab{name: l.name, files: maps.Clone(l.files)}
}

// trace serves the lab and traces name in it, with the findings.
func (l *fixLab) trace(t *testing.T, name string, qtype uint16, opts resolver.Options) *trace.Trace {
	t.Helper()
	s, err := lab.Parse(l.name, l.files)
	if err != nil {
		t.Fatalf("the lab, edited, does not load: %v\n%s", err, l.dump())
	}
	lb, err := lab.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	opts.Dial, opts.RootHints = lb.Dial, lb.RootHints()
	if opts.TrustAnchors == nil {
		opts.TrustAnchors = s.Anchors() // none for an unsigned lab: no validation
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	r, err := resolver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := r.Trace(context.Background(), name, qtype)
	if tr == nil {
		t.Fatalf("Trace(%q) = nil", name)
	}
	tr.Findings = trace.Diagnose(tr)
	return tr
}

func (l *fixLab) dump() string {
	var b strings.Builder
	for _, n := range sortedKeys(l.files) {
		fmt.Fprintf(&b, "-- %s --\n%s", n, l.files[n])
	}
	return b.String()
}

func sortedKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// origin gives the origin of a zone file: its $ORIGIN, or its name
// ("com.zone" → "com.", "root.zone" → ".").
func origin(file string, data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], "$ORIGIN") {
			return dns.CanonicalName(f[1])
		}
	}
	base := strings.TrimSuffix(file, ".zone")
	if base == "root" {
		return "."
	}
	return dns.CanonicalName(base)
}

// zoneFiles gives the files that hold zone: every copy of it.
func (l *fixLab) zoneFiles(zone string) []string {
	var out []string
	for _, n := range sortedKeys(l.files) {
		if strings.HasSuffix(n, ".zone") && origin(n, l.files[n]) == dns.CanonicalName(zone) {
			out = append(out, n)
		}
	}
	return out
}

// change makes one record change in every copy of its zone. Adding a
// record a copy holds already, or removing one that no copy holds, is an
// error: the fix would have named a record that is not the fault.
func (l *fixLab) change(t *testing.T, c trace.Change) {
	t.Helper()
	want, err := dns.NewRR(c.RR)
	if err != nil {
		t.Fatalf("the fix's record %q is not zone-file syntax: %v", c.RR, err)
	}
	files := l.zoneFiles(c.Zone)
	if len(files) == 0 {
		t.Fatalf("%s %q: the lab has no zone file for %s", c.Op, c.RR, c.Zone)
	}
	found := false
	for _, f := range files {
		org := origin(f, l.files[f])
		rrs := parseZone(t, f, l.files[f], org)
		var kept []dns.RR
		for _, rr := range rrs {
			if dns.IsDuplicate(rr, want) {
				found = true
				if c.Op == trace.OpRemove {
					continue
				}
			}
			kept = append(kept, rr)
		}
		if c.Op == trace.OpAdd {
			kept = append(kept, want)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "$ORIGIN %s\n", org)
		for _, rr := range kept {
			b.WriteString(rr.String() + "\n")
		}
		l.files[f] = b.Bytes()
	}
	switch {
	case c.Op == trace.OpAdd && found:
		t.Errorf("add %q: %s has it already", c.RR, c.Zone)
	case c.Op == trace.OpRemove && !found:
		t.Errorf("remove %q: %s does not have it", c.RR, c.Zone)
	}
}

func parseZone(t *testing.T, file string, data []byte, org string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(bytes.NewReader(data), org, file)
	zp.SetDefaultTTL(3600)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return out
}

// operate plays the operator of srv, which the fix of a finding of code
// about zone says to repair: its faults are cleared; a server that does
// not serve the zone loads it (lame-server and the referral codes); a
// server that answers from an old zone below it drops that (the
// consistency codes).
func (l *fixLab) operate(t *testing.T, code string, srv *trace.Server, zone string) {
	t.Helper()
	name := dns.CanonicalName(srv.Name)
	var out []string
	for _, line := range strings.Split(string(l.files[lab.ManifestName]), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "fault" {
			who, _, _ := strings.Cut(f[1], "@")
			if dns.CanonicalName(who) == name {
				continue
			}
		}
		out = append(out, line)
	}
	switch code {
	case trace.CodeLameServer, trace.CodeUpwardReferral, trace.CodeReferralLoop, trace.CodeSidewaysReferral:
		if !l.serves(t, name, zone) && len(l.zoneFiles(zone)) == 1 {
			out = append(out, "serve "+name+" "+zone)
		}
	case trace.CodeInconsistentReferral, trace.CodeInconsistentAnswer, trace.CodeAnswerTTLMismatch:
		for _, f := range l.oldZones(t, name, zone) {
			delete(l.files, f)
		}
	}
	l.files[lab.ManifestName] = []byte(strings.Join(out, "\n") + "\n")
}

// serves reports whether the server name serves zone in the lab.
func (l *fixLab) serves(t *testing.T, name, zone string) bool {
	s, err := lab.Parse(l.name, l.files)
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range s.Servers() {
		if sv.Name == name {
			return slices.Contains(sv.Zones, dns.CanonicalName(zone))
		}
	}
	return false
}

// oldZones gives the zone files below zone whose apex NS set names the
// server name: zones it loads that shadow the current data.
func (l *fixLab) oldZones(t *testing.T, name, zone string) []string {
	var out []string
	for _, f := range sortedKeys(l.files) {
		if !strings.HasSuffix(f, ".zone") {
			continue
		}
		org := origin(f, l.files[f])
		if org == dns.CanonicalName(zone) || !dns.IsSubDomain(zone, org) {
			continue
		}
		for _, rr := range parseZone(t, f, l.files[f], org) {
			if ns, ok := rr.(*dns.NS); ok && dns.CanonicalName(ns.Hdr.Name) == org && dns.CanonicalName(ns.Ns) == name {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// apply makes the changes of fix, one way of repairing f: its records, and
// for a fix of a server's configuration, that server, as its operator.
func (l *fixLab) apply(t *testing.T, f trace.Finding, fix trace.Fix) {
	t.Helper()
	for _, c := range fix.Records {
		l.change(t, c)
	}
	if fix.Server != nil && (fix.Where == trace.WhereServer || fix.Where == trace.WhereOperator) {
		l.operate(t, f.Code, fix.Server, f.Zone)
	}
	l.prune(t)
}

// prune drops the manifest's faults of servers that no zone names any
// more: a fix took them out, and with them what was wrong with them.
func (l *fixLab) prune(t *testing.T) {
	known := map[string]bool{"*": true}
	for _, f := range sortedKeys(l.files) {
		if strings.HasSuffix(f, ".zone") {
			for _, rr := range parseZone(t, f, l.files[f], origin(f, l.files[f])) {
				if ns, ok := rr.(*dns.NS); ok {
					known[dns.CanonicalName(ns.Ns)] = true
				}
			}
		}
	}
	lines := strings.Split(string(l.files[lab.ManifestName]), "\n")
	for _, line := range lines {
		if f := strings.Fields(line); len(f) >= 2 && (f[0] == "server" || f[0] == "serve") {
			known[dns.CanonicalName(f[1])] = true
		}
	}
	var out []string
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "fault" {
			who, _, _ := strings.Cut(f[1], "@")
			if who != "*" && !known[dns.CanonicalName(who)] {
				continue
			}
		}
		out = append(out, line)
	}
	if _, ok := l.files[lab.ManifestName]; ok {
		l.files[lab.ManifestName] = []byte(strings.Join(out, "\n"))
	}
}

// plan is one way of a fix, and how a test applies it to a lab: nil
// when it has nothing a test can apply (words only).
type plan struct {
	fix   trace.Fix
	apply func(*fixLab)
}

// plans gives the ways of f's fix, each alone, as a test applies them.
// all-servers-failed is repaired by the first way of each fix of its
// zone's servers, as its steps say; circular-delegation by the glue its
// summary names, with the addresses, which no trace of the circle can
// learn, that its owner knows (the lab's).
func plans(t *testing.T, l *fixLab, tr *trace.Trace, f trace.Finding) []plan {
	switch f.Code {
	case trace.CodeAllServersFailed:
		return []plan{{*f.Fix, func(fl *fixLab) {
			for _, o := range tr.Findings {
				if o.Zone == f.Zone && o.Server != nil && o.Fix != nil {
					fl.apply(t, o, ways(o.Fix)[0])
				}
			}
		}}}
	case trace.CodeCircularDelegation:
		return []plan{{*f.Fix, func(fl *fixLab) { fl.glueLoop(t, tr, f.Fix.Summary) }}}
	}
	var out []plan
	for _, way := range ways(f.Fix) {
		p := plan{fix: way}
		switch {
		case isDNSSEC(f.Code) && way.Server == nil && way.Where != trace.WhereRegistrar:
			// The zone's signer: its records, and it signs the zone again.
			p.apply = func(fl *fixLab) { fl.apply(t, f, way); fl.resign(f.Code, signerZone(tr, f)) }
		case len(way.Records) > 0 || way.Server != nil:
			p.apply = func(fl *fixLab) { fl.apply(t, f, way) }
		}
		out = append(out, p)
	}
	return out
}

// glueLoop adds, for each nameserver name of tr's delegation loops that
// summary names, its addresses in the lab as glue in the parent of the
// zone the name is in.
func (l *fixLab) glueLoop(t *testing.T, tr *trace.Trace, summary string) {
	s, err := lab.Parse(l.name, l.files)
	if err != nil {
		t.Fatal(err)
	}
	for _, loop := range tr.Loops {
		for _, n := range loop {
			n = dns.CanonicalName(n)
			if !strings.Contains(summary, n) {
				continue
			}
			home, parent := "", ""
			for _, z := range s.Zones() {
				if dns.IsSubDomain(z, n) && dns.CountLabel(z) > dns.CountLabel(home) {
					home = z
				}
			}
			for _, z := range s.Zones() {
				if z != home && dns.IsSubDomain(z, home) && (parent == "" || dns.CountLabel(z) > dns.CountLabel(parent)) {
					parent = z
				}
			}
			for _, sv := range s.Servers() {
				if sv.Name != n {
					continue
				}
				for _, a := range sv.Addrs {
					rr := fmt.Sprintf("%s 3600 IN A %s", n, a)
					if a.Is6() {
						rr = fmt.Sprintf("%s 3600 IN AAAA %s", n, a)
					}
					if !l.has(t, parent, rr) {
						l.change(t, trace.Change{Op: trace.OpAdd, Zone: parent, RR: rr})
					}
				}
			}
		}
	}
}

// has reports whether zone holds the record rr.
func (l *fixLab) has(t *testing.T, zone, rr string) bool {
	want, err := dns.NewRR(rr)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range l.zoneFiles(zone) {
		for _, x := range parseZone(t, f, l.files[f], origin(f, l.files[f])) {
			if dns.IsDuplicate(x, want) {
				return true
			}
		}
	}
	return false
}

// ways gives a fix and its alternatives, each alone.
func ways(fix *trace.Fix) []trace.Fix {
	if fix == nil {
		return nil
	}
	out := []trace.Fix{*fix}
	out[0].Or = nil
	return append(out, fix.Or...)
}

// same reports whether two findings are one: code, zone, server name.
func same(a, b trace.Finding) bool {
	if a.Code != b.Code || a.Zone != b.Zone {
		return false
	}
	an, bn := "", ""
	if a.Server != nil {
		an = dns.CanonicalName(a.Server.Name) + " " + addr(a.Server.Addr)
	}
	if b.Server != nil {
		bn = dns.CanonicalName(b.Server.Name) + " " + addr(b.Server.Addr)
	}
	return an == bn
}

// fixCase is a finding a lab scenario shows, and what its fix must be:
// the place of its first way, and a record or words it must name.
type fixCase struct {
	code, scenario, qname string
	qtype                 uint16
	opts                  resolver.Options
	server                string      // the finding's server name, "" for none
	where                 trace.Where // of the fix's first way
	names                 string      // in its records or, for a fix with none, its summary
}

// fixCases are the lab scenarios of the codes with a fix.
var fixCases = []fixCase{
	{trace.CodeMissingGlue, "diag-missing-glue", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.example.com.", trace.WhereRegistrar,
		"ns1.example.com. 172800 IN A 45.33.10.1"},
	{trace.CodeLameServer, "lamedelegation", "www.example.com", dns.TypeA, noHedge, "ns1.example.com.", trace.WhereRegistrar,
		"example.com. 172800 IN NS ns1.example.com."},
	{trace.CodeLameServer, "lame", "www.example.com", dns.TypeA, noHedge, "ns1.example.com.", trace.WhereServer,
		"load example.com."},
	{trace.CodeNSMismatch, "diag-ns-mismatch", "www.example.com", dns.TypeA, noHedge, "ns1.example.com.", trace.WhereRegistrar,
		"example.com. 172800 IN NS ns1.example.com."},
	{trace.CodeNSMismatch, "diag-ns-mismatch", "www.example.com", dns.TypeA, noHedge, "ns3.example.com.", trace.WhereZone,
		"example.com. 172800 IN NS ns3.example.com."},
	{trace.CodeUnreachableServer, "diag-dead", "www.example.com", dns.TypeA, noHedge, "ns1.example.com.", trace.WhereServer,
		"does not reply"},
	{trace.CodeUnreachableServer, "garbage", "www.example.com", dns.TypeA, resolver.Options{HedgeDelay: -1, Timeout: 400 * time.Millisecond}, "ns1.example.com.", trace.WhereServer,
		"replies with bytes that are not a DNS message"},
	{trace.CodeAllServersFailed, "refused", "www.example.com", dns.TypeA, resolver.Options{}, "", trace.WhereServer,
		"load example.com."},
	{trace.CodeCircularDelegation, "glueless-cycle", "www.a.example", dns.TypeA, resolver.Options{}, "", trace.WhereRegistrar,
		"ns.b.example."},
	{trace.CodeNSIsCNAME, "diag-ns-cname", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.provider.net.", trace.WhereRegistrar,
		"example.com. 172800 IN NS host.provider.net."},
	{trace.CodeNSIsAddress, "diag-ns-address", "www.example.com", dns.TypeA, resolver.Options{}, "45.33.10.53.example.com.", trace.WhereZone,
		"ns3.example.com. 172800 IN A 45.33.10.53"},
	{trace.CodeNSUnresolvable, "diag-ns-unresolvable", "www.example.com", dns.TypeA, noHedge, "ns.nowhere.net.", trace.WhereRegistrar,
		"example.com. 172800 IN NS ns.nowhere.net."},
	{trace.CodeTCPFailed, "diag-tcp", "big.example.com", dns.TypeTXT, noHedge, "ns1.example.com.", trace.WhereServer,
		"TCP port 53"},
	{trace.CodeSingleNameserver, "diag-single", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.example.com.", trace.WhereRegistrar,
		"second nameserver"},
	{trace.CodeNotDiverse, "diag-not-diverse", "www.example.com", dns.TypeA, resolver.Options{}, "", trace.WhereServer,
		"45.33.10.0/24"},
	{trace.CodeGlueMismatch, "diag-glue-mismatch", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.provider.net.", trace.WhereRegistrar,
		"ns1.provider.net. 172800 IN A 151.80.99.1"},
	{trace.CodeGlueIncomplete, "diag-glue-incomplete", "www.missing6.com", dns.TypeA, resolver.Options{}, "ns1.missing6.com.", trace.WhereRegistrar,
		"ns1.missing6.com. 172800 IN AAAA 2a01:4f8:60:11::1"},
	{trace.CodeGlueIncomplete, "diag-glue-incomplete", "www.fewer.com", dns.TypeA, resolver.Options{}, "ns1.fewer.com.", trace.WhereRegistrar,
		"ns1.fewer.com. 172800 IN A 46.61.11.3"},
	{trace.CodeGlueIncomplete, "diag-glue-incomplete", "www.extra6.com", dns.TypeA, resolver.Options{}, "ns1.extra6.com.", trace.WhereZone,
		"ns1.extra6.com. 3600 IN AAAA 2a01:4f8:62:11::1"},
	{trace.CodePrivateAddress, "diag-split-horizon", "www.example.com", dns.TypeA, resolver.Options{}, "ns2.example.com.", trace.WhereRegistrar,
		"example.com. 172800 IN NS ns2.example.com."},
	{trace.CodeNSTTLMismatch, "healthy", "www.example.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone,
		"example.com. 172800 IN NS ns1.example.com."},
	{trace.CodeLongNSTTL, "diag-missing-glue", "www.example.com", dns.TypeA, resolver.Options{}, "", trace.WhereZone,
		"example.com. 3600 IN NS ns1.example.com."},
	{trace.CodeSlowServer, "diag-slow", "www.example.com", dns.TypeA, resolver.Options{Timeout: 2 * time.Second, HedgeDelay: -1}, "ns1.example.com.", trace.WhereServer,
		"slow"},
	{trace.CodeOutOfBailiwickGlue, "poison-glue", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.provider.net.", trace.WhereOperator,
		"a.gtld-servers.net."},
	{trace.CodeUpwardReferral, "upward", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.example.com.", trace.WhereServer,
		"load example.com."},
	{trace.CodeReferralLoop, "horizontal", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.example.com.", trace.WhereServer,
		"load example.com."},
	{trace.CodeSidewaysReferral, "sideways", "www.example.com", dns.TypeA, resolver.Options{}, "ns1.example.com.", trace.WhereServer,
		"load example.com."},
	{trace.CodeInconsistentReferral, "all-stale-parent", "www.example.co.uk", dns.TypeA, allOpts, "nsb.nic.uk.", trace.WhereOperator,
		"nsb.nic.uk."},
	{trace.CodeInconsistentAnswer, "all-answers", "www.example.com", dns.TypeA, allOpts, "ns2.example.com.", trace.WhereServer,
		"ns2.example.com."},
	{trace.CodeLossyServer, "check-lossy", "www.example.com", dns.TypeA, resolver.Options{NoProbes: true}, "ns2.example.com.", trace.WhereServer,
		"rate limiting"},
	{trace.CodeUnansweredType, "check-drop", "www.example.com", dns.TypeAAAA, resolver.Options{}, "ns2.example.com.", trace.WhereServer,
		"every query type"},
	{trace.CodeAnswerTTLMismatch, "all-answers", "ttl.example.com", dns.TypeA, allOpts, "", trace.WhereServer,
		"ns2.example.com. (94.130.20.2)"},
	{trace.CodeNoTCP, "probes", "www.notcp.com", dns.TypeA, allOpts, "ns1.notcp.com.", trace.WhereServer, "TCP port 53"},
	{trace.CodeEDNSBroken, "probes", "www.badvers.com", dns.TypeA, allOpts, "ns1.badvers.com.", trace.WhereServer, "RFC 6891"},
	{trace.CodeAAAAQueryBroken, "probes", "www.aaaadrop.com", dns.TypeA, allOpts, "ns1.aaaadrop.com.", trace.WhereServer, "AAAA"},
	{trace.CodeNegativeWithoutSOA, "probes", "www.nosoa.com", dns.TypeA, allOpts, "ns1.nosoa.com.", trace.WhereServer, "SOA"},
	{trace.CodeNSSameAddress, "probes", "www.sameaddr.com", dns.TypeA, allOpts, "", trace.WhereZone, "its own address"},
	{trace.CodeFamilyNotRedundant, "probes", "www.onev6.com", dns.TypeA, allOpts, "", trace.WhereZone, "second nameserver"},
	{trace.CodeReferralTooLarge, "probes", "www.bigref.com", dns.TypeA, allOpts, "", trace.WhereRegistrar, "fewer nameservers"},
	{trace.CodeSOAFieldsInconsistent, "probes", "www.soafields.com", dns.TypeA, allOpts, "ns1.soafields.com.", trace.WhereServer, "current version"},
	{trace.CodeOpenRecursor, "probes", "www.recursive.com", dns.TypeA, allOpts, "ns1.recursive.com.", trace.WhereServer, "recursion no"},
	{trace.CodeAXFROpen, "probes", "www.axfr.com", dns.TypeA, allOpts, "ns1.axfr.com.", trace.WhereServer, "allow-transfer"},
	{trace.CodeCaseNotPreserved, "probes", "www.casefold.com", dns.TypeA, allOpts, "ns1.casefold.com.", trace.WhereServer, "letter case"},
	{trace.CodeReplyFromOtherAddress, "probes", "www.otheraddr.com", dns.TypeA, allOpts, "ns1.otheraddr.com.", trace.WhereServer, "listen on each of its addresses"},
	{trace.CodeENTNXDomain, "qmin-faults", "www.a.b.c.entnx.com", dns.TypeA, qminOpts, "ns1.entnx.com.", trace.WhereServer, "NODATA"},
	{trace.CodeQminRefused, "qmin-faults", "www.a.b.c.qminrefuse.com", dns.TypeA, qminOpts, "ns1.qminrefuse.com.", trace.WhereServer, "refuses"},
	{trace.CodeQminServfail, "qmin-faults", "www.a.b.c.qminservfail.com", dns.TypeA, qminOpts, "ns1.qminservfail.com.", trace.WhereServer, "fails"},
	{trace.CodeQminTimeout, "qmin-faults", "www.a.b.c.qmindrop.com", dns.TypeA, resolver.Options{QMin: dns.TypeA, Timeout: 300 * time.Millisecond},
		"ns1.qmindrop.com.", trace.WhereServer, "drops"},
}

// qminOpts walk as QNAME-minimising resolvers do (issue 15).
var qminOpts = resolver.Options{QMin: dns.TypeA}

// TestFixRepairsLab proves each code's fix on a lab scenario: the fix
// names the right place and records, and each of its ways, applied to the
// scenario's zone files (and, for a server's, played by its operator),
// makes the finding go away when the name is traced again, and leaves the
// name resolving if it did.
func TestFixRepairsLab(t *testing.T) {
	for _, tc := range slices.Concat(fixCases, dnssecFixCases) {
		t.Run(tc.code+"/"+tc.scenario+"/"+tc.server+tc.qname, func(t *testing.T) {
			t.Parallel()
			l := loadFixLab(t, tc.scenario)
			if isDNSSEC(tc.code) {
				l.pin(t)
			}
			tr := l.trace(t, tc.qname, tc.qtype, tc.opts)
			f, ok := findCase(tr.Findings, tc)
			if !ok {
				t.Fatalf("Trace(%q) has no %s for %q:\n%s", tc.qname, tc.code, tc.server, dump(tr.Findings))
			}
			if f.Fix == nil {
				t.Fatalf("%s has no fix", tc.code)
			}
			if f.Fix.Where != tc.where {
				t.Errorf("%s: fix where = %s, want %s\n%s", tc.code, f.Fix.Where, tc.where, fixDump(f.Fix))
			}
			if !strings.Contains(fixDump(f.Fix), tc.names) {
				t.Errorf("%s: fix does not name %q:\n%s", tc.code, tc.names, fixDump(f.Fix))
			}
			t.Log("\n" + fixDump(f.Fix))
			for i, way := range plans(t, l, tr, f) {
				if way.apply == nil {
					t.Logf("way %d (%s) has nothing to apply: %s", i, way.fix.Where, way.fix.Summary)
					continue
				}
				fixed := l.clone()
				way.apply(fixed)
				after := fixed.trace(t, tc.qname, tc.qtype, tc.opts)
				if _, still := findSame(after.Findings, f); still {
					t.Errorf("way %d (%s) applied, %s is still there:\n%s\nfindings:\n%s", i, way.fix.Where, tc.code, fixDump(&way.fix), dump(after.Findings))
				}
				if tr.Outcome.Authoritative() && !after.Outcome.Authoritative() {
					t.Errorf("way %d (%s) applied, the trace fails: %v", i, way.fix.Where, after.Err)
				}
			}
		})
	}
}

func findCase(fs []trace.Finding, tc fixCase) (trace.Finding, bool) {
	for _, f := range fs {
		name := ""
		if f.Server != nil {
			name = f.Server.Name
		}
		if f.Code == tc.code && name == tc.server {
			return f, true
		}
	}
	return trace.Finding{}, false
}

func findSame(fs []trace.Finding, want trace.Finding) (trace.Finding, bool) {
	for _, f := range fs {
		if same(f, want) {
			return f, true
		}
	}
	return trace.Finding{}, false
}

// fixDump writes a fix as the tests show it.
func fixDump(f *trace.Fix) string {
	var b strings.Builder
	var write func(indent string, f *trace.Fix)
	write = func(indent string, f *trace.Fix) {
		fmt.Fprintf(&b, "%sfix (%s): %s\n", indent, f.Where, f.Summary)
		if f.Evidence != "" {
			fmt.Fprintf(&b, "%s  evidence: %s\n", indent, f.Evidence)
		}
		for _, c := range f.Records {
			fmt.Fprintf(&b, "%s  %s (%s %s) %s\n", indent, c.Op, c.Where, c.Zone, c.RR)
		}
		for _, s := range f.Steps {
			fmt.Fprintf(&b, "%s  step: %s\n", indent, s)
		}
		for i := range f.Or {
			write(indent+"or ", &f.Or[i])
		}
	}
	write("", f)
	return b.String()
}

// unproven are the codes with a fix that TestFixRepairsLab does not apply,
// and why.
var unproven = map[string]string{
	trace.CodeSOASerialMismatch: "its scenario is two labs served as one (staleTrace in diagnose_all_lab_test.go), which no zone file edit repairs; its fix is inconsistent-answer's, which is proven",
	trace.CodeAnswerTTLMismatch: "no server is to blame by itself: the fix names none, so there is nothing a test can apply",
	trace.CodeSOAMissing:        "the lab loads no zone without its SOA, as no server does; Diagnose's table test shows the finding",

	dnssec.CodeAlgorithmNotSigning: "the lab signs with one KSK and one ZSK, so no DNSKEY set of it holds a key of an algorithm that signs nothing; package dnssec's tests show the finding",
	dnssec.CodeDNSKEYRevokedDS:     "the lab makes no revoked key (RFC 5011); package dnssec's tests show the finding",
}

// TestFixCodes: every code has a fix or says why not (trace.NoFix), and
// every code with a fix is proven on a lab scenario, or listed in
// unproven with why.
func TestFixCodes(t *testing.T) {
	proven := map[string]bool{}
	for _, c := range slices.Concat(fixCases, dnssecFixCases) {
		proven[c.code] = true
	}
	for _, code := range trace.Codes() {
		switch {
		case trace.NoFix(code) != "":
			if proven[code] {
				t.Errorf("%s has no fix (NoFix), but a case in fixCases", code)
			}
		case !proven[code] && unproven[code] == "":
			t.Errorf("%s has no case in fixCases, nor a reason in unproven", code)
		}
	}
}

// TestFixDoc keeps docs/findings.md in step with the fixes: each code's
// section says its fix's places, as its lab cases give them ("**Fix
// advice** (`registrar` or `server`)"), or that it has none ("**Fix
// advice:** none").
func TestFixDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "findings.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	section := func(code string) string {
		_, s, ok := strings.Cut(doc, "\n### `"+code+"`\n")
		if !ok {
			return ""
		}
		s, _, _ = strings.Cut(s, "\n### ")
		return s
	}
	for _, code := range trace.Codes() {
		if trace.NoFix(code) != "" && !strings.Contains(section(code), "**Fix advice:** none") {
			t.Errorf("docs/findings.md: the section of %s does not say \"**Fix advice:** none\"", code)
		}
	}
	for _, c := range slices.Concat(fixCases, dnssecFixCases) {
		_, advice, _ := strings.Cut(section(c.code), "**Fix advice** (")
		advice, _, _ = strings.Cut(advice, ")")
		if want := "`" + string(c.where) + "`"; !strings.Contains(advice, want) {
			t.Errorf("docs/findings.md: the section of %s does not say **Fix advice** (%s)", c.code, want)
		}
	}
}
