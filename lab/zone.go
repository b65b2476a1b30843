package lab

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/miekg/dns"
)

// zone is one zone file's data, indexed for the authoritative logic.
type zone struct {
	origin string // canonical
	file   string
	rrs    map[string][]dns.RR // by canonical owner, in file order
	names  map[string]bool     // every name that exists, empty non-terminals included
}

// maxChain bounds the CNAMEs followed inside a zone, as BIND does (16).
const maxChain = 16

func parseZone(file string, data []byte) (*zone, error) {
	origin, err := zoneOrigin(file, data)
	if err != nil {
		return nil, err
	}
	z := &zone{origin: origin, file: file, rrs: make(map[string][]dns.RR), names: map[string]bool{origin: true}}
	zp := dns.NewZoneParser(bytes.NewReader(data), origin, file)
	zp.SetDefaultTTL(3600)
	seen := make(map[string]bool)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		if h.Class != dns.ClassINET {
			return nil, fmt.Errorf("%s: %s: class %s is not served", file, h.Name, dns.Class(h.Class))
		}
		h.Name = dns.CanonicalName(h.Name)
		if !dns.IsSubDomain(origin, h.Name) {
			return nil, fmt.Errorf("%s: %s is out of zone %s", file, h.Name, origin)
		}
		switch rr := rr.(type) {
		case *dns.NS:
			rr.Ns = dns.CanonicalName(rr.Ns)
		case *dns.CNAME:
			rr.Target = dns.CanonicalName(rr.Target)
		case *dns.MX:
			rr.Mx = dns.CanonicalName(rr.Mx)
		case *dns.SRV:
			rr.Target = dns.CanonicalName(rr.Target)
		case *dns.OPT, *dns.TSIG:
			return nil, fmt.Errorf("%s: %s: %s is not zone data", file, h.Name, dns.Type(h.Rrtype))
		}
		// A record that cannot be written, or that has no data (miekg
		// takes "www IN A" for a dynamic update's empty A), is a mistake.
		buf := make([]byte, dns.Len(rr)+64)
		if _, err := dns.PackRR(rr, buf, 0, nil, false); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %v", file, h.Name, dns.Type(h.Rrtype), err)
		}
		if h.Rdlength == 0 {
			return nil, fmt.Errorf("%s: %s %s: no data", file, h.Name, dns.Type(h.Rrtype))
		}
		// Drop duplicates, as BIND does (RFC 2181 §5); a map, not a scan,
		// keeps a $GENERATE of thousands of records at one name fast.
		ttl := h.Ttl
		h.Ttl = 0
		key := rr.String()
		h.Ttl = ttl
		if seen[key] {
			continue
		}
		seen[key] = true
		z.rrs[h.Name] = append(z.rrs[h.Name], rr)
		z.addName(h.Name)
	}
	if err := zp.Err(); err != nil {
		return nil, err // a *dns.ParseError: it names the file and the line
	}
	switch n := len(z.rrset(origin, dns.TypeSOA)); {
	case n == 0:
		return nil, fmt.Errorf("%s: %w %s", file, errNoSOA, origin)
	case n > 1:
		return nil, fmt.Errorf("%s: more than one SOA record at %s", file, origin)
	}
	for name, rrs := range z.rrs {
		cname := false
		for _, rr := range rrs {
			cname = cname || rr.Header().Rrtype == dns.TypeCNAME
		}
		if cname && len(rrs) > 1 {
			return nil, fmt.Errorf("%s: %s has a CNAME and other data (RFC 1034 §3.6.2)", file, name)
		}
	}
	return z, nil
}

// addName records name and its ancestors down to the origin as existing.
func (z *zone) addName(name string) {
	for range dns.CountLabel(name) + 1 {
		if name == z.origin || z.names[name] {
			return
		}
		z.names[name] = true
		name = parent(name)
	}
}

// parent is name without its first label; the root's parent is the root.
func parent(name string) string {
	idx := dns.Split(name)
	if len(idx) < 2 {
		return "."
	}
	return name[idx[1]:]
}

// rrset is the records of type t at name, in file order.
func (z *zone) rrset(name string, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range z.rrs[name] {
		if rr.Header().Rrtype == t {
			out = append(out, rr)
		}
	}
	return out
}

// nsTargets lists every NS target in the zone, apex and delegations.
func (z *zone) nsTargets() []string {
	var out []string
	for _, rrs := range z.rrs {
		for _, rr := range rrs {
			if ns, ok := rr.(*dns.NS); ok {
				out = append(out, ns.Ns)
			}
		}
	}
	return out
}

// addrs is the zone's A then AAAA records at name: authoritative data or
// glue, never anything from another zone (BIND's rule for additional data).
func (z *zone) addrs(name string) []dns.RR {
	return append(z.rrset(name, dns.TypeA), z.rrset(name, dns.TypeAAAA)...)
}

// cut finds the delegation that covers name: the NS set nearest the apex,
// below it, at or above name. DS at a cut belongs to the parent side (RFC
// 4035 §3.1.4.1), so it is answered, not referred.
func (z *zone) cut(name string, qtype uint16) string {
	idx := dns.Split(name)
	for k := len(idx) - dns.CountLabel(z.origin) - 1; k >= 0; k-- {
		n := name[idx[k]:]
		if k == 0 && qtype == dns.TypeDS {
			break
		}
		if len(z.rrset(n, dns.TypeNS)) > 0 {
			return n
		}
	}
	return ""
}

