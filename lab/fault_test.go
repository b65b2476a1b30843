package lab

import (
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// load starts a scenario of testdata/lab.
func load(t *testing.T, name string) *Lab {
	t.Helper()
	s, err := Load(filepath.Join("..", "testdata", "lab", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	return start(t, s)
}

// ask sends a query for www.example.com A, with EDNS, and returns the raw
// reply and how long it took.
func ask(t *testing.T, l *Lab, addr, proto string, timeout time.Duration) ([]byte, *dns.Msg, time.Duration, error) {
	t.Helper()
	q := query("www.example.com.", dns.TypeA, 1232)
	q.Id = 4242
	pkt, _ := q.Pack()
	begin := time.Now()
	b, err := raw(t, l, addr, proto, pkt, timeout)
	return b, q, time.Since(begin), err
}

func TestFaults(t *testing.T) {
	const ns1 = "192.0.2.1"
	parse := func(t *testing.T, b []byte) *dns.Msg {
		t.Helper()
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil {
			t.Fatalf("Unpack: %v", err)
		}
		return r
	}
	// answered checks a usable reply of www.example.com A with the AA bit aa.
	answered := func(t *testing.T, b []byte, err error, aa bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("no reply: %v", err)
		}
		r := parse(t, b)
		if r.Rcode != dns.RcodeSuccess || r.Authoritative != aa || r.Truncated || !slices.Equal(texts(r.Answer), []string{"www.example.com. 3600 A 192.0.2.10"}) {
			t.Errorf("reply is not the answer with aa=%v:\n%v", aa, r)
		}
	}
	silent := func(t *testing.T, b []byte, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("got a reply of %d bytes, want none", len(b))
		}
	}
	rcode := func(t *testing.T, b []byte, err error, want int) {
		t.Helper()
		if err != nil {
			t.Fatalf("no reply: %v", err)
		}
		if r := parse(t, b); r.Rcode != want || r.Authoritative || len(r.Answer) > 0 {
			t.Errorf("reply is not a bare %s:\n%v", dns.RcodeToString[want], r)
		}
	}
	referral := func(t *testing.T, b []byte, err error, ns, extra []string) {
		t.Helper()
		if err != nil {
			t.Fatalf("no reply: %v", err)
		}
		r := parse(t, b)
		if r.Rcode != dns.RcodeSuccess || r.Authoritative || len(r.Answer) > 0 ||
			!slices.Equal(texts(r.Ns), ns) || !slices.Equal(texts(r.Extra), extra) {
			t.Errorf("reply is not a referral to %q with %q:\n%v", ns, extra, r)
		}
	}
	truncated := func(t *testing.T, b []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("no reply: %v", err)
		}
		r := parse(t, b)
		if !r.Truncated || len(r.Answer)+len(r.Ns) > 0 || len(texts(r.Extra)) > 0 || r.IsEdns0() == nil {
			t.Errorf("reply is not TC=1 with empty sections and OPT:\n%v", r)
		}
	}
	short := 300 * time.Millisecond
	tests := []struct {
		scenario string
		check    func(t *testing.T, l *Lab)
	}{
		{"healthy", func(t *testing.T, l *Lab) {
			for _, addr := range []string{"45.33.10.1", "94.130.20.2"} {
				for _, proto := range []string{"udp", "tcp"} {
					b, _, _, err := ask(t, l, addr, proto, time.Second)
					answered(t, b, err, true)
				}
			}
		}},
		{"deadserver", func(t *testing.T, l *Lab) {
			for _, proto := range []string{"udp", "tcp"} {
				b, _, _, err := ask(t, l, ns1, proto, short)
				silent(t, b, err)
				b, _, _, err = ask(t, l, "192.0.2.2", proto, time.Second)
				answered(t, b, err, true)
			}
		}},
		{"refused", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			rcode(t, b, err, dns.RcodeRefused)
		}},
		{"servfail", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "tcp", time.Second)
			rcode(t, b, err, dns.RcodeServerFailure)
		}},
		{"lame", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			answered(t, b, err, false)
		}},
		{"delay", func(t *testing.T, l *Lab) {
			b, _, took, err := ask(t, l, ns1, "udp", 2*time.Second)
			answered(t, b, err, true)
			if took < 200*time.Millisecond {
				t.Errorf("reply took %v, want at least 200ms", took)
			}
			_, _, took, err = ask(t, l, "192.5.6.30", "udp", 2*time.Second)
			if err != nil || took >= 200*time.Millisecond {
				t.Errorf("com server: reply took %v (%v), want no delay", took, err)
			}
		}},
		{"slow", func(t *testing.T, l *Lab) {
			for _, addr := range []string{aRoot.String(), "192.5.6.30", ns1, "192.0.2.2"} {
				_, _, took, err := ask(t, l, addr, "udp", 2*time.Second)
				if err != nil || took < 10*time.Millisecond {
					t.Errorf("%s: reply took %v (%v), want at least 10ms", addr, took, err)
				}
			}
		}},
		{"truncate", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			truncated(t, b, err)
			b, _, _, err = ask(t, l, ns1, "tcp", time.Second)
			answered(t, b, err, true)
		}},
		{"tc-always", func(t *testing.T, l *Lab) {
			for _, proto := range []string{"udp", "tcp"} {
				b, _, _, err := ask(t, l, ns1, proto, time.Second)
				truncated(t, b, err)
			}
		}},
		{"no-tcp", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			answered(t, b, err, true)
			b, _, took, err := ask(t, l, ns1, "tcp", 2*time.Second)
			silent(t, b, err)
			if took > time.Second {
				t.Errorf("TCP failed after %v, want at once", took)
			}
		}},
		{"tcp-hang", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			truncated(t, b, err)
			b, _, took, err := ask(t, l, ns1, "tcp", short)
			silent(t, b, err)
			if took < short {
				t.Errorf("TCP failed after %v, want a timeout", took)
			}
		}},
		{"loss", func(t *testing.T, l *Lab) {
			for i := range 4 {
				b, _, _, err := ask(t, l, ns1, "udp", short)
				if i%2 == 0 {
					silent(t, b, err)
				} else {
					answered(t, b, err, true)
				}
			}
			b, _, _, err := ask(t, l, ns1, "tcp", time.Second)
			answered(t, b, err, true)
		}},
		{"no-edns", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second) // ask sends EDNS0
			rcode(t, b, err, dns.RcodeFormatError)
		}},
		{"wrong-id", func(t *testing.T, l *Lab) {
			b, q, _, err := ask(t, l, ns1, "udp", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if r := parse(t, b); r.Id == q.Id {
				t.Errorf("reply ID = query ID %d", r.Id)
			}
		}},
		{"wrong-question", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if r := parse(t, b); len(r.Question) != 1 || r.Question[0].Name != "wrong-question.invalid." {
				t.Errorf("reply question = %v", r.Question)
			}
		}},
		{"garbage", func(t *testing.T, l *Lab) {
			for _, proto := range []string{"udp", "tcp"} {
				b, _, _, err := ask(t, l, ns1, proto, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if r := new(dns.Msg); r.Unpack(b) == nil {
					t.Errorf("%s: garbage parses as\n%v", proto, r)
				}
			}
		}},
		{"upward", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			referral(t, b, err, []string{". 518400 NS a.root-servers.net."}, []string{"a.root-servers.net. 518400 A 198.41.0.4"})
		}},
		{"horizontal", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			referral(t, b, err, []string{"example.com. 3600 NS ns1.example.com."}, []string{"ns1.example.com. 3600 A 192.0.2.1"})
		}},
		{"sideways", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			referral(t, b, err, []string{"sideways.invalid. 3600 NS ns.sideways.invalid."}, []string{"ns.sideways.invalid. 3600 A 192.0.2.254"})
		}},
		{"poison-glue", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, "192.5.6.30", "udp", time.Second)
			referral(t, b, err,
				[]string{"example.com. 172800 NS ns1.provider.net.", "example.com. 172800 NS ns2.provider.net."},
				[]string{"www.victim.test. 3600 A 192.0.2.66", "ns1.provider.net. 3600 A 192.0.2.66", "ns2.provider.net. 3600 A 192.0.2.66"})
		}},
		{"bigtxt", func(t *testing.T, l *Lab) {
			q := query("big.example.com.", dns.TypeTXT, 1232)
			r, err := exchange(t, l, ns1, "udp", q)
			if err != nil || !r.Truncated {
				t.Fatalf("UDP reply is not truncated: %v\n%v", err, r)
			}
			r, err = exchange(t, l, ns1, "tcp", q)
			if err != nil || r.Truncated || len(r.Answer) != 7 {
				t.Fatalf("TCP reply is not whole: %v\n%v", err, r)
			}
		}},
		{"lamedelegation", func(t *testing.T, l *Lab) {
			b, _, _, err := ask(t, l, ns1, "udp", time.Second)
			rcode(t, b, err, dns.RcodeRefused)
			b, _, _, err = ask(t, l, "192.0.2.2", "udp", time.Second)
			answered(t, b, err, true)
		}},
		{"noaddress", func(t *testing.T, l *Lab) {
			for _, sv := range l.Scenario().Servers() {
				if sv.Name == "ns.nowhere.invalid." && (len(sv.Addrs) != 0 || len(sv.Zones) != 1) {
					t.Errorf("ns.nowhere.invalid. = %+v, want one zone and no address", sv)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			tt.check(t, load(t, tt.scenario))
		})
	}
}

