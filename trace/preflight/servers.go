package preflight

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// servers says how each address of each proposed server answered for the
// zone, from the trace that asked them all.
func (c *comparison) servers(st *trace.Trace, news []*trace.Trace) {
	groups, lookups := c.serverHops(st)
	for _, g := range groups {
		c.judge(g)
	}
	c.unasked(st, lookups)
	slices.SortStableFunc(c.r.Servers, func(a, b Server) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), a.Addr.Compare(b.Addr))
	})
	for _, s := range c.r.Servers {
		if s.Authoritative && s.NS != nil {
			c.r.NewNS = s.NS
			break
		}
	}
}

// serverGroup is the hops that asked one address of one proposed server.
type serverGroup struct {
	srv  Server
	hops []*trace.Hop
}

// serverHops groups the hops of st that asked the proposed servers as
// authorities for the zone, by name and address, and gathers the lookups
// of the proposed names' addresses.
func (c *comparison) serverHops(st *trace.Trace) (groups []*serverGroup, lookups []*trace.Trace) {
	if st == nil {
		return nil, nil
	}
	for _, h := range st.Hops {
		if h.Simulated && h.Referral != nil && dns.CanonicalName(h.Referral.Zone) == c.zone {
			lookups = append(lookups, h.Lookups...)
		}
		if h.Simulated || dns.CanonicalName(h.Zone) != c.zone || h.Outcome == trace.Abandoned {
			continue
		}
		switch h.Purpose {
		case trace.PurposeWalk, trace.PurposeSOA, trace.PurposeChildNS:
		default:
			continue
		}
		name := dns.CanonicalName(h.Server.Name)
		i := slices.IndexFunc(groups, func(g *serverGroup) bool { return g.srv.Name == name && g.srv.Addr == h.Server.Addr })
		if i < 0 {
			groups = append(groups, &serverGroup{srv: Server{Name: name, Addr: h.Server.Addr, Source: h.Server.Source}})
			i = len(groups) - 1
		}
		groups[i].hops = append(groups[i].hops, h)
	}
	return groups, lookups
}

// judge says how one address of a proposed server answered: its NS set,
// its SOA, and whether it is authoritative, lame or unreachable.
func (c *comparison) judge(g *serverGroup) {
	s := &g.srv
	replied := slices.ContainsFunc(g.hops, func(h *trace.Hop) bool { return h.Rcode >= 0 })
	for _, h := range g.hops {
		switch h.Purpose {
		case trace.PurposeChildNS:
			s.NS = apexNS(h, c.zone)
		default:
			if s.SOA == nil && h.Outcome == trace.Answer && h.AA {
				for _, rr := range h.Answer {
					if soa, ok := rr.(*dns.SOA); ok && dns.CanonicalName(soa.Hdr.Name) == c.zone {
						s.SOA = soa
					}
				}
			}
		}
	}
	walk := g.hops[0]
	for _, h := range g.hops {
		if h.Purpose == trace.PurposeWalk {
			walk = h
		}
	}
	switch {
	case !replied:
		s.Status = "no reply"
		s.Err = "no reply"
		if walk.Err != nil {
			s.Err = walk.Err.Error()
		}
		c.addCause(Problem{Code: CodeUnreachableServer, Name: c.zone, Server: &trace.Server{Name: s.Name, Addr: s.Addr},
			Message: fmt.Sprintf("%s, a proposed nameserver of %s, did not reply (%s): resolvers that pick it after the switch wait, then ask another", serverText(*s), c.zone, s.Err)},
			"no-reply", func(n int, names string) string {
				return fmt.Sprintf("%d addresses of the proposed nameservers of %s did not reply: %s; resolvers that pick one after the switch wait, then ask another", n, c.zone, names)
			})
	case walk.Outcome == trace.Answer && walk.AA:
		s.Authoritative, s.Status = true, "authoritative"
	default:
		s.Status, s.Err = lameText(walk)
		why := s.Err
		c.addCause(Problem{Code: CodeLameServer, Name: c.zone, Server: &trace.Server{Name: s.Name, Addr: s.Addr},
			Message: fmt.Sprintf("%s, a proposed nameserver of %s, does not answer for the zone with authority (%s): after the switch, resolvers that pick it get no answer from it", serverText(*s), c.zone, s.Err)},
			lameCause(s.Status, why), func(n int, names string) string {
				return fmt.Sprintf("%d addresses of the proposed nameservers of %s do not answer for the zone with authority (%s): %s; after the switch, resolvers that pick one get no answer from it", n, c.zone, why, names)
			})
	}
	if s.Authoritative && s.NS != nil {
		c.sawNS(s.NS, serverText(*s))
	}
	c.r.Servers = append(c.r.Servers, *s)
}

