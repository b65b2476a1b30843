package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// leg is what a trace saw up to its first authoritative reply, which is
// where dig +trace stops: the zones crossed, and that reply's outcome,
// answer (the CNAME chain and the RRset asked for) and authority (the SOA
// of a negative reply). Records are in miekg's text form, sorted.
type leg struct {
	Zones     []string
	Outcome   string
	Answer    []string
	Authority []string
}

func (l leg) String() string {
	return fmt.Sprintf("zones %s, %s, answer %q, authority %q", strings.Join(l.Zones, " → "), l.Outcome, l.Answer, l.Authority)
}

func (l leg) equal(o leg) bool {
	return slices.Equal(l.Zones, o.Zones) && l.Outcome == o.Outcome &&
		slices.Equal(l.Answer, o.Answer) && slices.Equal(l.Authority, o.Authority)
}

// normRRs parses records written in zone-file form and gives them back in
// miekg's form, sorted, so that two programs' spellings compare.
func normRRs(texts []string) ([]string, error) {
	out := make([]string, 0, len(texts))
	for _, s := range texts {
		rr, err := dns.NewRR(s)
		if err != nil {
			return nil, fmt.Errorf("record %q: %w", s, err)
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out, nil
}

// addZone appends zone to zones unless it is the last one already: a zone
// asked again (another server after a failure) is crossed once.
func addZone(zones []string, zone string) []string {
	zone = dns.CanonicalName(zone)
	if len(zones) > 0 && zones[len(zones)-1] == zone {
		return zones
	}
	return append(zones, zone)
}

// nstraceDoc is the part of nstrace's JSON (docs/json.md) the suite reads.
type nstraceDoc struct {
	SchemaVersion int `json:"schema_version"`
	Question      struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"question"`
	Outcome   string   `json:"outcome"`
	Answer    []string `json:"answer"`
	Authority []string `json:"authority"`
	Error     string   `json:"error"`
	Findings  []struct {
		Code   string `json:"code"`
		Zone   string `json:"zone"`
		Server struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		} `json:"server"`
	} `json:"findings"`
	DNSSEC []struct {
		Zone   string `json:"zone"`
		Status string `json:"status"`
	} `json:"dnssec"`
	Hops []struct {
		Zone     string  `json:"zone"`
		Purpose  string  `json:"purpose"`
		QMin     string  `json:"qmin"`
		Rcode    *string `json:"rcode"`
		Question struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"question"`
		Server struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		} `json:"server"`
		Protocol  string   `json:"protocol"`
		Truncated bool     `json:"truncated"`
		Outcome   string   `json:"outcome"`
		Answer    []string `json:"answer"`
		Authority []string `json:"authority"`
		Error     string   `json:"error"`
	} `json:"hops"`
}

// firstLeg reads the walk's own hops, those that asked the trace's question,
// up to the first authoritative one. Failed attempts cross no zone.
func (d *nstraceDoc) firstLeg() (leg, error) {
	var l leg
	for _, h := range d.Hops {
		if !strings.EqualFold(h.Question.Name, d.Question.Name) || h.Question.Type != d.Question.Type {
			continue // a check of its own, such as the child's NS set
		}
		switch h.Outcome {
		case "referral":
			l.Zones = addZone(l.Zones, h.Zone)
			continue
		case "answer", "cname", "nxdomain", "nodata":
		default:
			continue
		}
		l.Zones = addZone(l.Zones, h.Zone)
		l.Outcome = h.Outcome
		var err error
		if l.Answer, err = normRRs(h.Answer); err != nil {
			return l, err
		}
		l.Authority, err = normRRs(h.Authority)
		return l, err
	}
	l.Outcome = "failed"
	return l, nil
}

// path is the trace's own end (final) with every zone its walk crossed,
// whatever it asked of them: a minimising walk (--qmin) asks each zone
// for less than the name.
func (d *nstraceDoc) path() (leg, error) {
	l, err := d.final()
	for _, h := range d.Hops {
		switch h.Outcome {
		case "referral", "answer", "cname", "nxdomain", "nodata":
			if h.Purpose == "walk" {
				l.Zones = addZone(l.Zones, h.Zone)
			}
		}
	}
	return l, err
}

