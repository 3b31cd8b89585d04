package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// scrape is a parsed answer of GET /metrics.
type scrape map[string]*dto.MetricFamily

// scrapeMetrics gets /metrics with client c and parses the text format.
func scrapeMetrics(t *testing.T, c *client) scrape {
	t.Helper()
	w := c.do("GET", "/metrics", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Header().Get("Content-Type"), "text/plain")
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(w.Body)
	require.NoError(t, err)
	return fams
}

// series returns the metrics of family name whose labels include want.
func (s scrape) series(name string, want map[string]string) []*dto.Metric {
	f, ok := s[name]
	if !ok {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, m)
		}
	}
	return out
}

// value returns the value of the one series of name with labels want.
func (s scrape) value(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	ms := s.series(name, want)
	require.Len(t, ms, 1, "series %s%v", name, want)
	m := ms[0]
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s%v is not a counter or gauge", name, want)
	return 0
}

// labelValues returns every value label takes in family name.
func (s scrape) labelValues(name, label string) []string {
	var out []string
	for _, m := range s.series(name, nil) {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				out = append(out, lp.GetValue())
			}
		}
	}
	return out
}

// TestMetricsHTTP: requests are counted by method, route pattern and
// status, timed by route pattern, and never labelled with a raw path.
func TestMetricsHTTP(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAdmin()
	tk := newTicket(t, c, "Refund please", "I was charged twice on my invoice")
	other := newTicket(t, c, "Opening hours", "When are you open?")
	for _, id := range []string{tk.ID, other.ID} {
		w := c.do("GET", "/api/tickets/"+id, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	require.Equal(t, http.StatusNotFound, c.do("GET", "/api/tickets/nope", nil).Code)
	require.Equal(t, http.StatusNotFound, c.do("GET", "/no/such/path/"+tk.ID, nil).Code)
	require.Equal(t, http.StatusMethodNotAllowed, c.do("BREW", "/api/tickets", nil).Code)

	s := scrapeMetrics(t, e.anon())
	const route = "GET /api/tickets/{id}"
	assert.Equal(t, 2.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "GET", "route": route, "code": "200"}))
	assert.Equal(t, 1.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "GET", "route": route, "code": "404"}))
	assert.Equal(t, 2.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "POST", "route": "POST /api/tickets", "code": "201"}))
	assert.Equal(t, 1.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "POST", "route": "POST /api/auth/login", "code": "200"}))
	// No route: the path is not a label value; unknown methods are OTHER.
	assert.Equal(t, 1.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "GET", "route": unmatchedRoute, "code": "404"}))
	assert.Equal(t, 1.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "OTHER", "route": unmatchedRoute, "code": "405"}))
	for _, r := range s.labelValues("icc_http_requests_total", "route") {
		assert.True(t, r == unmatchedRoute || strings.Contains(r, " /"), "route %q is a pattern", r)
		assert.NotContains(t, r, tk.ID)
		assert.NotContains(t, r, "nope")
	}

	// Duration histogram by route.
	hs := s.series("icc_http_request_duration_seconds", map[string]string{"route": route})
	require.Len(t, hs, 1)
	assert.Equal(t, uint64(3), hs[0].GetHistogram().GetSampleCount())
	assert.Equal(t, dto.MetricType_HISTOGRAM, s["icc_http_request_duration_seconds"].GetType())
	// The scrape itself is the one request in flight.
	assert.Equal(t, 1.0, s.value(t, "icc_http_requests_in_flight", nil))

	// Go runtime and process collectors.
	assert.Contains(t, s, "go_goroutines")
	assert.Contains(t, s, "go_memstats_alloc_bytes")
	assert.Contains(t, s, "process_start_time_seconds")
	assert.Equal(t, 1.0, s.value(t, "icc_storage_up", nil))

	// A second scrape counts the first one, under its pattern.
	s = scrapeMetrics(t, e.anon())
	assert.Equal(t, 1.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "GET", "route": "GET /metrics", "code": "200"}))
}

