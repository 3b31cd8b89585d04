package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/monitor"
)

// readyTimeout bounds the storage ping behind /readyz.
const readyTimeout = 2 * time.Second

// server is the HTTP application: it owns the backend, the logger, the
// routes and the http.Server. Capabilities add their routes in routes and
// their clean-up with onShutdown.
type server struct {
	backend icc.Backend
	logger  *slog.Logger
	mux     *http.ServeMux
	http    *http.Server

	// sessions keeps agents' sign-ins (sessions.go); in memory until
	// setupDesk moves it to PostgreSQL.
	sessions *sessionStore
	// crossOrigin rejects cross-origin state-changing requests, except
	// those cors lets through to the customer routes (cors.go).
	crossOrigin *http.CrossOriginProtection
	cors        *corsPolicy
	// rateFails counts rate limit calls that failed since rateFailLogged
	// (Unix ns), when that was last logged (ratelimit.go).
	rateFails      atomic.Int64
	rateFailLogged atomic.Int64
	// disconnectAgent closes an agent's chat WebSockets on every instance
	// (chat.Hub.DisconnectAgent); nil until setupChat.
	disconnectAgent func(ctx context.Context, id, reason string) error
	// directory enriches new tickets' customers, e.g. from a CRM; set it
	// before setupDesk. Nil means no enrichment.
	directory icc.CustomerDirectory
	// monitor, recorder, mocks and crm are set by setupMonitor
	// (monitor_api.go): integration checks, the call-log recorder, the
	// mock CRM and ERP, and the CRM-backed customer directory.
	monitor  *monitor.Monitor
	recorder *monitor.Recorder
	mocks    *mocks
	crm      *crmDirectory
	// desk, classifier and learner are set by setupDesk (desk_api.go);
	// so is offline, the offline model retrained from corrections
	// (classifier_api.go), nil when tests inject a classifier.
	desk       *icc.Desk
	classifier classify.Classifier
	learner    learner
	offline    *offlineModel
	// loginLimiter and publicLimiter throttle sign-in failures and the
	// public ticket form (ratelimit.go), counted in rates: the backend, so
	// that every instance on one store counts together.
	loginLimiter  *rateLimiter
	publicLimiter *rateLimiter
	rates         icc.RateLimiter
	// trustedProxies are the proxies whose X-Forwarded-For header names
	// the client (ratelimit.go); none by default. Set it before serving.
	trustedProxies proxyList
	// bcryptCost is the cost of new password hashes; tests lower it.
	bcryptCost int
	// dummyHash is compared against when an email is unknown, so that a
	// failed sign-in takes as long whether or not the agent exists.
	dummyHash func() []byte

	// metrics counts requests and serves GET /metrics (metrics.go).
	metrics *metrics
	// demo says that demo data (logins, integrations checking the mocks)
	// was seeded; the web UI shows the demo logins and mock switches then
	// (web.go). Set by setup before serving.
	demo bool

	// patterns lists every pattern registered on mux, in order, so that
	// tests can check the OpenAPI document against the real routes.
	patterns []string

	mu        sync.Mutex
	shutdowns []func(context.Context) error
}

// newServer builds the server around an open backend, which it closes on
// shutdown.
func newServer(backend icc.Backend, logger *slog.Logger) *server {
	s := &server{
		backend: backend,
		rates:   backend,
		logger:  logger,
		mux:     http.NewServeMux(),
		metrics: newMetrics(),
	}
	s.initAuth()
	s.routes()
	s.http = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// routes registers every endpoint. Patterns use Go's method matching, so a
// wrong method gets 405 from the mux.
func (s *server) routes() {
	s.handle("GET /healthz", s.handleHealthz)
	s.handle("GET /readyz", s.handleReadyz)
	s.handle("GET /metrics", s.handleMetrics)
	s.handle("GET /api/openapi.json", s.handleOpenAPI)
	s.analyticsRoutes()
	s.webRoutes()
}

// apiFunc is a handler that returns its error instead of writing it; the
// error is written by writeError.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers an apiFunc for a ServeMux pattern.
func (s *server) handle(pattern string, h apiFunc) {
	s.register(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.logger, err)
		}
	}))
}

// register adds h to the mux for pattern and records the pattern. Every
// route goes through here.
func (s *server) register(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// handler wraps the mux in the middleware every request goes through, the
// outermost first: request id, client IP, access log, metrics, panic
// recovery, CORS for the customer routes or else cross-origin protection,
// session loading.
func (s *server) handler() http.Handler {
	inner := s.withSession(http.HandlerFunc(s.route))
	return withRequestID(s.withClientIP(withAccessLog(s.logger, s.metrics.instrument(s.mux, withRecovery(s.logger,
		s.withCORS(s.crossOrigin.Handler(inner), inner))))))
}

// route passes a request to the mux, answering in JSON when no route
// matches: 404 for an unknown path, 405 with an Allow header for a known
// path with another method.
func (s *server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux's own answer tells 404 from 405; only its status and Allow
	// header are kept.
	probe := &statusProbe{header: make(http.Header)}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeJSON(w, s.logger, http.StatusMethodNotAllowed, icc.ErrorBody{Error: icc.ErrorDetail{
			Code:    "method_not_allowed",
			Message: fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, probe.header.Get("Allow")),
		}})
		return
	}
	writeError(w, r, s.logger, icc.Errorf(icc.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
}

// statusProbe is a ResponseWriter that keeps only the status and headers.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

// onShutdown registers f to run when the server shuts down, at the same
// time as in-flight requests drain and before storage is closed. Its context
// ends when the shutdown timeout does. Hijacked connections such as
// WebSockets are not tracked by http.Server, so their owners close them
// here.
func (s *server) onShutdown(f func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdowns = append(s.shutdowns, f)
}

// serve serves on ln until ctx ends, then shuts down gracefully within
// timeout: the listener closes at once, in-flight requests and shutdown
// hooks get until the timeout, and the backend is closed last. It returns
// nil after a clean shutdown.
func (s *server) serve(ctx context.Context, ln net.Listener, timeout time.Duration) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(ln) }()

	select {
	case err := <-serveErr:
		// The server stopped by itself, e.g. the listener failed.
		closeErr := s.backend.Close()
		return errors.Join(fmt.Errorf("serve: %w", err), closeErr)
	case <-ctx.Done():
	}

	s.logger.Info("shutting down", "timeout", timeout)
	start := time.Now()
	// The parent context is already done; the shutdown gets its own.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()

	s.mu.Lock()
	hooks := append([]func(context.Context) error(nil), s.shutdowns...)
	s.mu.Unlock()

	errs := make([]error, len(hooks)+1)
	var wg sync.WaitGroup
	for i, h := range hooks {
		wg.Go(func() { errs[i] = h(sctx) })
	}
	errs[len(hooks)] = s.http.Shutdown(sctx)
	wg.Wait()

	err := errors.Join(errs...)
	if err != nil {
		// Requests still running after the timeout are cut off.
		err = fmt.Errorf("shutdown: %w", err)
		_ = s.http.Close()
	}
	if cerr := s.backend.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close storage: %w", cerr))
	}
	if serr := <-serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve: %w", serr))
	}
	if err != nil {
		return err
	}
	s.logger.Info("shutdown complete", "took", time.Since(start).Round(time.Millisecond))
	return nil
}
