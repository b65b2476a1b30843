package trace

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// ParseType reads a record type as it is written in a question: a mnemonic
// in any case ("A", "mx"), or TYPEnnn for any type by number (RFC 3597 §5).
func ParseType(s string) (uint16, error) {
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok && t != dns.TypeNone {
		return t, nil
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil && v > 0 {
			return uint16(v), nil
		}
	}
	return 0, fmt.Errorf("unknown record type %q", s)
}
