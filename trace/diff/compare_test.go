package diff

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// doc writes a trace of www.example.com. A: a referral from com. to
// example.com. with the NS set and glue given, and an answer from the
// first server, both with the round-trip time and the dnssec objects
// given; findings and the top-level dnssec are JSON texts too.
type doc struct {
	name      string // the question's name; www.example.com. by default
	ns        []string
	glue      []string // "NAME ADDR"
	rtt       int      // microseconds
	findings  string
	refDNSSEC string // the referral's dnssec object
	dnssec    string // the trace's
	answerTTL int
}

func (d doc) String() string {
	name := cmpOr(d.name, "www.example.com.")
	var ns, glue []string
	for _, n := range d.ns {
		ns = append(ns, fmt.Sprintf(`{"name":%q,"ttl":172800}`, n))
	}
	for _, g := range d.glue {
		f := strings.Fields(g)
		glue = append(glue, fmt.Sprintf(`{"name":%q,"address":%q,"ttl":172800}`, f[0], f[1]))
	}
	ref := fmt.Sprintf(`{"zone":"example.com.","ns":[%s],"glue":[%s]%s}`, strings.Join(ns, ","), strings.Join(glue, ","), field("dnssec", d.refDNSSEC))
	answer := fmt.Sprintf(`"%s %d IN A 192.0.2.10"`, name, cmpOr(d.answerTTL, 3600))
	hop := func(zone, server, addr, rest string) string {
		return fmt.Sprintf(`{"id":1,"purpose":"walk","zone":%q,"server":{"name":%q,"address":%q,"source":"glue"},"rtt_us":%d,"rcode":"NOERROR",%s}`, zone, server, addr, d.rtt, rest)
	}
	first := strings.Fields(cmpOr(strings.Join(d.glue, " "), "ns1.example.com. 192.0.2.1"))
	return fmt.Sprintf(`{"schema_version":1,"question":{"name":%q,"type":"A","class":"IN"},"outcome":"answer","answer":[%s],"authority":[],"findings":[%s]%s,"hops":[%s,%s]}`,
		name, answer, d.findings, field("dnssec", d.dnssec),
		hop("com.", "a.gtld-servers.net.", "192.5.6.30", `"outcome":"referral","referral":`+ref),
		hop("example.com.", first[0], first[1], `"outcome":"answer","answer":[`+answer+`]`))
}

func field(key, v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf(",%q:%s", key, v)
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func compare(t *testing.T, a, b doc, o Options) []Change {
	t.Helper()
	olds, err := Read(strings.NewReader(a.String()))
	if err != nil {
		t.Fatalf("Read(%s): %v", a, err)
	}
	news, err := Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("Read(%s): %v", b, err)
	}
	rs, err := Compare(olds, news, o)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0].Changes
}

// text lists changes as "OP KIND ZONE NAME ADDRESS CODE", for comparing.
func text(cs []Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, strings.Join(strings.Fields(fmt.Sprint(c.Op, " ", c.Kind, " ", c.Zone, " ", c.Name, " ", c.Address, " ", c.Code)), " "))
	}
	return strings.Join(s, "; ")
}

