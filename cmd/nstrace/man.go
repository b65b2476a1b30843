package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newManCmd is "nstrace man": the manual page, in roff, made from the
// commands and their flags so that it never drifts from --help.
//
// A small generator rather than github.com/spf13/cobra/doc: that package
// would add three modules (go-md2man, blackfriday and a YAML library) to
// turn Markdown we do not write into roff, and would date the page with
// the build time; this one writes the sections a manual page has (EXIT
// STATUS, EXAMPLES, SEE ALSO) from what the commands already hold.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man",
		Short: "Write the manual page, nstrace(1), in roff",
		Long: `Write the manual page, nstrace(1), in roff to stdout. Read it with
"nstrace man | man -l -", or install it:

  nstrace man > /usr/local/share/man/man1/nstrace.1`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeMan(cmd.OutOrStdout(), cmd.Root())
		},
	}
}

// writeMan writes root's manual page.
func writeMan(w io.Writer, root *cobra.Command) error {
	var b strings.Builder
	name := root.Name()
	fmt.Fprintf(&b, ".TH %s 1 \"\" %s \"User Commands\"\n", strings.ToUpper(name), roffQuote(name+" "+versionString()))
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", name, roffText(lowerFirst(root.Short)))

	b.WriteString(".SH SYNOPSIS\n")
	fmt.Fprintf(&b, ".B %s\n%s\n", name, roffText(strings.TrimPrefix(root.Use, name+" ")))
	for _, c := range visibleSubcommands(root) {
		fmt.Fprintf(&b, ".br\n.B %s %s\n", name, c.Name())
		if args := strings.TrimPrefix(c.Use, c.Name()); strings.TrimSpace(args) != "" {
			b.WriteString(roffText(strings.TrimSpace(args)) + "\n")
		}
	}

	b.WriteString(".SH DESCRIPTION\n")
	description, _, _ := strings.Cut(root.Long, "Exit codes:")
	roffParagraphs(&b, description)

	b.WriteString(".SH OPTIONS\n")
	roffFlags(&b, root.NonInheritedFlags())

	if subs := visibleSubcommands(root); len(subs) > 0 {
		b.WriteString(".SH COMMANDS\n")
		for _, c := range subs {
			fmt.Fprintf(&b, ".TP\n.B %s %s\n%s\n", name, roffText(c.Use), roffText(c.Short))
			for _, sub := range visibleSubcommands(c) {
				fmt.Fprintf(&b, ".TP\n.B %s %s %s\n%s\n", name, c.Name(), roffText(sub.Use), roffText(sub.Short))
			}
		}
	}

	b.WriteString(".SH EXIT STATUS\n")
	roffExits(&b, traceExits)
	fmt.Fprintf(&b, ".PP\n.B %s preflight\nexits with:\n", name)
	roffExits(&b, preflightExits)
	fmt.Fprintf(&b, ".PP\n.B %s diff\nexits with:\n", name)
	roffExits(&b, diffExits)
	fmt.Fprintf(&b, ".PP\n.B %s watch\nexits with:\n", name)
	roffExits(&b, watchExits)
	if root.Example != "" {
		b.WriteString(".SH EXAMPLES\n.nf\n.RS\n")
		for _, line := range strings.Split(root.Example, "\n") {
			b.WriteString(roffLine(strings.TrimPrefix(line, "  ")) + "\n")
		}
		b.WriteString(".RE\n.fi\n")
	}
	b.WriteString(".SH ENVIRONMENT\n")
	b.WriteString(".TP\n.B NO_COLOR\nWhen set, --color auto writes no colour (https://no-color.org).\n")
	b.WriteString(".SH SEE ALSO\n.BR dig (1),\n.BR drill (1)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func visibleSubcommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() && s.Name() != "help" {
			out = append(out, s)
		}
	}
	return out
}

// roffFlags lists flags as tagged paragraphs: "-p, --port N", then the
// usage and the default.
func roffFlags(b *strings.Builder, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		b.WriteString(".TP\n")
		if f.Shorthand != "" {
			fmt.Fprintf(b, "\\fB\\-%s\\fR, ", f.Shorthand)
		}
		fmt.Fprintf(b, "\\fB\\-\\-%s\\fR", roffText(f.Name))
		if varname != "" && f.NoOptDefVal == "" {
			fmt.Fprintf(b, " \\fI%s\\fR", roffText(varname))
		}
		b.WriteString("\n" + roffText(usage))
		switch f.DefValue {
		case "", "false", "0", "[]":
		default:
			fmt.Fprintf(b, " (default: %s)", roffText(f.DefValue))
		}
		b.WriteString("\n")
	})
}

// roffExits lists exit codes as tagged paragraphs, from the table that
// --help writes too.
func roffExits(b *strings.Builder, table []exitStatus) {
	for _, s := range table {
		fmt.Fprintf(b, ".TP\n.B %d\n%s\n", s.code, roffText(s.text))
	}
}

// roffParagraphs writes text: paragraphs apart, indented lines as they are.
func roffParagraphs(b *strings.Builder, text string) {
	for i, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			b.WriteString(".PP\n")
		}
		lines := strings.Split(p, "\n")
		if strings.HasPrefix(lines[0], " ") {
			b.WriteString(".nf\n.RS\n")
			for _, l := range lines {
				b.WriteString(roffLine(strings.TrimPrefix(l, "  ")) + "\n")
			}
			b.WriteString(".RE\n.fi\n")
			continue
		}
		for _, l := range lines {
			b.WriteString(roffLine(l) + "\n")
		}
	}
}

// roffText escapes text for roff: backslashes and hyphens.
func roffText(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

// roffLine escapes a line of text, which must not start with a control
// character.
func roffLine(s string) string {
	s = roffText(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffText(s), `"`, `\(dq`) + `"`
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
