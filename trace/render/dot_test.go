package render

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace"
)

func dotOf(t *testing.T, tr *trace.Trace, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Dot(&buf, tr, o); err != nil {
		t.Fatalf("Dot: %v", err)
	}
	return buf.Bytes()
}

func TestDotGolden(t *testing.T) {
	for _, c := range digCases() {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name+".dot", dotOf(t, c.trace(), Options{}))
		})
	}
	t.Run("healthy.notimings", func(t *testing.T) {
		golden(t, "healthy.notimings.dot", dotOf(t, healthyTrace(), Options{NoTimings: true}))
	})
}

var (
	dotNodeLine = regexp.MustCompile(`^\t("(?:[^"\\]|\\.)*") \[label=`)
	dotEdgeLine = regexp.MustCompile(`^\t("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*") \[`)
)

// Every edge joins declared nodes, no node is declared twice, failures are
// red, and what the walk met is in the graph.
func TestDotGraph(t *testing.T) {
	for _, c := range digCases() {
		tr := c.trace()
		out := string(dotOf(t, tr, Options{NoTimings: true}))
		nodes := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			if m := dotNodeLine.FindStringSubmatch(l); m != nil {
				if nodes[m[1]] {
					t.Errorf("Dot(%s) declares node %s twice", c.name, m[1])
				}
				nodes[m[1]] = true
			}
		}
		for _, l := range strings.Split(out, "\n") {
			if m := dotEdgeLine.FindStringSubmatch(l); m != nil {
				for _, n := range m[1:] {
					if !nodes[n] {
						t.Errorf("Dot(%s) edge %q uses undeclared node %s", c.name, l, n)
					}
				}
			}
		}
		tr.Walk(func(h *trace.Hop) {
			if h.Purpose == trace.PurposeChildNS {
				return
			}
			if !nodes[`"zone `+h.Zone+`"`] {
				t.Errorf("Dot(%s) has no node for zone %s", c.name, h.Zone)
			}
			if a := h.Server.Addr; h.Server.Name != "" && !strings.Contains(out, `"addr `+a.String()+`"`) {
				t.Errorf("Dot(%s) has no node for address %s", c.name, a)
			}
		})
		if tr.Outcome == trace.Failed && !strings.Contains(out, `"failed" [label="failed: `) {
			t.Errorf("Dot(%s) of a failed walk has no failure node:\n%s", c.name, out)
		}
		if strings.Contains(out, "ms\"") || strings.Contains(out, "ms,") {
			t.Errorf("Dot(%s, NoTimings) has a time:\n%s", c.name, out)
		}
	}
}

// Graphviz reads every graph, when it is installed.
func TestDotParses(t *testing.T) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not installed")
	}
	for _, c := range digCases() {
		cmd := exec.Command(bin, "-Tsvg")
		cmd.Stdin = bytes.NewReader(dotOf(t, c.trace(), Options{}))
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("dot -Tsvg of Dot(%s): %v %s", c.name, err, stderr.String())
		}
	}
}

func TestDotQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"www.example.com.", `"www.example.com."`},
		{`a "quoted" \ name`, `"a \"quoted\" \\ name"`},
		{"two\nlines", `"two\nlines"`},
		{"left\naligned\n", `"left\laligned\l"`},
	} {
		if got := dotQuote(tt.in); got != tt.want {
			t.Errorf("dotQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDotErrors(t *testing.T) {
	if err := Dot(io.Discard, nil, Options{}); err == nil {
		t.Error("Dot(nil trace) = nil error, want one")
	}
	if err := Dot(failingWriter{}, healthyTrace(), Options{}); !errors.Is(err, errWrite) {
		t.Errorf("Dot(failing writer) = %v, want %v", err, errWrite)
	}
}
