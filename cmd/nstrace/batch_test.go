package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

func TestParseBatchLine(t *testing.T) {
	for _, c := range []struct {
		line  string
		name  string
		qtype uint16
		ok    bool
		err   string
	}{
		{line: "www.example.com", name: "www.example.com.", qtype: dns.TypeA, ok: true},
		{line: "  Example.COM.   mx  ", name: "example.com.", qtype: dns.TypeMX, ok: true},
		{line: "example.com TYPE65280 # a private type", name: "example.com.", qtype: 65280, ok: true},
		{line: "example.com\tAAAA", name: "example.com.", qtype: dns.TypeAAAA, ok: true},
		{line: ""},
		{line: "   \t "},
		{line: "# a comment"},
		{line: "   # an indented comment"},
		{line: "www.example.com AAA", err: `unknown record type "AAA"`},
		{line: "www.example.com A IN", err: "want NAME [TYPE], not 3 words"},
		{line: "bad..name", err: `invalid domain name "bad..name"`},
	} {
		q, ok, err := parseBatchLine(c.line, dns.TypeA)
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err {
				t.Errorf("parseBatchLine(%q) error = %v, want %q", c.line, err, c.err)
			}
		case err != nil:
			t.Errorf("parseBatchLine(%q) error = %v, want none", c.line, err)
		case ok != c.ok || ok && (q.Name != c.name || q.Qtype != c.qtype || q.Qclass != dns.ClassINET):
			t.Errorf("parseBatchLine(%q) = %+v, %v; want %s %d, %v", c.line, q, ok, c.name, c.qtype, c.ok)
		}
	}
	// -t sets the type of lines that give none.
	if q, _, _ := parseBatchLine("example.com", dns.TypeNS); q.Qtype != dns.TypeNS {
		t.Errorf("parseBatchLine with default type NS gave type %d", q.Qtype)
	}
}

