package preflight

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/labtest"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// labOptions asks the migration lab, one server at a time.
func labOptions(t *testing.T) Options {
	t.Helper()
	l := labtest.Start(t, "migration")
	return Options{Resolver: resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), Timeout: time.Second, HedgeDelay: -1}}
}

func delegation(zone string, ns ...string) *trace.Delegation {
	d := &trace.Delegation{Zone: zone}
	for _, n := range ns {
		d.NS = append(d.NS, trace.NS{Name: n})
	}
	return d
}

// TestRun checks a move that would break the zone and one that would not,
// with the default questions: each is asked on both sides, in order, and
// every proposed server is asked.
func TestRun(t *testing.T) {
	o := labOptions(t)
	for _, c := range []struct {
		zone   string
		to     *trace.Delegation
		breaks bool
	}{
		{"example.com.", delegation("example.com.", "ns1.newdns.net.", "ns2.newdns.net."), true},
		{"example.org.", delegation("example.org.", "ns1.newdns.net.", "ns3.newdns.net."), false},
	} {
		r, err := Run(context.Background(), o, c.zone, c.to)
		if err != nil || r == nil {
			t.Fatalf("Run(%s) = %v, %v", c.zone, r, err)
		}
		if !r.Checked || r.Breaks() != c.breaks || r.Duration <= 0 {
			t.Errorf("Run(%s): Checked %v, Breaks %v, Duration %v; want true, %v, > 0", c.zone, r.Checked, r.Breaks(), r.Duration, c.breaks)
		}
		var got []string
		for _, rec := range r.Records {
			got = append(got, rec.Question.Name+" "+trace.TypeString(rec.Question.Qtype))
		}
		var want []string
		for _, q := range DefaultQuestions(c.zone) {
			want = append(want, q.Name+" "+trace.TypeString(q.Qtype))
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("Run(%s) records %q, want %q", c.zone, got, want)
		}
		if len(r.Servers) != 2 {
			t.Errorf("Run(%s): %d proposed server addresses, want 2", c.zone, len(r.Servers))
		}
	}
}

// TestRunNotChecked aims the walks at a root that does not answer: no
// question resolves and no walk reaches the proposed servers.
func TestRunNotChecked(t *testing.T) {
	o := labOptions(t)
	o.Resolver.RootHints = []trace.Server{{Name: "a.root-servers.net.", Addr: netip.MustParseAddr("192.0.2.53"), Source: trace.SourceHints}}
	o.Resolver.Timeout, o.Resolver.Tries = 50*time.Millisecond, 1
	o.Questions = []trace.Question{{Name: "www.example.com.", Qtype: dns.TypeA}}
	r, err := Run(context.Background(), o, "example.com.", delegation("example.com.", "ns1.newdns.net."))
	if r == nil || r.Checked || err == nil || !strings.HasPrefix(err.Error(), "could not check: ") {
		t.Errorf("Run = %v, %v; want a report not checked and an error saying so", r, err)
	}
}

func TestRunErrors(t *testing.T) {
	o := labOptions(t)
	to := delegation("example.com.", "ns1.newdns.net.")

	bad := o
	bad.Resolver.RootHints = []trace.Server{}
	r, err := Run(context.Background(), bad, "example.com.", to)
	var oe *OptionsError
	if r != nil || !errors.As(err, &oe) || !errors.Is(err, resolver.ErrNoServers) {
		t.Errorf("Run with no root hints = %v, %v; want an *OptionsError", r, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := Run(ctx, o, "example.com.", to); r != nil || err == nil {
		t.Errorf("Run after ctx is done = %v, %v; want no report and an error", r, err)
	}

	refused := o
	refused.Questions = []trace.Question{{Name: "bad..name.", Qtype: dns.TypeA}}
	if r, err := Run(context.Background(), refused, "example.com.", to); r != nil || !errors.Is(err, resolver.ErrBadName) {
		t.Errorf("Run with a bad name = %v, %v; want no report and ErrBadName", r, err)
	}
}
