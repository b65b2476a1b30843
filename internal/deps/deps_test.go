package deps

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/nstrace/nstrace/"

// allowed lists, for each package of the module, the packages of the module
// it may import. The model (trace, trace/preflight) and the renderers open
// no sockets and know nothing of the engine (trace takes DNSSEC's finding
// codes from dnssec, which opens none either); the engine (resolver) knows
// only the model and the validator (dnssec); batch and preflight run the
// engine for a Go program; only the command binds flags.
var allowed = map[string][]string{
	"trace":                {"dnssec", "internal/idn"},
	"trace/preflight":      {"trace"},
	"trace/render":         {"trace", "trace/diff", "trace/preflight", "internal/idn"},
	"trace/diff":           nil,
	"dnssec":               nil,
	"resolver":             {"dnssec", "trace"},
	"batch":                {"resolver", "trace"},
	"preflight":            {"resolver", "trace", "trace/preflight"},
	"watch":                {"batch", "resolver", "trace", "trace/diff", "trace/render"},
	"lab":                  {"dnssec", "trace"},
	"internal/labtest":     {"lab"},
	"internal/deps":        nil,
	"internal/idn":         nil,
	"internal/findingsdoc": nil,
	"e2e":                  nil,
	"deploy":               nil,
	"cmd/nstrace":          {"batch", "dnssec", "lab", "preflight", "resolver", "trace", "trace/diff", "trace/render", "watch"},
}

// only lists imports from outside the module that one package alone may
// have: colour is the renderers' business, flags and terminals the
// command's.
var only = map[string]string{
	"github.com/fatih/color":                         "trace/render",
	"github.com/spf13/cobra":                         "cmd/nstrace",
	"github.com/spf13/pflag":                         "cmd/nstrace",
	"github.com/mattn/go-isatty":                     "cmd/nstrace",
	"golang.org/x/term":                              "cmd/nstrace",
	"golang.org/x/net/idna":                          "internal/idn",
	"github.com/prometheus/client_golang/prometheus": "watch",
}

// noSockets are the packages that must not import package net (net/netip,
// the address types, is fine).
var noSockets = []string{"trace", "trace/diff", "trace/preflight", "trace/render", "dnssec"}

func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(f[0], module), f[1:]
		want, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the table of allowed imports: add it, with what it may import", pkg)
			continue
		}
		for _, imp := range imports {
			if dep, ok := strings.CutPrefix(imp, module); ok && !slices.Contains(want, dep) {
				t.Errorf("%s imports %s; it may import only %q", pkg, dep, want)
			}
			if owner, ok := only[imp]; ok && owner != pkg {
				t.Errorf("%s imports %s, which only %s may", pkg, imp, owner)
			}
			if imp == "net" && slices.Contains(noSockets, pkg) {
				t.Errorf("%s imports net: it must open no sockets", pkg)
			}
		}
	}
}
