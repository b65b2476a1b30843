package lab

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// newCopy is another copy of example.com, at another provider's server,
// as during a move between DNS providers.
const newCopy = `$ORIGIN example.com.
$TTL 3600
@		IN	SOA	ns9.example.net. hostmaster.example.com. 2 7200 3600 1209600 3600
@		IN	NS	ns9.example.net.
www		IN	A	192.0.2.99
`

// TestZoneCopies serves two copies of one zone, each from the servers its
// own apex NS set names.
func TestZoneCopies(t *testing.T) {
	s, err := Parse("x", files(map[string]string{
		"example.com.new.zone": newCopy,
		"lab.conf":             "# two copies\nserver ns9.example.net 198.51.100.9\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Zones(), []string{".", "com.", "example.com."}; !slices.Equal(got, want) {
		t.Errorf("Zones() = %q, want %q", got, want)
	}
	if got := s.ZoneFiles()["example.com."]; got != "example.com.new.zone" {
		t.Errorf("ZoneFiles()[example.com.] = %q, want the first copy by file name", got)
	}
	for _, sv := range s.Servers() {
		if sv.Name == "ns9.example.net." && !slices.Equal(sv.Zones, []string{"example.com."}) {
			t.Errorf("ns9.example.net. serves %q", sv.Zones)
		}
	}
	l := start(t, s)
	for _, tt := range []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.10"},    // ns1.example.com, the copy in example.com.zone
		{"198.51.100.9", "192.0.2.99"}, // ns9.example.net, the new copy
	} {
		r, err := exchange(t, l, tt.addr, "udp", query("www.example.com.", dns.TypeA, 1232))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Answer) != 1 || !r.Authoritative || !strings.HasSuffix(r.Answer[0].String(), tt.want) {
			t.Errorf("www.example.com. A at %s:\n%v\nwant %s", tt.addr, r, tt.want)
		}
	}
}

func TestZoneCopyErrors(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"a server with both copies", map[string]string{"other.zone": "$ORIGIN example.com.\n" + base["example.com.zone"]},
			"other.zone: zone example.com. is also in example.com.zone, and ns1.example.com. serves both: a server has one copy of a zone"},
		{"serve cannot choose", map[string]string{"example.com.new.zone": newCopy, "lab.conf": "serve ns9.example.net example.com\n"},
			"lab.conf:1: example.com. is in example.com.new.zone and example.com.zone: serve cannot say which copy"},
		{"two roots", map[string]string{"other.zone": "$ORIGIN .\n" + base["root.zone"]},
			"zone . is also in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x", files(tt.change))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want %q", err, tt.want)
			}
		})
	}
}
