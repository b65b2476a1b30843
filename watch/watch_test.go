package watch

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"

	"github.com/nstrace/nstrace/batch"
	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// syncBuffer is a bytes.Buffer safe for the watch and the test at once.
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

// names makes the watch's names of "NAME TYPE" strings.
func names(t testing.TB, qs ...string) []batch.Name {
	t.Helper()
	var out []batch.Name
	for n, err := range batch.Read(strings.NewReader(strings.Join(qs, "\n")), "test", dns.TypeA) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// labOptions are the resolver's options for l, with short timeouts.
func labOptions(l *lab.Lab) resolver.Options {
	return resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), TrustAnchors: l.Scenario().Anchors(), Timeout: 300 * time.Millisecond, Tries: 1}
}

// run watches qs on l for cycles cycles, calling after after each, and
// returns the watcher and the events written.
func run(t *testing.T, l *lab.Lab, cycles int, after func(int), qs ...string) (*Watcher, []Event) {
	t.Helper()
	var events, log syncBuffer
	w, err := New(Options{Resolver: labOptions(l), Names: names(t, qs...), Every: time.Millisecond, Cycles: cycles, Events: &events, Log: &log, AfterCycle: after})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(t.Context()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if log.String() != "" {
		t.Errorf("log:\n%s", log.String())
	}
	var out []Event
	for line := range strings.Lines(events.String()) {
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return w, out
}

// metric gives the value of the series of the metric name whose labels
// include those given ("k=v"), and whether there is one.
func metric(t *testing.T, w *Watcher, name string, labels ...string) (float64, bool) {
	t.Helper()
	mfs, err := w.Registry().Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if has(m, labels) {
				switch {
				case m.Gauge != nil:
					return m.Gauge.GetValue(), true
				case m.Counter != nil:
					return m.Counter.GetValue(), true
				}
			}
		}
	}
	return 0, false
}

func has(m *dto.Metric, labels []string) bool {
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if !slices.ContainsFunc(m.GetLabel(), func(p *dto.LabelPair) bool { return p.GetName() == k && p.GetValue() == v }) {
			return false
		}
	}
	return true
}

// wantMetric checks one series' value.
func wantMetric(t *testing.T, w *Watcher, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := metric(t, w, name, labels...)
	switch {
	case !ok:
		t.Errorf("%s%q: no such series", name, labels)
	case got != want:
		t.Errorf("%s%q = %v, want %v", name, labels, got, want)
	}
}

var demoNames = []string{"www.example.com", "example.com MX", "nope.example.com", "api.dev.example.com", "www.vanity.net", "www.halfdead.com"}

// TestSteady watches the demo lab, where nothing changes: no event, and
// the metrics of what it holds.
func TestSteady(t *testing.T) {
	l := labtest.Start(t, "demo")
	w, events := run(t, l, 3, nil, demoNames...)
	if len(events) > 0 {
		t.Errorf("%d events where nothing changed; the first: %s", len(events), events[0].Diff)
	}
	wantMetric(t, w, 3, "nstrace_watch_cycles_total")
	wantMetric(t, w, float64(len(demoNames)), "nstrace_watch_names")
	for _, q := range []string{"www.example.com.", "nope.example.com.", "www.halfdead.com."} {
		wantMetric(t, w, 1, "nstrace_trace_success", "name="+q, "type=A")
		wantMetric(t, w, 0, "nstrace_trace_stale", "name="+q, "type=A")
	}
	wantMetric(t, w, 1, "nstrace_trace_outcome", "name=nope.example.com.", "outcome=nxdomain")
	wantMetric(t, w, 1, "nstrace_zone_nameserver_info", "zone=example.com.", "nameserver=ns1.dnsprovider.eu.")
	wantMetric(t, w, 0, "nstrace_delegation_changes_total", "zone=example.com.")
	wantMetric(t, w, 2025011501, "nstrace_zone_soa_serial", "zone=example.com.", "server=ns1.dnsprovider.eu.")
	// halfdead.com's ns1 is down: it is unreachable, ns2 is not.
	wantMetric(t, w, 0, "nstrace_server_reachable", "zone=halfdead.com.", "server=ns1.halfdead.com.")
	wantMetric(t, w, 1, "nstrace_server_reachable", "zone=halfdead.com.", "server=ns2.halfdead.com.")
	wantMetric(t, w, 1, "nstrace_server_authoritative", "zone=halfdead.com.", "server=ns2.halfdead.com.")
}

