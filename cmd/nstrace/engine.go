package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/resolver"
)

// engineFlags binds the flags that tune the walk: where and how long to
// ask, and the limits that keep every walk finite.
func engineFlags(f *pflag.FlagSet, e *resolver.Options) {
	f.Uint16VarP(&e.Port, "port", "p", resolver.DefaultPort, "query every server on port `N`")
	f.DurationVar(&e.Timeout, "timeout", resolver.DefaultTimeout, "wait at most this long for each reply")
	f.IntVar(&e.Tries, "tries", resolver.DefaultTries, "ask an address that times out up to `N` times in all")
	f.Var((*hedgeValue)(&e.HedgeDelay), "hedge", "when a reply is this late, ask the next server too: a duration, auto (adapts to the RTTs seen, 250ms at most) or off (one server at a time)")
	f.DurationVar(&e.Deadline, "deadline", resolver.DefaultDeadline, "give up the whole trace after this long")
	f.IntVar(&e.MaxQueries, "max-queries", resolver.DefaultMaxQueries, "send at most `N` queries per trace")
	f.IntVar(&e.MaxDepth, "max-referrals", resolver.DefaultMaxDepth, "follow at most `N` referrals per walk")
	f.IntVar(&e.MaxNesting, "max-nesting", resolver.DefaultMaxNesting, "nest lookups of glueless nameservers at most `N` deep")
	f.IntVar(&e.MaxNS, "max-ns", resolver.DefaultMaxNS, "consider at most `N` nameserver names per referral")
	f.IntVar(&e.MaxAddrs, "max-addrs", resolver.DefaultMaxAddrs, "ask at most `N` addresses per nameserver name")
	f.IntVar(&e.MaxCNAME, "max-cname", resolver.DefaultMaxCNAME, "follow at most `N` CNAMEs")
	allFlags(f, e) // all.go: --all, --parallel
}

// checkEngine rejects values the flags accept but the walk cannot use.
func checkEngine(e resolver.Options) error {
	if e.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, not %s", e.Timeout)
	}
	if e.Deadline <= 0 {
		return fmt.Errorf("--deadline must be positive, not %s", e.Deadline)
	}
	for _, l := range []struct {
		flag string
		v    int
	}{
		{"--tries", e.Tries}, {"--max-queries", e.MaxQueries}, {"--max-referrals", e.MaxDepth},
		{"--max-nesting", e.MaxNesting}, {"--max-ns", e.MaxNS}, {"--max-addrs", e.MaxAddrs}, {"--max-cname", e.MaxCNAME},
		{"--parallel", e.Parallel},
	} {
		if l.v < 1 {
			return fmt.Errorf("%s must be at least 1, not %d", l.flag, l.v)
		}
	}
	return nil
}

// hedgeValue is the --hedge flag: "auto" (0), "off" (negative) or a duration.
type hedgeValue time.Duration

func (h *hedgeValue) String() string {
	switch d := time.Duration(*h); {
	case d == 0:
		return "auto"
	case d < 0:
		return "off"
	default:
		return d.String()
	}
}

func (h *hedgeValue) Set(s string) error {
	switch s {
	case "auto":
		*h = 0
	case "off":
		*h = -1
	default:
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration, auto or off")
		}
		*h = hedgeValue(d)
	}
	return nil
}

func (h *hedgeValue) Type() string { return "duration|auto|off" }
