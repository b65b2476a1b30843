package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// walked is the end of a minimal iterative walk.
type walked struct {
	r     *dns.Msg
	zones []string // the zones whose servers were asked, in order
	tcp   bool     // a reply was truncated and asked again over TCP
}

// walk resolves name the way the engine does, minimally: from the root
// hints through referrals, using in-bailiwick glue and resolving NS names
// that come without it. It exists to check that the demo's story holds
// without depending on the resolver package.
func walk(t *testing.T, l *Lab, name string, qtype uint16, depth int) (walked, error) {
	t.Helper()
	if depth > 4 {
		return walked{}, errors.New("too deep")
	}
	var w walked
	var addrs []netip.Addr
	for _, h := range l.RootHints() {
		addrs = append(addrs, h.Addr)
	}
	zone := "."
	q := query(name, qtype, 1232)
	pkt, _ := q.Pack()
	for range 10 {
		w.zones = append(w.zones, zone)
		var r *dns.Msg
		for _, a := range addrs {
			b, err := raw(t, l, a.String(), "udp", pkt, 300*time.Millisecond)
			if err != nil {
				continue
			}
			if r = new(dns.Msg); r.Unpack(b) != nil {
				r = nil
				continue
			}
			if r.Truncated {
				w.tcp = true
				if b, err = raw(t, l, a.String(), "tcp", pkt, time.Second); err != nil || r.Unpack(b) != nil {
					r = nil
					continue
				}
			}
			break
		}
		if r == nil {
			return w, fmt.Errorf("no server of %s answered", zone)
		}
		if r.Authoritative {
			w.r = r
			return w, nil
		}
		var cut string
		var names []string
		for _, rr := range r.Ns {
			if ns, ok := rr.(*dns.NS); ok {
				cut = ns.Hdr.Name
				names = append(names, ns.Ns)
			}
		}
		if cut == "" || cut == zone || !dns.IsSubDomain(zone, cut) {
			return w, fmt.Errorf("not a referral below %s:\n%v", zone, r)
		}
		addrs = nil
		for _, rr := range r.Extra {
			if a, ok := rr.(*dns.A); ok && slices.Contains(names, a.Hdr.Name) && dns.IsSubDomain(zone, a.Hdr.Name) {
				addrs = append(addrs, addrOf(a.A))
			}
		}
		for _, n := range names {
			if len(addrs) > 0 {
				break
			}
			sub, err := walk(t, l, n, dns.TypeA, depth+1)
			if err != nil {
				return w, fmt.Errorf("resolving %s: %w", n, err)
			}
			for _, rr := range sub.r.Answer {
				if a, ok := rr.(*dns.A); ok {
					addrs = append(addrs, addrOf(a.A))
				}
			}
		}
		zone = cut
	}
	return w, errors.New("too many referrals")
}

