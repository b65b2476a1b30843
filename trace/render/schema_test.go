package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the JSON Schema of JSON's output, published for users.
var schemaPath = filepath.Join("..", "..", "docs", "schema.json")

// compileSchema compiles docs/schema.json; with strict, every object the
// schema describes (one with properties and required keys) also refuses
// keys it does not name, so that a field added to the output without
// being added to the schema fails the test. The published schema allows
// unknown keys, as docs/json.md promises readers that new fields may come.
func compileSchema(t *testing.T, strict bool) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	if strict {
		closeObjects(doc)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaPath, err)
	}
	return s
}

func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, props := v["properties"]
		_, req := v["required"]
		if _, set := v["additionalProperties"]; props && req && !set {
			v["additionalProperties"] = false
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

// jsonDocuments gives every JSON document the tests know of: the goldens of
// the renderer and of the command, the example in docs/json.md, and each
// fixture rendered with and without timings.
func jsonDocuments(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	for _, dir := range []string{"render", "golden"} {
		paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			docs[p] = b
		}
	}
	if len(docs) < 10 {
		t.Fatalf("found only %d golden JSON files", len(docs))
	}
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	if _, rest, ok := strings.Cut(string(md), "```json\n"); ok {
		example, _, _ := strings.Cut(rest, "```")
		docs["docs/json.md example"] = []byte(example)
	}
	for _, c := range digCases() {
		for _, o := range []Options{{}, {NoTimings: true}} {
			var buf bytes.Buffer
			if err := JSON(&buf, c.trace(), o); err != nil {
				t.Fatal(err)
			}
			docs["JSON("+c.name+", "+map[bool]string{false: "timings", true: "no timings"}[o.NoTimings]+")"] = buf.Bytes()
		}
	}
	// The run's fields and an international name's Unicode form.
	docs["JSON(run, version)"] = render(t, JSON, runTrace(), Options{Version: "v1.2.0 (commit 0123456789ab, 2026-01-02T03:04:05Z)"})
	docs["JSON(international name)"] = render(t, JSON, idnTrace(), Options{})
	return docs
}

// Every JSON document nstrace writes in the tests is valid against the
// published schema, and names no key the schema does not describe.
func TestJSONMatchesSchema(t *testing.T) {
	schemas := map[string]*jsonschema.Schema{"published": compileSchema(t, false), "strict": compileSchema(t, true)}
	for name, b := range jsonDocuments(t) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for kind, s := range schemas {
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s does not match the %s schema %s:\n%v", name, kind, schemaPath, err)
			}
		}
	}
}

// The schema rejects what the documentation rules out, so that it is not
// valid for everything.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t, false)
	var base map[string]any
	if err := json.Unmarshal(render(t, JSON, runTrace(), Options{Version: "v1.2.0"}), &base); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(doc map[string]any)
	}{
		{"no schema_version", func(d map[string]any) { delete(d, "schema_version") }},
		{"schema_version 2", func(d map[string]any) { d["schema_version"] = 2 }},
		{"an unknown outcome", func(d map[string]any) { d["outcome"] = "maybe" }},
		{"a failure without error", func(d map[string]any) { d["outcome"] = "failed" }},
		{"a name without its dot", func(d map[string]any) { d["question"].(map[string]any)["name"] = "www.example.com" }},
		{"a time in milliseconds", func(d map[string]any) { d["duration_us"] = 58.3 }},
		{"a referral without its delegation", func(d map[string]any) { delete(hop(d, 0), "referral") }},
		{"rcode null with a size", func(d map[string]any) { hop(d, 0)["rcode"] = nil }},
		{"a hop without id", func(d map[string]any) { delete(hop(d, 0), "id") }},
		{"a record that is not zone-file text", func(d map[string]any) { d["answer"] = []any{"192.0.2.80"} }},
		{"started_at in local time", func(d map[string]any) { d["started_at"] = "2026-12-04T21:31:07.120458+01:00" }},
		{"started_at without microseconds", func(d map[string]any) { d["started_at"] = "2026-12-04T20:31:07Z" }},
		{"an empty nstrace_version", func(d map[string]any) { d["nstrace_version"] = "" }},
		{"a lookup with started_at", func(d map[string]any) {
			hop(d, 1)["lookups"].([]any)[0].(map[string]any)["started_at"] = "2026-12-04T20:31:07.120458Z"
		}},
		{"a lookup with schema_version", func(d map[string]any) {
			hop(d, 1)["lookups"].([]any)[0].(map[string]any)["schema_version"] = 1
		}},
		{"a finding with an unknown severity", func(d map[string]any) {
			d["findings"] = []any{map[string]any{"code": "x", "severity": "fatal", "zone": ".", "message": "m", "hops": []any{}}}
		}},
	} {
		var doc map[string]any
		b, _ := json.Marshal(base)
		json.Unmarshal(b, &doc)
		tt.change(doc)
		b, _ = json.Marshal(doc)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err == nil {
			t.Errorf("the schema accepts a document with %s", tt.name)
		}
	}
}

func hop(doc map[string]any, i int) map[string]any {
	return doc["hops"].([]any)[i].(map[string]any)
}
