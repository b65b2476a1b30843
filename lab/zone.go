package lab

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// zone is one zone file's data, indexed for the authoritative logic.
type zone struct {
	origin string // canonical
	file   string
	rrs    map[string][]dns.RR // by canonical owner, in file order
	names  map[string]bool     // every name that exists, empty non-terminals included
	dnssec *signedZone         // what it serves to DO queries when signed (signserve.go); nil when not
}

// maxRestarts bounds the CNAMEs followed for one query: BIND 9.18's
// max-query-restarts (11), after which it answers SERVFAIL with what it has.
const maxRestarts = 11

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
		h.Name = trace.CanonicalName(h.Name)
		if !dns.IsSubDomain(origin, h.Name) {
			return nil, fmt.Errorf("%s: %s is out of zone %s", file, h.Name, origin)
		}
		switch rr := rr.(type) {
		case *dns.NS:
			rr.Ns = trace.CanonicalName(rr.Ns)
		case *dns.CNAME:
			rr.Target = trace.CanonicalName(rr.Target)
		case *dns.DNAME:
			rr.Target = trace.CanonicalName(rr.Target)
		case *dns.MX:
			rr.Mx = trace.CanonicalName(rr.Mx)
		case *dns.SRV:
			rr.Target = trace.CanonicalName(rr.Target)
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

// interior reports whether name lies strictly below the zone's apex and
// strictly above another name of its data (an owner name, glue and names
// below cuts included): a name with names below it, which is what a
// QNAME-minimising resolver asks for on its way down (RFC 9156) and all a
// server can tell of such a query. The qmin faults apply to those.
func (z *zone) interior(name string) bool {
	if name == z.origin || !z.names[name] {
		return false
	}
	for owner := range z.rrs {
		if owner != name && dns.IsSubDomain(name, owner) {
			return true
		}
	}
	return false
}

// empty reports whether name is an empty non-terminal of the zone: an
// interior name that owns no records.
func (z *zone) empty(name string) bool {
	return len(z.rrs[name]) == 0 && z.interior(name)
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

// has reports whether the zone holds records of type t at name, without
// gathering them: cut asks it of every ancestor of every name a referral's
// additional section looks up, and a delegation with 1,000 NS records made
// that a million records copied per referral (testdata/lab/many-ns.txtar:
// up to 2s a reply on a loaded machine, past a 1s query timeout).
func (z *zone) has(name string, t uint16) bool {
	for _, rr := range z.rrs[name] {
		if rr.Header().Rrtype == t {
			return true
		}
	}
	return false
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

// addrs is the zone's A then AAAA records at name: authoritative data,
// a wildcard's included, or glue, never anything from another zone (BIND's
// rule for additional data).
func (z *zone) addrs(name string) []dns.RR {
	rrs := z.rrs[name]
	if z.cut(name, dns.TypeA) == "" {
		rrs, _ = z.node(name) // wildcards are not looked at below a cut
	}
	return append(typed(rrs, dns.TypeA), typed(rrs, dns.TypeAAAA)...)
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
		if z.has(n, dns.TypeNS) {
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

// question is a query as an authoritative server's logic sees it: the name
// and type, and what BIND 9.18's defaults make of the rest of the message.
type question struct {
	name  string // canonical, at or below the zone's origin
	qtype uint16
	// noAuth leaves the zone's NS set out of a positive answer's authority
	// section, and noAdd the additional data out of an answer; neither
	// touches a referral, which always has its NS set and glue.
	noAuth, noAdd bool
	// elsewhere reports whether the server answers name from another zone
	// than this one, or from none: BIND follows a CNAME only inside the
	// zone the query started in. Nil means every name but the zone's own.
	elsewhere func(name string) bool
}

// newQuestion reads what shapes the reply from query q, received over
// proto, as BIND 9.18 does with its defaults (ns_query_start): with
// minimal-responses no-auth-recursive, RD=1 drops the authority section;
// DS and key types get minimal replies, NS full ones; an EDNS buffer of
// 512 octets or less over UDP gets a minimal reply, whatever the type.
func newQuestion(q *dns.Msg, proto string) question {
	qs := q.Question[0]
	out := question{name: dns.CanonicalName(qs.Name), qtype: qs.Qtype, noAuth: q.RecursionDesired}
	switch qs.Qtype {
	case dns.TypeDS, dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY:
		out.noAuth, out.noAdd = true, true
	case dns.TypeNS:
		out.noAuth, out.noAdd = false, false
	}
	if opt := q.IsEdns0(); opt != nil && opt.UDPSize() <= plainUDP && proto == "udp" {
		out.noAuth, out.noAdd = true, true
	}
	return out
}

// result is an authoritative server's reply, before EDNS, faults and
// truncation.
type result struct {
	rcode  int
	aa     bool
	answer []dns.RR
	ns     []dns.RR
	extra  []dns.RR
	ede    *dns.EDNS0_EDE // an extended error (RFC 8914), sent with EDNS only
}

// How a CNAME chain ended.
type ending int

const (
	found     ending = iota // the type asked for, or ANY
	nxdomain                // a name that does not exist
	nodata                  // a name without the type
	delegated               // a name below a zone cut
	elsewhere               // a name the zone does not answer for
	tooLong                 // more CNAMEs than BIND restarts for
	yxdomain                // a DNAME's target too long to be a name
)

// query answers q from the zone, as BIND 9.18 does: a referral below a
// cut; otherwise an authoritative answer, CNAME chain, NODATA or NXDOMAIN.
func (z *zone) query(q question) result {
	answer, last, end, cut := z.follow(q)
	if end == delegated && len(answer) == 0 {
		return z.referral(cut)
	}
	r := result{aa: true, answer: answer}
	switch end {
	case nxdomain, nodata:
		if end == nxdomain {
			r.rcode = dns.RcodeNameError
		}
		soa := z.negativeSOA()
		if end == nxdomain && q.qtype == dns.TypeSOA {
			// BIND's zero-no-soa-ttl, on by default, so that a stub
			// resolver can find a name's zone without caching the SOA.
			soa.Header().Ttl = 0
		}
		r.ns = []dns.RR{soa}
	case delegated:
		// BIND restarts at the target, finds the delegation, and refers.
		ref := z.referral(cut)
		r.ns, r.extra = ref.ns, ref.extra
	case elsewhere:
		// BIND restarts at the target, is refused another zone (it
		// answers from the zone it started in, query_validatezonedb),
		// and sends what it has.
	case yxdomain:
		r.rcode = dns.RcodeYXDomain
	case tooLong:
		r.rcode = dns.RcodeServerFailure
		r.ede = &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeOther, ExtraText: "max. restarts reached"}
	case found:
		z.positive(&r, q, last)
	}
	return r
}

// follow looks q up, and each CNAME's target after it, as BIND restarts the
// query for each, at most maxRestarts times. It gives the answer section,
// the last name looked up, how the chain ended and, if delegated, the cut.
func (z *zone) follow(q question) (answer []dns.RR, name string, end ending, cut string) {
	name = q.name
	for restarts := 0; ; restarts++ {
		if restarts > 0 && (!dns.IsSubDomain(z.origin, name) || (q.elsewhere != nil && q.elsewhere(name))) {
			return answer, name, elsewhere, ""
		}
		cut, dname := z.redirect(name, q.qtype)
		var next string
		switch {
		case cut != "":
			return answer, name, delegated, cut
		case dname != nil:
			answer, next, end = synthesise(answer, name, dname, q.qtype)
		default:
			answer, next, end = z.lookup(answer, name, q.qtype)
		}
		if next == "" {
			return answer, name, end, ""
		}
		if restarts == maxRestarts {
			return answer, name, tooLong, ""
		}
		name = next
	}
}

// redirect finds what takes a lookup of name away from the zone's own data,
// the first that BIND's zone_find meets going down from the apex: a zone
// cut (not for DS at the cut, RFC 4035 §3.1.4.1), or a DNAME above name
// (RFC 6672 §2.3).
func (z *zone) redirect(name string, qtype uint16) (cut string, dname *dns.DNAME) {
	if d := typed(z.rrs[z.origin], dns.TypeDNAME); len(d) > 0 && name != z.origin {
		return "", d[0].(*dns.DNAME)
	}
	idx := dns.Split(name)
	for k := len(idx) - dns.CountLabel(z.origin) - 1; k >= 0; k-- {
		n := name[idx[k]:]
		if !(k == 0 && qtype == dns.TypeDS) && z.has(n, dns.TypeNS) {
			return n, nil
		}
		if d := typed(z.rrs[n], dns.TypeDNAME); len(d) > 0 && k > 0 {
			return "", d[0].(*dns.DNAME)
		}
	}
	return "", nil
}

// lookup adds to answer what the zone holds at name for qtype. It gives
// the CNAME's target to restart at, or "" and how the lookup ended.
func (z *zone) lookup(answer []dns.RR, name string, qtype uint16) ([]dns.RR, string, ending) {
	rrs, exists := z.node(name)
	switch {
	case !exists:
		return answer, "", nxdomain
	case qtype == dns.TypeANY && len(rrs) == 0:
		return answer, "", nodata
	case qtype == dns.TypeANY:
		return append(answer, rrs...), "", found
	}
	if match := typed(rrs, qtype); len(match) > 0 {
		return append(answer, match...), "", found
	}
	cname := typed(rrs, dns.TypeCNAME)
	if len(cname) == 0 {
		return answer, "", nodata
	}
	return addOnce(answer, cname[0]), cname[0].(*dns.CNAME).Target, found
}

// synthesise adds to answer the DNAME that covers name and the CNAME it
// stands for (RFC 6672 §3.1), with the DNAME's TTL as BIND gives it. It
// gives the target to restart at, but for CNAME and ANY queries, which BIND
// answers there; a target longer than a name can be is YXDOMAIN.
func synthesise(answer []dns.RR, name string, d *dns.DNAME, qtype uint16) ([]dns.RR, string, ending) {
	answer = addOnce(answer, d)
	target := strings.TrimSuffix(name, d.Hdr.Name) + d.Target
	if d.Target == "." {
		target = strings.TrimSuffix(name, d.Hdr.Name)
	}
	if _, err := dns.PackDomainName(target, make([]byte, 255), 0, nil, false); err != nil {
		return answer, "", yxdomain
	}
	answer = addOnce(answer, &dns.CNAME{
		Hdr:    dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: d.Hdr.Ttl},
		Target: target,
	})
	if qtype == dns.TypeCNAME || qtype == dns.TypeANY {
		return answer, "", found
	}
	return answer, target, found
}

// addOnce appends rr unless answer has its RRset: in a loop, BIND keeps one
// copy of an RRset.
func addOnce(answer []dns.RR, rr dns.RR) []dns.RR {
	if slices.ContainsFunc(answer, func(a dns.RR) bool {
		return a.Header().Name == rr.Header().Name && a.Header().Rrtype == rr.Header().Rrtype
	}) {
		return answer
	}
	return append(answer, rr)
}

// typed is the records of rrs of type t.
func typed(rrs []dns.RR, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == t {
			out = append(out, rr)
		}
	}
	return out
}

// positive adds to an answer found at name the zone's NS set as authority
// and the additional data, unless q asks for a minimal reply.
func (z *zone) positive(r *result, q question, name string) {
	// BIND leaves the NS set out where the answer holds it: an NS or ANY
	// query at the apex (answer_has_ns).
	apexNS := name == z.origin && (q.qtype == dns.TypeNS || q.qtype == dns.TypeANY)
	if !q.noAuth && !apexNS {
		r.ns = z.rrset(z.origin, dns.TypeNS)
	}
	priming := name == "." && q.qtype == dns.TypeNS
	if q.qtype == dns.TypeANY || (q.noAdd && !priming) {
		return // BIND adds no additional data to ANY
	}
	// An answer gets the zone's own data, never glue (an address at or
	// below a cut): glue is for referrals, and for the root's NS set,
	// which priming resolvers need, and which gets glue only.
	r.extra = slices.DeleteFunc(z.additional(r.answer, r.ns), func(rr dns.RR) bool {
		return (z.cut(rr.Header().Name, rr.Header().Rrtype) != "") != priming
	})
}

// referral is the delegation at cut: its NS set, and the glue the zone
// holds for those names. Glue is an address at or below a zone cut, in
// bailiwick or under a sibling delegation; an address that is the zone's
// own data stays out, as BIND's glue cache leaves it out (glue_nsdname_cb
// keeps only what the zone holds as glue). The horizontal fault refers to
// the zone's own apex: its addresses count as glue of that cut.
func (z *zone) referral(cut string) result {
	ns := z.rrset(cut, dns.TypeNS)
	extra := slices.DeleteFunc(z.additional(nil, ns), func(rr dns.RR) bool {
		name := rr.Header().Name
		return !dns.IsSubDomain(cut, name) && z.cut(name, rr.Header().Rrtype) == ""
	})
	return result{ns: ns, extra: extra}
}

// transfer is the zone as an AXFR gives it (RFC 5936 §2.2): the SOA, every
// other record in canonical order of owner names, and the SOA again.
func (z *zone) transfer() []dns.RR {
	soa := z.rrset(z.origin, dns.TypeSOA)
	out := slices.Clone(soa)
	owners := slices.SortedFunc(maps.Keys(z.rrs), compareNames)
	for _, name := range owners {
		for _, rr := range z.rrs[name] {
			if rr.Header().Rrtype != dns.TypeSOA {
				out = append(out, rr)
			}
		}
	}
	return append(out, soa...)
}

// negativeSOA is the SOA for a negative answer, its TTL the lesser of its
// own and its MINIMUM field (RFC 2308 §3).
func (z *zone) negativeSOA() dns.RR {
	soa := dns.Copy(z.rrset(z.origin, dns.TypeSOA)[0]).(*dns.SOA)
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	return soa
}

// additional gives the zone's records for the names the sections point at,
// as BIND's additionaldata methods do: addresses for NS, MX and SRV targets
// (RFC 1034 §3.7), and the TLSA RRset an MX or SRV target's port has (RFC
// 7672 §2.2.1); each once, and none that the sections already hold.
func (z *zone) additional(sections ...[]dns.RR) []dns.RR {
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
	var out []dns.RR
	add := func(name string, rrs []dns.RR) {
		for _, rr := range rrs {
			if k := (rrset{name, rr.Header().Rrtype}); !have[k] {
				out = append(out, rr)
			}
		}
		for _, rr := range rrs {
			have[rrset{name, rr.Header().Rrtype}] = true
		}
	}
	for _, sec := range sections {
		for _, rr := range sec {
			switch rr := rr.(type) {
			case *dns.NS:
				add(rr.Ns, z.addrs(rr.Ns))
			case *dns.MX:
				add(rr.Mx, z.addrs(rr.Mx))
				add("_25._tcp."+rr.Mx, z.rrset("_25._tcp."+rr.Mx, dns.TypeTLSA))
			case *dns.SRV:
				port := fmt.Sprintf("_%d._tcp.", rr.Port)
				add(rr.Target, z.addrs(rr.Target))
				add(port+rr.Target, z.rrset(port+rr.Target, dns.TypeTLSA))
			}
		}
	}
	return out
}
