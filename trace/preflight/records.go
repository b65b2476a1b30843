package preflight

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// records compares the answers to each question.
func (c *comparison) records(cur, nxt []*trace.Trace) {
	for i := range min(len(cur), len(nxt)) {
		a, b := cur[i], nxt[i]
		if a == nil || b == nil {
			continue
		}
		q := a.Question
		rec := Record{Question: q, Current: result(a), New: result(b), Against: "current"}
		what := dns.CanonicalName(q.Name) + " " + trace.TypeString(q.Qtype)
		first := len(c.r.Problems)
		if rec.Current.ok() || rec.New.ok() || c.reached(b) {
			c.r.Checked = true
		}
		if !rec.Current.ok() {
			c.add(Problem{Code: CodeCurrentFailed, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s cannot be resolved through the current servers (%s), so there is nothing to compare the new answer with", what, rec.Current.Err)})
		}
		switch {
		case !rec.New.ok() && (rec.Current.ok() || c.reached(b)):
			why := rec.New.Err
			c.addCause(Problem{Code: CodeNewFailed, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s cannot be resolved through the new servers (%s)", what, rec.New.Err)},
				cmp.Or(string(b.Reason), string(trace.Failed)), func(n int, names string) string {
					return fmt.Sprintf("%d questions cannot be resolved through the new servers: %s (%s)", n, names, why)
				})
		case !rec.New.ok() || !rec.Current.ok():
			// Nothing to compare.
		case q.Qtype == dns.TypeNS && dns.CanonicalName(q.Name) == c.zone:
			rec.Against = "proposed"
			c.nsRecord(&rec, b)
		case q.Qtype == dns.TypeSOA && dns.CanonicalName(q.Name) == c.zone:
			c.soaRecord(&rec)
		default:
			c.diff(&rec)
		}
		sevs := []trace.Severity{}
		for _, p := range c.r.Problems[first:] {
			sevs = append(sevs, p.Severity)
		}
		if rec.Against == "proposed" && len(rec.Diffs) > 0 {
			sevs = append(sevs, SeverityOf(CodeNSSetDiffers)) // reported once for all, by nsProblems
		}
		for _, sev := range sevs {
			if rec.Severity == "" || sev.Rank() < rec.Severity.Rank() {
				rec.Severity = sev
			}
		}
		c.r.Records = append(c.r.Records, rec)
	}
}

// reached reports whether a walk through the proposed delegation got as
// far as putting it in place of the parent's: whatever failed after that
// failed at the proposed servers.
func (c *comparison) reached(t *trace.Trace) bool {
	return slices.ContainsFunc(t.Hops, func(h *trace.Hop) bool {
		return h.Simulated && h.Referral != nil && dns.CanonicalName(h.Referral.Zone) == c.zone
	})
}

func result(t *trace.Trace) Result {
	r := Result{Outcome: t.Outcome, Answer: t.Answer}
	if t.Err != nil {
		r.Err = t.Err.Error()
	} else if !t.Outcome.Authoritative() {
		r.Err = string(t.Outcome)
	}
	return r
}

// rrKey identifies a record apart from its TTL: owner, class, type, data.
func rrKey(rr dns.RR) string {
	cp := dns.Copy(rr)
	cp.Header().Ttl = 0
	cp.Header().Name = dns.CanonicalName(cp.Header().Name)
	return strings.ToLower(cp.String())
}

// diff compares two answers record by record.
func (c *comparison) diff(rec *Record) {
	cur, nxt := map[string]dns.RR{}, map[string]dns.RR{}
	for _, rr := range rec.Current.Answer {
		cur[rrKey(rr)] = rr
	}
	for _, rr := range rec.New.Answer {
		nxt[rrKey(rr)] = rr
	}
	q := rec.Question
	for _, rr := range rec.Current.Answer {
		k := rrKey(rr)
		n, ok := nxt[k]
		switch {
		case !ok:
			rec.Diffs = append(rec.Diffs, Diff{Kind: Missing, Current: rr})
			c.add(Problem{Code: CodeMissingRecord, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s is served now, but not by the new servers%s: it would be gone after the switch", rrText(rr), negative(rec.New, " (they answer %s)"))})
		case n.Header().Ttl != rr.Header().Ttl:
			rec.Diffs = append(rec.Diffs, Diff{Kind: TTL, Current: rr, New: n})
			c.add(Problem{Code: CodeTTLDiffers, Name: q.Name, Qtype: q.Qtype,
				Message: fmt.Sprintf("%s has a TTL of %d now and %d at the new servers", rrData(rr), rr.Header().Ttl, n.Header().Ttl)})
		}
		delete(nxt, k) // a record listed twice is compared once
	}
	for _, rr := range rec.New.Answer {
		if _, ok := cur[rrKey(rr)]; ok {
			continue
		}
		rec.Diffs = append(rec.Diffs, Diff{Kind: Extra, New: rr})
		c.add(Problem{Code: CodeExtraRecord, Name: q.Name, Qtype: q.Qtype,
			Message: fmt.Sprintf("%s is served by the new servers only%s: it would appear after the switch", rrText(rr), negative(rec.Current, " (the current ones answer %s)"))})
	}
	if a, b := rec.Current.Outcome, rec.New.Outcome; a != b && len(rec.Current.Answer) == 0 && len(rec.New.Answer) == 0 {
		rec.Diffs = append(rec.Diffs, Diff{Kind: Changed})
		c.add(Problem{Code: CodeOutcomeDiffers, Name: q.Name, Qtype: q.Qtype,
			Message: fmt.Sprintf("%s %s is %s now and %s at the new servers", dns.CanonicalName(q.Name), trace.TypeString(q.Qtype), strings.ToUpper(string(a)), strings.ToUpper(string(b)))})
	}
}

// soaRecord compares the zone's SOA: each provider writes its own, so a
// difference is expected and only worth knowing.
func (c *comparison) soaRecord(rec *Record) {
	a, b := soaOf(rec.Current.Answer, c.zone), soaOf(rec.New.Answer, c.zone)
	if a == nil || b == nil {
		c.diff(rec)
		return
	}
	if a.String() == b.String() {
		return
	}
	rec.Diffs = append(rec.Diffs, Diff{Kind: Changed, Current: a, New: b})
	var what []string
	if a.Serial != b.Serial {
		what = append(what, fmt.Sprintf("serial %d now, %d new", a.Serial, b.Serial))
	}
	if !strings.EqualFold(a.Ns, b.Ns) {
		what = append(what, fmt.Sprintf("primary %s now, %s new", a.Ns, b.Ns))
	}
	if a.Minttl != b.Minttl {
		what = append(what, fmt.Sprintf("negative TTL %d now, %d new", a.Minttl, b.Minttl))
	}
	if len(what) == 0 {
		what = append(what, "other fields")
	}
	c.add(Problem{Code: CodeSOADiffers, Name: c.zone, Qtype: dns.TypeSOA,
		Message: fmt.Sprintf("the SOA of %s differs (%s), as it does when the provider changes", c.zone, strings.Join(what, "; "))})
}

func soaOf(rrs []dns.RR, zone string) *dns.SOA {
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok && dns.CanonicalName(soa.Hdr.Name) == zone {
			return soa
		}
	}
	return nil
}

// nsRecord compares the answer to the zone's NS query with the proposed set.
func (c *comparison) nsRecord(rec *Record, t *trace.Trace) {
	var got []trace.NS
	for _, rr := range rec.New.Answer {
		if ns, ok := rr.(*dns.NS); ok && dns.CanonicalName(ns.Hdr.Name) == c.zone {
			got = append(got, trace.NS{Name: dns.CanonicalName(ns.Ns), TTL: ns.Hdr.Ttl})
		}
	}
	want := nsNames(c.r.Proposed.NS)
	have := nsNames(got)
	for _, n := range want {
		if !slices.Contains(have, n) {
			rec.Diffs = append(rec.Diffs, Diff{Kind: Missing, Current: nsRR(c.zone, n, 0)})
		}
	}
	for _, rr := range rec.New.Answer {
		if ns, ok := rr.(*dns.NS); ok && !slices.Contains(want, dns.CanonicalName(ns.Ns)) {
			rec.Diffs = append(rec.Diffs, Diff{Kind: Extra, New: rr})
		}
	}
	if len(rec.Diffs) > 0 {
		from := "the NS query"
		// The hop that answered; its purpose may be another's when it
		// came from the cache, so look at what it says.
		for _, h := range slices.Backward(t.Hops) {
			if h.Outcome == trace.Answer && dns.CanonicalName(h.Zone) == c.zone && !h.Simulated {
				from = serverText(Server{Name: dns.CanonicalName(h.Server.Name), Addr: h.Server.Addr})
				break
			}
		}
		c.sawNS(got, from)
	}
}

func nsRR(zone, name string, ttl uint32) dns.RR {
	return &dns.NS{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: name}
}

// ttls advises on the zone's NS TTL: how long the switch takes to reach
// every resolver, and to lower the TTL ahead of it when it is long.
func (c *comparison) ttls() {
	child := maxTTL(c.r.CurrentNS)
	if child < trace.LongNSTTL {
		return
	}
	c.add(Problem{Code: CodeLongNSTTL, Name: c.zone,
		Message: trace.NSTTLAdvice(c.zone, c.r.Parent, maxTTL(c.r.ParentNS), child)})
}

func maxTTL(ns []trace.NS) uint32 {
	var m uint32
	for _, n := range ns {
		m = max(m, n.TTL)
	}
	return m
}

// Settle is how long after the switch resolvers may still use the current
// servers: the longer of the NS TTLs at the parent and in the zone. The
// current servers should go on serving the zone until then.
func (r *Report) Settle() uint32 { return max(maxTTL(r.ParentNS), maxTTL(r.CurrentNS)) }

// rrText writes a record as a zone file line, tabs as spaces.
func rrText(rr dns.RR) string { return strings.ReplaceAll(rr.String(), "\t", " ") }

// rrData writes a record without its TTL: "www.example.com. A 192.0.2.10".
func rrData(rr dns.RR) string {
	f := strings.SplitN(rr.String(), "\t", 5)
	if len(f) != 5 {
		return rrText(rr)
	}
	return f[0] + " " + f[3] + " " + strings.ReplaceAll(f[4], "\t", " ")
}

// negative writes format with a negative outcome, NODATA or NXDOMAIN, or
// gives "" for a side that answered with records.
func negative(r Result, format string) string {
	if len(r.Answer) > 0 || !r.Outcome.Authoritative() {
		return ""
	}
	return fmt.Sprintf(format, strings.ToUpper(string(r.Outcome)))
}

// dnssec reports the DNSSEC handover of the zone as the walks through the
// proposed servers validated it (resolver.Options.Delegate keeps the
// parent's DS): when those servers serve the zone unsigned, or sign it
// with keys that no DS of the parent matches, validating resolvers fail
// the zone after the switch. Each problem once, however many questions
// show it.
func (c *comparison) dnssec(news []*trace.Trace) {
	seen := map[string]bool{}
	for _, t := range news {
		if t == nil {
			continue
		}
		z := t.DNSSECOf(c.zone)
		if z == nil {
			continue
		}
		for _, f := range z.Findings {
			if SeverityOf(f.Code) == "" || seen[f.Code+f.Message] {
				continue
			}
			seen[f.Code+f.Message] = true
			c.add(Problem{Code: f.Code, Name: c.zone, Message: f.Message})
		}
	}
}
