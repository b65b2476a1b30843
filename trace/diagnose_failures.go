package trace

// The checks of walks that failed: all-servers-failed and
// circular-delegation.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// failures finds what made walks fail: all-servers-failed, for the walk and
// for each lookup, and circular-delegation.
func (d *diagnosis) failures() {
	for _, tr := range d.traces {
		if tr.Outcome != Failed || tr.Err == nil || tr.Reason.Ours() {
			continue
		}
		d.allFailed(tr)
	}
	for _, tr := range d.traces {
		for _, chain := range tr.Loops {
			d.circular(chain)
		}
	}
}

// allFailed flags the zone where a failed walk stopped when no server of it
// gave a usable reply, or none could be asked at all.
func (d *diagnosis) allFailed(t *Trace) {
	var walk []*Hop
	for _, h := range t.Hops {
		if h != nil && h.Purpose == PurposeWalk {
			walk = append(walk, h)
		}
	}
	if len(walk) == 0 {
		return
	}
	last := walk[len(walk)-1]
	if last.Outcome == Referral && last.Referral != nil {
		// Stopped after a referral: no server of the child could be asked.
		if len(last.Lookups) == 0 {
			return
		}
		z := last.Referral.Zone
		d.add("", Finding{Code: CodeAllServersFailed, Zone: z, Hops: []int{last.ID},
			Message: fmt.Sprintf("no server of %s could be asked: none of its nameserver names could be resolved to an address, so the zone cannot be resolved", z)})
		return
	}
	zone := last.Zone
	var ids []int
	servers := map[netip.Addr]bool{}
	for i := len(walk) - 1; i >= 0 && walk[i].Zone == zone; i-- {
		h := walk[i]
		if h.Err == nil && h.Outcome != Abandoned {
			return // a usable reply: the walk failed for another reason
		}
		if h.Reason == ReasonNoRoute {
			continue // not asked: this host's failure (no-ipv6-route)
		}
		ids = append(ids, h.ID)
		servers[h.Server.Addr] = true
	}
	if len(ids) == 0 {
		return
	}
	d.add("", Finding{Code: CodeAllServersFailed, Zone: canon(zone), Hops: ids,
		Message: fmt.Sprintf("no server of %s gave a usable reply (%s asked): the zone cannot be resolved, and every name in it fails", canon(zone), plural(len(servers), "address", "addresses"))})
}

// circular flags the zones of a delegation loop, given the chain of
// nameserver names whose lookups needed each other.
func (d *diagnosis) circular(chain []string) {
	var zones []string
	var hops []int
	var names []string
	for _, n := range chain {
		n = canon(n)
		for _, zname := range d.order {
			z := d.zones[zname]
			if z.ref != nil && hasNS(z.ref.NS, n) {
				if !slices.Contains(zones, zname) {
					zones = append(zones, zname)
					names = append(names, n)
					hops = append(hops, z.refHops[0])
				}
				break
			}
		}
	}
	if len(zones) < 2 {
		return // a name that needs itself: missing glue, reported as such
	}
	key := slices.Sorted(slices.Values(zones))
	var steps []string
	for i, z := range zones {
		steps = append(steps, fmt.Sprintf("%s is served by %s, in %s", z, names[i], zones[(i+1)%len(zones)]))
	}
	d.add(strings.Join(key, " "), Finding{Code: CodeCircularDelegation, Zone: zones[0], Hops: hops,
		Message: fmt.Sprintf("%s depend on each other with no glue to break the circle (%s): no resolver can find the address of any of their nameservers, so none of them can be resolved",
			andList(zones), strings.Join(steps, "; "))})
}
