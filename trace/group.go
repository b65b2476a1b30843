package trace

// One cause, one finding (issue 18): findings that share a cause, such as
// every nameserver of a zone without glue, are still one Finding each, for
// JSON and scripts, but they carry the cause and one line that says them
// all, which the renderers for people show instead.

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// groupNamed is how many members a group's line names; the rest are
// counted.
const groupNamed = 3

// causeKey is what the findings of one cause share.
type causeKey struct{ code, zone, cause string }

// addCause records f, a finding of the cause named cause (the zone and
// code being f's), like add; say words the cause for the group of its
// findings, when there is more than one, from how many there are and a
// few of their names ("a., b., c. and 9 more"). The first say given for a
// cause is the one used.
func (d *diagnosis) addCause(key, cause string, f Finding, say func(n int, names string) string) {
	f.Cause = cause
	k := causeKey{f.Code, f.Zone, cause}
	if d.causes == nil {
		d.causes = map[causeKey]func(int, string) string{}
	}
	if _, ok := d.causes[k]; !ok {
		d.causes[k] = say
	}
	d.addAt(cmp.Or(f.Severity, SeverityOf(f.Code)), key, f)
}

// group gives each finding that shares its cause with others the line
// for them all (Finding.Group).
func (d *diagnosis) group() {
	members := map[causeKey][]int{}
	for i, f := range d.out {
		if f.Cause != "" {
			k := causeKey{f.Code, f.Zone, f.Cause}
			members[k] = append(members[k], i)
		}
	}
	for k, is := range members {
		if len(is) < 2 {
			continue
		}
		var fs []Finding
		for _, i := range is {
			fs = append(fs, d.out[i])
		}
		line := d.causes[k](len(is), SomeOf(subjects(fs)))
		for _, i := range is {
			d.out[i].Group = line
		}
	}
}

// subjects names what findings are about, for a group's line: each
// server name once, with its addresses ("ns1.example.com. (192.0.2.1,
// 2001:db8::1)"), or the zone of a finding about no server.
func subjects(fs []Finding) []string {
	var names []string
	addrs := map[string][]string{}
	for _, f := range fs {
		n := f.Zone
		if f.Server != nil {
			n = f.Server.Name
		}
		if _, ok := addrs[n]; !ok {
			names = append(names, n)
			addrs[n] = nil
		}
		if f.Server != nil && f.Server.Addr.IsValid() {
			addrs[n] = append(addrs[n], f.Server.Addr.String())
		}
	}
	for i, n := range names {
		if as := addrs[n]; len(as) > 0 {
			names[i] = n + " (" + strings.Join(as, ", ") + ")"
		}
	}
	return names
}

// SomeOf names the first few of names and counts the rest: "a., b., c.
// and 9 more", or all of them when they are few ("a., b. and c.").
func SomeOf(names []string) string {
	if len(names) <= groupNamed+1 {
		return andList(names)
	}
	return strings.Join(names[:groupNamed], ", ") + " and " + strconv.Itoa(len(names)-groupNamed) + " more"
}

// Group gathers fs, in their order, into the faults they show: the
// findings of one cause (the same Code, Zone and Cause, with a Group
// line) together, each other finding alone. A group keeps the place of
// its first finding.
func Group(fs []Finding) [][]Finding {
	return GroupBy(fs, func(f Finding) string {
		if f.Cause == "" || f.Group == "" {
			return ""
		}
		return f.Code + "|" + f.Zone + "|" + f.Cause
	})
}

// GroupBy gathers items, in their order, by key: the items of one key
// together, at the place of the first; an item whose key is "" alone.
func GroupBy[T any](items []T, key func(T) string) [][]T {
	var out [][]T
	at := map[string]int{}
	for _, it := range items {
		k := key(it)
		if k == "" {
			out = append(out, []T{it})
			continue
		}
		if i, ok := at[k]; ok {
			out[i] = append(out[i], it)
			continue
		}
		at[k] = len(out)
		out = append(out, []T{it})
	}
	return out
}

// Merged gives the one finding that stands for a group from Group: the
// first, with the group's line as its message and every member's hops;
// its Server is the first member's. A group of one is its finding.
func Merged(g []Finding) Finding {
	f := g[0]
	if len(g) == 1 {
		return f
	}
	f.Message = f.Group
	f.Hops = nil
	for _, m := range g {
		f.Hops = append(f.Hops, m.Hops...)
	}
	f.Hops = slices.Compact(slices.Sorted(slices.Values(f.Hops)))
	f.Fix = mergedFix(g) // fix.go
	return f
}
