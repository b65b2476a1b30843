package resolver

// DNSSEC along the walk (issue 13): the DNSKEY queries sent beside it, and
// the validation of each zone once it is done.

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/trace"
)

// signedRecords returns the DNSSEC records of m that validation needs:
// the RRSIGs of its answer section, and the DS, NSEC and NSEC3 records of
// its authority section with their RRSIGs and the SOA's.
func signedRecords(m *dns.Msg) (answer, authority []dns.RR) {
	for _, rr := range m.Answer {
		if rr.Header().Rrtype == dns.TypeRRSIG {
			answer = append(answer, rr)
		}
	}
	for _, rr := range m.Ns {
		t := rr.Header().Rrtype
		if sig, ok := rr.(*dns.RRSIG); ok {
			t = sig.TypeCovered // the signature of an NS set is not the proof's
		}
		switch t {
		case dns.TypeDS, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeSOA:
			if rr.Header().Rrtype != dns.TypeSOA {
				authority = append(authority, rr)
			}
		}
	}
	return answer, authority
}

// keyQueries are the DNSKEY queries of one trace, sent beside the walk
// (off its critical path): one per zone that may be signed, sent as the
// walk's own query to the zone is, to the first server the walk asks (see
// early). When another server gives the walk its reply before that one
// answered well, the query goes to that server instead (see after).
type keyQueries struct {
	w       *run
	anchors []dns.RR
	wg      sync.WaitGroup
	mu      sync.Mutex
	zones   map[string]*keyQuery // by zone; nil for a zone asked nothing
	// cds are the CDS and CDNSKEY queries of each signed zone below the
	// TLD whose servers are checked (see cdsQueries).
	cds  map[string][]*keyQuery
	sent int
}

// keyQuery is one DNSKEY query in flight or done.
type keyQuery struct {
	hop    *trace.Hop
	cancel context.CancelFunc
	done   chan struct{}
}

// ok reports whether q is done with a usable answer.
func (q *keyQuery) ok() bool {
	select {
	case <-q.done:
		return q.hop.Err == nil && q.hop.Rcode == dns.RcodeSuccess && q.hop.AA
	default:
		return false
	}
}

// newKeyQueries returns the DNSKEY queries of a trace, or nil when the
// trace does not validate.
func (w *run) newKeyQueries() *keyQueries {
	if len(w.r.opts.TrustAnchors) == 0 {
		return nil
	}
	return &keyQueries{w: w, anchors: w.r.opts.TrustAnchors, zones: map[string]*keyQuery{}, cds: map[string][]*keyQuery{}}
}

// early sends the DNSKEY query of zone, when it may be signed, to the
// first of servers with an address, as the walk sends it its question.
func (k *keyQueries) early(ctx context.Context, zone string, servers []nameserver, via *trace.Hop) {
	if k == nil {
		return
	}
	for _, ns := range servers {
		if a := k.w.usable(ns.addrs); len(a) > 0 {
			k.start(ctx, zone, a[0], via, false)
			return
		}
	}
}

// after sends the DNSKEY query of hop.Zone to hop's server, the one that
// gave the walk its reply, unless one sent to it already, or to another
// that answered it well.
func (k *keyQueries) after(ctx context.Context, hop, via *trace.Hop) {
	if k == nil || hop == nil || hop.Simulated || hop.Err != nil || !hop.Server.Addr.IsValid() {
		return
	}
	k.start(ctx, hop.Zone, hop.Server, via, true)
	k.cdsQueries(ctx, hop, via)
}

// cdsQueries asks hop's server, the one that gave the walk its reply, for
// the CDS and CDNSKEY RRsets of hop.Zone (RFC 7344, RFC 8078), one query
// each, beside the walk, when the zone may be signed (a DNSKEY query went
// to it) and its servers are checked: a zone below the TLD, not with
// Options.PathOnly. The replies are cached as DNSKEY's are.
// via is the referral to the zone.
func (k *keyQueries) cdsQueries(ctx context.Context, hop, via *trace.Hop) {
	zone := dns.CanonicalName(hop.Zone)
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, asked := k.cds[zone]; asked || k.zones[zone] == nil || via == nil || k.w.r.opts.PathOnly || dns.CountLabel(zone) < 2 {
		return
	}
	k.cds[zone] = nil
	for _, t := range []uint16{dns.TypeCDS, dns.TypeCDNSKEY} {
		if k.w.cache != nil {
			if h, ok := k.w.cache.keys(zone, t); ok {
				k.cds[zone] = append(k.cds[zone], done(h))
				continue
			}
		}
		if q := k.send(ctx, zone, t, hop.Server); q != nil {
			k.cds[zone] = append(k.cds[zone], q)
		}
	}
}

