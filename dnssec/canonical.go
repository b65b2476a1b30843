package dnssec

import (
	"bytes"
	"strings"

	"github.com/miekg/dns"
)

// Compare orders two domain names canonically (RFC 4034 §6.1): label by
// label from the root, each label's bytes compared with ASCII letters in
// lower case, a name sorting before its descendants. A name that is not
// a valid domain name sorts before every valid one.
func Compare(a, b string) int {
	la, oka := wireLabels(a)
	lb, okb := wireLabels(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return -1
	case !okb:
		return 1
	}
	for i := 1; i <= len(la) && i <= len(lb); i++ {
		if c := bytes.Compare(la[len(la)-i], lb[len(lb)-i]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// wireLabels is name's labels as lower-cased wire bytes, escapes undone,
// the root's empty label left out.
func wireLabels(name string) ([][]byte, bool) {
	buf := make([]byte, 256)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return nil, false
	}
	buf = buf[:n]
	for i, c := range buf { // ASCII only: bytes.ToLower would rewrite bytes that are not UTF-8
		if 'A' <= c && c <= 'Z' {
			buf[i] = c + 'a' - 'A'
		}
	}
	var out [][]byte
	for off := 0; off < n && buf[off] != 0; off += int(buf[off]) + 1 {
		out = append(out, buf[off+1:off+1+int(buf[off])])
	}
	return out, true
}

// equalNames compares names case-insensitively (RFC 4343).
func equalNames(a, b string) bool { return strings.EqualFold(dns.Fqdn(a), dns.Fqdn(b)) }

// Covers reports whether name falls strictly between an NSEC record's
// owner and next name in canonical order, the last NSEC of a zone
// wrapping round to the apex (RFC 4034 §4.1.1).
func Covers(owner, next, name string) bool {
	if Compare(owner, next) < 0 {
		return Compare(owner, name) < 0 && Compare(name, next) < 0
	}
	// The last NSEC: its next name is the apex, before its owner.
	return Compare(owner, name) < 0 || Compare(name, next) < 0
}

// RRset is the records of one owner, class and type, with the RRSIGs
// that cover them.
type RRset struct {
	Name string // canonical (lower case)
	Type uint16
	RRs  []dns.RR
	Sigs []*dns.RRSIG
}

// Sets groups a reply section into RRsets, in the order their first
// record appears; an RRSIG joins the set of its owner and type covered,
// which has no records when the section holds only signatures.
func Sets(rrs []dns.RR) []*RRset {
	var out []*RRset
	index := map[setKey]*RRset{}
	get := func(name string, t uint16) *RRset {
		k := setKey{dns.CanonicalName(name), t}
		s := index[k]
		if s == nil {
			s = &RRset{Name: k.name, Type: t}
			index[k] = s
			out = append(out, s)
		}
		return s
	}
	for _, rr := range rrs {
		if rr == nil || rr.Header() == nil {
			continue
		}
		h := rr.Header()
		switch r := rr.(type) {
		case *dns.RRSIG:
			s := get(h.Name, r.TypeCovered)
			s.Sigs = append(s.Sigs, r)
		case *dns.OPT:
		default:
			s := get(h.Name, h.Rrtype)
			s.RRs = append(s.RRs, rr)
		}
	}
	return out
}

type setKey struct {
	name string
	t    uint16
}

// find is the set of name and type in sets, or nil.
func find(sets []*RRset, name string, t uint16) *RRset {
	for _, s := range sets {
		if s.Type == t && equalNames(s.Name, name) {
			return s
		}
	}
	return nil
}

// typed picks the records of type T out of rrs.
func typed[T dns.RR](rrs []dns.RR) []T {
	var out []T
	for _, rr := range rrs {
		if r, ok := rr.(T); ok {
			out = append(out, r)
		}
	}
	return out
}