// minimised counts the walk's minimised questions (--qmin).
func (d *nstraceDoc) minimised() int {
	n := 0
	for _, h := range d.Hops {
		if h.QMin == "minimised" {
			n++
		}
	}
	return n
}

// final is the trace's own end: its outcome, answer and authority.
func (d *nstraceDoc) final() (leg, error) {
	l := leg{Outcome: d.Outcome}
	var err error
	if l.Answer, err = normRRs(d.Answer); err != nil {
		return l, err
	}
	l.Authority, err = normRRs(d.Authority)
	return l, err
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binaryEnv names a prebuilt nstrace to test instead of building one.
const binaryEnv = "NSTRACE_E2E_BINARY"

// nstraceBinary builds cmd/nstrace once for the whole test binary, unless
// NSTRACE_E2E_BINARY names one.
func nstraceBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(binaryEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "nstrace-e2e-bin-"); buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(buildDir, "nstrace"), "github.com/nstrace/nstrace/cmd/nstrace")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/nstrace: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "nstrace")
}

// runNstrace runs the nstrace binary in ns with args before NAME TYPE, as
// JSON without timings. It cannot reach beyond loopback: with --lab, the
// lab's dial refuses every address it does not serve and dials only
// 127.0.0.1; with --root-hints (the mapped roots, all in 127/8), the
// namespace has no interface but lo, so the kernel refuses any other
// destination ("network is unreachable") before a packet is sent. An exit
// status that comes with a trace on stdout (the walk failed, or found
// something to warn of) is for the comparison to judge, not an error here.
func runNstrace(t *testing.T, ns *netns, args []string, name, qtype string) (*nstraceDoc, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args = append(slices.Clone(args), "--json", "--no-timings", "--timeout", "1s", name, qtype)
	cmd := ns.command(ctx, nstraceBinary(t), args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && len(out) > 0) {
		return nil, fmt.Errorf("nstrace %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	d := new(nstraceDoc)
	if err := json.Unmarshal(out, d); err != nil {
		return nil, fmt.Errorf("nstrace %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr.String())
	}
	if d.SchemaVersion != 1 {
		return nil, fmt.Errorf("nstrace %s: schema_version %d, want 1", strings.Join(args, " "), d.SchemaVersion)
	}
	return d, nil
}

// digReply is one reply dig +trace printed: the header it read and the
// sections it showed (dig +trace shows no additional section).
type digReply struct {
	msg  dns.Msg
	from string // the "Received ... from" server
}

// runDig runs dig +trace in ns, from the root server at root, and returns
// its output. Without glue dig +trace resolves nameserver names through the
// system resolver: in ns, the suite's resolver.
func runDig(t *testing.T, ns *netns, root, name, qtype string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"+trace", "+nodnssec", "+comments", "+nocookie", "+time=1", "+tries=2", "@" + root, name, qtype}
	out, err := ns.command(ctx, tools.dig, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// parseDig reads the replies of dig +trace +comments: each runs from ";; Got
// answer:" to ";; Received N bytes from ADDR#PORT(NAME) in T ms".
func parseDig(out string) ([]digReply, error) {
	var replies []digReply
	var cur *digReply
	var section *[]dns.RR
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == ";; Got answer:":
			cur = &digReply{}
			section = nil
		case cur == nil:
			continue
		case strings.HasPrefix(line, ";; ->>HEADER<<-"):
			_, status, _ := strings.Cut(line, "status: ")
			status, _, _ = strings.Cut(status, ",")
			rc, ok := dns.StringToRcode[status]
			if !ok {
				return nil, fmt.Errorf("dig: unknown status in %q", line)
			}
			cur.msg.Rcode = rc
		case strings.HasPrefix(line, ";; flags:"):
			flags, _, _ := strings.Cut(strings.TrimPrefix(line, ";; flags:"), ";")
			for _, f := range strings.Fields(flags) {
				switch f {
				case "aa":
					cur.msg.Authoritative = true
				case "tc":
					cur.msg.Truncated = true
				}
			}
		case line == ";; ANSWER SECTION:":
			section = &cur.msg.Answer
		case line == ";; AUTHORITY SECTION:":
			section = &cur.msg.Ns
		case line == ";; ADDITIONAL SECTION:":
			section = &cur.msg.Extra
		case strings.HasPrefix(line, ";; Received "):
			_, cur.from, _ = strings.Cut(line, " from ")
			replies = append(replies, *cur)
			cur, section = nil, nil
		case line == "" || strings.HasPrefix(line, ";"):
			if line == "" || strings.HasPrefix(line, ";; ") {
				section = nil // the end of a section, or another kind of line
			}
		default:
			if section == nil {
				return nil, fmt.Errorf("dig: record outside a section: %q", line)
			}
			rr, err := dns.NewRR(line)
			if err != nil {
				return nil, fmt.Errorf("dig: %q: %w", line, err)
			}
			*section = append(*section, rr)
		}
	}
	if len(replies) == 0 {
		return nil, errors.New("dig: no reply")
	}
	return replies, nil
}

// digLeg reads dig +trace's walk: the first reply is the root's NS set
// (from the server given with @), then one reply per zone crossed, the
// last of them the authoritative one. A reply that is neither a referral
// nor authoritative (an error, say) crosses no zone.
func digLeg(replies []digReply, qname string, qtype uint16) (leg, error) {
	first := replies[0].msg
	zone := ""
	for _, rr := range first.Answer {
		if rr.Header().Rrtype == dns.TypeNS {
			zone = rr.Header().Name
		}
	}
	if zone == "" {
		return leg{}, fmt.Errorf("dig: the first reply has no NS set:\n%s", first.String())
	}
	var l leg
	l.Outcome = "failed"
	for _, r := range replies[1:] {
		m := &r.msg
		if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
			continue
		}
		if !m.Authoritative {
			child := ""
			for _, rr := range m.Ns {
				if rr.Header().Rrtype == dns.TypeNS {
					child = dns.CanonicalName(rr.Header().Name)
				}
			}
			if child == "" || !dns.IsSubDomain(zone, child) || child == dns.CanonicalName(zone) {
				continue
			}
			l.Zones = addZone(l.Zones, zone)
			zone = child
			continue
		}
		l.Zones = addZone(l.Zones, zone)
		l.Outcome = outcomeOf(m, dns.CanonicalName(qname), qtype)
		for _, rr := range m.Answer {
			l.Answer = append(l.Answer, rr.String())
		}
		for _, rr := range m.Ns {
			if rr.Header().Rrtype == dns.TypeSOA && l.Outcome != "answer" {
				l.Authority = append(l.Authority, rr.String())
			}
		}
		slices.Sort(l.Answer)
		slices.Sort(l.Authority)
		break
	}
	return l, nil
}

// outcomeOf classifies an authoritative reply the way docs/json.md words
// it: the RRset asked for (after any CNAMEs) is an answer; CNAMEs that
// leave the reply, a cname; else NXDOMAIN or NODATA.
func outcomeOf(m *dns.Msg, qname string, qtype uint16) string {
	name, cname := qname, false
	for range len(m.Answer) + 1 {
		next := ""
		for _, rr := range m.Answer {
			h := rr.Header()
			if dns.CanonicalName(h.Name) != name {
				continue
			}
			if h.Rrtype == qtype {
				return "answer"
			}
			if c, ok := rr.(*dns.CNAME); ok {
				next = dns.CanonicalName(c.Target)
			}
		}
		if next == "" {
			break
		}
		name, cname = next, true
	}
	switch {
	case cname:
		return "cname"
	case m.Rcode == dns.RcodeNameError:
		return "nxdomain"
	}
	return "nodata"
}
