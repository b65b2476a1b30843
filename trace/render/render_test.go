package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fatih/color"

	"github.com/nstrace/nstrace/trace"
)

var cases = []struct {
	name  string
	trace func() *trace.Trace
	// more asks for the colour and no-timings goldens as well.
	more bool
}{
	{"healthy", healthyTrace, true},
	{"failover", failoverTrace, false},
	{"truncated", truncatedTrace, false},
	{"nxdomain", nxdomainTrace, false},
	{"nodata", nodataTrace, false},
	{"cname", cnameTrace, false},
	{"failed", failedTrace, true},
	{"signed", signedTrace, false},
}

type renderFunc func(io.Writer, *trace.Trace, Options) error

var variants = []struct {
	suffix string
	render renderFunc
	opts   Options
	more   bool // only for cases with more set
}{
	{".txt", Tree, Options{}, false},
	{".json", JSON, Options{}, false},
	{".color.txt", Tree, Options{Color: true}, true},
	{".notimings.txt", Tree, Options{NoTimings: true}, true},
	{".notimings.json", JSON, Options{NoTimings: true}, true},
}

func render(t *testing.T, f renderFunc, tr *trace.Trace, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f(&buf, tr, o); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, c := range cases {
		for _, v := range variants {
			if v.more && !c.more {
				continue
			}
			name := c.name + v.suffix
			t.Run(name, func(t *testing.T) {
				got := render(t, v.render, c.trace(), v.opts)
				golden(t, name, got)
			})
		}
	}
}

