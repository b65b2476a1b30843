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
//	host NETWORK                   # the lab's own host: dual-stack, ipv4-only, ipv6-only or offline
//	sign ZONE [OPTION...]          # ZONE is signed when the lab loads (sign.go, parseSignLine)
//
// FAULT is the value of a FaultKind constant, with its argument if it takes
// one ("down", "delay 10ms", ...); the comment of the constant says what it
// does, and FaultDown heads the list. NETWORK is the value of a
// HostNetwork constant: the address families the host running the lab can
// reach, as Lab.Dial plays them.
//
// The servers answer as BIND 9.18 does with its defaults (the e2e suite
// compares them reply by reply): referrals with the glue the parent zone
// holds (addresses at or below a zone cut, never the zone's own data),
// authoritative answers with the apex NS set and the addresses of NS, MX and
// SRV targets, CNAMEs and DNAMEs followed inside the zone (eleven restarts,
// then SERVFAIL), NODATA and NXDOMAIN with the SOA, wildcards (RFC 4592),
// minimal replies to RD=1, DS and 512-octet EDNS queries, EDNS0 mirrored
// with a 1232-byte buffer, and replies truncated to the client's UDP size.
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
	"maps"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

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
	host    HostNetwork        // "" for HostDualStack
	zones   []*zone            // sorted by origin in canonical order
	servers map[string]*server // by canonical name
	names   []string           // server names, sorted
	signed  map[string]*Signed // by origin, the zones a sign directive signs
	files   map[string][]byte  // what it was parsed from, for WithFile
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
// ends in .txtar. In a directory, files other than *.zone, lab.conf and key
// files (K*.key, K*.private) are ignored, and so are subdirectories.
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
func wanted(name string) bool {
	return name == ManifestName || strings.HasSuffix(name, ".zone") || isKeyFile(name)
}

// Parse builds a scenario from files, base name to content: the zone files
// (*.zone), the optional manifest (lab.conf) and the keys of signed zones
// (K*.key, K*.private: see parseSignLine); other files are ignored.
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
	s := &Scenario{name: name, servers: make(map[string]*server), files: files}
	var err error
	if s.zones, err = readZones(files); err != nil {
		return nil, err
	}
	m := new(manifest)
	if conf, ok := files[ManifestName]; ok {
		if m, err = parseManifest(conf); err != nil {
			return nil, err
		}
	}
	s.notes, s.host = m.notes, m.host
	if err := s.signZones(m.signs, files); err != nil {
		return nil, err
	}
	if err := s.addServers(m); err != nil {
		return nil, err
	}
	s.addAddrs()
	if err := s.checkCopies(); err != nil {
		return nil, err
	}
	for n, sv := range s.servers {
		slices.SortFunc(sv.addrs, netip.Addr.Compare)
		sv.addrs = slices.Compact(sv.addrs)
		slices.SortFunc(sv.zones, func(a, b *zone) int { return compareNames(a.origin, b.origin) })
		s.names = append(s.names, n)
	}
	slices.Sort(s.names)
	for _, d := range m.faults {
		if err := s.addFault(d); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", ManifestName, d.line, err)
		}
	}
	if s.root() == nil {
		// Without one there are no root hints to start from: a walk would
		// start from the real root servers, which the lab refuses to dial.
		return nil, errNoRoot
	}
	return s, nil
}

// File returns the content of the file name (a zone file, or
// ManifestName) that s was parsed from, and whether there is one.
func (s *Scenario) File(name string) ([]byte, bool) {
	b, ok := s.files[name]
	return b, ok
}

// WithFile returns a new scenario: s with the file name (a zone file,
// "example.com.zone", or ManifestName) added, or in place of the file of
// that name, parsed as Parse does; s does not change. The host network
// WithHost gave s is kept, unless name is the manifest. Zones the
// manifest signs are signed again: with the same keys when it fixes them
// (sign seed=, or key files), else with new ones, the root's too, so that
// a walk that validates from s's anchors finds the new scenario bogus.
func (s *Scenario) WithFile(name string, data []byte) (*Scenario, error) {
	files := maps.Clone(s.files)
	if files == nil {
		files = map[string][]byte{}
	}
	files[name] = data
	c, err := Parse(s.name, files)
	if err != nil {
		return nil, err
	}
	if name != ManifestName {
		c.host = s.host
	}
	return c, nil
}

