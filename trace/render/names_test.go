package render

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// idnTrace is healthyTrace asked for an international name.
func idnTrace() *trace.Trace {
	t := healthyTrace()
	t.Question = trace.Question{Name: "xn--bcher-kva.de.", Qtype: dns.TypeA}
	return t
}

// runTrace is healthyTrace with the wall-clock time the walk began.
func runTrace() *trace.Trace {
	t := healthyTrace()
	t.Started = time.Date(2026, 12, 4, 21, 31, 7, 120458789, time.FixedZone("CET", 3600))
	return t
}

// The run's fields: when and by which build, left out with no timings,
// and at the top level only.
func TestJSONRunFields(t *testing.T) {
	for _, o := range []Options{{Version: "v1.2.0"}, {Version: "v1.2.0", NoTimings: true}, {}} {
		var doc map[string]any
		if err := json.Unmarshal(render(t, JSON, runTrace(), o), &doc); err != nil {
			t.Fatal(err)
		}
		wantVersion, wantStart := "v1.2.0", "2026-12-04T20:31:07.120458Z"
		if o.NoTimings || o.Version == "" {
			wantVersion = ""
		}
		if o.NoTimings {
			wantStart = ""
		}
		if got, _ := doc["nstrace_version"].(string); got != wantVersion {
			t.Errorf("JSON(%+v) nstrace_version = %q, want %q", o, got, wantVersion)
		}
		if got, _ := doc["started_at"].(string); got != wantStart {
			t.Errorf("JSON(%+v) started_at = %q, want %q", o, got, wantStart)
		}
		var line map[string]any
		if err := json.Unmarshal(render(t, JSONLine, runTrace(), o), &line); err != nil {
			t.Fatal(err)
		}
		if line["nstrace_version"] != doc["nstrace_version"] || line["started_at"] != doc["started_at"] {
			t.Errorf("JSONLine(%+v) run fields = %v, %v; want JSON's %v, %v", o, line["nstrace_version"], line["started_at"], doc["nstrace_version"], doc["started_at"])
		}
	}
	// A trace from a program that did not set Started has no started_at.
	if out := render(t, JSON, healthyTrace(), Options{}); bytes.Contains(out, []byte("started_at")) {
		t.Errorf("JSON of a trace without Started has started_at")
	}
}

// An international name is shown in both forms in the header of each
// layout, and JSON's question carries its Unicode form.
func TestInternationalName(t *testing.T) {
	const both = "bücher.de. (xn--bcher-kva.de.)"
	for _, f := range []struct {
		name   string
		render renderFunc
		want   string
	}{
		{"Tree", Tree, both + " IN A\n"},
		{"Dig", func(w io.Writer, tr *trace.Trace, o Options) error { return Dig(w, tr, DigOptions{Options: o}) }, "<<>> +trace " + both + " A\n"},
		{"TreeStream", func(w io.Writer, tr *trace.Trace, o Options) error {
			return NewTreeStream(w, tr.Question, o).Done(tr)
		}, both + " IN A\n"},
	} {
		out := string(render(t, f.render, idnTrace(), Options{NoTimings: true}))
		if first := strings.SplitAfter(strings.TrimLeft(out, "\n"), "\n")[0]; !strings.Contains(first, f.want) {
			t.Errorf("%s first line = %q, want %q in it", f.name, first, f.want)
		}
	}
	var doc struct {
		Question map[string]string
		Hops     []struct{ Question map[string]string }
	}
	if err := json.Unmarshal(render(t, JSON, idnTrace(), Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Question["name"] != "xn--bcher-kva.de." || doc.Question["unicode"] != "bücher.de." {
		t.Errorf("JSON question = %v, want name xn--bcher-kva.de. and unicode bücher.de.", doc.Question)
	}
	if _, ok := doc.Hops[2].Question["unicode"]; ok {
		t.Errorf("JSON hop 3 question = %v: its name is ASCII, it wants no unicode", doc.Hops[2].Question)
	}
}
