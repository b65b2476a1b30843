package trace

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestDiagnoseGroups checks that the findings of one cause carry it and
// one line for them all, and that a finding alone of its cause has none.
func TestDiagnoseGroups(t *testing.T) {
	noGlue := func(n int) *Trace {
		var ns []string
		for i := 1; i <= n; i++ {
			ns = append(ns, fmt.Sprintf("ns%d.example.com.", i))
		}
		ns = append(ns, "ns.example.net.")
		return &Trace{Question: www, Outcome: Answer, Hops: []*Hop{
			ref(".", rootA, "com.", gtlds, gtldGlu...),
			ref("com.", gtldA, "example.com.", ns, "ns.example.net. 192.0.2.99"),
			answer("example.com.", srv("ns.example.net.", "45.33.10.9", SourceResolved), www, "www.example.com. 300 IN A 192.0.2.10"),
		}}
	}
	tests := []struct {
		name  string
		trace *Trace
		n     int    // missing-glue findings
		group string // their Group, "" for none
	}{
		{"one: no group", noGlue(1), 1, ""},
		{"four: all named", noGlue(4), 4,
			"4 of the 5 nameservers of example.com. are inside it, but the referral from com. carries no glue (address) for them: ns1.example.com., ns2.example.com., ns3.example.com. and ns4.example.com.; a resolver must already know the zone to find them, so the zone cannot be reached through them (RFC 9471)"},
		{"twelve: three named, the rest counted", noGlue(12), 12,
			"12 of the 13 nameservers of example.com. are inside it, but the referral from com. carries no glue (address) for them: ns1.example.com., ns2.example.com., ns3.example.com. and 9 more; a resolver must already know the zone to find them, so the zone cannot be reached through them (RFC 9471)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.trace.Number()
			var got []Finding
			for _, f := range Diagnose(tt.trace) {
				if f.Code == CodeMissingGlue {
					got = append(got, f)
				}
			}
			if len(got) != tt.n {
				t.Fatalf("Diagnose() = %d missing-glue findings, want %d:\n%s", len(got), tt.n, dump(got))
			}
			for _, f := range got {
				if f.Cause != "no-glue" || f.Group != tt.group {
					t.Errorf("missing-glue for %s: cause %q, group\n%q\nwant cause no-glue, group\n%q", f.Server.Name, f.Cause, f.Group, tt.group)
				}
			}
			if gs := Group(got); len(gs) != 1 || len(gs[0]) != tt.n {
				t.Errorf("Group() = %d groups, want 1 of %d", len(gs), tt.n)
			}
		})
	}
}

// TestGroupMerged checks how Group gathers findings and Merged stands for
// them: a cause's findings together at the place of the first, the others
// alone, and one message and every hop for a group.
func TestGroupMerged(t *testing.T) {
	f := func(code, zone, cause, group string, hops ...int) Finding {
		return Finding{Code: code, Zone: zone, Cause: cause, Group: group, Message: code + " " + zone + " " + strings.Trim(fmt.Sprint(hops), "[]"), Hops: hops}
	}
	fs := []Finding{
		f("lame-server", "a.", "refused", "both refuse", 3),
		f("single-nameserver", "b.", "", "", 1),
		f("lame-server", "a.", "servfail", "", 4),
		f("lame-server", "a.", "refused", "both refuse", 5, 3),
		f("lame-server", "b.", "refused", "", 6),  // another zone
		f("missing-glue", "a.", "no-glue", "", 2), // alone: no Group
	}
	gs := Group(fs)
	var got []string
	for _, g := range gs {
		m := Merged(g)
		got = append(got, fmt.Sprintf("%d %s %v", len(g), m.Message, m.Hops))
	}
	want := []string{
		"2 both refuse [3 5]",
		"1 single-nameserver b. 1 [1]",
		"1 lame-server a. 4 [4]",
		"1 lame-server b. 6 [6]",
		"1 missing-glue a. 2 [2]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Group and Merged =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConsistencyGroups checks that the servers of a zone that all give
// the same wrong reply are one fault: one cause, one line for them all.
func TestConsistencyGroups(t *testing.T) {
	gtldD := srv("d.gtld-servers.net.", "192.31.80.30", SourceGlue)
	stale := []string{exGlue[0], "ns2.example.com. 93.184.20.9"}
	tr := walkAll([]*Hop{
		ref("com.", gtldA, "example.com.", exNS, exGlue...),
		ref("com.", gtldB, "example.com.", exNS, stale...),
		ref("com.", gtldC, "example.com.", exNS, stale...),
		ref("com.", gtldD, "example.com.", exNS, exGlue...),
	}, answer("example.com.", ns1, www, "www.example.com. 300 IN A 192.0.2.10"))
	tr.Number()
	var got []Finding
	for _, f := range Diagnose(tr) {
		if f.Code == CodeInconsistentReferral {
			got = append(got, f)
		}
	}
	if len(got) != 2 || got[0].Cause == "" || got[0].Cause != got[1].Cause || got[0].Group != got[1].Group {
		t.Fatalf("Diagnose() = %s, want two inconsistent-referral findings of one cause", dump(got))
	}
	want := "2 servers of com. refer www.example.com. to example.com. differently from a.gtld-servers.net. (192.5.6.30) and d.gtld-servers.net. (192.31.80.30): b.gtld-servers.net. (192.33.14.30) and c.gtld-servers.net. (192.26.92.30); they give glue ns2.example.com. 93.184.20.9, and lack glue ns2.example.com. 93.184.20.2; "
	if !strings.HasPrefix(got[0].Group, want) {
		t.Errorf("group line\n%q\nwant it to start\n%q", got[0].Group, want)
	}
}

// TestNamesCapped: a fix's words name at most maxNames names and count the
// rest, so that a fix for a referral of a thousand nameservers takes a line.
func TestNamesCapped(t *testing.T) {
	var ns []string
	for i := range 1000 {
		ns = append(ns, fmt.Sprintf("ns%d.example.com.", i))
	}
	got := names(ns)
	if !strings.HasPrefix(got, "ns0.example.com., ns1.example.com., ") || !strings.HasSuffix(got, ", ns19.example.com. and 980 more") {
		t.Errorf("names(1000 names) = %q, want the first %d and 980 more", got, maxNames)
	}
	if got := names(ns[:2]); got != "ns0.example.com., ns1.example.com." {
		t.Errorf("names(2 names) = %q", got)
	}
}
