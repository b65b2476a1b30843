package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace/diff"
)

// TestDiffRender renders a change of answer between two traces of one
// question, as a patch (plain and coloured) and as JSON, and nothing for
// two traces that agree.
func TestDiffRender(t *testing.T) {
	toDiff := func(answer string) []*diff.Trace {
		t.Helper()
		tr := healthyTrace()
		if answer != "" {
			tr.Answer = rrs(answer)
			tr.Final().Answer = tr.Answer
		}
		var b bytes.Buffer
		if err := JSON(&b, tr, Options{NoTimings: true}); err != nil {
			t.Fatal(err)
		}
		ts, err := diff.Read(&b)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	old, same, changed := toDiff(""), toDiff(""), toDiff("www.example.com. 300 IN A 192.0.2.99")

	results, err := diff.Compare(old, same, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var none bytes.Buffer
	if err := Diff(&none, results, DiffOptions{Old: "a.json", New: "b.json"}); err != nil || none.Len() != 0 {
		t.Errorf("Diff of two equal traces wrote %q (err %v), want nothing", none.String(), err)
	}

	results, err = diff.Compare(old, changed, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []bool{false, true} {
		var b bytes.Buffer
		if err := Diff(&b, results, DiffOptions{Options: Options{Color: c}, Old: "a.json", New: "b.json"}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"--- a.json", "+++ b.json", "@@", "192.0.2.99"} {
			if !strings.Contains(out, want) {
				t.Errorf("Diff (colour %v) lacks %q:\n%s", c, want, out)
			}
		}
		if c != strings.Contains(out, "\x1b[") {
			t.Errorf("Diff (colour %v) has colour %v:\n%q", c, !c, out)
		}
	}
	var js bytes.Buffer
	if err := DiffJSON(&js, results, DiffOptions{Old: "a.json", New: "b.json"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Changed bool `json:"changed"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || !doc.Changed {
		t.Errorf("DiffJSON = %s (err %v), want a document with changed true", js.String(), err)
	}
}
