package preflight_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/preflight"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// The questions of a check: names relative to the zone ("@" is its apex),
// each followed by its types, A when none.
func ExampleQuestions() {
	qs, err := preflight.Questions("example.com.", []string{"@", "MX", "TXT", "www", "A", "AAAA", "mail"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, q := range qs {
		fmt.Println(q.Name, trace.TypeString(q.Qtype))
	}
	// Output:
	// example.com. MX
	// example.com. TXT
	// www.example.com. A
	// www.example.com. AAAA
	// mail.example.com. A
}

// Check a move of example.com to two servers of another provider, in the
// migration lab on loopback: its copy lacks a record, names another NS
// set, and one of the servers does not serve the zone.
func ExampleRun() {
	s, err := lab.Load(filepath.Join("..", "testdata", "lab", "migration.txtar"))
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := lab.Start(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	to := &trace.Delegation{Zone: "example.com.", NS: []trace.NS{{Name: "ns1.newdns.net."}, {Name: "ns2.newdns.net."}}}
	o := preflight.Options{Resolver: resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), HedgeDelay: -1}}
	report, err := preflight.Run(context.Background(), o, "example.com.", to)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("breaks:", report.Breaks())
	for _, p := range report.Problems {
		if p.Severity != trace.SeverityError {
			continue
		}
		if p.Qtype != 0 {
			fmt.Println(p.Code, p.Name, trace.TypeString(p.Qtype))
		} else {
			fmt.Println(p.Code, p.Name)
		}
	}
	// Output:
	// breaks: true
	// lame-server example.com.
	// missing-record example.com. TXT
	// ns-set-differs example.com.
}
