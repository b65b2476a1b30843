package lab

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Sizes of replies, as BIND 9.18 sets them by default.
const (
	ednsSize = 1232 // edns-udp-size and max-udp-size (DNS Flag Day 2020)
	plainUDP = 512  // RFC 1035 §4.2.1, for queries without EDNS
)

// host is what answers at one written address: the servers that have it
// (one machine, however many names), the zones they serve and their faults.
type host struct {
	addr   netip.Addr
	names  []string
	zones  []*zone
	root   *zone   // the scenario's root zone, for the upward fault; may be nil
	all    []*zone // every zone of the scenario, for the recursive fault
	faults map[FaultKind]bool
	delay  time.Duration
	loss   float64
	from   netip.Addr // FaultOtherAddress's

	queries atomic.Uint64 // UDP queries seen, for loss

	mu  sync.Mutex
	rng *rand.Rand // for garbage
}

// hosts groups the scenario's servers by address.
func (s *Scenario) hosts() map[netip.Addr]*host {
	root := s.root()
	out := make(map[netip.Addr]*host)
	for _, n := range s.names {
		sv := s.servers[n]
		for _, a := range sv.addrs {
			h := out[a]
			if h == nil {
				seed := fnv.New64a()
				seed.Write(a.AsSlice())
				h = &host{addr: a, root: root, all: s.zones, faults: map[FaultKind]bool{}, rng: rand.New(rand.NewPCG(seed.Sum64(), 1))}
				out[a] = h
			}
			h.names = append(h.names, sv.name)
			for _, z := range sv.zones {
				if !slices.Contains(h.zones, z) {
					h.zones = append(h.zones, z)
				}
			}
			for _, f := range sv.faults {
				if f.Addr.IsValid() && f.Addr != a {
					continue
				}
				h.faults[f.Kind] = true
				if f.Kind == FaultOtherAddress {
					h.from = f.From
				}
				h.delay = max(h.delay, f.Delay)
				h.loss = max(h.loss, f.Percent)
			}
		}
	}
	for _, h := range out {
		if h.faults[FaultUnsigned] {
			for i, z := range h.zones {
				h.zones[i] = z.unsigned() // signserve.go
			}
		}
	}
	return out
}

// lose reports whether this UDP query is one of the share the loss fault
// drops. The pattern is fixed, not random: the first query is dropped, and
// then as many as keep the share dropped so far at or just above loss%.
func (h *host) lose() bool {
	if h.loss <= 0 {
		return false
	}
	n := float64(h.queries.Add(1) - 1)
	return math.Ceil((n+1)*h.loss/100) > math.Ceil(n*h.loss/100)
}

// reply gives the bytes to send back for the query pkt received over proto
// ("udp" or "tcp"), or nil to send nothing. It waits out any delay fault,
// giving up when done is closed.
func (h *host) reply(done <-chan struct{}, pkt []byte, proto string) []byte {
	if h.faults[FaultDown] || (proto == "udp" && h.lose()) {
		return nil
	}
	if h.delay > 0 {
		t := time.NewTimer(h.delay)
		defer t.Stop()
		select {
		case <-done:
			return nil
		case <-t.C:
		}
	}
	q := new(dns.Msg)
	if err := q.Unpack(pkt); err != nil {
		return formErr(pkt)
	}
	if q.Response {
		return nil // never answer an answer
	}
	if h.faults[FaultGarbage] {
		return h.garbage(q.Id)
	}
	if h.drops(q) {
		return nil
	}
	if h.faults[FaultNoEDNS] && q.IsEdns0() != nil {
		fail := new(dns.Msg)
		fail.SetRcode(q, dns.RcodeFormatError)
		out, _ := fail.Pack()
		return out
	}
	m := h.respond(q, proto)
	if h.faults[FaultCaseFold] {
		for i := range m.Question {
			m.Question[i].Name = strings.ToLower(m.Question[i].Name)
		}
	}
	if h.faults[FaultWrongID] {
		m.Id = q.Id + 1
	}
	if h.faults[FaultWrongQuestion] {
		qtype := uint16(dns.TypeA)
		if len(m.Question) > 0 {
			qtype = m.Question[0].Qtype
		}
		m.Question = []dns.Question{{Name: "wrong-question.invalid.", Qtype: qtype, Qclass: dns.ClassINET}}
	}
	out, err := m.Pack()
	if err != nil {
		// Only a bug or a record that cannot be written ends here.
		fail := new(dns.Msg)
		fail.SetRcode(q, dns.RcodeServerFailure)
		if out, err = fail.Pack(); err != nil {
			return nil
		}
	}
	return out
}

