package trace

// The checks of each server's replies, or their absence: lame-server and
// the referral codes, unreachable-server, tcp-failed, slow-server.

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
// lame-server and the referral codes, unreachable-server, tcp-failed,
// slow-server.
func (d *diagnosis) servers() {
	var groups []*serverHops
	at := map[string]*serverHops{}
	cut := d.cutShort()
	for _, h := range d.hops {
		// A query this host could not send, or that nstrace itself cut
		// off, says nothing of the server (Reason.Ours).
		if !isAuthorityHop(h) || h.Simulated || h.Outcome == Abandoned || h.Reason.Ours() {
			continue
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
		d.unreachable(g, cut)
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

// unreachable flags the server of g when none of the walk's queries to
// it got a reply: unreachable-server, of the cause no-reply; unless g's
// zone is one where nstrace's own end cut the walk short (see cutShort).
func (d *diagnosis) unreachable(g *serverHops, cut map[string]bool) {
	srv, who := &g.srv, serverText(g.srv)
	// The walk's own queries are the evidence, retries included: the
	// NS check is sent once, beside the walk, and is abandoned or not
	// as the walk moves on.
	var walked []*Hop
	for _, h := range g.hops {
		if h.Purpose == PurposeWalk {
			walked = append(walked, h)
		}
	}
	replied := slices.ContainsFunc(g.hops, func(h *Hop) bool { return h.Rcode >= 0 || h.Truncated })
	if !replied && len(walked) > 0 && !cut[g.zone] {
		var ids []int
		for _, h := range walked {
			ids = append(ids, h.ID)
		}
		last := walked[len(walked)-1]
		why := "no reply"
		if last.Err != nil {
			why = last.Err.Error()
		}
		if n := len(walked); n > 1 {
			why = strconv.Itoa(n) + " tries: " + why
		}
		d.addCause(who, "no-reply", Finding{Code: CodeUnreachableServer, Zone: g.zone, Server: srv, Hops: ids,
			Message: fmt.Sprintf("%s, a nameserver of %s, did not reply (%s): every resolver that tries it waits out a timeout before it asks another server, and the zone is down for it when the others fail too",
				who, g.zone, why)},
			func(n int, names string) string {
				return fmt.Sprintf("%d addresses of the nameservers of %s did not reply: %s; every resolver that tries one waits out a timeout before it asks another server, and the zone is down for it when the others fail too",
					n, g.zone, names)
			})
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

func rcodeText(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}
