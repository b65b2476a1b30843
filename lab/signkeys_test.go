package lab

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestSignKeysGiven: a scenario holding a zone's key files (as KeyFiles
// writes them) signs it with those keys at every load, so its DS is the
// same; a DS the parent's zone file holds is what the parent publishes,
// and the lab adds none.
func TestSignKeysGiven(t *testing.T) {
	conf := "sign .\nsign com.\nsign example.com.\n"
	first, err := Parse("signed", signedFiles(conf))
	if err != nil {
		t.Fatal(err)
	}
	fs := signedFiles(conf)
	kf := first.Signed("example.com.").KeyFiles()
	if len(kf) != 4 {
		t.Fatalf("KeyFiles() = %d files, want 4 (a KSK and a ZSK, each .key and .private)", len(kf))
	}
	maps.Copy(fs, kf)
	again, err := Parse("signed", fs)
	if err != nil {
		t.Fatal(err)
	}
	was, now := first.Signed("example.com."), again.Signed("example.com.")
	if now.DS[0].Digest != was.DS[0].Digest || now.Keys[1].PublicKey != was.Keys[1].PublicKey {
		t.Errorf("with its key files, example.com. DS = %v, want %v", now.DS, was.DS)
	}

	// The parent's own DS, for a key the zone does not have.
	other := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	if _, err := other.Generate(256); err != nil {
		t.Fatal(err)
	}
	ds := other.ToDS(dns.SHA256)
	fs["com.zone"] = append(fs["com.zone"], []byte(ds.String()+"\n")...)
	given, err := Parse("signed", fs)
	if err != nil {
		t.Fatal(err)
	}
	var published []string
	for _, rr := range given.copies("com.")[0].rrset("example.com.", dns.TypeDS) {
		published = append(published, rr.(*dns.DS).Digest)
	}
	if !slices.Equal(published, []string{strings.ToUpper(ds.Digest)}) {
		t.Errorf("com. publishes DS %v for example.com., want only its zone file's %s", published, ds.Digest)
	}
}

// TestSignFaultsMore: no-ds publishes no DS; expires-soon signs for a day.
func TestSignFaultsMore(t *testing.T) {
	s, err := Parse("signed", signedFiles("sign .\nsign com.\nsign example.com. no-ds expires-soon\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ds := s.copies("com.")[0].rrset("example.com.", dns.TypeDS); len(ds) != 0 {
		t.Errorf("no-ds: com. publishes %v", ds)
	}
	for _, rr := range s.Signed("example.com.").Records {
		if sig, ok := rr.(*dns.RRSIG); ok {
			if left := int64(sig.Expiration) - int64(sig.Inception); left != 30*24*3600 {
				t.Errorf("expires-soon: %s valid for %ds, want 30 days from 29 days ago", strings.Fields(sig.String())[4], left)
			}
		}
	}
}
