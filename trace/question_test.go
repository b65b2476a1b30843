package trace

import (
	"testing"

	"github.com/miekg/dns"
)

func TestParseType(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint16
		err  bool
	}{
		{"A", dns.TypeA, false},
		{"mx", dns.TypeMX, false},
		{"TYPE65280", 65280, false},
		{"type1", dns.TypeA, false},
		{"TYPE0", 0, true},
		{"TYPE65536", 0, true},
		{"AAA", 0, true},
		{"NONE", 0, true},
		{"", 0, true},
	} {
		got, err := ParseType(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseType(%q) = %d, %v; want %d, error %v", c.in, got, err, c.want, c.err)
		}
	}
}
