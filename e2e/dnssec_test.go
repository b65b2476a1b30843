package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
)

// These tests check the dnssec package and lab.Sign against BIND's own
// DNSSEC tools, with no server and no namespace: zones signed by
// dnssec-signzone must validate, and fail with the finding each planted
// fault calls for; zones signed by lab.Sign must pass dnssec-verify.

// requireSigner skips the test, or fails it when NSTRACE_E2E_REQUIRED is
// set, unless BIND's DNSSEC tools are installed.
func requireSigner(t *testing.T) map[string]string {
	t.Helper()
	tools := map[string]string{}
	var missing []string
	for _, name := range []string{"dnssec-keygen", "dnssec-signzone", "dnssec-verify"} {
		if tools[name] = lookTool(name); tools[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return tools
	}
	msg := "BIND's DNSSEC tools are missing (" + strings.Join(missing, ", ") + "; in bind9-utils)"
	if os.Getenv(requiredEnv) != "" {
		t.Fatalf("%s; %s is set, so that is a failure", msg, requiredEnv)
	}
	t.Skip(msg)
	return nil
}

// exampleZone is the zone signed with both signers: an answer, a CNAME,
// a wildcard, an empty non-terminal and an unsigned delegation.
const exampleZone = `$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 3600
@ NS ns1
ns1 A 192.0.2.3
www A 192.0.2.10
alias CNAME www
*.wild TXT "wild"
x.ent A 192.0.2.11
sub NS ns.sub
ns.sub A 192.0.2.12
`

func run(t *testing.T, dir, prog string, args ...string) string {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(prog), strings.Join(args, " "), err, out.String(), stderr.String())
	}
	return strings.TrimSpace(out.String())
}

// bindSigned is example.com. as dnssec-signzone signed it, with the DS
// records of its KSK.
type bindSigned struct {
	rrs []dns.RR
	ds  []dns.RR
}

// signWithBIND makes a KSK and a ZSK with dnssec-keygen and signs the
// zone with dnssec-signzone, its signatures valid from start to end.
func signWithBIND(t *testing.T, tools map[string]string, alg, denial string, start, end time.Time) bindSigned {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.com.zone"), []byte(exampleZone), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, tools["dnssec-keygen"], "-q", "-K", dir, "-a", alg, "-f", "KSK", "example.com")
	run(t, dir, tools["dnssec-keygen"], "-q", "-K", dir, "-a", alg, "example.com")
	stamp := func(tm time.Time) string { return tm.UTC().Format("20060102150405") }
	args := []string{"-q", "-S", "-K", dir, "-d", dir, "-o", "example.com.", "-f", "signed.zone", "-P",
		"-s", stamp(start), "-e", stamp(end)}
	switch denial {
	case "nsec3":
		args = append(args, "-3", "-", "-H", "0")
	case "nsec3-optout":
		args = append(args, "-3", "-", "-H", "0", "-A")
	}
	run(t, dir, tools["dnssec-signzone"], append(args, "example.com.zone")...)
	return bindSigned{rrs: readZone(t, filepath.Join(dir, "signed.zone"), "example.com."), ds: readZone(t, filepath.Join(dir, "dsset-example.com."), "example.com.")}
}

func readZone(t *testing.T, path, origin string) []dns.RR {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseText(t, origin, string(b))
}

// at is the records at name of the types, with their RRSIGs.
func at(rrs []dns.RR, name string, types ...uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		t := rr.Header().Rrtype
		if s, ok := rr.(*dns.RRSIG); ok {
			t = s.TypeCovered
		}
		if strings.EqualFold(rr.Header().Name, name) && slices.Contains(types, t) {
			out = append(out, rr)
		}
	}
	return out
}

// ofType is every record of the types, with their RRSIGs.
func ofType(rrs []dns.RR, types ...uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		t := rr.Header().Rrtype
		if s, ok := rr.(*dns.RRSIG); ok {
			t = s.TypeCovered
		}
		if slices.Contains(types, t) {
			out = append(out, rr)
		}
	}
	return out
}