func TestCompare(t *testing.T) {
	two := doc{ns: []string{"ns1.example.com.", "ns2.example.com."}, glue: []string{"ns1.example.com. 192.0.2.1", "ns2.example.com. 192.0.2.2"}, rtt: 1000}
	swapped := two
	swapped.ns = []string{"ns2.example.com.", "NS1.Example.COM."}
	swapped.glue = []string{"ns2.example.com. 192.0.2.2", "ns1.example.com. 192.0.2.1"}
	swapped.rtt = 90000
	renumbered := two
	renumbered.glue = []string{"ns1.example.com. 192.0.2.1", "ns2.example.com. 192.0.2.22"}
	glueless := two
	glueless.glue = []string{"ns2.example.com. 192.0.2.2"}
	ttl := two
	ttl.answerTTL = 300
	finding := `{"code":"single-nameserver","severity":"warning","zone":"example.com.","server":{"name":"ns1.example.com.","address":""},"message":"%s","hops":[1]}`
	warned, reworded, worse := two, two, two
	warned.findings = fmt.Sprintf(finding, "one")
	reworded.findings = fmt.Sprintf(finding, "one, in other words")
	worse.findings = strings.Replace(fmt.Sprintf(finding, "one"), "warning", "error", 1)
	signed, bogus, keyed, listed := two, two, two, two
	signed.refDNSSEC = `{"status":"secure","ds":[{"key_tag":12345,"algorithm":13},{"key_tag":2,"algorithm":8}]}`
	bogus.refDNSSEC = `{"status":"bogus","ds":[{"algorithm":13,"key_tag":12345}]}`
	keyed.dnssec = `{"example.com.":{"status":"secure"}}`
	listed.dnssec = `{"zones":[{"zone":"example.com.","status":"insecure"}]}`
	for _, c := range []struct {
		name string
		a, b doc
		o    Options
		want string
	}{
		{"same", two, two, Options{}, ""},
		{"order, case and timings", two, swapped, Options{}, ""},
		{"rtt below the threshold", two, swapped, Options{RTT: 100 * time.Millisecond}, ""},
		{"rtt", two, swapped, Options{RTT: 50 * time.Millisecond}, "changed rtt com. a.gtld-servers.net. 192.5.6.30"}, // ns1 and ns2 of example.com. are other servers
		{"glue", two, renumbered, Options{}, "removed address example.com. ns2.example.com. 192.0.2.2; added address example.com. ns2.example.com. 192.0.2.22"},
		{"glue gone", two, glueless, Options{}, "removed address example.com. ns1.example.com. 192.0.2.1"},
		{"glue comes", glueless, two, Options{}, "added address example.com. ns1.example.com. 192.0.2.1"},
		{"ttl", two, ttl, Options{}, "changed answer www.example.com. IN A 192.0.2.10"},
		{"finding appears", two, warned, Options{}, "added finding example.com. ns1.example.com. single-nameserver"},
		{"finding goes", warned, two, Options{}, "removed finding example.com. ns1.example.com. single-nameserver"},
		{"finding reworded", warned, reworded, Options{}, ""},
		{"finding worse", warned, worse, Options{}, "changed finding example.com. ns1.example.com. single-nameserver"},
		{"dnssec in one only", two, signed, Options{}, ""},
		{"dnssec", signed, bogus, Options{}, `removed dnssec example.com. ds {"algorithm":8,"key_tag":2}; changed dnssec example.com. status`},
		{"dnssec keyed by zone", keyed, listed, Options{}, "changed dnssec example.com. status"},
	} {
		if got := text(compare(t, c.a, c.b, c.o)); got != c.want {
			t.Errorf("Compare(%s) = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestCompareLookedUp checks that a nameserver's address that only one
// walk looked up is no change: a walk resolves a glueless name only when
// it needs it.
func TestCompareLookedUp(t *testing.T) {
	lookup := func(name, addr string) string {
		return fmt.Sprintf(`{"question":{"name":%q,"type":"A","class":"IN"},"outcome":"answer","answer":["%s 3600 IN A %s"],"authority":[],"queries":1,"hops":[]}`, name, name, addr)
	}
	trace := func(lookups string) string {
		return `{"schema_version":1,"question":{"name":"example.com.","type":"A","class":"IN"},"outcome":"answer","answer":[],"authority":[],"findings":[],"hops":[` +
			`{"zone":"com.","server":{"name":"a.gtld-servers.net.","address":"192.5.6.30"},"outcome":"referral","referral":{"zone":"example.com.","ns":[{"name":"ns1.dns.net.","ttl":3600},{"name":"ns2.dns.net.","ttl":3600}],"glue":[]},"lookups":[` + lookups + `]}]}`
	}
	a := trace(lookup("ns1.dns.net.", "192.0.2.1"))
	b := trace(lookup("ns2.dns.net.", "192.0.2.2"))
	c := trace(lookup("ns1.dns.net.", "192.0.2.9"))
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"other name looked up", a, b, ""},
		{"same name, other address", a, c, "removed address example.com. ns1.dns.net. 192.0.2.1; added address example.com. ns1.dns.net. 192.0.2.9"},
	} {
		olds, err1 := Read(strings.NewReader(tc.a))
		news, err2 := Read(strings.NewReader(tc.b))
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		rs, err := Compare(olds, news, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := text(rs[0].Changes); got != tc.want {
			t.Errorf("Compare(%s) = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestCompareLists(t *testing.T) {
	read := func(docs ...doc) []*Trace {
		var b strings.Builder
		for _, d := range docs {
			b.WriteString(d.String() + "\n")
		}
		ts, err := Read(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	www, mail, ftp := doc{}, doc{name: "mail.example.com."}, doc{name: "ftp.example.com."}
	wwwUpper := doc{name: "WWW.example.com."}
	for _, c := range []struct {
		name     string
		old, new []*Trace
		want     string // each result's question and status
		err      error
	}{
		{"one each, same", read(www), read(wwwUpper), "WWW.example.com. same", nil},
		{"one each, different", read(www), read(mail), "", ErrQuestion},
		{"lists", read(www, mail), read(ftp, www), "ftp.example.com. added; www.example.com. same; mail.example.com. removed", nil},
		{"twice", read(www, www), read(www), "www.example.com. same; www.example.com. removed", nil},
		{"nothing in common", read(www, mail), read(ftp, ftp), "", ErrNothingInCommon},
	} {
		rs, err := Compare(c.old, c.new, Options{})
		if !errors.Is(err, c.err) {
			t.Errorf("Compare(%s) error %v, want %v", c.name, err, c.err)
			continue
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.Question.Name+" "+string(r.Status))
		}
		if g := strings.Join(got, "; "); g != c.want {
			t.Errorf("Compare(%s) = %s, want %s", c.name, g, c.want)
		}
	}
}
