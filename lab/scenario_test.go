package lab

import (
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// base is a small good scenario the parse tests change one file of.
var base = map[string]string{
	"root.zone": `$TTL 86400
.		IN	SOA	a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
.		IN	NS	a.root-servers.net.
com.		IN	NS	a.gtld-servers.net.
a.root-servers.net.	IN	A	198.41.0.4
a.root-servers.net.	IN	AAAA	2001:503:ba3e::2:30
a.gtld-servers.net.	IN	A	192.5.6.30
`,
	"com.zone": `$TTL 172800
@		IN	SOA	a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900
@		IN	NS	a.gtld-servers.net.
example		IN	NS	ns1.example.com.
example		IN	NS	ns2.example.com.
ns1.example	IN	A	192.0.2.1
`,
	"example.com.zone": `$TTL 3600
@		IN	SOA	ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600
@		IN	NS	ns1.example.com.
@		IN	NS	ns2.example.com.
ns1		IN	A	192.0.2.1
ns1		IN	AAAA	2001:db8::1
ns2		IN	AAAA	2001:db8::2
www		IN	A	192.0.2.10
`,
}

// files is base with some files replaced; an empty value removes a file.
func files(change map[string]string) map[string][]byte {
	out := make(map[string][]byte)
	for k, v := range base {
		out[k] = []byte(v)
	}
	for k, v := range change {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = []byte(v)
		}
	}
	return out
}

