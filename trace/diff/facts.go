package diff

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// facts are what one trace says, read from its document.
type facts struct {
	values map[Key]Value
	// seen holds the scopes the trace looked at: a zone's referral, its
	// own NS set, SOA or DNSSEC, a nameserver's addresses of one family.
	// A fact missing from a trace that did not look is no change.
	seen map[Key]bool
	// ns holds each zone's nameservers, of the parent's set or the zone's.
	ns  map[string]map[string]bool
	rtt map[Key]time.Duration // the fastest reply of each server address
}

func newFacts(d *docTrace) facts {
	f := facts{values: map[Key]Value{}, seen: map[Key]bool{}, ns: map[string]map[string]bool{}, rtt: map[Key]time.Duration{}}
	outcome := d.Outcome
	if outcome == "failed" && d.Reason != "" {
		outcome += " " + d.Reason
	}
	f.add(Key{Kind: KindOutcome}, Value{Text: outcome})
	f.records(KindAnswer, d.Answer)
	f.records(KindAuthority, d.Authority)
	for _, fd := range d.Findings {
		k := Key{Kind: KindFinding, Zone: name(fd.Zone), Code: fd.Code}
		if fd.Server != nil {
			k.Name, k.Address = name(fd.Server.Name), address(fd.Server.Address)
		}
		f.add(k, Value{Severity: fd.Severity, Text: fd.Message})
	}
	f.dnssec("", d.DNSSEC)
	f.hops(d.Hops, true)
	return f
}

// add records a fact; the first value of a fact is the trace's.
func (f *facts) add(k Key, v Value) {
	if _, ok := f.values[k]; !ok {
		f.values[k] = v
	}
}

// sees reports whether f, the trace that lacks k, looked where the other
// trace found it with the value v, so that k's absence is a change.
func (f *facts) sees(k Key, v Value) bool {
	switch k.Kind {
	case KindNS, KindChildNS, KindSOASerial, KindDNSSEC:
		return f.seen[Key{Kind: k.Kind, Zone: k.Zone}]
	case KindAddress:
		// Every referral to a zone carries all its glue, so glue is seen
		// wherever the referral is. A looked-up address is not, for a
		// nameserver this trace did not look up: a walk resolves a name
		// without glue only when it needs it.
		if !f.seen[Key{Kind: KindNS, Zone: k.Zone}] {
			return false
		}
		return v.Source == "glue" || f.seen[addressScope(k.Zone, k.Name, k.Address)] || !f.ns[k.Zone][k.Name]
	}
	return true
}

// addressScope is the scope of the addresses of name, a nameserver of
// zone, of the family of addr.
func addressScope(zone, name, addr string) Key {
	family := "A"
	if strings.Contains(addr, ":") {
		family = "AAAA"
	}
	return Key{Kind: KindAddress, Zone: zone, Name: name, Code: family}
}

// hops reads the facts of hops, and of their lookups; main is set for the
// hops of the walk itself, whose zones are facts.
func (f *facts) hops(hops []docHop, main bool) {
	for i := range hops {
		h := &hops[i]
		zone := name(h.Zone)
		if main && zone != "" {
			f.add(Key{Kind: KindZone, Zone: zone}, Value{})
		}
		if h.Referral != nil {
			f.referral(h, main)
		}
		if h.Purpose == "child-ns" && h.Outcome == "answer" {
			f.childNS(zone, h.Answer)
		}
		f.soa(h.Answer)
		f.soa(h.Authority)
		if h.RTTUS != nil && h.Rcode != nil && !h.Cached && !h.Simulated && *h.RTTUS >= 0 {
			k := Key{Kind: KindRTT, Zone: zone, Name: name(h.Server.Name), Address: address(h.Server.Address)}
			rtt := time.Duration(*h.RTTUS) * time.Microsecond
			if old, ok := f.rtt[k]; !ok || rtt < old {
				f.rtt[k] = rtt
			}
		}
		f.dnssec(zone, h.DNSSEC)
		for j := range h.Lookups {
			f.hops(h.Lookups[j].Hops, false)
		}
	}
}

