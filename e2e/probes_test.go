package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/lab"
)

// issue14 are the codes of the servers' protocol checks (issue 14): the
// ones a healthy server must never draw.
var issue14 = []string{
	"no-tcp", "edns-broken", "aaaa-query-broken", "soa-missing", "negative-without-soa",
	"ns-same-address", "family-not-redundant", "referral-too-large", "soa-fields-inconsistent",
	"open-recursor", "axfr-open", "case-not-preserved", "reply-from-other-address", "glue-incomplete",
}

// bindPlays are the lab's faults that the suite plays with BIND, as an
// operator would set them: in named.conf (authConf) or, for what named
// cannot do, with an nft rule in the test's namespace (nftRules).
var bindPlays = map[lab.FaultKind]bool{
	lab.FaultRecursive:    true, // recursion yes; allow-recursion { any; }
	lab.FaultAXFROpen:     true, // allow-transfer { any; }
	lab.FaultNoTCP:        true, // TCP to port 53 answered with a reset
	lab.FaultTCPHang:      true, // TCP to port 53 dropped
	lab.FaultOtherAddress: true, // the source of UDP replies rewritten
}

// nftRules are the rules that play h's faults that named cannot, for nft
// -f: a reset or a drop of TCP to its port 53 in the input hook, and a
// stateless rewrite of the source of its UDP replies in the output hook
// (no conntrack: a NAT rule would not apply to replies).
func nftRules(h *hostSetup) string {
	var in, out []string
	for _, f := range h.faults {
		switch f.Kind {
		case lab.FaultNoTCP:
			in = append(in, fmt.Sprintf("ip daddr %s tcp dport 53 reject with tcp reset", h.addr))
		case lab.FaultTCPHang:
			in = append(in, fmt.Sprintf("ip daddr %s tcp dport 53 drop", h.addr))
		case lab.FaultOtherAddress:
			out = append(out, fmt.Sprintf("ip saddr %s udp sport 53 ip saddr set %s", h.addr, f.From))
		}
	}
	if len(in)+len(out) == 0 {
		return ""
	}
	table := strings.ReplaceAll(h.addr.String(), ".", "_")
	return fmt.Sprintf("table ip e2e_%s {\n\tchain in {\n\t\ttype filter hook input priority 0;\n\t\t%s\n\t}\n\tchain out {\n\t\ttype filter hook output priority 0;\n\t\t%s\n\t}\n}\n",
		table, strings.Join(in, "\n\t\t"), strings.Join(out, "\n\t\t"))
}

// nft loads rules into the namespace.
func (ns *netns) nft(t *testing.T, rules string) {
	t.Helper()
	cmd := exec.Command(tools.ip, "netns", "exec", ns.name, tools.nft, "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft in %s: %v: %s\n%s", ns.name, err, bytes.TrimSpace(out), rules)
	}
}

// TestBINDProbes checks the protocol checks (issue 14) on real servers:
// testdata/lab/bind-probes.txtar served with BIND, each ns1's fault played
// as an operator sets it (bindPlays), and the zones whose data alone draws
// a code; each www.ZONE.com traced through BIND and through the lab. Both
// must give the zone's codes, and no other code of issue 14: none at all
// for the healthy servers, fine.com's and every ns2.
func TestBINDProbes(t *testing.T) {
	requireBIND(t)
	b := serveProbes(t)
	for _, tc := range []struct {
		zone string
		want []string // "code server", sorted; zone-wide findings name none
	}{
		{"fine", nil},
		{"recursive", []string{"open-recursor ns1.recursive.com."}},
		{"axfr", []string{"axfr-open ns1.axfr.com."}},
		{"notcp", []string{"no-tcp ns1.notcp.com."}},
		{"tcphang", []string{"no-tcp ns1.tcphang.com."}},
		{"otheraddr", []string{"reply-from-other-address ns1.otheraddr.com."}},
		{"sameaddr", []string{"family-not-redundant", "ns-same-address"}},
		{"bigref", []string{"referral-too-large"}},
		{"fewer", []string{"glue-incomplete ns1.fewer.com."}},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			t.Parallel()
			name, want := "www."+tc.zone+".com.", tc.want
			for _, via := range []struct {
				name string
				args []string
			}{
				{"BIND", []string{"--root-hints", b.hints}},
				{"the lab", []string{"--lab", filepath.Join(b.dir, "scenario")}},
			} {
				d, err := runNstrace(t, b.ns, via.args, name, "A")
				if err != nil {
					t.Fatal(err)
				}
				if d.Outcome != "answer" {
					t.Errorf("through %s: %s A outcome %s, want answer (%s)", via.name, name, d.Outcome, d.Error)
				}
				if got := d.issue14(); !slices.Equal(got, want) {
					t.Errorf("through %s: %s A draws %q of issue 14's codes, want %q", via.name, name, got, want)
				} else {
					t.Logf("through %s: %s A draws %q", via.name, name, got)
				}
			}
		})
	}
}

