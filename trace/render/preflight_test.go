package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/preflight"
)

// preflightReport is a check of example.com. written by hand: one proposed
// server answers, the other refuses, and the MX record is missing there.
func preflightReport(t *testing.T) *preflight.Report {
	t.Helper()
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mx := trace.Question{Name: "example.com.", Qtype: dns.TypeMX}
	ns1 := trace.Server{Name: "ns1.new.example.", Addr: netip.MustParseAddr("45.33.1.1"), Source: trace.SourceGlue}
	ns2 := trace.Server{Name: "ns2.new.example.", Addr: netip.MustParseAddr("94.130.2.2"), Source: trace.SourceGlue}
	soa := trace.Question{Name: "example.com.", Qtype: dns.TypeSOA}
	proposed := &trace.Delegation{Zone: "example.com.", NS: []trace.NS{{Name: ns1.Name}, {Name: ns2.Name}},
		Glue: []trace.Glue{{Name: ns1.Name, Addr: ns1.Addr}, {Name: ns2.Name, Addr: ns2.Addr}}}
	cur := &trace.Trace{Question: mx, Outcome: trace.Answer, Queries: 4, Answer: []dns.RR{rr("example.com. 3600 IN MX 10 mail.example.com.")}, Hops: []*trace.Hop{
		{Zone: "com.", Outcome: trace.Referral, Referral: &trace.Delegation{Zone: "example.com.", NS: []trace.NS{{Name: "ns1.old.example.", TTL: 172800}}}},
		{Zone: "example.com.", Purpose: trace.PurposeChildNS, Outcome: trace.Answer, AA: true, Answer: []dns.RR{rr("example.com. 86400 IN NS ns1.old.example.")}},
	}}
	nxt := &trace.Trace{Question: mx, Outcome: trace.NoData, Queries: 3}
	servers := &trace.Trace{Question: soa, Outcome: trace.Answer, Queries: 6, Hops: []*trace.Hop{
		{Zone: "com.", Simulated: true, Outcome: trace.Referral, Referral: proposed},
		{Zone: "example.com.", Server: ns1, Question: soa, Rcode: 0, AA: true, Outcome: trace.Answer,
			Answer: []dns.RR{rr("example.com. 3600 IN SOA ns1.new.example. h.example.com. 7 1 1 1 1")}},
		{Zone: "example.com.", Server: ns1, Purpose: trace.PurposeChildNS, Rcode: 0, AA: true, Outcome: trace.Answer,
			Answer: []dns.RR{rr("example.com. 3600 IN NS ns1.new.example."), rr("example.com. 3600 IN NS ns2.new.example.")}},
		{Zone: "example.com.", Server: ns2, Question: soa, Rcode: dns.RcodeRefused, Outcome: trace.Error, Err: errors.New("REFUSED"), Reason: trace.ReasonRefused},
	}}
	r := preflight.Compare(preflight.Input{Zone: "example.com.", Proposed: proposed,
		Current: []*trace.Trace{cur}, New: []*trace.Trace{nxt}, Servers: servers})
	r.Duration = 1500 * time.Millisecond
	return r
}