// validateBIND validates example.com. from the DS records given as its
// trust anchor, then its answers, as a resolver would see them from a
// server serving rrs: an answer, an alias, NXDOMAIN, NODATA, a wildcard
// and the insecure delegation. It returns the worst status and every
// finding.
func validateBIND(rrs, anchors []dns.RR) (dnssec.Status, []dnssec.Finding) {
	v := &dnssec.Validator{}
	link := dnssec.AnchorLink(anchors, "example.com.")
	link.Anchor = false // the DS records are the parent's, as BIND would be given them
	z := v.Keys(link, ofType(rrs, dns.TypeDNSKEY))
	status, findings := z.Status, z.Findings
	add := func(s dnssec.Status, f []dnssec.Finding) {
		if rank(s) > rank(status) {
			status = s
		}
		findings = append(findings, f...)
	}
	denial := append(at(rrs, "example.com.", dns.TypeSOA), ofType(rrs, dns.TypeNSEC, dns.TypeNSEC3)...)
	wild := at(rrs, "*.wild.example.com.", dns.TypeTXT)
	for i, rr := range wild {
		wild[i] = dns.Copy(rr)
		wild[i].Header().Name = "a.wild.example.com."
	}
	for _, q := range []struct {
		name              string
		qtype             uint16
		rcode             int
		answer, authority []dns.RR
	}{
		{"www.example.com.", dns.TypeA, dns.RcodeSuccess, at(rrs, "www.example.com.", dns.TypeA), nil},
		{"alias.example.com.", dns.TypeA, dns.RcodeSuccess, at(rrs, "alias.example.com.", dns.TypeCNAME), nil},
		{"nope.example.com.", dns.TypeA, dns.RcodeNameError, nil, denial},
		{"www.example.com.", dns.TypeMX, dns.RcodeSuccess, nil, denial},
		{"ent.example.com.", dns.TypeA, dns.RcodeSuccess, nil, denial},
		{"a.wild.example.com.", dns.TypeTXT, dns.RcodeSuccess, wild, denial},
	} {
		// alias's target, www, is the same zone's: add it.
		if q.name == "alias.example.com." {
			q.answer = append(q.answer, at(rrs, "www.example.com.", dns.TypeA)...)
		}
		a := v.Answer(z, q.name, q.qtype, q.rcode, q.answer, q.authority)
		add(a.Status, a.Findings)
	}
	l := v.Delegation(z, "sub.example.com.", append(at(rrs, "sub.example.com.", dns.TypeNS), ofType(rrs, dns.TypeNSEC, dns.TypeNSEC3)...))
	if l.Status != dnssec.Insecure {
		add(dnssec.Bogus, append(l.Findings, dnssec.Finding{Code: "test", Message: fmt.Sprintf("sub.example.com. is %s, want insecure", l.Status)}))
	}
	return status, findings
}

func rank(s dnssec.Status) int {
	return map[dnssec.Status]int{dnssec.Secure: 0, dnssec.Insecure: 1, dnssec.Indeterminate: 2, dnssec.Bogus: 3}[s]
}

func hasFinding(fs []dnssec.Finding, code string) bool {
	return slices.ContainsFunc(fs, func(f dnssec.Finding) bool { return f.Code == code })
}

// TestValidateSignzone checks that zones dnssec-signzone signs validate,
// with NSEC and NSEC3 (opt-out), and each algorithm nstrace validates.
func TestValidateSignzone(t *testing.T) {
	tools := requireSigner(t)
	now := time.Now()
	for _, alg := range []string{"ECDSAP256SHA256", "ECDSAP384SHA384", "ED25519", "RSASHA256"} {
		for _, denial := range []string{"nsec", "nsec3", "nsec3-optout"} {
			t.Run(alg+"/"+denial, func(t *testing.T) {
				t.Parallel()
				z := signWithBIND(t, tools, alg, denial, now.Add(-time.Hour), now.Add(30*24*time.Hour))
				// Under opt-out, NXDOMAIN is insecure: the name may be
				// an unsigned delegation in the span (RFC 5155 §9.2).
				want := dnssec.Secure
				if denial == "nsec3-optout" {
					want = dnssec.Insecure
				}
				if status, fs := validateBIND(z.rrs, z.ds); status != want || len(fs) > 0 {
					t.Errorf("status %s, findings %v; want %s, none", status, fs, want)
				}
			})
		}
	}
}

