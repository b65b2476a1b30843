package diff_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/diff"
	"github.com/nstrace/nstrace/trace/render"
)

var update = flag.Bool("update", false, "rewrite golden files")

// A state is a lab scenario: a file of testdata/lab, with edits, traced
// asking every server (--all) when all is set.
type state struct {
	lab   string
	edits []edit
	all   bool
}

// An edit replaces old with new in one file of a scenario.
type edit struct{ file, old, new string }

// renumbered is healthy.txtar after ns2.example.com moved to another
// address, at the registry (glue) and in the zone, whose serial went up.
var renumbered = state{lab: "healthy", edits: []edit{
	{"com.zone", "ns2.example\t\t172800\tIN\tA\t94.130.20.2", "ns2.example\t\t172800\tIN\tA\t94.130.21.2"},
	{"example.com.zone", "ns2\t\tIN\tA\t94.130.20.2", "ns2\t\tIN\tA\t94.130.21.2"},
	{"example.com.zone", "2025011500", "2025011501"},
}}

// rolledEarly is ds-roll.txtar with com. still publishing the DS of
// example.com.'s old key-signing key (ds-roll-old.txtar's): the zone
// rolled its KSK before the registry had the new DS.
var rolledEarly = state{lab: "ds-roll", edits: []edit{{"com.zone", "ns2.example\t\t172800\tIN\tA\t94.130.20.2\n",
	"ns2.example\t\t172800\tIN\tA\t94.130.20.2\nexample\t\t\t3600\tIN\tDS\t22924 13 2 94E3D5EEC2BE7F176D8F8F4C2BE905A4C983AF7F974A4407885DCDC892D7DBF7\n"}}}

// TestLabPairs traces questions in a scenario before and after a change,
// writes the traces as nstrace -o json (or -o jsonl) does, reads them back
// and compares them: the changes, for people and as JSON, are golden files
// under testdata.
func TestLabPairs(t *testing.T) {
	for _, c := range []struct {
		name          string
		before, after state
		questions     []string // "NAME TYPE"
		// newQuestions are those traced after, when not the same.
		newQuestions []string
	}{
		// The move of example.com to another provider: the NS sets, the
		// addresses of the servers, the answer's TTL, a finding gone.
		{"migration", state{lab: "migration"}, state{lab: "migration-done"}, []string{"www.example.com A"}, nil},
		// A list: the TXT record the new provider lacks is gone (NODATA,
		// with the new SOA), www's TTL is 300, example.org did not move,
		// and its mail was traced before only, www's AAAA after only.
		{"migration-list", state{lab: "migration"}, state{lab: "migration-done"},
			[]string{"www.example.com A", "example.com TXT", "www.example.org A", "mail.example.org A"},
			[]string{"www.example.com A", "example.com TXT", "www.example.org A", "www.example.com AAAA"}},
		// A nameserver renumbered: its glue and the zone's SOA serial.
		{"glue", state{lab: "healthy"}, renumbered, []string{"nope.example.com A"}, nil},
		// The glue of ns1.example.com. gone from com. (missing-glue), and
		// the zone's NS TTL raised to the parent's.
		{"glue-gone", state{lab: "healthy"}, state{lab: "diag-missing-glue"}, []string{"www.example.com A"}, nil},
		// A roll of example.com.'s KSK, done: the new key in the
		// DNSKEY set, its DS in place of the old at com.; still secure.
		{"ds-roll", state{lab: "ds-roll-old"}, state{lab: "ds-roll"}, []string{"www.example.com A"}, nil},
		// The same roll with the old DS left at com.: the zone goes
		// bogus, and ds-no-matching-dnskey appears with its fix.
		{"ds-roll-early", state{lab: "ds-roll-old"}, rolledEarly, []string{"www.example.com A"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			old := readTraces(t, traceJSON(t, c.before, c.questions, true))
			if c.newQuestions == nil {
				c.newQuestions = c.questions
			}
			new := readTraces(t, traceJSON(t, c.after, c.newQuestions, true))
			results, err := diff.Compare(old, new, diff.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !diff.Differ(results) {
				t.Errorf("Compare(%s) found no change", c.name)
			}
			o := render.DiffOptions{Old: "before.json", New: "after.json"}
			var text, js bytes.Buffer
			if err := render.Diff(&text, results, o); err != nil {
				t.Fatal(err)
			}
			if err := render.DiffJSON(&js, results, o); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".txt", text.Bytes())
			golden(t, c.name+".json", js.Bytes())
			validate(t, js.Bytes())
		})
	}
}

// TestLabSame traces the same questions twice in one scenario: two walks
// may ask other servers, in another order, and take other times, and
// still nothing changed.
func TestLabSame(t *testing.T) {
	for _, lab := range []string{"migration", "glueless", "healthy"} {
		t.Run(lab, func(t *testing.T) {
			qs := []string{"www.example.com A", "example.com MX", "nope.example.com A"}
			a := readTraces(t, traceJSON(t, state{lab: lab}, qs, false))
			b := readTraces(t, traceJSON(t, state{lab: lab}, qs, false))
			results, err := diff.Compare(a, b, diff.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Status != diff.Same {
					t.Errorf("Compare(%s, %s) = %s: %+v, want same", lab, r.Question, r.Status, r.Changes)
				}
			}
		})
	}
}

