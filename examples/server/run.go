package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage"
)

// run is the whole program: it reads the configuration from args and
// getenv, opens storage (applying migrations), listens, and serves until
// ctx ends, then shuts down gracefully. Logs go to stderr; the line saying
// where the server listens goes to stdout too. It returns nil after a clean
// shutdown, flag.ErrHelp after -h, and a *configError for bad settings,
// a bad database URL included.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	desc := describeStorage(cfg.DatabaseURL)

	backend, err := storage.Open(ctx, cfg.DatabaseURL, storage.WithLogger(logger))
	if err != nil {
		err = fmt.Errorf("open storage (%s): %w", desc, err)
		if icc.ErrorCode(err) == icc.EINVALID {
			// A bad -database-url (unsupported scheme, malformed URL) is a
			// setting to fix, exit status 2; an unreachable database is not.
			return &configError{msg: err.Error(), err: err}
		}
		return err
	}
	if cfg.MigrateOnly {
		logger.InfoContext(ctx, "migrations applied", "storage", desc)
		fmt.Fprintf(stdout, "ICC migrations applied (storage: %s)\n", desc)
		if err := backend.Close(); err != nil {
			return fmt.Errorf("close storage: %w", err)
		}
		return nil
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = backend.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s := newServer(backend, logger)
	logins, err := s.setup(ctx, cfg, selfURL(ln.Addr()))
	if err != nil {
		_ = ln.Close()
		_ = backend.Close()
		return err
	}
	url := "http://" + ln.Addr().String()
	logger.InfoContext(ctx, "server listening", "url", url, "storage", desc)
	fmt.Fprintf(stdout, "ICC server listening on %s (storage: %s)\n", url, desc)
	if len(logins) > 0 {
		fmt.Fprintf(stdout, "demo logins: %s\n", formatLogins(logins))
	}

	return s.serve(ctx, ln, cfg.ShutdownTimeout)
}

// setup wires the capabilities into s from the configuration: the
// integration monitor with the mock CRM and ERP (which s reaches at
// self), the ticket desk with its classifier, sessions and SLA watcher,
// the live chat hub, the metrics token, the trusted proxies, the session
// idle timeout, the configured admin and the demo data, warns when no
// admin exists, starts retraining the classifier from the stored
// corrections in the background and follows the corrections made on other
// instances. It returns the demo logins to print, if any.
func (s *server) setup(ctx context.Context, cfg config, self string) (logins []demoLogin, err error) {
	s.metrics.token = cfg.MetricsToken
	s.trustedProxies = cfg.TrustedProxies
	if len(cfg.TrustedProxies) > 0 {
		s.logger.InfoContext(ctx, "client IPs taken from X-Forwarded-For of trusted proxies", "proxies", cfg.TrustedProxies)
	}
	// Before setupDesk, which keeps the setting when it moves sessions
	// into the database.
	s.sessions.mgr.IdleTimeout = cfg.SessionIdleTimeout
	if err := s.setupMonitor(ctx, monitorOptions{}); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil { // stop what setupMonitor started
			_ = s.monitor.Close(ctx)
			_ = s.recorder.Close(ctx)
		}
	}()
	err = s.setupDesk(ctx, deskOptions{
		GeminiAPIKey:  cfg.GeminiAPIKey,
		GeminiModel:   cfg.GeminiModel,
		Model:         cfg.classifierModel,
		SecureCookies: cfg.SecureCookies,
	})
	if err != nil {
		return nil, err
	}
	live, err := s.setupChat(ctx, chatOptions{OriginPatterns: cfg.ChatOrigins})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil { // stop the chat hub setupChat started
			_ = live.hub.Close()
		}
	}()
	s.metrics.watchChat(live.hub)
	if cfg.AdminEmail != "" {
		if err := s.ensureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
			return nil, fmt.Errorf("admin %s: %w", cfg.AdminEmail, err)
		}
	}
	if cfg.demoEnabled() {
		if logins, err = s.seedDemo(ctx); err != nil {
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
		if err = live.seedDemo(ctx); err != nil {
			return nil, fmt.Errorf("seed demo conversations: %w", err)
		}
		if err = s.seedMonitorDemo(ctx, self, demoCheckInterval); err != nil {
			return nil, fmt.Errorf("seed demo integrations: %w", err)
		}
		s.demo = true
	}
	s.warnIfNoAdmin(ctx)
	// Started last, so that a failed setup leaves nothing running (the
	// follower first: it is the one that can fail, and then stops itself).
	if err := s.startCorrectionFollower(ctx); err != nil {
		return nil, err
	}
	s.startSLAWatcher(ctx, s.backend, defaultSLAInterval)
	s.startMonitor(ctx, self)
	s.startRetrain("start-up", false)
	return logins, nil
}

// newLogger returns the program's logger, writing to w in the configured
// format and level.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// describeStorage names the backend a database URL selects, safe to print:
// "memory", or the URL without its password.
func describeStorage(databaseURL string) string {
	u := strings.ToLower(strings.TrimSpace(databaseURL))
	if u == "" || strings.HasPrefix(u, "memory:") {
		return "memory"
	}
	return storage.Redact(databaseURL)
}