// readZones parses the zone files (*.zone) and sorts the zones by origin in
// canonical order, the copies of a zone in the order of their file names.
// The root may have one copy only.
func readZones(files map[string][]byte) ([]*zone, error) {
	var names []string
	for f := range files {
		if strings.HasSuffix(f, ".zone") {
			names = append(names, f)
		}
	}
	slices.Sort(names)
	var zones []*zone
	for _, f := range names {
		z, err := parseZone(f, files[f])
		if err != nil {
			return nil, err
		}
		// A zone may come in several copies, as two providers each have one
		// during a migration; each is served by its own apex NS set.
		if i := slices.IndexFunc(zones, func(o *zone) bool { return o.origin == z.origin }); i >= 0 && z.origin == "." {
			return nil, fmt.Errorf("%s: zone %s is also in %s", f, z.origin, zones[i].file)
		}
		zones = append(zones, z)
	}
	slices.SortStableFunc(zones, func(a, b *zone) int { return compareNames(a.origin, b.origin) })
	return zones, nil
}

// copies gives every copy of the zone origin, in the order of their files.
func (s *Scenario) copies(origin string) []*zone {
	var out []*zone
	for _, z := range s.zones {
		if z.origin == origin {
			out = append(out, z)
		}
	}
	return out
}

// root is the scenario's root zone, or nil.
func (s *Scenario) root() *zone {
	if len(s.zones) == 0 || s.zones[0].origin != "." {
		return nil
	}
	return s.zones[0]
}

// serverNamed gives the server named n, made on first use.
func (s *Scenario) serverNamed(n string) *server {
	sv := s.servers[n]
	if sv == nil {
		sv = &server{name: n}
		s.servers[n] = sv
	}
	return sv
}

// addServers makes a server of every NS target in any zone file and of
// every name in the manifest, and gives each the zones whose apex NS set
// names it, the zones the manifest has it serve and the addresses the
// manifest writes for it.
func (s *Scenario) addServers(m *manifest) error {
	for _, z := range s.zones {
		for _, n := range z.nsTargets() {
			s.serverNamed(n)
		}
		for _, rr := range z.rrs[z.origin] {
			if ns, ok := rr.(*dns.NS); ok {
				addZone(s.serverNamed(ns.Ns), z)
			}
		}
	}
	for _, d := range m.servers {
		sv := s.serverNamed(d.name)
		sv.addrs = append(sv.addrs, d.addrs...)
	}
	for _, d := range m.serves {
		sv := s.serverNamed(d.name)
		for _, o := range d.zones {
			switch cs := s.copies(o); len(cs) {
			case 0:
				return fmt.Errorf("%s:%d: no zone file for %s", ManifestName, d.line, o)
			case 1:
				addZone(sv, cs[0])
			default:
				return fmt.Errorf("%s:%d: %s is in %s and %s: serve cannot say which copy", ManifestName, d.line, o, cs[0].file, cs[1].file)
			}
		}
	}
	return nil
}

// addAddrs gives each server the A and AAAA records of its name, in any
// zone file.
func (s *Scenario) addAddrs() {
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
}

// checkCopies refuses a server that serves two copies of a zone: which
// one would it answer from?
func (s *Scenario) checkCopies() error {
	for _, n := range s.sortedServers() {
		zs := s.servers[n].zones
		for i, a := range zs {
			for _, b := range zs[i+1:] {
				if a.origin == b.origin {
					first, second := a, b
					if second.file < first.file {
						first, second = second, first
					}
					return fmt.Errorf("%s: zone %s is also in %s, and %s serves both: a server has one copy of a zone", second.file, second.origin, first.file, n)
				}
			}
		}
	}
	return nil
}

// addFault gives the fault of a manifest line to its server, or to every
// server for *.
func (s *Scenario) addFault(d faultLine) error {
	f := d.fault
	if f.Kind == FaultUpward && (s.root() == nil || len(s.root().rrset(".", dns.TypeNS)) == 0) {
		return errors.New("fault upward needs a root zone with NS records")
	}
	if d.name == "*" {
		if f.Addr.IsValid() && !s.hasAddr(f.Addr) {
			return fmt.Errorf("no server has address %s", f.Addr)
		}
		for _, n := range s.names {
			s.servers[n].faults = append(s.servers[n].faults, f)
		}
		return nil
	}
	sv := s.servers[d.name]
	if sv == nil {
		return fmt.Errorf("unknown server %s", d.name)
	}
	if f.Addr.IsValid() && !slices.Contains(sv.addrs, f.Addr) {
		return fmt.Errorf("server %s has no address %s", d.name, f.Addr)
	}
	sv.faults = append(sv.faults, f)
	return nil
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

var errNoRoot = errors.New("lab has no root zone (root.zone or a zone for '.')")