// referral reads the NS set and glue of a referral, and the addresses the
// lookups under it found for the nameservers without glue.
func (f *facts) referral(h *docHop, main bool) {
	r := h.Referral
	zone := name(r.Zone)
	if zone == "" {
		return
	}
	if main {
		f.add(Key{Kind: KindZone, Zone: zone}, Value{})
	}
	f.seen[Key{Kind: KindNS, Zone: zone}] = true
	for _, ns := range r.NS {
		n := name(ns.Name)
		f.nameserver(zone, n)
		f.add(Key{Kind: KindNS, Zone: zone, Name: n}, Value{TTL: ttl(ns.TTL)})
	}
	for _, g := range r.Glue {
		if g.Ignored != "" {
			continue
		}
		n, a := name(g.Name), address(g.Address)
		f.seen[addressScope(zone, n, "1.2.3.4")] = true
		f.seen[addressScope(zone, n, "::")] = true
		f.add(Key{Kind: KindAddress, Zone: zone, Name: n, Address: a}, Value{Source: "glue", TTL: ttl(g.TTL)})
	}
	for i := range h.Lookups {
		l := &h.Lookups[i]
		if l.Question == nil || !authoritative(l.Outcome) {
			continue
		}
		n := name(l.Question.Name)
		family := strings.ToUpper(l.Question.Type)
		f.seen[Key{Kind: KindAddress, Zone: zone, Name: n, Code: family}] = true
		for _, rr := range l.Answer {
			rec, ok := parseRecord(rr)
			if ok && rec.rrtype == family && (family == "A" || family == "AAAA") {
				f.add(Key{Kind: KindAddress, Zone: zone, Name: n, Address: address(rec.rdata)}, Value{Source: "resolved", TTL: ttl(rec.ttl)})
			}
		}
		f.dnssec(zone, l.DNSSEC)
	}
	f.dnssec(zone, r.DNSSEC)
}

func (f *facts) nameserver(zone, ns string) {
	if f.ns[zone] == nil {
		f.ns[zone] = map[string]bool{}
	}
	f.ns[zone][ns] = true
}

// childNS reads the zone's own NS set from the answer of a child-ns hop.
func (f *facts) childNS(zone string, answer []string) {
	f.seen[Key{Kind: KindChildNS, Zone: zone}] = true
	for _, rr := range answer {
		rec, ok := parseRecord(rr)
		if ok && rec.rrtype == "NS" && rec.owner == zone {
			n := name(rec.rdata)
			f.nameserver(zone, n)
			f.add(Key{Kind: KindChildNS, Zone: zone, Name: n}, Value{TTL: ttl(rec.ttl)})
		}
	}
}

// soa reads the serials of the SOA records of a reply's section.
func (f *facts) soa(rrs []string) {
	for _, rr := range rrs {
		rec, ok := parseRecord(rr)
		if !ok || rec.rrtype != "SOA" {
			continue
		}
		fields := strings.Fields(rec.rdata)
		if len(fields) < 3 {
			continue
		}
		f.seen[Key{Kind: KindSOASerial, Zone: rec.owner}] = true
		f.add(Key{Kind: KindSOASerial, Zone: rec.owner, Name: fields[2]}, Value{Text: fields[2]})
	}
}

// records reads the final answer or authority section.
func (f *facts) records(kind Kind, rrs []string) {
	for _, rr := range rrs {
		rec, ok := parseRecord(rr)
		if !ok {
			f.add(Key{Kind: kind, Name: rr}, Value{Text: rr})
			continue
		}
		f.add(Key{Kind: kind, Name: rec.owner + " " + rec.class + " " + rec.rrtype + " " + rec.rdata}, Value{Text: rr, TTL: ttl(rec.ttl)})
	}
}

// dnssec reads a dnssec object of the document, wherever a trace carries
// one: each field with a string, number or boolean value is a fact named
// by its path, each element of an array of them (an object in an array is
// one element, as compact JSON) a fact of its own. An object with a zone
// key is about that zone, an object keyed by zone names (ending in ".")
// about each; else it is about the zone of the hop or referral that holds
// it. docs/diff.md says so, so that a dnssec object added to the trace
// JSON is compared as soon as nstrace writes it.
func (f *facts) dnssec(zone string, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return
	}
	f.dnssecValue(zone, "", v)
}