func TestTreeNoColor(t *testing.T) {
	// NO_COLOR and fatih/color's global switch must not matter: the option
	// decides, and rendering must leave the global alone.
	t.Setenv("NO_COLOR", "1")
	global := color.NoColor
	for _, c := range cases {
		plain := render(t, Tree, c.trace(), Options{})
		if i := bytes.IndexByte(plain, '\x1b'); i >= 0 {
			t.Errorf("Tree(%s, Color: false) has an escape code at byte %d:\n%s", c.name, i, plain)
		}
		colored := render(t, Tree, c.trace(), Options{Color: true})
		if !bytes.Contains(colored, []byte("\x1b[")) {
			t.Errorf("Tree(%s, Color: true) has no escape codes with NO_COLOR set", c.name)
		}
		if !bytes.Equal(stripANSI(colored), plain) {
			t.Errorf("Tree(%s) with colour, escapes stripped, differs from without:\n%s\n%s", c.name, stripANSI(colored), plain)
		}
	}
	if color.NoColor != global {
		t.Errorf("color.NoColor = %v after rendering, want %v", color.NoColor, global)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(b []byte) []byte { return ansi.ReplaceAll(b, nil) }

func TestTreeLayout(t *testing.T) {
	for _, c := range cases {
		for _, o := range []Options{{}, {NoTimings: true}} {
			out := string(render(t, Tree, c.trace(), o))
			if !strings.HasSuffix(out, "\n") {
				t.Errorf("Tree(%s, %+v) does not end with a newline", c.name, o)
			}
			for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if l != strings.TrimRight(l, " \t") {
					t.Errorf("Tree(%s, %+v) line %d has trailing space: %q", c.name, o, i+1, l)
				}
				if strings.Contains(l, "\t") {
					t.Errorf("Tree(%s, %+v) line %d has a tab: %q", c.name, o, i+1, l)
				}
			}
		}
	}
}

// timeString matches what formatDuration writes, and the JSON timing keys.
var timeString = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?(ms|s|us|µs)\b|<0\.1ms|—|_us"`)

func TestNoTimings(t *testing.T) {
	for _, c := range cases {
		for _, f := range []struct {
			name   string
			render renderFunc
		}{{"Tree", Tree}, {"JSON", JSON}} {
			out := render(t, f.render, c.trace(), Options{NoTimings: true})
			if m := timeString.Find(out); m != nil {
				t.Errorf("%s(%s, NoTimings) has %q:\n%s", f.name, c.name, m, out)
			}
			again := render(t, f.render, c.trace(), Options{NoTimings: true})
			if !bytes.Equal(out, again) {
				t.Errorf("%s(%s, NoTimings) differs between two runs", f.name, c.name)
			}
		}
		// Guard the test itself: with timings the pattern must match.
		if out := render(t, Tree, c.trace(), Options{}); !timeString.Match(out) {
			t.Errorf("Tree(%s) has no time string; the NoTimings test proves nothing", c.name)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	for _, c := range cases {
		out := render(t, JSON, c.trace(), Options{})
		var doc struct {
			SchemaVersion *int `json:"schema_version"`
			Question      struct{ Name, Type, Class string }
			Outcome       string
			Queries       int
			DurationUS    *int64 `json:"duration_us"`
			Hops          []struct {
				Rcode   *string
				RTTUS   *int64 `json:"rtt_us"`
				Lookups []map[string]any
			}
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("JSON(%s) does not unmarshal: %v\n%s", c.name, err, out)
		}
		tr := c.trace()
		if doc.SchemaVersion == nil || *doc.SchemaVersion != 1 {
			t.Errorf("JSON(%s) schema_version = %v, want 1", c.name, doc.SchemaVersion)
		}
		if doc.Question.Name != tr.Question.Name || doc.Question.Type != trace.TypeString(tr.Question.Qtype) || doc.Question.Class != "IN" {
			t.Errorf("JSON(%s) question = %+v, want %v", c.name, doc.Question, tr.Question)
		}
		if doc.Outcome != string(tr.Outcome) || doc.Queries != tr.Queries {
			t.Errorf("JSON(%s) outcome, queries = %q, %d, want %q, %d", c.name, doc.Outcome, doc.Queries, tr.Outcome, tr.Queries)
		}
		if doc.DurationUS == nil || *doc.DurationUS != tr.Duration.Microseconds() {
			t.Errorf("JSON(%s) duration_us = %v, want %d", c.name, doc.DurationUS, tr.Duration.Microseconds())
		}
		if len(doc.Hops) != len(tr.Hops) {
			t.Fatalf("JSON(%s) has %d hops, want %d", c.name, len(doc.Hops), len(tr.Hops))
		}
		for i, h := range doc.Hops {
			if (h.Rcode == nil) != (tr.Hops[i].Rcode < 0) {
				t.Errorf("JSON(%s) hop %d rcode = %v, want null only without a reply (Rcode %d)", c.name, i, h.Rcode, tr.Hops[i].Rcode)
			}
			if h.RTTUS == nil || *h.RTTUS != tr.Hops[i].RTT.Microseconds() {
				t.Errorf("JSON(%s) hop %d rtt_us = %v, want %d", c.name, i, h.RTTUS, tr.Hops[i].RTT.Microseconds())
			}
			for _, lk := range h.Lookups {
				if _, ok := lk["schema_version"]; ok {
					t.Errorf("JSON(%s) hop %d: a lookup carries schema_version; only the top level should", c.name, i)
				}
			}
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0ms"},
		{40 * time.Microsecond, "<0.1ms"},
		{840 * time.Microsecond, "0.8ms"},
		{time.Millisecond, "1ms"},
		{1450 * time.Microsecond, "1.5ms"},
		{9940 * time.Microsecond, "9.9ms"},
		{9960 * time.Microsecond, "10ms"},
		{12300 * time.Microsecond, "12ms"},
		{999 * time.Millisecond, "999ms"},
		{999600 * time.Microsecond, "1s"},
		{1240 * time.Millisecond, "1.2s"},
		{2 * time.Second, "2s"},
		{9960 * time.Millisecond, "10s"},
		{75 * time.Second, "75s"},
	} {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestErrors(t *testing.T) {
	for _, f := range []struct {
		name   string
		render renderFunc
	}{{"Tree", Tree}, {"JSON", JSON}} {
		if err := f.render(io.Discard, nil, Options{}); err == nil {
			t.Errorf("%s(nil trace) = nil error, want one", f.name)
		}
		if err := f.render(failingWriter{}, healthyTrace(), Options{}); !errors.Is(err, errWrite) {
			t.Errorf("%s(failing writer) = %v, want %v", f.name, err, errWrite)
		}
	}
}

// A trace that failed before its first query still renders.
func TestEmptyTrace(t *testing.T) {
	tr := &trace.Trace{
		Question: trace.Question{Name: "example.com.", Qtype: 1},
		Outcome:  trace.Failed,
		Err:      errors.New("no root hints"),
	}
	got := string(render(t, Tree, tr, Options{NoTimings: true}))
	want := "example.com. IN A\nfailed: no root hints · 0 queries\n"
	if got != want {
		t.Errorf("Tree(empty failed trace) = %q, want %q", got, want)
	}
	js := render(t, JSON, tr, Options{NoTimings: true})
	if !bytes.Contains(js, []byte(`"hops": []`)) || !bytes.Contains(js, []byte(`"answer": []`)) {
		t.Errorf("JSON(empty failed trace) lacks empty arrays:\n%s", js)
	}
}

// The example in docs/json.md is what JSON writes, so the document cannot
// drift from the code.
func TestJSONDocExample(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "json.md")
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(md), "\n## Example\n")
	if ok {
		_, rest, ok = strings.Cut(rest, "```json\n")
	}
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("%s has no ```json block under ## Example", path)
	}
	got := string(render(t, JSON, docTrace(), Options{Version: "v1.2.0"}))
	if got != example {
		t.Errorf("the example in %s differs from JSON(docTrace()); paste this in:\n%s", path, got)
	}
}

// TestNSList checks how an NS set is written: one TTL when they agree,
// and past maxListed names the rest counted, so that a referral to a
// thousand nameservers takes a line.
func TestNSList(t *testing.T) {
	set := func(n int, ttl func(i int) uint32) []trace.NS {
		var ns []trace.NS
		for i := range n {
			ns = append(ns, trace.NS{Name: fmt.Sprintf("ns%d.example.", i), TTL: ttl(i)})
		}
		return ns
	}
	same := func(int) uint32 { return 3600 }
	for _, tt := range []struct {
		ns   []trace.NS
		want string
	}{
		{set(2, same), "ns0.example., ns1.example. (TTL 3600)"},
		{set(2, func(i int) uint32 { return uint32(60 * (i + 1)) }), "ns0.example. (TTL 60), ns1.example. (TTL 120)"},
		{set(1000, same), "ns0.example., ns1.example., ns2.example., ns3.example., ns4.example., ns5.example., ns6.example., ns7.example., ns8.example., ns9.example., ns10.example., ns11.example., ns12.example., ns13.example., ns14.example., ns15.example., ns16.example., ns17.example., ns18.example., ns19.example., and 980 more (TTL 3600)"},
	} {
		if got := nsList(tt.ns); got != tt.want {
			t.Errorf("nsList(%d names) = %q, want %q", len(tt.ns), got, tt.want)
		}
	}
	if got := nsList(set(maxListed, same)); strings.Contains(got, "more") || strings.Count(got, ".example.") != maxListed {
		t.Errorf("nsList(%d names) = %q, want every name", maxListed, got)
	}
}