// TestValidateSignzoneFaults plants each fault in zones dnssec-signzone
// signed, and checks the status and the finding.
func TestValidateSignzoneFaults(t *testing.T) {
	tools := requireSigner(t)
	now := time.Now()
	good := signWithBIND(t, tools, "ECDSAP256SHA256", "nsec", now.Add(-time.Hour), now.Add(30*24*time.Hour))
	other := signWithBIND(t, tools, "ECDSAP256SHA256", "nsec", now.Add(-time.Hour), now.Add(30*24*time.Hour))
	withoutSigs := func(name string, t uint16) []dns.RR {
		return slices.DeleteFunc(slices.Clone(good.rrs), func(rr dns.RR) bool {
			s, ok := rr.(*dns.RRSIG)
			return ok && s.TypeCovered == t && strings.EqualFold(s.Hdr.Name, name)
		})
	}
	badSig := func(name string, t uint16) []dns.RR { // name "" for every owner
		out := make([]dns.RR, len(good.rrs))
		for i, rr := range good.rrs {
			out[i] = rr
			if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == t && (name == "" || strings.EqualFold(s.Hdr.Name, name)) {
				c := dns.Copy(s).(*dns.RRSIG)
				c.Signature = "AAAA" + c.Signature[4:]
				out[i] = c
			}
		}
		return out
	}
	unsigned := slices.DeleteFunc(slices.Clone(good.rrs), func(rr dns.RR) bool {
		switch rr.Header().Rrtype {
		case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeDNSKEY:
			return true
		}
		return false
	})
	tests := []struct {
		name    string
		rrs     func() []dns.RR
		anchors []dns.RR
		want    string
	}{
		{"wrong-ds", func() []dns.RR { return good.rrs }, other.ds, dnssec.CodeDSNoMatchingDNSKEY},
		{"expired-signatures", func() []dns.RR {
			return signWithBIND(t, tools, "ECDSAP256SHA256", "nsec", now.Add(-31*24*time.Hour), now.Add(-24*time.Hour)).rrs
		}, nil, dnssec.CodeRRSIGExpired},
		{"not-yet-valid", func() []dns.RR {
			return signWithBIND(t, tools, "ECDSAP256SHA256", "nsec", now.Add(24*time.Hour), now.Add(31*24*time.Hour)).rrs
		}, nil, dnssec.CodeRRSIGNotYetValid},
		{"missing-rrsig", func() []dns.RR { return withoutSigs("www.example.com.", dns.TypeA) }, good.ds, dnssec.CodeRRSIGMissing},
		{"bad-signature", func() []dns.RR { return badSig("www.example.com.", dns.TypeA) }, good.ds, dnssec.CodeSignatureInvalid},
		{"bad-nsec-signatures", func() []dns.RR { return badSig("", dns.TypeNSEC) }, good.ds, dnssec.CodeSignatureInvalid},
		{"unsigned-with-ds", func() []dns.RR { return unsigned }, good.ds, dnssec.CodeDNSKEYMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rrs := tc.rrs()
			anchors := tc.anchors
			if anchors == nil { // re-signed: its own keys, its own DS
				anchors = dsOf(rrs)
			}
			status, fs := validateBIND(rrs, anchors)
			if status != dnssec.Bogus || !hasFinding(fs, tc.want) {
				t.Errorf("status %s, findings %v; want bogus with %s", status, fs, tc.want)
			}
		})
	}
}

// dsOf is the SHA-256 DS of the zone's KSKs, as dnssec-signzone's dsset
// file would hold it.
func dsOf(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if k, ok := rr.(*dns.DNSKEY); ok && k.Flags&dns.SEP != 0 {
			out = append(out, k.ToDS(dns.SHA256))
		}
	}
	return out
}

// TestLabSignerVerifies checks that dnssec-verify accepts what lab.Sign
// makes, each way it signs, and rejects what each signature fault breaks.
func TestLabSignerVerifies(t *testing.T) {
	tools := requireSigner(t)
	zone := parseText(t, "example.com.", exampleZone)
	tests := []struct {
		name string
		opts lab.SignOptions
		ok   bool
	}{
		{"ksk+zsk nsec", lab.SignOptions{}, true},
		{"csk", lab.SignOptions{CSK: true}, true},
		{"nsec3", lab.SignOptions{NSEC3: true}, true},
		{"nsec3 opt-out", lab.SignOptions{NSEC3: true, OptOut: true}, true},
		{"nsec3 salt", lab.SignOptions{NSEC3: true, Iterations: 5, Salt: "c0ffee"}, true},
		{"ecdsap384", lab.SignOptions{Algorithm: dns.ECDSAP384SHA384}, true},
		{"ed25519", lab.SignOptions{Algorithm: dns.ED25519}, true},
		{"rsasha256", lab.SignOptions{Algorithm: dns.RSASHA256}, true},
		{"rsasha512", lab.SignOptions{Algorithm: dns.RSASHA512, NSEC3: true}, true},
		{"expired-signatures", lab.SignOptions{Faults: []lab.SignFault{lab.SignExpired}}, false},
		{"not-yet-valid", lab.SignOptions{Faults: []lab.SignFault{lab.SignNotYetValid}}, false},
		{"missing-rrsig", lab.SignOptions{Faults: []lab.SignFault{lab.SignMissingRRSIG}}, false},
		{"bad-signature", lab.SignOptions{Faults: []lab.SignFault{lab.SignBadSignature}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := lab.Sign("example.com.", zone, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "signed.zone")
			if err := os.WriteFile(path, zoneText(s.Records), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"-q", "-o", "example.com.", path}
			if tc.opts.CSK {
				args = append([]string{"-z"}, args...) // one key with the SEP flag signs all
			}
			out, err := exec.Command(tools["dnssec-verify"], args...).CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("dnssec-verify: %v, want ok %v\n%s", err, tc.ok, out)
			}
		})
	}
}