// TestMetricsDomain: integration statuses, active alerts, dropped
// integration logs and chat connections are read at scrape time.
func TestMetricsDomain(t *testing.T) {
	e := newMonitorEnv(t)
	a, err := e.s.setupChat(t.Context(), chatOptions{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.hub.Close()) })
	e.s.metrics.watchChat(a.hub)
	admin := e.asAdmin()

	s := scrapeMetrics(t, e.anon())
	assert.Equal(t, 1.0, s.value(t, "icc_storage_up", nil))
	// Every integration has one series per status, exactly one of them 1.
	for name, id := range e.ids {
		ms := s.series("icc_integration_status", map[string]string{"id": id, "integration": name})
		require.Len(t, ms, len(integrationStatuses()), name)
		sum := 0.0
		for _, m := range ms {
			sum += m.GetGauge().GetValue()
		}
		assert.Equal(t, 1.0, sum, name)
	}
	assert.Equal(t, 0.0, s.value(t, "icc_alerts_active", map[string]string{"state": "firing"}))
	assert.Equal(t, 0.0, s.value(t, "icc_alerts_active", map[string]string{"state": "acknowledged"}))
	assert.Equal(t, 0.0, s.value(t, "icc_integration_logs_dropped_total", nil))
	assert.Equal(t, 0.0, s.value(t, "icc_chat_connections", map[string]string{"role": "customer"}))
	assert.Equal(t, 0.0, s.value(t, "icc_chat_connections", map[string]string{"role": "agent"}))
	assert.Equal(t, 0.0, s.value(t, "icc_chat_agents_online", nil))
	// The test classifier has no cache, so there are no cache series.
	assert.NotContains(t, s, "icc_classifier_cache_hits_total")

	// The ERP goes down: its status series follows the check.
	erp := e.ids["Mock ERP"]
	require.NotEmpty(t, erp)
	e.setMode(admin, mockERP, modeDown)
	got := e.checkNow(admin, erp)
	require.False(t, got.Result.OK)
	in, err := e.backend.GetIntegration(t.Context(), erp)
	require.NoError(t, err)
	s = scrapeMetrics(t, e.anon())
	assert.Equal(t, 1.0, s.value(t, "icc_integration_status", map[string]string{"id": erp, "status": string(in.Status)}))
	assert.NotEqual(t, icc.StatusOperational, in.Status)

	// Alerts are counted by state.
	for i, st := range []icc.AlertState{icc.AlertFiring, icc.AlertFiring, icc.AlertAcknowledged, icc.AlertResolved} {
		require.NoError(t, e.backend.CreateAlert(t.Context(), &icc.Alert{
			IntegrationID: erp, Rule: icc.RuleConsecutiveFailures, DedupKey: "metrics-test-" + string(rune('a'+i)),
			State: st, Severity: icc.SeverityCritical, Summary: "test", Count: 1, FiredAt: e.clock.Now(),
		}))
	}
	s = scrapeMetrics(t, e.anon())
	firing := s.value(t, "icc_alerts_active", map[string]string{"state": "firing"})
	assert.GreaterOrEqual(t, firing, 2.0, "firing alerts, the check's own included if it fired one")
	assert.Equal(t, 1.0, s.value(t, "icc_alerts_active", map[string]string{"state": "acknowledged"}))

	// A customer and an agent connected to the chat are counted by role.
	srv := e.srv
	w := e.anon().do("POST", "/api/conversations", map[string]string{
		"name": "Cus Tomer", "email": "cus@example.com", "subject": "Metrics", "message": "Hello",
	})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	st := decode[startAnswer](t, w)
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?"
	dialWS(t, ws+url.Values{"conversation_id": {st.ID}, "token": {st.Token}}.Encode(), nil)
	dialWS(t, ws, http.Header{"Cookie": {admin.cookie.String()}})
	require.Eventually(t, func() bool {
		s = scrapeMetrics(t, e.anon())
		return s.value(t, "icc_chat_connections", map[string]string{"role": "customer"}) == 1 &&
			s.value(t, "icc_chat_connections", map[string]string{"role": "agent"}) == 1 &&
			s.value(t, "icc_chat_agents_online", nil) == 1
	}, frameWait, 10*time.Millisecond)
}

// TestMetricsClassifierCache: a classify.Cache's counters are exported.
func TestMetricsClassifierCache(t *testing.T) {
	e := newDeskEnv(t)
	cache, err := classify.NewCache(keywordClassifier{}, 8)
	require.NoError(t, err)
	e.s.classifier = cache
	req := classify.Request{Subject: "Invoice", Body: "I was charged twice"}
	for range 3 {
		_, err := cache.Classify(t.Context(), req)
		require.NoError(t, err)
	}
	s := scrapeMetrics(t, e.anon())
	assert.Equal(t, 2.0, s.value(t, "icc_classifier_cache_hits_total", nil))
	assert.Equal(t, 1.0, s.value(t, "icc_classifier_cache_misses_total", nil))
	assert.Equal(t, 0.0, s.value(t, "icc_classifier_cache_evictions_total", nil))
	assert.Equal(t, 1.0, s.value(t, "icc_classifier_cache_entries", nil))
	assert.Equal(t, dto.MetricType_COUNTER, s["icc_classifier_cache_hits_total"].GetType())
}

// TestMetricsToken: with a metrics token, /metrics needs it as a bearer
// token; without one, /metrics is public.
func TestMetricsToken(t *testing.T) {
	e := newDeskEnv(t)
	scrapeMetrics(t, e.anon()) // public by default

	e.s.metrics.token = "s3cret-token"
	for _, auth := range []string{"", "Bearer wrong", "Basic s3cret-token", "s3cret-token"} {
		c := e.anon()
		if auth != "" {
			c.header.Set("Authorization", auth)
		}
		w := c.do("GET", "/metrics", nil)
		assert.Equal(t, http.StatusUnauthorized, w.Code, "Authorization %q", auth)
		assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
		assert.Equal(t, icc.EUNAUTHORIZED, decode[icc.ErrorBody](t, w).Error.Code)
		assert.NotContains(t, w.Body.String(), "icc_http_requests_total")
	}
	c := e.anon()
	c.header.Set("Authorization", "Bearer s3cret-token")
	s := scrapeMetrics(t, c)
	// The refused scrapes were counted too.
	assert.Equal(t, 4.0, s.value(t, "icc_http_requests_total", map[string]string{"method": "GET", "route": "GET /metrics", "code": "401"}))
}

// TestMetricsTokenConfig: -metrics-token and ICC_METRICS_TOKEN set the
// token, the flag winning.
func TestMetricsTokenConfig(t *testing.T) {
	cfg, err := parseConfig(nil, mapEnv(map[string]string{"ICC_METRICS_TOKEN": " from-env "}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "from-env", cfg.MetricsToken)
	cfg, err = parseConfig([]string{"-metrics-token", "from-flag"}, mapEnv(map[string]string{"ICC_METRICS_TOKEN": "from-env"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "from-flag", cfg.MetricsToken)
	cfg, err = parseConfig(nil, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Empty(t, cfg.MetricsToken)

	var help strings.Builder
	_, err = parseConfig([]string{"-h"}, mapEnv(nil), &help)
	require.Error(t, err)
	assert.Contains(t, help.String(), "-metrics-token")
	assert.Contains(t, help.String(), "ICC_METRICS_TOKEN")
}
