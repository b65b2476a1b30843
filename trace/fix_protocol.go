package trace

// The fixes of the codes about how one server speaks DNS: the server
// checks (lossy-server, unanswered-type) and the protocol checks of issue
// 14. Each is a change of that server's configuration, or of what stands
// in front of it; none changes a record. They are keyed by the codes'
// stable strings, so that each takes effect the moment its code is given.

import "fmt"

// serverFixes are the fixes of one server's configuration, by code: what
// to do, with %[1]s the server ("ns1.example.com. (192.0.2.1)") and %[2]s
// the zone.
var serverFixes = map[string]string{
	CodeLossyServer:            "find why %[1]s leaves queries for %[2]s unanswered: response rate limiting set too low, an overloaded server, or a lossy path to it",
	CodeUnansweredType:         "let every query type through to %[1]s: a firewall or load balancer in front of it drops some types; a server must answer them all, NODATA when it has none (RFC 4074)",
	"no-tcp":                   "let %[1]s answer over TCP: open TCP port 53 to it in every firewall, and have the server listen on TCP (RFC 7766)",
	"edns-broken":              "make %[1]s answer EDNS queries as RFC 6891 says (no drop, FORMERR or BADVERS where an answer is due, no option echoed): upgrade it, or the firewall in front that mangles EDNS",
	"aaaa-query-broken":        "make %[1]s answer AAAA queries for %[2]s as it answers A queries, NODATA when a name has no AAAA record, not drop or refuse them (RFC 4074)",
	"negative-without-soa":     "make %[1]s put the SOA of %[2]s in the authority section of its NXDOMAIN and NODATA replies, so that resolvers can cache them (RFC 2308)",
	"soa-fields-inconsistent":  "make %[1]s serve the current version of %[2]s, as its other servers do: its SOA differs from theirs",
	"open-recursor":            "stop %[1]s recursing for anyone: an authoritative server answers only for its zones (BIND: recursion no; or allow-recursion { your networks; })",
	"axfr-open":                "let only the secondaries of %[2]s transfer it from %[1]s (BIND: allow-transfer { their addresses; }, with a TSIG key)",
	"case-not-preserved":       "make %[1]s (or the middlebox in front of it) copy the question's name into the reply as it was asked, letter case included, as resolvers that randomise it expect",
	"reply-from-other-address": "make %[1]s reply from the address it was asked at: have the server listen on each of its addresses rather than on the wildcard one (BIND and NSD do by default; NSD: ip-address per address), or fix the NAT or load balancer in front that rewrites the source of its replies",
	"ent-nxdomain":             "make %[1]s answer NODATA, not NXDOMAIN, for the names of %[2]s that own no records but have names below them (empty non-terminals, RFC 8020): upgrade it, or the load balancer or DNS firewall in front of it",
	"qmin-refused":             "make %[1]s answer every name of %[2]s it is asked, of any type, as it answers the full names below them (RFC 9156): a firewall or load balancer in front of it refuses the questions of QNAME-minimising resolvers",
	"qmin-servfail":            "make %[1]s answer every name of %[2]s it is asked, of any type, as it answers the full names below them (RFC 9156): it fails the questions of QNAME-minimising resolvers",
	"qmin-timeout":             "let the questions of QNAME-minimising resolvers (RFC 9156) through to %[1]s: a firewall or load balancer in front of it drops queries for the names of %[2]s that have names below them",
}

// fixServerConfig gives the fix of a finding about one server's
// configuration from serverFixes.
func (d *diagnosis) fixServerConfig(f Finding) *Fix {
	text, ok := serverFixes[f.Code]
	if !ok || f.Server == nil {
		return nil
	}
	return &Fix{Where: serverPlace(f.Zone, serverName(f)), Server: f.Server,
		Summary: fmt.Sprintf(text, serverText(*f.Server), f.Zone)}
}

// zoneFixes are the fixes of a zone's own data or delegation that no
// record the trace saw can say, by code: where, and what to do, with %[1]s
// the zone and %[2]s its parent.
var zoneFixes = map[string]struct {
	where Where
	text  string
}{
	"soa-missing":          {WhereZone, "give %[1]s an SOA record at its apex: a zone without one cannot be loaded or transferred correctly (RFC 1035 §5.2)"},
	"ns-same-address":      {WhereZone, "give each nameserver of %[1]s its own address, on separate networks, or list only one of the names that share one (RFC 2182)"},
	"family-not-redundant": {WhereZone, "give a second nameserver of %[1]s an address in the family that has only one, so that resolvers of that family have a second server (glue at %[2]s when its name is inside %[1]s)"},
	"referral-too-large":   {WhereRegistrar, "make %[2]s's referral to %[1]s fit 512 octets: fewer nameservers, shorter names, or nameservers outside %[1]s, which need no glue"},
}

// fixZoneAdvice gives the fix of a finding from zoneFixes.
func (d *diagnosis) fixZoneAdvice(f Finding) *Fix {
	a, ok := zoneFixes[f.Code]
	if !ok {
		return nil
	}
	parent := "the parent"
	if z := d.zones[f.Zone]; z != nil && z.parent != "" {
		parent = z.parent
	}
	return &Fix{Where: a.where, Summary: fmt.Sprintf(a.text, f.Zone, parent)}
}

func init() {
	for code := range serverFixes {
		if _, ok := fixers[code]; !ok {
			fixers[code] = (*diagnosis).fixServerConfig
		}
	}
	for code := range zoneFixes {
		if _, ok := fixers[code]; !ok {
			fixers[code] = (*diagnosis).fixZoneAdvice
		}
	}
}