// start asks server for zone's DNSKEY RRset when the zone may be signed:
// a trust anchor names it, or the referral via that led to it holds DS
// records for it. An unsigned zone costs no query. A zone is asked once,
// but when replace is set and the query sent went to another server and
// has no usable reply yet: that one is abandoned.
func (k *keyQueries) start(ctx context.Context, zone string, server trace.Server, via *trace.Hop, replace bool) {
	zone = dns.CanonicalName(zone)
	k.mu.Lock()
	defer k.mu.Unlock()
	old, asked := k.zones[zone]
	switch {
	case !asked && !k.maySign(zone, via):
		return
	case asked && (!replace || old == nil || old.hop.Server.Addr == server.Addr || old.ok()):
		return
	case asked:
		old.cancel()
	case k.w.cache != nil:
		if h, ok := k.w.cache.keys(zone, dns.TypeDNSKEY); ok {
			k.zones[zone] = done(h)
			return
		}
	}
	k.zones[zone] = k.send(ctx, zone, dns.TypeDNSKEY, server)
}

// done gives the cached hop h as a query done.
func done(h *trace.Hop) *keyQuery {
	d := make(chan struct{})
	close(d)
	return &keyQuery{hop: h, cancel: func() {}, done: d}
}

// send sends one DNSKEY (or CDS, CDNSKEY: qtype) query, or returns nil
// when the budget is spent.
func (k *keyQueries) send(ctx context.Context, zone string, qtype uint16, server trace.Server) *keyQuery {
	q := trace.Question{Name: zone, Qtype: qtype, Qclass: dns.ClassINET}
	h, err := k.w.newHop(ctx, zone, q, server, trace.PurposeDNSKEY)
	if err != nil {
		return nil // no budget left: the zone is indeterminate, the walk goes on
	}
	k.sent++
	qctx, cancel := context.WithCancel(ctx)
	kq := &keyQuery{hop: h, cancel: cancel, done: make(chan struct{})}
	k.wg.Go(func() {
		defer close(kq.done)
		k.w.sendQuiet(qctx, h)
		if k.w.cache != nil {
			k.w.cache.storeKeys(h)
		}
	})
	return kq
}

func (k *keyQueries) maySign(zone string, via *trace.Hop) bool {
	if dnssec.AnchorLink(k.anchors, zone).Status == dnssec.Secure {
		return true
	}
	if via == nil {
		return false
	}
	return slices.ContainsFunc(via.AuthorityDNSSEC, func(rr dns.RR) bool {
		return rr.Header().Rrtype == dns.TypeDS && dns.CanonicalName(rr.Header().Name) == zone
	})
}

// islands asks, once the walk t is done, the DNSKEY set of each zone it
// was not asked of (its parent publishes no DS for it) whose replies to
// the walk carry the zone's RRSIGs all the same: a signed zone whose DS
// never reached its parent (an island), whose keys insecure-delegation's
// fix computes the DS of. A zone that signs nothing costs no query; an
// island one round trip at the end.
func (k *keyQueries) islands(ctx context.Context, t *trace.Trace) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, h := range t.Hops {
		if h.Purpose != trace.PurposeWalk || h.Simulated || h.Err != nil || !h.Server.Addr.IsValid() {
			continue
		}
		zone := dns.CanonicalName(h.Zone)
		if _, asked := k.zones[zone]; asked || !signs(h, zone) {
			continue
		}
		k.zones[zone] = k.send(ctx, zone, dns.TypeDNSKEY, h.Server)
	}
}

// signs reports whether h's reply holds an RRSIG made by zone.
func signs(h *trace.Hop, zone string) bool {
	return slices.ContainsFunc(slices.Concat(h.AnswerSigs, h.AuthorityDNSSEC), func(rr dns.RR) bool {
		sig, ok := rr.(*dns.RRSIG)
		return ok && dns.CanonicalName(sig.SignerName) == zone
	})
}

