package render

import (
	"strings"

	"github.com/nstrace/nstrace/trace"
)

// fixText gives the one line of a finding's fix that people read, after
// its message: "fix (registrar): add glue …; or (server): …". It is ""
// when the fix is hidden (Options.NoFix), for info findings, which have
// nothing that must be fixed, and for findings with no fix.
func (o Options) fixText(f trace.Finding) string {
	if o.NoFix || f.Fix == nil || !f.Severity.AtLeast(trace.SeverityWarning) {
		return ""
	}
	parts := []string{"fix (" + string(f.Fix.Where) + "): " + f.Fix.Summary}
	for _, alt := range f.Fix.Or {
		parts = append(parts, "or ("+string(alt.Where)+"): "+alt.Summary)
	}
	return strings.Join(parts, "; ")
}

// fix writes the line of f's fix under its finding, after indent and
// indented as the finding's message: "  fix (registrar): …".
func (r *treeRenderer) fix(indent string, f trace.Finding) {
	text := r.o.fixText(f)
	if text == "" {
		return
	}
	head, rest, _ := strings.Cut(text, ": ")
	r.wrapped(indent+"  ", head+":", r.p.answer, rest)
}

// jsonFix is a finding's fix in JSON: where, a summary, the records as
// zone-file lines with what to do with each, the steps in order, and the
// other ways when there are others.
type jsonFix struct {
	Where    string             `json:"where"`
	Summary  string             `json:"summary"`
	Records  []jsonFixRecord    `json:"records"`
	Steps    []string           `json:"steps,omitempty"`
	Server   *jsonFindingServer `json:"server,omitempty"`
	Evidence string             `json:"evidence,omitempty"`
	Or       []jsonFix          `json:"or,omitempty"`
}

// jsonFixRecord is one record of a fix.
type jsonFixRecord struct {
	Op    string `json:"op"`
	Where string `json:"where"`
	Zone  string `json:"zone"`
	RR    string `json:"rr"`
}

// newJSONFix gives f for the document; nil for no fix.
func newJSONFix(f *trace.Fix) *jsonFix {
	if f == nil {
		return nil
	}
	jf := &jsonFix{Where: string(f.Where), Summary: f.Summary, Records: []jsonFixRecord{}, Steps: f.Steps, Evidence: f.Evidence}
	if s := f.Server; s != nil {
		jf.Server = &jsonFindingServer{Name: s.Name, Address: addrString(s.Addr)}
	}
	for _, c := range f.Records {
		jf.Records = append(jf.Records, jsonFixRecord{Op: string(c.Op), Where: string(c.Where), Zone: c.Zone, RR: c.RR})
	}
	for i := range f.Or {
		jf.Or = append(jf.Or, *newJSONFix(&f.Or[i]))
	}
	return jf
}
