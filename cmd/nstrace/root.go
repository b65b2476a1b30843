package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

// Exit codes, documented in the help text and the README.
const (
	exitOK     = 0 // an authoritative outcome: answer, NXDOMAIN or NODATA
	exitFailed = 1 // the walk failed
	exitUsage  = 2 // bad flags, arguments or input files
)

const exitCodesHelp = `Exit codes:
  0  an authoritative outcome was reached (answer, NXDOMAIN or NODATA)
  1  the walk failed (every server of a zone failed, a limit was hit, ...)
  2  usage or input error (bad flag, name, type, hints or lab file)`

// usageError marks an error as the user's: exit code 2, nothing on stdout.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// options are the flags of the root command.
type options struct {
	rootHints string
	engine    resolver.Options // bound to the engine's flags (engine.go)
	output    string
	json      bool
	color     string
	noTimings bool
	lab       string
}

// Main runs nstrace with args and returns the exit code. It is main without
// os.Exit, so tests can run it in-process.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd := newRootCmd(stdout)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "nstrace: %v\n", oneLine(err))
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFailed
}

func newRootCmd(stdout io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "nstrace [flags] NAME [TYPE]",
		Short: "Trace a DNS name from the root to its authoritative answer",
		Long: `nstrace walks the DNS iteratively, as a resolver does, from the root hints
through each referral to the servers that are authoritative for NAME, and shows
every hop: the zone, the server asked (name, address, and where the address came
from: hints, glue, or a separate lookup), what it said and how long it took.

TYPE is any record type (A, AAAA, MX, TXT, NS, ... or TYPEnnn); A by default.

` + exitCodesHelp,
		Example: `  nstrace www.example.com
  nstrace example.com MX --json | jq .
  nstrace --lab demo www.example.com`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.RangeArgs(1, 2)(cmd, args); err != nil {
				return usageError{fmt.Errorf("%w; usage: nstrace [flags] NAME [TYPE]", err)}
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), o, args, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rootHints, "root-hints", "", "read root hints from `FILE` (IANA named.root format) instead of the embedded ones")
	engineFlags(f, &o.engine)
	f.StringVarP(&o.output, "output", "o", "tree", "output format: tree or json")
	f.BoolVar(&o.json, "json", false, "same as --output json")
	f.StringVar(&o.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.BoolVar(&o.noTimings, "no-timings", false, "hide timings, so that outputs compare byte for byte")
	f.StringVar(&o.lab, "lab", "", "trace inside a lab served on loopback: a scenario `DIR` or .txtar file, or \"demo\"")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

func run(ctx context.Context, o options, args []string, stdout io.Writer) error {
	q, err := parseQuestion(args)
	if err != nil {
		return usageError{err}
	}
	if o.json {
		o.output = "json"
	}
	var renderFn func(io.Writer, *trace.Trace, render.Options) error
	switch o.output {
	case "tree":
		renderFn = render.Tree
	case "json":
		renderFn = render.JSON
	default:
		return usageError{fmt.Errorf("unknown output format %q (want tree or json)", o.output)}
	}
	colour, err := wantColor(o.color, stdout)
	if err != nil {
		return usageError{err}
	}
	if err := checkEngine(o.engine); err != nil {
		return usageError{err}
	}
	ropts := o.engine
	if o.rootHints != "" {
		f, err := os.Open(o.rootHints)
		if err != nil {
			return usageError{err}
		}
		ropts.RootHints, err = resolver.ParseRootHints(o.rootHints, f)
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("root hints: %w", err)}
		}
	}
	if o.lab != "" {
		var s *lab.Scenario
		if o.lab == "demo" {
			s = lab.Demo()
		} else if s, err = lab.Load(o.lab); err != nil {
			return usageError{err}
		}
		l, err := lab.Start(s)
		if err != nil {
			return fmt.Errorf("starting the lab: %w", err)
		}
		defer l.Close()
		ropts.Dial = l.Dial // it maps written addresses to loopback and refuses all else
		if ropts.RootHints == nil {
			ropts.RootHints = l.RootHints()
		}
	}
	if os.Getenv("NSTRACE_LOOPBACK_ONLY") != "" && ropts.Dial == nil {
		ropts.Dial = resolver.LoopbackOnly(dialNet)
	}
	r, err := resolver.New(ropts)
	if err != nil {
		return usageError{err}
	}
	t, walkErr := r.Trace(ctx, q.Name, q.Qtype)
	if t == nil {
		return usageError{walkErr}
	}
	if err := renderFn(stdout, t, render.Options{Color: colour, NoTimings: o.noTimings}); err != nil {
		return err
	}
	return walkErr
}

// parseQuestion reads NAME [TYPE].
func parseQuestion(args []string) (trace.Question, error) {
	q := trace.Question{Qtype: dns.TypeA, Qclass: dns.ClassINET}
	name := args[0]
	if _, ok := dns.IsDomainName(name); !ok || name == "" || strings.ContainsAny(name, " \t\n") {
		return q, fmt.Errorf("invalid domain name %q", name)
	}
	q.Name = dns.CanonicalName(name)
	if len(args) > 1 {
		t, err := parseType(args[1])
		if err != nil {
			return q, err
		}
		q.Qtype = t
	}
	return q, nil
}

// parseType accepts a type mnemonic, in any case, or TYPEnnn (RFC 3597).
func parseType(s string) (uint16, error) {
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok && t != dns.TypeNone {
		return t, nil
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil && v > 0 {
			return uint16(v), nil
		}
	}
	return 0, fmt.Errorf("unknown record type %q", s)
}

// wantColor decides whether to colour output: "auto" colours a terminal
// unless NO_COLOR is set (https://no-color.org).
func wantColor(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if _, ok := os.LookupEnv("NO_COLOR"); ok {
			return false, nil
		}
		f, ok := w.(*os.File)
		return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())), nil
	}
	return false, fmt.Errorf("unknown --color %q (want auto, always or never)", mode)
}

// oneLine keeps an error message to one line, as the exit contract promises.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

func dialNet(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr.String())
}
