package trace

// The fixes of the codes about a zone's TTLs and the copies its servers
// serve: ns-ttl-mismatch, long-ns-ttl, inconsistent-referral,
// inconsistent-answer, soa-serial-mismatch, answer-ttl-mismatch.

import "fmt"

// retimeNS gives the changes that set the TTL of z's own NS set to ttl.
func retimeNS(z *zoneInfo, ttl uint32) []Change {
	var rm, add []Change
	for _, ns := range z.child {
		rm = append(rm, Change{Op: OpRemove, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, ns.TTL, ns.Name)})
		add = append(add, Change{Op: OpAdd, Where: WhereZone, Zone: z.zone, RR: nsRR(z.zone, ttl, ns.Name)})
	}
	return append(rm, add...)
}

// fixNSTTLMismatch: the parent's TTL is the registry's; the zone's can be
// set to it.
func (d *diagnosis) fixNSTTLMismatch(f Finding) *Fix {
	z := d.zones[f.Zone]
	if z == nil || z.ref == nil || len(z.child) == 0 {
		return nil
	}
	parent, child := nsTTLs(z)
	return said(&Fix{Where: WhereZone, Records: retimeNS(z, parent)},
		fmt.Sprintf("if the two should agree, give %s's own NS set the TTL %s has, %s, in place of %s (only the registry sets %s's)",
			z.zone, z.parent, ttlText(parent), ttlText(child), z.parent))
}

// fixLongNSTTL: lowering the NS TTL ahead of a move, in steps that wait
// out the TTLs caches hold.
func (d *diagnosis) fixLongNSTTL(f Finding) *Fix {
	z := d.zones[f.Zone]
	if z == nil || len(z.child) == 0 {
		return nil
	}
	child := maxTTL(z.child)
	var parent uint32
	if z.ref != nil {
		parent = maxTTL(z.ref.NS)
	}
	steps := []string{
		fmt.Sprintf("weeks ahead of a move of nameservers, lower the TTL of %s's NS set in the zone to %s (the records), then wait %s, the old TTL, for caches to drop the copies they hold",
			z.zone, ttlText(LowerNSTTL), ttlWords(child)),
		fmt.Sprintf("the day before, lower it to %s and wait %s", ttlText(SwitchNSTTL), ttlWords(LowerNSTTL)),
		"switch: change the NS set in the zone and at the registrar, and keep the old servers serving the zone, with the new NS set",
	}
	if parent > 0 && z.parent != "" {
		steps[2] += fmt.Sprintf(", for %s more: %s's copy keeps its TTL, which only the registry sets", ttlWords(parent), z.parent)
	}
	steps = append(steps, fmt.Sprintf("once the move is done, raise the NS TTL again (%s or more)", ttlText(LongNSTTL)))
	return &Fix{Where: WhereZone, Records: retimeNS(z, LowerNSTTL), Steps: steps,
		Summary: fmt.Sprintf("ahead of a move only: lower %s's NS TTL to %s, then %s, waiting out the old TTL at each step", z.zone, ttlText(LowerNSTTL), ttlText(SwitchNSTTL))}
}

// fixStaleCopy: a server that serves another version of the zone than
// the others: get it the current one. A server behind on the SOA serial
// is a secondary whose transfers fail; one that answers differently may
// also load an old zone that shadows the current data.
func (d *diagnosis) fixStaleCopy(f Finding) *Fix {
	if f.Server == nil {
		return nil
	}
	who := serverText(*f.Server)
	fix := &Fix{Where: serverPlace(f.Zone, serverName(f)), Server: f.Server}
	transfer := fmt.Sprintf("check that its transfers from the primary work (allow-transfer, TSIG) and that NOTIFY reaches it, then transfer the zone again (rndc retransfer %s)", f.Zone)
	if f.Code == CodeSOASerialMismatch {
		fix.Summary = fmt.Sprintf("get %s the current version of %s: %s", who, f.Zone, transfer)
		return fix
	}
	fix.Summary = fmt.Sprintf("make %s serve the current version of %s: if it still loads an old copy of it, or an old zone below it, remove that; if it is a secondary, %s", who, f.Zone, transfer)
	return fix
}

// fixAnswerTTL: the copies differ in TTLs; the servers that give the
// TTL fewest servers give are the odd ones, to get the current copy.
func (d *diagnosis) fixAnswerTTL(f Finding) *Fix {
	byTTL, order := d.hopsBy(f.Hops, ttlsText)
	if len(order) < 2 {
		return nil
	}
	odd := order[len(order)-1]
	for _, k := range order {
		if len(byTTL[k]) < len(byTTL[odd]) {
			odd = k
		}
	}
	h := byTTL[odd][0]
	srv := &Server{Name: h.Server.Name, Addr: h.Server.Addr}
	return &Fix{Where: serverPlace(f.Zone, srv.Name), Server: srv,
		Summary: fmt.Sprintf("make %s serve the copy of %s the other servers serve (it gives the TTL %s): if it still loads an old zone below %s, remove that; if it is a secondary, transfer the zone again (rndc retransfer %s)",
			serversText(byTTL[odd]), f.Zone, odd, f.Zone, f.Zone)}
}

// hopsBy groups the hops of ids by key, with the keys in the order first
// seen: which servers gave which copy.
func (d *diagnosis) hopsBy(ids []int, key func(*Hop) string) (map[string][]*Hop, []string) {
	by := map[string][]*Hop{}
	var order []string
	for _, id := range ids {
		h := d.hop(id)
		if h == nil {
			continue
		}
		k := key(h)
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], h)
	}
	return by, order
}
