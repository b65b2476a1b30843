// Package labtest serves the lab scenarios of testdata/lab to tests, on
// loopback, for as long as the test runs.
package labtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
)

// Start serves testdata/lab/NAME.txtar, or the demo lab for "demo", until
// the test ends. testdata is found from the module's root, so any package's
// tests can call it.
func Start(t testing.TB, name string) *lab.Lab {
	t.Helper()
	var s *lab.Scenario
	if name == "demo" {
		s = lab.Demo()
	} else {
		var err error
		if s, err = lab.Load(Path(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	return serve(t, s)
}

// StartAs serves testdata/lab/NAME.txtar, or the demo lab for "demo", as
// Start does, on a host with network n: IPv4-only, IPv6-only or offline
// (see lab.Scenario.WithHost).
func StartAs(t testing.TB, name string, n lab.HostNetwork) *lab.Lab {
	t.Helper()
	if name == "demo" {
		return serve(t, lab.Demo().WithHost(n))
	}
	s, err := lab.Load(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s.WithHost(n))
}

// serve serves s until the test ends.
func serve(t testing.TB, s *lab.Scenario) *lab.Lab {
	t.Helper()
	l, err := lab.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Path returns the path of testdata/lab/NAME.txtar.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "lab", name+".txtar")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatalf("no go.mod above the test's directory")
		}
		dir = up
	}
}

// SlowPath writes a copy of testdata/lab/delay.txtar in which example.com.'s
// only server takes d to answer, and returns its path.
func SlowPath(t testing.TB, d time.Duration) string {
	t.Helper()
	b, err := os.ReadFile(Path(t, "delay"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "delay 200ms", "delay "+d.String())
	if s == string(b) {
		t.Fatal("delay.txtar no longer says \"delay 200ms\"")
	}
	path := filepath.Join(t.TempDir(), "slow.txtar")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// StartSlow serves the lab of SlowPath until the test ends.
func StartSlow(t testing.TB, d time.Duration) *lab.Lab {
	t.Helper()
	s, err := lab.Load(SlowPath(t, d))
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s)
}

// Batch writes a lab of one TLD, test., delegating zones z00.test.,
// z01.test., … each to two nameservers with glue, every zone holding names
// h00, h01, … with an A record; every server waits delay before each reply.
// It returns the lab's files and the names, zone by zone, as a batch file
// lists them.
func Batch(zones, names int, delay time.Duration) (map[string][]byte, []string) {
	var root, tld bytes.Buffer
	root.WriteString(`$ORIGIN .
$TTL 86400
.			86400	IN	SOA	a.root-servers.net. nstld.verisign-grs.com. 2025011500 1800 900 604800 86400
.			518400	IN	NS	a.root-servers.net.
a.root-servers.net.	518400	IN	A	198.41.0.4
test.			172800	IN	NS	a.nic.test.
test.			172800	IN	NS	b.nic.test.
a.nic.test.		172800	IN	A	45.33.1.1
b.nic.test.		172800	IN	A	94.130.1.1
`)
	tld.WriteString(`$ORIGIN test.
$TTL 172800
@		900	IN	SOA	a.nic.test. hostmaster.nic.test. 2025011500 1800 900 604800 900
@			IN	NS	a.nic.test.
@			IN	NS	b.nic.test.
a.nic			IN	A	45.33.1.1
b.nic			IN	A	94.130.1.1
`)
	files := map[string][]byte{}
	var list []string
	for z := range zones {
		// Two nameservers per zone, on separate networks, as RFC 2182 asks.
		ns1 := fmt.Sprintf("45.34.%d.%d", z/250, z%250+1)
		ns2 := fmt.Sprintf("94.131.%d.%d", z/250, z%250+1)
		label := fmt.Sprintf("z%02d", z)
		// The parent's TTLs are the zone's, as they should be.
		fmt.Fprintf(&tld, "%[1]s\t3600\tIN\tNS\tns1.%[1]s.test.\n%[1]s\t3600\tIN\tNS\tns2.%[1]s.test.\n", label)
		fmt.Fprintf(&tld, "ns1.%[1]s\t3600\tIN\tA\t%[2]s\nns2.%[1]s\t3600\tIN\tA\t%[3]s\n", label, ns1, ns2)
		var zf bytes.Buffer
		fmt.Fprintf(&zf, `$ORIGIN %s.test.
$TTL 3600
@	IN	SOA	ns1 hostmaster 2025011500 7200 3600 1209600 3600
@	IN	NS	ns1
@	IN	NS	ns2
ns1	IN	A	%s
ns2	IN	A	%s
`, label, ns1, ns2)
		for n := range names {
			fmt.Fprintf(&zf, "h%02d\tIN\tA\t192.0.2.%d\n", n, n%250+1)
			list = append(list, fmt.Sprintf("h%02d.%s.test", n, label))
		}
		files[label+".test.zone"] = zf.Bytes()
	}
	files["root.zone"] = root.Bytes()
	files["test.zone"] = tld.Bytes()
	if delay > 0 {
		files[lab.ManifestName] = fmt.Appendf(nil, "fault * delay %s\n", delay)
	}
	return files, list
}

// StartFiles serves a lab made of files, as Batch gives them, until the
// test ends.
func StartFiles(t testing.TB, name string, files map[string][]byte) *lab.Lab {
	t.Helper()
	s, err := lab.Parse(name, files)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s)
}