func TestDemo(t *testing.T) {
	s := Demo()
	l := start(t, s)
	if got := len(l.RootHints()); got != 26 {
		t.Errorf("%d root hints, want 26 (13 servers, IPv4 and IPv6)", got)
	}
	// a.root-servers.net, at the address the demo writes for it.
	r, err := exchange(t, l, l.RootHints()[0].Addr.String(), "udp", query(".", dns.TypeNS, 1232))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Authoritative || len(r.Answer) != 13 || len(r.Extra) != 27 {
		t.Errorf("root priming reply: aa %v, %d answers, %d additional; want true, 13, 26 and OPT", r.Authoritative, len(r.Answer), len(r.Extra))
	}

	ans := func(rrs ...string) []string { return rrs }
	tests := map[string]struct {
		rcode  int
		answer []string
		zones  []string
		tcp    bool
	}{
		"www.example.com A":  {answer: ans("www.example.com. 3600 A 192.0.2.10"), zones: []string{".", "com.", "example.com."}},
		"example.com MX":     {answer: ans("example.com. 3600 MX 10 mail.example.com."), zones: []string{".", "com.", "example.com."}},
		"nope.example.com A": {rcode: dns.RcodeNameError, zones: []string{".", "com.", "example.com."}},
		"www.example.com MX": {zones: []string{".", "com.", "example.com."}},
		"ftp.example.com A": {answer: ans("ftp.example.com. 3600 CNAME www.example.com.", "www.example.com. 3600 A 192.0.2.10"),
			zones: []string{".", "com.", "example.com."}},
		"shop.example.com A":         {answer: ans("shop.example.com. 3600 CNAME example.shops.vanity.net."), zones: []string{".", "com.", "example.com."}},
		"example.shops.vanity.net A": {answer: ans("example.shops.vanity.net. 3600 A 203.0.113.88"), zones: []string{".", "net.", "vanity.net."}},
		"big.example.com TXT":        {zones: []string{".", "com.", "example.com."}, tcp: true},
		"api.dev.example.com A": {answer: ans("api.dev.example.com. 3600 A 192.0.2.80"),
			zones: []string{".", "com.", "example.com.", "dev.example.com."}},
		"api.aws.example.com AAAA": {answer: ans("api.aws.example.com. 3600 AAAA 2001:db8:51::21"),
			zones: []string{".", "com.", "example.com.", "aws.example.com."}},
		"www.vanity.net A":   {answer: ans("www.vanity.net. 3600 A 203.0.113.80"), zones: []string{".", "net.", "vanity.net."}},
		"www.halfdead.com A": {answer: ans("www.halfdead.com. 3600 A 192.0.2.210"), zones: []string{".", "com.", "halfdead.com."}},
		"www.rollover.com A": {answer: ans("www.rollover.com. 3600 A 192.0.2.60"), zones: []string{".", "com.", "rollover.com."}},
	}
	// Every name the notes advertise is checked here, and nothing else.
	noted := regexp.MustCompile(`(?m)^  ([a-z0-9.-]+) ([A-Z]+) `).FindAllStringSubmatch(s.Notes(), -1)
	if len(noted) != len(tests) {
		t.Errorf("notes list %d names, the test %d", len(noted), len(tests))
	}
	for _, m := range noted {
		key := m[1] + " " + m[2]
		t.Run(key, func(t *testing.T) {
			tt, ok := tests[key]
			if !ok {
				t.Fatalf("the notes list %q, the test does not", key)
			}
			w, err := walk(t, l, dns.Fqdn(m[1]), dns.StringToType[m[2]], 0)
			if err != nil {
				t.Fatalf("walk: %v (zones %q)", err, w.zones)
			}
			if w.r.Rcode != tt.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[w.r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if got := texts(w.r.Answer); tt.answer != nil && !slices.Equal(got, tt.answer) {
				t.Errorf("answer = %q, want %q", got, tt.answer)
			}
			if !slices.Equal(w.zones, tt.zones) || w.tcp != tt.tcp {
				t.Errorf("zones, tcp = %q, %v; want %q, %v", w.zones, w.tcp, tt.zones, tt.tcp)
			}
		})
	}
	t.Run("signed the same every run", func(t *testing.T) {
		// The keys come from a seed and the signatures have fixed times,
		// so two loads serve the same chain (and goldens hold).
		a, b := s.Anchors(), Demo().Anchors()
		if len(a) != 1 || len(b) != 1 || a[0].String() != b[0].String() {
			t.Errorf("the demo's anchors: %v, then %v; want one, the same", a, b)
		}
		for _, origin := range []string{"com.", "example.com.", "rollover.com."} {
			one, two := s.Signed(origin), Demo().Signed(origin)
			if one == nil || two == nil || one.Keys[0].String() != two.Keys[0].String() || one.DS[0].String() != two.DS[0].String() {
				t.Errorf("%s: keys or DS differ between two loads, or the zone is not signed", origin)
			}
		}
	})
	t.Run("ns1.halfdead.com is down", func(t *testing.T) {
		if b, _, _, err := ask(t, l, "46.4.201.201", "udp", 300*time.Millisecond); err == nil {
			t.Errorf("ns1.halfdead.com answered %d bytes", len(b))
		}
	})
	t.Run("example.com MX additional", func(t *testing.T) {
		r, err := exchange(t, l, "91.208.17.53", "udp", query("example.com.", dns.TypeMX, 1232))
		if err != nil {
			t.Fatal(err)
		}
		if got := texts(r.Extra); len(got) == 0 || got[0] != "mail.example.com. 3600 A 192.0.2.25" {
			t.Errorf("additional = %q, want the mail server's addresses first", got)
		}
	})
}
