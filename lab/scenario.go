// Package lab serves a whole DNS hierarchy, described by zone files, on
// loopback, so that traces can be run, tested and demonstrated with no
// network.
//
// A scenario is a directory, or one txtar archive, of RFC 1035 zone files
// (any file named *.zone) and an optional manifest, lab.conf. Each zone is
// served by the names in its apex NS set, and each server at every address
// written for its name in any zone file, authoritative data or glue. A zone
// may come in several files, as it does during a move from one DNS provider
// to another: each copy is served by the names in its own apex NS set, and
// no server serves two copies. The manifest adds servers, addresses and
// zones (a zone with one copy only) and sets faults:
//
//	server NAME ADDR [ADDR...]     # a server and addresses written for it
//	serve NAME ZONE [ZONE...]      # NAME also serves these zones
//	fault NAME[@ADDR] FAULT [ARG]  # a fault of a server, or of one address; NAME may be *
//
// The faults, each for a server or one of its addresses:
//
//	down            never answers, over UDP or TCP (TCP is accepted, then silent)
//	refused         answers REFUSED
//	servfail        answers SERVFAIL
//	lame            answers as usual, but never sets AA
//	delay DURATION  waits that long before every reply, e.g. "delay 10ms"
//	truncate        over UDP, replies TC=1 with empty sections; TCP works
//	no-tcp          resets every TCP connection at once
//	wrong-id        replies with an ID that is not the query's
//	wrong-question  replies for wrong-question.invalid. instead of the name asked
//	garbage         replies with bytes that do not parse as a DNS message
//	upward          refers every query to the root, with the root servers' glue
//	horizontal      refers every query to the zone it serves itself
//	sideways        refers every query to sideways.invalid., an unrelated zone
//	poison-glue     adds www.victim.test. A 192.0.2.66, and the same address for
//	                each NS name outside its zone, to every NOERROR reply
//	tc-always       replies TC=1 with empty sections, over TCP too
//	tcp-hang        accepts TCP connections and never answers on them
//	no-edns         answers FORMERR to a query with EDNS0, as a server from
//	                before RFC 2671 does; a query without it is answered
//	loss PERCENT    drops that share of UDP queries, in a fixed pattern that
//	                drops the first
//
// The servers answer as BIND 9.18 does for non-recursive queries: referrals
// with the glue the parent zone holds, authoritative answers with the apex
// NS set, CNAMEs followed inside the zone, NODATA and NXDOMAIN with the SOA,
// wildcards (RFC 4592), EDNS0 mirrored with a 1232-byte buffer, and replies
// truncated to the client's UDP size.
//
// Start gives every written address its own listener on 127.0.0.1, and
// Lab.Dial maps written addresses to those listeners, so the engine can be
// pointed at the lab through its dial seam. An address written for several
// names is one host: one listener serving all their zones, with all their
// faults. Nothing in the package sends a packet anywhere but 127.0.0.1.
package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/txtar"
)

// ManifestName is the name of a scenario's manifest.
const ManifestName = "lab.conf"

// Scenario is a parsed, checked hierarchy: its zones, its servers and their
// faults. It does not change after Parse and may be started any number of
// times, at once too. The zero value is a scenario with no zones.
type Scenario struct {
	name    string
	notes   string
	zones   []*zone            // sorted by origin in canonical order
	servers map[string]*server // by canonical name
	names   []string           // server names, sorted
}

// Server describes one nameserver of a scenario.
type Server struct {
	Name  string       // fully qualified, lower case
	Addrs []netip.Addr // the addresses written for it, IPv4 first; none means not served
	Zones []string     // the zones it serves, in canonical order; none means it answers REFUSED
	// Faults are the faults that name this server, or every server (*), in
	// manifest order.
	Faults []Fault
}

// Fault is one misbehaviour set by the manifest.
type Fault struct {
	Kind string     // a fault of the package comment, e.g. "down"
	Addr netip.Addr // the only address it applies to; the zero value means all
	// Delay is the argument of "delay".
	Delay time.Duration
	// Percent is the argument of "loss": the share of UDP queries dropped.
	Percent float64
}

