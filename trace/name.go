package trace

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/idn"
)

// The limits of a name on the wire (RFC 1035 §2.3.4).
const (
	maxLabel = 63  // octets in a label
	maxName  = 255 // octets in a whole name, length bytes and the root's included
)

// CanonicalName gives name fully qualified and in lower case, spelled as
// miekg/dns spells a name it reads from the wire: "www.exa\mple.com" is
// "www.example.com.", "a\046b" is "a\.b", and a byte that is not printable
// ASCII is "\DDD". Two names that are the same on the wire (case aside)
// have the same canonical form, so names typed by a user, read from a zone
// file and unpacked from a reply compare as strings once canonical. A name
// that CheckName rejects is given as dns.CanonicalName gives it.
func CanonicalName(name string) string {
	labels, err := wireLabels(name)
	if err != nil {
		return dns.CanonicalName(name)
	}
	buf := make([]byte, 0, maxName)
	for _, l := range labels {
		buf = append(buf, byte(len(l)))
		buf = append(buf, l...)
	}
	buf = append(buf, 0)
	s, _, err := dns.UnpackDomainName(buf, 0)
	if err != nil {
		return dns.CanonicalName(name)
	}
	// Unpacked names are ASCII (other bytes are escaped), and DNS names
	// compare without regard to ASCII case only (RFC 4343).
	return strings.ToLower(s)
}

// ParseName reads a name as a user types it: in ASCII, with zone-file
// escapes ("\." and "\DDD") where a label holds odd bytes, or in Unicode,
// which is converted to its IDNA A-labels with IDNA 2008 and the UTS #46
// mapping, as browsers do ("Bücher.de" is "xn--bcher-kva.de."). It returns
// the name fully qualified, in the form CanonicalName gives, or an error
// that says in one line what is wrong: a name IDNA rejects, or a limit of
// RFC 1035 broken (CheckName).
func ParseName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("invalid domain name %q: not valid UTF-8", s)
	}
	if !idn.IsASCII(s) && strings.Contains(s, `\`) {
		return "", fmt.Errorf("invalid domain name %q: write an international name without \\ escapes", s)
	}
	ascii, err := idn.ToASCII(s)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(ascii, " \t\r\n") {
		return "", fmt.Errorf("invalid domain name %q: it has a space", s)
	}
	if err := CheckName(ascii); err != nil {
		return "", fmt.Errorf("invalid domain name: %w", err)
	}
	return CanonicalName(ascii), nil
}

// CheckName reports why name, in zone-file text form (a trailing dot is
// optional, "\." and "\DDD" escape a byte), is not a domain name, or nil
// when it is. Its error names the limit broken: an empty label, a label
// over 63 octets, or a name over 255 (RFC 1035 §2.3.4).
func CheckName(name string) error {
	_, err := wireLabels(name)
	return err
}

// wireLabels gives the labels of name as the bytes sent on the wire, the
// root's empty label left out.
func wireLabels(name string) ([][]byte, error) {
	if name == "" {
		return nil, errors.New("empty name")
	}
	if name == "." {
		return nil, nil
	}
	var labels [][]byte
	var l []byte
	start := 0 // where the label being read starts in name
	end := func(i int) error {
		if len(l) == 0 {
			return fmt.Errorf("%q has an empty label", name)
		}
		if len(l) > maxLabel {
			return fmt.Errorf("label %s is %d octets, over the limit of %d", shorten(name[start:i]), len(l), maxLabel)
		}
		labels, l, start = append(labels, l), nil, i+1
		return nil
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '.':
			if err := end(i); err != nil {
				return nil, err
			}
			continue
		case '\\':
			var err error
			if c, i, err = unescape(name, i); err != nil {
				return nil, err
			}
		}
		l = append(l, c)
	}
	if start < len(name) {
		if err := end(len(name)); err != nil {
			return nil, err
		}
	}
	size := 1 // the root's length byte
	for _, l := range labels {
		size += 1 + len(l)
	}
	if size > maxName {
		return nil, fmt.Errorf("name is %d octets, over the limit of %d", size, maxName)
	}
	return labels, nil
}

// unescape reads the escape at name[i], "\X" or "\DDD", and gives the
// byte it stands for and the index of its last character.
func unescape(name string, i int) (byte, int, error) {
	if i+1 >= len(name) {
		return 0, i, fmt.Errorf("%q ends in a lone backslash", name)
	}
	if d := name[i+1]; d < '0' || d > '9' {
		return d, i + 1, nil
	}
	if i+3 >= len(name) || !isDigits(name[i+1:i+4]) {
		return 0, i, fmt.Errorf("%q: a \\DDD escape needs three digits", name)
	}
	v := int(name[i+1]-'0')*100 + int(name[i+2]-'0')*10 + int(name[i+3]-'0')
	if v > 255 {
		return 0, i, fmt.Errorf("%q: escape \\%s is over 255", name, name[i+1:i+4])
	}
	return byte(v), i + 3, nil
}

func isDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// shorten quotes a long label by its start and end.
func shorten(label string) string {
	if len(label) <= 24 {
		return fmt.Sprintf("%q", label)
	}
	return fmt.Sprintf("%q", label[:10]+"…"+label[len(label)-10:])
}
