package trace

import (
	"errors"
	"slices"
	"testing"
)

// An NS check is sent once, beside the walk: its timeout alone does not
// make a server unreachable when the walk's query to it was abandoned (the
// walk had moved on), but it counts with the walk's own timeouts.
func TestUnreachableNeedsTheWalk(t *testing.T) {
	abandoned := timeout("example.com.", ns1)
	abandoned.Outcome, abandoned.Err, abandoned.Reason = Abandoned, errors.New("abandoned"), ReasonAbandoned
	check := timeout("example.com.", ns1)
	check.Purpose, check.Question = PurposeChildNS, Question{Name: "example.com.", Qtype: 2}

	tr := healthy()
	tr.Hops = slices.Insert(tr.Hops, 3, abandoned, check)
	tr.Hops[5].Server, tr.Hops[6].Server = ns2, ns2
	tr.Number()
	for _, f := range Diagnose(tr) {
		if f.Code == CodeUnreachableServer {
			t.Errorf("Diagnose() = %s for a server whose only timeout was the NS check:\n%s", f.Code, dump([]Finding{f}))
		}
	}

	tr = healthy()
	tr.Hops = slices.Insert(tr.Hops, 3, timeout("example.com.", ns1), check, timeout("example.com.", ns1))
	tr.Hops[6].Server, tr.Hops[7].Server = ns2, ns2
	tr.Number()
	w := want{code: CodeUnreachableServer, zone: "example.com.", name: "ns1.example.com.", addr: "45.33.10.1", hops: []int{4, 5, 6}}
	if got := Diagnose(tr); !slices.ContainsFunc(got, w.match) {
		t.Errorf("Diagnose() lacks %+v (the walk's two tries and the check: every query unanswered); got:\n%s", w, dump(got))
	}
}
