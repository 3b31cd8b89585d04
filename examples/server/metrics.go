package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// metricsNamespace prefixes every series the server defines.
const metricsNamespace = "icc"

// metricsScrapeTimeout bounds the storage reads of one scrape of /metrics.
const metricsScrapeTimeout = 5 * time.Second

// maxAlertPages bounds how many pages of active alerts one scrape reads
// (icc.MaxLimit alerts each); beyond that the count is a lower bound.
const maxAlertPages = 20

// unmatchedRoute is the route label of requests that matched no
// registered pattern (404, 405, the mux's redirects), so that raw paths
// never become label values.
const unmatchedRoute = "unmatched"

// metrics is the server's Prometheus instrumentation. It owns its registry,
// so several servers in one process (as in tests) do not share series, and
// nothing is registered with the prometheus package's default registry.
//
// HTTP series are updated by instrument as requests finish; the domain
// series (storage, integrations, alerts, integration logs, classifier
// cache, chat) are read from the server at each scrape, by a collector
// bound to the scrape's context.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// token, when not empty, is the bearer token GET /metrics requires.
	// Set it before serving.
	token string
	// hub is the live chat hub whose connections are reported; nil until
	// watchChat.
	hub atomic.Pointer[chat.Hub]
	// domain describes the series domainCollector reads at scrape time.
	domain domainDescs
}

// newMetrics returns the server's metrics with the HTTP series and the Go
// runtime and process collectors registered.
func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace,
			Name:      "http_requests_total",
			Help:      "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace,
			Name:      "http_request_duration_seconds",
			Help:      "Time to serve an HTTP request, by route pattern (WebSocket upgrades excluded).",
			Buckets:   prometheus.DefBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace,
			Name:      "http_requests_in_flight",
			Help:      "HTTP requests being served now, open WebSocket connections included.",
		}),
		domain: newDomainDescs(),
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// watchChat reports hub's connections and agents online from now on.
func (m *metrics) watchChat(hub *chat.Hub) { m.hub.Store(hub) }

