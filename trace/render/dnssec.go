package render

import (
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// DNSSEC in the tree: one word beside each zone the walk validated, on the
// first hop of the zone, and its DS records under that hop.

// dnssecFirsts gives each zone of t.DNSSEC by the first of hops asked as
// an authority for it.
func dnssecFirsts(t *trace.Trace, hops []*trace.Hop) map[*trace.Hop]*trace.DNSSEC {
	if len(t.DNSSEC) == 0 {
		return nil
	}
	out := map[*trace.Hop]*trace.DNSSEC{}
	seen := map[string]bool{}
	for _, h := range hops {
		if h.Purpose != trace.PurposeWalk || seen[h.Zone] {
			continue
		}
		seen[h.Zone] = true
		if z := t.DNSSECOf(dns.CanonicalName(h.Zone)); z != nil {
			out[h] = z
		}
	}
	return out
}

// dnssecWord adds the zone's status to its column: "example.com. secure".
func (r *treeRenderer) dnssecWord(s *span, z *trace.DNSSEC) {
	c := r.p.dim
	switch z.Status {
	case trace.DNSSECBogus:
		c = r.p.bad
	case trace.DNSSECIndeterminate:
		c = r.p.warn
	}
	s.add(nil, " ")
	s.add(c, z.Status)
}

// dsLine gives the line of a zone's DS records: "DS 30864 ECDSAP256SHA256
// SHA-256, 2371 …"; none for a zone without.
func dsLine(z *trace.DNSSEC) string {
	if z == nil || len(z.DS) == 0 {
		return ""
	}
	parts := make([]string, len(z.DS))
	for i, d := range z.DS {
		parts[i] = strconv.Itoa(int(d.KeyTag)) + " " + algorithmName(d.Algorithm) + " " + digestName(d.DigestType)
	}
	if z.Zone == "." {
		return "trust anchor DS " + strings.Join(parts, ", ")
	}
	return "DS " + strings.Join(parts, ", ")
}

func algorithmName(a uint8) string {
	if s, ok := dns.AlgorithmToString[a]; ok {
		return s
	}
	return "algorithm " + strconv.Itoa(int(a))
}

func digestName(t uint8) string {
	if s, ok := dns.HashToString[t]; ok {
		return s
	}
	return "digest " + strconv.Itoa(int(t))
}

// dnssecLine gives every zone's status in one line, for the live tree,
// which learns them only once the walk is over: "DNSSEC . secure, com.
// secure, example.com. bogus".
func (r *treeRenderer) dnssecLine(t *trace.Trace) string {
	if len(t.DNSSEC) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("DNSSEC ")
	for i, z := range t.DNSSEC {
		if i > 0 {
			b.WriteString(", ")
		}
		s := new(span).add(nil, z.Zone)
		r.dnssecWord(s, z)
		b.WriteString(s.String())
	}
	return b.String()
}
