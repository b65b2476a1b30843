package e2e

import (
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/lab"
)

// requiredEnv, when set, turns the suite's skip into a failure, so that CI
// cannot pass by skipping it.
const requiredEnv = "NSTRACE_E2E_REQUIRED"

// resolverAddr is where each namespace's recursive resolver listens, apart
// from the scenarios' addresses (127.0.1.1 on, see mapScenario).
var resolverAddr = netip.AddrFrom4([4]byte{127, 0, 53, 53})

// traceCase is one name traced with nstrace and dig +trace.
type traceCase struct {
	name, qtype string
	outcome     string // of the first authoritative reply, where dig +trace stops
	// check, when set, looks further into nstrace's trace through BIND.
	check func(t *testing.T, m *mapped, d *nstraceDoc)
}

// scenarios are the testdata/lab scenarios served with BIND, with the names
// traced in each. A server with the fault "down" is not started; BIND
// plays no other fault here (TestBINDProbes plays those of bindPlays).
var scenarios = []struct {
	file  string
	cases []traceCase
}{
	{"healthy", []traceCase{
		{name: "www.example.com.", qtype: "A", outcome: "answer"},
		{name: "alias.example.com.", qtype: "A", outcome: "answer"}, // a CNAME inside the zone
		{name: "nope.example.com.", qtype: "A", outcome: "nxdomain"},
		{name: "mail.example.com.", qtype: "MX", outcome: "nodata"},
	}},
	{"oob-glueless", []traceCase{
		{name: "www.example.com.", qtype: "A", outcome: "answer"}, // out-of-bailiwick NS, no glue
	}},
	{"glueless", []traceCase{
		{name: "www.example.com.", qtype: "A", outcome: "answer"}, // the NS names' zone is looked up from the root
	}},
	{"subdelegation", []traceCase{
		{name: "api.dev.example.com.", qtype: "A", outcome: "answer"},
	}},
	{"deadserver", []traceCase{
		{name: "www.example.com.", qtype: "A", outcome: "answer", check: checkDeadServer},
	}},
	{"bigtxt", []traceCase{
		{name: "big.example.com.", qtype: "TXT", outcome: "answer", check: checkTCP},
	}},
	{"fidelity", []traceCase{
		{name: "www.shop.com.", qtype: "A", outcome: "answer"},               // sibling glue
		{name: "www.inzone.com.", qtype: "A", outcome: "answer"},             // its NS name is com's own data: no glue
		{name: "tosub.example.com.", qtype: "A", outcome: "cname"},           // a CNAME into a delegation
		{name: "nothing.wild.example.com.", qtype: "TXT", outcome: "answer"}, // a wildcard
	}},
	// Scenarios whose replies are compared, and nothing traced: the zones
	// other tests use, each loadable by BIND.
	{"cname-loop", nil},
	{"inzone-noglue", nil},
	{"noaddress", nil},
	{"lamedelegation", nil},
	{"referral-loop", nil},
	{"glueless-cycle", nil},
	{"diag-healthy", nil},
	{"diag-glue-mismatch", nil},
	{"diag-ns-cname", nil},
	{"diag-split-horizon", nil},
	// Empty non-terminals, a cut below two of them, a name of 12 labels:
	// what a minimising walk (--qmin) meets on its way.
	{"qmin-ent", []traceCase{
		{name: "www.a.b.c.example.com.", qtype: "A", outcome: "answer"},
		{name: "x.y.z.example.com.", qtype: "TXT", outcome: "answer"},
		{name: "l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example.com.", qtype: "A", outcome: "answer"},
		{name: "nope.y.z.example.com.", qtype: "A", outcome: "nxdomain"},
	}},
	{"cname-cross", []traceCase{
		{name: "shop.example.com.", qtype: "A", outcome: "cname"},
		{name: "example.shops.platform.net.", qtype: "A", outcome: "answer"}, // a wildcard
	}},
}