func (f *facts) dnssecValue(zone, path string, v any) {
	switch v := v.(type) {
	case nil:
	case map[string]any:
		if z, ok := v["zone"].(string); ok {
			zone, path = name(z), ""
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			switch {
			case k == "zone" && path == "":
			case strings.HasSuffix(k, ".") && path == "":
				f.dnssecValue(name(k), "", v[k])
			default:
				f.dnssecValue(zone, join(path, k), v[k])
			}
		}
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				if _, zoned := m["zone"]; zoned {
					f.dnssecValue(zone, path, e)
					continue
				}
			}
			if zone != "" {
				text := recordText(path, e)
				f.seen[Key{Kind: KindDNSSEC, Zone: zone}] = true
				f.add(Key{Kind: KindDNSSEC, Zone: zone, Name: path + " " + text}, Value{Text: text})
			}
		}
	default:
		if zone != "" {
			f.seen[Key{Kind: KindDNSSEC, Zone: zone}] = true
			f.add(Key{Kind: KindDNSSEC, Zone: zone, Name: path}, Value{Text: scalar(v)})
		}
	}
}

// recordText gives an element of a dnssec array as text: a DS or DNSKEY
// object of nstrace's (json.md#dnssec) as its record's data, as zone files
// write it, with its TTL ("22924 13 2 94E3… (TTL 3600)", "257 3 13
// cpNK…== (key 22924, TTL 3600)"), so that a diff shows a DS roll as
// records; anything else, and an object without the record's whole data
// (a document older than the digest and public_key fields), as scalar does.
func recordText(path string, e any) string {
	m, ok := e.(map[string]any)
	if !ok {
		return scalar(e)
	}
	var fields []string
	switch path {
	case "ds":
		fields = []string{"key_tag", "algorithm", "digest_type", "digest"}
	case "dnskey":
		fields = []string{"flags", "protocol", "algorithm", "public_key"}
	default:
		return scalar(e)
	}
	known := map[string]bool{"ttl": true}
	if path == "dnskey" {
		known["key_tag"] = true
	}
	var data []string
	for _, k := range fields {
		known[k] = true
		v, ok := m[k]
		switch {
		case !ok:
			return scalar(e) // an older document's: not the whole record
		case k == "digest":
			data = append(data, strings.ToUpper(scalar(v))) // hex, either case
		default:
			data = append(data, scalar(v))
		}
	}
	for k := range m {
		if !known[k] {
			return scalar(e) // a shape this code does not know
		}
	}
	var notes []string
	if tag, ok := m["key_tag"]; ok && path == "dnskey" {
		notes = append(notes, "key "+scalar(tag))
	}
	if ttl, ok := m["ttl"]; ok {
		notes = append(notes, "TTL "+scalar(ttl))
	}
	text := strings.Join(data, " ")
	if len(notes) > 0 {
		text += " (" + strings.Join(notes, ", ") + ")"
	}
	return text
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// scalar gives a JSON value as text: a string as itself, anything else as
// compact JSON (objects with their keys sorted).
func scalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// A record is a record string of the document, split into its fields.
type record struct {
	owner, class, rrtype, rdata string
	ttl                         uint32
}

// parseRecord splits a record in zone-file form, "NAME TTL CLASS TYPE
// RDATA", as docs/json.md writes them.
func parseRecord(s string) (record, bool) {
	f := strings.SplitN(s, " ", 5)
	if len(f) < 4 {
		return record{}, false
	}
	t, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return record{}, false
	}
	rec := record{owner: name(f[0]), ttl: uint32(t), class: strings.ToUpper(f[2]), rrtype: strings.ToUpper(f[3])}
	if len(f) == 5 {
		rec.rdata = f[4]
	}
	return rec, true
}

func authoritative(outcome string) bool {
	switch outcome {
	case "answer", "cname", "nxdomain", "nodata":
		return true
	}
	return false
}

// name gives a name as facts compare it: in lower case (RFC 4343).
func name(s string) string { return strings.ToLower(s) }

// address gives an address in its usual form, so that two spellings of
// one address are one fact.
func address(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}

func ttl(t uint32) *uint32 { return &t }