func parseText(t *testing.T, origin, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), origin, "")
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// zoneText writes records as a zone file.
func zoneText(rrs []dns.RR) []byte {
	var b strings.Builder
	for _, rr := range rrs {
		b.WriteString(rr.String() + "\n")
	}
	return []byte(b.String())
}

// delvCases are the names of testdata/lab/dnssec.txtar, each with the
// status a validator gives it and, for a planted fault, the finding
// nstrace gives its zone.
var delvCases = []struct {
	name  string
	qtype uint16
	want  dnssec.Status
	code  string
}{
	{"www.example.com.", dns.TypeA, dnssec.Secure, ""},
	{"alias.example.com.", dns.TypeA, dnssec.Secure, ""},
	{"a.wild.example.com.", dns.TypeTXT, dnssec.Secure, ""},
	{"nope.example.com.", dns.TypeA, dnssec.Secure, ""},
	{"www.example.com.", dns.TypeMX, dnssec.Secure, ""},
	{"ent.example.com.", dns.TypeA, dnssec.Secure, ""},
	{"www.sub.example.com.", dns.TypeA, dnssec.Insecure, dnssec.CodeInsecureDelegation},
	{"www.nsec3.com.", dns.TypeA, dnssec.Secure, ""},
	{"www.nsec3.com.", dns.TypeTXT, dnssec.Secure, ""},
	{"www.sub.nsec3.com.", dns.TypeA, dnssec.Insecure, dnssec.CodeInsecureDelegation},
	{"www.insecure.com.", dns.TypeA, dnssec.Insecure, dnssec.CodeInsecureDelegation},
	{"nope.com.", dns.TypeA, dnssec.Secure, ""},
	{"www.wrongds.com.", dns.TypeA, dnssec.Bogus, dnssec.CodeDSNoMatchingDNSKEY},
	{"www.expired.com.", dns.TypeA, dnssec.Bogus, dnssec.CodeRRSIGExpired},
	{"www.notyet.com.", dns.TypeA, dnssec.Bogus, dnssec.CodeRRSIGNotYetValid},
	{"www.nosig.com.", dns.TypeA, dnssec.Bogus, dnssec.CodeRRSIGMissing},
	{"www.badsig.com.", dns.TypeA, dnssec.Bogus, dnssec.CodeSignatureInvalid},
	{"www.nokeys.com.", dns.TypeA, dnssec.Bogus, dnssec.CodeDNSKEYMissing},
	{"www.badnsec.com.", dns.TypeMX, dnssec.Bogus, dnssec.CodeNSECProofInvalid},
	{"www.gost.com.", dns.TypeA, dnssec.Insecure, dnssec.CodeUnsupportedAlg},
	{"www.salted.com.", dns.TypeA, dnssec.Secure, ""},
	{"nope.salted.com.", dns.TypeA, dnssec.Secure, dnssec.CodeNSEC3Parameters},
	{"www.rsa.com.", dns.TypeA, dnssec.Secure, ""},
	{"www.sha1.com.", dns.TypeA, dnssec.Secure, dnssec.CodeDeprecatedAlg},
	{"nope.sha1.com.", dns.TypeA, dnssec.Secure, dnssec.CodeDeprecatedAlg},
}

