package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/rogpeppe/go-internal/txtar"
)

// entQuestions are what a QNAME-minimising resolver (RFC 9156) asks of
// example.com. in testdata/lab/qmin-ent.txtar on its way down: empty
// non-terminals, with the types it asks them, and names that do not exist
// below them.
var entQuestions = []struct {
	name  string
	qtype uint16
}{
	{"c.example.com.", dns.TypeA},
	{"b.c.example.com.", dns.TypeA},
	{"b.c.example.com.", dns.TypeNS},
	{"z.example.com.", dns.TypeA},
	{"y.z.example.com.", dns.TypeAAAA},
	{"deep.example.com.", dns.TypeA},
	{"l5.l6.l7.l8.l9.deep.example.com.", dns.TypeA},
	{"nope.y.z.example.com.", dns.TypeA},
	{"x.y.z.example.com.", dns.TypeA}, // a name with a TXT record only
}

// TestENTServers asks NSD and Knot DNS, each serving example.com. of
// testdata/lab/qmin-ent.txtar on a port of 127.0.0.1, the questions of a
// minimising walk (entQuestions), and wants the lab's replies: NODATA with
// AA and the SOA for an empty non-terminal, as BIND gives (TestBIND asks
// named the same), never NXDOMAIN. It skips a server that is not installed.
func TestENTServers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	l := labtest.Start(t, "qmin-ent")
	zone := zoneFile(t, "qmin-ent", "example.com.")
	for _, srv := range []struct {
		name  string
		start func(t *testing.T, dir, zone string, port int) *exec.Cmd
	}{{"nsd", startNSD}, {"knotd", startKnot}} {
		t.Run(srv.name, func(t *testing.T) {
			if lookTool(srv.name) == "" {
				t.Skipf("%s is not installed", srv.name)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "example.com.zone"), zone, 0o644); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			cmd := srv.start(t, dir, filepath.Join(dir, "example.com.zone"), port)
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
			waitSOA(t, addr, cmd, filepath.Join(dir, "log"))
			for _, q := range entQuestions {
				got := ask(t, addr, q.name, q.qtype)
				want := askLab(t, l, q.name, q.qtype)
				if g, w := replyShape(got), replyShape(want); g != w {
					t.Errorf("%s %s: %s answers %s, the lab %s", q.name, dns.TypeToString[q.qtype], srv.name, g, w)
				} else {
					t.Logf("%s %s: %s", q.name, dns.TypeToString[q.qtype], g)
				}
			}
		})
	}
}

// zoneFile gives the zone file of origin in the lab's scenario, the
// testdata/lab archive name.
func zoneFile(t *testing.T, name, origin string) []byte {
	t.Helper()
	a, err := txtar.ParseFile(labtest.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		if f.Name == strings.TrimSuffix(origin, ".")+".zone" {
			return f.Data
		}
	}
	t.Fatalf("no zone %s in %s", origin, name)
	return nil
}

// freePort finds a port of 127.0.0.1 free for UDP and TCP.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port on 127.0.0.1")
	return 0
}

func startNSD(t *testing.T, dir, zone string, port int) *exec.Cmd {
	conf := fmt.Sprintf(`server:
  ip-address: 127.0.0.1@%d
  username: ""
  chroot: ""
  zonesdir: %q
  database: ""
  pidfile: %q
  xfrdfile: %q
  zonelistfile: %q
remote-control:
  control-enable: no
zone:
  name: example.com
  zonefile: %q
`, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "xfrd.state"), filepath.Join(dir, "zone.list"), zone)
	return startServer(t, dir, conf, lookTool("nsd"), "-d", "-c")
}

func startKnot(t *testing.T, dir, zone string, port int) *exec.Cmd {
	conf := fmt.Sprintf(`server:
  listen: 127.0.0.1@%d
  rundir: %q
database:
  storage: %q
log:
  - target: stderr
    any: info
zone:
  - domain: example.com
    file: %q
`, port, dir, dir, zone)
	return startServer(t, dir, conf, lookTool("knotd"), "-c")
}

// startServer writes conf to dir and starts bin with args and its path,
// logging to dir/log.
func startServer(t *testing.T, dir, conf, bin string, args ...string) *exec.Cmd {
	t.Helper()
	path := filepath.Join(dir, "server.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd := exec.Command(bin, append(args, path)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitSOA waits until the server at addr answers example.com. SOA.
func waitSOA(t *testing.T, addr netip.AddrPort, cmd *exec.Cmd, log string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m, err := exchangeAt(addr, "example.com.", dns.TypeSOA); err == nil && m.Rcode == dns.RcodeSuccess && len(m.Answer) == 1 {
			return
		}
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("%s does not answer at %s:\n%s", cmd.Path, addr, b)
}

func exchangeAt(addr netip.AddrPort, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	m.SetEdns0(1232, false)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, addr.String())
	return r, err
}

func ask(t *testing.T, addr netip.AddrPort, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := exchangeAt(addr, name, qtype)
	if err != nil {
		t.Fatalf("%s %s at %s: %v", name, dns.TypeToString[qtype], addr, err)
	}
	return r
}

// askLab asks example.com.'s first server in the lab.
func askLab(t *testing.T, l *lab.Lab, name string, qtype uint16) *dns.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := l.Dial(ctx, "udp", netip.MustParseAddrPort("45.33.10.1:53"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	m.SetEdns0(1232, false)
	co := &dns.Conn{Conn: conn}
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if err := co.WriteMsg(m); err != nil {
		t.Fatal(err)
	}
	r, err := co.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replyShape says what a reply means to a minimising walk: its RCODE, AA,
// answer types and the types of its authority section.
func replyShape(m *dns.Msg) string {
	var ans, auth []string
	for _, rr := range m.Answer {
		ans = append(ans, dns.TypeToString[rr.Header().Rrtype])
	}
	for _, rr := range m.Ns {
		auth = append(auth, rr.Header().Name+" "+dns.TypeToString[rr.Header().Rrtype])
	}
	return fmt.Sprintf("%s aa=%v answer [%s] authority [%s]", dns.RcodeToString[m.Rcode], m.Authoritative,
		strings.Join(ans, " "), strings.Join(auth, " "))
}
