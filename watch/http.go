package watch

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newRegistry makes the registry of Registry.
func newRegistry(m *Metrics) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the metrics of Registry at /metrics, in Prometheus's text or
// OpenMetrics format as the scraper asks, and at /healthz "ok" while the
// watch runs its cycles (503 when the last cycle ended more than three
// intervals ago: it is stuck).
func (w *Watcher) Handler() http.Handler {
	reg := w.reg
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true}))
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !w.Healthy() {
			rw.WriteHeader(http.StatusServiceUnavailable)
			rw.Write([]byte("stuck: no cycle ended for three intervals\n"))
			return
		}
		rw.Write([]byte("ok\n"))
	})
	return mux
}
