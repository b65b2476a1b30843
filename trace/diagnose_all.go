package trace

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// maxNamed bounds the servers a consistency message names; the rest are
// counted.
const maxNamed = 4

// asked is one question put to several servers of one zone.
type asked struct {
	zone  string
	q     Question
	addrs []netip.Addr        // in the order first seen
	last  map[netip.Addr]*Hop // each address's last usable reply
}

// consistency compares what the servers of each zone said to the same
// question, when more than one gave a usable reply: inconsistent-referral,
// inconsistent-answer, answer-ttl-mismatch, and soa-serial-mismatch for the
// zone's SOA. Only replies count; a server that gave none has findings of
// its own (unreachable-server, lame-server).
func (d *diagnosis) consistency() {
	var all []*asked
	at := map[string]*asked{}
	for _, h := range d.hops {
		if !usableReply(h) || d.entNX[h] {
			continue // an empty non-terminal answered NXDOMAIN is ent-nxdomain (diagnose_qmin.go)
		}
		q := Question{Name: canon(h.Question.Name), Qtype: h.Question.Qtype, Qclass: h.Question.class()}
		key := canon(h.Zone) + " " + q.String()
		a, ok := at[key]
		if !ok {
			a = &asked{zone: canon(h.Zone), q: q, last: map[netip.Addr]*Hop{}}
			at[key] = a
			all = append(all, a)
		}
		addr := h.Server.Addr.Unmap()
		if _, seen := a.last[addr]; !seen {
			a.addrs = append(a.addrs, addr)
		}
		a.last[addr] = h
	}
	for _, a := range all {
		if len(a.addrs) < 2 {
			continue
		}
		replies := make([]*Hop, len(a.addrs))
		for i, addr := range a.addrs {
			replies[i] = a.last[addr]
		}
		if a.q.Qtype == dns.TypeSOA && a.q.Name == a.zone {
			d.serials(a.zone, replies)
			d.soaFields(a.zone, replies)
			continue
		}
		d.compare(a.zone, a.q, replies)
	}
}

// usableReply reports whether h is a reply a server of h.Zone gave as an
// authority: not a failure, not the proposed delegation of --delegate, not
// the recursive priming query.
func usableReply(h *Hop) bool {
	if h.Err != nil || h.Simulated || h.Purpose == PurposePrime || h.Purpose.Probe() || h.Rcode < 0 || !h.Server.Addr.IsValid() {
		return false
	}
	switch h.Outcome {
	case Referral:
		return h.Referral != nil
	case Answer, CNAME, NXDomain, NoData:
		return true
	}
	return false
}

// variant is one distinct reply to a question, and the servers that gave it.
type variant struct {
	key   string // what the reply says, TTLs left out
	text  string // the same, for people
	ref   bool   // a referral
	hops  []*Hop // in the order of the replies
	ttls  string // the records with their TTLs, for answer-ttl-mismatch
	mixed bool   // its servers disagree on TTLs
}

