package e2e

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

// TestMapScenario maps every scenario of testdata/lab into 127/8: the
// suite may serve any of them with BIND only if nothing is left outside.
func TestMapScenario(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "lab", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			m, err := mapScenario(p)
			if err != nil {
				t.Fatal(err) // mapScenario checks every address is loopback
			}
			for from, to := range m.addrs {
				if !to.Unmap().IsLoopback() || from.Is4() != to.Is4() {
					t.Errorf("%s mapped to %s", from, to)
				}
			}
			for _, sv := range m.s.Servers() {
				for _, a := range sv.Addrs {
					if !a.Unmap().IsLoopback() {
						t.Errorf("server %s at %s", sv.Name, a)
					}
				}
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	m := map[netip.Addr]netip.Addr{
		netip.MustParseAddr("192.0.2.1"):   netip.MustParseAddr("127.0.1.1"),
		netip.MustParseAddr("2001:db8::1"): netip.MustParseAddr("::ffff:127.0.101.1"),
	}
	f := func(a netip.Addr) netip.Addr { return m[a] }
	zone := strings.Join([]string{
		"ns1\tIN\tA\t192.0.2.1 ; a comment 192.0.2.1",
		"ns1 3600 IN AAAA 2001:db8::1",
		`txt IN TXT "A 192.0.2.1"`,
		"a IN A 192.0.2.1",
		"@ IN SOA ns1 host ( 1 2 3 4 5 )",
		"",
	}, "\n")
	want := strings.Join([]string{
		"ns1\tIN\tA\t127.0.1.1 ; a comment 192.0.2.1",
		"ns1 3600 IN AAAA ::ffff:127.0.101.1",
		`txt IN TXT "A 192.0.2.1"`,
		"a IN A 127.0.1.1",
		"@ IN SOA ns1 host ( 1 2 3 4 5 )",
		"",
	}, "\n")
	if got := string(rewrite("example.com.zone", []byte(zone), f)); got != want {
		t.Errorf("zone file:\n got %q\nwant %q", got, want)
	}
	conf := "# server ns1 at 192.0.2.1\nserver ns3.example.com 192.0.2.1 2001:db8::1\nfault ns1.example.com@192.0.2.1 down\n"
	wantConf := "# server ns1 at 192.0.2.1\nserver ns3.example.com 127.0.1.1 ::ffff:127.0.101.1\nfault ns1.example.com@127.0.1.1 down\n"
	if got := string(rewrite("lab.conf", []byte(conf), f)); got != wantConf {
		t.Errorf("lab.conf:\n got %q\nwant %q", got, wantConf)
	}
}
