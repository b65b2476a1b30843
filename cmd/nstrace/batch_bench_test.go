package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
)

// batchLab writes a lab of one TLD, test., delegating zones z00.test.,
// z01.test., … each to two nameservers with glue, every zone holding names
// h00, h01, … with an A record; every server waits delay before each reply.
// It returns the lab's files and the names, zone by zone, as a batch file
// lists them.
func batchLab(zones, names int, delay time.Duration) (map[string][]byte, []string) {
	var root, tld bytes.Buffer
	root.WriteString(`$ORIGIN .
$TTL 86400
.			86400	IN	SOA	a.root-servers.net. nstld.verisign-grs.com. 2025011500 1800 900 604800 86400
.			518400	IN	NS	a.root-servers.net.
a.root-servers.net.	518400	IN	A	198.41.0.4
test.			172800	IN	NS	a.nic.test.
test.			172800	IN	NS	b.nic.test.
a.nic.test.		172800	IN	A	45.33.1.1
b.nic.test.		172800	IN	A	94.130.1.1
`)
	tld.WriteString(`$ORIGIN test.
$TTL 172800
@		900	IN	SOA	a.nic.test. hostmaster.nic.test. 2025011500 1800 900 604800 900
@			IN	NS	a.nic.test.
@			IN	NS	b.nic.test.
a.nic			IN	A	45.33.1.1
b.nic			IN	A	94.130.1.1
`)
	files := map[string][]byte{}
	var list []string
	for z := range zones {
		// Two nameservers per zone, on separate networks, as RFC 2182 asks.
		ns1 := fmt.Sprintf("45.34.%d.%d", z/250, z%250+1)
		ns2 := fmt.Sprintf("94.131.%d.%d", z/250, z%250+1)
		label := fmt.Sprintf("z%02d", z)
		// The parent's TTLs are the zone's, as they should be.
		fmt.Fprintf(&tld, "%[1]s\t3600\tIN\tNS\tns1.%[1]s.test.\n%[1]s\t3600\tIN\tNS\tns2.%[1]s.test.\n", label)
		fmt.Fprintf(&tld, "ns1.%[1]s\t3600\tIN\tA\t%[2]s\nns2.%[1]s\t3600\tIN\tA\t%[3]s\n", label, ns1, ns2)
		var zf bytes.Buffer
		fmt.Fprintf(&zf, `$ORIGIN %s.test.
$TTL 3600
@	IN	SOA	ns1 hostmaster 2025011500 7200 3600 1209600 3600
@	IN	NS	ns1
@	IN	NS	ns2
ns1	IN	A	%s
ns2	IN	A	%s
`, label, ns1, ns2)
		for n := range names {
			fmt.Fprintf(&zf, "h%02d\tIN\tA\t192.0.2.%d\n", n, n%250+1)
			list = append(list, fmt.Sprintf("h%02d.%s.test", n, label))
		}
		files[label+".test.zone"] = zf.Bytes()
	}
	files["root.zone"] = root.Bytes()
	files["test.zone"] = tld.Bytes()
	if delay > 0 {
		files[lab.ManifestName] = fmt.Appendf(nil, "fault * delay %s\n", delay)
	}
	return files, list
}

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
	files, list := batchLab(zones, names, delay)
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
	files, list := batchLab(100, 100, 5*time.Millisecond)
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
