package trace

// The checks of each server's replies, or their absence: lame-server and
// the referral codes, unreachable-server, lossy-server, unanswered-type,
// tcp-failed, slow-server.

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// SlowRTT is the round-trip time above which a reply earns a slow-server
// finding. Resolvers commonly give a server between 400ms and 1s before
// they ask another, so a server slower than this loses queries it answers.
const SlowRTT = 500 * time.Millisecond

// serverHops groups the hops that asked a server as an authority by zone
// and address, in hop order.
type serverHops struct {
	zone string
	srv  Server
	hops []*Hop
}

// servers finds what the replies, or their absence, say about each server:
// lame-server and the referral codes, unreachable-server, lossy-server,
// unanswered-type, tcp-failed, slow-server.
func (d *diagnosis) servers() {
	var groups []*serverHops
	at := map[string]*serverHops{}
	cut := d.cutShort()
	for _, h := range d.hops {
		// A query this host could not send, or that nstrace itself cut
		// off, says nothing of the server (Reason.Ours).
		if !isAuthorityHop(h) || h.Simulated || h.Outcome == Abandoned || h.Reason.Ours() || d.minimisedFailure(h) || d.minimisedUnjudged(h) {
			continue // a minimised query's failure is diagnose_qmin.go's, or no verdict
		}
		key := canon(h.Zone) + " " + h.Server.Addr.String()
		g, ok := at[key]
		if !ok {
			g = &serverHops{zone: canon(h.Zone), srv: Server{Name: h.Server.Name, Addr: h.Server.Addr}}
			at[key] = g
			groups = append(groups, g)
		}
		g.hops = append(g.hops, h)
	}
	for _, g := range groups {
		srv := &g.srv
		who := serverText(g.srv)
		d.silence(g, cut)
		var slowest *Hop
		for _, h := range g.hops {
			switch {
			case h.Truncated && h.Err != nil:
				d.addCause(who, "tcp", Finding{Code: CodeTCPFailed, Zone: g.zone, Server: srv, Hops: []int{h.ID},
					Message: fmt.Sprintf("%s truncated its UDP reply for %s (TC=1), and the same query over TCP failed (%v): answers too big for UDP cannot be had from it; DNS over TCP is required (RFC 7766)",
						who, g.zone, h.Err)},
					func(n int, names string) string {
						return fmt.Sprintf("%d addresses of the nameservers of %s truncated a UDP reply (TC=1), and the same query over TCP failed: %s; answers too big for UDP cannot be had from them; DNS over TCP is required (RFC 7766)",
							n, g.zone, names)
					})
			case h.Outcome == Lame || h.Outcome == Error && h.Rcode > 0:
				d.lame(g.zone, srv, h)
			}
			if h.Rcode >= 0 && h.RTT > SlowRTT && (slowest == nil || h.RTT > slowest.RTT) {
				slowest = h
			}
		}
		if slowest != nil {
			d.addCause(who, "slow", Finding{Code: CodeSlowServer, Zone: g.zone, Server: srv, Hops: []int{slowest.ID},
				Message: fmt.Sprintf("%s took over half a second to reply for %s: resolvers give up on a server sooner than that, and ask another", who, g.zone)},
				func(n int, names string) string {
					return fmt.Sprintf("%d addresses of the nameservers of %s took over half a second to reply: %s; resolvers give up on a server sooner than that, and ask another", n, g.zone, names)
				})
		}
	}
}

// cutShort gives the zones where nstrace's own end (Ctrl-C, the deadline,
// the query budget: Reason.CutShort) stopped a walk or a lookup: their
// servers were not asked to the end, so silence there is no verdict.
func (d *diagnosis) cutShort() map[string]bool {
	cut := map[string]bool{}
	for _, t := range d.traces {
		if !t.Reason.CutShort() {
			continue
		}
		for i := len(t.Hops) - 1; i >= 0; i-- {
			if h := t.Hops[i]; h != nil && h.Purpose == PurposeWalk {
				cut[canon(h.Zone)] = true
				break
			}
		}
	}
	for _, h := range d.hops {
		if h.Outcome == Abandoned && h.Reason.CutShort() {
			cut[canon(h.Zone)] = true
		}
	}
	return cut
}

