package trace

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// coverageIDs are the Zonemaster test cases of the Basic, Connectivity,
// Consistency, Delegation and Nameserver levels and the DNSViz classes
// about delegations, servers and EDNS that docs/findings.md's coverage
// table must map, each to codes or to why nstrace leaves it out.
var coverageIDs = func() []string {
	var ids []string
	for _, level := range []struct {
		name string
		n    int
	}{{"BASIC", 3}, {"CONNECTIVITY", 4}, {"CONSISTENCY", 6}, {"DELEGATION", 7}, {"NAMESERVER", 15}} {
		for i := 1; i <= level.n; i++ {
			ids = append(ids, fmt.Sprintf("%s%02d", level.name, i))
		}
	}
	return append(ids,
		"NETWORK_ERROR", "TIMEOUT", "FORMERR", "RESPONSE_ERROR", "INVALID_RCODE", "NOT_AUTHORITATIVE",
		"SERVER_NOT_AUTHORITATIVE", "AUTHORITATIVE_REFERRAL", "RECURSION_NOT_AVAILABLE", "UPWARD_REFERRAL",
		"SERVER_UNRESPONSIVE_UDP", "SERVER_UNRESPONSIVE_TCP", "SERVER_INVALID_RESPONSE_UDP", "SERVER_INVALID_RESPONSE_TCP",
		"ERROR_WITH_EDNS", "ERROR_WITH_EDNS_VERSION", "ERROR_WITH_EDNS_FLAG", "ERROR_WITH_EDNS_OPTION",
		"ERROR_WITHOUT_EDNS_FLAG", "ERROR_WITHOUT_EDNS_OPTION", "EDNS_VERSION_MISMATCH", "IMPLEMENTED_EDNS_VERSION_NOT_PROVIDED",
		"EDNS_IGNORED", "EDNS_SUPPORT_NO_OPT", "GRATUITOUS_OPT", "EDNS_UNDEFINED_FLAGS_SET", "PMTU_EXCEEDED",
		"MISSING_SOA_FOR_NXDOMAIN", "MISSING_SOA_FOR_NODATA", "SOA_NOT_OWNER_FOR_NXDOMAIN", "SOA_NOT_OWNER_FOR_NODATA",
		"CASE_NOT_PRESERVED", "NO_NS_IN_PARENT_NXDOMAIN", "NO_NS_IN_PARENT_NODATA", "NO_NS_ADDRESSES_FOR_IPV4",
		"NO_NS_ADDRESSES_FOR_IPV6", "NS_NAME_NOT_IN_CHILD", "NS_NAME_NOT_IN_PARENT", "ERROR_RESOLVING_NS_NAME",
		"NO_ADDRESS_FOR_NS_NAME", "MISSING_GLUE_FOR_NS_NAME", "NS_NAME_PRIVATE_IP", "GLUE_PRIVATE_IP", "GLUE_MISMATCH",
		"MISSING_GLUE_IPV4", "MISSING_GLUE_IPV6", "EXTRA_GLUE_IPV4", "EXTRA_GLUE_IPV6")
}()

// TestCoverageDoc keeps the coverage table of docs/findings.md true: every
// Zonemaster test case and DNSViz class of coverageIDs has a row, once;
// each row names codes Diagnose gives, or says "left out:" and why; and
// each code of the protocol checks answers to some row.
func TestCoverageDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "findings.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n## Coverage: Zonemaster and DNSViz\n")
	if !ok {
		t.Fatalf("%s has no section \"## Coverage: Zonemaster and DNSViz\"", path)
	}
	table, _, _ = strings.Cut(table, "\n## ")
	tick := regexp.MustCompile("`([A-Za-z0-9_-]+)`")
	seen := map[string]int{}
	named := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) != 3 || strings.HasPrefix(line, "| test |") || strings.HasPrefix(line, "| ---") {
			continue
		}
		for _, id := range strings.Split(strings.TrimPrefix(cells[0], "| "), ", ") {
			seen[strings.Trim(id, "`")]++
		}
		ours := strings.TrimSuffix(cells[2], " |")
		if strings.HasPrefix(ours, "left out: ") {
			continue
		}
		codes := tick.FindAllStringSubmatch(ours, -1)
		if len(codes) == 0 && !strings.HasPrefix(ours, "the walk") {
			t.Errorf("%s: the row %q names no code and does not say \"left out:\"", path, cells[0])
		}
		for _, m := range codes {
			if SeverityOf(m[1]) == "" {
				t.Errorf("%s: the row %q names %s, which is no code", path, cells[0], m[1])
			}
			named[m[1]] = true
		}
	}
	for _, id := range coverageIDs {
		if seen[id] != 1 {
			t.Errorf("%s: the coverage table has %d rows for %s, want 1", path, seen[id], id)
		}
	}
	for id := range seen {
		if !slices.Contains(coverageIDs, id) {
			t.Errorf("%s: the coverage table has a row for %s, which coverageIDs lacks", path, id)
		}
	}
	for _, code := range []string{CodeNoTCP, CodeEDNSBroken, CodeAAAAQueryBroken, CodeSOAMissing, CodeNegativeWithoutSOA,
		CodeNSSameAddress, CodeFamilyNotRedundant, CodeReferralTooLarge, CodeSOAFieldsInconsistent, CodeOpenRecursor,
		CodeAXFROpen, CodeCaseNotPreserved} {
		if !named[code] {
			t.Errorf("%s: no row of the coverage table names %s", path, code)
		}
	}
}
