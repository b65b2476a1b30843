package lab

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// demoFile is a file of the demo lab.
func demoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := demoFS.ReadFile("demo/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSetZone(t *testing.T) {
	l := start(t, Demo())
	const server = "91.208.17.53" // ns1.dnsprovider.eu., which serves example.com.
	ask := func() []string {
		t.Helper()
		r, err := exchange(t, l, server, "udp", query("www.example.com.", dns.TypeA, 1232))
		if err != nil {
			t.Fatalf("www.example.com. A: %v", err)
		}
		return texts(r.Answer)
	}
	if got := ask(); len(got) != 1 || got[0] != "www.example.com. 3600 A 192.0.2.10" {
		t.Fatalf("before SetZone, answer = %q", got)
	}
	old := demoFile(t, "example.com.zone")
	edited := bytes.Replace(old, []byte("www\t\tIN\tA\t192.0.2.10"), []byte("www\t\tIN\tA\t192.0.2.99"), 1)
	if bytes.Equal(old, edited) {
		t.Fatal("the demo's example.com.zone no longer has www's A record as this test expects")
	}
	if err := l.SetZone("example.com.zone", edited); err != nil {
		t.Fatalf("SetZone: %v", err)
	}
	if got := ask(); len(got) != 1 || got[0] != "www.example.com. 3600 A 192.0.2.99" {
		t.Errorf("after SetZone, answer = %q, want the new address", got)
	}
	// A bad file changes nothing.
	if err := l.SetZone("example.com.zone", []byte("not a zone")); err == nil {
		t.Error("SetZone of a bad file: no error")
	}
	if got := ask(); len(got) != 1 || got[0] != "www.example.com. 3600 A 192.0.2.99" {
		t.Errorf("after a failed SetZone, answer = %q", got)
	}
}

func TestReload(t *testing.T) {
	l := start(t, scenario(t, authLab))
	zone := l.Scenario().files["example.com.zone"]
	moved, err := l.Scenario().WithFile("example.com.zone", bytes.ReplaceAll(zone, []byte("192.0.2.2\n"), []byte("192.0.2.77\n")))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Reload(moved); err == nil {
		t.Error("Reload of a scenario serving 192.0.2.77, which the lab does not: no error")
	}
	// Only the root is left: every other address goes silent.
	rootOnly := scenario(t, "-- root.zone --\n$TTL 86400\n"+
		".\tIN\tSOA\ta.root-servers.net. nstld.verisign-grs.com. 2 1800 900 604800 86400\n"+
		".\tIN\tNS\ta.root-servers.net.\na.root-servers.net.\tIN\tA\t"+aRoot.String()+"\n")
	if err := l.Reload(rootOnly); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if l.Scenario() != rootOnly {
		t.Error("Scenario() is not the scenario reloaded")
	}
	pkt, _ := query("example.com.", dns.TypeSOA, 1232).Pack()
	_, err = raw(t, l, "192.0.2.2", "udp", pkt, 200*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("query to an address no longer served: %v, want a timeout", err)
	}
	r, err := exchange(t, l, aRoot.String(), "udp", query(".", dns.TypeSOA, 1232))
	if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.SOA).Serial != 2 {
		t.Errorf("the root's SOA after Reload: %v, %v; want serial 2", r, err)
	}
}
