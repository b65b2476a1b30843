package lab

// Keys a scenario gives: BIND's key files, so that a zone is signed with
// the same keys every time the scenario loads (a golden file can show its
// DS, a fix computed from one trace holds for the next).

import (
	"bytes"
	"crypto"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Key is a DNSKEY record with its private key.
type Key struct {
	DNSKEY  *dns.DNSKEY
	Private crypto.Signer
}

// keyFileName is the name BIND's dnssec-keygen gives the files of k, without
// the .key or .private suffix: "Kexample.com.+013+12345".
func keyFileName(k *dns.DNSKEY) string {
	return fmt.Sprintf("K%s+%03d+%05d", dns.CanonicalName(k.Hdr.Name), k.Algorithm, k.KeyTag())
}

// KeyFiles gives the keys of the zone as BIND's key files: for each key,
// K<zone>+<algorithm>+<tag>.key (its DNSKEY record) and .private (its
// private key, Private-key-format v1.3). A scenario that holds them signs
// the zone with them instead of keys of its own (see keysOf).
func (sz *Signed) KeyFiles() map[string][]byte {
	out := map[string][]byte{}
	for i, k := range sz.Keys {
		name := keyFileName(k)
		out[name+".key"] = []byte(k.String() + "\n")
		out[name+".private"] = []byte(k.PrivateKeyString(plainKey(sz.private[i])))
	}
	return out
}

// isKeyFile reports whether a file of a scenario is a key file.
func isKeyFile(name string) bool {
	return strings.HasPrefix(name, "K") && (strings.HasSuffix(name, ".key") || strings.HasSuffix(name, ".private"))
}

// keysOf reads the keys files give for the zone origin: each
// K<origin>+*.key with its .private. None when there are none.
func keysOf(origin string, files map[string][]byte) ([]Key, error) {
	prefix := "K" + origin + "+"
	var out []Key
	for _, name := range slices.Sorted(maps.Keys(files)) {
		base, ok := strings.CutSuffix(name, ".key")
		if !ok || !strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) {
			continue
		}
		rr, err := dns.NewRR(string(bytes.TrimSpace(withoutComments(files[name]))))
		k, isKey := rr.(*dns.DNSKEY)
		if err != nil || !isKey || dns.CanonicalName(k.Hdr.Name) != origin {
			return nil, fmt.Errorf("%s: not a DNSKEY record of %s", name, origin)
		}
		priv, ok := files[base+".private"]
		if !ok {
			return nil, fmt.Errorf("%s: no %s.private beside it", name, base)
		}
		p, err := k.ReadPrivateKey(bytes.NewReader(priv), base+".private")
		if err != nil {
			return nil, fmt.Errorf("%s.private: %w", base, err)
		}
		signer, ok := p.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s.private: algorithm %d gives no signer", base, k.Algorithm)
		}
		out = append(out, Key{DNSKEY: k, Private: signer})
	}
	return out, nil
}

// withoutComments drops the lines of a .key file that start with ";", as
// dnssec-keygen writes before the record.
func withoutComments(b []byte) []byte {
	var out []byte
	for line := range bytes.Lines(b) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte(";")) {
			out = append(out, line...)
		}
	}
	return out
}