// TestChange changes a zone under a running watch: the next cycle writes
// the event, with the diff, and the metrics follow.
func TestChange(t *testing.T) {
	l := labtest.Start(t, "demo")
	zone, ok := lab.Demo().File("example.com.zone")
	if !ok {
		t.Fatal("the demo has no example.com.zone")
	}
	after := func(cycle int) {
		if cycle != 1 {
			return
		}
		edited := strings.Replace(string(zone), "2025011501", "2025011502", 1)
		edited = strings.Replace(edited, "www\t\tIN\tA\t192.0.2.10", "www\t\tIN\tA\t192.0.2.99", 1)
		if err := l.SetZone("example.com.zone", []byte(edited)); err != nil {
			t.Fatal(err)
		}
	}
	w, events := run(t, l, 3, after, "www.example.com", "www.vanity.net")
	if len(events) != 1 {
		t.Fatalf("%d events, want 1: %v", len(events), events)
	}
	ev := events[0]
	if ev.Question.Name != "www.example.com." || ev.Question.Type != "A" || ev.Outcome != "answer" {
		t.Errorf("event of %v, outcome %s; want www.example.com. A, answer", ev.Question, ev.Outcome)
	}
	if !slices.Contains(ev.Kinds, "answer") {
		t.Errorf("event kinds %q, want answer among them", ev.Kinds)
	}
	if !strings.Contains(string(ev.Diff), "192.0.2.99") || !strings.Contains(string(ev.Diff), `"changed":true`) {
		t.Errorf("event's diff lacks the new address: %s", ev.Diff)
	}
	wantMetric(t, w, 1, "nstrace_watch_events_total")
}

// TestStale takes a zone's servers down under the watch: its name keeps
// its last good metrics, marked stale, and the other name is not held up.
func TestStale(t *testing.T) {
	l := labtest.Start(t, "demo")
	conf, _ := lab.Demo().File(lab.ManifestName)
	var good float64
	var w *Watcher
	after := func(cycle int) {
		if cycle != 1 {
			return
		}
		good, _ = metric(t, w, "nstrace_trace_timestamp_seconds", "name=www.vanity.net.")
		down := string(conf) + "fault ns1.vanity.net down\nfault ns2.vanity.net down\n"
		if err := l.SetZone(lab.ManifestName, []byte(down)); err != nil {
			t.Fatal(err)
		}
	}
	var events, log syncBuffer
	var err error
	w, err = New(Options{Resolver: labOptions(l), Names: names(t, "www.vanity.net", "www.example.com"), Every: time.Millisecond, Cycles: 2, Events: &events, Log: &log, AfterCycle: after})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantMetric(t, w, 0, "nstrace_trace_success", "name=www.vanity.net.")
	wantMetric(t, w, 1, "nstrace_trace_stale", "name=www.vanity.net.")
	wantMetric(t, w, 1, "nstrace_trace_outcome", "name=www.vanity.net.", "outcome=answer")
	wantMetric(t, w, good, "nstrace_trace_timestamp_seconds", "name=www.vanity.net.")
	wantMetric(t, w, 0, "nstrace_server_reachable", "zone=vanity.net.", "server=ns1.vanity.net.")
	wantMetric(t, w, 1, "nstrace_trace_success", "name=www.example.com.")
	wantMetric(t, w, 0, "nstrace_trace_stale", "name=www.example.com.")
	if !strings.Contains(events.String(), `"outcome":"failed"`) {
		t.Errorf("no event of the failed trace: %q", events.String())
	}
}

