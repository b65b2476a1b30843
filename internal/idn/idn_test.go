package idn

import (
	"errors"
	"testing"
)

func TestToASCII(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"bücher.de", "xn--bcher-kva.de"},
		{"BÜCHER.de.", "xn--bcher-kva.de."},
		{"bücher。de", "xn--bcher-kva.de"}, // UTS #46 maps the ideographic full stop
		{"faß.de", "xn--fa-hia.de"},       // IDNA 2008, not transitional: ß stays
		{"_dmarc.bücher.de", "_dmarc.xn--bcher-kva.de"},
		{"Already.ASCII", "Already.ASCII"},
		{`exa\mple.com`, `exa\mple.com`},
	} {
		if got, err := ToASCII(tt.in); err != nil || got != tt.want {
			t.Errorf("ToASCII(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"aא.de", "a\u200db.de", "\u0308a.de"} {
		var e *Error
		if got, err := ToASCII(in); !errors.As(err, &e) || e.Name != in {
			t.Errorf("ToASCII(%q) = %q, %v; want an *Error", in, got, err)
		}
	}
}

func TestToUnicode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"xn--bcher-kva.de.", "bücher.de."},
		{"_dmarc.xn--bcher-kva.de.", "_dmarc.bücher.de."},
		{"www.example.com.", ""},
		{"xn--zz.de.", ""},     // does not decode
		{"xn--a-0hc.com.", ""}, // decodes to "aא", which breaks the bidi rule
		{"xn--bcher-kva.de", "bücher.de"},
	} {
		if got := ToUnicode(tt.in); got != tt.want {
			t.Errorf("ToUnicode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