func TestPreflightTree(t *testing.T) {
	r := preflightReport(t)
	var b bytes.Buffer
	if err := Preflight(&b, r, Options{NoTimings: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"example.com. → ns1.new.example., ns2.new.example.\n",
		"│  ├─ now       com. → ns1.old.example. (TTL 172800)\n",
		"│  │            own NS ns1.old.example. (TTL 86400)\n",
		"│               glue ns1.new.example. 45.33.1.1\n",
		"│               own NS ns1.new.example., ns2.new.example. (TTL 3600)\n",
		"│  ├─ ✓ ns1.new.example. 45.33.1.1 (glue)   authoritative, serial 7\n",
		"│  └─ ✗ ns2.new.example. 94.130.2.2 (glue)  REFUSED\n",
		"│  └─ ✗ example.com. MX  missing 1 (new: NODATA)\n",
		"│                        − example.com. 3600 IN MX 10 mail.example.com.\n",
		"      172800 (2d) at com., 86400 (1d) in the zone now, 3600 (1h) at the new servers\n",
		"✗ 2 errors\n",
		"  lame-server     ns2.new.example. (94.130.2.2), a proposed nameserver of example.com., does not answer for the zone with authority (it answers REFUSED)",
		"ℹ 1 info\n",
		"the switch would break example.com.: 2 errors · 3 traces · 13 queries\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Preflight lacks %q:\n%s", want, out)
		}
	}
	for i, l := range strings.Split(out, "\n") {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("line %d has trailing spaces: %q", i+1, l)
		}
	}
	if strings.Contains(out, "\x1b[") || strings.Contains(out, "1.5s") {
		t.Errorf("Preflight with no colour and no timings has escapes or a time:\n%s", out)
	}

	b.Reset()
	if err := Preflight(&b, r, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[") || !strings.Contains(b.String(), " · 1.5s\x1b") {
		t.Errorf("Preflight with colour and timings:\n%s", b.String())
	}
	if err := Preflight(&b, nil, Options{}); err == nil {
		t.Errorf("Preflight(nil) = nil error")
	}
}

func TestPreflightJSON(t *testing.T) {
	r := preflightReport(t)
	var b bytes.Buffer
	if err := PreflightJSON(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion int    `json:"schema_version"`
		Zone          string `json:"zone"`
		Checked       bool   `json:"checked"`
		Breaks        bool   `json:"breaks"`
		Proposed      struct {
			NS []struct {
				Name string   `json:"name"`
				Glue []string `json:"glue"`
			} `json:"ns"`
		} `json:"proposed"`
		Current struct {
			Parent   string `json:"parent"`
			ParentNS []struct {
				Name string `json:"name"`
				TTL  int    `json:"ttl"`
			} `json:"parent_ns"`
			ZoneNS []struct {
				Name string `json:"name"`
				TTL  int    `json:"ttl"`
			} `json:"zone_ns"`
		} `json:"current"`
		New struct {
			ZoneNS []struct {
				Name string `json:"name"`
				TTL  int    `json:"ttl"`
			} `json:"zone_ns"`
		} `json:"new"`
		Servers []struct {
			Name          string `json:"name"`
			Address       string `json:"address"`
			Source        string `json:"source"`
			Authoritative bool   `json:"authoritative"`
			Status        string `json:"status"`
			Error         string `json:"error"`
			Serial        *int   `json:"serial"`
			NS            []struct {
				Name string `json:"name"`
				TTL  int    `json:"ttl"`
			} `json:"ns"`
		} `json:"servers"`
		Records []struct {
			Question struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Class string `json:"class"`
			} `json:"question"`
			Against  string `json:"against"`
			Severity string `json:"severity"`
			Current  struct {
				Outcome string   `json:"outcome"`
				Answer  []string `json:"answer"`
				Error   string   `json:"error"`
			} `json:"current"`
			New struct {
				Outcome string   `json:"outcome"`
				Answer  []string `json:"answer"`
				Error   string   `json:"error"`
			} `json:"new"`
			Diffs []struct {
				Kind    string `json:"kind"`
				Current string `json:"current"`
				New     string `json:"new"`
			} `json:"diffs"`
		} `json:"records"`
		Problems []struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
			Name     string `json:"name"`
			Type     string `json:"type"`
			Server   *struct {
				Name    string `json:"name"`
				Address string `json:"address"`
			} `json:"server"`
			Message string `json:"message"`
			Cause   string `json:"cause"`
		} `json:"problems"`
		SettleTTL  int    `json:"settle_ttl"`
		Queries    int    `json:"queries"`
		DurationUS *int64 `json:"duration_us"`
	}
	dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("PreflightJSON: %v\n%s", err, b.String())
	}
	switch {
	case doc.SchemaVersion != 1, doc.Zone != "example.com.", !doc.Checked, !doc.Breaks:
		t.Errorf("header: %+v", doc)
	case len(doc.Proposed.NS) != 2 || doc.Proposed.NS[0].Glue[0] != "45.33.1.1":
		t.Errorf("proposed: %+v", doc.Proposed)
	case doc.Current.Parent != "com." || doc.Current.ParentNS[0].TTL != 172800:
		t.Errorf("current: %+v", doc.Current)
	case len(doc.Servers) != 2 || doc.Servers[0].Serial == nil || *doc.Servers[0].Serial != 7 || doc.Servers[1].Status != "REFUSED" || doc.Servers[1].Serial != nil:
		t.Errorf("servers: %+v", doc.Servers)
	case len(doc.Records) != 1 || doc.Records[0].Severity != "error" || doc.Records[0].New.Outcome != "nodata" || doc.Records[0].New.Answer == nil ||
		doc.Records[0].Diffs[0].Kind != "missing" || doc.Records[0].Diffs[0].Current != "example.com. 3600 IN MX 10 mail.example.com.":
		t.Errorf("records: %+v", doc.Records)
	case len(doc.Problems) != 3 || doc.Problems[0].Code != "lame-server" || doc.Problems[0].Server.Address != "94.130.2.2" || doc.Problems[1].Type != "MX":
		t.Errorf("problems: %+v", doc.Problems)
	case doc.SettleTTL != 172800 || doc.Queries != 13 || doc.DurationUS == nil || *doc.DurationUS != 1500000:
		t.Errorf("totals: %+v", doc)
	}

	b.Reset()
	if err := PreflightJSON(&b, r, Options{NoTimings: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "_us") {
		t.Errorf("PreflightJSON with no timings has a time:\n%s", b.String())
	}
	if err := PreflightJSON(&b, nil, Options{}); err == nil {
		t.Errorf("PreflightJSON(nil) = nil error")
	}
}