// wait waits for the DNSKEY queries and returns them by zone (nil for a
// zone whose query the budget refused), the CDS and CDNSKEY queries by
// zone, and how many were sent.
func (k *keyQueries) wait() (keys map[string]*trace.Hop, cds map[string][]*trace.Hop, sent int) {
	k.wg.Wait()
	keys, cds = map[string]*trace.Hop{}, map[string][]*trace.Hop{}
	for zone, q := range k.zones {
		keys[zone] = nil
		if q != nil {
			q.cancel()
			keys[zone] = q.hop
		}
	}
	for zone, qs := range k.cds {
		for _, q := range qs {
			q.cancel()
			cds[zone] = append(cds[zone], q.hop)
		}
	}
	return keys, cds, k.sent
}

// sendQuiet sends hop's query and fills the hop in, as send does, but
// tells the Observer nothing: a query beside the walk is no step of it.
func (w *run) sendQuiet(ctx context.Context, hop *trace.Hop) {
	if err := w.routes.downErr(hop.Server.Addr); err != nil {
		markFailed(hop, trace.Error, err)
		return
	}
	rep, err := w.r.exchange(ctx, hop.Question, netip.AddrPortFrom(hop.Server.Addr, hop.Port), false)
	fillHop(hop, rep, err)
	if err == nil {
		Classify(hop.Zone, hop.Question, rep.msg).fill(hop)
	}
}

// validation is the checking of one trace's zones, in the order the walk
// crossed them (see validate).
type validation struct {
	v       *dnssec.Validator
	anchors []dns.RR
	keys    map[string]*trace.Hop
	links   map[string]dnssec.Link // what each zone's parent (or an anchor) says
	refHop  map[string]int         // the ID of the referral each link came from
	zones   map[string]*zoneState
	all     bool
	// handover are the zones a proposed delegation (--delegate) moves:
	// their keys are checked as dnssec.Handover does.
	handover map[string]bool
	// answers are every server's answers to each question of a zone,
	// with Options.All, in the order first seen (answerKeys).
	answers    map[string]*serverAnswers
	answerKeys []string
	out        []*trace.DNSSEC
}

type zoneState struct {
	z   dnssec.Zone
	out *trace.DNSSEC
}

// validate checks t's walk (numbered), zone by zone, from the anchors
// down: each zone's DNSKEY RRset against its link, each referral's DS
// records or proof that there are none, and each authoritative reply.
// It sets t.DNSSEC.
func (w *run) validate(t *trace.Trace, keys map[string]*trace.Hop) {
	val := &validation{v: &dnssec.Validator{}, anchors: w.r.opts.TrustAnchors, keys: keys,
		links: map[string]dnssec.Link{}, refHop: map[string]int{}, zones: map[string]*zoneState{}, all: t.Mode.All,
		handover: map[string]bool{}}
	for _, h := range t.Hops {
		// The server checks (trace.PurposeCheck) ask every server of a
		// zone the walk's question: their answers are validated too, each
		// naming its server.
		check := h.Purpose == trace.PurposeCheck && h.Outcome.Authoritative()
		if (h.Purpose != trace.PurposeWalk && !check) || h.Err != nil || (h.Rcode < 0 && !h.Simulated) {
			continue
		}
		switch {
		case check && val.zones[dns.CanonicalName(h.Zone)] == nil:
			// A zone the walk did not validate: nothing to check against.
		case h.Outcome == trace.Referral && h.Referral != nil:
			st := val.zone(h.Zone, h.ID)
			child := dns.CanonicalName(h.Referral.Zone)
			if h.Simulated {
				// The zone is moving to other servers while its parent
				// keeps the DS it has (the real referral before this
				// one gave the link): are they signing with its key?
				val.handover[child] = true
			}
			if _, ok := val.links[child]; ok {
				continue
			}
			link := val.v.Delegation(st.z, child, h.AuthorityDNSSEC)
			if h.Simulated && len(h.AuthorityDNSSEC) == 0 {
				// A new delegation: the parent publishes no DS for it.
				link = dnssec.Link{Zone: child, Status: worse(st.z.Status, dnssec.Insecure)}
			}
			val.links[child], val.refHop[child] = link, h.ID
		case h.Outcome.Authoritative():
			st := val.zone(h.Zone, h.ID)
			a := val.v.Answer(st.z, h.Question.Name, h.Question.Qtype, h.Rcode,
				slices.Concat(h.Answer, h.AnswerSigs), slices.Concat(h.Authority, h.AuthorityDNSSEC))
			if a.Status == dnssec.Bogus || a.Status == dnssec.Indeterminate {
				// An insecure answer of a secure zone (an opt-out NSEC3)
				// leaves the zone's keys as they are.
				st.out.Status = string(worse(dnssec.Status(st.out.Status), a.Status))
			}
			val.add(st.out, a.Findings, h)
			val.answered(h)
		}
	}
	val.consistent()
	t.DNSSEC = val.out
}

