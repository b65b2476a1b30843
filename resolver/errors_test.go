package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/trace"
)

// TestReasonOf: each error the walk makes has its reason, wherever it is
// wrapped; nstrace's own limits win over a zone's failure they caused.
func TestReasonOf(t *testing.T) {
	zoneErr := func(errs ...error) error {
		z := &ZoneError{Zone: "example.com."}
		for _, e := range errs {
			z.Attempts = append(z.Attempts, Attempt{Err: e})
		}
		return z
	}
	tests := []struct {
		err  error
		want trace.Reason
	}{
		{nil, trace.ReasonNone},
		{context.Canceled, trace.ReasonCancelled},
		{fmt.Errorf("walk: %w", context.DeadlineExceeded), trace.ReasonCancelled},
		{errorf(ErrDeadline, "the trace took longer than 1s"), trace.ReasonDeadline},
		{errorf(ErrMaxQueries, "200 queries"), trace.ReasonQueryLimit},
		{errorf(ErrMaxDepth, "more than 30"), trace.ReasonReferralLimit},
		{zoneErr(RcodeError(dns.RcodeRefused)), trace.ReasonAllServersFailed},
		{zoneErr(RcodeError(dns.RcodeRefused), fmt.Errorf("ns A: %w", errorf(ErrMaxDepth, "more than 30"))), trace.ReasonReferralLimit},
		{zoneErr(errorf(ErrMaxNesting, "more than 4")), trace.ReasonAllServersFailed},
		{errorf(ErrMaxNesting, "more than 4"), trace.ReasonNestingLimit},
		{errorf(ErrMaxCNAME, "more than 16"), trace.ReasonCNAMELimit},
		{errorf(ErrLoop, "CNAME loop a. → b. → a."), trace.ReasonLoop},
		{ErrAbandoned, trace.ReasonAbandoned},
		{fmt.Errorf("%w after 2s", ErrTimeout), trace.ReasonTimeout},
		// Only a failure before any packet left is this host's: an ICMP
		// error that comes back later is the path's, or the server's.
		{noRouteError{family: "IPv6", errno: syscall.ENETUNREACH}, trace.ReasonNoRoute},
		{noRouteError{family: "IPv4", errno: syscall.EADDRNOTAVAIL}, trace.ReasonNoRoute},
		{&NoRouteError{Zone: ".", Err: syscall.ENETUNREACH}, trace.ReasonNoRoute},
		{fmt.Errorf("ns1.example.net. A: %w", &NoRouteError{Zone: "net.", Err: syscall.ENETUNREACH}), trace.ReasonNoRoute},
		{fmt.Errorf("%w: %w", errNetwork, syscall.ENETUNREACH), trace.ReasonNetwork},
		{fmt.Errorf("%w: %w", errNetwork, syscall.EHOSTUNREACH), trace.ReasonNetwork},
		{fmt.Errorf("%w: %w", errNetwork, io.EOF), trace.ReasonNetwork},
		{ErrTruncatedTCP, trace.ReasonTruncated},
		{badReply{errors.New("a malformed reply")}, trace.ReasonBadReply},
		{RcodeError(dns.RcodeRefused), trace.ReasonRefused},
		{RcodeError(dns.RcodeServerFailure), trace.ReasonServfail},
		{RcodeError(dns.RcodeNotImplemented), trace.ReasonRcode},
		{fmt.Errorf("%w: no root server", ErrNoServers), trace.ReasonNoServers},
		{errors.New("something else"), trace.ReasonNone},
	}
	for _, tt := range tests {
		if got := reasonOf(tt.err); got != tt.want {
			t.Errorf("reasonOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestLoopsIn: every delegation loop behind an error, each once.
func TestLoopsIn(t *testing.T) {
	loop := func(names ...string) error { return fmt.Errorf("%w: %w", ErrLoop, loopChain(names)) }
	err := &ZoneError{Zone: "a.", Attempts: []Attempt{
		{Err: fmt.Errorf("ns.b. A: %w", &ZoneError{Zone: "b.", Attempts: []Attempt{{Err: loop("ns.b.", "ns.a.", "ns.b.")}}})},
		{Err: loop("ns.b.", "ns.a.", "ns.b.")},
		{Err: errFatal{loop("ns.c.", "ns.c.")}},
		{Err: ErrTimeout},
	}}
	got := loopsIn(err)
	want := "[[ns.b. ns.a. ns.b.] [ns.c. ns.c.]]"
	if fmt.Sprint(got) != want {
		t.Errorf("loopsIn = %v, want %s", got, want)
	}
	if e := loop("ns.b.", "ns.a.", "ns.b."); e.Error() != "delegation loop: ns.b. needs ns.a. needs ns.b." || !errors.Is(e, ErrLoop) {
		t.Errorf("loop error = %q, want the chain after ErrLoop's text", e)
	}
}
