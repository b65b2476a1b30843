package trace

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestSilence: what a server's unanswered queries mean, counted over every
// query sent to it (the walk's and the checks'), in table form.
func TestSilence(t *testing.T) {
	ns3 := srv("ns3.example.com.", "45.33.30.3", SourceGlue) // not the walk's: only these hops ask it
	soa := Question{Name: "example.com.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET}
	aaaa := Question{Name: "www.example.com.", Qtype: dns.TypeAAAA, Qclass: dns.ClassINET}
	asking := func(h *Hop, q Question, p Purpose, start time.Duration) *Hop {
		h.Question, h.Purpose, h.Start = q, p, start
		return h
	}
	ok := func(q Question, p Purpose) *Hop {
		return asking(answer("example.com.", ns3, q, "www.example.com. 300 IN A 192.0.2.1"), q, p, 0)
	}
	silent := func(q Question, p Purpose, try int) *Hop {
		return asking(timeout("example.com.", ns3), q, p, time.Duration(try)*2*time.Second)
	}
	tests := []struct {
		name string
		hops []*Hop
		want string // the code, "" for none
		text string // a piece of the message
	}{
		{"every query unanswered", []*Hop{silent(www, PurposeCheck, 0), silent(www, PurposeCheck, 1), silent(soa, PurposeSOA, 0), silent(soa, PurposeSOA, 1)},
			CodeUnreachableServer, "gave no reply to 4 of 4 queries over 4s"},
		{"the one child NS check, sent once", []*Hop{silent(soa, PurposeChildNS, 0)}, "", ""},
		{"one loss, answered when asked again", []*Hop{silent(www, PurposeCheck, 0), ok(www, PurposeCheck), ok(soa, PurposeSOA)}, "", ""},
		{"losses among answers", []*Hop{silent(www, PurposeCheck, 0), ok(www, PurposeCheck), silent(soa, PurposeSOA, 0), ok(soa, PurposeSOA)},
			CodeLossyServer, "answered 2 of 4 queries and left 2 unanswered"},
		{"one type dropped", []*Hop{silent(aaaa, PurposeCheck, 0), silent(aaaa, PurposeCheck, 1), ok(soa, PurposeSOA)},
			CodeUnansweredType, "answers SOA queries but left every AAAA query unanswered (2 of 2)"},
		{"a type silent once only: lossy, not dropped", []*Hop{silent(aaaa, PurposeCheck, 0), silent(soa, PurposeSOA, 0), ok(soa, PurposeSOA)},
			CodeLossyServer, "left 2 unanswered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := healthy()
			tr.Hops = append(tr.Hops, tt.hops...)
			tr.Number()
			var got []Finding
			for _, f := range Diagnose(tr) {
				switch f.Code {
				case CodeUnreachableServer, CodeLossyServer, CodeUnansweredType, CodeLameServer:
					got = append(got, f)
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("Diagnose() = %s, want no verdict of silence:\n%s", got[0].Code, got[0].Message)
			case tt.want != "" && (len(got) != 1 || got[0].Code != tt.want || !strings.Contains(got[0].Message, tt.text)):
				t.Errorf("Diagnose() = %v, want one %s saying %q", got, tt.want, tt.text)
			}
		})
	}
}