// TestDelv serves testdata/lab/dnssec.txtar, signed when it loads, two
// ways: by the lab and by named serving the same signed zones. For each
// name, BIND's delv (validating through a resolver in the namespace, from
// the lab's anchor), the nstrace binary walking named's servers from the
// same anchor (--trust-anchor), the dnssec package walking named's servers,
// and the dnssec package walking the lab's servers must all give the
// status the case expects; nstrace must also give the fault's finding.
func TestDelv(t *testing.T) {
	requireBIND(t)
	delv := lookTool("delv")
	if delv == "" {
		if os.Getenv(requiredEnv) != "" {
			t.Fatalf("no delv (bind9-dnsutils); %s is set, so that is a failure", requiredEnv)
		}
		t.Skip("no delv (bind9-dnsutils)")
	}
	b := serve(t, filepath.Join("..", "testdata", "lab", "dnssec.txtar"))
	anchors := b.m.s.Anchors()
	var conf strings.Builder
	conf.WriteString("trust-anchors {\n")
	for _, rr := range anchors {
		d := rr.(*dns.DS)
		fmt.Fprintf(&conf, "\t. static-ds %d %d %d %q;\n", d.KeyTag, d.Algorithm, d.DigestType, d.Digest)
	}
	conf.WriteString("};\n")
	anchorFile := filepath.Join(b.dir, "anchors.conf")
	if err := os.WriteFile(anchorFile, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	dsFile := filepath.Join(b.dir, "anchors.ds") // the same anchor, as nstrace --trust-anchor reads it
	if err := os.WriteFile(dsFile, zoneText(anchors), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("replies", func(t *testing.T) { compareDO(t, b) })
	root := netip.MustParseAddr(b.root)
	agree := 0
	t.Cleanup(func() { t.Logf("delv and nstrace through BIND agree on %d of %d names", agree, len(delvCases)) })
	for _, c := range delvCases {
		t.Run(strings.TrimSuffix(c.name, ".")+"_"+dns.TypeToString[c.qtype], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, _ := b.ns.command(ctx, delv, "-a", anchorFile, "@"+resolverAddr.String(), c.name, dns.TypeToString[c.qtype]).CombinedOutput()
			byDelv := delvStatus(string(out))
			if byDelv != c.want {
				t.Errorf("delv: %s, want %s\n%s", byDelv, c.want, out)
			}
			d, err := runNstrace(t, b.ns, []string{"--root-hints", b.hints, "--trust-anchor", dsFile}, c.name, dns.TypeToString[c.qtype])
			if err != nil {
				t.Fatal(err)
			}
			byNstrace, codes := nstraceVerdict(d)
			if byNstrace != byDelv || byNstrace != c.want {
				t.Errorf("nstrace through BIND: %s (zones %v), delv: %s; want %s", byNstrace, d.DNSSEC, byDelv, c.want)
			} else {
				agree++
				t.Logf("delv and nstrace: %s (delv: %s)", byNstrace, delvLine(string(out)))
			}
			if c.code != "" && !slices.Contains(codes, c.code) {
				t.Errorf("nstrace through BIND: findings %q, want %s", codes, c.code)
			}
			for _, via := range []struct {
				name string
				dial dialFunc
			}{{"named", b.ns.dial}, {"lab", b.lab.Dial}} {
				got, fs, err := validateWalk(via.dial, root, anchors, c.name, c.qtype)
				if err != nil || got != c.want {
					t.Errorf("dnssec through %s: %s (%v), want %s; findings %v", via.name, got, err, c.want, fs)
				}
			}
		})
	}
}

// nstraceVerdict is what nstrace's per-zone statuses say of the answer,
// in delv's terms: bogus when any zone is (delv: resolution failed), else
// the status of the last zone, the answer's (secure: fully validated;
// insecure: unsigned answer); with the codes of the trace's findings
// (insecure-delegation is the parent's).
func nstraceVerdict(d *nstraceDoc) (dnssec.Status, []string) {
	if len(d.DNSSEC) == 0 {
		return dnssec.Indeterminate, nil
	}
	last := d.DNSSEC[len(d.DNSSEC)-1]
	var codes []string
	for _, f := range d.Findings {
		codes = append(codes, f.Code)
	}
	for _, z := range d.DNSSEC {
		if z.Status == string(dnssec.Bogus) {
			return dnssec.Bogus, codes
		}
	}
	return dnssec.Status(last.Status), codes
}

// delvLine is the line of delv's output that gives its verdict.
func delvLine(out string) string {
	for _, word := range []string{"validated", "unsigned answer", "resolution failed"} {
		for line := range strings.Lines(out) {
			if strings.Contains(line, word) {
				return strings.TrimSpace(line)
			}
		}
	}
	return "no verdict"
}

// delvStatus reads delv's verdict.
func delvStatus(out string) dnssec.Status {
	// A negative answer is "resolution failed: ncache nxdomain" then
	// "negative response, fully validated": the verdict wins.
	switch {
	case strings.Contains(out, "fully validated"):
		return dnssec.Secure
	case strings.Contains(out, "unsigned answer"):
		return dnssec.Insecure
	case strings.Contains(out, "resolution failed"):
		return dnssec.Bogus
	}
	return dnssec.Indeterminate
}

type dialFunc func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error)

