// Package idn converts international domain names between the Unicode form
// people type and read and the ASCII form (IDNA A-labels, "xn--…") that goes
// on the wire, with IDNA 2008 and the UTS #46 mapping, as browsers do.
package idn

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// profile is the WHATWG URL standard's "domain to ASCII" with beStrict
// false: UTS #46 mapping (case folding and width, so "BÜCHER.de" and
// "bücher。de" are "bücher.de"), non-transitional, so "faß.de" keeps its ß
// as IDNA 2008 says, the bidi and joiner rules checked, and neither the
// STD3 rules nor the hyphen checks, which would refuse "_dmarc" and other
// labels that DNS allows. golang.org/x/net/idna implements it, from the
// Unicode tables, and is kept by the Go team.
var profile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
)

// ToASCII gives the wire form of a name typed in Unicode: "xn--bcher-kva.de"
// for "Bücher.de". A name that is all ASCII is returned as it is, escapes
// and case included: it needs no conversion, and DNS allows bytes that
// IDNA does not. The error says why IDNA 2008 rejects the name.
func ToASCII(name string) (string, error) {
	if IsASCII(name) {
		return name, nil
	}
	a, err := profile.ToASCII(name)
	if err != nil {
		return "", &Error{Name: name, Reason: strings.TrimPrefix(err.Error(), "idna: ")}
	}
	return a, nil
}

// ToUnicode gives the Unicode form of an ASCII name that has IDNA labels,
// for people: "bücher.de." for "xn--bcher-kva.de.". It gives "" for a name
// without such labels, and for one whose labels are not valid IDNA (an
// "xn--" label that does not decode, or decodes to what ToASCII would
// refuse), so that only a name that round-trips is ever shown in Unicode.
func ToUnicode(name string) string {
	if !strings.Contains(name, "xn--") && !strings.Contains(name, "XN--") {
		return ""
	}
	u, err := profile.ToUnicode(name)
	if err != nil || u == name {
		return ""
	}
	if a, err := profile.ToASCII(u); err != nil || !strings.EqualFold(a, name) {
		return ""
	}
	return u
}

// IsASCII reports whether name is all ASCII, so needs no IDNA.
func IsASCII(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Error is a name that IDNA 2008 rejects.
type Error struct {
	Name   string // as typed
	Reason string // the idna package's words, e.g. `invalid label "aא"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%q is not a valid international name (IDNA 2008): %s", e.Name, e.Reason)
}