// instrument counts and times every request that next serves. The route
// label is the pattern mux matches the request with, such as
// "GET /api/tickets/{id}", never the path, so that the number of series
// stays bounded; methods outside the standard ones are counted as "OTHER".
// It reuses the *responseRecorder of withAccessLog when it gets one.
func (m *metrics) instrument(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := unmatchedRoute
		// Registered patterns all name a method ("GET /x"); the mux's
		// redirects return a cleaned path as their pattern instead.
		if _, p := mux.Handler(r); strings.Contains(p, " ") {
			route = p
		}
		rec, ok := w.(*responseRecorder)
		if !ok {
			rec = &responseRecorder{ResponseWriter: w}
		}
		m.inFlight.Inc()
		start := time.Now()
		defer func() {
			m.inFlight.Dec()
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			m.requests.WithLabelValues(methodLabel(r.Method), route, strconv.Itoa(status)).Inc()
			if status != http.StatusSwitchingProtocols {
				m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// methodLabel returns method when it is a standard HTTP method and "OTHER"
// otherwise, so that clients cannot create series at will.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// handleMetrics serves GET /metrics in the Prometheus text format. When a
// metrics token is configured, the request must carry it as
// "Authorization: Bearer <token>".
func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	m := s.metrics
	if m.token != "" && !bearerMatches(r.Header.Get("Authorization"), m.token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		return icc.Errorf(icc.EUNAUTHORIZED, "a valid bearer token is required for /metrics")
	}
	ctx, cancel := context.WithTimeout(r.Context(), metricsScrapeTimeout)
	defer cancel()
	scrape := prometheus.NewRegistry()
	scrape.MustRegister(&domainCollector{ctx: ctx, s: s})
	promhttp.HandlerFor(prometheus.Gatherers{m.registry, scrape}, promhttp.HandlerOpts{
		ErrorLog:      promErrorLog{s},
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
	return nil
}

// bearerMatches reports whether an Authorization header value carries
// token as a bearer token, comparing in constant time.
func bearerMatches(header, token string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// promErrorLog passes promhttp's errors to the server's logger.
type promErrorLog struct{ s *server }

// Println logs v as one warning.
func (l promErrorLog) Println(v ...any) {
	l.s.logger.Warn("metrics: gathering failed", "err", fmt.Sprint(v...))
}

// domainDescs describes the series read from the server at scrape time.
type domainDescs struct {
	storageUp, integrationStatus, alertsActive, logsDropped *prometheus.Desc
	cacheHits, cacheMisses, cacheEvictions, cacheEntries    *prometheus.Desc
	chatConnections, chatAgentsOnline                       *prometheus.Desc
}

// newDomainDescs returns the descriptions of the domain series.
func newDomainDescs() domainDescs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "", name), help, labels, nil)
	}
	return domainDescs{
		storageUp:         d("storage_up", "1 when storage answered a ping during this scrape, 0 when it did not."),
		integrationStatus: d("integration_status", "Status of each integration: 1 for the current status, 0 for the others.", "id", "integration", "status"),
		alertsActive:      d("alerts_active", "Unresolved alerts, by state (firing or acknowledged).", "state"),
		logsDropped:       d("integration_logs_dropped_total", "Integration call-log records not stored: recorder queue full or write failed."),
		cacheHits:         d("classifier_cache_hits_total", "Classifications answered from the classifier cache."),
		cacheMisses:       d("classifier_cache_misses_total", "Classifications passed through the classifier cache to the classifier."),
		cacheEvictions:    d("classifier_cache_evictions_total", "Entries dropped from the classifier cache to make room."),
		cacheEntries:      d("classifier_cache_entries", "Entries held in the classifier cache."),
		chatConnections:   d("chat_connections", "Open chat WebSocket connections on this instance, by role.", "role"),
		chatAgentsOnline:  d("chat_agents_online", "Agents online in chat, on this instance and those it hears through the bus."),
	}
}

// domainCollector reads the domain series from the server for one scrape;
// its storage reads use ctx, the scrape's context. Series whose source is
// not set up (no monitor, no chat hub, a classifier without a cache) are
// left out.
type domainCollector struct {
	ctx context.Context
	s   *server
}

// Describe sends the description of every domain series.
func (c *domainCollector) Describe(ch chan<- *prometheus.Desc) {
	d := &c.s.metrics.domain
	for _, desc := range []*prometheus.Desc{
		d.storageUp, d.integrationStatus, d.alertsActive, d.logsDropped,
		d.cacheHits, d.cacheMisses, d.cacheEvictions, d.cacheEntries,
		d.chatConnections, d.chatAgentsOnline,
	} {
		ch <- desc
	}
}

// Collect reads the domain series. A storage read that fails is logged and
// its series left out; storage_up says whether storage answers at all.
func (c *domainCollector) Collect(ch chan<- prometheus.Metric) {
	s, d := c.s, &c.s.metrics.domain
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	counter := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v)
	}

	up := 1.0
	if err := s.backend.Ping(c.ctx); err != nil {
		up = 0
		s.logger.WarnContext(c.ctx, "metrics: storage ping failed", "err", err)
	}
	gauge(d.storageUp, up)

	if s.monitor != nil {
		c.collectIntegrations(gauge)
		c.collectAlerts(gauge)
	}
	if s.recorder != nil {
		counter(d.logsDropped, float64(s.recorder.Dropped()))
	}
	if cache, ok := s.classifier.(*classify.Cache); ok {
		st := cache.Stats()
		counter(d.cacheHits, float64(st.Hits))
		counter(d.cacheMisses, float64(st.Misses))
		counter(d.cacheEvictions, float64(st.Evictions))
		gauge(d.cacheEntries, float64(st.Len))
	}
	if hub := s.metrics.hub.Load(); hub != nil {
		agents, customers := hub.Connections()
		gauge(d.chatConnections, float64(agents), string(chat.RoleAgent))
		gauge(d.chatConnections, float64(customers), string(chat.RoleCustomer))
		gauge(d.chatAgentsOnline, float64(hub.AgentsOnline()))
	}
}

// integrationStatuses are the values of integration_status's status label.
func integrationStatuses() []icc.IntegrationStatus {
	return []icc.IntegrationStatus{icc.StatusOperational, icc.StatusDegraded, icc.StatusDown, icc.StatusMaintenance, icc.StatusUnknown}
}

// collectIntegrations reports every integration's status as a state set:
// one series per status, 1 for the current one.
func (c *domainCollector) collectIntegrations(gauge func(*prometheus.Desc, float64, ...string)) {
	ins, err := c.s.backend.ListIntegrations(c.ctx, icc.IntegrationFilter{})
	if err != nil {
		c.s.logger.WarnContext(c.ctx, "metrics: listing integrations failed", "err", err)
		return
	}
	for _, in := range ins {
		for _, st := range integrationStatuses() {
			v := 0.0
			if in.Status == st {
				v = 1
			}
			gauge(c.s.metrics.domain.integrationStatus, v, in.ID, in.Name, string(st))
		}
	}
}

// collectAlerts counts the unresolved alerts by state.
func (c *domainCollector) collectAlerts(gauge func(*prometheus.Desc, float64, ...string)) {
	counts := map[icc.AlertState]int{icc.AlertFiring: 0, icc.AlertAcknowledged: 0}
	f := icc.AlertFilter{Active: true, Limit: icc.MaxLimit}
	for range maxAlertPages {
		page, err := c.s.backend.ListAlerts(c.ctx, f)
		if err != nil {
			c.s.logger.WarnContext(c.ctx, "metrics: listing alerts failed", "err", err)
			return
		}
		for _, a := range page.Items {
			if _, ok := counts[a.State]; ok {
				counts[a.State]++
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	for st, n := range counts {
		gauge(c.s.metrics.domain.alertsActive, float64(n), string(st))
	}
}