// String gives the fault as the manifest writes it, without its target.
func (f Fault) String() string {
	switch f.Kind {
	case "delay":
		return f.Kind + " " + f.Delay.String()
	case "loss":
		return f.Kind + " " + strconv.FormatFloat(f.Percent, 'g', -1, 64)
	}
	return f.Kind
}

// faultArgs lists the faults a manifest may set, with the number of
// arguments each takes; the package comment says what each does.
var faultArgs = map[string]int{
	"down":           0, // never answers, over UDP or TCP
	"refused":        0, // answers REFUSED
	"servfail":       0, // answers SERVFAIL
	"lame":           0, // answers as usual, but never sets AA
	"delay":          1, // delays every reply by a duration
	"truncate":       0, // over UDP, TC=1 and empty sections; TCP works
	"no-tcp":         0, // closes TCP connections at once
	"wrong-id":       0, // the reply's ID is not the query's
	"wrong-question": 0, // the reply's question is another name
	"garbage":        0, // replies with bytes that are not a DNS message
	"upward":         0, // a referral to the root
	"horizontal":     0, // a referral to the zone it serves
	"sideways":       0, // a referral to an unrelated zone
	"poison-glue":    0, // adds out-of-bailiwick addresses to the additional section
	"tc-always":      0, // TC=1 and empty sections, over TCP too
	"tcp-hang":       0, // accepts TCP connections and never answers
	"no-edns":        0, // answers a query with EDNS0 FORMERR, as servers from before RFC 2671 do
	"loss":           1, // drops a share of UDP queries, in a fixed pattern
}

// server is a Server while it is being built.
type server struct {
	name   string
	addrs  []netip.Addr
	zones  []*zone
	faults []Fault
}

// Name is the name the scenario was loaded or parsed under.
func (s *Scenario) Name() string { return s.name }

// Notes is the manifest's leading comment, without its # marks: what the
// scenario is for and the names worth tracing. Empty when there is none.
func (s *Scenario) Notes() string { return s.notes }

// Zones lists the origins of the scenario's zones in canonical order (RFC
// 4034 §6.1), the root first.
func (s *Scenario) Zones() []string {
	out := make([]string, len(s.zones))
	for i, z := range s.zones {
		out[i] = z.origin
	}
	return slices.Compact(out) // a zone with two copies once
}

// Servers lists the scenario's nameservers sorted by name: every name in an
// NS set of any zone file and every name in the manifest.
func (s *Scenario) Servers() []Server {
	out := make([]Server, 0, len(s.names))
	for _, n := range s.names {
		sv := s.servers[n]
		var zones []string
		for _, z := range sv.zones {
			zones = append(zones, z.origin)
		}
		out = append(out, Server{
			Name:   sv.name,
			Addrs:  slices.Clone(sv.addrs),
			Zones:  zones,
			Faults: slices.Clone(sv.faults),
		})
	}
	return out
}

