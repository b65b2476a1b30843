package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// transport is how a question is sent.
type transport struct {
	name    string
	proto   string // udp or tcp
	bufsize uint16 // the EDNS0 buffer size offered; 0 means no EDNS0
	rd      bool   // recursion desired, as a stub or dig without +norec sends
}

// transports are the ways each question is sent: as nstrace sends it
// (EDNS0, a 1232-byte buffer, RD=0), without EDNS (a 512-byte limit), over
// TCP, with RD=1 (BIND's minimal-responses no-auth-recursive then drops the
// authority section) and with a 512-byte EDNS buffer (BIND then answers
// minimally).
var transports = []transport{
	{"udp+edns", "udp", 1232, false},
	{"udp", "udp", 0, false},
	{"tcp", "tcp", 1232, false},
	{"udp+edns+rd", "udp", 1232, true},
	{"udp+edns512", "udp", 512, false},
}

// question is one query for the reply comparison.
type question struct {
	name  string
	qtype uint16
}

func (q question) String() string { return q.name + " " + dns.TypeToString[q.qtype] }

// client asks one server, over connections it keeps: one UDP socket and
// one TCP connection, made by dial.
type client struct {
	dial func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error)
	addr netip.AddrPort
	udp  net.Conn
	tcp  *dns.Conn
}

func (c *client) close() {
	if c.udp != nil {
		c.udp.Close()
	}
	if c.tcp != nil {
		c.tcp.Close()
	}
}

// ask sends one query and returns the reply.
func (c *client) ask(q question, tr transport) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.RecursionDesired = tr.rd
	if tr.bufsize > 0 {
		m.SetEdns0(tr.bufsize, false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	if tr.proto == "tcp" {
		return c.askTCP(ctx, m, deadline)
	}
	if c.udp == nil {
		var err error
		if c.udp, err = c.dial(ctx, "udp", c.addr); err != nil {
			return nil, err
		}
	}
	pkt, err := m.Pack()
	if err != nil {
		return nil, err
	}
	c.udp.SetDeadline(deadline)
	if _, err := c.udp.Write(pkt); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	for {
		n, err := c.udp.Read(buf)
		if err != nil {
			return nil, err
		}
		r := new(dns.Msg)
		if err := r.Unpack(buf[:n]); err != nil {
			return nil, err
		}
		if r.Id == m.Id { // else a late reply to an earlier query
			return r, nil
		}
	}
}

func (c *client) askTCP(ctx context.Context, m *dns.Msg, deadline time.Time) (*dns.Msg, error) {
	for attempt := 0; ; attempt++ {
		if c.tcp == nil {
			conn, err := c.dial(ctx, "tcp", c.addr)
			if err != nil {
				return nil, err
			}
			c.tcp = &dns.Conn{Conn: conn}
		}
		c.tcp.SetDeadline(deadline)
		err := c.tcp.WriteMsg(m)
		var r *dns.Msg
		if err == nil {
			r, err = c.tcp.ReadMsg()
		}
		if err == nil {
			return r, nil
		}
		c.tcp.Close()
		c.tcp = nil
		if attempt > 0 {
			return nil, err
		}
		// The server may have closed an idle connection: once more, afresh.
	}
}

// diffReplies lists how the lab's reply differs from named's: in the
// header (rcode, opcode, flags), the question, each section as a set of
// records in text form (TTLs included), and the OPT record.
func diffReplies(labMsg, bindMsg *dns.Msg) []string {
	var out []string
	hdr := func(what string, lab, bind any) {
		if lab != bind {
			out = append(out, fmt.Sprintf("%s: lab %v, named %v", what, lab, bind))
		}
	}
	hdr("rcode", dns.RcodeToString[labMsg.Rcode], dns.RcodeToString[bindMsg.Rcode])
	hdr("opcode", labMsg.Opcode, bindMsg.Opcode)
	hdr("aa", labMsg.Authoritative, bindMsg.Authoritative)
	hdr("tc", labMsg.Truncated, bindMsg.Truncated)
	hdr("rd", labMsg.RecursionDesired, bindMsg.RecursionDesired)
	hdr("ra", labMsg.RecursionAvailable, bindMsg.RecursionAvailable)
	hdr("ad", labMsg.AuthenticatedData, bindMsg.AuthenticatedData)
	hdr("cd", labMsg.CheckingDisabled, bindMsg.CheckingDisabled)
	hdr("question", fmt.Sprint(labMsg.Question), fmt.Sprint(bindMsg.Question))
	for _, s := range []struct {
		name      string
		lab, bind []dns.RR
	}{
		{"answer", labMsg.Answer, bindMsg.Answer},
		{"authority", labMsg.Ns, bindMsg.Ns},
		{"additional", labMsg.Extra, bindMsg.Extra},
	} {
		if d := diffSets(texts(s.lab), texts(s.bind)); d != "" {
			out = append(out, s.name+":\n"+d)
		}
	}
	lo, bo := labMsg.IsEdns0(), bindMsg.IsEdns0()
	switch {
	case (lo == nil) != (bo == nil):
		out = append(out, fmt.Sprintf("OPT: lab %v, named %v", lo != nil, bo != nil))
	case lo != nil:
		hdr("EDNS version", lo.Version(), bo.Version())
		hdr("EDNS buffer", lo.UDPSize(), bo.UDPSize())
		hdr("EDNS DO", lo.Do(), bo.Do())
		hdr("EDNS extended rcode", lo.ExtendedRcode(), bo.ExtendedRcode())
		hdr("EDNS options", fmt.Sprint(lo.Option), fmt.Sprint(bo.Option))
	}
	return out
}

// texts gives records in text form, the OPT record left out, sorted.
func texts(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr.String())
		}
	}
	slices.Sort(out)
	return out
}

// diffSets shows the records only one side has, or "" when the sets agree.
func diffSets(lab, bind []string) string {
	var b bytes.Buffer
	for _, s := range lab {
		if !slices.Contains(bind, s) {
			fmt.Fprintf(&b, "\t- lab only:   %s\n", s)
		}
	}
	for _, s := range bind {
		if !slices.Contains(lab, s) {
			fmt.Fprintf(&b, "\t+ named only: %s\n", s)
		}
	}
	if b.Len() == 0 && len(lab) != len(bind) {
		fmt.Fprintf(&b, "\tduplicates: lab %d records, named %d\n", len(lab), len(bind))
	}
	return strings.TrimRight(b.String(), "\n")
}

// The differences between named and the lab that the suite accepts, each
// where the RFCs leave BIND a choice that the lab cannot make the same way.
const (
	// acceptPartial: without EDNS both may end a truncated answer in part
	// of an RRset; BIND rotates RRsets, so its part holds other records.
	acceptPartial = "truncated without EDNS: BIND's partial RRset holds other records"
)

// normalise takes out of copies of both replies the differences the suite
// accepts, and says which it took out.
func normalise(tr transport, labMsg, bindMsg *dns.Msg) (*dns.Msg, *dns.Msg, []string) {
	labMsg, bindMsg = labMsg.Copy(), bindMsg.Copy()
	var reasons []string
	if tr.bufsize == 0 && labMsg.Truncated && bindMsg.Truncated {
		for _, m := range []*dns.Msg{labMsg, bindMsg} {
			for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
				for i, rr := range sec {
					sec[i] = &dns.ANY{Hdr: *rr.Header()} // the header alone: owner, TTL, class, type
				}
			}
		}
		reasons = append(reasons, acceptPartial)
	}
	return labMsg, bindMsg, reasons
}
