package main

import (
	"fmt"
	"io"
	"os"

	"github.com/nstrace/nstrace/trace"
	"github.com/nstrace/nstrace/trace/render"
)

// outputFormats are the values of --output, for help and completion.
var outputFormats = []string{"tree", "json", "jsonl", "dig", "dot"}

// output is one output format: how to write a whole trace, and, for the
// formats that can be written as the walk happens, how to start doing so.
type output struct {
	render func(io.Writer, *trace.Trace) error
	stream func(io.Writer, trace.Question) stream // nil for whole documents
}

// stream writes a walk as it happens; render.TreeStream and
// render.DigStream are streams.
type stream interface {
	Hop(h trace.Hop, depth int) error
	LookupStarted(q trace.Question, depth int) error
	LookupDone(l *trace.Trace, depth int) error
	Done(t *trace.Trace) error
}

// digStream adds the lookup events, which dig's layout leaves out, to a
// render.DigStream.
type digStream struct{ *render.DigStream }

func (digStream) LookupStarted(trace.Question, int) error { return nil }
func (digStream) LookupDone(*trace.Trace, int) error      { return nil }

// renderOptions gives the renderers' options from the flags and where the
// output goes: colour as --color says ("auto" colours a terminal unless
// NO_COLOR is set, https://no-color.org), timings unless --no-timings,
// nstrace's version, and on a terminal its width, which finding lines wrap
// to.
func renderOptions(color string, noTimings bool, stdout io.Writer) (render.Options, error) {
	ro := render.Options{NoTimings: noTimings, Version: versionString()}
	switch color {
	case "always":
		ro.Color = true
	case "never":
	case "auto":
		_, no := os.LookupEnv("NO_COLOR")
		ro.Color = !no && isTerminal(stdout)
	default:
		return ro, fmt.Errorf("unknown --color %q (want auto, always or never)", color)
	}
	if isTerminal(stdout) {
		ro.Width = terminalWidth(stdout.(*os.File))()
	}
	return ro, nil
}

func newOutput(format string, o render.Options) (output, error) {
	dig := render.DigOptions{Options: o}
	switch format {
	case "tree":
		return output{
			render: func(w io.Writer, t *trace.Trace) error { return render.Tree(w, t, o) },
			stream: func(w io.Writer, q trace.Question) stream { return render.NewTreeStream(w, q, o) },
		}, nil
	case "json":
		return output{render: func(w io.Writer, t *trace.Trace) error { return render.JSON(w, t, o) }}, nil
	case "dig":
		return output{
			render: func(w io.Writer, t *trace.Trace) error { return render.Dig(w, t, dig) },
			stream: func(w io.Writer, q trace.Question) stream {
				return digStream{render.NewDigStream(w, q, dig)}
			},
		}, nil
	case "dot":
		return output{render: func(w io.Writer, t *trace.Trace) error { return render.Dot(w, t, o) }}, nil
	}
	return output{}, fmt.Errorf("unknown output format %q (want tree, json, dig or dot)", format)
}
