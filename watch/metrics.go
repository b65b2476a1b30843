package watch

import (
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nstrace/nstrace/trace"
)

// Metrics is a prometheus.Collector of what the watch found: register it
// with a registry of your own (prometheus.NewRegistry). docs/metrics.md
// lists the metrics, their labels and how many series each has.
type Metrics struct {
	now func() time.Time

	mu      sync.Mutex
	names   []nameState
	zones   map[string]*zoneMetrics
	servers map[serverKey]serverState
	count   counts
}

// counts are the watch's own counters and gauges.
type counts struct {
	names                  int
	cycles, events, failed float64 // failed: runs of --exec that failed
	queries                float64
	cycleTime              time.Duration
}

// nameState is the metrics of one name: the last good trace's, but for
// success, which is the last trace's.
type nameState struct {
	q        trace.Question
	traced   bool // a trace of it ended, good or not
	success  bool // the last trace reached an authoritative outcome
	stale    bool // the last trace failed, or the last cycle did not trace it
	outcome  trace.Outcome
	duration time.Duration
	queries  int
	started  time.Time
	findings map[findingKey]int
}

type findingKey struct {
	code     string
	severity trace.Severity
}

// zoneMetrics is the metrics of a zone: the last cycle's that saw it.
type zoneMetrics struct {
	zoneState
	changes float64 // delegation changes seen
}

func newMetrics(now func() time.Time) *Metrics {
	return &Metrics{now: now, zones: map[string]*zoneMetrics{}, servers: map[serverKey]serverState{}}
}

func (m *Metrics) setNames(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names = make([]nameState, n)
	m.count.names = n
}

// trace keeps the metrics of a trace of the name at index i; ok is unset
// for a failed walk, whose name keeps its last good metrics, marked stale.
func (m *Metrics) trace(i int, t *trace.Trace, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := &m.names[i]
	n.q, n.traced, n.success = t.Question, true, ok
	m.count.queries += float64(t.Queries)
	if !ok {
		n.stale = true
		if n.outcome == "" {
			n.outcome = t.Outcome // nothing better to show yet
		}
		return
	}
	n.stale, n.outcome, n.duration, n.queries, n.started = false, t.Outcome, t.Duration, t.Queries, t.Started
	clear(n.findings)
	if n.findings == nil {
		n.findings = map[findingKey]int{}
	}
	for _, f := range t.Findings {
		n.findings[findingKey{f.Code, f.Severity}]++
	}
}

// event counts an event written.
func (m *Metrics) event() {
	m.mu.Lock()
	m.count.events++
	m.mu.Unlock()
}

// execFailed counts a run of --exec that failed.
func (m *Metrics) execFailed() {
	m.mu.Lock()
	m.count.failed++
	m.mu.Unlock()
}

// endCycle keeps what a cycle found of zones and servers. Servers no trace
// of a complete cycle named are forgotten; those only named by hops
// served from the cache keep the values of the last query sent to them.
func (m *Metrics) endCycle(c *cycle, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count.cycles++
	m.count.cycleTime = took
	for i, traced := range c.traced {
		if !traced {
			m.names[i].stale = true
		}
	}
	servers := make(map[serverKey]serverState, len(c.seen))
	if !c.complete {
		for k, s := range m.servers {
			servers[k] = s
		}
	}
	for k := range c.seen {
		if s, ok := c.live[k]; ok {
			servers[k] = *s
		} else if s, ok := m.servers[k]; ok {
			servers[k] = s
		}
	}
	m.servers = servers
	for zone, z := range c.zones {
		m.zone(zone, z)
	}
}

// zone keeps what a cycle found of a zone: what it did not see stays.
func (m *Metrics) zone(zone string, z *zoneState) {
	old := m.zones[zone]
	if old == nil {
		old = &zoneMetrics{zoneState: zoneState{serials: map[serverKey]uint32{}}}
		m.zones[zone] = old
	}
	if z.ns != nil {
		if old.delegation != "" && old.delegation != z.delegation {
			old.changes++
		}
		old.ns, old.delegation = z.ns, z.delegation
	}
	if len(z.serials) > 0 {
		old.serials = z.serials
	}
	if z.status != "" {
		old.status = z.status
	}
	if !z.expiry.IsZero() || z.status != "" {
		old.expiry = z.expiry
	}
}