// unasked says why each proposed name that no query was sent to was not
// asked: no glue, no address, or a walk that failed before.
func (c *comparison) unasked(st *trace.Trace, lookups []*trace.Trace) {
	for _, ns := range c.r.Proposed.NS {
		name := dns.CanonicalName(ns.Name)
		if slices.ContainsFunc(c.r.Servers, func(s Server) bool { return s.Name == name }) {
			continue
		}
		s := Server{Name: name, Status: "not asked", Err: "the walk did not reach the proposed servers"}
		switch {
		case dns.IsSubDomain(c.zone, name):
			s.Status, s.Err = "no glue", "a name inside the zone needs its address at the parent"
			c.add(Problem{Code: CodeMissingGlue, Name: c.zone, Server: &trace.Server{Name: name},
				Message: fmt.Sprintf("%s is inside %s, so the parent must hold its address (glue), and none was given: give it as %s=ADDR, and to the registrar with the NS set", name, c.zone, strings.TrimSuffix(name, "."))})
		case addressLookups(lookups, name) != nil:
			s.Status, s.Err = "no address", lookupText(addressLookups(lookups, name))
			c.add(Problem{Code: CodeNSUnresolvable, Name: c.zone, Server: &trace.Server{Name: name},
				Message: fmt.Sprintf("%s, a proposed nameserver of %s, has no address (%s): no resolver could reach the zone through it", name, c.zone, s.Err)})
		case st != nil && st.Err != nil:
			s.Err = st.Err.Error()
		}
		c.r.Servers = append(c.r.Servers, s)
	}
}

// addressLookups gives the lookups of name's addresses, when every one of
// them found none; nil when there were none, or one found an address.
func addressLookups(ls []*trace.Trace, name string) []*trace.Trace {
	var out []*trace.Trace
	for _, l := range ls {
		if dns.CanonicalName(l.Question.Name) != name {
			continue
		}
		if l.Outcome == trace.Answer || l.Outcome == trace.Abandoned {
			return nil
		}
		out = append(out, l)
	}
	return out
}

// lookupText says why the lookups of a name found no address: "A NXDOMAIN,
// AAAA NXDOMAIN".
func lookupText(ls []*trace.Trace) string {
	var parts []string
	for _, l := range ls {
		what := strings.ToUpper(string(l.Outcome))
		if l.Outcome == trace.Failed && l.Err != nil {
			what = "failed: " + l.Err.Error()
		}
		parts = append(parts, trace.TypeString(l.Question.Qtype)+" "+what)
	}
	return strings.Join(parts, ", ")
}

// lameCause names what a proposed server that is not authoritative
// answers, for the servers that answer alike: its RCODE ("refused"), or
// what makes it lame.
func lameCause(status, why string) string {
	if status == "lame" {
		return "lame: " + why
	}
	return strings.ToLower(status)
}

// lameText says why a reply is not an authoritative answer.
func lameText(h *trace.Hop) (status, why string) {
	switch {
	case h.Outcome == trace.Error && h.Rcode > 0:
		rc := dns.RcodeToString[h.Rcode]
		if rc == "" {
			rc = fmt.Sprintf("RCODE%d", h.Rcode)
		}
		return rc, "it answers " + rc
	case h.Outcome == trace.Lame && h.Err != nil:
		return "lame", strings.TrimPrefix(h.Err.Error(), "lame: ")
	case h.Outcome.Authoritative() && !h.AA:
		return "lame", "its answer lacks the AA bit"
	case h.Err != nil:
		return string(h.Outcome), h.Err.Error()
	}
	return string(h.Outcome), "it answers " + strings.ToUpper(string(h.Outcome))
}

func serverText(s Server) string {
	if !s.Addr.IsValid() {
		return s.Name
	}
	return s.Name + " (" + s.Addr.String() + ")"
}
