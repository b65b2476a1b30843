package trace

import (
	"fmt"
	"slices"
)

// The NS TTLs of the advice: LongNSTTL and above earns a long-ns-ttl
// finding; a zone about to change nameservers should lower its NS TTL to
// LowerNSTTL days ahead, then to SwitchNSTTL for the switch itself.
const (
	LongNSTTL   = 86400
	LowerNSTTL  = 3600
	SwitchNSTTL = 300
)

// nsTTL adds long-ns-ttl for the zone that answered the question of the
// walk itself (not a CNAME's target, not a nameserver's lookup), when the
// zone's own NS set, which a server of it gave, has a long TTL. The
// parent's TTL, which only the registry can change, is in the message:
// resolvers may keep either copy, so a change takes the longer of the two
// to reach them all. The advice is for the domain's own zones only: after
// an NXDOMAIN from com., the zone that answered is com., whose TTLs are
// none of the user's business (BelowPublicSuffix).
func (d *diagnosis) nsTTL() {
	if len(d.traces) == 0 {
		return
	}
	t := d.traces[0]
	zone := ""
	for _, h := range t.Hops {
		if h != nil && h.Purpose == PurposeWalk && !h.Simulated && canon(h.Question.Name) == canon(t.Question.Name) {
			zone = canon(h.Zone)
		}
	}
	z := d.zones[zone]
	if z == nil || len(z.child) == 0 || !BelowPublicSuffix(zone) {
		return
	}
	child := maxTTL(z.child)
	if child < LongNSTTL {
		return
	}
	// The parent's TTL is that of a referral some server gave, not that of
	// a delegation the user proposed (--delegate).
	var parent uint32
	parentZone := ""
	hops := []int{z.childHop}
	for _, h := range d.hops {
		if h.Purpose == PurposeWalk && h.Outcome == Referral && h.Referral != nil && !h.Simulated && canon(h.Referral.Zone) == zone {
			parent = max(parent, maxTTL(h.Referral.NS))
			parentZone = canon(h.Zone)
			hops = append(hops, h.ID)
		}
	}
	slices.Sort(hops)
	d.add("", Finding{Code: CodeLongNSTTL, Zone: zone, Hops: hops, Message: NSTTLAdvice(zone, parentZone, parent, child)})
}

func maxTTL(ns []NS) uint32 {
	var m uint32
	for _, n := range ns {
		m = max(m, n.TTL)
	}
	return m
}

// NSTTLAdvice says how long a change of zone's nameservers takes to reach
// every resolver, given the TTL of its NS set in the zone itself and at
// parent (parentTTL 0 when unknown), and what to do about it ahead of a
// move: "the NS set of example.com. has a TTL of 172800 (2d) in the zone
// and 172800 (2d) at com.: a change of nameservers takes up to 48 hours to
// reach every resolver; ahead of a move, lower the zone's NS TTL to 3600
// (1h), then to 300 (5m) for the switch".
func NSTTLAdvice(zone, parent string, parentTTL, childTTL uint32) string {
	where := fmt.Sprintf("the NS set of %s has a TTL of %s in the zone", zone, ttlText(childTTL))
	if parentTTL > 0 && parent != "" {
		where += fmt.Sprintf(" and %s at %s", ttlText(parentTTL), parent)
	}
	return fmt.Sprintf("%s: a change of nameservers takes up to %s to reach every resolver; ahead of a move, lower the zone's NS TTL to %s, then to %s for the switch",
		where, hoursText(max(parentTTL, childTTL)), ttlText(LowerNSTTL), ttlText(SwitchNSTTL))
}

// hoursText writes a TTL as hours, rounded up: "48 hours", "1 hour"; one
// shorter than an hour as minutes: "5 minutes".
func hoursText(s uint32) string {
	n, unit := (s+3599)/3600, "hour"
	if s < 3600 {
		n, unit = max(1, (s+59)/60), "minute"
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