// TestDNSSEC watches a signed lab: each zone's status and the time left
// before its earliest signature expires.
func TestDNSSEC(t *testing.T) {
	l := labtest.Start(t, "dnssec")
	w, events := run(t, l, 2, nil, "www.example.com", "www.expired.com")
	if len(events) > 0 {
		t.Errorf("events where nothing changed: %s", events[0].Diff)
	}
	wantMetric(t, w, 1, "nstrace_dnssec_status", "zone=example.com.", "status=secure")
	wantMetric(t, w, 1, "nstrace_dnssec_status", "zone=expired.com.", "status=bogus")
	left, ok := metric(t, w, "nstrace_dnssec_rrsig_expiry_seconds", "zone=example.com.")
	if month := 30 * 24 * time.Hour; !ok || left <= 0 || left > month.Seconds() {
		t.Errorf("example.com.'s signatures expire in %vs (%v), want within the 30 days they are made for", left, ok)
	}
	if left, ok := metric(t, w, "nstrace_dnssec_rrsig_expiry_seconds", "zone=expired.com."); !ok || left >= 0 {
		t.Errorf("expired.com.'s signatures expire in %vs (%v), want negative", left, ok)
	}
}

// TestDelegationChange moves a zone to one server only: once the
// parent's referral's TTL (1s here) is over, the watch sees it.
func TestDelegationChange(t *testing.T) {
	com := func(ns ...string) string {
		s := "$ORIGIN com.\n$TTL 1\n@ 900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900\n@ 172800 IN NS a.gtld-servers.net.\n"
		for _, n := range ns {
			s += "example IN NS " + n + ".example.com.\n"
		}
		return s + "ns1.example IN A 45.33.10.1\nns2.example IN A 94.130.20.2\n"
	}
	files := map[string][]byte{
		"root.zone": []byte("$ORIGIN .\n$TTL 86400\n. IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400\n. IN NS a.root-servers.net.\n" +
			"com. IN NS a.gtld-servers.net.\na.root-servers.net. IN A 198.41.0.4\na.gtld-servers.net. IN A 192.5.6.30\n"),
		"com.zone": []byte(com("ns1", "ns2")),
		"example.com.zone": []byte("$ORIGIN example.com.\n$TTL 1\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 1\n@ IN NS ns1\n@ IN NS ns2\n" +
			"ns1 IN A 45.33.10.1\nns2 IN A 94.130.20.2\nwww IN A 192.0.2.10\n"),
	}
	l := labtest.StartFiles(t, "ttl1", files)
	after := func(cycle int) {
		if cycle != 1 {
			return
		}
		if err := l.SetZone("com.zone", []byte(com("ns1"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // the TTL of what the watch keeps
	}
	w, events := run(t, l, 2, after, "www.example.com")
	if len(events) != 1 || !slices.Contains(events[0].Kinds, "ns") {
		t.Fatalf("events %v, want one of kind ns", events)
	}
	wantMetric(t, w, 1, "nstrace_delegation_changes_total", "zone=example.com.")
	if _, ok := metric(t, w, "nstrace_zone_nameserver_info", "zone=example.com.", "nameserver=ns2.example.com."); ok {
		t.Error("ns2.example.com. is still listed in example.com.'s NS set")
	}
}

// TestMemoryFlat runs many cycles and checks that the heap does not grow
// with them: what a watch keeps is bounded by its names, not its age.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("many cycles")
	}
	l := labtest.Start(t, "demo")
	const early, late = 20, 120
	var at20, at200 uint64
	after := func(cycle int) {
		switch cycle {
		case early:
			at20 = liveHeap()
		case late:
			at200 = liveHeap()
		}
	}
	run(t, l, late, after, slices.DeleteFunc(slices.Clone(demoNames), func(q string) bool {
		return strings.Contains(q, "halfdead") // its dead server makes each cycle wait
	})...)
	// A trace kept per cycle would add megabytes; the slack is for the
	// runtime's own bookkeeping.
	if limit := at20 + at20/4 + 1<<20; at200 > limit {
		t.Errorf("heap after %d cycles %d bytes, after %d %d: it grows with the cycles", early, at20, late, at200)
	}
	t.Logf("heap after %d cycles %d bytes, after %d %d", early, at20, late, at200)
}

// TestNew refuses what cannot be watched.
func TestNew(t *testing.T) {
	q := []batch.Name{{Question: trace.Question{Name: "example.com.", Qtype: dns.TypeA}}}
	for _, o := range []Options{{}, {Names: q, Every: -time.Second}, {Names: q, Cycles: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}