// askDO sends one non-recursive query with DO over TCP.
func askDO(dial dialFunc, addr netip.Addr, name string, qtype uint16) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := dial(ctx, "tcp", netip.AddrPortFrom(addr, 53))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	m.SetEdns0(1232, true)
	dc := &dns.Conn{Conn: c}
	if err := dc.WriteMsg(m); err != nil {
		return nil, err
	}
	return dc.ReadMsg()
}

// validateWalk walks from the root server at root to the answer of
// qname/qtype, as a validating resolver does (each zone's DNSKEY set,
// then the question; each referral's DS or its denial; glue to go on),
// and validates every step from anchors.
func validateWalk(dial dialFunc, root netip.Addr, anchors []dns.RR, qname string, qtype uint16) (dnssec.Status, []dnssec.Finding, error) {
	v := &dnssec.Validator{}
	link := dnssec.AnchorLink(anchors, ".")
	zone, addr := ".", root
	var all []dnssec.Finding
	for range 8 {
		keys, err := askDO(dial, addr, zone, dns.TypeDNSKEY)
		if err != nil {
			return dnssec.Indeterminate, all, err
		}
		z := v.Keys(link, keys.Answer)
		r, err := askDO(dial, addr, qname, qtype)
		if err != nil {
			return dnssec.Indeterminate, all, err
		}
		if r.Authoritative || len(r.Ns) == 0 || r.Ns[0].Header().Rrtype != dns.TypeNS {
			a := v.Answer(z, qname, qtype, r.Rcode, r.Answer, r.Ns)
			return a.Status, append(append(all, z.Findings...), a.Findings...), nil
		}
		child := dns.CanonicalName(r.Ns[0].Header().Name)
		link = v.Delegation(z, child, r.Ns)
		target := r.Ns[0].(*dns.NS).Ns
		next := netip.Addr{}
		for _, rr := range r.Extra {
			if a, ok := rr.(*dns.A); ok && strings.EqualFold(a.Hdr.Name, target) {
				next, _ = netip.AddrFromSlice(a.A.To4())
			}
		}
		if !next.IsValid() {
			return dnssec.Indeterminate, all, fmt.Errorf("no glue for %s", target)
		}
		zone, addr = child, next
	}
	return dnssec.Indeterminate, all, fmt.Errorf("too many referrals")
}

// compareDO asks every running server of the bench, with DO over TCP, the
// names of delvCases and each zone's DNSKEY, DS, NSEC3PARAM and a name
// under it that does not exist, of named and of the lab, and compares the
// replies: the lab serves signed zones as named does.
func compareDO(t *testing.T, b *bench) {
	var qs []question
	for _, c := range delvCases {
		qs = append(qs, question{c.name, c.qtype})
	}
	for origin := range b.m.s.ZoneFiles() {
		for _, ty := range []uint16{dns.TypeDNSKEY, dns.TypeDS, dns.TypeNSEC3PARAM, dns.TypeSOA, dns.TypeNS} {
			qs = append(qs, question{origin, ty})
		}
		qs = append(qs, question{child("nx-e2e", origin), dns.TypeA})
	}
	total, reported := 0, 0
	for _, h := range b.servers {
		for _, q := range qs {
			total++
			bm, err := askDO(b.ns.dial, h.addr, q.name, q.qtype)
			if err != nil {
				t.Fatalf("named at %s, %v: %v", h.addr, q, err)
			}
			lm, err := askDO(b.lab.Dial, h.addr, q.name, q.qtype)
			if err != nil {
				t.Fatalf("lab at %s, %v: %v", h.addr, q, err)
			}
			if diffs := diffReplies(lm, bm); len(diffs) > 0 {
				if reported++; reported <= maxReported {
					t.Errorf("%s (%s), %v with DO: the lab and named disagree:\n%s", h.addr, strings.Join(h.names, " "), q, strings.Join(diffs, "\n"))
				}
			}
		}
	}
	t.Logf("%d replies with DO compared: %d disagree", total, reported)
}
