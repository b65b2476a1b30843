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

// Split a list three ways, as three machines would, each with its own K:
// every name falls in one shard, and all its types with it.
func ExampleShard_Filter() {
	list := "www.example.com\nexample.com MX\nnope.example.com\nwww.example.com MX\nwww.vanity.net\n"
	for k := range 3 {
		shard := batch.Shard{K: k, N: 3}
		for n, err := range shard.Filter(batch.Read(strings.NewReader(list), "names.txt", dns.TypeA)) {
			if err != nil {
				fmt.Println(err)
				continue
			}
			fmt.Println(shard, n.Line, n.Question.Name, dns.TypeToString[n.Question.Qtype])
		}
	}
	// Output:
	// 0/3 1 www.example.com. A
	// 0/3 4 www.example.com. MX
	// 2/3 2 example.com. MX
	// 2/3 3 nope.example.com. A
	// 2/3 5 www.vanity.net. A
}

// A Kubernetes Indexed Job's pod reads its shard from JOB_COMPLETION_INDEX.
func ExampleParseShard() {
	env := func(name string) (string, bool) {
		return map[string]string{batch.IndexEnv: "5"}[name], name == batch.IndexEnv
	}
	for _, spec := range []string{"auto/8", "1/3", "auto/4", "3/3"} {
		s, err := batch.ParseShard(spec, env)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(spec, "is", s)
	}
	// Output:
	// auto/8 is 5/8
	// 1/3 is 1/3
	// auto/4: JOB_COMPLETION_INDEX is 5, but shards of 4 are numbered from 0 to 3: do the Job's completions match N?
	// "3/3": there is no shard 3 of 3; shards are numbered from 0 to 2, as JOB_COMPLETION_INDEX is
}
