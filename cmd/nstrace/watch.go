package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/nstrace/nstrace/batch"
	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/watch"
)

// nstrace watch: the names of a list traced again and again by package
// watch, with Prometheus metrics and an event for each change.

// watchFlags are the flags of nstrace watch.
type watchFlags struct {
	every       time.Duration // --every
	cycles      int           // --cycles
	listen      string        // --listen ADDR
	events      string        // --events FILE, "-" for stdout
	exec        string        // --exec CMD
	metricsFile string        // --metrics-file FILE
}

// labReloader serves the lab --lab names anew when its files change, so
// that a zone edited while nstrace watch runs is what the next cycle sees.
type labReloader struct {
	path  string
	l     *lab.Lab
	stamp string // the files' names, sizes and times, as last served
	log   io.Writer
}

// check reloads the lab if its files changed since the last check.
func (r *labReloader) check() {
	stamp := labStamp(r.path)
	if r.l == nil || stamp == r.stamp {
		return
	}
	r.stamp = stamp
	s, err := lab.Load(r.path)
	if err == nil {
		err = r.l.Reload(s)
	}
	if err != nil {
		fmt.Fprintf(r.log, "nstrace watch: %v; the lab serves what it did\n", err)
		return
	}
	fmt.Fprintf(r.log, "nstrace watch: lab %s reloaded\n", r.path)
}

// labStamp is the names, sizes and modification times of the files of
// the lab at path, a .txtar file or a directory; "" when there are none.
func labStamp(path string) string {
	var b strings.Builder
	stamp := func(name string, fi os.FileInfo) {
		fmt.Fprintf(&b, "%s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		stamp(path, fi)
		return b.String()
	}
	entries, _ := os.ReadDir(path)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && (e.Name() == lab.ManifestName || strings.HasSuffix(e.Name(), ".zone")) {
			stamp(e.Name(), fi)
		}
	}
	return b.String()
}

