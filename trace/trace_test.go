package trace

import (
	"slices"
	"testing"
)

func TestNumberAndWalk(t *testing.T) {
	lookup := &Trace{Hops: []*Hop{{Zone: "."}, {Zone: "net."}}}
	tr := &Trace{Outcome: Answer, Hops: []*Hop{
		{Zone: "."},
		{Zone: "com.", Lookups: []*Trace{lookup}},
		{Zone: "example.com.", Outcome: Answer},
		{Zone: "example.com.", Purpose: PurposeChildNS, Outcome: Answer},
	}}
	tr.Number()
	var zones []string
	var ids []int
	tr.Walk(func(h *Hop) { zones = append(zones, h.Zone); ids = append(ids, h.ID) })
	if want := []string{".", "com.", ".", "net.", "example.com.", "example.com."}; !slices.Equal(zones, want) {
		t.Errorf("Walk zones = %v, want %v", zones, want)
	}
	if want := []int{1, 2, 3, 4, 5, 6}; !slices.Equal(ids, want) {
		t.Errorf("IDs = %v, want %v", ids, want)
	}
	if f := tr.Final(); f != tr.Hops[2] {
		t.Errorf("Final() = %+v, want the walk's answer, not the child NS check", f)
	}
	if z := tr.Zones(); !slices.Equal(z, []string{".", "com.", "example.com."}) {
		t.Errorf("Zones() = %v", z)
	}
}

func TestQuestionString(t *testing.T) {
	for _, tt := range []struct {
		q    Question
		want string
	}{
		{Question{Name: "www.example.com.", Qtype: 1}, "www.example.com. IN A"},
		{Question{Name: "x.", Qtype: 65280, Qclass: 1}, "x. IN TYPE65280"},
	} {
		if got := tt.q.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.q, got, tt.want)
		}
	}
}
