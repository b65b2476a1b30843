package batch_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/batch"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
)

// Trace a list of names in the demo lab, on loopback, with one cache for
// the list: the results come in the list's order, a bad line in its place.
func ExampleRun() {
	l, err := lab.Start(lab.Demo())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	r, err := resolver.New(resolver.Options{Dial: l.Dial, RootHints: l.RootHints(), Cache: resolver.NewCache()})
	if err != nil {
		fmt.Println(err)
		return
	}
	list := "www.example.com\nexample.com MX # a comment\nwww.example.com AAA\nnope.example.com\n"
	names := batch.Read(strings.NewReader(list), "names.txt", dns.TypeA)
	for res := range batch.Run(context.Background(), batch.Options{Resolver: r, Jobs: 2}, names) {
		if res.Trace == nil {
			fmt.Println(res.Err)
			continue
		}
		fmt.Println(res.Line, res.Question.Name, dns.TypeToString[res.Question.Qtype], res.Trace.Outcome)
	}
	// Output:
	// 1 www.example.com. A answer
	// 2 example.com. MX answer
	// names.txt:3: unknown record type "AAA"
	// 4 nope.example.com. A nxdomain
}
