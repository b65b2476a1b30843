package diff

import (
	"errors"
	"strings"
	"testing"
)

// minimal is a trace as an early nstrace of schema_version 1 wrote it:
// none of the fields added since (reason, started_at, nstrace_version,
// question.unicode), and a key no version writes, which readers ignore.
const minimal = `{"schema_version":1,"question":{"name":"www.example.com.","type":"A","class":"IN"},"outcome":"answer",
"answer":["www.example.com. 3600 IN A 192.0.2.10"],"authority":[],"queries":1,"findings":[],"future_key":{"x":[1]},"hops":[]}`

func TestRead(t *testing.T) {
	for _, c := range []struct {
		name, in string
		lines    []int  // of the traces read
		err      error  // the sentinel of the error, when one is wanted
		msg      string // in its message
	}{
		{"one", minimal, []int{1}, nil, ""},
		{"indented", "\n\n  " + strings.ReplaceAll(minimal, ",", ",\n"), []int{3}, nil, ""},
		{"lines", minimal + "\n" + minimal + "\n\n" + minimal + "\n", []int{1, 3, 6}, nil, ""}, // minimal takes two lines
		{"newer fields", strings.Replace(minimal, `"class":"IN"`, `"class":"IN","unicode":"www.example.com."},"nstrace_version":"v9","started_at":"2026-12-04T21:00:00Z","x":{"a":1`, 1), []int{1}, nil, ""},
		{"empty", "", nil, ErrNotTrace, "no JSON document"},
		{"blank", "\n \n", nil, ErrNotTrace, "no JSON document"},
		{"not JSON", "www.example.com. A", nil, ErrNotTrace, "line 1"},
		{"array", "[1,2]", nil, ErrNotTrace, "not an object"},
		{"no version", `{"question":{"name":"a.","type":"A"},"outcome":"answer","hops":[]}`, nil, ErrNotTrace, "no schema_version"},
		{"newer version", strings.Replace(minimal, `"schema_version":1`, `"schema_version":2`, 1), nil, ErrSchemaVersion, "schema_version 2"},
		{"version zero", strings.Replace(minimal, `"schema_version":1`, `"schema_version":0`, 1), nil, ErrNotTrace, "schema_version 0"},
		{"version text", strings.Replace(minimal, `"schema_version":1`, `"schema_version":"1"`, 1), nil, ErrNotTrace, "line 1"},
		{"no question", `{"schema_version":1,"outcome":"answer","hops":[]}`, nil, ErrNotTrace, "no question"},
		{"no hops", strings.Replace(minimal, `"hops":[]`, `"hop":[]`, 1), nil, ErrNotTrace, "no hops"},
		{"no outcome", strings.Replace(minimal, `"outcome":"answer"`, `"outcome":""`, 1), nil, ErrNotTrace, "no outcome"},
		{"bad second line", minimal + "\n{\"schema_version\":1}\n", nil, ErrNotTrace, "line 3"},
		{"cut short", minimal[:40], nil, ErrNotTrace, "line 1"},
		{"batch summary", "name  outcome\nwww.example.com.  answer\n", nil, ErrNotTrace, "line 1"},
	} {
		ts, err := Read(strings.NewReader(c.in))
		switch {
		case c.err == nil && err != nil:
			t.Errorf("Read(%s) error %v, want none", c.name, err)
		case c.err != nil && !errors.Is(err, c.err):
			t.Errorf("Read(%s) error %v, want %v", c.name, err, c.err)
		case c.err != nil && !strings.Contains(err.Error(), c.msg):
			t.Errorf("Read(%s) error %q, want it to say %q", c.name, err, c.msg)
		}
		var lines []int
		for _, tr := range ts {
			lines = append(lines, tr.Line)
		}
		if c.err == nil && !equal(lines, c.lines) {
			t.Errorf("Read(%s) traces at lines %v, want %v", c.name, lines, c.lines)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