// drops reports whether a fault leaves q unanswered: edns-drop a query
// with EDNS, aaaa-drop an AAAA query, qmin-drop a query for an interior
// name (zone.interior).
func (h *host) drops(q *dns.Msg) bool {
	switch {
	case h.faults[FaultEDNSDrop] && q.IsEdns0() != nil:
		return true
	case h.faults[FaultAAAADrop] && len(q.Question) == 1 && q.Question[0].Qtype == dns.TypeAAAA:
		return true
	case h.faults[FaultQminDrop] && len(q.Question) == 1:
		qname := dns.CanonicalName(q.Question[0].Name)
		z := h.zoneFor(qname, q.Question[0].Qtype)
		return z != nil && z.interior(qname)
	}
	return false
}

// formErr answers a query that does not parse: FORMERR, header only, when
// there is a header to answer (RFC 1035 §4.1.1).
func formErr(pkt []byte) []byte {
	if len(pkt) < 12 || pkt[2]&0x80 != 0 {
		return nil
	}
	m := new(dns.Msg)
	m.Id = binary.BigEndian.Uint16(pkt)
	m.Response = true
	m.Opcode = int(pkt[2]>>3) & 0xf
	m.Rcode = dns.RcodeFormatError
	out, _ := m.Pack()
	return out
}

// garbage is bytes that no parser takes for a DNS message: an ID that is
// not the query's and a header claiming more questions than follow.
func (h *host) garbage(id uint16) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := make([]byte, 16+h.rng.IntN(48))
	for i := range b {
		b[i] = byte(h.rng.Uint32())
	}
	binary.BigEndian.PutUint16(b, ^id)
	b[4], b[5] = 0xff, 0xff
	return b
}

// respond builds the reply to a well-formed query: the authoritative logic,
// then the faults that change the message, then EDNS and truncation.
func (h *host) respond(q *dns.Msg, proto string) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	opt := q.IsEdns0()
	var ede *dns.EDNS0_EDE
	finish := func() *dns.Msg {
		h.finish(m, opt, proto)
		if o := m.IsEdns0(); o != nil && ede != nil {
			o.Option = append(o.Option, ede)
		}
		h.echo(m, opt)
		return m
	}
	if q.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeNotImplemented
		return finish()
	}
	if len(q.Question) != 1 || countOPT(q) > 1 {
		m.Rcode = dns.RcodeFormatError
		return finish()
	}
	if opt != nil && opt.Version() != 0 && !h.faults[FaultNoBadvers] {
		m.Rcode = dns.RcodeBadVers // RFC 6891 §6.1.3
		return finish()
	}
	qs := q.Question[0]
	qname := dns.CanonicalName(qs.Name)
	switch {
	case qs.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeRefused
		return finish()
	case qs.Qtype == dns.TypeAXFR || qs.Qtype == dns.TypeIXFR:
		h.transfer(m, qname, proto)
		return finish()
	case qs.Qtype == dns.TypeOPT || qs.Qtype == dns.TypeTSIG || qs.Qtype == dns.TypeTKEY:
		m.Rcode = dns.RcodeFormatError
		return finish()
	}
	z := h.zoneFor(qname, qs.Qtype)
	if rcode, ok := h.fails(z, qname); ok {
		m.Rcode = rcode
		return finish()
	}
	if z == nil {
		h.recurse(m, q, proto) // REFUSED: not authoritative, not recursive
		return finish()
	}
	var r result
	switch {
	case h.faults[FaultUpward] && h.root != nil:
		r = h.root.referral(".")
	case h.faults[FaultHorizontal]:
		r = z.referral(z.origin)
	case h.faults[FaultSideways]:
		r = result{
			ns:    []dns.RR{mustRR("sideways.invalid. 3600 IN NS ns.sideways.invalid.")},
			extra: []dns.RR{mustRR("ns.sideways.invalid. 3600 IN A 192.0.2.254")},
		}
	default:
		lq := newQuestion(q, proto)
		lq.elsewhere = func(name string) bool { return h.zoneFor(name, qs.Qtype) != z }
		r = z.query(lq)
		if opt != nil && opt.Do() {
			z.sign(&r, lq) // a signed zone's RRSIGs and proofs (RFC 3225)
		}
	}
	m.Rcode = r.rcode
	m.Authoritative = r.aa && !h.faults[FaultLame]
	m.Answer, m.Ns, m.Extra = r.answer, r.ns, r.extra
	h.alter(m, z)
	ede = r.ede
	return finish()
}

