// Package diff compares nstrace traces: what changed in the delegations a
// name crosses between two traces of it, read from nstrace's JSON
// (docs/json.md), one document or JSON Lines. It opens no sockets and
// knows nothing of the engine: it reads documents, so it compares traces
// written by any nstrace of the same schema_version, and by other
// programs that write that schema. docs/diff.md describes the changes and
// their JSON.
//
// A trace is read into facts: the NS set each parent gives for each zone
// (with TTLs), the zone's own NS set, the addresses of each nameserver and
// where they came from (glue or a lookup), the SOA serials seen, the
// DNSSEC state when the document has it, the answer, the outcome and the
// findings. Two traces differ where their facts do. Which servers were
// asked, in what order, and how long they took are not facts: a trace
// asks one server per zone of several, and the next trace may ask
// another. A fact one trace could not see (a nameserver whose address only
// the other looked up, an SOA serial only one asked for) is no change
// either.
package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is what a Change is about.
type Kind string

// The kinds of change, in the order Changes lists them within a zone.
const (
	// KindZone is a zone the walk crosses in one trace and not the other.
	KindZone Kind = "zone"
	// KindNS is a nameserver of the NS set a parent gives in its referral
	// to Zone: Name is the nameserver, Value.TTL the NS record's TTL.
	KindNS Kind = "ns"
	// KindChildNS is a nameserver of the zone's own NS set, as its servers
	// give it (RFC 7477 calls it the child's NS set).
	KindChildNS Kind = "child-ns"
	// KindAddress is an address of a nameserver of Zone: Name is the
	// nameserver, Address the address, Value.Source where the walk got it
	// (glue, or resolved by a lookup) and Value.TTL the record's TTL.
	KindAddress Kind = "address"
	// KindSOASerial is an SOA serial Zone's servers gave: Name is the
	// serial. With several servers disagreeing, each serial is a fact.
	KindSOASerial Kind = "soa-serial"
	// KindDNSSEC is a field of the dnssec object a trace has for Zone:
	// Name is its path (e.g. "status", "ds"), Value.Text its value; each
	// element of an array is a fact of its own.
	KindDNSSEC Kind = "dnssec"
	// KindRTT is a change of a server's round-trip time by at least
	// Options.RTT: Name and Address are the server, Value.RTT the time.
	KindRTT Kind = "rtt"
	// KindOutcome is the outcome of the walk: Value.Text is it, with the
	// reason of a failed walk after a space ("failed timeout").
	KindOutcome Kind = "outcome"
	// KindAnswer is a record of the final answer: Name is the record with
	// no TTL, Value.Text the record, Value.TTL its TTL.
	KindAnswer Kind = "answer"
	// KindAuthority is a record of the final authority section (the SOA
	// of a negative answer), as KindAnswer.
	KindAuthority Kind = "authority"
	// KindFinding is a finding: Code is its code, Zone its zone, Name and
	// Address its server; Value.Severity and Value.Text (the message) are
	// its. A finding whose message alone changed is the same finding.
	KindFinding Kind = "finding"
)

// kinds orders the kinds within a zone.
var kinds = []Kind{KindZone, KindNS, KindChildNS, KindAddress, KindSOASerial, KindDNSSEC, KindRTT, KindOutcome, KindAnswer, KindAuthority, KindFinding}

// Op is what happened to a fact.
type Op string

// The ops.
const (
	Added   Op = "added"   // in the new trace only: Change.New is set
	Removed Op = "removed" // in the old trace only: Change.Old is set
	Changed Op = "changed" // in both, with another value: both are set
)

// A Key says which fact a Change is about. Fields a kind does not use are
// empty; Zone is empty for the facts of the question (outcome, answer,
// authority).
type Key struct {
	Kind    Kind
	Zone    string
	Name    string
	Address string
	Code    string
}

// A Value is what a trace says of a fact. Fields its kind does not use are
// zero.
type Value struct {
	Text     string        // a record, a serial, an outcome, a message, a DNSSEC value
	TTL      *uint32       // a record's TTL
	Source   string        // of an address: "glue" or "resolved"
	Severity string        // of a finding
	RTT      time.Duration // of KindRTT
}

// A Change is one fact that differs between two traces.
type Change struct {
	Key
	Op       Op
	Old, New *Value // nil on the side that lacks the fact
}

// Status says how the traces of a question compare.
type Status string

// The statuses.
const (
	Same      Status = "same"
	Different Status = "changed"
	OnlyInOld Status = "removed" // a question of the old list only
	OnlyInNew Status = "added"   // a question of the new list only
)

// A Result is the comparison of the traces of one question.
type Result struct {
	Question Question
	Status   Status
	Changes  []Change // nil unless Status is Different
	// OldLine and NewLine are the lines the traces start on in their
	// inputs; 0 for the side that lacks the question.
	OldLine, NewLine int
	// OldStartedAt and NewStartedAt are the traces' started_at, when
	// they have one.
	OldStartedAt, NewStartedAt string
}

// Options configures Compare; the zero value compares no timings.
type Options struct {
	// RTT, when positive, makes a server's round-trip time a fact: a
	// change when the fastest reply of the server's address differs by
	// at least RTT between traces. Zero leaves timings out, as they vary
	// from run to run.
	RTT time.Duration
}

