package lab

import (
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/txtar"
)

// closed is a done channel already closed: reply gives up on any delay.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// exercise answers a few queries from every host of s, without sockets.
func exercise(t *testing.T, s *Scenario) {
	s.Servers()
	for _, h := range s.hosts() {
		for _, origin := range s.Zones() {
			for _, name := range []string{origin, "www." + origin, "*." + origin, "a.b.c." + origin} {
				for _, qtype := range []uint16{dns.TypeA, dns.TypeNS, dns.TypeANY, dns.TypeDS, dns.TypeCNAME, dns.TypeSOA, dns.TypeTXT} {
					if _, ok := dns.IsDomainName(name); !ok {
						continue
					}
					q := query(name, qtype, 1232)
					for _, proto := range []string{"udp", "tcp"} {
						m := h.respond(q, proto)
						if _, err := m.Pack(); err != nil {
							t.Errorf("%s %s %s: Pack: %v", name, dns.Type(qtype), proto, err)
						}
						pkt, err := q.Pack()
						if err != nil {
							continue
						}
						h.reply(closed, pkt, proto)
					}
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(""), []byte(base["root.zone"]), []byte(base["example.com.zone"]))
	f.Add([]byte("fault * delay 10ms\nfault ns1.example.com@192.0.2.1 upward\nserver ns9.example.org 192.0.2.9\nserve ns9.example.org example.com\n"),
		[]byte(base["root.zone"]), []byte(base["example.com.zone"]))
	f.Add([]byte("fault ns1.example.com donw\n"), []byte(""), []byte("$ORIGIN example.com.\n@ SOA a b 1 2 3 4 5\n*.w A 192.0.2.1\nx CNAME x\n"))
	f.Add([]byte("# notes\nfault * loss 33.3%\nfault * poison-glue\n"), []byte("$TTL 1\n. SOA . . 1 2 3 4 5\n. NS a.\na. A 127.0.0.1\n"),
		[]byte("@ SOA . . 1 2 3 4 5\n@ NS ns1\nsub NS ns1.sub\nns1.sub AAAA ::1\n$GENERATE 1-3 h$ A 192.0.2.$\n"))
	for _, name := range []string{"healthy", "glueless", "subdelegation", "poison-glue"} {
		a, err := txtar.ParseFile(filepath.Join("..", "testdata", "lab", name+".txtar"))
		if err != nil {
			f.Fatal(err)
		}
		var conf, root, zone []byte
		for _, file := range a.Files {
			switch file.Name {
			case ManifestName:
				conf = file.Data
			case "root.zone":
				root = file.Data
			case "example.com.zone":
				zone = file.Data
			}
		}
		f.Add(conf, root, zone)
	}
	f.Fuzz(func(t *testing.T, conf, root, zone []byte) {
		s, err := Parse("fuzz", map[string][]byte{ManifestName: conf, "root.zone": root, "example.com.zone": zone})
		if err != nil {
			if s != nil {
				t.Errorf("Parse returned a scenario and an error")
			}
			return
		}
		exercise(t, s)
	})
}

func FuzzReply(f *testing.F) {
	s := scenario(f, authLab)
	hosts := s.hosts()
	for _, q := range []*dns.Msg{
		query("www.example.com.", dns.TypeA, 0),
		query("big.example.com.", dns.TypeTXT, 1232),
		query("a.shop.wild.example.com.", dns.TypeANY, 4096),
		query("example.com.", dns.TypeDS, 512),
	} {
		pkt, _ := q.Pack()
		f.Add(pkt)
	}
	f.Add([]byte{0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, h := range hosts {
			for _, proto := range []string{"udp", "tcp"} {
				out := h.reply(closed, pkt, proto)
				if out == nil {
					continue
				}
				r := new(dns.Msg)
				if err := r.Unpack(out); err != nil {
					t.Fatalf("reply does not parse: %v", err)
				}
				if proto == "udp" && len(out) > ednsSize {
					t.Errorf("UDP reply of %d bytes", len(out))
				}
			}
		}
	})
}