// fails gives the RCODE that a fault answers a query for qname with, its
// zone z (nil for none) aside: the refused and servfail faults every
// query, qmin-refuse and qmin-servfail a query for an interior name of z
// (see zone.interior).
func (h *host) fails(z *zone, qname string) (int, bool) {
	interior := z != nil && (h.faults[FaultQminRefuse] || h.faults[FaultQminServfail]) && z.interior(qname)
	switch {
	case h.faults[FaultRefused], interior && h.faults[FaultQminRefuse]:
		return dns.RcodeRefused, true
	case h.faults[FaultServfail], interior:
		return dns.RcodeServerFailure, true
	}
	return 0, false
}

// alter applies the faults that change an authoritative reply's records,
// or its RCODE: ent-nxdomain makes NODATA for an empty non-terminal
// NXDOMAIN.
func (h *host) alter(m *dns.Msg, z *zone) {
	if h.faults[FaultENTNXDomain] && m.Rcode == dns.RcodeSuccess && m.Authoritative && len(m.Answer) == 0 &&
		z.empty(dns.CanonicalName(m.Question[0].Name)) {
		m.Rcode = dns.RcodeNameError
	}
	if h.faults[FaultPoisonGlue] && m.Rcode == dns.RcodeSuccess {
		m.Extra = append(slices.Clip(m.Extra), poison(z, m.Ns)...)
	}
	if h.faults[FaultNoNegativeSOA] && len(m.Answer) == 0 && (m.Rcode == dns.RcodeNameError || m.Authoritative) {
		m.Ns = slices.DeleteFunc(slices.Clone(m.Ns), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeSOA })
	}
	if h.faults[FaultSOAFields] {
		m.Answer, m.Ns = otherSOA(m.Answer), otherSOA(m.Ns)
	}
	if h.faults[FaultMinimalResponses] && m.Authoritative && len(m.Answer) > 0 {
		m.Ns = nil
		m.Extra = slices.DeleteFunc(slices.Clone(m.Extra), func(rr dns.RR) bool { return rr.Header().Rrtype != dns.TypeOPT })
	}
}

// echo sets RA for the recursive fault, and copies the query's EDNS
// options and flags for the echo-option fault.
func (h *host) echo(m *dns.Msg, opt *dns.OPT) {
	m.RecursionAvailable = h.faults[FaultRecursive]
	if o := m.IsEdns0(); o != nil && opt != nil && h.faults[FaultEchoOption] {
		o.Option = append(o.Option, opt.Option...)
		o.SetZ(opt.Z())
	}
}

// transfer answers AXFR and IXFR: REFUSED, as BIND's default
// allow-transfer is none, but for an AXFR of a zone's apex over TCP to a
// server with the axfr-open fault, which gets the zone in one message.
func (h *host) transfer(m *dns.Msg, qname, proto string) {
	m.Rcode = dns.RcodeRefused
	if !h.faults[FaultAXFROpen] || proto != "tcp" || m.Question[0].Qtype != dns.TypeAXFR {
		return
	}
	if z := h.zoneFor(qname, dns.TypeSOA); z != nil && z.origin == qname {
		m.Rcode, m.Authoritative, m.Answer = dns.RcodeSuccess, true, z.transfer()
	}
}

// recurse answers q, for a name outside the host's zones: REFUSED, as
// BIND does with recursion off, but with the recursive fault and RD as an
// open recursive resolver does: from the zone of the scenario that holds
// the name, not authoritatively.
func (h *host) recurse(m, q *dns.Msg, proto string) {
	if !h.faults[FaultRecursive] || !q.RecursionDesired {
		m.Rcode = dns.RcodeRefused
		return
	}
	qname := dns.CanonicalName(q.Question[0].Name)
	var best *zone
	for _, z := range h.all {
		if dns.IsSubDomain(z.origin, qname) && (best == nil || dns.CountLabel(z.origin) > dns.CountLabel(best.origin)) {
			best = z
		}
	}
	if best == nil {
		m.Rcode = dns.RcodeServerFailure
		return
	}
	r := best.query(newQuestion(q, proto))
	m.Rcode, m.Answer, m.Ns, m.Extra = r.rcode, r.answer, r.ns, r.extra
}

