package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
)

// writeLab writes a lab's files into a new directory and returns it.
func writeLab(tb testing.TB, files map[string][]byte) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "lab")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// BenchmarkBatch runs "nstrace -f NAMES -o jsonl" in-process on a generated
// lab of 100 zones × 100 names (10,000 names), every server 5ms slow, and
// reports:
//
//   - names/s: names traced per second of wall time;
//   - queries/(names+delegations): the queries sent, over the names plus the
//     distinct delegations crossed; with the shared cache each delegation is
//     asked for once and each name once, so the target is at most 1.05;
//   - peak-RSS-MB: the process's peak resident set (VmHWM), lab included;
//     target at most 200.
//
// Run it once: go test -run '^$' -bench Batch -benchtime 1x ./cmd/nstrace
func BenchmarkBatch(b *testing.B) {
	zones, names, delay := 100, 100, 5*time.Millisecond
	if n, err := strconv.Atoi(os.Getenv("NSTRACE_BENCH_NAMES_PER_ZONE")); err == nil && n > 0 {
		names = n // a longer list, to see that memory stays flat
	}
	files, list := labtest.Batch(zones, names, delay)
	if _, err := lab.Parse("batch", files); err != nil {
		b.Fatal(err)
	}
	dir := writeLab(b, files)
	input := filepath.Join(b.TempDir(), "names.txt")
	if err := os.WriteFile(input, []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	jobs := strconv.Itoa(8)
	if j := os.Getenv("NSTRACE_BENCH_JOBS"); j != "" {
		jobs = j
	}
	var wall time.Duration
	var st jsonlStats
	for b.Loop() {
		st = jsonlStats{delegations: map[string]bool{}}
		pr, pw := io.Pipe()
		var wg sync.WaitGroup
		wg.Go(func() { st.read(pr) })
		var stderr bytes.Buffer
		start := time.Now()
		code := Main([]string{"--lab", dir, "-f", input, "-j", jobs, "-o", "jsonl"}, pw, &stderr)
		wall += time.Since(start)
		pw.Close()
		wg.Wait()
		if code != exitOK || st.err != nil || st.traces != len(list) || st.answers != len(list) {
			b.Fatalf("exit %d, %d traces, %d answers, %v; want 0, %d answers; stderr: %s",
				code, st.traces, st.answers, st.err, len(list), stderr.String())
		}
	}
	b.ReportMetric(float64(len(list)*b.N)/wall.Seconds(), "names/s")
	b.ReportMetric(float64(st.queries)/float64(len(list)+len(st.delegations)), "queries/(names+delegations)")
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MB")
	b.Logf("%d names, %d distinct delegations, %d queries (%d child-ns checks), %d cached hops, -j %s",
		len(list), len(st.delegations), st.queries, st.checks, st.cached, jobs)
}

// jsonlStats reads JSON Lines and counts what BenchmarkBatch reports.
type jsonlStats struct {
	traces, answers, queries, checks, cached int
	delegations                              map[string]bool // "PARENT CHILD"
	err                                      error
}

func (s *jsonlStats) read(r io.Reader) {
	type hop struct {
		Purpose  string `json:"purpose"`
		Zone     string `json:"zone"`
		Cached   bool   `json:"cached"`
		Referral *struct {
			Zone string `json:"zone"`
		} `json:"referral"`
		Lookups []json.RawMessage `json:"lookups"`
	}
	var doc struct {
		Outcome string `json:"outcome"`
		Queries int    `json:"queries"`
		Hops    []hop  `json:"hops"`
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		doc.Hops = doc.Hops[:0]
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil && s.err == nil {
			s.err = err
		}
		s.traces++
		if doc.Outcome == "answer" {
			s.answers++
		}
		s.queries += doc.Queries
		for _, h := range doc.Hops {
			if h.Referral != nil {
				s.delegations[h.Zone+" "+h.Referral.Zone] = true
			}
			if h.Purpose == "child-ns" && !h.Cached {
				s.checks++
			}
			if h.Cached {
				s.cached++
			}
		}
	}
	if err := sc.Err(); err != nil && s.err == nil {
		s.err = err
	}
	io.Copy(io.Discard, r)
}

// peakRSS is the process's peak resident set size in bytes, from VmHWM in
// /proc/self/status; 0 where there is no such file.
func peakRSS(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Logf("peak RSS: %v", err)
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// TestWriteBatchLab writes BenchmarkBatch's lab and list of names into the
// directory $NSTRACE_BATCH_LAB (lab/ and names.txt), to run the nstrace
// binary on them, e.g. under /usr/bin/time (scripts/batch-bench); it is
// skipped when that is not set.
func TestWriteBatchLab(t *testing.T) {
	dir := os.Getenv("NSTRACE_BATCH_LAB")
	if dir == "" {
		t.Skip("NSTRACE_BATCH_LAB is not set")
	}
	files, list := labtest.Batch(100, 100, 5*time.Millisecond)
	if _, err := lab.Parse("batch", files); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lab"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, "lab", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "names.txt"), []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
