package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SchemaVersion is the newest schema_version of nstrace's trace JSON that
// Read takes; docs/json.md describes it. Older documents of the same
// version, which lack fields added since, are read too.
const SchemaVersion = 1

// Errors of Read and Compare. Each error Read returns wraps one of them.
var (
	// ErrNotTrace is input that is not a trace document of nstrace's
	// JSON: not JSON, not an object, or lacking a field every trace has.
	ErrNotTrace = errors.New("not an nstrace JSON trace")
	// ErrSchemaVersion is a document of a schema_version newer than
	// SchemaVersion, written by a newer nstrace.
	ErrSchemaVersion = errors.New("newer schema_version")
	// ErrQuestion is two single traces of different questions.
	ErrQuestion = errors.New("traces of different questions")
	// ErrNothingInCommon is two lists of traces that share no question.
	ErrNothingInCommon = errors.New("no question in common")
)

// A Question is what a trace asked, as its JSON writes it: the name fully
// qualified, the type and class as mnemonics.
type Question struct {
	Name  string
	Type  string
	Class string
}

func (q Question) String() string { return q.Name + " " + q.Class + " " + q.Type }

// key is the question as traces are matched on it: names compare without
// regard to case (RFC 4343).
func (q Question) key() Question {
	return Question{Name: strings.ToLower(q.Name), Type: strings.ToUpper(q.Type), Class: strings.ToUpper(q.Class)}
}

// Of returns the traces of ts that ask q, the name compared without
// regard to case: the traces of one question in a list.
func Of(ts []*Trace, q Question) []*Trace {
	var out []*Trace
	for _, t := range ts {
		if t.Question.key() == q.key() {
			out = append(out, t)
		}
	}
	return out
}

// A Trace is one trace document as Compare needs it: its question, and
// what it says about the delegations it crossed, read into facts.
type Trace struct {
	Question Question
	Outcome  string
	// StartedAt is when the walk began, as the document's started_at
	// gives it (RFC 3339); "" when it has none.
	StartedAt string
	// Line is the line of its input the document starts on, from 1.
	Line  int
	facts facts
}

// Read reads the trace documents of r: one document (nstrace -o json), or
// any number of them one after another (JSON Lines, -o jsonl). Each must
// be a trace of schema_version 1; keys Read does not know are ignored, as
// docs/json.md asks, so documents of older and newer nstrace versions of
// the same schema_version are read alike. The error names the line of the
// first bad document.
func Read(r io.Reader) ([]*Trace, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var traces []*Trace
	for {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		line := lineOf(data, start)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w: %v", line, ErrNotTrace, err)
		}
		t, err := decode(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		t.Line = line
		traces = append(traces, t)
	}
	if len(traces) == 0 {
		return nil, fmt.Errorf("%w: no JSON document", ErrNotTrace)
	}
	return traces, nil
}

// lineOf gives the line of the first byte after offset that is not white
// space: where the document starting at offset begins.
func lineOf(data []byte, offset int) int {
	rest := data[offset:]
	skip := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
	return 1 + bytes.Count(data[:offset+skip], []byte("\n"))
}

// decode reads one document.
func decode(raw json.RawMessage) (*Trace, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
		return nil, fmt.Errorf("%w: a JSON document that is not an object", ErrNotTrace)
	}
	var d docTrace
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotTrace, err)
	}
	switch v := d.SchemaVersion; {
	case v == nil:
		return nil, fmt.Errorf("%w: no schema_version", ErrNotTrace)
	case *v > SchemaVersion:
		return nil, fmt.Errorf("%w %d: this nstrace reads %d; use a newer nstrace", ErrSchemaVersion, *v, SchemaVersion)
	case *v < 1:
		return nil, fmt.Errorf("%w: schema_version %d", ErrNotTrace, *v)
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotTrace, err)
	}
	return &Trace{Question: d.Question.question(), Outcome: d.Outcome, StartedAt: d.StartedAt, facts: newFacts(&d)}, nil
}

// The documented schema, as far as Compare reads it (docs/json.md). Field
// names are the JSON keys; encoding/json matches them regardless of case,
// and Read checks the few every trace has.

type docTrace struct {
	SchemaVersion *int            `json:"schema_version"`
	StartedAt     string          `json:"started_at"`
	Question      *docQuestion    `json:"question"`
	Outcome       string          `json:"outcome"`
	Answer        []string        `json:"answer"`
	Authority     []string        `json:"authority"`
	Reason        string          `json:"reason"`
	Findings      []docFinding    `json:"findings"`
	Hops          []docHop        `json:"hops"`
	DNSSEC        json.RawMessage `json:"dnssec"`
}

type docQuestion struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Class string `json:"class"`
}

type docHop struct {
	Purpose   string          `json:"purpose"`
	Zone      string          `json:"zone"`
	Server    docServer       `json:"server"`
	RTTUS     *int64          `json:"rtt_us"`
	Rcode     *string         `json:"rcode"`
	Cached    bool            `json:"cached"`
	Simulated bool            `json:"simulated"`
	Outcome   string          `json:"outcome"`
	Referral  *docReferral    `json:"referral"`
	Answer    []string        `json:"answer"`
	Authority []string        `json:"authority"`
	Lookups   []docTrace      `json:"lookups"`
	DNSSEC    json.RawMessage `json:"dnssec"`
}

type docServer struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type docReferral struct {
	Zone   string          `json:"zone"`
	NS     []docNS         `json:"ns"`
	Glue   []docGlue       `json:"glue"`
	DNSSEC json.RawMessage `json:"dnssec"`
}

type docNS struct {
	Name string `json:"name"`
	TTL  uint32 `json:"ttl"`
}

type docGlue struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	TTL     uint32 `json:"ttl"`
	Ignored string `json:"ignored"`
}

type docFinding struct {
	Code     string     `json:"code"`
	Severity string     `json:"severity"`
	Zone     string     `json:"zone"`
	Server   *docServer `json:"server"`
	Message  string     `json:"message"`
}

// check reports the first field a trace must have that d lacks.
func (d *docTrace) check() error {
	switch {
	case d.Question == nil:
		return errors.New("no question")
	case d.Question.Name == "" || d.Question.Type == "":
		return errors.New("a question without name or type")
	case d.Outcome == "":
		return errors.New("no outcome")
	case d.Hops == nil:
		return errors.New("no hops")
	}
	return nil
}

func (q *docQuestion) question() Question {
	class := q.Class
	if class == "" {
		class = "IN"
	}
	return Question{Name: q.Name, Type: q.Type, Class: class}
}