// node is what the zone holds at name: its records, or a wildcard's
// synthesised for it (RFC 4592), and whether the name exists at all.
func (z *zone) node(name string) ([]dns.RR, bool) {
	if rrs, ok := z.rrs[name]; ok {
		return rrs, true
	}
	if z.names[name] {
		return nil, true // an empty non-terminal
	}
	// The closest encloser is the nearest existing ancestor; its wildcard,
	// if any, answers.
	idx := dns.Split(name)
	for i := 1; i < len(idx); i++ {
		ce := name[idx[i]:]
		if !z.names[ce] {
			continue
		}
		w := "*." + ce
		if ce == "." {
			w = "*."
		}
		wild := z.rrs[w]
		if len(wild) == 0 {
			return nil, false
		}
		out := make([]dns.RR, len(wild))
		for j, rr := range wild {
			out[j] = dns.Copy(rr)
			out[j].Header().Name = name
		}
		return out, true
	}
	return nil, false
}

// result is an authoritative server's reply, before EDNS, faults and
// truncation.
type result struct {
	rcode  int
	aa     bool
	answer []dns.RR
	ns     []dns.RR
	extra  []dns.RR
}

// query answers qname/qtype from the zone, as BIND 9.18 does for a
// non-recursive query: a referral below a cut; otherwise an authoritative
// answer, CNAME chain (followed inside the zone), NODATA or NXDOMAIN.
// qname is canonical and at or below the origin.
func (z *zone) query(qname string, qtype uint16) result {
	if c := z.cut(qname, qtype); c != "" {
		return z.referral(c)
	}
	r := result{aa: true}
	name := qname
	seen := map[string]bool{}
	negative := false
	into, left := "", false // where a CNAME chain stopped: a delegation, or another zone
	for i := 0; ; i++ {
		if i > 0 {
			if into = z.cut(name, qtype); into != "" {
				break // a CNAME into a delegation: the chain stops here
			}
		}
		rrs, exists := z.node(name)
		if !exists {
			r.rcode = dns.RcodeNameError
			negative = true
			break
		}
		if qtype == dns.TypeANY {
			r.answer = append(r.answer, rrs...)
			if len(rrs) == 0 {
				negative = true
			}
			break
		}
		var match, cname []dns.RR
		for _, rr := range rrs {
			switch rr.Header().Rrtype {
			case qtype:
				match = append(match, rr)
			case dns.TypeCNAME:
				cname = append(cname, rr)
			}
		}
		if len(match) > 0 {
			r.answer = append(r.answer, match...)
			break
		}
		if len(cname) == 0 {
			negative = true
			break
		}
		r.answer = append(r.answer, cname[0])
		seen[name] = true
		name = cname[0].(*dns.CNAME).Target
		if left = !dns.IsSubDomain(z.origin, name); seen[name] || left || i+1 >= maxChain {
			break
		}
	}
	if negative {
		soa := z.negativeSOA()
		if r.rcode == dns.RcodeNameError && qtype == dns.TypeSOA {
			// BIND's zero-no-soa-ttl, on by default, so that a stub
			// resolver can find a name's zone without caching the SOA.
			soa.Header().Ttl = 0
		}
		r.ns = []dns.RR{soa}
		return r
	}
	switch {
	case into != "":
		// BIND goes on at the target, finds the delegation, and refers.
		ref := z.referral(into)
		r.ns, r.extra = ref.ns, ref.extra
		return r
	case left:
		// BIND goes on at the target, finds no zone of its own for it,
		// and adds nothing more.
		return r
	}
	if !(qname == z.origin && (qtype == dns.TypeNS || qtype == dns.TypeANY)) {
		r.ns = z.rrset(z.origin, dns.TypeNS)
	}
	if qtype != dns.TypeANY { // BIND adds no additional data to ANY
		r.extra = z.additional(r.answer, r.ns)
		if qname != "." || qtype != dns.TypeNS {
			// BIND adds the zone's own data to an answer, never glue (an
			// address at or below a cut): glue is for referrals, and for
			// the root's NS set, which priming resolvers need.
			r.extra = slices.DeleteFunc(r.extra, func(rr dns.RR) bool { return z.cut(rr.Header().Name, rr.Header().Rrtype) != "" })
		}
	}
	return r
}

// referral is the delegation at cut: its NS set, and the zone's addresses
// for those names as glue.
func (z *zone) referral(cut string) result {
	ns := z.rrset(cut, dns.TypeNS)
	return result{ns: ns, extra: z.additional(nil, ns)}
}

// negativeSOA is the SOA for a negative answer, its TTL the lesser of its
// own and its MINIMUM field (RFC 2308 §3).
func (z *zone) negativeSOA() dns.RR {
	soa := dns.Copy(z.rrset(z.origin, dns.TypeSOA)[0]).(*dns.SOA)
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	return soa
}

// additional gives the zone's addresses for the names the sections point
// at: NS, MX and SRV targets (RFC 1034 §3.7), each name once, and none
// that the sections already hold, as BIND leaves them out.
func (z *zone) additional(sections ...[]dns.RR) []dns.RR {
	var out []dns.RR
	done := map[string]bool{}
	type rrset struct {
		name  string
		rtype uint16
	}
	have := map[rrset]bool{}
	for _, sec := range sections {
		for _, rr := range sec {
			have[rrset{rr.Header().Name, rr.Header().Rrtype}] = true
		}
	}
	for _, sec := range sections {
		for _, rr := range sec {
			var target string
			switch rr := rr.(type) {
			case *dns.NS:
				target = rr.Ns
			case *dns.MX:
				target = rr.Mx
			case *dns.SRV:
				target = rr.Target
			default:
				continue
			}
			if done[target] {
				continue
			}
			done[target] = true
			for _, rr := range z.addrs(target) {
				if !have[rrset{rr.Header().Name, rr.Header().Rrtype}] {
					out = append(out, rr)
				}
			}
		}
	}
	return out
}
