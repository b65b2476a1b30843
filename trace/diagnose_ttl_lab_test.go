package trace_test

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestLongNSTTLLab traces the migration lab, where example.com's own NS set
// has a TTL of a day and example.org's an hour, a move of example.com
// proposed with --delegate, whose simulated referral is not a parent's TTL,
// and a name com. says does not exist, where the zone that answered is
// com. itself (issue 18: long-ns-ttl never advises a TLD).
func TestLongNSTTLLab(t *testing.T) {
	tests := []struct {
		name string
		opts resolver.Options
		want string // the message; "" for no finding
	}{
		{"example.com", noHedge, "the NS set of example.com. has a TTL of 86400 (1d) in the zone and 172800 (2d) at com.: a change of nameservers takes up to 48 hours"},
		{"www.example.com", noHedge, "a change of nameservers takes up to 48 hours"},
		{"example.org", noHedge, ""},
		// NXDOMAIN from com.: the zone that answered is the TLD, whose
		// NS TTLs are a day or more, and none of the user's business.
		{"nosuchdomain.com", noHedge, ""},
		// Through the new provider, whose NS TTL is an hour.
		{"example.com", resolver.Options{HedgeDelay: -1, Delegate: []*trace.Delegation{{Zone: "example.com.", NS: []trace.NS{{Name: "ns1.newdns.net."}}}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := runLab(t, "migration", tt.name, dns.TypeMX, tt.opts)
			var got []trace.Finding
			for _, f := range tr.Findings {
				if f.Code == trace.CodeLongNSTTL {
					got = append(got, f)
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("Trace(%q) has long-ns-ttl:\n%s", tt.name, dump(got))
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0].Message, tt.want) || got[0].Severity != trace.SeverityInfo):
				t.Errorf("Trace(%q) long-ns-ttl:\n%s\nwant one info finding saying %q", tt.name, dump(got), tt.want)
			}
		})
	}
}