// lame records a lame-server finding for a reply h that was not usable, and
// the referral codes when the reply was a referral that did not lead down.
func (d *diagnosis) lame(zone string, srv *Server, h *Hop) {
	who := serverText(*srv)
	msg := ""
	if h.Err != nil {
		msg = h.Err.Error()
	}
	var why string
	cause := string(h.Reason) // what makes it lame, for the group of servers lame alike
	switch {
	case h.Outcome == Error && h.Rcode == dns.RcodeRefused:
		why = "answers REFUSED: it does not serve the zone (a lame delegation)"
	case h.Outcome == Error && h.Rcode == dns.RcodeServerFailure:
		why = "answers SERVFAIL: it is meant to serve the zone but cannot (zone not loaded, expired secondary, or a DNSSEC failure)"
	case h.Outcome == Error:
		why = "answers " + rcodeText(h.Rcode) + ": it does not serve the zone"
		cause = "rcode-" + rcodeText(h.Rcode)
	case h.Reason == ReasonUpwardReferral:
		to := h.ReferredTo
		why = "refers queries up to " + to + " instead of answering: it does not serve the zone"
		d.add(who, Finding{Code: CodeUpwardReferral, Zone: zone, Server: srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s referred a query for %s up to %s; ignored, as a referral must lead down toward the name (RFC 1034 §4.3.2), and the next server was asked", who, zone, to)})
	case h.Reason == ReasonHorizontalReferral:
		why = "refers queries to the zone itself instead of answering: it does not serve the zone"
		d.add(who, Finding{Code: CodeReferralLoop, Zone: zone, Server: srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s referred a query for %s back to %s itself; ignored, as following it would loop, and the next server was asked", who, zone, zone)})
	case h.Reason == ReasonSidewaysReferral:
		to := h.ReferredTo
		why = "refers queries to the unrelated zone " + to + " instead of answering: it does not serve the zone"
		d.add(who, Finding{Code: CodeSidewaysReferral, Zone: zone, Server: srv, Hops: []int{h.ID},
			Message: fmt.Sprintf("%s referred a query for %s to %s, which is not below it; ignored, as a server may only speak for its own zone (RFC 2181 §5.4.1), and the next server was asked", who, zone, to)})
	case h.Rcode >= 0 && !h.AA:
		why = "answers without the AA bit: it is not authoritative for the zone, and resolvers will not trust what it says"
	default:
		why = "gives no usable reply (" + msg + ")"
		cause = "" // a reply of its own kind: no group
	}
	f := Finding{Code: CodeLameServer, Zone: zone, Server: srv, Hops: []int{h.ID},
		Message: fmt.Sprintf("%s is listed as a nameserver of %s but %s", who, zone, why)}
	if cause == "" {
		d.add(who, f)
		return
	}
	if h.ReferredTo != "" {
		cause += " " + canon(h.ReferredTo) // lame alike only when referring to the same zone
	}
	d.addCause(who, cause, f, func(n int, names string) string {
		return fmt.Sprintf("%d addresses of the nameservers of %s are lame: %s; each %s", n, zone, names, why)
	})
}

// rcodeText names an RCODE as renderers do: 16 is BADVERS in a reply to a
// query with EDNS (RFC 6891), never the TSIG BADSIG nstrace never asks for.
func rcodeText(rc int) string {
	if rc == dns.RcodeBadVers {
		return "BADVERS"
	}
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}

// silence says what the queries a server left unanswered mean, counting
// every query sent to it as an authority for the zone, retries included
// (those abandoned, or cut off by nstrace's own limits or this host, say
// nothing): no reply to any is unreachable-server, unless the only one was
// a child NS check, sent once; every query of some types unanswered, each
// type at least twice, while every other was answered, is unanswered-type
// (a filter that drops the type); two or more unanswered among answers is
// lossy-server, a warning (one lost datagram, answered when asked again,
// is the internet's, not the server's). Silence is never a lame server,
// and no verdict at all in a zone where nstrace's own end cut the walk
// short (cut, see cutShort).
func (d *diagnosis) silence(g *serverHops, cut map[string]bool) {
	var answered, silent, timedOut []*Hop
	for _, h := range g.hops {
		switch {
		case h.Rcode >= 0 || h.Truncated:
			answered = append(answered, h)
		case h.Err != nil && !h.Reason.Ours():
			silent = append(silent, h)
			if h.Reason == ReasonTimeout {
				timedOut = append(timedOut, h)
			}
		}
	}
	who, srv := serverText(g.srv), &g.srv
	n := len(answered) + len(silent)
	switch {
	case len(silent) == 0:
	case len(answered) == 0 && cut[g.zone]:
	case len(answered) == 0 && len(silent) == 1 && silent[0].Purpose == PurposeChildNS:
	case len(answered) == 0 && d.repliesElsewhere(g.zone, g.srv.Addr):
		// It answers, from another address: reply-from-other-address.
	case len(answered) == 0:
		d.unreachable(g, silent, n)
	case len(timedOut) > 1:
		if droppedTypes(answered, timedOut) {
			d.add(who, Finding{Code: CodeUnansweredType, Zone: g.zone, Server: srv, Hops: hopIDs(timedOut),
				Message: fmt.Sprintf("%s, a nameserver of %s, answers %s queries but left every %s query unanswered (%d of %d): a firewall or load balancer in front of it drops the type, and resolvers asking it for those records wait out a timeout (RFC 4074 §3)",
					who, g.zone, typeList(answered), typeList(timedOut), len(timedOut), len(timedOut))})
			return
		}
		d.add(who, Finding{Code: CodeLossyServer, Zone: g.zone, Server: srv, Hops: hopIDs(timedOut),
			Message: fmt.Sprintf("%s, a nameserver of %s, answered %d of %d queries and left %d unanswered: packets to or from it are lost, or a rate limit drops them; it is up, but resolvers that lose a query to it wait out a timeout",
				who, g.zone, len(answered), n, len(timedOut))})
	}
}

// resolverWait is the shortest a common resolver waits for a server's
// reply before it asks another: Unbound's 376ms for a server it has no
// round-trip time for (BIND 9 waits 800ms and more). A server silent for
// a shorter --timeout may only be slow.
const resolverWait = 376 * time.Millisecond

// unreachable reports a server that gave no usable reply to any of the n
// queries sent to it: unreachable-server, of one of three causes. One that
// replied with bytes that are not DNS (ReasonBadReply) is "malformed": it
// runs, but no resolver can use what it says. One whose every query timed
// out within a --timeout shorter than resolvers wait (resolverWait) is
// "timeout", a warning: it may only be slow, and nstrace gave up before
// resolvers would. Any other is "no-reply".
func (d *diagnosis) unreachable(g *serverHops, silent []*Hop, n int) {
	who, srv, zone := serverText(g.srv), &g.srv, g.zone
	why := "no reply"
	if last := silent[len(silent)-1]; last.Err != nil {
		why = last.Err.Error()
	}
	over := " over " + waited(silent)
	if over == " over 0s" {
		over = " (asked earlier in this run)" // every one from the cache
	}
	f := Finding{Code: CodeUnreachableServer, Zone: zone, Server: srv, Hops: hopIDs(silent)}
	if bad := slices.IndexFunc(silent, func(h *Hop) bool { return h.Reason == ReasonBadReply }); bad >= 0 {
		f.Cause = "malformed"
		f.Message = fmt.Sprintf("%s, a nameserver of %s, replied but gave no usable reply to %d of %d queries%s (%s): it sends bytes that are not a DNS message, which every resolver drops, waiting out a timeout before it asks another server; the zone is down for it when the others fail too",
			who, zone, len(silent), n, over, silent[bad].Err)
		d.addCause(who, f.Cause, f, func(n int, names string) string {
			return fmt.Sprintf("%d addresses of the nameservers of %s reply with bytes that are not a DNS message: %s; every resolver drops them and waits out a timeout before it asks another server", n, zone, names)
		})
		return
	}
	if wait, ok := shortWait(silent); ok {
		f.Cause = "timeout"
		f.Message = fmt.Sprintf("%s, a nameserver of %s, gave no reply to %d of %d queries within %s, the --timeout nstrace was given on this host: resolvers wait longer (Unbound %s for a server it does not know, BIND 9 800ms and more), so it may only be slow; run nstrace again with a larger --timeout (2s, its default) to tell",
			who, zone, len(silent), n, wait, resolverWait)
		f.Severity = SeverityWarning
		d.addCause(who, f.Cause, f, func(n int, names string) string {
			return fmt.Sprintf("%d addresses of the nameservers of %s gave no reply within %s, nstrace's --timeout on this host, shorter than resolvers wait: %s; run nstrace again with a larger --timeout to tell slow from down", n, zone, wait, names)
		})
		return
	}
	d.addCause(who, "no-reply", Finding{Code: CodeUnreachableServer, Zone: zone, Server: srv, Hops: f.Hops,
		Message: fmt.Sprintf("%s, a nameserver of %s, gave no reply to %d of %d queries%s (%s): every resolver that tries it waits out a timeout before it asks another server, and the zone is down for it when the others fail too",
			who, zone, len(silent), n, over, why)},
		func(n int, names string) string {
			return fmt.Sprintf("%d addresses of the nameservers of %s did not reply: %s; every resolver that tries one waits out a timeout before it asks another server, and the zone is down for it when the others fail too",
				n, zone, names)
		})
}

// shortWait gives nstrace's --timeout when every silent hop timed out
// within it and it is shorter than resolvers wait (resolverWait): the
// silence may be nstrace's impatience, not the server's fault.
func shortWait(silent []*Hop) (time.Duration, bool) {
	var wait time.Duration
	for _, h := range silent {
		if h.Reason != ReasonTimeout || h.Timeout <= 0 {
			return 0, false
		}
		wait = max(wait, h.Timeout)
	}
	return wait, wait < resolverWait
}

// droppedTypes reports whether the queries that timed out are of types
// that no query answered, each asked at least twice, while no query of an
// answered type timed out: a server that drops one type, not a lossy one.
func droppedTypes(answered, timedOut []*Hop) bool {
	count := map[uint16]int{}
	for _, h := range timedOut {
		count[h.Question.Qtype]++
	}
	for _, h := range answered {
		if count[h.Question.Qtype] > 0 {
			return false
		}
	}
	for _, c := range count {
		if c < 2 {
			return false
		}
	}
	return true
}

// typeList names the types asked in hops: "NS, SOA and A", in order of
// first asking.
func typeList(hops []*Hop) string {
	var names []string
	for _, h := range hops {
		if t := TypeString(h.Question.Qtype); !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	return andList(names)
}

// waited is how long the unanswered queries were waited for: the tries of
// one question, by the walk or by the checks, are sent one after another,
// and different questions at once, so it is the longest such run of tries,
// each try's wait cut to a tenth of a second (a timeout fires a moment
// late, the more so on a loaded machine, which must not change the
// message). "0s" when every one came from the cache.
func waited(silent []*Hop) string {
	type run struct {
		q       Question
		purpose Purpose
	}
	sum := map[run]time.Duration{}
	var longest time.Duration
	for _, h := range silent {
		if h.Cached {
			continue
		}
		k := run{h.Question, h.Purpose}
		sum[k] += h.RTT.Truncate(100 * time.Millisecond)
		longest = max(longest, sum[k])
	}
	return longest.String()
}

func hopIDs(hops []*Hop) []int {
	ids := make([]int, len(hops))
	for i, h := range hops {
		ids[i] = h.ID
	}
	return ids
}