// Load reads a scenario from a directory, or from a txtar archive when path
// ends in .txtar. In a directory, files other than *.zone and lab.conf are
// ignored, and so are subdirectories.
func Load(path string) (*Scenario, error) {
	if strings.HasSuffix(path, ".txtar") {
		a, err := txtar.ParseFile(path)
		if err != nil {
			return nil, err
		}
		files := make(map[string][]byte, len(a.Files))
		for _, f := range a.Files {
			base := filepathBase(f.Name)
			if _, dup := files[base]; dup {
				return nil, fmt.Errorf("%s: two files named %s", path, base)
			}
			files[base] = f.Data
		}
		return Parse(path, files)
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory or a .txtar file", path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte)
	for _, e := range entries {
		if !e.Type().IsRegular() || !wanted(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		files[e.Name()] = b
	}
	return Parse(path, files)
}

// filepathBase is the base name of a txtar member, written with slashes.
func filepathBase(name string) string { return path.Base(strings.TrimSpace(name)) }

// wanted reports whether a file belongs to a scenario.
func wanted(name string) bool { return name == ManifestName || strings.HasSuffix(name, ".zone") }

// Parse builds a scenario from files, base name to content: the zone files
// (*.zone) and the optional manifest (lab.conf); other files are ignored.
// The name prefixes every error, which names the file and, where it can,
// the line.
func Parse(name string, files map[string][]byte) (*Scenario, error) {
	s, err := parse(name, files)
	if err != nil && name != "" {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, err
}

func parse(name string, files map[string][]byte) (*Scenario, error) {
	s := &Scenario{name: name, servers: make(map[string]*server)}
	var fileNames []string
	for f := range files {
		if strings.HasSuffix(f, ".zone") {
			fileNames = append(fileNames, f)
		}
	}
	slices.Sort(fileNames)
	byOrigin := make(map[string]*zone) // the first copy of each zone
	copies := make(map[string][]*zone) // every copy, in file name order
	for _, f := range fileNames {
		z, err := parseZone(f, files[f])
		if err != nil {
			return nil, err
		}
		if other, dup := byOrigin[z.origin]; dup {
			if z.origin == "." {
				return nil, fmt.Errorf("%s: zone %s is also in %s", f, z.origin, other.file)
			}
			// Another copy, as two providers each have one during a
			// migration: each is served by the names in its own apex NS set.
			copies[z.origin] = append(copies[z.origin], z)
			s.zones = append(s.zones, z)
			continue
		}
		byOrigin[z.origin] = z
		copies[z.origin] = []*zone{z}
		s.zones = append(s.zones, z)
	}
	slices.SortStableFunc(s.zones, func(a, b *zone) int { return compareNames(a.origin, b.origin) })

	var m *manifest
	if conf, ok := files[ManifestName]; ok {
		var err error
		if m, err = parseManifest(conf); err != nil {
			return nil, err
		}
		s.notes = m.notes
	} else {
		m = new(manifest)
	}

	// Every NS target in any zone file is a server; so is every name in the
	// manifest.
	get := func(n string) *server {
		sv := s.servers[n]
		if sv == nil {
			sv = &server{name: n}
			s.servers[n] = sv
		}
		return sv
	}
	for _, z := range s.zones {
		for _, n := range z.nsTargets() {
			get(n)
		}
	}
	for _, z := range s.zones {
		for _, rr := range z.rrs[z.origin] {
			if ns, ok := rr.(*dns.NS); ok {
				addZone(get(ns.Ns), z)
			}
		}
	}
	for _, d := range m.servers {
		sv := get(d.name)
		sv.addrs = append(sv.addrs, d.addrs...)
	}
	for _, d := range m.serves {
		sv := get(d.name)
		for _, o := range d.zones {
			z := byOrigin[o]
			if z == nil {
				return nil, fmt.Errorf("%s:%d: no zone file for %s", ManifestName, d.line, o)
			}
			if cs := copies[o]; len(cs) > 1 {
				return nil, fmt.Errorf("%s:%d: %s is in %s and %s: serve cannot say which copy", ManifestName, d.line, o, cs[0].file, cs[1].file)
			}
			addZone(sv, z)
		}
	}
	// A server's addresses are all the A and AAAA records of its name, in
	// any zone file.
	for _, z := range s.zones {
		for _, sv := range s.servers {
			for _, rr := range z.rrs[sv.name] {
				switch rr := rr.(type) {
				case *dns.A:
					sv.addrs = append(sv.addrs, addrOf(rr.A))
				case *dns.AAAA:
					sv.addrs = append(sv.addrs, addrOf(rr.AAAA))
				}
			}
		}
	}
	for _, n := range s.sortedServers() {
		zs := s.servers[n].zones
		for i, a := range zs {
			for _, b := range zs[i+1:] {
				if a.origin == b.origin {
					first, second := a, b
					if second.file < first.file {
						first, second = second, first
					}
					return nil, fmt.Errorf("%s: zone %s is also in %s, and %s serves both: a server has one copy of a zone", second.file, second.origin, first.file, n)
				}
			}
		}
	}
	for n, sv := range s.servers {
		slices.SortFunc(sv.addrs, netip.Addr.Compare)
		sv.addrs = slices.Compact(sv.addrs)
		slices.SortFunc(sv.zones, func(a, b *zone) int { return compareNames(a.origin, b.origin) })
		s.names = append(s.names, n)
	}
	slices.Sort(s.names)

	for _, d := range m.faults {
		f := d.fault
		if f.Kind == "upward" && (byOrigin["."] == nil || len(byOrigin["."].rrset(".", dns.TypeNS)) == 0) {
			return nil, fmt.Errorf("%s:%d: fault upward needs a root zone with NS records", ManifestName, d.line)
		}
		if d.name == "*" {
			if f.Addr.IsValid() && !s.hasAddr(f.Addr) {
				return nil, fmt.Errorf("%s:%d: no server has address %s", ManifestName, d.line, f.Addr)
			}
			for _, n := range s.names {
				s.servers[n].faults = append(s.servers[n].faults, f)
			}
			continue
		}
		sv := s.servers[d.name]
		if sv == nil {
			return nil, fmt.Errorf("%s:%d: unknown server %s", ManifestName, d.line, d.name)
		}
		if f.Addr.IsValid() && !slices.Contains(sv.addrs, f.Addr) {
			return nil, fmt.Errorf("%s:%d: server %s has no address %s", ManifestName, d.line, d.name, f.Addr)
		}
		sv.faults = append(sv.faults, f)
	}
	return s, nil
}

// sortedServers gives the names of the servers found so far, sorted.
func (s *Scenario) sortedServers() []string {
	names := make([]string, 0, len(s.servers))
	for n := range s.servers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func addZone(sv *server, z *zone) {
	if !slices.Contains(sv.zones, z) {
		sv.zones = append(sv.zones, z)
	}
}

func (s *Scenario) hasAddr(a netip.Addr) bool {
	for _, sv := range s.servers {
		if slices.Contains(sv.addrs, a) {
			return true
		}
	}
	return false
}

// addrOf converts an address from a record; IPv4 is never 4-in-6.
func addrOf(ip []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// zoneOrigin is the origin a zone file states with its first $ORIGIN,
// or else the one its name gives: example.com.zone is example.com., and
// root.zone is the root.
func zoneOrigin(file string, data []byte) (string, error) {
	base := strings.TrimSuffix(file, ".zone")
	fromName := ""
	if base == "root" {
		fromName = "."
	} else if base != "" {
		fromName = dns.Fqdn(base)
	}
	origin := fromName
	for line := range bytes.Lines(data) {
		f := strings.Fields(string(line))
		if len(f) == 0 || !strings.EqualFold(f[0], "$ORIGIN") {
			continue
		}
		if len(f) < 2 {
			return "", fmt.Errorf("%s: $ORIGIN without a name", file)
		}
		origin = f[1]
		if !dns.IsFqdn(origin) {
			// Relative to the origin in force, as RFC 1035 §5.1 says.
			if fromName == "" || fromName == "." {
				origin = dns.Fqdn(origin)
			} else {
				origin += "." + fromName
			}
		}
		break
	}
	if origin == "" {
		return "", fmt.Errorf("%s: no $ORIGIN, and the file name gives none", file)
	}
	origin = dns.CanonicalName(origin)
	if _, ok := dns.IsDomainName(origin); !ok {
		return "", fmt.Errorf("%s: bad origin %q", file, origin)
	}
	return origin, nil
}

// manifest is a parsed lab.conf, not yet checked against the zones.
type manifest struct {
	notes   string
	servers []serverLine
	serves  []serveLine
	faults  []faultLine
}

type serverLine struct {
	line  int
	name  string
	addrs []netip.Addr
}

type serveLine struct {
	line  int
	name  string
	zones []string
}

type faultLine struct {
	line  int
	name  string // canonical, or "*"
	fault Fault
}

func parseManifest(data []byte) (*manifest, error) {
	m := new(manifest)
	var notes []string
	inNotes := true
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		line := strings.TrimRight(string(raw), "\r\n")
		if inNotes {
			t := strings.TrimSpace(line)
			if c, ok := strings.CutPrefix(t, "#"); ok {
				notes = append(notes, strings.TrimPrefix(c, " "))
				continue
			}
			if t != "" || len(notes) > 0 {
				inNotes = false
			}
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		errf := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", ManifestName, n, fmt.Sprintf(format, args...))
		}
		switch f[0] {
		case "server":
			if len(f) < 3 {
				return nil, errf("server needs a name and at least one address")
			}
			name, err := hostName(f[1])
			if err != nil {
				return nil, errf("%v", err)
			}
			d := serverLine{line: n, name: name}
			for _, a := range f[2:] {
				addr, err := netip.ParseAddr(a)
				if err != nil || addr.Zone() != "" {
					return nil, errf("bad address %q", a)
				}
				d.addrs = append(d.addrs, addr.Unmap())
			}
			m.servers = append(m.servers, d)
		case "serve":
			if len(f) < 3 {
				return nil, errf("serve needs a server name and at least one zone")
			}
			name, err := hostName(f[1])
			if err != nil {
				return nil, errf("%v", err)
			}
			d := serveLine{line: n, name: name}
			for _, z := range f[2:] {
				o, err := hostName(z)
				if err != nil {
					return nil, errf("%v", err)
				}
				d.zones = append(d.zones, o)
			}
			m.serves = append(m.serves, d)
		case "fault":
			if len(f) < 3 {
				return nil, errf("fault needs a server and a fault")
			}
			d := faultLine{line: n}
			target, at, hasAt := strings.Cut(f[1], "@")
			if hasAt {
				addr, err := netip.ParseAddr(at)
				if err != nil || addr.Zone() != "" {
					return nil, errf("bad address %q", at)
				}
				d.fault.Addr = addr.Unmap()
			}
			if target == "*" {
				d.name = "*"
			} else {
				name, err := hostName(target)
				if err != nil {
					return nil, errf("%v", err)
				}
				d.name = name
			}
			kind := f[2]
			nargs, ok := faultArgs[kind]
			if !ok {
				return nil, errf("unknown fault %q", kind)
			}
			if len(f)-3 != nargs {
				if nargs == 0 {
					return nil, errf("fault %s takes no argument", kind)
				}
				return nil, errf("fault %s needs one argument", kind)
			}
			d.fault.Kind = kind
			switch kind {
			case "delay":
				dur, err := time.ParseDuration(f[3])
				if err != nil || dur < 0 || dur > time.Hour {
					return nil, errf("bad duration %q", f[3])
				}
				d.fault.Delay = dur
			case "loss":
				p, err := strconv.ParseFloat(strings.TrimSuffix(f[3], "%"), 64)
				if err != nil || !(p >= 0 && p <= 100) {
					return nil, errf("bad percentage %q", f[3])
				}
				d.fault.Percent = p
			}
			m.faults = append(m.faults, d)
		default:
			return nil, errf("unknown directive %q", f[0])
		}
	}
	m.notes = strings.TrimSpace(strings.Join(notes, "\n"))
	if m.notes != "" {
		m.notes += "\n"
	}
	return m, nil
}

// hostName checks a name from the manifest and makes it canonical.
func hostName(s string) (string, error) {
	if _, ok := dns.IsDomainName(s); !ok {
		return "", fmt.Errorf("bad name %q", s)
	}
	return dns.CanonicalName(s), nil
}

// compareNames orders names canonically (RFC 4034 §6.1): by their labels
// from the root down, so a parent sorts before its children.
func compareNames(a, b string) int {
	la, lb := labels(a), labels(b)
	for i := 0; i < len(la) && i < len(lb); i++ {
		if c := strings.Compare(la[len(la)-1-i], lb[len(lb)-1-i]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// labels splits a name into its labels, leftmost first, escapes kept.
func labels(name string) []string {
	idx := dns.Split(name)
	out := make([]string, len(idx))
	for i, start := range idx {
		end := len(name) - 1
		if i+1 < len(idx) {
			end = idx[i+1] - 1
		}
		if end < start {
			end = start
		}
		out[i] = name[start:end]
	}
	return out
}

var errNoSOA = errors.New("no SOA record at the apex")
