package watch

import (
	"net/netip"
	"slices"

	"github.com/nstrace/nstrace/trace"
)

// A trace served partly from the cache does not send every query the one
// before it sent: the check of a zone's servers made by an earlier trace
// is reused without the queries of that trace's own question, and a
// nameserver whose address is cached is not looked up again. Findings
// that only those queries showed would vanish from one cycle to the next,
// and come back when the TTL runs out, though nothing changed. So a
// finding of a name's earlier trace is kept until a trace sends again the
// queries that showed it (or, for a finding shown by no query, crosses its
// zone again) and does not find it.

// look is one query as findings cite it.
type look struct {
	zone    string
	addr    netip.Addr
	q       trace.Question
	purpose trace.Purpose
}

// evidenced is a finding with the queries that showed it.
type evidenced struct {
	f     trace.Finding
	looks []look
}

// findingID is what tells findings apart, as nstrace diff does.
type findingID struct {
	code, zone, name string
	addr             netip.Addr
}

func idOf(f trace.Finding) findingID {
	id := findingID{code: f.Code, zone: f.Zone}
	if f.Server != nil {
		id.name, id.addr = f.Server.Name, f.Server.Addr
	}
	return id
}

// lookOf is the query of h.
func lookOf(h *trace.Hop) look {
	return look{zone: h.Zone, addr: h.Server.Addr, q: h.Question, purpose: h.Purpose}
}

// settle sets t's findings to those the watch counts for the name: t's
// own, and those of prev, the name's findings so far, that t did not look
// for; and returns them with their evidence, for the next trace.
func settle(t *trace.Trace, prev []evidenced) []evidenced {
	byID := map[int]*trace.Hop{}
	looks := map[look]bool{}
	zones := map[string]bool{}
	add := func(h *trace.Hop) {
		byID[h.ID] = h
		looks[lookOf(h)] = true
		zones[h.Zone] = true
	}
	t.Walk(add)
	for _, d := range t.DNSSEC {
		if d.Query != nil {
			add(d.Query)
		}
	}
	var out []evidenced
	seen := map[findingID]bool{}
	for _, f := range t.Findings {
		e := evidenced{f: f}
		for _, id := range f.Hops {
			if h, ok := byID[id]; ok {
				e.looks = append(e.looks, lookOf(h))
			}
		}
		out = append(out, e)
		seen[idOf(f)] = true
	}
	for _, e := range prev {
		if seen[idOf(e.f)] || looked(e, looks, zones) {
			continue
		}
		out = append(out, e)
		t.Findings = append(t.Findings, e.f)
	}
	return out
}

// looked reports whether a trace that sent the queries looks, and crossed
// the zones, looked where e was found.
func looked(e evidenced, looks map[look]bool, zones map[string]bool) bool {
	if len(e.looks) == 0 {
		return zones[e.f.Zone]
	}
	return !slices.ContainsFunc(e.looks, func(l look) bool { return !looks[l] })
}
