package render

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/nstrace/nstrace/trace/diff"
)

// DiffSchemaVersion is the version of the document DiffJSON writes, in its
// schema_version field: docs/diff.md describes it. As SchemaVersion, it
// changes only when a field is removed or its meaning changes.
const DiffSchemaVersion = 1

// DiffOptions configures Diff and DiffJSON.
type DiffOptions struct {
	Options // Color, for Diff; the rest is ignored
	// Old and New name the two inputs: the --- and +++ lines, and the
	// JSON's old and new. Empty names are written as "old" and "new".
	Old, New string
}

func (o DiffOptions) names() (string, string) {
	old, new := o.Old, o.New
	if old == "" {
		old = "old"
	}
	if new == "" {
		new = "new"
	}
	return old, new
}

// Diff writes the changes of results for people, as diff -u writes a
// patch, coloured as git colours one: "--- OLD" and "+++ NEW", then for
// each question that changed an "@@ QUESTION" line and its changes grouped
// by zone, then the answer and the findings, each fact as a "-" line (the
// old trace's) or a "+" line (the new one's); a changed fact is both. With
// several questions, a last line counts them. Nothing is written when
// nothing changed, as diff(1) writes nothing.
func Diff(w io.Writer, results []diff.Result, o DiffOptions) error {
	if !diff.Differ(results) {
		return nil
	}
	p := newDiffPalette(o.Color)
	var b bytes.Buffer
	old, new := o.names()
	fmt.Fprintln(&b, p.file.Sprint("--- "+old))
	fmt.Fprintln(&b, p.file.Sprint("+++ "+new))
	changed, onlyOld, onlyNew := 0, 0, 0
	for _, r := range results {
		switch r.Status {
		case diff.Same:
			continue
		case diff.OnlyInOld:
			onlyOld++
		case diff.OnlyInNew:
			onlyNew++
		default:
			changed++
		}
		fmt.Fprintln(&b, p.hunk.Sprint("@@ "+r.Question.String()+diffWhen(r)))
		switch r.Status {
		case diff.OnlyInOld:
			fmt.Fprintln(&b, p.del.Sprint("-  traced in "+old+" only"))
		case diff.OnlyInNew:
			fmt.Fprintln(&b, p.add.Sprint("+  traced in "+new+" only"))
		default:
			diffChanges(&b, p, r.Changes)
		}
	}
	if len(results) > 1 {
		same := len(results) - changed - onlyOld - onlyNew
		fmt.Fprintf(&b, "%d questions: %d changed, %d the same, %d in %s only, %d in %s only\n", len(results), changed, same, onlyOld, old, onlyNew, new)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// diffChanges writes the changes of one question: a line naming each
// group (a zone, the answer, the findings) before its changes, and in each
// group the "-" lines of a kind before its "+" lines (of all findings
// together).
func diffChanges(b *bytes.Buffer, p *diffPalette, changes []diff.Change) {
	group := "\x00"
	for i := 0; i < len(changes); {
		// A run of one kind in one group: one kind of one zone, or every
		// finding, whatever its zone.
		j := i
		for j < len(changes) && changes[j].Kind == changes[i].Kind && diffGroup(changes[j].Key) == diffGroup(changes[i].Key) {
			j++
		}
		if g := diffGroup(changes[i].Key); g != group {
			group = g
			fmt.Fprintln(b, " "+g)
		}
		for _, c := range changes[i:j] {
			if c.Old != nil {
				fmt.Fprintln(b, p.del.Sprint("-  "+diffLine(c.Key, c.Old)))
			}
		}
		for _, c := range changes[i:j] {
			if c.New != nil {
				fmt.Fprintln(b, p.add.Sprint("+  "+diffLine(c.Key, c.New)))
			}
		}
		i = j
	}
}

// diffWhen says when the traces of r were made, to the second, for the
// "@@" line: " · OLD → NEW UTC", "" unless both traces say.
func diffWhen(r diff.Result) string {
	const layout = "2006-01-02 15:04:05"
	old, err1 := time.Parse(time.RFC3339Nano, r.OldStartedAt)
	new, err2 := time.Parse(time.RFC3339Nano, r.NewStartedAt)
	if err1 != nil || err2 != nil {
		return ""
	}
	return " · " + old.UTC().Format(layout) + " → " + new.UTC().Format(layout) + " UTC"
}

// diffGroup names the group of lines a change is written in.
func diffGroup(k diff.Key) string {
	switch k.Kind {
	case diff.KindOutcome, diff.KindAnswer, diff.KindAuthority:
		return "answer"
	case diff.KindFinding:
		return "findings"
	}
	return k.Zone
}

// diffLine writes one side of a change.
func diffLine(k diff.Key, v *diff.Value) string {
	switch k.Kind {
	case diff.KindZone:
		return "crossed by the walk"
	case diff.KindNS:
		return "NS " + k.Name + ttlNote("", v)
	case diff.KindChildNS:
		return "zone's own NS " + k.Name + ttlNote("", v)
	case diff.KindAddress:
		return k.Name + " " + family(k.Address) + " " + k.Address + ttlNote(v.Source, v)
	case diff.KindSOASerial:
		return "SOA serial " + v.Text
	case diff.KindDNSSEC:
		if k.Name == v.Text || strings.HasSuffix(k.Name, " "+v.Text) {
			return "dnssec " + k.Name // an element of an array: named by its value
		}
		return "dnssec " + k.Name + " " + v.Text // a field: "dnssec status bogus"
	case diff.KindRTT:
		return fmt.Sprintf("rtt %s %s %s", k.Name, k.Address, diffRTT(v.RTT))
	case diff.KindOutcome:
		return "outcome " + v.Text
	case diff.KindFinding:
		return v.Severity + " " + k.Code + ": " + v.Text
	}
	return v.Text // answer, authority
}

func ttlNote(source string, v *diff.Value) string {
	switch {
	case v.TTL == nil && source == "":
		return ""
	case v.TTL == nil:
		return " (" + source + ")"
	case source == "":
		return " (TTL " + strconv.FormatUint(uint64(*v.TTL), 10) + ")"
	}
	return " (" + source + ", TTL " + strconv.FormatUint(uint64(*v.TTL), 10) + ")"
}

func family(addr string) string {
	for _, c := range addr {
		if c == ':' {
			return "AAAA"
		}
	}
	return "A"
}

func diffRTT(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// diffPalette colours a diff as git does: file lines bold, hunk lines
// cyan, removals red, additions green.
type diffPalette struct{ file, hunk, del, add *color.Color }

func newDiffPalette(on bool) *diffPalette {
	p := newPalette(on)
	return &diffPalette{file: p.question, hunk: p.referral, del: p.bad, add: p.answer}
}

// DiffJSON writes results as one JSON document, indented with two spaces:
// docs/diff.md describes it, docs/diff-schema.json is its schema. Every
// question is listed, those that did not change too.
func DiffJSON(w io.Writer, results []diff.Result, o DiffOptions) error {
	old, new := o.names()
	doc := jsonDiffDoc{SchemaVersion: DiffSchemaVersion, Old: old, New: new, Changed: diff.Differ(results), Traces: make([]jsonDiffTrace, len(results))}
	for i, r := range results {
		t := jsonDiffTrace{
			Question:     jsonQuestion{Name: r.Question.Name, Type: r.Question.Type, Class: r.Question.Class},
			Status:       string(r.Status),
			OldLine:      r.OldLine,
			NewLine:      r.NewLine,
			OldStartedAt: r.OldStartedAt,
			NewStartedAt: r.NewStartedAt,
			Changes:      make([]jsonChange, len(r.Changes)),
		}
		for j, c := range r.Changes {
			t.Changes[j] = jsonChange{
				Kind: string(c.Kind), Change: string(c.Op),
				Zone: c.Zone, Name: c.Name, Address: c.Address, Code: c.Code,
				Old: newJSONValue(c.Kind, c.Old), New: newJSONValue(c.Kind, c.New),
			}
		}
		doc.Traces[i] = t
	}
	return encodeJSON(w, doc, "  ")
}

type jsonDiffDoc struct {
	SchemaVersion int             `json:"schema_version"`
	Old           string          `json:"old"`
	New           string          `json:"new"`
	Changed       bool            `json:"changed"`
	Traces        []jsonDiffTrace `json:"traces"`
}

type jsonDiffTrace struct {
	Question     jsonQuestion `json:"question"`
	Status       string       `json:"status"`
	OldLine      int          `json:"old_line,omitempty"`
	NewLine      int          `json:"new_line,omitempty"`
	OldStartedAt string       `json:"old_started_at,omitempty"`
	NewStartedAt string       `json:"new_started_at,omitempty"`
	Changes      []jsonChange `json:"changes"`
}

type jsonChange struct {
	Kind    string     `json:"kind"`
	Change  string     `json:"change"`
	Zone    string     `json:"zone,omitempty"`
	Name    string     `json:"name,omitempty"`
	Address string     `json:"address,omitempty"`
	Code    string     `json:"code,omitempty"`
	Old     *jsonValue `json:"old,omitempty"`
	New     *jsonValue `json:"new,omitempty"`
}

type jsonValue struct {
	Text     string  `json:"text,omitempty"`
	TTL      *uint32 `json:"ttl,omitempty"`
	Source   string  `json:"source,omitempty"`
	Severity string  `json:"severity,omitempty"`
	RTTUS    *int64  `json:"rtt_us,omitempty"`
}

func newJSONValue(kind diff.Kind, v *diff.Value) *jsonValue {
	if v == nil {
		return nil
	}
	jv := &jsonValue{Text: v.Text, TTL: v.TTL, Source: v.Source, Severity: v.Severity}
	if kind == diff.KindRTT {
		us := v.RTT.Microseconds()
		jv.RTTUS = &us
	}
	return jv
}
