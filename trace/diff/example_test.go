package diff_test

import (
	"fmt"
	"strings"

	"github.com/nstrace/nstrace/trace/diff"
)

// Compare two traces of www.example.com. saved with nstrace -o json (here
// cut down to what matters): the parent moved the zone to other
// nameservers, and the answer's TTL went down.
func ExampleCompare() {
	trace := func(ns1, ns2, ttl string) string {
		return `{"schema_version": 1, "question": {"name": "www.example.com.", "type": "A", "class": "IN"},
		  "outcome": "answer", "answer": ["www.example.com. ` + ttl + ` IN A 192.0.2.10"], "findings": [],
		  "hops": [{"zone": "com.", "outcome": "referral", "referral": {"zone": "example.com.",
		    "ns": [{"name": "` + ns1 + `", "ttl": 172800}, {"name": "` + ns2 + `", "ttl": 172800}], "glue": []}}]}`
	}
	old, err := diff.Read(strings.NewReader(trace("ns1.olddns.net.", "ns2.olddns.net.", "3600")))
	if err != nil {
		fmt.Println(err)
		return
	}
	new, err := diff.Read(strings.NewReader(trace("ns3.newdns.net.", "ns2.olddns.net.", "300")))
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := diff.Compare(old, new, diff.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range results[0].Changes {
		fmt.Println(c.Op, c.Kind, c.Zone, c.Name)
	}
	// Output:
	// removed ns example.com. ns1.olddns.net.
	// added ns example.com. ns3.newdns.net.
	// changed answer  www.example.com. IN A 192.0.2.10
}