// otherSOA copies rrs with each SOA's RNAME and timers changed, for the
// soa-fields fault.
func otherSOA(rrs []dns.RR) []dns.RR {
	out := slices.Clone(rrs)
	for i, rr := range out {
		if soa, ok := rr.(*dns.SOA); ok {
			c := dns.Copy(soa).(*dns.SOA)
			c.Mbox = "other-hostmaster." + c.Hdr.Name
			c.Refresh, c.Retry, c.Expire = 2*c.Refresh, 2*c.Retry, 2*c.Expire
			out[i] = c
		}
	}
	return out
}

// finish adds the OPT record the query asked for and applies the faults
// about TC and the size limit of the transport.
func (h *host) finish(m *dns.Msg, opt *dns.OPT, proto string) {
	size := plainUDP
	if opt != nil {
		// Mirror EDNS0 (RFC 6891 §6.1.1); the DO bit is echoed as BIND does.
		m.SetEdns0(ednsSize, opt.Do())
		size = min(max(int(opt.UDPSize()), plainUDP), ednsSize)
	}
	if h.faults[FaultTCAlways] || (proto == "udp" && h.faults[FaultTruncate]) {
		m.Answer, m.Ns = nil, nil
		m.Extra = slices.DeleteFunc(m.Extra, func(rr dns.RR) bool { return rr.Header().Rrtype != dns.TypeOPT })
		m.Truncated = true
		m.Compress = true
		return
	}
	if proto != "udp" {
		size = dns.MaxMsgSize
	}
	answer, authority := m.Answer, m.Ns
	extra := slices.DeleteFunc(slices.Clone(m.Extra), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeOPT })
	m.Truncate(size)
	// Like BIND, losing only additional data of an authoritative answer is
	// no reason for TC; a referral short of glue is (RFC 9471).
	if m.Authoritative && len(m.Answer) == len(answer) && len(m.Ns) == len(authority) {
		m.Truncated = false
	}
	// BIND writes whole RRsets, but for the answer and authority sections
	// of a reply without EDNS: the room it keeps for an OPT record turns
	// partial RRsets off. An RRset that does not fit ends the message.
	if opt != nil {
		if len(m.Answer) < len(answer) {
			m.Answer, m.Ns = whole(m.Answer, answer), nil
		} else if len(m.Ns) < len(authority) {
			m.Ns = whole(m.Ns, authority)
		}
	}
	kept := slices.DeleteFunc(m.Extra, func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeOPT })
	if len(m.Answer) < len(answer) || len(m.Ns) < len(authority) {
		kept = nil
	}
	m.Extra = whole(kept, extra)
	if opt != nil {
		m.SetEdns0(ednsSize, opt.Do())
	}
	m.Compress = true
}

// whole drops from kept, the records of all that fitted, the part of the
// RRset that did not fit whole.
func whole(kept, all []dns.RR) []dns.RR {
	if len(kept) >= len(all) {
		return kept
	}
	cut := all[len(kept)].Header()
	for len(kept) > 0 {
		h := kept[len(kept)-1].Header()
		if h.Rrtype != cut.Rrtype || h.Class != cut.Class || !strings.EqualFold(h.Name, cut.Name) {
			break
		}
		kept = kept[:len(kept)-1]
	}
	return kept
}

func countOPT(q *dns.Msg) int {
	n := 0
	for _, rr := range q.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n
}

// zoneFor picks the zone that answers qname: the closest enclosing one the
// host serves. DS at a zone's apex is the parent's, when the host serves
// the parent too.
func (h *host) zoneFor(qname string, qtype uint16) *zone {
	var best, next *zone
	for _, z := range h.zones {
		if !dns.IsSubDomain(z.origin, qname) {
			continue
		}
		if best == nil || dns.CountLabel(z.origin) > dns.CountLabel(best.origin) {
			best, next = z, best
		} else if next == nil || dns.CountLabel(z.origin) > dns.CountLabel(next.origin) {
			next = z
		}
	}
	if best != nil && next != nil && qtype == dns.TypeDS && best.origin == qname {
		return next
	}
	return best
}

// poison is what the poison-glue fault adds: an address for an unrelated
// name, and one for each nameserver named outside the zone (a lie about a
// name the server has no authority for, RFC 2181 §5.4.1).
func poison(z *zone, ns []dns.RR) []dns.RR {
	out := []dns.RR{mustRR("www.victim.test. 3600 IN A 192.0.2.66")}
	for _, rr := range ns {
		if n, ok := rr.(*dns.NS); ok && !dns.IsSubDomain(z.origin, n.Ns) {
			out = append(out, &dns.A{
				Hdr: dns.RR_Header{Name: n.Ns, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 3600},
				A:   netip.MustParseAddr("192.0.2.66").AsSlice(),
			})
		}
	}
	return out
}

func mustRR(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}