func TestParseErrors(t *testing.T) {
	zone := func(body string) map[string]string {
		return map[string]string{"example.com.zone": "$TTL 3600\n@ IN SOA ns1.example.com. h.example.com. 1 2 3 4 5\n" + body}
	}
	conf := func(body string) map[string]string { return map[string]string{"lab.conf": body} }
	tests := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"unknown fault", conf("# notes\n\nfault ns1.example.com donw\n"), `x: lab.conf:3: unknown fault "donw"`},
		{"bad duration", conf("fault ns1.example.com delay 10\n"), `lab.conf:1: bad duration "10"`},
		{"negative duration", conf("fault ns1.example.com delay -1s\n"), `lab.conf:1: bad duration "-1s"`},
		{"delay without duration", conf("fault ns1.example.com delay\n"), `lab.conf:1: fault delay needs one argument`},
		{"argument too many", conf("fault ns1.example.com down now\n"), `lab.conf:1: fault down takes no argument`},
		{"bad loss", conf("fault ns1.example.com loss 150\n"), `lab.conf:1: bad percentage "150"`},
		{"NaN loss", conf("fault ns1.example.com loss NaN\n"), `lab.conf:1: bad percentage "NaN"`},
		{"other-address without address", conf("fault ns1.example.com other-address\n"), `lab.conf:1: fault other-address needs one argument`},
		{"other-address, a name", conf("fault ns1.example.com other-address ns9.example.com\n"), `lab.conf:1: bad address "ns9.example.com"`},
		{"server without address", conf("server ns9.example.com\n"), `lab.conf:1: server needs a name and at least one address`},
		{"server bad address", conf("server ns9.example.com 192.0.2\n"), `lab.conf:1: bad address "192.0.2"`},
		{"server zoned address", conf("server ns9.example.com fe80::1%eth0\n"), `lab.conf:1: bad address "fe80::1%eth0"`},
		{"server bad name", conf("server ns9..example.com 192.0.2.9\n"), `lab.conf:1: bad name "ns9..example.com"`},
		{"fault unknown server", conf("fault ns9.example.com down\n"), `lab.conf:1: unknown server ns9.example.com.`},
		{"fault address not the server's", conf("fault ns1.example.com@192.0.2.9 down\n"), `lab.conf:1: server ns1.example.com. has no address 192.0.2.9`},
		{"fault bad address", conf("fault ns1.example.com@nowhere down\n"), `lab.conf:1: bad address "nowhere"`},
		{"fault on any server at unknown address", conf("fault *@192.0.2.9 down\n"), `lab.conf:1: no server has address 192.0.2.9`},
		{"fault without kind", conf("fault ns1.example.com\n"), `lab.conf:1: fault needs a server and a fault`},
		{"serve unknown zone", conf("serve ns1.example.com example.org\n"), `lab.conf:1: no zone file for example.org.`},
		{"serve without zone", conf("serve ns1.example.com\n"), `lab.conf:1: serve needs a server name and at least one zone`},
		{"unknown directive", conf("listen 192.0.2.1\n"), `lab.conf:1: unknown directive "listen"`},
		{"unknown host network", conf("host ipv5-only\n"), `lab.conf:1: unknown host network "ipv5-only" (want dual-stack, ipv4-only, ipv6-only, offline)`},
		{"host without network", conf("host\n"), `lab.conf:1: host needs one network (dual-stack, ipv4-only, ipv6-only, offline)`},
		{"host twice", conf("host ipv4-only\nhost ipv4-only\n"), `lab.conf:2: host is set twice`},
		{"upward without root", map[string]string{"root.zone": "", "lab.conf": "fault ns1.example.com upward\n"}, `lab.conf:1: fault upward needs a root zone`},
		{"no root zone", map[string]string{"root.zone": ""}, `x: lab has no root zone (root.zone or a zone for '.')`},
		{"zone does not parse", zone("www IN A 192.0.2.300\n"), `x: example.com.zone: dns: bad A A: "192.0.2.300" at line: 3:`},
		{"zone empty A", zone("www IN A\n"), `example.com.zone: www.example.com. A: no data`},
		{"zone bad TTL", zone("www 1x IN A 192.0.2.1\n"), `example.com.zone: dns: `},
		{"zone include", zone("$INCLUDE /etc/passwd\n"), `example.com.zone: dns: $INCLUDE directive not allowed`},
		{"zone without SOA", map[string]string{"example.com.zone": "www 3600 IN A 192.0.2.10\n"}, `example.com.zone: no SOA record at the apex example.com.`},
		{"zone two SOA", zone("@ IN SOA ns2.example.com. h.example.com. 1 2 3 4 5\n"), `example.com.zone: more than one SOA record at example.com.`},
		{"zone out of zone", zone("www.example.org. IN A 192.0.2.10\n"), `example.com.zone: www.example.org. is out of zone example.com.`},
		{"zone class CH", zone("www CH A 192.0.2.10\n"), `example.com.zone: www.example.com.: class CH is not served`},
		{"zone CNAME and other data", zone("www IN CNAME x\nwww IN A 192.0.2.10\n"), `example.com.zone: www.example.com. has a CNAME and other data`},
		{"zone twice", map[string]string{"other.zone": "$ORIGIN example.com.\n" + base["example.com.zone"]}, `other.zone: zone example.com. is also in example.com.zone`},
		{"zone without a name", map[string]string{".zone": "www 3600 IN A 192.0.2.10\n"}, `.zone: no $ORIGIN, and the file name gives none`},
		{"zone bad origin", map[string]string{"a..b.zone": "www 3600 IN A 192.0.2.10\n"}, `a..b.zone: bad origin "a..b."`},
		{"zone empty origin", map[string]string{"x.zone": "$ORIGIN\n"}, `x.zone: $ORIGIN without a name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("x", files(tt.change))
			if err == nil {
				t.Fatalf("Parse succeeded with zones %v, want error %q", s.Zones(), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseServers(t *testing.T) {
	s, err := Parse("x", files(map[string]string{
		"lab.conf": `# A scenario for the test.
#   www.example.com A
server ns3.example.net 198.51.100.3 2001:db8::3   # not in any zone file
server ns1.example.com 192.0.2.11                  # another address for ns1
serve ns3.example.net example.com.
fault * delay 10ms
fault ns1.example.com@2001:db8::1 refused
fault ns2.example.com loss 25%
`,
		"readme.txt": "ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Zones(), []string{".", "com.", "example.com."}; !slices.Equal(got, want) {
		t.Errorf("Zones() = %q, want %q", got, want)
	}
	if got, want := s.Notes(), "A scenario for the test.\n  www.example.com A\n"; got != want {
		t.Errorf("Notes() = %q, want %q", got, want)
	}
	delay := Fault{Kind: "delay", Delay: 10 * time.Millisecond}
	got := make(map[string]string)
	for _, sv := range s.Servers() {
		got[sv.Name] = fmt.Sprint(sv.Addrs, sv.Zones, sv.Faults)
	}
	want := map[string]string{
		"a.root-servers.net.": fmt.Sprint([]netip.Addr{aRoot, netip.MustParseAddr("2001:503:ba3e::2:30")}, []string{"."}, []Fault{delay}),
		"a.gtld-servers.net.": fmt.Sprint([]netip.Addr{netip.MustParseAddr("192.5.6.30")}, []string{"com."}, []Fault{delay}),
		"ns1.example.com.": fmt.Sprint([]netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.11"), netip.MustParseAddr("2001:db8::1")},
			[]string{"example.com."}, []Fault{delay, {Kind: "refused", Addr: netip.MustParseAddr("2001:db8::1")}}),
		"ns2.example.com.": fmt.Sprint([]netip.Addr{netip.MustParseAddr("2001:db8::2")}, []string{"example.com."}, []Fault{delay, {Kind: "loss", Percent: 25}}),
		"ns3.example.net.": fmt.Sprint([]netip.Addr{netip.MustParseAddr("198.51.100.3"), netip.MustParseAddr("2001:db8::3")}, []string{"example.com."}, []Fault{delay}),
	}
	if !maps.Equal(got, want) {
		for n := range want {
			if got[n] != want[n] {
				t.Errorf("server %s = %s, want %s", n, got[n], want[n])
			}
		}
		for n := range got {
			if _, ok := want[n]; !ok {
				t.Errorf("unexpected server %s = %s", n, got[n])
			}
		}
	}
	if got := (Fault{Kind: "loss", Percent: 25}).String(); got != "loss 25" {
		t.Errorf("Fault.String() = %q, want %q", got, "loss 25")
	}

	// The per-address fault holds at that address only.
	l := start(t, s)
	for _, tt := range []struct {
		addr  string
		rcode int
	}{{"192.0.2.1", dns.RcodeSuccess}, {"192.0.2.11", dns.RcodeSuccess}, {"2001:db8::1", dns.RcodeRefused}, {"198.51.100.3", dns.RcodeSuccess}} {
		r, err := exchange(t, l, tt.addr, "tcp", query("www.example.com.", dns.TypeA, 0))
		if err != nil {
			t.Fatalf("%s: %v", tt.addr, err)
		}
		if r.Rcode != tt.rcode {
			t.Errorf("%s: rcode = %s, want %s", tt.addr, dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
		}
	}
	if got := l.RootHints(); len(got) != 2 || got[0].Addr != aRoot || got[1].Addr.String() != "2001:503:ba3e::2:30" ||
		got[0].Name != "a.root-servers.net." || got[0].Source != "hints" {
		t.Errorf("RootHints() = %v", got)
	}
}

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		file, data, want string
	}{
		{"example.com.zone", "", "example.com."},
		{"root.zone", "", "."},
		{"EXAMPLE.com.zone", "", "example.com."},
		{"db.zone", "$ORIGIN example.org.\n", "example.org."},
		{"db.zone", "; comment\n$origin Example.ORG.\n$ORIGIN other.\n", "example.org."},
		{"com.zone", "$ORIGIN example\n", "example.com."},
		{"root.zone", "$ORIGIN net\n", "net."},
	}
	for _, tt := range tests {
		got, err := zoneOrigin(tt.file, []byte(tt.data))
		if err != nil || got != tt.want {
			t.Errorf("zoneOrigin(%q, %q) = %q, %v; want %q", tt.file, tt.data, got, err, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	for name, data := range base {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a zone"), 0o666)
	os.Mkdir(filepath.Join(dir, "sub.zone"), 0o777)
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(dir): %v", err)
	}
	if got := s.Zones(); len(got) != 3 {
		t.Errorf("Load(dir).Zones() = %q", got)
	}
	if _, err := Load(filepath.Join(dir, "README")); err == nil || !strings.Contains(err.Error(), "not a directory or a .txtar file") {
		t.Errorf("Load(README) error = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("Load(missing) succeeded")
	}
	bad := filepath.Join(dir, "bad.txtar")
	os.WriteFile(bad, []byte("-- lab.conf --\nfault x donw\n"), 0o666)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.txtar: lab.conf:1: unknown fault") {
		t.Errorf("Load(bad.txtar) error = %v", err)
	}
	dup := filepath.Join(dir, "dup.txtar")
	os.WriteFile(dup, []byte("-- a/x.zone --\n-- b/x.zone --\n"), 0o666)
	if _, err := Load(dup); err == nil || !strings.Contains(err.Error(), "two files named x.zone") {
		t.Errorf("Load(dup.txtar) error = %v", err)
	}
}

// TestTestdata loads every scenario the engine tests use, starts it and
// asks the root for a name in the first zone below it that the root's
// servers do not serve.
func TestTestdata(t *testing.T) {
	paths, err := filepath.Glob("../testdata/lab/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			s, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if s.Notes() == "" {
				t.Errorf("lab.conf has no notes")
			}
			// The servers are checked from a host that reaches them all,
			// whatever host the scenario plays (host-offline).
			l := start(t, s.WithHost(HostDualStack))
			hints := l.RootHints()
			if len(hints) == 0 {
				t.Fatalf("no root hints")
			}
			zones := s.Zones()
			if len(zones) < 2 || zones[0] != "." {
				t.Fatalf("zones %q: want the root and more", zones)
			}
			// The first zone below the root that the root servers do not
			// serve themselves (some serve net., for their own addresses).
			rootServes := map[string]bool{}
			for _, sv := range s.Servers() {
				if slices.Contains(sv.Zones, ".") {
					for _, z := range sv.Zones {
						rootServes[z] = true
					}
				}
			}
			zones = slices.DeleteFunc(zones, func(z string) bool { return rootServes[z] })
			if len(zones) == 0 {
				t.Fatalf("the root servers serve every zone")
			}
			// Some scenarios break the first root server, or drop the first
			// query, on purpose: any root server that answers will do.
			var r *dns.Msg
			for _, h := range slices.Concat(hints, hints) {
				if r, err = exchange(t, l, h.Addr.String(), "udp", query("www."+zones[0], dns.TypeA, 1232)); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Rcode != dns.RcodeSuccess || len(r.Ns) == 0 || r.Authoritative {
				t.Errorf("root reply is not a referral:\n%v", r)
			}
		})
	}
}