// compare groups the replies to q by what they say, order and TTLs aside,
// and flags each server whose reply differs from the reference: the reply
// most servers gave, or, when as many gave another, the one that came
// first in the documented server order (the one the walk went on from).
func (d *diagnosis) compare(zone string, q Question, replies []*Hop) {
	var vs []*variant
	keys := ReplyKeys(replies)
	for j, h := range replies {
		_, text, ttls := replyKey(h)
		key := keys[j]
		i := slices.IndexFunc(vs, func(v *variant) bool { return v.key == key })
		if i < 0 {
			vs = append(vs, &variant{key: key, text: text, ref: h.Outcome == Referral, ttls: ttls})
			i = len(vs) - 1
		}
		v := vs[i]
		v.hops = append(v.hops, h)
		if ttls != v.ttls {
			v.mixed = true
		}
	}
	for _, v := range vs {
		if v.mixed && !v.ref {
			d.ttlMismatch(zone, q, v)
		}
	}
	if len(vs) < 2 {
		return
	}
	best := vs[0]
	for _, v := range vs[1:] {
		if len(v.hops) > len(best.hops) {
			best = v
		}
	}
	for i, v := range vs {
		if v == best {
			continue
		}
		code := CodeInconsistentAnswer
		if v.ref && best.ref {
			code = CodeInconsistentReferral
		}
		// The servers that give this reply are one fault.
		cause := fmt.Sprintf("%s reply %d", q, i+1)
		say := d.sayInconsistent(zone, q, v, best)
		for _, h := range v.hops {
			srv := &Server{Name: h.Server.Name, Addr: h.Server.Addr}
			who := serverText(*srv)
			others, n := serversText(best.hops), len(best.hops)
			var msg string
			if code == CodeInconsistentReferral {
				if diff, ok := referralDiff(h.Referral, best.hops[0].Referral, false); ok {
					msg = fmt.Sprintf("%s, a server of %s, refers %s to %s differently from %s: %s; resolvers are sent to different nameservers, or given different addresses for them, depending on the server of %s they ask; make every server of %s serve the same version of the zone",
						who, zone, q.Name, canon(h.Referral.Zone), others, diff, zone, zone)
				} else {
					msg = fmt.Sprintf("%s, a server of %s, refers %s to %s, but %s %s it to %s: resolvers are sent to different zones depending on the server of %s they ask; make every server of %s serve the same version of the zone",
						who, zone, q.Name, v.text, others, verb(n, "refers", "refer"), best.text, zone, zone)
				}
			} else {
				msg = fmt.Sprintf("%s, a server of %s, gives %s for %s, but %s %s %s: resolvers get a different answer depending on the server they ask; make every server of %s serve the same version of the zone",
					who, zone, v.said(), q, others, verb(n, "gives", "give"), best.said(), zone)
			}
			d.addCause(who+" "+q.String(), cause, Finding{Code: code, Zone: zone, Server: srv, Hops: []int{h.ID, best.hops[0].ID}, Message: msg}, say)
		}
	}
}

// sayInconsistent words the servers of zone that all give reply v to q,
// where the reference gives best, as one line.
func (d *diagnosis) sayInconsistent(zone string, q Question, v, best *variant) func(int, string) string {
	others, n := serversText(best.hops), len(best.hops)
	return func(count int, names string) string {
		if v.ref && best.ref {
			if diff, ok := referralDiff(v.hops[0].Referral, best.hops[0].Referral, true); ok {
				return fmt.Sprintf("%d servers of %s refer %s to %s differently from %s: %s; %s; resolvers are sent to different nameservers, or given different addresses for them, depending on the server of %s they ask; make every server of %s serve the same version of the zone",
					count, zone, q.Name, canon(v.hops[0].Referral.Zone), others, names, diff, zone, zone)
			}
			return fmt.Sprintf("%d servers of %s refer %s to %s, but %s %s it to %s: %s; resolvers are sent to different zones depending on the server of %s they ask; make every server of %s serve the same version of the zone",
				count, zone, q.Name, v.text, others, verb(n, "refers", "refer"), best.text, names, zone, zone)
		}
		return fmt.Sprintf("%d servers of %s give %s for %s, but %s %s %s: %s; resolvers get a different answer depending on the server they ask; make every server of %s serve the same version of the zone",
			count, zone, v.said(), q, others, verb(n, "gives", "give"), best.said(), names, zone)
	}
}

// said gives what a reply says, to be read after "gives".
func (v *variant) said() string {
	if v.ref {
		return "a referral to " + v.text
	}
	return v.text
}

