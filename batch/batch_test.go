package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// testResolver serves a generated lab (see labtest.Batch) of zones z00.test.
// … with names h00 … each, with the manifest lines conf, and returns a
// resolver with a cache that asks it, one server at a time, with o's
// timeout (30s when it gives none) and observer.
func testResolver(t *testing.T, zones, names int, conf string, o resolver.Options) *resolver.Resolver {
	t.Helper()
	files, _ := labtest.Batch(zones, names, 0)
	files["lab.conf"] = []byte(conf)
	l := labtest.StartFiles(t, "batch", files)
	o.Dial, o.RootHints, o.Cache, o.HedgeDelay = l.Dial, l.RootHints(), resolver.NewCache(), -1
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	r, err := resolver.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// list reads names as a list gives them: one NAME [TYPE] a line.
func list(names ...string) iter.Seq2[Name, error] {
	return Read(strings.NewReader(strings.Join(names, "\n")), "names", dns.TypeA)
}

// summary gives each result as "LINE NAME" or "LINE error: MESSAGE".
func summary(r Result) string {
	if r.Trace == nil {
		return fmt.Sprintf("%d error: %v", r.Line, r.Err)
	}
	if r.Trace.Outcome != trace.Answer || r.Err != nil {
		return fmt.Sprintf("%d %s %s: %v", r.Line, r.Question.Name, r.Trace.Outcome, r.Err)
	}
	return fmt.Sprintf("%d %s", r.Line, r.Question.Name)
}

func collect(results <-chan Result) []string {
	var got []string
	for r := range results {
		got = append(got, summary(r))
	}
	return got
}

// TestRunOrder traces, 8 at a time, names whose zones answer slowly
// before names whose zones answer at once, with a bad line among them:
// the results follow the list.
func TestRunOrder(t *testing.T) {
	conf := "fault ns1.z03.test delay 150ms\nfault ns2.z03.test delay 150ms\n" +
		"fault ns1.z02.test delay 60ms\nfault ns2.z02.test delay 60ms\n"
	r := testResolver(t, 4, 4, conf, resolver.Options{})
	var names, want []string
	for z := 3; z >= 0; z-- { // the slowest zone first
		for n := range 4 {
			names = append(names, fmt.Sprintf("h%02d.z%02d.test", n, z))
			want = append(want, fmt.Sprintf("%d h%02d.z%02d.test.", len(names), n, z))
		}
	}
	names = append(names, "h00.z00.test BAD")
	want = append(want, `17 error: names:17: unknown record type "BAD"`)
	got := collect(Run(context.Background(), Options{Resolver: r}, list(names...)))
	if !slices.Equal(got, want) {
		t.Errorf("results\n%s\nwant the list's order\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRunDiagnosed checks that each trace comes with its findings.
func TestRunDiagnosed(t *testing.T) {
	r := testResolver(t, 2, 1, "fault ns1.z01.test down\n", resolver.Options{Timeout: time.Second, Tries: 1})
	for res := range Run(context.Background(), Options{Resolver: r, Jobs: 1}, list("h00.z00.test", "h00.z01.test")) {
		codes := []string{}
		for _, f := range res.Trace.Findings {
			if f.Severity == trace.SeverityError {
				codes = append(codes, f.Code)
			}
		}
		want := []string{}
		if res.Line == 2 {
			want = []string{trace.CodeUnreachableServer}
		}
		if !slices.Equal(codes, want) {
			t.Errorf("%s: error findings %q, want %q", res.Question.Name, codes, want)
		}
	}
}

// TestRunRefused checks that a name the resolver refuses is given back as
// an error of its line, or as is when it comes from no list.
func TestRunRefused(t *testing.T) {
	r := testResolver(t, 1, 1, "", resolver.Options{})
	names := func(yield func(Name, error) bool) {
		_ = yield(Name{Source: "list", Line: 7, Question: trace.Question{Name: "bad..name.", Qtype: dns.TypeA}}, nil) &&
			yield(Name{Question: trace.Question{Name: "bad..name.", Qtype: dns.TypeA}}, nil)
	}
	var got []Result
	for res := range Run(context.Background(), Options{Resolver: r}, names) {
		got = append(got, res)
	}
	var le *LineError
	if len(got) != 2 || !errors.As(got[0].Err, &le) || le.Line != 7 || !strings.HasPrefix(got[0].Err.Error(), "list:7: ") ||
		got[1].Err == nil || errors.As(got[1].Err, &le) {
		t.Errorf("results %+v; want a *LineError of line 7, then the resolver's error", got)
	}
}

// TestRunBounded traces a long list whose first name is slow: the names
// after it are traced meanwhile, but never more than the window ahead, so
// the reorder buffer stays bounded however long the list.
func TestRunBounded(t *testing.T) {
	names := []string{"h00.z01.test"}
	for range 20 {
		for n := range 10 {
			names = append(names, fmt.Sprintf("h%02d.z00.test", n))
		}
	}
	res := testResolver(t, 2, 10, "fault ns1.z01.test delay 500ms\nfault ns2.z01.test delay 500ms\n", resolver.Options{})
	r := newRun(context.Background(), Options{Resolver: res, Jobs: 2})
	go r.run(list(names...))
	got := collect(r.out)
	if len(got) != len(names) {
		t.Fatalf("%d results, want %d", len(got), len(names))
	}
	for i, g := range got {
		if want := fmt.Sprintf("%d %s.", i+1, names[i]); g != want {
			t.Errorf("result %d: %s, want %s", i, g, want)
		}
	}
	if window := 2 * Window; r.peak > window || r.peak < window/2 {
		t.Errorf("%d results waited in the reorder buffer at most; want up to the window, %d, and no more", r.peak, window)
	}
}

// TestRunInterrupt stops a run, as Ctrl-C does, while the fourth name
// waits on a slow zone and the two after it are traced: the three before
// it are given back, in order; those after it are not; the last result
// says the list stopped at line 4.
func TestRunInterrupt(t *testing.T) {
	names := []string{"h00.z00.test", "h01.z00.test", "h02.z00.test", "h00.z01.test", "h03.z00.test", "h04.z00.test"}
	var mu sync.Mutex
	answered := map[string]bool{}
	after := make(chan struct{}) // closed when the names after the slow one have their answers
	obs := &resolver.Observer{HopDone: func(h trace.Hop, depth int) {
		mu.Lock()
		defer mu.Unlock()
		if h.Outcome == trace.Answer && depth == 0 && !answered[h.Question.Name] {
			answered[h.Question.Name] = true
			if answered["h03.z00.test."] && answered["h04.z00.test."] && !answered["both"] {
				answered["both"] = true
				close(after)
			}
		}
	}}
	r := testResolver(t, 2, 5, "fault ns1.z01.test delay 10s\nfault ns2.z01.test delay 10s\n", resolver.Options{Observer: obs})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := Run(ctx, Options{Resolver: r, Jobs: 4}, list(names...))
	var got []string
	for range 3 {
		got = append(got, summary(<-results))
	}
	<-after
	cancel()
	got = append(got, collect(results)...)
	want := []string{"1 h00.z00.test.", "2 h01.z00.test.", "3 h02.z00.test.", "4 error: interrupted"}
	if !slices.Equal(got, want) {
		t.Errorf("results\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRunInterruptReading stops a run whose list is still being read, as
// from a terminal: the names read are given back, and the last result says
// the rest was not read (line 0); nothing waits for the reader.
func TestRunInterruptReading(t *testing.T) {
	r := testResolver(t, 1, 1, "", resolver.Options{})
	more := make(chan struct{})
	defer close(more)
	names := func(yield func(Name, error) bool) {
		if yield(Name{Line: 1, Question: trace.Question{Name: "h00.z00.test.", Qtype: dns.TypeA}}, nil) {
			<-more // input that never comes
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	results := Run(ctx, Options{Resolver: r}, names)
	got := []string{summary(<-results)}
	cancel()
	got = append(got, collect(results)...)
	if want := []string{"1 h00.z00.test.", "0 error: interrupted"}; !slices.Equal(got, want) {
		t.Errorf("results %q, want %q", got, want)
	}
}

// TestRunOffline: when this host cannot reach any root server, no name can
// be traced: the run ends at once with that error, in one Result, rather
// than one failed trace per name.
func TestRunOffline(t *testing.T) {
	r := testResolver(t, 2, 3, "host offline\n", resolver.Options{})
	var got []Result
	for res := range Run(context.Background(), Options{Resolver: r, Jobs: 2}, list("h00.z00.test", "h01.z00.test", "h00.z01.test", "h02.z01.test")) {
		got = append(got, res)
	}
	var nr *resolver.NoRouteError
	if len(got) != 1 || got[0].Trace != nil || !errors.As(got[0].Err, &nr) || nr.Zone != "." || got[0].Line != 1 {
		var s []string
		for _, res := range got {
			s = append(s, summary(res))
		}
		t.Fatalf("Run on an offline host = %q; want one Result, line 1, with a *resolver.NoRouteError for .", s)
	}
}