// answered keeps each server's answer for a zone's question with its
// RRSIGs (the walk's, and those of --all or of the server checks), for
// consistent.
func (val *validation) answered(h *trace.Hop) {
	if h.Outcome != trace.Answer {
		return
	}
	k := dns.CanonicalName(h.Zone) + " " + h.Question.Name + " " + trace.TypeString(h.Question.Qtype)
	if val.answers == nil {
		val.answers = map[string]*serverAnswers{}
	}
	sa := val.answers[k]
	if sa == nil {
		sa = &serverAnswers{zone: dns.CanonicalName(h.Zone), qtype: h.Question.Qtype, by: map[string][]dns.RR{}}
		val.answers[k] = sa
		val.answerKeys = append(val.answerKeys, k)
	}
	name := h.Server.Name + " (" + h.Server.Addr.String() + ")"
	sa.by[name] = slices.Concat(h.Answer, h.AnswerSigs)
	sa.hops = append(sa.hops, h.ID)
}

// serverAnswers are the answers of every server of a zone to one question.
type serverAnswers struct {
	zone  string
	qtype uint16
	by    map[string][]dns.RR // by server, "name (address)"
	hops  []int
}

// consistent reports the zones whose servers gave
// differently signed answers (dnssec.Consistent): one provider signing,
// another not, or with other keys (RFC 8901).
func (val *validation) consistent() {
	for _, k := range val.answerKeys {
		sa := val.answers[k]
		st := val.zones[sa.zone]
		if st == nil || st.z.Status != dnssec.Secure {
			continue // where the zone is not signed, nobody signs its answers
		}
		for _, f := range dnssec.Consistent(sa.zone, sa.qtype, sa.by) {
			tf := finding(f, 0)
			tf.Hops = slices.Clone(sa.hops)
			st.out.Findings = append(st.out.Findings, tf)
			st.out.Status = string(worse(dnssec.Status(st.out.Status), dnssec.Bogus))
		}
	}
}

// zone returns the state of zone, validating its keys the first time;
// hop is the walk's first reply from it.
func (val *validation) zone(zone string, hop int) *zoneState {
	zone = dns.CanonicalName(zone)
	if st, ok := val.zones[zone]; ok {
		return st
	}
	link := dnssec.AnchorLink(val.anchors, zone)
	refHop := 0
	if link.Status != dnssec.Secure {
		if l, ok := val.links[zone]; ok {
			link, refHop = l, val.refHop[zone]
		}
	}
	kh := val.keys[zone]
	var z dnssec.Zone
	switch {
	case link.Status == dnssec.Secure && (kh == nil || kh.Err != nil || kh.Rcode < 0):
		// No DNSKEY reply to judge: this host's, or our budget's, failure
		// is no server's.
		z = dnssec.Zone{Name: zone, Status: dnssec.Indeterminate, DS: link.DS, Findings: link.Findings}
	case val.handover[zone] && kh != nil:
		z = val.v.Handover(link, slices.Concat(kh.Answer, kh.AnswerSigs))
	case kh != nil:
		z = val.v.Keys(link, slices.Concat(kh.Answer, kh.AnswerSigs))
	default:
		z = val.v.Keys(link, nil)
	}
	out := &trace.DNSSEC{Zone: zone, Status: string(z.Status), Query: kh}
	for _, d := range z.DS {
		out.DS = append(out.DS, trace.NewDS(d))
	}
	for _, k := range z.Keys {
		out.Keys = append(out.Keys, trace.NewKey(k))
	}
	n := len(link.Findings)
	val.addIDs(out, z.Findings[:n], refHop)
	val.addIDs(out, z.Findings[n:], hop)
	st := &zoneState{z: z, out: out}
	val.zones[zone] = st
	val.out = append(val.out, out)
	return st
}

