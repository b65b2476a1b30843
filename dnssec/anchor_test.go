package dnssec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
)

// TestRootAnchors checks the built-in anchors against the root's KSKs
// (testdata/root.key, Debian's dns-root-data copy of IANA's keys): each
// DS is the SHA-256 digest of one of them, with its key tag.
func TestRootAnchors(t *testing.T) {
	keys, err := dnssec.LoadAnchors(filepath.Join("testdata", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := dnssec.RootAnchors()
	if len(anchors) != 2 {
		t.Fatalf("RootAnchors() = %d records, want 2", len(anchors))
	}
	for i, tag := range []uint16{20326, 38696} {
		ds, ok := anchors[i].(*dns.DS)
		if !ok || ds.KeyTag != tag || ds.Algorithm != dns.RSASHA256 || ds.DigestType != dns.SHA256 || ds.Hdr.Name != "." {
			t.Errorf("anchor %d = %v, want . DS %d 8 2", i, anchors[i], tag)
			continue
		}
		k := keys[i].(*dns.DNSKEY)
		if k.KeyTag() != tag {
			t.Errorf("root.key %d has tag %d, want %d", i, k.KeyTag(), tag)
		}
		if got, _ := dnssec.MatchDS(ds, []*dns.DNSKEY{k}); got != k {
			t.Errorf("DS %d does not match the root's key %d: %s", tag, k.KeyTag(), k.ToDS(dns.SHA256))
		}
	}
	// Each call gives fresh records.
	anchors[0].(*dns.DS).KeyTag = 1
	if dnssec.RootAnchors()[0].(*dns.DS).KeyTag != 20326 {
		t.Error("RootAnchors shares its records between calls")
	}
	l := dnssec.AnchorLink(dnssec.RootAnchors(), ".")
	if l.Status != dnssec.Secure || len(l.DS) != 2 {
		t.Errorf("AnchorLink(root) = %+v", l)
	}
	l = dnssec.AnchorLink(keys, ".")
	if l.Status != dnssec.Secure || len(l.DS) != 2 || !strings.EqualFold(l.DS[0].Digest, dnssec.RootAnchors()[0].(*dns.DS).Digest) {
		t.Errorf("AnchorLink(DNSKEY anchors) = %+v", l)
	}
	// BIND's bind.keys (testdata/bind.keys, from bind9 9.18): the key of
	// 20326 and the DS of 38696, the same anchors.
	bk, err := dnssec.LoadAnchors(filepath.Join("testdata", "bind.keys"))
	if err != nil {
		t.Fatal(err)
	}
	l = dnssec.AnchorLink(bk, ".")
	for i, d := range l.DS {
		if want := dnssec.RootAnchors()[i].(*dns.DS); len(l.DS) != 2 || d.KeyTag != want.KeyTag || !strings.EqualFold(d.Digest, want.Digest) {
			t.Errorf("bind.keys anchor %d = %v, want %v", i, d, want)
		}
	}
}

func TestReadAnchors(t *testing.T) {
	const key = "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="
	tests := []struct {
		name string
		in   string
		n    int    // records read
		err  string // part of the error; "" for none
	}{
		{name: "ds", in: ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n", n: 1},
		{name: "ds with ttl and comments", in: "; root\n. 86400 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D ; KSK-2017\n", n: 1},
		{name: "dnskey", in: ". IN DNSKEY 257 3 8 " + key + "\n", n: 1},
		// Unbound's auto-trust-anchor-file keeps its state in comments.
		{name: "unbound autotrust", in: "; autotrust trust anchor file\n;;id: . 1\n;;last_queried: 1733300000 ;;Wed Dec  4 08:13:20 2024\n" +
			". 172800 IN DNSKEY 257 3 8 " + key + " ;{id = 20326 (ksk), size = 2048b} ;;state=2 [  VALID  ] ;;count=0 ;;lastchange=1502824390\n", n: 1},
		{name: "lab anchor", in: "$ORIGIN example.\n@ IN DS 1 13 2 " + strings.Repeat("ab", 32) + "\n", n: 1},
		{name: "empty", in: "", err: "no DS or DNSKEY records"},
		{name: "comments only", in: "; nothing\n", err: "no DS or DNSKEY records"},
		{name: "not an anchor", in: ". IN A 192.0.2.1\n", err: "a trust anchor is a DS or DNSKEY record"},
		{name: "class", in: ". CH DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n", err: "trust anchors are class IN"},
		{name: "not a zone key", in: ". IN DNSKEY 1 3 8 " + key + "\n", err: "not a zone key"},
		{name: "revoked", in: ". IN DNSKEY 385 3 8 " + key + "\n", err: "revoked"},
		{name: "syntax", in: ". IN DS 20326 8 2\n", err: "anchors.txt"},
		{name: "include", in: "$INCLUDE /etc/passwd\n", err: "anchors.txt"},
		{name: "bind trust-anchors", in: "# comment\ntrust-anchors {\n // two\n . initial-key 257 3 8 \"" + key[:40] + "\n\t" + key[40:] + "\";\n" +
			"/* x */ . static-ds 38696 8 2 \"683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A\n 4C0FB2B16\";\n};\n", n: 2},
		{name: "bind trusted-keys", in: "trusted-keys { . 257 3 8 \"" + key + "\"; };\n", n: 1},
		{name: "bind unknown type", in: "trust-anchors { . secret-key 257 3 8 \"" + key + "\"; };\n", err: "unknown type"},
		{name: "bind no quotes", in: "trust-anchors { . initial-key 257 3 8 AwEAA; };\n", err: "no quoted key"},
		{name: "bind bad key", in: "trust-anchors { . initial-key 257 3 8 \"!!\"; };\n", err: "not base64"},
		{name: "short digest", in: ". IN DS 20326 8 2 E06D44B8\n", err: "not a digest of type 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rrs, err := dnssec.ReadAnchors(strings.NewReader(tc.in), "anchors.txt")
			if tc.err == "" {
				if err != nil || len(rrs) != tc.n {
					t.Errorf("ReadAnchors = %d records, %v; want %d", len(rrs), err, tc.n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ReadAnchors error = %v, want one line with %q", err, tc.err)
			}
		})
	}
	if _, err := dnssec.LoadAnchors(filepath.Join(t.TempDir(), "none")); !os.IsNotExist(err) {
		t.Errorf("LoadAnchors(missing) = %v, want not exist", err)
	}
}