// verb gives the form of a verb for n subjects.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ttlMismatch flags servers that give the same records for q with
// different TTLs.
func (d *diagnosis) ttlMismatch(zone string, q Question, v *variant) {
	type group struct {
		ttls string
		hops []*Hop
	}
	var gs []*group
	for _, h := range v.hops {
		_, _, ttls := replyKey(h)
		i := slices.IndexFunc(gs, func(g *group) bool { return g.ttls == ttls })
		if i < 0 {
			gs = append(gs, &group{ttls: ttls})
			i = len(gs) - 1
		}
		gs[i].hops = append(gs[i].hops, h)
	}
	var parts []string
	var ids []int
	for _, g := range gs {
		parts = append(parts, fmt.Sprintf("TTL %s from %s", ttlsText(g.hops[0]), serversText(g.hops)))
		for _, h := range g.hops {
			ids = append(ids, h.ID)
		}
	}
	d.add(q.String(), Finding{Code: CodeAnswerTTLMismatch, Zone: zone, Hops: ids,
		Message: fmt.Sprintf("the servers of %s give the same records for %s with different TTLs (%s): caches keep the answer for a time that depends on the server asked; the zone's copies differ, though its serial may not say so",
			zone, q, strings.Join(parts, "; "))})
}

// serials flags each server whose SOA serial is behind the newest one
// another server of the zone gave, in serial number arithmetic (RFC 1982).
func (d *diagnosis) serials(zone string, replies []*Hop) {
	type soa struct {
		h      *Hop
		serial uint32
	}
	var ss []soa
	for _, h := range replies {
		for _, r := range h.Answer {
			if s, ok := r.(*dns.SOA); ok && canon(s.Hdr.Name) == zone {
				ss = append(ss, soa{h, s.Serial})
				break
			}
		}
	}
	if len(ss) < 2 {
		return
	}
	newest := ss[0].serial
	for _, s := range ss[1:] {
		if SerialLess(newest, s.serial) {
			newest = s.serial
		}
	}
	var ahead []*Hop
	for _, s := range ss {
		if s.serial == newest {
			ahead = append(ahead, s.h)
		}
	}
	for _, s := range ss {
		if !SerialLess(s.serial, newest) {
			continue
		}
		srv := &Server{Name: s.h.Server.Name, Addr: s.h.Server.Addr}
		who := serverText(*srv)
		d.addCause(who, "serial "+strconv.FormatUint(uint64(s.serial), 10), Finding{Code: CodeSOASerialMismatch, Zone: zone, Server: srv, Hops: []int{s.h.ID, ahead[0].ID},
			Message: fmt.Sprintf("%s serves %s with SOA serial %d, behind %d on %s: it has not loaded the latest version of the zone (zone transfers failing, or NOTIFY not reaching it), so resolvers that ask it get old data",
				who, zone, s.serial, newest, serversText(ahead))},
			func(n int, names string) string {
				return fmt.Sprintf("%d servers of %s serve it with SOA serial %d, behind %d on %s: %s; they have not loaded the latest version of the zone (zone transfers failing, or NOTIFY not reaching them), so resolvers that ask them get old data",
					n, zone, s.serial, newest, serversText(ahead), names)
			})
	}
}

// SerialLess reports whether SOA serial a is before b in serial number
// arithmetic (RFC 1982 §3.2): b is ahead of a by less than half the serial
// space. Serials that far apart are not ordered; neither is before the
// other.
func SerialLess(a, b uint32) bool { return a != b && int32(b-a) > 0 }

// ReplyKeys says what each of replies, the replies of some servers of one
// zone to one question, says, in a form that is the same for two replies
// that say the same thing: a referral's child zone and NS names, or an
// answer's outcome and records, each set sorted, names in canonical form
// and TTLs left out. Glue is optional data: a server that leaves out the
// addresses of a nameserver which another server gives says the same
// thing, but servers that both give a name's addresses of one family, and
// not the same ones, do not; such glue is in the keys. The
// inconsistent-referral and inconsistent-answer findings compare replies
// by it; a hop with no usable reply has the key of its outcome alone.
func ReplyKeys(replies []*Hop) []string {
	keys := make([]string, len(replies))
	glue := make([]map[string]string, len(replies))
	for i, h := range replies {
		if !usableReply(h) {
			keys[i] = string(h.Outcome)
			continue
		}
		keys[i], _, _ = replyKey(h)
		if h.Outcome == Referral {
			glue[i] = glueSets(h.Referral)
		}
	}
	// What the referrals with the same NS set give for each RRset of glue:
	// the distinct address sets, in the order first given, and how many
	// servers gave each.
	type rrset struct{ key, name string }
	given := map[rrset][]string{}
	count := map[rrset]map[string]int{}
	var order []rrset
	for i, g := range glue {
		for _, name := range slices.Sorted(maps.Keys(g)) {
			k, addrs := rrset{keys[i], name}, g[name]
			if count[k] == nil {
				count[k] = map[string]int{}
				order = append(order, k)
			}
			if count[k][addrs] == 0 {
				given[k] = append(given[k], addrs)
			}
			count[k][addrs]++
		}
	}
	out := slices.Clone(keys)
	for _, k := range order {
		sets := given[k]
		if len(sets) < 2 {
			continue // every server that gives it agrees
		}
		most := sets[0]
		for _, s := range sets[1:] {
			if count[k][s] > count[k][most] {
				most = s
			}
		}
		for i, g := range glue {
			if g == nil || keys[i] != k.key {
				continue
			}
			addrs, ok := g[k.name]
			if !ok {
				addrs = most // it left them out: it agrees with most
			}
			out[i] += "\nglue " + k.name + " " + addrs
		}
	}
	return out
}

