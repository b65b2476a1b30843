package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/lab"
	"github.com/rogpeppe/go-internal/txtar"
)

// mapped is a scenario whose written addresses have been moved into 127/8.
type mapped struct {
	s     *lab.Scenario
	files map[string][]byte         // base name to rewritten content
	addrs map[netip.Addr]netip.Addr // written address to mapped address
}

// mapScenario reads a txtar scenario and rewrites every address it writes,
// in A and AAAA records and in lab.conf, to an address of its own in 127/8:
// IPv4 addresses, in order, to 127.0.1.1, 127.0.1.2, ...; IPv6 ones to
// IPv4-mapped addresses from ::ffff:127.0.101.1 on. The rewritten scenario
// is parsed again and refused unless every address in it is loopback.
func mapScenario(path string) (*mapped, error) {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	orig := make(map[string][]byte)
	for _, f := range a.Files {
		orig[filepath.Base(strings.TrimSpace(f.Name))] = f.Data
	}
	written := make(map[netip.Addr]bool)
	collect := func(a netip.Addr) netip.Addr { written[a] = true; return a }
	for name, data := range orig {
		rewrite(name, data, collect)
	}
	m := &mapped{files: make(map[string][]byte), addrs: make(map[netip.Addr]netip.Addr)}
	var n4, n6 int
	for _, w := range slices.SortedFunc(maps.Keys(written), netip.Addr.Compare) {
		if w.Is4() {
			m.addrs[w] = loopbackN(1, n4)
			n4++
		} else {
			m.addrs[w] = netip.AddrFrom16(loopbackN(101, n6).As16())
			n6++
		}
	}
	for name, data := range orig {
		m.files[name] = rewrite(name, data, func(a netip.Addr) netip.Addr { return m.addrs[a] })
	}
	if m.s, err = lab.Parse(filepath.Base(path), m.files); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// loopbackN is the nth address of the block that starts at 127.0.third.1,
// 250 to a /24.
func loopbackN(third, n int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, byte(third + n/250), byte(1 + n%250)})
}

// check proves the rewrite complete: every A and AAAA record of every zone
// file, and every address of every server, is loopback.
func (m *mapped) check() error {
	for origin, file := range m.s.ZoneFiles() {
		zp := dns.NewZoneParser(bytes.NewReader(m.files[file]), origin, file)
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			var ip []byte
			switch rr := rr.(type) {
			case *dns.A:
				ip = rr.A
			case *dns.AAAA:
				ip = rr.AAAA
			default:
				continue
			}
			if a, ok := netip.AddrFromSlice(ip); !ok || !a.Unmap().IsLoopback() {
				return fmt.Errorf("%s: address left outside 127/8: %s", file, rr)
			}
		}
		if err := zp.Err(); err != nil {
			return err
		}
	}
	for _, sv := range m.s.Servers() {
		for _, a := range sv.Addrs {
			if !a.Unmap().IsLoopback() {
				return fmt.Errorf("server %s has address %s, outside 127/8", sv.Name, a)
			}
		}
	}
	return nil
}

// rewrite replaces, through f, the addresses of one scenario file: the data
// of A and AAAA records in a zone file; the addresses of server lines and
// of NAME@ADDR targets and of other-address ADDR in lab.conf. Other files are returned as they are.
func rewrite(name string, data []byte, f func(netip.Addr) netip.Addr) []byte {
	var zone bool
	switch {
	case strings.HasSuffix(name, ".zone"):
		zone = true
	case name == lab.ManifestName:
	default:
		return data
	}
	var out bytes.Buffer
	for line := range bytes.Lines(data) {
		s := string(line)
		var edits []field // address fields to replace, in order
		if zone {
			fs := zoneFields(s)
			for i := 0; i+1 < len(fs); i++ {
				t := s[fs[i].start:fs[i].end]
				if strings.EqualFold(t, "A") || strings.EqualFold(t, "AAAA") {
					if _, err := netip.ParseAddr(s[fs[i+1].start:fs[i+1].end]); err == nil {
						edits = append(edits, fs[i+1])
					}
				}
			}
		} else {
			edits = manifestAddrs(s)
		}
		for i := len(edits) - 1; i >= 0; i-- {
			e := edits[i]
			a := netip.MustParseAddr(s[e.start:e.end]).Unmap()
			s = s[:e.start] + f(a).String() + s[e.end:]
		}
		out.WriteString(s)
	}
	return out.Bytes()
}

// field is where one field of a line starts and ends.
type field struct{ start, end int }

// zoneFields splits a zone-file line into fields: a quoted string is one
// field, and a comment (;) ends the line.
func zoneFields(s string) []field {
	var out []field
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ';':
			return out
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ')':
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			out = append(out, field{i, min(j+1, len(s))})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n;()\"", rune(s[j])) {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j, len(s))
			out = append(out, field{i, j})
			i = j
		}
	}
	return out
}

// manifestAddrs finds the addresses in one line of lab.conf: every address
// of a server line, the ADDR of a fault's NAME@ADDR, and other-address's ADDR.
func manifestAddrs(s string) []field {
	body := s
	if i := strings.IndexByte(body, '#'); i >= 0 {
		body = body[:i]
	}
	var fs []field
	for i := 0; i < len(body); {
		if body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n' {
			i++
			continue
		}
		j := i
		for j < len(body) && !strings.ContainsRune(" \t\r\n", rune(body[j])) {
			j++
		}
		fs = append(fs, field{i, j})
		i = j
	}
	if len(fs) < 2 {
		return nil
	}
	var out []field
	switch body[fs[0].start:fs[0].end] {
	case "server":
		for _, f := range fs[2:] {
			if _, err := netip.ParseAddr(body[f.start:f.end]); err == nil {
				out = append(out, f)
			}
		}
	case "fault":
		f := fs[1]
		if at := strings.IndexByte(body[f.start:f.end], '@'); at >= 0 {
			out = append(out, field{f.start + at + 1, f.end})
		}
		// other-address ADDR: where the server's replies come from.
		if len(fs) == 4 && body[fs[2].start:fs[2].end] == string(lab.FaultOtherAddress) {
			out = append(out, fs[3])
		}
	}
	return out
}