// issue14 gives the findings of issue 14's codes, as "code server-name"
// ("code" for a finding that names no server), sorted.
func (d *nstraceDoc) issue14() []string {
	var out []string
	for _, f := range d.Findings {
		if slices.Contains(issue14, f.Code) {
			out = append(out, strings.TrimSpace(f.Code+" "+f.Server.Name))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// requireTool finds a program the test needs, or skips the test (fails it
// when NSTRACE_E2E_REQUIRED is set) without it; pkg is Debian's package.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p := lookTool(name)
	if p == "" {
		msg := fmt.Sprintf("no %s (Debian: %s)", name, pkg)
		if os.Getenv(requiredEnv) != "" {
			t.Fatalf("%s; %s is set, so that is a failure", msg, requiredEnv)
		}
		t.Skip(msg)
	}
	return p
}

// serveProbes serves testdata/lab/bind-probes.txtar with BIND (serve).
func serveProbes(t *testing.T) *bench {
	t.Helper()
	nstraceBinary(t)
	if _, err := homeNetns(); err != nil {
		t.Fatal(err)
	}
	return serve(t, filepath.Join("..", "testdata", "lab", "bind-probes.txtar"))
}

// TestNSDKnotProbes runs the protocol checks against NSD and Knot DNS:
// fine.com of testdata/lab/bind-probes.txtar served by nsd at ns1's
// address and knotd at ns2's, in place of named, with their defaults.
// Neither draws any code of issue 14.
func TestNSDKnotProbes(t *testing.T) {
	requireBIND(t)
	tools.nsd, tools.knotd = requireTool(t, "nsd", "nsd"), requireTool(t, "knotd", "knot")
	b := serveProbes(t)
	for _, sw := range []struct {
		server string
		start  func(t *testing.T, b *bench, h *hostSetup) *named
	}{{"ns1.fine.com.", nsdAt}, {"ns2.fine.com.", knotAt}} {
		i := slices.IndexFunc(b.servers, func(h *hostSetup) bool { return slices.Contains(h.names, sw.server) })
		h := b.servers[i]
		h.named.stop()
		h.named = sw.start(t, b, h)
		waitServing(t, b.ns, h)
	}
	d, err := runNstrace(t, b.ns, []string{"--root-hints", b.hints}, "www.fine.com.", "A")
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != "answer" {
		t.Errorf("www.fine.com. A outcome %s, want answer (%s)", d.Outcome, d.Error)
	}
	if got := d.issue14(); len(got) > 0 {
		t.Errorf("www.fine.com. A through NSD and Knot draws %q, want none of issue 14's codes", got)
	}
	// Each was probed, and answered every probe.
	for _, sw := range []string{"ns1.fine.com.", "ns2.fine.com."} {
		probes := 0
		for _, h := range d.Hops {
			if h.Server.Name != sw || !strings.HasPrefix(h.Purpose, "probe-") {
				continue
			}
			probes++
			if h.Rcode == nil {
				t.Errorf("%s: probe %s got no reply (%s)", sw, h.Purpose, h.Error)
			}
		}
		if probes == 0 {
			t.Errorf("%s was not probed", sw)
		}
		t.Logf("%s answered %d probes", sw, probes)
	}
}

// nsdAt serves h's zones with nsd, in the foreground, with NSD's
// defaults but for where it keeps its files.
func nsdAt(t *testing.T, b *bench, h *hostSetup) *named {
	dir := serverDir(t, b, "nsd", h)
	var conf strings.Builder
	fmt.Fprintf(&conf, "server:\n\tip-address: %s\n\tport: 53\n\tusername: \"\"\n\tchroot: \"\"\n\tzonesdir: %q\n\tdatabase: \"\"\n\tpidfile: \"\"\n\txfrdfile: %q\n\tzonelistfile: %q\n\tlogfile: %q\n\tserver-count: 1\nremote-control:\n\tcontrol-enable: no\n",
		h.addr, dir, filepath.Join(dir, "xfrd.state"), filepath.Join(dir, "zone.list"), filepath.Join(dir, "nsd.log"))
	for _, origin := range slices.Sorted(maps.Keys(h.zones)) {
		fmt.Fprintf(&conf, "zone:\n\tname: %q\n\tzonefile: %q\n", origin, h.zones[origin])
	}
	path := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, b.ns, h.addr, filepath.Join(dir, "nsd.out"), tools.nsd, "-d", "-c", path)
}

// knotAt serves h's zones with knotd, in the foreground, with Knot's
// defaults but for where it keeps its files.
func knotAt(t *testing.T, b *bench, h *hostSetup) *named {
	dir := serverDir(t, b, "knot", h)
	var conf strings.Builder
	fmt.Fprintf(&conf, "server:\n  listen: %s@53\n  rundir: %q\ndatabase:\n  storage: %q\ncontrol:\n  listen: %q\nlog:\n  - target: stderr\n    any: info\nzone:\n",
		h.addr, dir, dir, filepath.Join(dir, "knot.sock"))
	for _, origin := range slices.Sorted(maps.Keys(h.zones)) {
		fmt.Fprintf(&conf, "  - domain: %s\n    file: %q\n", origin, filepath.Join(dir, h.zones[origin]))
	}
	path := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, b.ns, h.addr, filepath.Join(dir, "knot.log"), tools.knotd, "-c", path)
}

// serverDir makes a directory for a server program at h's address and
// writes h's zone files into it.
func serverDir(t *testing.T, b *bench, prog string, h *hostSetup) string {
	dir := filepath.Join(b.dir, prog+"-"+h.addr.String())
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range h.zones {
		if err := os.WriteFile(filepath.Join(dir, f), b.m.files[f], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// waitServing returns once h's server answers the SOA of each of its
// zones with AA, and fails the test after 15s.
func waitServing(t *testing.T, ns *netns, h *hostSetup) {
	t.Helper()
	c := &client{dial: ns.dial, addr: netip.AddrPortFrom(h.addr, 53)}
	defer c.close()
	deadline := time.Now().Add(15 * time.Second)
	for origin := range h.zones {
		for {
			r, err := c.ask(question{origin, dns.TypeSOA}, transports[0])
			if err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s at %s does not serve %s after 15s (%v):\n%v\n%s", filepath.Base(h.named.cmd.Path), h.addr, origin, err, r, h.named.logTail())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
