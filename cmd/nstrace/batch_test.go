package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
)

// testLab writes a generated lab (see labtest.Batch) with the manifest lines
// conf added, and a list of names; it returns the lab's directory and the
// list's path.
func testLab(t *testing.T, zones, names int, conf string, list []string) (labDir, listFile string) {
	t.Helper()
	files, _ := labtest.Batch(zones, names, 0)
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
	// --hedge off: a hedge fired by a late reply would add a query.
	if code := Main([]string{"--lab", labDir, "-f", names, "-j", "1", "--hedge", "off", "-o", "jsonl"}, &stdout, &stderr); code != exitOK {
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
		// root, test., its NS check, z00, and the checks of z00's two
		// servers: the question (the walk's reply, for the server the
		// walk asked), the SOA and the NS set each, and their eight
		// protocol probes each
		{queries: 9 + 2*8, cached: []string{"z00.test. check"}},
		// the checks of z00 come from the cache, but the first name's question
		{queries: 1, cached: []string{". walk", "test. walk", "test. child-ns", "z00.test. soa", "z00.test. child-ns", "z00.test. soa", "z00.test. child-ns"}},
		{queries: 1, cached: []string{". walk", "test. walk", "test. child-ns", "z00.test. soa", "z00.test. child-ns", "z00.test. soa", "z00.test. child-ns"}},
		{queries: 7 + 2*8, cached: []string{". walk", "test. child-ns", "z01.test. check"}}, // a new zone: test. is asked for it, and z01 checked and probed
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
		// 500ms: short for the down servers, long enough that a loaded
		// machine never makes a healthy lab server time out.
		code := Main([]string{"--lab", labDir, "-f", names, "--hedge", "off", "--timeout", "500ms", "--tries", "1"}, &stdout, &stderr)
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

// lineSignal is a writer, safe for a test to read while a batch writes,
// that closes lines once n lines are written.
type lineSignal struct {
	mu    sync.Mutex
	b     bytes.Buffer
	n     int
	lines chan struct{}
}

func (s *lineSignal) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := strings.Count(s.b.String(), "\n")
	s.b.Write(p)
	if after := strings.Count(s.b.String(), "\n"); before < s.n && after >= s.n {
		close(s.lines)
	}
	return len(p), nil
}

func (s *lineSignal) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBatchInterrupt stops a batch, as Ctrl-C does, once the three names
// before a slow one are written: the fourth waits on the slow zone, so
// nothing more is written; the exit code is 130 and stderr says where the
// rest start. (batch.TestRunInterrupt shows that names after the slow one,
// traced already, are not given back.)
func TestBatchInterrupt(t *testing.T) {
	list := []string{"h00.z00.test", "h01.z00.test", "h02.z00.test", "h00.z01.test", "h03.z00.test", "h04.z00.test"}
	conf := "fault ns1.z01.test delay 10s\nfault ns2.z01.test delay 10s\n"
	labDir, names := testLab(t, 2, 5, conf, list)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &lineSignal{n: 3, lines: make(chan struct{})}
	var stderr bytes.Buffer
	cmd := newRootCmd(stdout)
	cmd.SetArgs([]string{"--lab", labDir, "-f", names, "-j", "4", "-o", "jsonl", "--timeout", "30s", "--hedge", "off"})
	cmd.SetOut(stdout)
	cmd.SetErr(&stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case <-stdout.lines:
	case err := <-done:
		t.Fatalf("the batch ended (%v) before writing 3 lines: %q", err, stdout.String())
	}
	cancel()
	err := <-done
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

// TestBatchGarbage traces a list with binary garbage in it: each bad line
// is named on stderr with its line and why, the names are traced, and the
// summary's totals count the rows of its table.
func TestBatchGarbage(t *testing.T) {
	list := []string{"h00.z00.test", "\x00\x01\xff\xfe garbage", "\xc3\x28", "h01.z00.test \x80MX", strings.Repeat("\xfa", 5000), "h01.z00.test"}
	labDir, names := testLab(t, 1, 2, "", list)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"--lab", labDir, "-f", names, "--no-timings"}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for i, want := range []string{":2: control character U+0000 at column 1", ":3: byte 0xc3 at column 1 is not UTF-8 text", ":4: byte 0x80 at column 14 is not UTF-8 text", ":5: longer than 4096 bytes"} {
		if i >= len(lines) || !strings.HasPrefix(lines[i], "nstrace: "+names+want) {
			t.Errorf("stderr line %d: want %q…; stderr:\n%s", i+1, "nstrace: "+names+want, stderr.String())
		}
	}
	rows := 0
	for line := range strings.Lines(stdout.String()) {
		if strings.HasPrefix(line, "answer ") || strings.HasPrefix(line, "nxdomain ") || strings.HasPrefix(line, "failed ") {
			rows++
		}
	}
	if total := fmt.Sprintf("%d names:", rows); rows != 2 || !strings.Contains(stdout.String(), total) {
		t.Errorf("%d rows, want 2 and a total of %q:\n%s", rows, total, stdout.String())
	}
	if want := "nstrace: 4 bad lines in " + names; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
}