// add records findings of the reply h in out; with Options.All, where
// every server was asked, and for a server check, each names its server.
// A check's finding that the walk's own reply drew already, word for
// word, is the zone's fault, not its server's: it joins the walk's (its
// hop added), so that one broken zone is one finding, not one per server
// (the checks ask the walk's server too).
func (val *validation) add(out *trace.DNSSEC, fs []dnssec.Finding, h *trace.Hop) {
	for _, f := range fs {
		tf := finding(f, h.ID)
		if h.Purpose == trace.PurposeCheck && !val.all {
			if i := slices.IndexFunc(out.Findings, func(o trace.Finding) bool {
				return o.Server == nil && o.Code == tf.Code && o.Message == tf.Message
			}); i >= 0 {
				out.Findings[i].Hops = append(out.Findings[i].Hops, h.ID)
				continue
			}
		}
		if val.all || h.Purpose == trace.PurposeCheck {
			s := h.Server
			tf.Server = &s
		}
		out.Findings = append(out.Findings, tf)
	}
}

func (val *validation) addIDs(out *trace.DNSSEC, fs []dnssec.Finding, hop int) {
	for _, f := range fs {
		out.Findings = append(out.Findings, finding(f, hop))
	}
}

func finding(f dnssec.Finding, hop int) trace.Finding {
	tf := trace.Finding{Code: f.Code, Severity: trace.SeverityOf(f.Code), Zone: f.Zone, Message: f.Message}
	if hop > 0 {
		tf.Hops = []int{hop}
	}
	return tf
}

// worse is the status of a zone whose parts have statuses a and b: bogus
// wins, then indeterminate, then insecure.
func worse(a, b dnssec.Status) dnssec.Status {
	rank := map[dnssec.Status]int{dnssec.Bogus: 3, dnssec.Indeterminate: 2, dnssec.Insecure: 1}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// finish waits for the DNSKEY queries of the outermost walk t, numbered,
// counts them in t's queries and time, and validates t.
func (w *run) finish(t *trace.Trace) {
	if w.keys == nil {
		return
	}
	w.keys.islands(w.ctx, t)
	keys, cds, n := w.keys.wait()
	t.Queries += n
	t.Duration = time.Since(w.start)
	w.validate(t, keys)
	validateCDS(t, cds)
}

// validateCDS checks the CDS and CDNSKEY records of each secure zone of
// t (dnssec.Validator.CDS) as cds, the replies to the queries by zone,
// give them, and keeps them in the zone's state.
func validateCDS(t *trace.Trace, cds map[string][]*trace.Hop) {
	v := &dnssec.Validator{}
	for _, out := range t.DNSSEC {
		var rrs []dns.RR
		for _, h := range cds[out.Zone] {
			out.CDSQueries = append(out.CDSQueries, h)
			if h.Err == nil && h.Rcode == dns.RcodeSuccess && h.AA {
				rrs = append(rrs, h.AnswerSigs...)
				for _, rr := range h.Answer {
					rrs = append(rrs, rr)
					out.CDS = append(out.CDS, trace.NewCDS(rr))
				}
			}
		}
		if out.Status != string(dnssec.Secure) {
			continue
		}
		z := dnssec.Zone{Name: out.Zone, Status: dnssec.Secure}
		for _, d := range out.DS {
			z.DS = append(z.DS, d.RR(out.Zone))
		}
		for _, k := range out.Keys {
			z.Keys = append(z.Keys, k.RR(out.Zone))
		}
		for _, f := range v.CDS(z, rrs) {
			out.Findings = append(out.Findings, finding(f, 0))
		}
	}
}

// parentDS gives the DS records for zone, with their RRSIGs, of the reply
// real, the parent's: what it still publishes when a proposed delegation
// (Options.Delegate) takes the place of its referral.
func parentDS(real *trace.Hop, zone string) []dns.RR {
	var out []dns.RR
	for _, rr := range real.AuthorityDNSSEC {
		t := rr.Header().Rrtype
		if sig, ok := rr.(*dns.RRSIG); ok {
			t = sig.TypeCovered
		}
		if t == dns.TypeDS && dns.CanonicalName(rr.Header().Name) == zone {
			out = append(out, rr)
		}
	}
	return out
}
