package dnssec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/lab"
)

// now is the tests' clock: signatures are made and checked at it.
var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// zoneTexts is a small hierarchy: the root, com, and example.com with an
// alias, a wildcard, an empty non-terminal and an unsigned delegation;
// com has an unsigned child, insecure.com.
var zoneTexts = map[string]string{
	".": `. 86400 IN SOA a.root. nstld. 1 1800 900 604800 86400
. 518400 IN NS a.root.
a.root. 518400 IN A 192.0.2.1
com. 172800 IN NS ns.com.
ns.com. 172800 IN A 192.0.2.2
`,
	"com.": `com. 900 IN SOA ns.com. h.com. 1 1800 900 604800 86400
com. 172800 IN NS ns.com.
ns.com. 172800 IN A 192.0.2.2
example.com. 172800 IN NS ns1.example.com.
ns1.example.com. 172800 IN A 192.0.2.3
insecure.com. 172800 IN NS ns.insecure.com.
ns.insecure.com. 172800 IN A 192.0.2.4
`,
	"example.com.": `example.com. 3600 IN SOA ns1.example.com. h.example.com. 1 7200 3600 1209600 3600
example.com. 3600 IN NS ns1.example.com.
ns1.example.com. 3600 IN A 192.0.2.3
www.example.com. 3600 IN A 192.0.2.10
alias.example.com. 3600 IN CNAME www.example.com.
*.wild.example.com. 3600 IN TXT "wild"
exists.wild.example.com. 3600 IN A 192.0.2.13
x.ent.example.com. 3600 IN A 192.0.2.11
sub.example.com. 3600 IN NS ns.sub.example.com.
ns.sub.example.com. 3600 IN A 192.0.2.12
`,
}

func parseZone(t testing.TB, origin, text string) []dns.RR {
	t.Helper()
	var out []dns.RR
	zp := dns.NewZoneParser(strings.NewReader(text), origin, origin)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tree is the hierarchy, signed.
type tree struct {
	signed map[string]*lab.Signed
}

// newTree signs the hierarchy: every zone with the default options, and
// example.com with ex.
func newTree(t testing.TB, ex lab.SignOptions) *tree {
	t.Helper()
	return signTree(t, lab.SignOptions{Now: now}, ex)
}

// newTreeAll signs every zone of the hierarchy with o.
func newTreeAll(t testing.TB, o lab.SignOptions) *tree {
	t.Helper()
	o.Now = now
	return signTree(t, o, o)
}

func signTree(t testing.TB, upper, ex lab.SignOptions) *tree {
	t.Helper()
	zones := map[string][]dns.RR{}
	for origin, text := range zoneTexts {
		zones[origin] = parseZone(t, origin, text)
	}
	if ex.Now.IsZero() {
		ex.Now = now
	}
	opts := map[string]lab.SignOptions{".": upper, "com.": upper, "example.com.": ex}
	signed, err := lab.SignTree(zones, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &tree{signed: signed}
}

// newTreeAt is newTree with example.com. signed at its options' Now.
func newTreeAt(t testing.TB, ex lab.SignOptions) *tree { return newTree(t, ex) }

// rrs is the records of zone at name of the types, with the RRSIGs that
// cover them.
func (tr *tree) rrs(zone, name string, types ...uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range tr.signed[zone].Records {
		h := rr.Header()
		if !strings.EqualFold(h.Name, name) {
			continue
		}
		t := h.Rrtype
		if s, ok := rr.(*dns.RRSIG); ok {
			t = s.TypeCovered
		}
		for _, want := range types {
			if t == want {
				out = append(out, rr)
			}
		}
	}
	return out
}

// all is every record of zone of type t, with their RRSIGs.
func (tr *tree) all(zone string, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range tr.signed[zone].Records {
		rt := rr.Header().Rrtype
		if s, ok := rr.(*dns.RRSIG); ok {
			rt = s.TypeCovered
		}
		if rt == t {
			out = append(out, rr)
		}
	}
	return out
}

// denial is every NSEC and NSEC3 record of zone, with their RRSIGs.
func (tr *tree) denial(zone string) []dns.RR {
	return append(tr.all(zone, dns.TypeNSEC), tr.all(zone, dns.TypeNSEC3)...)
}

// anchors is the root's DS, as a trust anchor file would hold it.
func (tr *tree) anchors() []dns.RR {
	var out []dns.RR
	for _, d := range tr.signed["."].DS {
		out = append(out, d)
	}
	return out
}

// walk validates from the root down to the last of zones, as the
// resolver would: each referral's DS or proof, then the child's keys.
func (tr *tree) walk(v *dnssec.Validator, zones ...string) dnssec.Zone {
	z := v.Keys(dnssec.AnchorLink(tr.anchors(), "."), tr.all(".", dns.TypeDNSKEY))
	parent := "."
	for _, child := range zones {
		ref := append(tr.rrs(parent, child, dns.TypeNS, dns.TypeDS), tr.denial(parent)...)
		link := v.Delegation(z, child, ref)
		var keys []dns.RR
		if tr.signed[child] != nil {
			keys = tr.all(child, dns.TypeDNSKEY)
		}
		z = v.Keys(link, keys)
		parent = child
	}
	return z
}

// codes lists the findings' codes.
func codes(fs []dnssec.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func hasCode(fs []dnssec.Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

func validator() *dnssec.Validator {
	return &dnssec.Validator{Now: func() time.Time { return now }}
}