// replyKey says what a reply says, in a form that compares: the referral's
// child zone and NS names, or the outcome and the records, each set sorted
// and without TTLs; text says the same for people, with a referral's usable
// glue, and ttls is the records with their TTLs.
func replyKey(h *Hop) (key, text, ttls string) {
	if h.Outcome == Referral && h.Referral != nil {
		zone, ns, glue := delegationSets(h.Referral)
		key = "referral " + zone + " (NS " + strings.Join(ns, ", ") + ")"
		text = zone + " (NS " + strings.Join(ns, ", ")
		if len(glue) == 0 {
			text += "; no glue)"
		} else {
			text += "; glue " + strings.Join(glue, ", ") + ")"
		}
		return key, text, ""
	}
	var recs, withTTL, vals []string
	for _, r := range h.Answer {
		if r == nil {
			continue
		}
		c := dns.Copy(r)
		hdr := c.Header()
		hdr.Name = canon(hdr.Name)
		withTTL = append(withTTL, c.String())
		hdr.Ttl = 0
		recs = append(recs, c.String())
		vals = append(vals, strings.TrimPrefix(c.String(), c.Header().String()))
	}
	slices.Sort(recs)
	recs = slices.Compact(recs)
	slices.Sort(withTTL)
	withTTL = slices.Compact(withTTL)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	switch h.Outcome {
	case NXDomain:
		text = "NXDOMAIN"
	case NoData:
		text = "NODATA"
	case CNAME:
		text = "a CNAME (" + strings.Join(vals, ", ") + ")"
	default:
		text = "the answer " + strings.Join(vals, ", ")
		if len(vals) == 0 {
			text = "an empty answer"
		}
	}
	return string(h.Outcome) + " " + strings.Join(recs, "\n"), text, strings.Join(withTTL, "\n")
}

