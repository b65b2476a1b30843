package trace

// dnssec passes on the findings of DNSSEC validation that the resolver
// recorded on each zone (Trace.DNSSEC), with their hops.
func (d *diagnosis) dnssec(t *Trace) {
	for _, z := range t.DNSSEC {
		for _, f := range z.Findings {
			d.add(f.Message+"|"+serverKey(f.Server), f)
		}
	}
}
