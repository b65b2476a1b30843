package resolver

import (
	"net/netip"
	"strings"
	"testing"
)

func TestRootHints(t *testing.T) {
	hints := RootHints()
	if len(hints) != 26 {
		t.Fatalf("RootHints() has %d addresses, want 26 (13 servers, IPv4 and IPv6)", len(hints))
	}
	b := map[netip.Addr]bool{}
	for _, h := range hints {
		if h.Name == "b.root-servers.net." {
			b[h.Addr] = true
		}
	}
	// b.root-servers.net's addresses since 2023.
	for _, want := range []netip.Addr{netip.AddrFrom4([4]byte{170, 247, 170, 2}), netip.MustParseAddr("2801:1b8:10::b")} {
		if !b[want] {
			t.Errorf("RootHints() lacks b.root-servers.net. %s", want)
		}
	}
	if hints[0].Name != "a.root-servers.net." || !hints[0].Addr.Is4() || hints[1].Addr.Is4() {
		t.Errorf("RootHints() starts %v %v, want a.root-servers.net. IPv4 then IPv6", hints[0], hints[1])
	}
}

func TestParseRootHintsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "no root server"},
		{"no address", ". 3600 IN NS a.root.", "no root server"},
		{"not the root", "com. 3600 IN NS a.root.", "want the root"},
		{"syntax", ". 3600 IN NS a.root.\na.root. 3600 IN A 999.1.1.1\n", "hints.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRootHints("hints.txt", strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRootHints(%q) error = %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}