// TestCloseWaits checks that Close returns while replies are being delayed
// and TCP connections hang, and leaves no goroutine behind.
func TestCloseWaits(t *testing.T) {
	s, err := Load(filepath.Join("..", "testdata", "lab", "tcp-hang.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	slow := scenario(t, authLab+"-- lab.conf --\nfault * delay 1h\n")
	for _, s := range []*Scenario{s, slow} {
		l, err := Start(s)
		if err != nil {
			t.Fatal(err)
		}
		// Leave a hanging TCP query and a delayed UDP one behind.
		c, err := l.Dial(t.Context(), "tcp", netip.MustParseAddrPort("192.0.2.1:53"))
		if err != nil {
			t.Fatal(err)
		}
		dc := &dns.Conn{Conn: c}
		dc.WriteMsg(query("www.example.com.", dns.TypeA, 0))
		u, err := l.Dial(t.Context(), "udp", netip.MustParseAddrPort("192.0.2.1:53"))
		if err != nil {
			t.Fatal(err)
		}
		(&dns.Conn{Conn: u}).WriteMsg(query("www.example.com.", dns.TypeA, 0))
		time.Sleep(50 * time.Millisecond)
		done := make(chan error)
		go func() { done <- l.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Close did not return")
		}
		c.Close()
		u.Close()
		if err := l.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}
