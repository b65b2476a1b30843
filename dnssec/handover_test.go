package dnssec_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

func TestHandover(t *testing.T) {
	oldKSK := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	newKSK := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	ds := oldKSK.ToDS(dns.SHA256)
	ds.Hdr.Ttl = 86400
	link := dnssec.Link{Zone: "example.com.", Status: dnssec.Secure, DS: []*dns.DS{ds}}
	tests := []struct {
		name   string
		keys   []dns.RR
		status dnssec.Status
		code   string
		says   string
	}{
		{name: "same keys", keys: keySet(t, []key{oldKSK}, oldKSK), status: dnssec.Secure},
		{name: "both keys, old signs", keys: keySet(t, []key{oldKSK, newKSK}, oldKSK), status: dnssec.Secure},
		{name: "new keys", keys: keySet(t, []key{newKSK}, newKSK), status: dnssec.Bogus, code: dnssec.CodeDSNoMatchingDNSKEY,
			says: "the new servers sign with key " + itoa(newKSK.KeyTag())},
		{name: "unsigned", status: dnssec.Bogus, code: dnssec.CodeDNSKEYMissing, says: "the new servers serve it unsigned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := validator().Handover(link, tc.keys)
			if z.Status != tc.status {
				t.Fatalf("status %s, want %s; %v", z.Status, tc.status, z.Findings)
			}
			if tc.code == "" {
				return
			}
			f := z.Findings[0]
			for _, part := range []string{"the parent still publishes DS " + itoa(ds.KeyTag) + " for example.com.", tc.says, "wait its TTL (24h0m0s) first"} {
				if f.Code != tc.code || f.Severity != dnssec.SeverityError || !strings.Contains(f.Message, part) {
					t.Errorf("first finding %v, want %s saying %q", f, tc.code, part)
				}
			}
			for _, g := range z.Findings[1:] {
				if g.Code == tc.code {
					t.Errorf("a second %s: %v", tc.code, g)
				}
			}
		})
	}
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

func TestConsistent(t *testing.T) {
	k1 := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	k2 := newKey(t, "example.com.", dns.ZONE|dns.SEP, dns.ECDSAP256SHA256)
	a := keySet(t, []key{k1}, k1)
	b := keySet(t, []key{k1}, k1) // signed again: another signature, same key
	tests := []struct {
		name     string
		byServer map[string][]dns.RR
		want     int
	}{
		{"one server", map[string][]dns.RR{"192.0.2.1": a}, 0},
		{"same keys and signers", map[string][]dns.RR{"192.0.2.1": a, "192.0.2.2": b}, 0},
		{"other keys", map[string][]dns.RR{"192.0.2.1": a, "192.0.2.2": keySet(t, []key{k2}, k2)}, 1},
		{"an unsigned copy", map[string][]dns.RR{"192.0.2.1": a, "192.0.2.2": keySet(t, []key{k1})}, 1},
		{"none at one", map[string][]dns.RR{"192.0.2.1": a, "192.0.2.2": nil}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := dnssec.Consistent("example.com.", dns.TypeDNSKEY, tc.byServer)
			if len(fs) != tc.want {
				t.Fatalf("Consistent = %v, want %d findings", fs, tc.want)
			}
			for _, f := range fs {
				if f.Code != dnssec.CodeDNSSECInconsistent || !strings.Contains(f.Message, "192.0.2.1") || !strings.Contains(f.Message, "192.0.2.2") {
					t.Errorf("finding %v: want dnssec-inconsistent naming both servers", f)
				}
			}
		})
	}
	// DS at the parent's servers.
	ds1, ds2 := k1.ToDS(dns.SHA256), k2.ToDS(dns.SHA256)
	if fs := dnssec.Consistent("example.com.", dns.TypeDS, map[string][]dns.RR{"a": {ds1}, "b": {ds2}}); len(fs) != 1 {
		t.Errorf("different DS: %v", fs)
	}
}

// TestCodes checks the table of codes: each once, with a severity, and
// the severities of trace's findings.
func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range dnssec.Codes() {
		if seen[c] {
			t.Errorf("%s twice", c)
		}
		seen[c] = true
		switch dnssec.SeverityOf(c) {
		case dnssec.SeverityError, dnssec.SeverityWarning, dnssec.SeverityInfo:
		default:
			t.Errorf("%s has severity %q", c, dnssec.SeverityOf(c))
		}
	}
	if len(seen) != 20 || dnssec.SeverityOf("missing-glue") != "" {
		t.Errorf("Codes() = %d codes; SeverityOf(missing-glue) = %q", len(seen), dnssec.SeverityOf("missing-glue"))
	}
}