// TestPreflightJSONMatchesSchema checks the preflight goldens of the
// command, and a report rendered here with and without timings, against
// docs/preflight.schema.json, published and strict (closeObjects: no key the
// schema does not name).
func TestPreflightJSONMatchesSchema(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "preflight.schema.json")
	docs := map[string][]byte{}
	goldens, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "preflight", "*.json"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no preflight goldens: %v", err)
	}
	for _, p := range goldens {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[p] = b
	}
	for _, o := range []Options{{}, {NoTimings: true}} {
		var b bytes.Buffer
		if err := PreflightJSON(&b, preflightReport(t), o); err != nil {
			t.Fatal(err)
		}
		docs[fmt.Sprintf("PreflightJSON(%+v)", o)] = b.Bytes()
	}
	for _, strict := range []bool{false, true} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		schema, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if strict {
			closeObjects(schema)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource("preflight.schema.json", schema); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile("preflight.schema.json")
		if err != nil {
			t.Fatalf("compiling %s: %v", path, err)
		}
		for name, b := range docs {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s does not match %s (strict %v):\n%v", name, path, strict, err)
			}
		}
		// And it is not valid for everything.
		for _, bad := range []struct{ from, to string }{
			{`"breaks": true`, `"breaks": "yes"`},
			{`"severity": "error"`, `"severity": "fatal"`},
			{`"kind": "missing"`, `"kind": "gone"`},
			{`"zone": "example.com."`, `"zone": "example.com"`},
		} {
			var b bytes.Buffer
			if err := PreflightJSON(&b, preflightReport(t), Options{}); err != nil {
				t.Fatal(err)
			}
			text := strings.Replace(b.String(), bad.from, bad.to, 1)
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
			if err != nil || text == b.String() {
				t.Fatalf("changing %s: %v", bad.from, err)
			}
			if s.Validate(doc) == nil {
				t.Errorf("%s accepts %s", path, bad.to)
			}
		}
	}
}
