package watch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/internal/labtest"
)

// TestHandler serves a watch's metrics and health over HTTP on loopback.
func TestHandler(t *testing.T) {
	l := labtest.Start(t, "demo")
	w, _ := run(t, l, 1, nil, "www.example.com")
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	for _, want := range []string{
		"\nnstrace_watch_cycles_total 1\n",
		"\nnstrace_trace_success{name=\"www.example.com.\",type=\"A\"} 1\n",
		"\n# TYPE nstrace_delegation_changes_total counter\n",
		"\ngo_goroutines ",
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET /metrics: %d, lacking %q", code, want)
		}
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", code, body)
	}
	// Three intervals after the last cycle ended, and a minute more, the
	// watch is stuck.
	w.o.now = func() time.Time { return time.Now().Add(3*w.o.Every + 2*time.Minute) }
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /healthz of a stuck watch: %d, want 503", code)
	}
}