// usableGlue gives the glue of r that the walk would use, as name and
// address, sorted by name, then IPv4 before IPv6, each once.
func usableGlue(r *Delegation) []Glue {
	var gs []Glue
	for _, g := range r.Glue {
		if g.Ignored == ReasonNone {
			gs = append(gs, Glue{Name: canon(g.Name), Addr: g.Addr.Unmap()})
		}
	}
	slices.SortFunc(gs, func(a, b Glue) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return slices.Compact(gs)
}

// delegationSets gives what a referral says, in a form that compares: the
// child zone, the NS names sorted, and the usable glue as "name address",
// sorted by name, then IPv4 before IPv6.
func delegationSets(r *Delegation) (zone string, ns, glue []string) {
	for _, n := range r.NS {
		ns = append(ns, canon(n.Name))
	}
	slices.Sort(ns)
	for _, g := range usableGlue(r) {
		glue = append(glue, g.Name+" "+g.Addr.String())
	}
	return canon(r.Zone), slices.Compact(ns), glue
}

// glueSets gives the usable glue of r by RRset: "ns1.example.com. A" →
// "192.0.2.1 192.0.2.2", the addresses sorted.
func glueSets(r *Delegation) map[string]string {
	sets := map[string]string{}
	for _, g := range usableGlue(r) {
		k := g.Name + " " + familyType(g.Addr)
		if sets[k] != "" {
			sets[k] += " "
		}
		sets[k] += g.Addr.String()
	}
	return sets
}

// familyType gives the type of an address record for a: A or AAAA.
func familyType(a netip.Addr) string {
	if a.Is4() {
		return "A"
	}
	return "AAAA"
}

// referralDiff says how referral a differs from b, from a's side: "it
// gives NS x. and glue x. 192.0.2.1, and lacks glue y. 192.0.2.2", or
// with many, of the servers that all give a, "they give ..., and lack
// ..."; ok is false when they delegate different zones, which no list of
// records says. Glue counts only where both give addresses of one family
// for a name: an address left out is not a difference.
func referralDiff(a, b *Delegation, many bool) (diff string, ok bool) {
	za, nsA, _ := delegationSets(a)
	zb, nsB, _ := delegationSets(b)
	if za != zb {
		return "", false
	}
	minus := func(x, y []string) []string {
		var out []string
		for _, s := range x {
			if !slices.Contains(y, s) {
				out = append(out, s)
			}
		}
		return out
	}
	// The glue of the RRsets both give, "name address" each.
	setsA, setsB := glueSets(a), glueSets(b)
	var glueA, glueB []string
	for _, k := range slices.Sorted(maps.Keys(setsA)) {
		if _, both := setsB[k]; !both || setsA[k] == setsB[k] {
			continue
		}
		name, _, _ := strings.Cut(k, " ")
		for _, x := range strings.Fields(setsA[k]) {
			glueA = append(glueA, name+" "+x)
		}
		for _, x := range strings.Fields(setsB[k]) {
			glueB = append(glueB, name+" "+x)
		}
	}
	list := func(ns, glue []string) string {
		var parts []string
		if len(ns) > 0 {
			parts = append(parts, "NS "+strings.Join(ns, ", "))
		}
		if len(glue) > 0 {
			parts = append(parts, "glue "+strings.Join(glue, ", "))
		}
		return strings.Join(parts, " and ")
	}
	subject, give, lack := "it ", "gives ", "lacks "
	if many {
		subject, give, lack = "they ", "give ", "lack "
	}
	var parts []string
	if s := list(minus(nsA, nsB), minus(glueA, glueB)); s != "" {
		parts = append(parts, give+s)
	}
	if s := list(minus(nsB, nsA), minus(glueB, glueA)); s != "" {
		parts = append(parts, lack+s)
	}
	return subject + strings.Join(parts, ", and "), true
}

// ttlsText gives the distinct TTLs of a reply's records: "300" or "300/60".
func ttlsText(h *Hop) string {
	var ttls []string
	for _, r := range h.Answer {
		if r != nil {
			ttls = append(ttls, strconv.FormatUint(uint64(r.Header().Ttl), 10))
		}
	}
	slices.Sort(ttls)
	return strings.Join(slices.Compact(ttls), "/")
}

// serversText names the servers of hops, each name once with its
// addresses: "ns1.example.com. (192.0.2.1, 2001:db8::1) and
// ns2.example.com. (192.0.2.2)"; past maxNamed names, the rest are counted.
func serversText(hops []*Hop) string {
	var names []string
	addrs := map[string][]string{}
	for _, h := range hops {
		n := h.Server.Name
		if _, ok := addrs[n]; !ok {
			names = append(names, n)
		}
		if a := addrText(h.Server.Addr); a != "" && !slices.Contains(addrs[n], a) {
			addrs[n] = append(addrs[n], a)
		}
	}
	var parts []string
	for i, n := range names {
		if i == maxNamed {
			parts = append(parts, plural(len(names)-maxNamed, "other", "others"))
			break
		}
		s := n
		if as := addrs[n]; len(as) > 0 {
			if s == "" {
				s = strings.Join(as, ", ")
			} else {
				s += " (" + strings.Join(as, ", ") + ")"
			}
		}
		parts = append(parts, s)
	}
	return andList(parts)
}