// checkDeadServer wants a query to ns1.example.com, which is down, that got
// no reply.
func checkDeadServer(t *testing.T, m *mapped, d *nstraceDoc) {
	dead := m.server("ns1.example.com.")
	for _, h := range d.Hops {
		if h.Zone == "example.com." && slices.Contains(dead, h.Server.Address) && (h.Outcome == "error" || h.Outcome == "abandoned") {
			return
		}
	}
	t.Errorf("no failed query to ns1.example.com (%s) in nstrace's trace", dead)
}

// checkTCP wants the answer to have come over TCP after TC=1 over UDP.
func checkTCP(t *testing.T, _ *mapped, d *nstraceDoc) {
	for _, h := range d.Hops {
		if h.Outcome == "answer" && h.Question == d.Question {
			if !h.Truncated || h.Protocol != "tcp" {
				t.Errorf("answer hop: truncated %v, protocol %s; want a truncated UDP reply, then TCP", h.Truncated, h.Protocol)
			}
			return
		}
	}
	t.Errorf("no answer hop in nstrace's trace")
}

// server gives the mapped addresses of a server of the scenario.
func (m *mapped) server(name string) []string {
	var out []string
	for _, sv := range m.s.Servers() {
		if sv.Name == name {
			for _, a := range sv.Addrs {
				out = append(out, a.String())
			}
		}
	}
	return out
}

// tools are the programs the suite runs, found by requireBIND.
var tools struct{ named, dig, ip, nft, nsd, knotd string }

var (
	probeOnce sync.Once
	probeErr  error
)

