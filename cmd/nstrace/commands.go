package main

import (
	"errors"
	"strings"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"
)

// digLikeFlags adds the flags that do what dig's do, and the others of
// this outputs.
func digLikeFlags(cmd *cobra.Command, o *options) {
	f := cmd.Flags()
	f.StringVarP(&o.dig.qname, "query", "q", "", "trace `NAME`; for a name that reads as a type or class")
	f.StringVarP(&o.dig.qtype, "type", "t", "", "ask for records of `TYPE`, as the TYPE argument does")
	f.StringVarP(&o.dig.qclass, "class", "c", "", "the query `CLASS`: IN, the only one nstrace traces")
	f.StringVarP(&o.dig.reverse, "reverse", "x", "", "trace the PTR record of `ADDR` (its in-addr.arpa or ip6.arpa name)")
	f.BoolVarP(&o.ipv4, "ipv4", "4", false, "ask servers at their IPv4 addresses only")
	f.BoolVarP(&o.ipv6, "ipv6", "6", false, "ask servers at their IPv6 addresses only")
	f.BoolVar(&o.noFollow, "no-follow", false, "stop at a CNAME instead of following it to its target")
	f.StringVar(&o.live, "live", "auto", "write hops as their replies arrive: auto (when stdout is a terminal), always or never")

	completeFlags(cmd, map[string][]string{
		"output":  outputFormats,
		"fail-on": failOnValues,
		"live":    {"auto", "always", "never"},
		"class":   {"IN"},
		"type":    commonTypes,
	})
}

// completeFlags registers the values shell completion offers for cmd's
// flags: those given, and the ones every command shares (--color, --hedge,
// --lab).
func completeFlags(cmd *cobra.Command, values map[string][]string) {
	fixed := func(values ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	funcs := map[string]cobra.CompletionFunc{
		"color": fixed("auto", "always", "never"),
		"hedge": fixed("auto", "off"),
		"lab": func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"demo"}, cobra.ShellCompDirectiveDefault // and files
		},
	}
	for flag, v := range values {
		funcs[flag] = fixed(v...)
	}
	for flag, fn := range funcs {
		if cmd.Flags().Lookup(flag) != nil {
			cmd.RegisterFlagCompletionFunc(flag, fn)
		}
	}
}

// digLikeEngine passes -4, -6 and --no-follow to the engine.
func digLikeEngine(o *options) error {
	switch {
	case o.ipv4 && o.ipv6:
		return errors.New("-4 and -6 exclude each other; give neither to ask both")
	case o.ipv4:
		o.engine.Family = 4
	case o.ipv6:
		o.engine.Family = 6
	}
	o.engine.NoFollow = o.noFollow
	return nil
}

// addCommands adds the subcommands: diff, man, and cobra's completion.
func addCommands(root *cobra.Command) {
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.AddCommand(newDiffCmd(), newManCmd())
	root.CompletionOptions.HiddenDefaultCmd = false
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			// Runnable, so that an unknown shell is an error, not help.
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			c.Example = "  source <(nstrace completion bash)\n  nstrace completion zsh > \"${fpath[1]}/_nstrace\"\n  nstrace completion fish > ~/.config/fish/completions/nstrace.fish"
		}
	}
	usageErrors(root)
}

// usageErrors makes the argument and flag errors of root's subcommands
// usage errors, exit code 2, as the root command's are.
func usageErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		sub.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
		if args := sub.Args; args != nil {
			sub.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		usageErrors(sub)
	}
}

// commonTypes are the types offered by completion; any other is accepted.
var commonTypes = []string{
	"A", "AAAA", "CAA", "CNAME", "DNSKEY", "DS", "HTTPS", "MX", "NS", "NSEC", "PTR", "SOA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT",
}

// completeArgs completes the positional arguments: a type once the name
// is given, as long as no type was.
func completeArgs(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.HasPrefix(toComplete, "@") || strings.HasPrefix(toComplete, "+") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	named := false
	for _, a := range args {
		if isType(a) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if _, ok := dns.IsDomainName(a); ok && !strings.HasPrefix(a, "@") && !isClass(a) {
			named = true
		}
	}
	if !named {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, t := range commonTypes {
		if strings.HasPrefix(t, strings.ToUpper(toComplete)) {
			out = append(out, t)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
