package batch

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/miekg/dns"
)

func TestParseLine(t *testing.T) {
	for _, c := range []struct {
		line  string
		name  string
		qtype uint16
		ok    bool
		err   string
	}{
		{line: "www.example.com", name: "www.example.com.", qtype: dns.TypeA, ok: true},
		{line: "  Example.COM.   mx  ", name: "example.com.", qtype: dns.TypeMX, ok: true},
		{line: "example.com TYPE65280 # a private type", name: "example.com.", qtype: 65280, ok: true},
		{line: "example.com\tAAAA", name: "example.com.", qtype: dns.TypeAAAA, ok: true},
		{line: `www.exa\109ple.com`, name: "www.example.com.", qtype: dns.TypeA, ok: true},
		{line: `a\046b.example`, name: `a\.b.example.`, qtype: dns.TypeA, ok: true},
		{line: "bücher.de", name: "xn--bcher-kva.de.", qtype: dns.TypeA, ok: true},
		{line: "BÜCHER.de mx", name: "xn--bcher-kva.de.", qtype: dns.TypeMX, ok: true},
		{line: ""},
		{line: "   \t "},
		{line: "# a comment"},
		{line: "   # an indented comment"},
		{line: "www.example.com AAA", err: `unknown record type "AAA"`},
		{line: "www.example.com A IN", err: "want NAME [TYPE], not 3 words"},
		{line: "bad..name", err: `invalid domain name: "bad..name" has an empty label`},
		{line: strings.Repeat("a", 64) + ".com", err: `invalid domain name: label "aaaaaaaaaa…aaaaaaaaaa" is 64 octets, over the limit of 63`},
		{line: "aא.de", err: `"aא.de" is not a valid international name (IDNA 2008): invalid label "aא.de"`},
		{line: "example.com AXFR", err: "AXFR is a zone transfer, not a lookup: use dig AXFR example.com. @SERVER"},
		{line: "\xc3\x28.com", err: `byte 0xc3 at column 1 is not UTF-8 text; write other octets of a name as \DDD`},
		{line: "www.example.com \x80MX", err: `byte 0x80 at column 17 is not UTF-8 text; write other octets of a name as \DDD`},
		{line: "a\x00b", err: `control character U+0000 at column 2; write other octets of a name as \DDD`},
		{line: "www.example.com\x1b[31m", err: `control character U+001B at column 16; write other octets of a name as \DDD`},
	} {
		q, ok, err := parseLine([]byte(c.line), false, dns.TypeA)
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err {
				t.Errorf("parseLine(%q) error = %v, want %q", c.line, err, c.err)
			}
		case err != nil:
			t.Errorf("parseLine(%q) error = %v, want none", c.line, err)
		case ok != c.ok || ok && (q.Name != c.name || q.Qtype != c.qtype || q.Qclass != dns.ClassINET):
			t.Errorf("parseLine(%q) = %+v, %v; want %s %d, %v", c.line, q, ok, c.name, c.qtype, c.ok)
		}
	}
	// -t sets the type of lines that give none.
	if q, _, _ := parseLine([]byte("example.com"), false, dns.TypeNS); q.Qtype != dns.TypeNS {
		t.Errorf("parseLine with default type NS gave type %d", q.Qtype)
	}
}

// readAll reads a list and gives each name as "LINE NAME TYPE" and each
// error as "error: MESSAGE".
func readAll(r io.Reader) []string {
	var got []string
	for n, err := range Read(r, "names.txt", dns.TypeA) {
		if err != nil {
			got = append(got, "error: "+err.Error())
			continue
		}
		got = append(got, fmt.Sprintf("%d %s %s", n.Line, n.Question.Name, dns.TypeToString[n.Question.Qtype]))
	}
	return got
}

func TestRead(t *testing.T) {
	long := strings.Repeat("x", 3*MaxLine)
	for _, c := range []struct {
		name, list string
		want       []string
	}{
		{"names", "a.test\n\n# c\nb.test MX\r\nc.test", []string{"1 a.test. A", "4 b.test. MX", "5 c.test. A"}},
		{"byte order mark", "\ufeffa.test\n", []string{"1 a.test. A"}},
		{"bad lines", "a.test AAA\nb.test\n", []string{`error: names.txt:1: unknown record type "AAA"`, "2 b.test. A"}},
		{"a long line", "a.test\n" + long + "\nb.test", []string{"1 a.test. A", "error: names.txt:2: longer than 4096 bytes: not a NAME [TYPE] line", "3 b.test. A"}},
		{"a long last line", "a.test\n" + long, []string{"1 a.test. A", "error: names.txt:2: longer than 4096 bytes: not a NAME [TYPE] line"}},
		{"empty", "", nil},
	} {
		got := readAll(strings.NewReader(c.list))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: Read gave\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// TestReadError checks that an error of the reader ends the list, with
// the line it stopped at.
func TestReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("a.test\nb.te"), iotest.ErrReader(errors.New("disk on fire")))
	got := readAll(r)
	want := []string{"1 a.test. A", "error: names.txt: line 2: disk on fire"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Read gave\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReadGarbage reads binary garbage: every line that is not a name is a
// *LineError whose message says where and why.
func TestReadGarbage(t *testing.T) {
	garbage := make([]byte, 20000)
	x := uint32(1)
	for i := range garbage {
		x = x*1664525 + 1013904223
		garbage[i] = byte(x >> 24)
	}
	for n, err := range Read(strings.NewReader(string(garbage)), "rnd.bin", dns.TypeA) {
		if err == nil {
			if _, ok := dns.IsDomainName(n.Question.Name); !ok {
				t.Errorf("line %d: name %q, which the resolver refuses", n.Line, n.Question.Name)
			}
			continue
		}
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("error %v, want a *LineError", err)
		}
		prefix := fmt.Sprintf("rnd.bin:%d: ", le.Line)
		if msg := err.Error(); !strings.HasPrefix(msg, prefix) || len(msg) == len(prefix) || le.Unwrap() == nil {
			t.Errorf("error %q, want %q and why", msg, prefix)
		}
	}
}

// FuzzRead checks that no list makes Read panic, and that each error it
// gives has its line and a reason.
func FuzzRead(f *testing.F) {
	f.Add([]byte("www.example.com A\n# c\nbad..name\n"))
	f.Add([]byte("\xff\xfe\x00\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for n, err := range Read(strings.NewReader(string(data)), "f", dns.TypeA) {
			var le *LineError
			switch {
			case err == nil && n.Question.Name == "":
				t.Errorf("line %d: a name with no name", n.Line)
			case err != nil && (!errors.As(err, &le) || le.Err == nil || le.Err.Error() == ""):
				t.Errorf("error %v, want a *LineError with a reason", err)
			}
		}
	})
}
