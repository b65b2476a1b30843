package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// Dot writes t as a Graphviz graph of the delegations it crossed, for
// "dot -Tpng" or -Tsvg: each zone (a rounded box) points to its nameservers
// (ellipses), each nameserver that was asked to the addresses it was asked
// at, the edge saying where the address came from (hints, glue — solid —,
// resolved by a lookup — dashed —, primed, cache); and each address to what
// it said: the child zone of a referral, the final records, or, in red, its
// failure. Nameservers never asked are grey. The zones of the lookups of
// glueless names are part of the same graph, so that the picture shows which
// zones a name depends on. A CNAME followed to another zone points to where
// the walk went on; a walk that failed ends in a red box saying why.
//
// Nodes and edges are written in the order the walk met them, so that the
// same walk gives the same text. With o.NoTimings the round-trip times on
// the edges are left out; o.Color is ignored.
func Dot(w io.Writer, t *trace.Trace, o Options) error {
	if t == nil {
		return errNilTrace
	}
	g := &dotGraph{o: o, nodes: map[string]*dotNode{}, edges: map[string]*dotEdge{}}
	g.walk(t, true)
	if t.Outcome == trace.Failed || !t.Outcome.Authoritative() && t.Err != nil {
		text := string(trace.Failed)
		if t.Err != nil {
			text += ": " + t.Err.Error()
		}
		n := g.node("failed", wrap(text, 48), dotFailed)
		if g.lastZone != "" {
			g.edge(zoneID(g.lastZone), n.id, "", dotEdgeFailed)
		}
	}

	var b strings.Builder
	b.WriteString("digraph nstrace {\n")
	title := t.Question.String() + ": " + string(t.Outcome) + " · " + plural(t.Queries, "query", "queries")
	if !o.NoTimings {
		title += " · " + formatDuration(t.Duration)
	}
	fmt.Fprintf(&b, "\tgraph [label=%s, labelloc=t, fontname=\"Helvetica\", fontsize=14, rankdir=TB, nodesep=0.3, ranksep=0.35];\n", dotQuote(title))
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", fontcolor=\"#555555\"];\n")
	for _, n := range g.order {
		fmt.Fprintf(&b, "\t%s [label=%s%s];\n", dotQuote(n.id), dotQuote(n.label), n.style.attrs(n))
	}
	for _, e := range g.edgeOrder {
		attrs := e.style
		if to := g.nodes[e.to].style; attrs == dotEdgeNSIdle && to != dotServerIdle && to != dotServerLost {
			attrs = dotEdgeNS // the server was asked after all
		}
		if e.label != "" {
			attrs = "label=" + dotQuote(e.label) + ", " + attrs
		}
		fmt.Fprintf(&b, "\t%s -> %s [%s];\n", dotQuote(e.from), dotQuote(e.to), strings.TrimSuffix(attrs, ", "))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotKind is what a node stands for, which decides its look.
type dotKind int

const (
	dotZone dotKind = iota
	dotServer
	dotServerIdle // a nameserver of a referral that was never asked
	dotServerLost // a nameserver never asked because its address lookup failed
	dotAddr
	dotAddrFailed
	dotUser // a server the user named
	dotAnswer
	dotNegative // NXDOMAIN, NODATA
	dotAlias    // a CNAME
	dotFailed
)

func (k dotKind) attrs(n *dotNode) string {
	const red, green, amber, grey = `"#c0392b"`, `"#1e8449"`, `"#b9770e"`, `"#999999"`
	switch k {
	case dotZone:
		return `, shape=box, style="rounded,filled,bold", fillcolor="#dde8f5", fontsize=13`
	case dotServer:
		return `, shape=ellipse`
	case dotServerIdle:
		return `, shape=ellipse, style=dashed, color=` + grey + `, fontcolor=` + grey
	case dotServerLost:
		return `, shape=ellipse, style=dashed, color=` + red + `, fontcolor=` + red
	case dotAddr:
		return `, shape=box, fontname="Courier", fontsize=10`
	case dotAddrFailed:
		return `, shape=box, fontname="Courier", fontsize=10, color=` + red + `, fontcolor=` + red + `, style=bold`
	case dotUser:
		return `, shape=box, style="filled", fillcolor="#eeeeee", fontname="Courier", fontsize=10`
	case dotAnswer:
		return `, shape=note, fontname="Courier", fontsize=10, color=` + green + `, style=bold`
	case dotNegative:
		return `, shape=note, fontname="Courier", fontsize=10, color=` + amber + `, style=bold`
	case dotAlias:
		return `, shape=note, fontname="Courier", fontsize=10, color=` + green
	case dotFailed:
		return `, shape=box, color=` + red + `, fontcolor=` + red + `, style=bold`
	}
	return ""
}

// Edge styles.
const (
	dotEdgeNS       = `arrowhead=none`
	dotEdgeNSIdle   = `arrowhead=none, style=dashed, color="#999999"`
	dotEdgeReferral = `penwidth=1.5`
	dotEdgeAnswer   = `color="#1e8449", fontcolor="#1e8449", penwidth=1.5`
	dotEdgeNegative = `color="#b9770e", fontcolor="#b9770e", penwidth=1.5`
	dotEdgeFailed   = `color="#c0392b", fontcolor="#c0392b"`
	dotEdgeFollow   = `style=dashed, color="#1e8449", fontcolor="#1e8449"`
)

// sourceStyle draws the edge from a server to an address by where the
// address came from.
func sourceStyle(s trace.Source) string {
	switch s {
	case trace.SourceResolved, trace.SourceCache:
		return "style=dashed"
	case trace.SourceHints:
		return "style=dotted"
	}
	return ""
}

type dotNode struct {
	id, label string
	style     dotKind
}

type dotEdge struct {
	from, to, label, style string
}

type dotGraph struct {
	o         Options
	nodes     map[string]*dotNode
	order     []*dotNode
	edges     map[string]*dotEdge
	edgeOrder []*dotEdge
	// lastZone is the zone of the outer walk's last hop, where a failure
	// is drawn.
	lastZone string
	alias    string // the node of a CNAME whose walk goes on
	answers  int
}

// node returns the node id, adding it with label and kind when new. A node
// seen again keeps its first look unless kind says more (a server asked
// after all, an address that failed here but worked elsewhere).
func (g *dotGraph) node(id, label string, kind dotKind) *dotNode {
	if n, ok := g.nodes[id]; ok {
		switch {
		case (n.style == dotServerIdle || n.style == dotServerLost) && kind == dotServer:
			n.style, n.label = kind, label
		case n.style == dotServerIdle && kind == dotServerLost:
			n.style, n.label = kind, label
		case n.style == dotAddrFailed && kind == dotAddr:
			n.style, n.label = kind, label
		}
		return n
	}
	n := &dotNode{id: id, label: label, style: kind}
	g.nodes[id] = n
	g.order = append(g.order, n)
	return n
}

// edge adds an edge once; a label seen again is not repeated.
func (g *dotGraph) edge(from, to, label, style string) *dotEdge {
	return g.edgeKeyed(from+"\x00"+to, from, to, label, style)
}

func (g *dotGraph) edgeKeyed(key, from, to, label, style string) *dotEdge {
	if e, ok := g.edges[key]; ok {
		if label != "" && !strings.Contains(", "+e.label+", ", ", "+label+", ") {
			if e.label != "" {
				e.label += ", "
			}
			e.label += label
		}
		return e
	}
	e := &dotEdge{from: from, to: to, label: label, style: style}
	g.edges[key] = e
	g.edgeOrder = append(g.edgeOrder, e)
	return e
}

func zoneID(z string) string   { return "zone " + z }
func serverID(n string) string { return "ns " + n }

// walk adds the hops of t, and of its lookups, to the graph. outer is set
// for the trace itself, whose outcome gets a node.
func (g *dotGraph) walk(t *trace.Trace, outer bool) {
	for _, h := range t.Hops {
		if h == nil || h.Purpose.Check() || h.Purpose.Probe() {
			continue
		}
		g.hop(h, outer)
		for _, l := range h.Lookups {
			if l == nil {
				continue
			}
			g.walk(l, false)
			if l.Outcome != trace.Answer && l.Outcome != trace.Abandoned {
				name := l.Question.Name
				g.node(serverID(name), name+"\nno "+trace.TypeString(l.Question.Qtype)+": "+string(l.Outcome), dotServerLost)
			}
		}
		if outer {
			g.lastZone = h.Zone
		}
	}
}

// hop adds a query to the graph: its zone, the server asked and the
// address it was asked at, and an edge from there to what it said.
func (g *dotGraph) hop(h *trace.Hop, outer bool) {
	zone := g.node(zoneID(h.Zone), h.Zone, dotZone)
	if g.alias != "" && outer && h.Purpose == trace.PurposeWalk {
		g.edge(g.alias, zone.id, "follow", dotEdgeFollow)
		g.alias = ""
	}
	from := g.asked(h, zone)
	rtt := ""
	if !g.o.NoTimings && h.Rcode >= 0 {
		rtt = formatDuration(h.RTT)
	}
	if h.Simulated {
		rtt = "simulated"
	}
	switch {
	case h.Purpose == trace.PurposePrime:
		g.edge(from, zone.id, joinLabel("root NS", rtt), dotEdgeReferral)
	case h.Outcome == trace.Referral && h.Referral != nil:
		g.referral(h.Referral, from, rtt)
	case h.Outcome.Authoritative() && outer && h.Purpose == trace.PurposeWalk:
		g.answer(h, from, rtt)
	}
}

// asked adds the server h asked, and the address it was asked at, and
// gives the node of the one the reply comes from.
func (g *dotGraph) asked(h *trace.Hop, zone *dotNode) string {
	var server *dotNode
	switch {
	case h.Simulated:
		// No server gave this referral: the user proposed it (--delegate).
		id := "simulated " + h.Zone
		if h.Referral != nil {
			id += " " + h.Referral.Zone
		}
		server = g.node(id, "--delegate\n(simulated)", dotUser)
		g.edge(zone.id, server.id, "", `arrowhead=none, style=dashed`)
	case h.Purpose == trace.PurposePrime || h.Server.Name == "" && h.Server.Source == trace.SourceUser:
		label := "@" + addrString(h.Server.Addr)
		if h.Port != 0 && h.Port != 53 {
			label += "#" + strconv.Itoa(int(h.Port))
		}
		server = g.node("user "+addrString(h.Server.Addr), label, dotUser)
	default:
		server = g.node(serverID(h.Server.Name), h.Server.Name, dotServer)
		g.edge(zone.id, server.id, "", dotEdgeNS)
	}
	if server.style == dotUser {
		return server.id
	}
	kind := dotAddr
	if !usableReply(h) && h.Outcome != trace.Abandoned {
		kind = dotAddrFailed
	}
	label := addrString(h.Server.Addr)
	if kind == dotAddrFailed {
		label += "\n" + dotFailure(h)
	}
	addr := g.node("addr "+addrString(h.Server.Addr), label, kind)
	// One edge per source, so that an address both glued and resolved
	// shows both ways it was learned.
	g.edgeKeyed(server.id+"\x00"+addr.id+"\x00"+string(h.Server.Source), server.id, addr.id,
		string(h.Server.Source), sourceStyle(h.Server.Source))
	return addr.id
}

// referral adds the edge from the server that gave d to the child zone,
// and the child's nameservers.
func (g *dotGraph) referral(d *trace.Delegation, from, rtt string) {
	child := g.node(zoneID(d.Zone), d.Zone, dotZone)
	g.edge(from, child.id, rtt, dotEdgeReferral)
	for _, ns := range d.NS {
		n := g.node(serverID(ns.Name), ns.Name, dotServerIdle)
		style := dotEdgeNS
		if n.style == dotServerIdle {
			style = dotEdgeNSIdle
		}
		g.edge(child.id, n.id, "", style)
	}
}

// answer adds the walk's final reply, its records in the node.
func (g *dotGraph) answer(h *trace.Hop, from, rtt string) {
	g.answers++
	kind, style := dotAnswer, dotEdgeAnswer
	switch h.Outcome {
	case trace.NXDomain, trace.NoData:
		kind, style = dotNegative, dotEdgeNegative
	case trace.CNAME:
		kind = dotAlias
	}
	label := h.Question.String() + "\n" + string(h.Outcome)
	if rrs := append(append([]dns.RR(nil), h.Answer...), h.Authority...); len(rrs) > 0 {
		label = dotRecords(rrs)
	}
	n := g.node("answer "+strconv.Itoa(g.answers), label, kind)
	g.edge(from, n.id, joinLabel(string(h.Outcome), rtt), style)
	if h.Outcome == trace.CNAME {
		g.alias = n.id
	}
}

// dotFailure says in a few words why a query failed.
func dotFailure(h *trace.Hop) string {
	switch {
	case h.Rcode < 0:
		return commsError(h)
	case h.Outcome == trace.Lame:
		return "lame"
	}
	return rcodeString(h.Rcode)
}

func joinLabel(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + " " + b
}

// dotRecords lists records one per line, left-aligned, at most a few and
// each cut to a readable width.
func dotRecords(rrs []dns.RR) string {
	const most, width = 6, 64
	var b strings.Builder
	for i, rr := range rrs {
		if rr == nil {
			continue
		}
		if i == most {
			fmt.Fprintf(&b, "+%d more\n", len(rrs)-most)
			break
		}
		s := rrText(rr)
		if utf8.RuneCountInString(s) > width {
			s = string([]rune(s)[:width-1]) + "…"
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// wrap breaks s into lines of about n characters at spaces.
func wrap(s string, n int) string {
	lines := fill(strings.Fields(s), n, n)
	joined := make([]string, len(lines))
	for i, words := range lines {
		joined[i] = strings.Join(words, " ")
	}
	return strings.Join(joined, "\n")
}

// dotQuote writes s as a DOT string: quotes and backslashes escaped,
// newlines as \n, except that a final newline, as after each line of
// records, becomes \l, which left-aligns the lines before it.
func dotQuote(s string) string {
	left := strings.HasSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\n")
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	s = r.Replace(s)
	if left {
		return `"` + strings.ReplaceAll(s, "\n", `\l`) + `\l"`
	}
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}