func newWatchCmd(stdout io.Writer) *cobra.Command {
	var o options
	var wf watchFlags
	cmd := &cobra.Command{
		Use:   "watch [flags] NAME... | -f FILE",
		Short: "Trace names again and again, with Prometheus metrics and an event for each change",
		Long: `watch traces each NAME (or each name of the list -f names, one NAME [TYPE] a
line) every --every, with the server checks and DNSSEC validation of a trace,
until SIGINT or SIGTERM, then stops cleanly. Each cycle asks every name's own
servers again; what the parents said, the nameservers' addresses and the check
of each zone's servers are reused while their TTL lasts, as a resolver does,
so a watch of many names under one zone asks its parents once per TTL. The
wait between cycles is made up to 10% longer or shorter at random, so that
watches started together drift apart.

Each time a name's trace differs from the one before (a finding appears or
clears; an NS set, glue, SOA serial, the answer, the outcome or DNSSEC
changes), one JSON line is written to stdout (--events FILE to write
elsewhere) carrying the nstrace diff of the two traces, and --exec CMD runs
CMD with that line on its standard input. CMD is split into words as a shell
would (quotes, backslashes), but no shell runs it and nothing of the event
is put on its command line; for pipes or redirections, give the shell
yourself: --exec 'sh -c "jq -r .question.name | mail -s dns oncall"'.

With --listen ADDR, Prometheus metrics are served at http://ADDR/metrics and
"ok" at /healthz; docs/metrics.md lists them, docs/alerts.yml has alerting
rules. --metrics-file FILE writes them after each cycle instead or as well
(for node_exporter's textfile collector). A name whose trace fails keeps its
last good metrics, marked stale, and never holds the others up.

With --lab DIR or FILE, edits to the lab's files are served from the next
cycle on: rehearse a change and see what the watch says of it (a signed lab
keeps its keys only if its sign lines give a seed= or it holds key files).

` + exitHelp(watchExits),
		Example: `  nstrace watch www.example.com example.com --listen 127.0.0.1:9153
  nstrace watch -f names.txt --every 1m --events changes.jsonl
  nstrace watch -f names.txt --exec 'notify-send "DNS changed"'
  nstrace watch --lab demo www.example.com --every 1s --cycles 3`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.budgetGiven = cmd.Flags().Changed("max-queries")
			return runWatch(cmd.Context(), o, wf, args, cmd.InOrStdin(), stdout, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.batch.file, "file", "f", "", "watch every name listed in `FILE` (- for stdin): one NAME [TYPE] a line, # starts a comment")
	f.StringVarP(&o.dig.qtype, "type", "t", "", "ask for records of `TYPE` for the names that give none (A by default)")
	f.IntVarP(&o.batch.jobs, "jobs", "j", batch.DefaultJobs, "trace `N` names at once")
	f.StringVar(&o.batch.shard, "shard", "", "with -f, watch only shard `K/N` of the list, K from 0 to N-1, as nstrace -f --shard splits it; auto/N takes K from "+batch.IndexEnv)
	f.DurationVar(&wf.every, "every", watch.DefaultEvery, "start a cycle this often (jittered by up to 10%)")
	f.IntVar(&wf.cycles, "cycles", 0, "stop after `N` cycles (0: run until SIGINT or SIGTERM)")
	f.StringVar(&wf.listen, "listen", "", "serve Prometheus metrics at http://`ADDR`/metrics and /healthz (e.g. 127.0.0.1:9153, :9153)")
	f.StringVar(&wf.events, "events", "-", "append the events, one JSON line each, to `FILE` (- for stdout)")
	f.StringVar(&wf.exec, "exec", "", "run `CMD` for each event, the event's JSON line on its stdin (no shell unless CMD names one)")
	f.StringVar(&wf.metricsFile, "metrics-file", "", "write the metrics to `FILE` after each cycle, in Prometheus's text format")
	f.BoolVarP(&o.batch.verbose, "verbose", "v", false, "write a line on stderr at the end of each cycle")
	engineFlags(f, &o)
	f.Var((*pathValue)(&o.lab), "lab", "watch inside a lab served on loopback: a scenario `DIR` or .txtar file, or \"demo\"; edits to its files are served from the next cycle on")
	completeFlags(cmd, map[string][]string{"type": commonTypes})
	return cmd
}

// watchExits are the exit codes of nstrace watch.
var watchExits = []exitStatus{
	{exitOK, "stopped by SIGINT or SIGTERM, or after --cycles: the watch's normal end, whatever the names' traces found"},
	{exitFailed, "the watch could not start: --listen's address cannot be listened on"},
	{exitUsage, "usage or input error: a bad flag, name, list line, lab, --exec command or events file; one line on stderr, nothing on stdout"},
}

// runWatch runs nstrace watch until SIGINT or SIGTERM (ctx, from Main's
// notifyStop) or --cycles.
func runWatch(ctx context.Context, o options, wf watchFlags, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	wo, err := watchOptions(o, wf, args, stdin)
	if err != nil {
		return usageError{err}
	}
	wo.Log, wo.Verbose = stderr, o.batch.verbose
	reload := &labReloader{path: o.lab, log: stderr}
	if o.lab != "" && o.lab != "demo" {
		reload.stamp = labStamp(o.lab)
		o.onLab = func(l *lab.Lab) { reload.l = l }
		wo.AfterCycle = func(int) { reload.check() }
	}
	ropts, closeLab, err := engineOptions(o)
	if err != nil {
		return err
	}
	defer closeLab()
	wo.Resolver = ropts
	events, closeEvents, err := eventsWriter(wf.events, stdout)
	if err != nil {
		return usageError{err}
	}
	defer closeEvents()
	wo.Events = events
	w, err := watch.New(wo)
	if err != nil {
		return usageError{err}
	}
	if wf.listen != "" {
		ln, err := net.Listen("tcp", wf.listen)
		if err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
		srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}
	return w.Run(ctx)
}

// watchOptions makes the watch's options of the flags and arguments, but
// for the resolver's, the events' writer and the log.
func watchOptions(o options, wf watchFlags, args []string, stdin io.Reader) (watch.Options, error) {
	wo := watch.Options{Every: wf.every, Cycles: wf.cycles, Jobs: o.batch.jobs, MetricsFile: wf.metricsFile}
	switch {
	case wf.every <= 0:
		return wo, fmt.Errorf("--every must be positive, not %v", wf.every)
	case wf.cycles < 0:
		return wo, fmt.Errorf("--cycles must be 0 or more, not %d", wf.cycles)
	case o.batch.jobs < 1:
		return wo, fmt.Errorf("-j must be at least 1, not %d", o.batch.jobs)
	}
	if wf.exec != "" {
		argv, err := splitCommand(wf.exec)
		if err != nil {
			return wo, fmt.Errorf("--exec: %w", err)
		}
		wo.Exec = argv
	}
	var err error
	wo.Names, err = watchNames(o, args, stdin)
	return wo, err
}

// watchNames reads the names to watch: those of the list -f names (of its
// shard, with --shard), or the arguments. A bad line of the list is an error: a watch runs for days,
// and should not do so without a name that was meant.
func watchNames(o options, args []string, stdin io.Reader) ([]batch.Name, error) {
	qtype := uint16(dns.TypeA)
	if o.dig.qtype != "" {
		t, err := parseType(o.dig.qtype)
		if err != nil {
			return nil, err
		}
		qtype = t
	}
	if o.batch.file == "" {
		if o.batch.shard != "" {
			return nil, errShardNoList
		}
		return argNames(args, qtype)
	}
	if len(args) > 0 {
		return nil, fmt.Errorf("with -f, the names come from %s; give no NAME as well (%q)", o.batch.file, args[0])
	}
	shard, err := listShard(o.batch)
	if err != nil {
		return nil, err
	}
	input := stdin
	if o.batch.file != "-" {
		f, err := os.Open(o.batch.file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		input = f
	}
	return listNames(input, batchSource(o.batch.file), qtype, shard)
}

// listNames reads a list to watch and gives its names in shard. Every
// shard refuses a bad line, wherever it falls: each watcher of a list
// reads the whole of it.
func listNames(input io.Reader, source string, qtype uint16, shard batch.Shard) ([]batch.Name, error) {
	var names []batch.Name
	total := 0
	for n, err := range batch.Read(input, source, qtype) {
		if err != nil {
			return nil, err
		}
		total++
		if shard.Has(n.Question.Name) {
			names = append(names, n)
		}
	}
	switch {
	case total == 0:
		return nil, fmt.Errorf("%s lists no name", source)
	case len(names) == 0:
		return nil, fmt.Errorf("shard %v of %s holds no name (the list has %s): watch it in fewer shards", shard, source, batchPlural(total, "name", "names"))
	}
	return names, nil
}

// argNames are the names of the arguments, each of type qtype.
func argNames(args []string, qtype uint16) ([]batch.Name, error) {
	if len(args) == 0 {
		return nil, errors.New("no name to watch; usage: nstrace watch [flags] NAME... | -f FILE")
	}
	var names []batch.Name
	for _, a := range args {
		name, err := trace.ParseName(a)
		if err != nil {
			return nil, err
		}
		if err := resolver.CheckQuestion(name, qtype); err != nil {
			return nil, err
		}
		names = append(names, batch.Name{Question: trace.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET}})
	}
	return names, nil
}

// eventsWriter opens where --events says to write: stdout for "-", else
// the file, appended to.
func eventsWriter(path string, stdout io.Writer) (io.Writer, func(), error) {
	if path == "-" {
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, func() {}, fmt.Errorf("--events: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// splitCommand splits --exec's CMD into words as a POSIX shell does, with
// no expansion of any kind: blanks separate words; '...' keeps what it
// holds as it is; "..." too, but for \" and \\; outside quotes, \ keeps the
// next character as it is.
func splitCommand(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			continue
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			w.WriteString(s[i+1 : i+1+end])
			i += 1 + end
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					j++
				}
				w.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("unterminated \" quote")
			}
			i = j
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("a \\ ends the command")
			}
			i++
			w.WriteByte(s[i])
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	return words, nil
}
