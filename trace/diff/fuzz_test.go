package diff

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds Read untrusted bytes, as nstrace diff reads any file it
// is given: it must return traces or an error, never panic or hang, and a
// list of traces read must compare with itself as unchanged.
func FuzzRead(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "\n" + minimal + "\n"))
	f.Add([]byte(doc{ns: []string{"ns1.example.com."}, glue: []string{"ns1.example.com. 192.0.2.1"}, refDNSSEC: `{"status":"secure","ds":[1,"x",{"a":null}]}`, dnssec: `{"zones":[{"zone":"example.com.","status":"insecure"}],"a.":[true]}`}.String()))
	f.Add([]byte(`{"schema_version":1,"question":{"name":"a.","type":"A"},"outcome":"failed","reason":"timeout","hops":[{"referral":{"zone":"a.","ns":[{"name":"b."}],"glue":[{"name":"b.","address":"::1"}]},"lookups":[{"question":{"name":"b.","type":"AAAA"},"outcome":"answer","answer":["b. 1 IN AAAA ::1"],"hops":[]}]}]}`))
	f.Add([]byte(`{"schema_version":2}`))
	f.Add([]byte(`[{"schema_version":1}]`))
	// The renderers' golden traces, as nstrace -o json writes them.
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := Read(bytes.NewReader(data))
		if err != nil {
			if ts != nil {
				t.Errorf("Read gave traces and an error: %v", err)
			}
			return
		}
		rs, err := Compare(ts, ts, Options{RTT: 1})
		if err != nil {
			t.Fatalf("Compare(traces, themselves): %v", err)
		}
		if Differ(rs) {
			t.Errorf("Compare(traces, themselves) = %+v, want no change", rs)
		}
	})
}
