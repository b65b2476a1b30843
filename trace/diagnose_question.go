package trace

import "github.com/miekg/dns"

// question notes what the question itself means for its answer: a query
// for ANY, which servers may answer minimally (RFC 8482 §4), with one
// RRset of their choice or a synthesised HINFO, so that its answer is no
// list of the name's records.
func (d *diagnosis) question(t *Trace) {
	if t.Question.Qtype != dns.TypeANY {
		return
	}
	h := t.Final()
	if h == nil {
		return // no answer to qualify
	}
	f := Finding{Code: CodeAnyQuery, Zone: h.Zone, Hops: []int{h.ID},
		Message: "servers may answer ANY with only some of the name's records, or one HINFO record (RFC 8482): ask for each type you need"}
	if minimalANY(h.Answer) {
		f.Server = &h.Server
		f.Message = h.Server.Name + " answered ANY minimally, with one HINFO record (RFC 8482): ask for each type you need"
	}
	d.add("", f)
}

// minimalANY reports whether an answer is RFC 8482's synthesised HINFO
// (§4.2): one record, CPU "RFC8482".
func minimalANY(rrs []dns.RR) bool {
	if len(rrs) != 1 {
		return false
	}
	h, ok := rrs[0].(*dns.HINFO)
	return ok && h.Cpu == "RFC8482"
}