// Compare compares the traces of old with those of new, matched by
// question (name, type and class; the n-th trace of a question in old
// with the n-th in new), and returns a Result per question in the order of
// new, those of old only after them. Two single traces of different
// questions are an error wrapping ErrQuestion, two lists with no question
// in common one wrapping ErrNothingInCommon.
func Compare(old, new []*Trace, o Options) ([]Result, error) {
	if len(old) == 1 && len(new) == 1 && old[0].Question.key() != new[0].Question.key() {
		return nil, fmt.Errorf("%w: %s and %s", ErrQuestion, old[0].Question, new[0].Question)
	}
	type slot struct {
		q Question
		n int
	}
	olds := map[slot]*Trace{}
	seen := map[Question]int{}
	for _, t := range old {
		k := t.Question.key()
		olds[slot{k, seen[k]}] = t
		seen[k]++
	}
	var results []Result
	matched := map[*Trace]bool{}
	clear(seen)
	for _, t := range new {
		k := t.Question.key()
		ot := olds[slot{k, seen[k]}]
		seen[k]++
		if ot == nil {
			results = append(results, Result{Question: t.Question, Status: OnlyInNew, NewLine: t.Line, NewStartedAt: t.StartedAt})
			continue
		}
		matched[ot] = true
		results = append(results, compareTraces(ot, t, o))
	}
	if len(matched) == 0 && len(old) > 0 && len(new) > 0 {
		return nil, fmt.Errorf("%w: the old traces ask %s, the new %s", ErrNothingInCommon, old[0].Question, new[0].Question)
	}
	for _, t := range old {
		if !matched[t] {
			results = append(results, Result{Question: t.Question, Status: OnlyInOld, OldLine: t.Line, OldStartedAt: t.StartedAt})
		}
	}
	return results, nil
}

// Differ reports whether any result is not Same.
func Differ(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Status != Same })
}

// compareTraces compares two traces of one question.
func compareTraces(old, new *Trace, o Options) Result {
	r := Result{Question: new.Question, Status: Same, OldLine: old.Line, NewLine: new.Line, OldStartedAt: old.StartedAt, NewStartedAt: new.StartedAt}
	for k, ov := range old.facts.values {
		nv, ok := new.facts.values[k]
		switch {
		case !ok && new.facts.sees(k, ov):
			r.Changes = append(r.Changes, Change{Key: k, Op: Removed, Old: &ov})
		case ok && !same(k.Kind, ov, nv):
			r.Changes = append(r.Changes, Change{Key: k, Op: Changed, Old: &ov, New: &nv})
		}
	}
	for k, nv := range new.facts.values {
		if _, ok := old.facts.values[k]; !ok && old.facts.sees(k, nv) {
			r.Changes = append(r.Changes, Change{Key: k, Op: Added, New: &nv})
		}
	}
	if o.RTT > 0 {
		r.Changes = append(r.Changes, rttChanges(old.facts.rtt, new.facts.rtt, o.RTT)...)
	}
	if len(r.Changes) > 0 {
		r.Status = Different
		slices.SortFunc(r.Changes, func(a, b Change) int { return compareKeys(a.Key, b.Key) })
	}
	return r
}

// same reports whether two values of a fact of kind are the same: a
// finding whose wording changed is the same finding, a record written in
// other letters the same record.
func same(kind Kind, a, b Value) bool {
	sameTTL := (a.TTL == nil) == (b.TTL == nil) && (a.TTL == nil || *a.TTL == *b.TTL)
	switch kind {
	case KindFinding:
		return a.Severity == b.Severity
	case KindAnswer, KindAuthority:
		return sameTTL
	}
	return a.Text == b.Text && a.Source == b.Source && sameTTL
}

// rttChanges lists the servers whose round-trip times differ by at least
// threshold; servers asked in one trace only are not changes.
func rttChanges(old, new map[Key]time.Duration, threshold time.Duration) []Change {
	var out []Change
	for k, ot := range old {
		nt, ok := new[k]
		if ok && (nt-ot >= threshold || ot-nt >= threshold) {
			out = append(out, Change{Key: k, Op: Changed, Old: &Value{RTT: ot}, New: &Value{RTT: nt}})
		}
	}
	return out
}

// compareKeys orders changes: the zones from the root down (as the walk
// meets them), each zone's kinds in the order of kinds, then the facts of
// the question, then the findings, each by name.
func compareKeys(a, b Key) int {
	return cmp.Or(
		cmp.Compare(section(a), section(b)),
		compareZones(a.Zone, b.Zone),
		cmp.Compare(slices.Index(kinds, a.Kind), slices.Index(kinds, b.Kind)),
		cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Address, b.Address),
	)
}

// section puts zones first, the question's facts next, findings last.
func section(k Key) int {
	switch k.Kind {
	case KindOutcome, KindAnswer, KindAuthority:
		return 1
	case KindFinding:
		return 2
	}
	return 0
}

// compareZones orders zones by depth, then by name from the root down.
func compareZones(a, b string) int {
	return cmp.Or(cmp.Compare(labels(a), labels(b)), cmp.Compare(reverse(a), reverse(b)))
}

func labels(zone string) int {
	if zone == "." || zone == "" {
		return 0
	}
	return strings.Count(strings.TrimSuffix(zone, "."), ".") + 1
}

func reverse(name string) string {
	l := strings.Split(strings.TrimSuffix(name, "."), ".")
	slices.Reverse(l)
	return strings.Join(l, ".")
}