// The metrics' descriptions: docs/metrics.md says the same.
var (
	nameLabels   = []string{"name", "type"}
	serverLabels = []string{"zone", "server", "address"}

	descSuccess   = newDesc("trace_success", "1 when the name's last trace reached an authoritative outcome (answer, cname, nxdomain, nodata), 0 when it failed.", nameLabels...)
	descStale     = newDesc("trace_stale", "1 when the name's other metrics are those of an earlier trace: the last one failed, or was not made.", nameLabels...)
	descOutcome   = newDesc("trace_outcome", "1 for the outcome of the name's last good trace.", "name", "type", "outcome")
	descDuration  = newDesc("trace_duration_seconds", "How long the name's last good trace took.", nameLabels...)
	descQueries   = newDesc("trace_queries", "Queries the name's last good trace sent (replies taken from the cache are none).", nameLabels...)
	descTimestamp = newDesc("trace_timestamp_seconds", "When the name's last good trace started, in seconds since 1970.", nameLabels...)
	descFindings  = newDesc("findings", "Findings of the name's last good trace, by code and severity (docs/findings.md).", "name", "type", "code", "severity")

	descReachable = newDesc("server_reachable", "1 when the server's address replied to the last query sent to it for the zone, 0 when it did not.", serverLabels...)
	descAuth      = newDesc("server_authoritative", "1 when the server's address answered for the zone with authority (an answer, a negative answer or a referral), 0 when it did not: lame, an error, no reply.", serverLabels...)
	descRTT       = newDesc("server_rtt_seconds", "The fastest reply of the server's address to the last queries sent to it for the zone.", serverLabels...)

	descNS        = newDesc("zone_nameserver_info", "1 for each nameserver of the NS set the zone's parent gives in its referral.", "zone", "nameserver")
	descSerial    = newDesc("zone_soa_serial", "The SOA serial the server's address gave for the zone.", serverLabels...)
	descChanges   = newDesc("delegation_changes_total", "Changes of the zone's delegation (its parent's NS set or glue) seen since the watch started.", "zone")
	descDNSSEC    = newDesc("dnssec_status", "1 for the zone's DNSSEC status: secure, insecure, bogus or indeterminate.", "zone", "status")
	descExpiry    = newDesc("dnssec_rrsig_expiry_timestamp_seconds", "When the earliest-expiring RRSIG the zone's servers gave expires, in seconds since 1970.", "zone")
	descExpiresIn = newDesc("dnssec_rrsig_expiry_seconds", "Seconds left, at the scrape, before the earliest-expiring RRSIG the zone's servers gave expires (negative once expired).", "zone")

	descNames     = newDesc("watch_names", "Names watched.")
	descCycles    = newDesc("watch_cycles_total", "Cycles done: each traces every name once.")
	descCycleTime = newDesc("watch_cycle_duration_seconds", "How long the last cycle took.")
	descSent      = newDesc("watch_queries_total", "Queries sent by the watch's traces.")
	descEvents    = newDesc("watch_events_total", "Events written: traces that differed from the one before.")
	descExec      = newDesc("watch_exec_failures_total", "Runs of --exec that failed or were killed.")
)

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("nstrace_"+name, help, labels, nil)
}

var allDescs = []*prometheus.Desc{
	descSuccess, descStale, descOutcome, descDuration, descQueries, descTimestamp, descFindings,
	descReachable, descAuth, descRTT, descNS, descSerial, descChanges, descDNSSEC, descExpiry, descExpiresIn,
	descNames, descCycles, descCycleTime, descSent, descEvents, descExec,
}

// Describe sends the descriptions of every metric.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect sends the metrics as they are now.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descNames, float64(m.count.names))
	counter(descCycles, m.count.cycles)
	gauge(descCycleTime, m.count.cycleTime.Seconds())
	counter(descSent, m.count.queries)
	counter(descEvents, m.count.events)
	counter(descExec, m.count.failed)
	for i := range m.names {
		m.collectName(&m.names[i], gauge)
	}
	for k, s := range m.servers {
		labels := []string{k.zone, k.server, k.addr.String()}
		gauge(descReachable, bit(s.reachable), labels...)
		gauge(descAuth, bit(s.authoritative), labels...)
		if s.reachable {
			gauge(descRTT, s.rtt.Seconds(), labels...)
		}
	}
	now := m.now()
	for zone, z := range m.zones {
		for _, ns := range z.ns {
			gauge(descNS, 1, zone, ns)
		}
		if z.delegation != "" {
			counter(descChanges, z.changes, zone)
		}
		for k, serial := range z.serials {
			gauge(descSerial, float64(serial), zone, k.server, k.addr.String())
		}
		if z.status != "" {
			gauge(descDNSSEC, 1, zone, z.status)
		}
		if !z.expiry.IsZero() {
			gauge(descExpiry, float64(z.expiry.Unix()), zone)
			gauge(descExpiresIn, z.expiry.Sub(now).Seconds(), zone)
		}
	}
}

// collectName sends the metrics of one name.
func (m *Metrics) collectName(n *nameState, gauge func(*prometheus.Desc, float64, ...string)) {
	if !n.traced {
		return
	}
	name, typ := n.q.Name, dns.TypeToString[n.q.Qtype]
	gauge(descSuccess, bit(n.success), name, typ)
	gauge(descStale, bit(n.stale), name, typ)
	gauge(descOutcome, 1, name, typ, string(n.outcome))
	if n.started.IsZero() {
		return // no good trace yet
	}
	gauge(descDuration, n.duration.Seconds(), name, typ)
	gauge(descQueries, float64(n.queries), name, typ)
	gauge(descTimestamp, float64(n.started.UnixNano())/1e9, name, typ)
	for k, c := range n.findings {
		gauge(descFindings, float64(c), name, typ, k.code, string(k.severity))
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
