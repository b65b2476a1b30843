package trace_test

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// TestDiagnoseProtocolLab proves the protocol checks (issue 14) on
// testdata/lab/probes.txtar: each zone's ns1 has one fault, ns2 none; the
// zone's finding names ns1 at its severity, and nothing else of warning or
// worse is found.
func TestDiagnoseProtocolLab(t *testing.T) {
	tests := []struct {
		zone, code, addr string
		sev              trace.Severity
		server           bool // the finding names ns1
	}{
		{"fine", "", "", "", false},
		{"notcp", trace.CodeNoTCP, "46.34.11.1", trace.SeverityError, true},
		{"tcphang", trace.CodeNoTCP, "46.35.11.1", trace.SeverityError, true},
		{"ednsdrop", trace.CodeEDNSBroken, "46.36.11.1", trace.SeverityError, true},
		{"noedns", trace.CodeEDNSBroken, "46.37.11.1", trace.SeverityWarning, true},
		{"badvers", trace.CodeEDNSBroken, "46.38.11.1", trace.SeverityWarning, true},
		{"echo", trace.CodeEDNSBroken, "46.39.11.1", trace.SeverityWarning, true},
		{"aaaadrop", trace.CodeAAAAQueryBroken, "46.40.11.1", trace.SeverityError, true},
		{"nosoa", trace.CodeNegativeWithoutSOA, "46.41.11.1", trace.SeverityWarning, true},
		{"recursive", trace.CodeOpenRecursor, "46.42.11.1", trace.SeverityWarning, true},
		{"axfr", trace.CodeAXFROpen, "46.43.11.1", trace.SeverityInfo, true},
		{"casefold", trace.CodeCaseNotPreserved, "46.44.11.1", trace.SeverityInfo, true},
		{"soafields", trace.CodeSOAFieldsInconsistent, "46.45.11.1", trace.SeverityWarning, true},
		{"otheraddr", trace.CodeReplyFromOtherAddress, "46.49.11.1", trace.SeverityError, true},
		{"onev6", trace.CodeFamilyNotRedundant, "", trace.SeverityInfo, false},
		{"bigref", trace.CodeReferralTooLarge, "", trace.SeverityWarning, false},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			t.Parallel()
			tr := runLab(t, "probes", "www."+tt.zone+".com", dns.TypeA, allOpts)
			zone := tt.zone + ".com."
			var want []finding
			if tt.code != "" {
				w := finding{tt.code, zone, "", tt.addr}
				if tt.server {
					w.name = "ns1." + zone
				}
				want = append(want, w)
			}
			if tt.zone == "ednsdrop" {
				// Every query with EDNS goes unanswered: the walk's too.
				want = append(want, finding{trace.CodeUnreachableServer, zone, "ns1." + zone, tt.addr})
			}
			checkAll(t, tr, "192.0.2.10", want)
			for _, f := range tr.Findings {
				if f.Code == tt.code && f.Severity != tt.sev {
					t.Errorf("Trace(www.%s.com) %s has severity %s, want %s", tt.zone, f.Code, f.Severity, tt.sev)
				}
			}
		})
	}
	t.Run("sameaddr", func(t *testing.T) {
		t.Parallel()
		tr := runLab(t, "probes", "www.sameaddr.com", dns.TypeA, allOpts)
		checkAll(t, tr, "192.0.2.10", []finding{
			{trace.CodeNSSameAddress, "sameaddr.com.", "", "46.46.11.1"},
			{trace.CodeFamilyNotRedundant, "sameaddr.com.", "", ""},
			{trace.CodeNotDiverse, "sameaddr.com.", "", ""}})
	})
}
