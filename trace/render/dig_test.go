package render

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

func dig(t *testing.T, tr *trace.Trace, o DigOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Dig(&buf, tr, o); err != nil {
		t.Fatalf("Dig: %v", err)
	}
	return buf.Bytes()
}

// digCases are the fixtures, and a walk primed from a server the user
// named that follows a CNAME into another zone.
func digCases() []struct {
	name  string
	trace func() *trace.Trace
} {
	cs := []struct {
		name  string
		trace func() *trace.Trace
	}{{"primed-cname", primedCNAMETrace}, {"findings", findingsTrace}}
	for _, c := range cases {
		cs = append(cs, struct {
			name  string
			trace func() *trace.Trace
		}{c.name, c.trace})
	}
	return cs
}

func TestDigGolden(t *testing.T) {
	for _, c := range digCases() {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name+".dig", dig(t, c.trace(), DigOptions{Options: Options{Version: "v1.2.3"}}))
		})
		t.Run(c.name+".notimings", func(t *testing.T) {
			golden(t, c.name+".notimings.dig", dig(t, c.trace(), DigOptions{Options: Options{NoTimings: true}}))
		})
	}
}

// The layout of dig's records: the columns of BIND's debug style, reached
// with tabs, as in /work/shared/reference/dig-trace-examples.txt.
func TestDigLine(t *testing.T) {
	for _, tt := range []struct {
		rr   string
		want string
	}{
		{". 86400 IN NS b.root-servers.net.", ".\t\t\t86400\tIN\tNS\tb.root-servers.net."},
		{"com. 86400 IN NS ns2.nic.com.", "com.\t\t\t86400\tIN\tNS\tns2.nic.com."},
		{"example.com. 86400 IN NS ns1.example.com.", "example.com.\t\t86400\tIN\tNS\tns1.example.com."},
		{"www.example.com. 3600 IN A 192.0.2.80", "www.example.com.\t3600\tIN\tA\t192.0.2.80"},
		{"example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 1800 900 604800 300",
			"example.com.\t\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 1 1800 900 604800 300"},
		// Past the TTL column: one space when no tab stop lies between.
		{"twenty-three-chars.com. 60 IN A 192.0.2.1", "twenty-three-chars.com.\t60\tIN\tA\t192.0.2.1"},
		{"a-name-of-24-chars.test. 60 IN A 192.0.2.1", "a-name-of-24-chars.test. 60\tIN\tA\t192.0.2.1"},
		{"a-name-of-exactly-31-chars.org. 60 IN A 192.0.2.1", "a-name-of-exactly-31-chars.org.\t60 IN\tA\t192.0.2.1"},
		{"example.com. 3600 IN NSEC3PARAM 1 0 10 AB", "example.com.\t\t3600\tIN\tNSEC3PARAM 1 0 10 AB"},
		{"example.com. 2147483647 IN A 192.0.2.1", "example.com.\t\t2147483647 IN\tA\t192.0.2.1"},
	} {
		rr, err := dns.NewRR(tt.rr)
		if err != nil {
			t.Fatalf("NewRR(%q): %v", tt.rr, err)
		}
		if got := digRR(rr); got != tt.want {
			t.Errorf("digRR(%q) = %q, want %q", tt.rr, got, tt.want)
		}
	}
}

// Fed hop by hop, DigStream writes what Dig writes.
func TestDigStream(t *testing.T) {
	for _, c := range digCases() {
		tr := c.trace()
		var buf bytes.Buffer
		s := NewDigStream(&buf, tr.Question, DigOptions{})
		for _, h := range tr.Hops {
			s.Hop(*h, 0)
			for _, l := range h.Lookups {
				for _, lh := range l.Hops {
					s.Hop(*lh, 1) // skipped, as dig makes these lookups silently
				}
			}
		}
		if err := s.Done(tr); err != nil {
			t.Fatal(err)
		}
		if want := dig(t, tr, DigOptions{}); !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("DigStream(%s) differs from Dig:\n%s\nwant:\n%s", c.name, buf.Bytes(), want)
		}
	}
}

// Every line is a record, a ";" comment or blank, so that tools reading
// dig's output read nstrace's.
func TestDigLayout(t *testing.T) {
	for _, c := range digCases() {
		out := string(dig(t, c.trace(), DigOptions{Options: Options{NoTimings: true}}))
		if !strings.HasPrefix(out, "\n; <<>> nstrace <<>> +trace ") {
			t.Errorf("Dig(%s) does not start with dig's header:\n%s", c.name, out)
		}
		for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			switch {
			case l == "", strings.HasPrefix(l, ";"):
			case strings.Count(l, "\t") < 4 && !strings.Contains(l, " IN\t"):
				t.Errorf("Dig(%s) line %d is neither a record nor a comment: %q", c.name, i+1, l)
			}
			if strings.Contains(l, "\x1b") {
				t.Errorf("Dig(%s) line %d has an escape code", c.name, i+1)
			}
		}
		if strings.Contains(out, " ms\n") && !strings.Contains(out, " in 0 ms\n") {
			t.Errorf("Dig(%s, NoTimings) has a time other than 0 ms:\n%s", c.name, out)
		}
	}
}

func TestDigErrors(t *testing.T) {
	if err := Dig(io.Discard, nil, DigOptions{}); err == nil {
		t.Error("Dig(nil trace) = nil error, want one")
	}
	if err := Dig(failingWriter{}, healthyTrace(), DigOptions{}); !errors.Is(err, errWrite) {
		t.Errorf("Dig(failing writer) = %v, want %v", err, errWrite)
	}
}
