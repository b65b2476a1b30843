// Package render turns a trace.Trace into text: Tree for people reading a
// terminal, JSON for programs. It only writes to the io.Writer it is given and
// keeps no state between calls; colour is decided per call by Options, never
// by fatih/color's global switch.
package render

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/idn"
	"github.com/nstrace/nstrace/trace"
)

// Options says how to render. The zero value is plain text with timings.
type Options struct {
	// Color turns on ANSI colour and bold in Tree; JSON ignores it.
	Color bool
	// NoTimings hides round-trip times, start offsets and the total
	// duration, and JSON's started_at and nstrace_version, so that two
	// renderings of the same walk compare byte for byte.
	NoTimings bool
	// Width is the width of the terminal in columns: Tree and TreeStream
	// wrap a finding's line to it, under the hop that shows it. Zero, as
	// for output to a pipe or a file, keeps each finding on one line.
	Width int
	// Verbose shows every finding in Tree, TreeStream, the dig layout and
	// Summary; without it they leave out the quiet ones (trace.Quiet:
	// ns-ttl-mismatch), true of most domains. JSON always has them all.
	Verbose bool
	// NoFix hides the line that says how to fix each error and warning,
	// under it in Tree, TreeStream and the dig layout (nstrace --no-fix).
	// JSON always has every finding's fix.
	NoFix bool
	// Version is the program's version, for JSON's nstrace_version and
	// the first line of the dig layout; "" leaves it out.
	Version string
}

// A fault is what the renderers for people show of findings: one
// finding, or the findings of one cause merged into one (trace.Group),
// with how many it stands for.
type fault struct {
	trace.Finding
	n int
}

// shown gives the faults of fs that o shows to people, in fs's order:
// every finding with Verbose, all but the quiet ones (trace.Quiet)
// without; the findings of one cause as one fault.
func (o Options) shown(fs []trace.Finding) []fault {
	var keep []trace.Finding
	for _, f := range fs {
		if o.Verbose || !trace.Quiet(f.Code) {
			keep = append(keep, f)
		}
	}
	var out []fault
	for _, g := range trace.Group(keep) {
		out = append(out, fault{trace.Merged(g), len(g)})
	}
	return out
}

var errNilTrace = errors.New("render: nil trace")

// nameText gives a name for people: as it is, or, when it has IDNA labels
// that decode, in Unicode followed by the name asked in parentheses:
// "bücher.de. (xn--bcher-kva.de.)".
func nameText(name string) string {
	if u := idn.ToUnicode(name); u != "" {
		return u + " (" + name + ")"
	}
	return name
}

// questionText gives q as the first line of a tree writes it, dig's form
// with the name as nameText gives it: "bücher.de. (xn--bcher-kva.de.) IN A".
func questionText(q trace.Question) string {
	return nameText(q.Name) + strings.TrimPrefix(q.String(), q.Name)
}

// formatDuration writes d compactly with about two significant digits:
// "0.8ms", "12ms", "480ms", "1.2s", "15s". A trailing ".0" is dropped.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < 100*time.Microsecond:
		return "<0.1ms"
	case d < 9950*time.Microsecond:
		return tenths(int64(d.Round(100*time.Microsecond)/(100*time.Microsecond))) + "ms"
	case d < 999500*time.Microsecond:
		return strconv.FormatInt(int64(d.Round(time.Millisecond)/time.Millisecond), 10) + "ms"
	case d < 9950*time.Millisecond:
		return tenths(int64(d.Round(100*time.Millisecond)/(100*time.Millisecond))) + "s"
	default:
		return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) + "s"
	}
}

// tenths writes n/10 with one decimal, dropping a ".0".
func tenths(n int64) string {
	if n%10 == 0 {
		return strconv.FormatInt(n/10, 10)
	}
	return fmt.Sprintf("%d.%d", n/10, n%10)
}

// rrFields splits a record's zone-file text into owner, TTL, class, type and
// rdata. miekg/dns separates the header fields with tabs; ok is false for
// text that does not have that shape.
func rrFields(rr dns.RR) (f [5]string, ok bool) {
	parts := strings.SplitN(rr.String(), "\t", 5)
	if len(parts) != 5 {
		return f, false
	}
	copy(f[:], parts)
	f[4] = strings.ReplaceAll(f[4], "\t", " ")
	return f, true
}

// rrText gives a record's zone-file text on one line, tabs replaced by
// single spaces.
func rrText(rr dns.RR) string {
	return strings.ReplaceAll(rr.String(), "\t", " ")
}

// rdata gives the data part of a record's zone-file text, e.g. "192.0.2.1".
func rdata(rr dns.RR) string {
	if f, ok := rrFields(rr); ok {
		return f[4]
	}
	return rrText(rr)
}

// classString gives a class's mnemonic, or CLASSnnn (RFC 3597) for one with
// none; zero means IN, as in trace.Question.
func classString(c uint16) string {
	if c == 0 {
		c = dns.ClassINET
	}
	if s, ok := dns.ClassToString[c]; ok {
		return s
	}
	return dns.Class(c).String()
}

// rcodeString gives an RCODE's mnemonic, or RCODEnnn for one with none.
func rcodeString(rc int) string {
	if rc == dns.RcodeBadVers {
		return "BADVERS" // the EDNS meaning of 16 (RFC 6891); nstrace sends no TSIG, whose BADSIG it also is
	}
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}

// addrString gives a's text form, or "" for the zero Addr.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// ignoredText says why the glue record g of h's referral was not used.
func ignoredText(h *trace.Hop, g trace.Glue) string {
	switch g.Ignored {
	case trace.ReasonNotNameserver:
		return "not a nameserver of " + h.Referral.Zone
	case trace.ReasonOutOfBailiwick:
		return "out of bailiwick (" + dns.CanonicalName(h.Zone) + ")"
	}
	return string(g.Ignored)
}

// minFill is the fewest columns fill is given for a line, so that a deep
// tree on a narrow terminal still has a few words a line, past its edge.
const minFill = 24

// fill breaks words into lines, each its words joined by single spaces:
// the first at most first columns wide, the others at most rest, a word
// wider than that alone on its line.
func fill(words []string, first, rest int) [][]string {
	var lines [][]string
	var cur []string
	col, n := 0, first
	for _, w := range words {
		ww := utf8.RuneCountInString(w)
		if len(cur) > 0 && col+1+ww > n {
			lines = append(lines, cur)
			cur, col, n = nil, 0, rest
		}
		if len(cur) > 0 {
			col++
		}
		cur = append(cur, w)
		col += ww
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines
}

// visibleWidth gives the columns s takes on screen: its runes but those of
// its escape sequences (CSI, as fatih/color writes).
func visibleWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' && i+1 < len(s) && s[i+1] == '[' {
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
			continue
		}
		if s[i]&0xc0 != 0x80 { // not a UTF-8 continuation byte
			n++
		}
	}
	return n
}
