package main

import (
	"strconv"

	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/resolver"
)

// allFlags binds --all and --parallel: ask every address of every
// nameserver at each zone, in parallel, and compare what they say.
func allFlags(f *pflag.FlagSet, e *resolver.Options) {
	all := f.VarPF(allValue{e: e, f: f}, "all", "", "ask every address of every nameserver at each zone, in parallel, with the zone's SOA and NS, and compare their replies (a table per zone); raises --max-queries to "+strconv.Itoa(resolver.DefaultMaxQueriesAll)+" unless it is given")
	all.NoOptDefVal = "true"
	f.IntVar(&e.Parallel, "parallel", resolver.DefaultParallel, "with --all, send at most `N` queries at once to the servers of a zone")
}

// allValue is the --all flag. Asking every server takes more queries than
// the default budget allows, so it raises --max-queries to
// resolver.DefaultMaxQueriesAll, unless --max-queries was given first;
// given later, --max-queries sets it anyway.
type allValue struct {
	e *resolver.Options
	f *pflag.FlagSet
}

func (a allValue) String() string {
	if a.e == nil {
		return "false"
	}
	return strconv.FormatBool(a.e.All)
}

func (a allValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	a.e.All = v
	if !a.f.Changed("max-queries") {
		a.e.MaxQueries = resolver.DefaultMaxQueries
		if v {
			a.e.MaxQueries = resolver.DefaultMaxQueriesAll
		}
	}
	return nil
}

func (allValue) Type() string { return "bool" }