// TestLabAllSame traces with --all twice: every server of every zone is
// asked, in parallel, and nothing changed.
func TestLabAllSame(t *testing.T) {
	for _, lab := range []string{"all-answers", "all-stale-parent", "migration"} {
		t.Run(lab, func(t *testing.T) {
			qs := []string{"www.example.com A", "www.example.co.uk A"}
			a := readTraces(t, traceJSON(t, state{lab: lab, all: true}, qs, false))
			b := readTraces(t, traceJSON(t, state{lab: lab, all: true}, qs, false))
			results, err := diff.Compare(a, b, diff.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Status != diff.Same {
					t.Errorf("Compare(%s, %s) = %s: %+v, want same", lab, r.Question, r.Status, r.Changes)
				}
			}
		})
	}
}

// TestLabTimings slows ns1.example.com. down by 200ms: with --timings 50ms
// its round-trip time is the one change, with none it is no change.
func TestLabTimings(t *testing.T) {
	slow := state{lab: "healthy", edits: []edit{{lab.ManifestName, "flagged as private).\n", "flagged as private).\nfault ns1.example.com delay 200ms\n"}}}
	qs := []string{"www.example.com A"}
	old := readTraces(t, traceJSON(t, state{lab: "healthy"}, qs, true, true))
	new := readTraces(t, traceJSON(t, slow, qs, true, true))
	for _, c := range []struct {
		rtt  time.Duration
		want string
	}{
		{0, ""},
		{time.Hour, ""},
		{50 * time.Millisecond, "changed rtt example.com. ns1.example.com. 45.33.10.1"},
	} {
		results, err := diff.Compare(old, new, diff.Options{RTT: c.rtt})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ch := range results[0].Changes {
			got = append(got, fmt.Sprint(ch.Op, " ", ch.Kind, " ", ch.Zone, " ", ch.Name, " ", ch.Address))
			if ch.Kind == diff.KindRTT && ch.New.RTT < 200*time.Millisecond {
				t.Errorf("Compare(RTT %v): %s from %v to %v, want at least the 200ms delay", c.rtt, ch.Name, ch.Old.RTT, ch.New.RTT)
			}
		}
		if g := strings.Join(got, "; "); g != c.want {
			t.Errorf("Compare(RTT %v) = %s, want %s", c.rtt, g, c.want)
		}
	}
}

// traceJSON traces each question in the lab s describes and writes the
// traces one after another, each as JSONLine writes it: one document alone
// is what -o json writes, compacted.
//
// With oneAtATime, the walk asks one server of a zone at a time, so that a
// loaded machine cannot make it ask (and look up) another one: the golden
// comparisons need the same walk each time.
// With timings, the traces keep their round-trip times.
func traceJSON(t *testing.T, s state, questions []string, oneAtATime bool, timings ...bool) []byte {
	t.Helper()
	ar, err := txtar.ParseFile(labtest.Path(t, s.lab))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range ar.Files {
		files[f.Name] = f.Data
	}
	for _, e := range s.edits {
		if !bytes.Contains(files[e.file], []byte(e.old)) {
			t.Fatalf("%s: %s has no %q", s.lab, e.file, e.old)
		}
		files[e.file] = bytes.ReplaceAll(files[e.file], []byte(e.old), []byte(e.new))
	}
	l := labtest.StartFiles(t, s.lab, files)
	opts := resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), All: s.all, TrustAnchors: l.Scenario().Anchors()}
	if oneAtATime {
		opts.HedgeDelay = -1
	}
	r, err := resolver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, q := range questions {
		f := strings.Fields(q)
		tr, err := r.Trace(context.Background(), dns.Fqdn(f[0]), dns.StringToType[f[1]])
		if tr == nil {
			t.Fatalf("Trace(%s): %v", q, err)
		}
		tr.Findings = trace.Diagnose(tr)
		if len(timings) == 0 {
			// slow-server is a measured time too: no lab here delays a
			// server by half a second, but a loaded machine can (the
			// migration-list golden once read "ns2.newdns.net. took over
			// half a second"), so it goes with the round-trip times.
			tr.Findings = slices.DeleteFunc(tr.Findings, func(f trace.Finding) bool { return f.Code == trace.CodeSlowServer })
		}
		if err := render.JSONLine(&out, tr, render.Options{NoTimings: len(timings) == 0}); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

func readTraces(t *testing.T, data []byte) []*diff.Trace {
	t.Helper()
	ts, err := diff.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return ts
}

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; got:\n%s\nwant:\n%s", path, got, want)
	}
}

// validate checks a document of DiffJSON against docs/diff-schema.json,
// with every object it describes closed to keys it does not name, so that
// a field added to the output and not to the schema fails.
func validate(t *testing.T, doc []byte) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "diff-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schema, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	closeObjects(schema)
	c := jsonschema.NewCompiler()
	if err := c.AddResource("diff-schema.json", schema); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("diff-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("the document does not match docs/diff-schema.json: %v", err)
	}
}

func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, props := v["properties"]
		_, req := v["required"]
		if props && req { // a whole object, not a condition on one
			if _, set := v["additionalProperties"]; !set {
				v["additionalProperties"] = false
			}
		}
		for _, x := range v {
			closeObjects(x)
		}
	case []any:
		for _, x := range v {
			closeObjects(x)
		}
	}
}