// requireBIND skips the test, or fails it when NSTRACE_E2E_REQUIRED is set,
// unless it runs as root with named, dig and ip, and may make a network
// namespace.
func requireBIND(t *testing.T) {
	t.Helper()
	var missing []string
	if testing.Short() {
		missing = append(missing, "-short is set")
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "not root")
	}
	for _, p := range []struct {
		name string
		path *string
	}{{"named", &tools.named}, {"dig", &tools.dig}, {"ip", &tools.ip}} {
		if *p.path = lookTool(p.name); *p.path == "" {
			missing = append(missing, "no "+p.name)
		}
	}
	if len(missing) == 0 {
		probeOnce.Do(func() {
			name := fmt.Sprintf("nstrace-e2e-probe-%d", os.Getpid())
			if out, err := exec.Command(tools.ip, "netns", "add", name).CombinedOutput(); err != nil {
				probeErr = fmt.Errorf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
				return
			}
			exec.Command(tools.ip, "netns", "delete", name).Run()
			removeStale(t)
		})
		if probeErr != nil {
			missing = append(missing, fmt.Sprintf("no network namespaces (%v)", probeErr))
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "BIND end-to-end suite cannot run (" + strings.Join(missing, "; ") + "): it needs root, named, dig and ip; see the README, Against BIND"
	if os.Getenv(requiredEnv) != "" {
		t.Fatalf("%s; %s is set, so that is a failure", msg, requiredEnv)
	}
	t.Skip(msg)
}

// lookTool finds a program in PATH or in the sbin directories, which a
// user's PATH often lacks.
func lookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// TestBIND serves each scenario with BIND in a namespace of its own and
// checks nstrace against dig +trace and the lab against named.
func TestBIND(t *testing.T) {
	requireBIND(t)
	nstraceBinary(t) // once, before the scenarios run in parallel
	if _, err := homeNetns(); err != nil {
		t.Fatal(err)
	}
	sum := &tally{accepted: map[string]int{}, digOK: map[string]int{}, labOK: map[string]int{}, repliesOK: map[string]bool{}}
	t.Cleanup(func() { sum.log(t) }) // after every scenario, parallel ones included
	for _, sc := range scenarios {
		sum.cases += len(sc.cases)
		t.Run(sc.file, func(t *testing.T) {
			t.Parallel()
			b := serve(t, filepath.Join("..", "testdata", "lab", sc.file+".txtar"))
			b.sum, b.name = sum, sc.file
			t.Run("trace", func(t *testing.T) {
				for _, c := range sc.cases {
					t.Run(strings.TrimSuffix(c.name, ".")+"_"+c.qtype, func(t *testing.T) {
						b.compareTraces(t, c)
					})
				}
			})
			t.Run("replies", func(t *testing.T) { b.compareReplies(t, sc.cases) })
		})
	}
}

// bench is one scenario served three ways: by named in a namespace, by the
// in-process lab, and (for nstrace --lab) as a scenario directory.
type bench struct {
	m       *mapped
	ns      *netns
	lab     *lab.Lab
	dir     string // the rewritten scenario, as a directory
	hints   string // root hints file, named.root format
	root    string // the first root server's address, for dig's @
	name    string
	sum     *tally
	servers []*hostSetup // one per address, down or running
}

// hostSetup is one server address: the zones it serves and its named, nil
// when the scenario has it down.
type hostSetup struct {
	addr   netip.Addr
	names  []string
	zones  map[string]string // origin to zone file
	down   bool
	faults []lab.Fault // the others, each one BIND plays (bindPlays)
	named  *named
}

// serve maps a scenario into 127/8, makes its namespace, starts named for
// every server address and the recursive resolver, and the lab.
func serve(t *testing.T, path string) *bench {
	m, err := mapScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{m: m, dir: t.TempDir()}

	// The rewritten scenario as a directory, for nstrace --lab and named.
	scen := filepath.Join(b.dir, "scenario")
	if err := os.Mkdir(scen, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range m.files {
		if name == lab.ManifestName || strings.HasSuffix(name, ".zone") {
			if err := os.WriteFile(filepath.Join(scen, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	if b.lab, err = lab.Start(m.s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.lab.Close() })
	var hints, hosts strings.Builder
	for _, h := range b.lab.RootHints() {
		fmt.Fprintf(&hints, ". 3600000 NS %s\n%s 3600000 %s %s\n", h.Name, h.Name, map[bool]string{true: "A", false: "AAAA"}[h.Addr.Is4()], h.Addr)
		fmt.Fprintf(&hosts, "%s\t%s\n", h.Addr.Unmap(), strings.TrimSuffix(h.Name, "."))
		if b.root == "" {
			b.root = h.Addr.Unmap().String()
		}
	}
	if b.root == "" {
		t.Fatal("the scenario has no root hints")
	}
	b.hints = filepath.Join(b.dir, "root.hints")
	if err := os.WriteFile(b.hints, []byte(hints.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	files := m.s.ZoneFiles()

	// Servers by address, as the lab groups them.
	byAddr := map[netip.Addr]*hostSetup{}
	for _, sv := range m.s.Servers() {
		for _, a := range sv.Addrs {
			a = a.Unmap()
			h := byAddr[a]
			if h == nil {
				h = &hostSetup{addr: a, zones: map[string]string{}}
				byAddr[a] = h
			}
			h.names = append(h.names, sv.Name)
			for _, z := range sv.Zones {
				h.zones[z] = files[z]
			}
			for _, f := range sv.Faults {
				if f.Addr.IsValid() && f.Addr.Unmap() != a {
					continue
				}
				switch {
				case f.Kind == lab.FaultDown:
					h.down = true
				case bindPlays[f.Kind]:
					h.faults = append(h.faults, f)
				default:
					t.Fatalf("%s: fault %s of %s: BIND cannot play it", path, f, sv.Name)
				}
			}
		}
	}
	for _, a := range slices.SortedFunc(maps.Keys(byAddr), netip.Addr.Compare) {
		b.servers = append(b.servers, byAddr[a])
	}

	b.ns = newNetns(t, resolverAddr, hosts.String())
	addrs := []netip.Addr{resolverAddr}
	for _, h := range b.servers {
		addrs = append(addrs, h.addr)
		for _, f := range h.faults {
			if f.From.IsValid() {
				addrs = append(addrs, f.From) // where its UDP replies come from
			}
		}
	}
	b.ns.addAddrs(t, addrs)

	var started []*named
	for _, h := range b.servers {
		if h.down {
			continue // nothing listens: queries to it are refused
		}
		dir := filepath.Join(b.dir, "named-"+h.addr.String())
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for origin, f := range h.zones {
			data := m.files[f]
			if sz := m.s.Signed(origin); sz != nil {
				data = zoneText(sz.Records) // the lab's keys and signatures, served as named serves a signed zone
			}
			if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h.named = startNamed(t, b.ns, dir, h.addr, authConf(dir, h, b.hints))
		started = append(started, h.named)
	}
	dir := filepath.Join(b.dir, "resolver")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	started = append(started, startNamed(t, b.ns, dir, resolverAddr, resolverConf(dir, resolverAddr, b.hints)))
	for _, n := range started {
		n.wait(t)
	}

	// Every zone loaded: each server answers its zones' SOA with AA.
	for _, h := range b.servers {
		if h.named == nil {
			continue
		}
		c := &client{dial: b.ns.dial, addr: netip.AddrPortFrom(h.addr, 53)}
		for origin := range h.zones {
			r, err := c.ask(question{origin, dns.TypeSOA}, transports[0])
			if err != nil || r.Rcode != dns.RcodeSuccess || !r.Authoritative {
				t.Fatalf("named at %s does not serve %s (%v):\n%v\n%s", h.addr, origin, err, r, h.named.logTail())
			}
		}
		c.close()
	}
	// The faults named cannot play, once every zone is known to load.
	for _, h := range b.servers {
		if rules := nftRules(h); rules != "" && h.named != nil {
			tools.nft = requireTool(t, "nft", "nftables") // the faults named cannot play
			b.ns.nft(t, rules)
		}
	}
	return b
}

// compareTraces traces one name with nstrace through BIND, with dig +trace
// through BIND, and with nstrace through the lab, and compares them.
func (b *bench) compareTraces(t *testing.T, c traceCase) {
	viaBIND, err := runNstrace(t, b.ns, []string{"--root-hints", b.hints}, c.name, c.qtype)
	if err != nil {
		t.Fatal(err)
	}
	viaLab, err := runNstrace(t, b.ns, []string{"--lab", filepath.Join(b.dir, "scenario")}, c.name, c.qtype)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runDig(t, b.ns, b.root, c.name, c.qtype)
	if err != nil {
		t.Fatal(err)
	}
	replies, err := parseDig(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	qtype := dns.StringToType[c.qtype]
	dig, err := digLeg(replies, c.name, qtype)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	bind, err := viaBIND.firstLeg()
	if err != nil {
		t.Fatal(err)
	}
	labLeg, err := viaLab.firstLeg()
	if err != nil {
		t.Fatal(err)
	}

	if bind.Outcome != c.outcome {
		t.Errorf("nstrace through BIND: outcome %s, want %s (error %q)", bind.Outcome, c.outcome, viaBIND.Error)
	}
	digOK := bind.equal(dig)
	if !digOK {
		t.Errorf("nstrace and dig +trace disagree:\nnstrace: %v\ndig:     %v\ndig's output:\n%s", bind, dig, out)
	}
	labOK := bind.equal(labLeg)
	if !labOK {
		t.Errorf("nstrace through BIND and through the lab disagree:\nBIND: %v\nlab:  %v", bind, labLeg)
	}
	bindEnd, err := viaBIND.final()
	if err != nil {
		t.Fatal(err)
	}
	labEnd, err := viaLab.final()
	if err != nil {
		t.Fatal(err)
	}
	if !bindEnd.equal(labEnd) {
		labOK = false
		t.Errorf("nstrace's trace ends differently through BIND and through the lab:\nBIND: %v\nlab:  %v", bindEnd, labEnd)
	}
	b.compareQMin(t, c, viaBIND)
	b.sum.trace(b.name, digOK, labOK)
	if c.check != nil {
		c.check(t, b.m, viaBIND)
	}
	if !t.Failed() {
		t.Logf("nstrace, dig +trace and the lab agree: %v", bind)
	}
}

// compareQMin traces c with --qmin through BIND, as resolvers that
// minimise (RFC 9156) walk it, and wants it to end as plain, the walk of
// the full name through BIND, after crossing the same zones, and to have
// asked minimised questions on the way.
func (b *bench) compareQMin(t *testing.T, c traceCase, plain *nstraceDoc) {
	viaQMin, err := runNstrace(t, b.ns, []string{"--root-hints", b.hints, "--qmin"}, c.name, c.qtype)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.path()
	if err != nil {
		t.Fatal(err)
	}
	got, err := viaQMin.path()
	if err != nil {
		t.Fatal(err)
	}
	if !got.equal(want) {
		t.Errorf("nstrace --qmin through BIND ends elsewhere than the walk of the full name:\n--qmin: %v\nfull:   %v", got, want)
	}
	if n := viaQMin.minimised(); n == 0 {
		t.Errorf("nstrace --qmin through BIND asked no minimised question")
	}
}

// questions are what every server is asked, by the lab and by named: every
// name of every zone file, each origin, a name under each origin that does
// not exist, a name each wildcard covers, and the traced names, each with
// the common types, DS and ANY, and every type present at it; and a name
// under every owner name (nonexistent, a wildcard's, or below a cut) with
// A, NS, DS, CNAME and ANY. Every server is asked every question, so each is also
// asked about zones it does not serve, and about the other side of each cut.
func (b *bench) questions(t *testing.T, cases []traceCase) []question {
	types := map[string]map[uint16]bool{}
	below := map[string]bool{}
	add := func(name string, ts ...uint16) {
		name = dns.CanonicalName(name)
		if types[name] == nil {
			types[name] = map[uint16]bool{}
		}
		for _, ty := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeSOA, dns.TypeMX, dns.TypeTXT, dns.TypeCNAME, dns.TypeDS, dns.TypeANY} {
			types[name][ty] = true
		}
		for _, ty := range ts {
			types[name][ty] = true
		}
	}
	for origin, file := range b.m.s.ZoneFiles() {
		add(origin)
		add(child("nx-e2e", origin))
		zp := dns.NewZoneParser(strings.NewReader(string(b.m.files[file])), origin, file)
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			h := rr.Header()
			add(h.Name, h.Rrtype)
			below[dns.CanonicalName(h.Name)] = true
			if w, ok := strings.CutPrefix(h.Name, "*."); ok {
				add(child("wild-e2e", w))
			}
		}
		if err := zp.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		// With its ancestors: what a minimising resolver asks on its way
		// (RFC 9156), empty non-terminals included.
		for name := dns.CanonicalName(c.name); name != "."; name = parentName(name) {
			add(name)
		}
	}
	// A name under each owner name: NXDOMAIN, a wildcard's, or one below a
	// cut, each with the types whose replies differ most.
	for name := range below {
		n := child("below-e2e", name)
		if types[n] == nil {
			types[n] = map[uint16]bool{}
		}
		for _, ty := range []uint16{dns.TypeA, dns.TypeNS, dns.TypeDS, dns.TypeCNAME, dns.TypeANY} {
			types[n][ty] = true
		}
	}
	var out []question
	for _, name := range slices.Sorted(maps.Keys(types)) {
		for _, ty := range slices.Sorted(maps.Keys(types[name])) {
			out = append(out, question{name, ty})
		}
	}
	return out
}

// parentName is name without its first label.
func parentName(name string) string {
	if i := dns.Split(name); len(i) > 1 {
		return name[i[1]:]
	}
	return "."
}

// child is the name label.parent.
func child(label, parent string) string {
	if parent == "." {
		return label + "."
	}
	return label + "." + parent
}

// compareReplies asks every running server every question over every
// transport, of named and of the lab, and compares the replies.
func (b *bench) compareReplies(t *testing.T, cases []traceCase) {
	qs := b.questions(t, cases)
	total, agree, reported := 0, 0, 0
	accepted := map[string]int{}
	for _, h := range b.servers {
		if h.down {
			continue // the lab never answers; nothing listens for named
		}
		bindC := &client{dial: b.ns.dial, addr: netip.AddrPortFrom(h.addr, 53)}
		labC := &client{dial: b.lab.Dial, addr: netip.AddrPortFrom(h.addr, 53)}
		for _, q := range qs {
			for _, tr := range transports {
				total++
				bm, err := bindC.ask(q, tr)
				if err != nil {
					t.Fatalf("named at %s, %v over %s: %v\n%s", h.addr, q, tr.name, err, h.named.logTail())
				}
				lm, err := labC.ask(q, tr)
				if err != nil {
					t.Fatalf("lab at %s, %v over %s: %v", h.addr, q, tr.name, err)
				}
				diffs := diffReplies(lm, bm)
				if len(diffs) == 0 {
					agree++
					continue
				}
				if nl, nb, reasons := normalise(tr, lm, bm); len(reasons) > 0 && len(diffReplies(nl, nb)) == 0 {
					for _, r := range reasons {
						accepted[r]++
					}
					continue
				}
				if reported++; reported <= maxReported {
					t.Errorf("%s (%s), %v over %s: the lab and named disagree:\n%s\nlab:\n%v\nnamed:\n%v",
						h.addr, strings.Join(h.names, " "), q, tr.name, strings.Join(diffs, "\n"), lm, bm)
				}
			}
		}
		bindC.close()
		labC.close()
	}
	if reported > maxReported {
		t.Errorf("... and %d more disagreements", reported-maxReported)
	}
	b.sum.replies(b.name, total, agree, reported, accepted)
	t.Logf("%d replies compared (%d questions to each running server, over %d transports): %d the same, %d disagree",
		total, len(qs), len(transports), agree, reported)
	for _, r := range slices.Sorted(maps.Keys(accepted)) {
		t.Logf("%d the same but for an accepted difference: %s", accepted[r], r)
	}
}

// maxReported bounds the disagreements shown in full per scenario.
const maxReported = 20

// tally counts what the suite compared, for the summary it ends with. A
// scenario agrees with dig when every name traced in it does; with the lab
// when every trace does and every reply is the same or differs only as
// accepted.
type tally struct {
	mu                    sync.Mutex
	cases                 int
	digOK, labOK          map[string]int // names that agree, by scenario
	repliesOK             map[string]bool
	total, same, disagree int
	accepted              map[string]int
}

func (s *tally) trace(scenario string, digOK, labOK bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if digOK {
		s.digOK[scenario]++
	}
	if labOK {
		s.labOK[scenario]++
	}
}

func (s *tally) replies(scenario string, total, same, disagree int, accepted map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total += total
	s.same += same
	s.disagree += disagree
	s.repliesOK[scenario] = disagree == 0
	for r, n := range accepted {
		s.accepted[r] += n
	}
}

func (s *tally) log(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	traced, digs, labs, digNames, labNames := 0, 0, 0, 0, 0
	for _, sc := range scenarios {
		digNames += s.digOK[sc.file]
		labNames += s.labOK[sc.file]
		if len(sc.cases) > 0 {
			traced++
			if s.digOK[sc.file] == len(sc.cases) {
				digs++
			}
		}
		if s.labOK[sc.file] == len(sc.cases) && s.repliesOK[sc.file] {
			labs++
		}
	}
	t.Logf("of %d scenarios, %d agree with the lab; of the %d traced, %d agree with dig +trace", len(scenarios), labs, traced, digs)
	t.Logf("names traced: %d; %d agree with dig +trace, %d with the lab", s.cases, digNames, labNames)
	t.Logf("replies compared, named against the lab: %d; %d the same, %d disagree", s.total, s.same, s.disagree)
	for _, r := range slices.Sorted(maps.Keys(s.accepted)) {
		t.Logf("replies the same but for an accepted difference: %d (%s)", s.accepted[r], r)
	}
}
