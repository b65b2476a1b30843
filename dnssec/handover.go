package dnssec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Handover checks a signed zone's move to new nameservers, as preflight
// and --delegate ask before the switch: link holds the DS records the
// parent publishes now, newKeys the new servers' answer to a DNSKEY
// query. It gives the zone as validators will find it once the
// delegation points at the new servers. When that is Bogus, its first
// finding says plainly, as an error, what will break and what to do
// first (it replaces Keys' own finding of the same code).
func (v *Validator) Handover(link Link, newKeys []dns.RR) Zone {
	z := v.Keys(link, newKeys)
	if z.Status != Bogus || len(link.DS) == 0 {
		return z
	}
	code, signs := CodeDSNoMatchingDNSKEY, "sign with key "+keyTags(sepFirst(z.Keys))
	if len(z.Keys) == 0 {
		code, signs = CodeDNSKEYMissing, "serve it unsigned"
	}
	ttl := time.Duration(link.DS[0].Hdr.Ttl) * time.Second
	f := finding(code, z.Name, z.Name, dns.TypeDS, link.DS[0].KeyTag,
		"the parent still publishes DS %s for %s; the new servers %s: validating resolvers will fail the zone after the switch; publish the new servers' DS before it, or remove the DS and wait its TTL (%s) first",
		dsTags(link.DS), z.Name, signs, ttl)
	z.Findings = append([]Finding{f}, slices.DeleteFunc(z.Findings, func(g Finding) bool { return g.Code == code })...)
	return z
}

// sepFirst is keys with those that have the SEP flag first: the keys a
// new DS would point at.
func sepFirst(keys []*dns.DNSKEY) []*dns.DNSKEY {
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b *dns.DNSKEY) int { return int(b.Flags&dns.SEP) - int(a.Flags&dns.SEP) })
	return out
}

// Consistent compares what each server of a zone served for one question
// (the parent's servers for the zone's DS, the zone's own for its DNSKEY
// set, or any RRset with its signatures), records keyed by server (its
// address, as the caller writes it). When the servers differ it reports
// dnssec-inconsistent, naming the groups of servers that agree: the
// multi-provider mistake, where one provider serves other keys or an
// unsigned copy (RFC 8901). RRSIGs count by key tag and algorithm only,
// as each server may sign at its own time.
func Consistent(zone string, rrtype uint16, byServer map[string][]dns.RR) []Finding {
	groups := map[string][]string{} // rdata summary to servers
	for server, rrs := range byServer {
		k := summary(rrs, rrtype)
		groups[k] = append(groups[k], server)
	}
	if len(groups) < 2 {
		return nil
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		servers := groups[k]
		slices.Sort(servers)
		parts = append(parts, fmt.Sprintf("%s: %s", strings.Join(servers, ", "), k))
	}
	zone = dns.CanonicalName(zone)
	return []Finding{finding(CodeDNSSECInconsistent, zone, zone, rrtype, 0,
		"the servers of %s disagree on %s: %s; validating resolvers fail whenever they ask the wrong one (RFC 8901)",
		zone, typeName(rrtype), strings.Join(parts, "; "))}
}

// summary is one server's records of type t, and who signed them, in
// short text that sorts the same whatever the order served.
func summary(rrs []dns.RR, t uint16) string {
	var data, signers []string
	for _, rr := range rrs {
		switch r := rr.(type) {
		case *dns.RRSIG:
			if r.TypeCovered == t {
				signers = append(signers, fmt.Sprintf("%d/%d", r.KeyTag, r.Algorithm))
			}
		case *dns.DNSKEY:
			if t == dns.TypeDNSKEY {
				data = append(data, fmt.Sprintf("key %d", r.KeyTag()))
			}
		case *dns.DS:
			if t == dns.TypeDS {
				data = append(data, fmt.Sprintf("DS %d/%d/%d", r.KeyTag, r.Algorithm, r.DigestType))
			}
		default:
			if rr.Header().Rrtype == t {
				h := *rr.Header()
				c := dns.Copy(rr)
				*c.Header() = dns.RR_Header{Name: h.Name, Rrtype: h.Rrtype, Class: h.Class}
				data = append(data, strings.TrimPrefix(c.String(), c.Header().String())) // the data alone
			}
		}
	}
	slices.Sort(data)
	slices.Sort(signers)
	out := "none"
	if len(data) > 0 {
		out = strings.Join(slices.Compact(data), " ")
	}
	if len(signers) == 0 {
		return out + ", unsigned"
	}
	return out + ", signed by " + strings.Join(slices.Compact(signers), " ")
}
