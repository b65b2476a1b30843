package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// manifest is a parsed lab.conf, not yet checked against the zones.
type manifest struct {
	notes   string
	host    HostNetwork // "" when not set
	servers []serverLine
	serves  []serveLine
	faults  []faultLine
	signs   []signLine
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

// parseManifest reads lab.conf: its notes, then one directive a line, with
// comments from # to the end of the line. An error names the line.
func parseManifest(data []byte) (*manifest, error) {
	m := &manifest{notes: leadingComment(data)}
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		line, _, _ := strings.Cut(string(raw), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if err := m.add(n, f[0], f[1:]); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", ManifestName, n, err)
		}
	}
	return m, nil
}

// leadingComment is the manifest's opening comment, without its # marks
// (nor one space after each): its first lines that are comments, blank
// lines before them skipped, up to a blank line or a directive.
func leadingComment(data []byte) string {
	var notes []string
	for raw := range bytes.Lines(data) {
		t := strings.TrimSpace(string(raw))
		if c, ok := strings.CutPrefix(t, "#"); ok {
			notes = append(notes, strings.TrimPrefix(c, " "))
			continue
		}
		if t != "" || len(notes) > 0 {
			break
		}
	}
	s := strings.TrimSpace(strings.Join(notes, "\n"))
	if s != "" {
		s += "\n"
	}
	return s
}

// add parses the directive verb with its arguments, written at line n.
func (m *manifest) add(n int, verb string, args []string) error {
	switch verb {
	case "server": // server NAME ADDR [ADDR...]
		if len(args) < 2 {
			return errors.New("server needs a name and at least one address")
		}
		name, addrs, err := nameAnd(args, parseAddr)
		if err != nil {
			return err
		}
		m.servers = append(m.servers, serverLine{line: n, name: name, addrs: addrs})
	case "serve": // serve NAME ZONE [ZONE...]
		if len(args) < 2 {
			return errors.New("serve needs a server name and at least one zone")
		}
		name, zones, err := nameAnd(args, hostName)
		if err != nil {
			return err
		}
		m.serves = append(m.serves, serveLine{line: n, name: name, zones: zones})
	case "host": // host NETWORK
		if len(args) != 1 {
			return fmt.Errorf("host needs one network (%s)", strings.Join(hostNetworkWords(), ", "))
		}
		if m.host != "" {
			return errors.New("host is set twice")
		}
		var err error
		m.host, err = parseHostNetwork(args[0])
		return err
	case "sign": // sign ZONE [OPTION...]
		l, err := parseSignLine(args)
		if err != nil {
			return err
		}
		l.line = n
		m.signs = append(m.signs, l)
	case "fault":
		d, err := parseFaultLine(args)
		if err != nil {
			return err
		}
		d.line = n
		m.faults = append(m.faults, d)
	default:
		return fmt.Errorf("unknown directive %q", verb)
	}
	return nil
}

// nameAnd parses the arguments NAME ITEM [ITEM...]: a host name, then
// items that parse reads.
func nameAnd[T any](args []string, parse func(string) (T, error)) (string, []T, error) {
	name, err := hostName(args[0])
	if err != nil {
		return "", nil, err
	}
	items := make([]T, 0, len(args)-1)
	for _, a := range args[1:] {
		it, err := parse(a)
		if err != nil {
			return "", nil, err
		}
		items = append(items, it)
	}
	return name, items, nil
}

// parseFaultLine parses "fault NAME[@ADDR] KIND [ARG]"; NAME may be *.
func parseFaultLine(args []string) (faultLine, error) {
	d := faultLine{name: "*"}
	if len(args) < 2 {
		return d, errors.New("fault needs a server and a fault")
	}
	var err error
	target, at, hasAt := strings.Cut(args[0], "@")
	if hasAt {
		if d.fault.Addr, err = parseAddr(at); err != nil {
			return d, err
		}
	}
	if target != "*" {
		if d.name, err = hostName(target); err != nil {
			return d, err
		}
	}
	d.fault, err = parseFault(d.fault, FaultKind(args[1]), args[2:])
	return d, err
}

// parseFault completes f with its kind and the kind's argument.
func parseFault(f Fault, kind FaultKind, args []string) (Fault, error) {
	switch {
	case !kind.known():
		return f, fmt.Errorf("unknown fault %q", kind)
	case kind.hasArg() && len(args) != 1:
		return f, fmt.Errorf("fault %s needs one argument", kind)
	case !kind.hasArg() && len(args) != 0:
		return f, fmt.Errorf("fault %s takes no argument", kind)
	}
	f.Kind = kind
	switch kind {
	case FaultDelay:
		d, err := time.ParseDuration(args[0])
		if err != nil || d < 0 || d > time.Hour {
			return f, fmt.Errorf("bad duration %q", args[0])
		}
		f.Delay = d
	case FaultLoss:
		p, err := strconv.ParseFloat(strings.TrimSuffix(args[0], "%"), 64)
		if err != nil || !(p >= 0 && p <= 100) {
			return f, fmt.Errorf("bad percentage %q", args[0])
		}
		f.Percent = p
	case FaultOtherAddress:
		a, err := parseAddr(args[0])
		if err != nil {
			return f, err
		}
		f.From = a
	}
	return f, nil
}

// parseAddr reads an address of the manifest; IPv4 is never 4-in-6, and
// a zone (fe80::1%eth0) is refused.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	return a.Unmap(), nil
}

// hostName checks a name from the manifest and makes it canonical.
func hostName(s string) (string, error) {
	if _, ok := dns.IsDomainName(s); !ok {
		return "", fmt.Errorf("bad name %q", s)
	}
	return dns.CanonicalName(s), nil
}
