package trace

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestCanonicalName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{".", "."},
		{"WWW.Example.COM", "www.example.com."},
		{`www.exa\mple.com.`, "www.example.com."},
		{`www.exa\109ple.com`, "www.example.com."},
		{`a\046b.example`, `a\.b.example.`},
		{`a\.B.example`, `a\.b.example.`},
		{`\065\066.example`, "ab.example."},
		{`b\195\188cher.de`, `b\195\188cher.de.`},
		{`a\032b.example`, `a\ b.example.`},
		{"bad..name", "bad..name."}, // rejected: left to dns.CanonicalName
	} {
		if got := CanonicalName(tc.in); got != tc.want {
			t.Errorf("CanonicalName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCanonicalNameIsWireForm checks that a name typed with escapes comes
// out as the name in a reply to it reads, which is what makes the two
// compare as strings.
func TestCanonicalNameIsWireForm(t *testing.T) {
	for _, name := range []string{`www.exa\mple.com.`, `a\046b.example.`, `\000.x.`, `"q".example.`, `a\@b.example.`, `A\;B.example.`} {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		buf, err := m.Pack()
		if err != nil {
			t.Fatalf("Pack(%q): %v", name, err)
		}
		got := new(dns.Msg)
		if err := got.Unpack(buf); err != nil {
			t.Fatalf("Unpack(%q): %v", name, err)
		}
		if a, b := CanonicalName(name), dns.CanonicalName(got.Question[0].Name); a != b {
			t.Errorf("CanonicalName(%q) = %q, but the name unpacked from the wire is %q", name, a, b)
		}
	}
}

func TestCheckName(t *testing.T) {
	long := strings.Repeat("a", 64)
	l63 := strings.Repeat("a", 63)
	name255 := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("a", 61) // 255 octets on the wire
	for _, tc := range []struct {
		in, err string // err is a part of the error; "" for none
	}{
		{".", ""},
		{"example.com", ""},
		{"example.com.", ""},
		{strings.Repeat("a", 63) + ".com", ""},
		{name255, ""},
		{name255 + ".", ""},
		{name255 + "a", "name is 256 octets, over the limit of 255"},
		{long + ".com", `label "aaaaaaaaaa…aaaaaaaaaa" is 64 octets, over the limit of 63`},
		{"www." + strings.Repeat(`\065`, 64) + ".com", "is 64 octets, over the limit of 63"},
		{"", "empty name"},
		{"a..b", "empty label"},
		{".com", "empty label"},
		{`a\`, "lone backslash"},
		{`a\12`, "three digits"},
		{`a\256`, "over 255"},
	} {
		err := CheckName(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("CheckName(%q) = %v, want nil", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CheckName(%q) = %v, want an error with %q", tc.in, err, tc.err)
		}
	}
}

func TestParseName(t *testing.T) {
	l63 := strings.Repeat("a", 63)
	for _, tt := range []struct {
		in, want, err string // err is a part of the error
	}{
		{in: "bücher.de", want: "xn--bcher-kva.de."},
		{in: "BÜCHER.de.", want: "xn--bcher-kva.de."},
		{in: "bücher。de", want: "xn--bcher-kva.de."}, // UTS #46 maps the ideographic full stop
		{in: "faß.de", want: "xn--fa-hia.de."},       // IDNA 2008, not transitional: ß stays
		{in: "_dmarc.bücher.de", want: "_dmarc.xn--bcher-kva.de."},
		{in: "xn--bcher-kva.de", want: "xn--bcher-kva.de."},
		{in: "WWW.Example.COM", want: "www.example.com."},
		{in: `www.exa\mple.com`, want: "www.example.com."},
		{in: `a\046b.example`, want: `a\.b.example.`},
		{in: ".", want: "."},

		{in: "aא.de", err: `"aא.de" is not a valid international name (IDNA 2008): invalid label`},
		{in: "a\u200db.de", err: "is not a valid international name"}, // a joiner out of context
		{in: `ü\.x.de`, err: `write an international name without \ escapes`},
		{in: "\xff.de", err: "not valid UTF-8"},
		{in: "a b.com", err: `invalid domain name "a b.com": it has a space`},
		{in: "bad..name", err: `invalid domain name: "bad..name" has an empty label`},
		{in: strings.Repeat("a", 64) + ".com", err: `invalid domain name: label "aaaaaaaaaa…aaaaaaaaaa" is 64 octets, over the limit of 63`},
		{in: strings.Repeat("ü", 60) + ".de", err: `label "xn--tdaaaa…aaaaaaaaaa" is 66 octets, over the limit of 63`}, // in its ASCII form,
		{in: strings.Join([]string{l63, l63, l63, l63}, "."), err: "invalid domain name: name is 257 octets, over the limit of 255"},
	} {
		got, err := ParseName(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseName(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