// testLab writes a generated lab (see batchLab) with the manifest lines
// conf added, and a list of names; it returns the lab's directory and the
// list's path.
func testLab(t *testing.T, zones, names int, conf string, list []string) (labDir, listFile string) {
	t.Helper()
	files, _ := batchLab(zones, names, 0)
	files["lab.conf"] = []byte(conf)
	labDir = writeLab(t, files)
	listFile = filepath.Join(t.TempDir(), "names.txt")
	if err := os.WriteFile(listFile, []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return labDir, listFile
}

// jsonLine is what the tests read of a line of -o jsonl.
type jsonLine struct {
	SchemaVersion int `json:"schema_version"`
	Question      struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"question"`
	Outcome string `json:"outcome"`
	Queries int    `json:"queries"`
	Hops    []struct {
		Zone    string `json:"zone"`
		Purpose string `json:"purpose"`
		Cached  bool   `json:"cached"`
		Server  struct {
			Source string `json:"source"`
		} `json:"server"`
		RTT *int64 `json:"rtt_us"`
	} `json:"hops"`
}

func readLines(t *testing.T, out string) []jsonLine {
	t.Helper()
	var docs []jsonLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var d jsonLine
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %d of the output is not JSON: %v\n%s", len(docs)+1, err, sc.Text())
		}
		if d.SchemaVersion != 1 {
			t.Errorf("line %d: schema_version %d, want 1", len(docs)+1, d.SchemaVersion)
		}
		docs = append(docs, d)
	}
	return docs
}

func questions(docs []jsonLine) []string {
	var qs []string
	for _, d := range docs {
		qs = append(qs, d.Question.Name)
	}
	return qs
}

func fqdns(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, dns.Fqdn(n))
	}
	return out
}

// TestBatchOrder traces, 8 at a time, names whose zones answer slowly
// before names whose zones answer at once: the output follows the input.
func TestBatchOrder(t *testing.T) {
	var list []string
	for z := 3; z >= 0; z-- { // the slowest zone first
		for n := range 4 {
			list = append(list, fmt.Sprintf("h%02d.z%02d.test", n, z))
		}
	}
	conf := "fault ns1.z03.test delay 150ms\nfault ns2.z03.test delay 150ms\n" +
		"fault ns1.z02.test delay 60ms\nfault ns2.z02.test delay 60ms\n"
	labDir, names := testLab(t, 4, 4, conf, list)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"--lab", labDir, "-f", names, "-j", "8", "-o", "jsonl"}, &stdout, &stderr)
	if code != exitOK || stderr.Len() > 0 {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
	docs := readLines(t, stdout.String())
	if got, want := questions(docs), fqdns(list); !slices.Equal(got, want) {
		t.Errorf("traces written in the order\n%q\nwant the input's\n%q", got, want)
	}
	for _, d := range docs {
		if d.Outcome != "answer" {
			t.Errorf("%s: outcome %q, want answer", d.Question.Name, d.Outcome)
		}
	}
}

// TestBatchCached traces the names of one zone one at a time: the first
// asks the root, test. and the zone; the others ask only the zone, and
// take the rest from the cache, marked cached, with no network time.
func TestBatchCached(t *testing.T) {
	list := []string{"h00.z00.test", "h01.z00.test", "h02.z00.test A", "h00.z01.test"}
	labDir, names := testLab(t, 2, 3, "", list)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--lab", labDir, "-f", names, "-j", "1", "-o", "jsonl"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	docs := readLines(t, stdout.String())
	if len(docs) != 4 {
		t.Fatalf("%d traces, want 4", len(docs))
	}
	type want struct {
		queries int
		cached  []string // "ZONE PURPOSE" of the cached hops
	}
	for i, w := range []want{
		{queries: 5}, // root, test., its NS check, z00, its NS check
		{queries: 1, cached: []string{". walk", "test. walk", "test. child-ns", "z00.test. child-ns"}},
		{queries: 1, cached: []string{". walk", "test. walk", "test. child-ns", "z00.test. child-ns"}},
		{queries: 3, cached: []string{". walk", "test. child-ns"}}, // a new zone: test. is asked for it
	} {
		d := docs[i]
		var cached []string
		for _, h := range d.Hops {
			if !h.Cached {
				continue
			}
			cached = append(cached, h.Zone+" "+h.Purpose)
			if h.RTT == nil || *h.RTT != 0 {
				t.Errorf("%s: cached hop at %s has rtt_us %v, want 0", d.Question.Name, h.Zone, h.RTT)
			}
		}
		if d.Queries != w.queries || !slices.Equal(cached, w.cached) {
			t.Errorf("%s: %d queries, cached hops %q; want %d, %q", d.Question.Name, d.Queries, cached, w.queries, w.cached)
		}
	}

	// The tree marks them too.
	stdout.Reset()
	if code := Main([]string{"--lab", labDir, "-f", names, "-j", "1", "-v", "--no-timings"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if n := strings.Count(stdout.String(), " cache "); n != 5 {
		t.Errorf("-v: %d hops marked cache, want 5:\n%s", n, stdout.String())
	}
}

// TestBatchExitCodes checks that a batch exits with the worst of its
// names' exit codes: 0, then 3 (findings), 1 (failed), 2 (bad line).
func TestBatchExitCodes(t *testing.T) {
	// z01's first server is down (an error finding, unreachable-server);
	// both of z02's are (the walk fails).
	conf := "fault ns1.z01.test down\nfault ns1.z02.test down\nfault ns2.z02.test down\n"
	for _, c := range []struct {
		list   []string
		code   int
		stderr string
	}{
		{[]string{"h00.z00.test", "h01.z00.test"}, exitOK, ""},
		{[]string{"h00.z00.test", "h00.z01.test"}, exitFindings, "1 of 2 names with error findings"},
		{[]string{"h00.z02.test", "h00.z01.test", "h00.z00.test"}, exitFailed, "1 of 3 names failed; 1 of 3 names with error findings"},
		{[]string{"h00.z00.test", "h00.z00.test BAD", "h00.z02.test"}, exitUsage, "1 of 2 names failed; 1 bad line in"},
	} {
		labDir, names := testLab(t, 3, 1, conf, c.list)
		var stdout, stderr bytes.Buffer
		code := Main([]string{"--lab", labDir, "-f", names, "--hedge", "off", "--timeout", "100ms", "--tries", "1"}, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.list, code, stderr.String(), c.code, c.stderr)
		}
		if c.code == exitOK && stderr.Len() > 0 {
			t.Errorf("%q: stderr %q, want nothing", c.list, stderr.String())
		}
	}
}

// TestBatchBadLines checks that a bad line is reported with its line
// number and the names around it are traced.
func TestBatchBadLines(t *testing.T) {
	list := []string{
		"# names to audit",
		"h00.z00.test",
		"",
		"h01.z00.test AAA",
		"h01.z00.test NS # a comment",
		"h02.z00.test A IN",
		"h02.z00.test",
	}
	labDir, names := testLab(t, 1, 3, "", list)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"--lab", labDir, "-f", names, "-o", "jsonl"}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	wantErr := fmt.Sprintf("nstrace: %[1]s:4: unknown record type \"AAA\"\n"+
		"nstrace: %[1]s:6: want NAME [TYPE], not 3 words\n"+
		"nstrace: 2 bad lines in %[1]s\n", names)
	if stderr.String() != wantErr {
		t.Errorf("stderr =\n%s\nwant\n%s", stderr.String(), wantErr)
	}
	var got []string
	for _, d := range readLines(t, stdout.String()) {
		got = append(got, d.Question.Name+" "+d.Question.Type)
	}
	if want := []string{"h00.z00.test. A", "h01.z00.test. NS", "h02.z00.test. A"}; !slices.Equal(got, want) {
		t.Errorf("traced %q, want %q", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for a test to read while a batch writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBatchInterrupt stops a batch, as Ctrl-C does, while the fourth name
// waits on a slow zone: the three before it are written, in order; the
// names after it are not, even those already traced; the exit code is 130
// and stderr says where the rest start.
func TestBatchInterrupt(t *testing.T) {
	list := []string{"h00.z00.test", "h01.z00.test", "h02.z00.test", "h00.z01.test", "h03.z00.test", "h04.z00.test"}
	conf := "fault ns1.z01.test delay 10s\nfault ns2.z01.test delay 10s\n"
	labDir, names := testLab(t, 2, 5, conf, list)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	var stderr bytes.Buffer
	cmd := newRootCmd(&stdout)
	cmd.SetArgs([]string{"--lab", labDir, "-f", names, "-j", "4", "-o", "jsonl", "--timeout", "30s", "--hedge", "off"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- cmd.ExecuteContext(ctx) }()
	// Wait until the three names before the slow one are out.
	for strings.Count(stdout.String(), "\n") < 3 {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("after 5s, output %q", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the names after the slow one are traced by now
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the batch went on for 5s after it was interrupted")
	}
	var be exitError
	if !errors.As(err, &be) || be.code != exitInterrupted {
		t.Fatalf("error %v, want an exitError with code %d", err, exitInterrupted)
	}
	if want := fmt.Sprintf("interrupted: 3 traces written, in input order; the rest start at %s:4", names); be.msg != want {
		t.Errorf("message %q, want %q", be.msg, want)
	}
	if got, want := questions(readLines(t, stdout.String())), fqdns(list[:3]); !slices.Equal(got, want) {
		t.Errorf("written %q, want %q", got, want)
	}
}

// TestBatchBounded traces a long list whose first name is slow: the names
// after it are traced meanwhile, but never more than the window ahead, so
// the reorder buffer stays bounded however long the list.
func TestBatchBounded(t *testing.T) {
	list := []string{"h00.z01.test"}
	for range 20 {
		for n := range 10 {
			list = append(list, fmt.Sprintf("h%02d.z00.test", n))
		}
	}
	conf := "fault ns1.z01.test delay 500ms\nfault ns2.z01.test delay 500ms\n"
	labDir, _ := testLab(t, 2, 10, conf, nil)
	s, err := lab.Load(labDir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := resolver.New(resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), Cache: resolver.NewCache()})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	b := &batch{r: r, jobs: 2, source: "names", stderr: &stderr,
		render: func(w io.Writer, t *trace.Trace) error { return render.JSONLine(w, t, render.Options{}) }}
	out := bufio.NewWriter(&stdout)
	tot, err := b.run(context.Background(), b.read(strings.NewReader(strings.Join(list, "\n")), dns.TypeA), out)
	out.Flush()
	if err != nil || tot.written != len(list) || tot.worst != exitOK || stderr.Len() > 0 {
		t.Fatalf("run: %v, %d written, exit %d, stderr %q; want %d written, exit 0", err, tot.written, tot.worst, stderr.String(), len(list))
	}
	if got, want := questions(readLines(t, stdout.String())), fqdns(list); !slices.Equal(got, want) {
		t.Errorf("written %q, want %q", got, want)
	}
	if window := 2 * batchWindow; tot.peak > window || tot.peak < window/2 {
		t.Errorf("%d traces waited in the reorder buffer at most; want up to the window, %d, and no more", tot.peak, window)
	}
}
