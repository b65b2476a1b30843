package render

import (
	"encoding/json"
	"io"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/internal/idn"
	"github.com/nstrace/nstrace/trace"
)

// SchemaVersion is the version of the JSON document JSON writes, carried in
// its schema_version field. It changes only when a field is removed or its
// meaning changes; new fields do not change it. docs/json.md describes it.
const SchemaVersion = 1

// JSON writes t as one JSON document, indented with two spaces and ending
// with a newline; docs/json.md describes every field. Durations are integer
// microseconds in fields named *_us; with o.NoTimings those fields are left
// out. o.Color is ignored.
func JSON(w io.Writer, t *trace.Trace, o Options) error {
	if t == nil {
		return errNilTrace
	}
	return encodeJSON(w, newJSONDocument(t, o), "  ")
}

// encodeJSON writes doc, indented by indent ("" for one line), and a
// newline.
func encodeJSON(w io.Writer, doc any, indent string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", indent)
	// Records hold '<', '>' and '&' often enough (TXT, CAA) that escaping
	// them for HTML would only make the document harder to read.
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// newJSONDocument is t as the top of a document: the schema version, the
// run (version and start, unless timings are hidden), the trace and its
// findings.
func newJSONDocument(t *trace.Trace, o Options) jsonDocument {
	doc := jsonDocument{SchemaVersion: SchemaVersion, jsonTrace: newJSONTrace(t, o)}
	doc.Findings = newJSONFindings(t.Findings)
	if !o.NoTimings {
		doc.Version = o.Version
		if !t.Started.IsZero() {
			doc.StartedAt = t.Started.UTC().Format(startedAtLayout)
		}
	}
	return doc
}

// startedAtLayout is RFC 3339 in UTC with microseconds, the precision of
// the document's durations.
const startedAtLayout = "2006-01-02T15:04:05.000000Z07:00"

// The JSON document's types. Field order here is key order in the output.

type jsonDocument struct {
	SchemaVersion int    `json:"schema_version"`
	Version       string `json:"nstrace_version,omitempty"`
	StartedAt     string `json:"started_at,omitempty"`
	jsonTrace
}

type jsonTrace struct {
	Question  jsonQuestion `json:"question"`
	QMin      string       `json:"qmin,omitempty"`
	Outcome   string       `json:"outcome"`
	Answer    []string     `json:"answer"`
	Authority []string     `json:"authority"`
	Error     string       `json:"error,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	// Partial is set when nstrace's own end (Ctrl-C, the deadline, the
	// query budget) stopped the walk: trace.Trace.Partial.
	Partial string `json:"partial,omitempty"`
	// FromCache is trace.Trace.FromCache: a lookup that started at a zone
	// learned earlier in the trace.
	FromCache  string `json:"from_cache,omitempty"`
	Queries    int    `json:"queries"`
	DurationUS *int64 `json:"duration_us,omitempty"`
	// Findings is set on the top-level trace only, where it is never nil.
	Findings *[]jsonFinding `json:"findings,omitempty"`
	// Compared is the walk of the full name a minimising walk was
	// compared with (trace.Trace.Compared).
	Compared *jsonTrace `json:"compared,omitempty"`
	// DNSSEC is set when the walk validated: each zone's state.
	DNSSEC []jsonDNSSEC `json:"dnssec,omitempty"`
	Hops   []jsonHop    `json:"hops"`
}

// jsonDNSSEC is one zone's DNSSEC state (trace.DNSSEC); its findings are
// the document's, by zone.
type jsonDNSSEC struct {
	Zone   string       `json:"zone"`
	Status string       `json:"status"`
	DS     []jsonDS     `json:"ds"`
	DNSKEY []jsonDNSKEY `json:"dnskey"`
	CDS    []string     `json:"cds,omitempty"`
}

type jsonDS struct {
	KeyTag     uint16 `json:"key_tag"`
	Algorithm  uint8  `json:"algorithm"`
	DigestType uint8  `json:"digest_type"`
	Digest     string `json:"digest,omitempty"`
	TTL        uint32 `json:"ttl,omitempty"`
}

type jsonDNSKEY struct {
	KeyTag    uint16 `json:"key_tag"`
	Algorithm uint8  `json:"algorithm"`
	Flags     uint16 `json:"flags"`
	Protocol  uint8  `json:"protocol,omitempty"`
	PublicKey string `json:"public_key,omitempty"`
	TTL       uint32 `json:"ttl,omitempty"`
}

type jsonQuestion struct {
	Name    string `json:"name"`
	Unicode string `json:"unicode,omitempty"`
	Type    string `json:"type"`
	Class   string `json:"class"`
}

type jsonServer struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Source  string `json:"source"`
}

type jsonHop struct {
	ID        int           `json:"id"`
	Purpose   string        `json:"purpose"`
	Zone      string        `json:"zone"`
	Server    jsonServer    `json:"server"`
	Port      uint16        `json:"port"`
	Question  jsonQuestion  `json:"question"`
	Protocol  string        `json:"protocol"`
	Truncated bool          `json:"truncated"`
	NoEDNS    bool          `json:"no_edns"`
	Cached    bool          `json:"cached"`
	Simulated bool          `json:"simulated"`
	StartUS   *int64        `json:"start_us,omitempty"`
	RTTUS     *int64        `json:"rtt_us,omitempty"`
	Size      int           `json:"size"`
	Rcode     *string       `json:"rcode"`
	AA        bool          `json:"aa"`
	TC        bool          `json:"tc"`
	Outcome   string        `json:"outcome"`
	Referral  *jsonReferral `json:"referral,omitempty"`
	Answer    []string      `json:"answer,omitempty"`
	Authority []string      `json:"authority,omitempty"`
	Error     string        `json:"error,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	ReplyFrom string        `json:"reply_from,omitempty"`
	QMin      string        `json:"qmin,omitempty"`
	Flaw      string        `json:"flaw,omitempty"`
	Lookups   []jsonTrace   `json:"lookups,omitempty"`
}

type jsonReferral struct {
	Zone string     `json:"zone"`
	NS   []jsonNS   `json:"ns"`
	Glue []jsonGlue `json:"glue"`
}

type jsonNS struct {
	Name string `json:"name"`
	TTL  uint32 `json:"ttl"`
}

type jsonGlue struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	TTL     uint32 `json:"ttl"`
	Ignored string `json:"ignored,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func newJSONTrace(t *trace.Trace, o Options) jsonTrace {
	jt := jsonTrace{
		Question:   newJSONQuestion(t.Question),
		Outcome:    string(t.Outcome),
		Answer:     records(t.Answer),
		Authority:  records(t.Authority),
		Error:      errString(t.Err),
		Reason:     string(t.Reason),
		Partial:    string(t.Partial()),
		FromCache:  t.FromCache,
		Queries:    t.Queries,
		DurationUS: micros(t.Duration, o),
		Hops:       make([]jsonHop, 0, len(t.Hops)),
	}
	if t.Mode.QMin != 0 {
		jt.QMin = trace.TypeString(t.Mode.QMin)
	}
	if t.Compared != nil {
		c := newJSONTrace(t.Compared, o)
		jt.Compared = &c
	}
	for _, h := range t.Hops {
		if h != nil {
			jt.Hops = append(jt.Hops, newJSONHop(h, o))
		}
	}
	for _, z := range t.DNSSEC {
		jz := jsonDNSSEC{Zone: z.Zone, Status: z.Status, DS: make([]jsonDS, len(z.DS)), DNSKEY: make([]jsonDNSKEY, len(z.Keys)), CDS: z.CDS}
		for i, d := range z.DS {
			jz.DS[i] = jsonDS{KeyTag: d.KeyTag, Algorithm: d.Algorithm, DigestType: d.DigestType, Digest: d.Digest, TTL: d.TTL}
		}
		for i, k := range z.Keys {
			jz.DNSKEY[i] = jsonDNSKEY{KeyTag: k.KeyTag, Algorithm: k.Algorithm, Flags: k.Flags, Protocol: k.Protocol, PublicKey: k.PublicKey, TTL: k.TTL}
		}
		jt.DNSSEC = append(jt.DNSSEC, jz)
	}
	return jt
}

func newJSONHop(h *trace.Hop, o Options) jsonHop {
	jh := jsonHop{
		ID:      h.ID,
		Purpose: purposeString(h.Purpose),
		Zone:    h.Zone,
		Server: jsonServer{
			Name:    h.Server.Name,
			Address: addrString(h.Server.Addr),
			Source:  string(h.Server.Source),
		},
		Port:      h.Port,
		Question:  newJSONQuestion(h.Question),
		Protocol:  h.Protocol,
		Truncated: h.Truncated,
		NoEDNS:    h.NoEDNS,
		Cached:    h.Cached,
		Simulated: h.Simulated,
		StartUS:   micros(h.Start, o),
		RTTUS:     micros(h.RTT, o),
		Size:      h.Size,
		AA:        h.AA,
		TC:        h.TC,
		Outcome:   string(h.Outcome),
		Error:     errString(h.Err),
		Reason:    string(h.Reason),
		QMin:      string(h.QMin),
		Flaw:      string(h.Flaw),
	}
	if h.From.IsValid() {
		jh.ReplyFrom = h.From.String()
	}
	if h.Rcode >= 0 {
		rc := rcodeString(h.Rcode)
		jh.Rcode = &rc
	}
	if d := h.Referral; d != nil {
		ref := &jsonReferral{
			Zone: d.Zone,
			NS:   make([]jsonNS, len(d.NS)),
			Glue: make([]jsonGlue, len(d.Glue)),
		}
		for i, n := range d.NS {
			ref.NS[i] = jsonNS{Name: n.Name, TTL: n.TTL}
		}
		for i, g := range d.Glue {
			ref.Glue[i] = jsonGlue{Name: g.Name, Address: addrString(g.Addr), TTL: g.TTL, Ignored: ignoredText(h, g), Reason: string(g.Ignored)}
		}
		jh.Referral = ref
	}
	if len(h.Answer) > 0 {
		jh.Answer = records(h.Answer)
	}
	if len(h.Authority) > 0 {
		jh.Authority = records(h.Authority)
	}
	for _, lk := range h.Lookups {
		if lk != nil {
			jh.Lookups = append(jh.Lookups, newJSONTrace(lk, o))
		}
	}
	return jh
}

func newJSONQuestion(q trace.Question) jsonQuestion {
	return jsonQuestion{Name: q.Name, Unicode: idn.ToUnicode(q.Name), Type: trace.TypeString(q.Qtype), Class: classString(q.Qclass)}
}

// records gives rrs as zone-file text, never nil so that the document has []
// rather than null.
func records(rrs []dns.RR) []string {
	s := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		if rr != nil {
			s = append(s, rrText(rr))
		}
	}
	return s
}

// micros gives d in whole microseconds, or nil when timings are hidden.
func micros(d time.Duration, o Options) *int64 {
	if o.NoTimings {
		return nil
	}
	us := d.Microseconds()
	return &us
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
