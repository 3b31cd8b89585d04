package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// config is the server's configuration, from flags and the environment.
type config struct {
	Addr            string        // listen address, host:port
	DatabaseURL     string        // storage URL; "" is in-memory
	LogLevel        slog.Level    // minimum level logged
	LogFormat       string        // "text" or "json"
	MigrateOnly     bool          // apply migrations and exit
	ShutdownTimeout time.Duration // time allowed to drain on shutdown

	// Demo seeds demo agents, customers and tickets; nil means "on with
	// memory storage, off with a database".
	Demo          *bool
	SecureCookies bool   // mark the session cookie Secure even without TLS
	AdminEmail    string // an admin to create or update at start
	AdminPassword string // that admin's password (environment only)
	GeminiAPIKey  string // enables the Gemini classifier (environment only)
	GeminiModel   string // Gemini model; the classify default when empty
	// ClassifierModel is an offline model file (classify.Offline.Save, e.g.
	// written by classifyeval -save) to serve and retrain on top of
	// instead of the shipped model; classifierModel holds it, read and
	// checked while parsing.
	ClassifierModel string
	classifierModel []byte
	// ChatOrigins are host patterns (path.Match syntax) of other origins
	// whose pages may open the chat WebSocket; the server's own host always
	// may.
	ChatOrigins []string
	// MetricsToken, when set, is the bearer token GET /metrics requires;
	// empty leaves /metrics public.
	MetricsToken string
	// SessionIdleTimeout ends a sign-in that has not been used for this
	// long; 0 turns the idle timeout off. It is at most sessionLifetime.
	SessionIdleTimeout time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For header names the
	// client (see clientIP); empty trusts no forwarding header.
	TrustedProxies []netip.Prefix
}

// Environment variables that have no flag, because their values are
// secrets that a flag would show in the process list.
const (
	envAdminPassword = "ICC_ADMIN_PASSWORD"
	envGeminiAPIKey  = "GEMINI_API_KEY"
)

// demoEnabled resolves the -demo setting: as given, else on for memory
// storage only.
func (c config) demoEnabled() bool {
	if c.Demo != nil {
		return *c.Demo
	}
	return describeStorage(c.DatabaseURL) == "memory"
}

// configError is a bad flag or setting; the program exits with status 2.
// err, when set, is the error it was made from (such as storage.Open's
// EINVALID error for a bad database URL), kept for errors.Is and As.
type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return e.msg }

// Unwrap returns the error the configError was made from, if any.
func (e *configError) Unwrap() error { return e.err }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// envVars maps each flag that has an environment fallback to its variable.
// It is a function so that no package-level state exists.
func envVars() map[string]string {
	return map[string]string{
		"addr":                 "ICC_ADDR",
		"database-url":         "DATABASE_URL",
		"log-level":            "ICC_LOG_LEVEL",
		"log-format":           "ICC_LOG_FORMAT",
		"shutdown-timeout":     "ICC_SHUTDOWN_TIMEOUT",
		"demo":                 "ICC_DEMO",
		"secure-cookies":       "ICC_SECURE_COOKIES",
		"admin-email":          "ICC_ADMIN_EMAIL",
		"gemini-model":         "ICC_GEMINI_MODEL",
		"classifier-model":     "ICC_CLASSIFIER_MODEL",
		"chat-origins":         "ICC_CHAT_ORIGINS",
		"metrics-token":        "ICC_METRICS_TOKEN",
		"session-idle-timeout": "ICC_SESSION_IDLE_TIMEOUT",
		"trusted-proxies":      "ICC_TRUSTED_PROXIES",
	}
}

// parseConfig reads the configuration from args (without the program name)
// and, for each flag not given, from its environment variable through
// getenv; flags beat the environment, which beats the defaults. With -h it
// writes the usage to stderr and returns flag.ErrHelp. Bad input is a
// *configError.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	var (
		addr        = fs.String("addr", "127.0.0.1:8080", "listen `address` (host:port; port 0 picks a free port)")
		databaseURL = fs.String("database-url", "", "storage `URL`: memory:// or postgres://user:pass@host:5432/db (default in-memory)")
		logLevel    = fs.String("log-level", "info", "minimum log `level`: debug, info, warn or error")
		logFormat   = fs.String("log-format", "text", "log `format`: text or json")
		migrateOnly = fs.Bool("migrate-only", false, "apply database migrations and exit")
		shutdown    = fs.Duration("shutdown-timeout", 15*time.Second, "`time` allowed to finish in-flight requests on shutdown")
		demo        = fs.Bool("demo", false, "seed demo agents, customers and tickets (default true with memory storage, false with PostgreSQL)")
		secure      = fs.Bool("secure-cookies", false, "mark the session cookie Secure even on plain HTTP (behind a TLS-terminating proxy); it is always Secure over TLS")
		adminEmail  = fs.String("admin-email", "", "`email` of an admin to create, or to give the admin role and the password in "+envAdminPassword+", at start")
		geminiModel = fs.String("gemini-model", "", "Gemini `model` used when "+envGeminiAPIKey+" is set (default the classify package's)")
		classModel  = fs.String("classifier-model", "", "offline classifier model `file` to serve and retrain on top of, e.g. written by classifyeval -train ... -base default -save FILE (default the shipped model)")
		chatOrigins = fs.String("chat-origins", "", "comma-separated host `patterns` (e.g. shop.example.com,*.example.org) of other sites whose pages may open the chat WebSocket and call the customer routes (CORS); the server's own host always may")
		metricsTok  = fs.String("metrics-token", "", "bearer `token` that GET /metrics requires (default none: /metrics is public); prefer the environment variable, a flag shows in the process list")
		idleTimeout = fs.Duration("session-idle-timeout", defaultSessionIdleTimeout, "`time` after which an unused sign-in ends (0: off; at most the session lifetime, "+icc.HumanDuration(sessionLifetime)+")")
		proxies     = fs.String("trusted-proxies", "", "comma-separated `addresses` or CIDRs (e.g. 10.0.0.0/8,2001:db8::1) of proxies whose X-Forwarded-For header names the client IP for per-IP limits and the access log (default none: forwarding headers are ignored)")
	)
	env := envVars()
	fs.SetOutput(io.Discard)
	// The usage is printed once, below, for -h; parse errors get a one-line
	// message instead of the whole text.
	fs.Usage = func() {}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stderr, fs, env)
			return config{}, err
		}
		return config{}, configErrorf("%v (run with -h for help)", err)
	}
	if fs.NArg() > 0 {
		return config{}, configErrorf("unexpected argument %q (run with -h for help)", fs.Arg(0))
	}

	// source names where each setting came from, for error messages.
	source := make(map[string]string)
	fs.Visit(func(f *flag.Flag) { source[f.Name] = "-" + f.Name })
	for _, name := range slices.Sorted(maps.Keys(env)) {
		v := env[name]
		if _, given := source[name]; given {
			continue
		}
		val := strings.TrimSpace(getenv(v))
		if val == "" {
			continue
		}
		if err := fs.Set(name, val); err != nil {
			return config{}, configErrorf("%s=%q: %s", v, val, envValueErr(name, err))
		}
		source[name] = v
	}
	from := func(name string) string {
		if s, ok := source[name]; ok {
			return s
		}
		return "-" + name
	}

	cfg := config{
		Addr:               strings.TrimSpace(*addr),
		DatabaseURL:        strings.TrimSpace(*databaseURL),
		LogFormat:          strings.ToLower(strings.TrimSpace(*logFormat)),
		MigrateOnly:        *migrateOnly,
		ShutdownTimeout:    *shutdown,
		SecureCookies:      *secure,
		AdminEmail:         strings.TrimSpace(*adminEmail),
		AdminPassword:      getenv(envAdminPassword),
		GeminiAPIKey:       strings.TrimSpace(getenv(envGeminiAPIKey)),
		GeminiModel:        strings.TrimSpace(*geminiModel),
		ClassifierModel:    strings.TrimSpace(*classModel),
		MetricsToken:       strings.TrimSpace(*metricsTok),
		SessionIdleTimeout: *idleTimeout,
	}
	if _, given := source["demo"]; given {
		cfg.Demo = demo
	}
	if err := checkAddr(cfg.Addr); err != nil {
		return config{}, configErrorf("%s %q: %v", from("addr"), cfg.Addr, err)
	}
	lvl, err := parseLevel(*logLevel)
	if err != nil {
		return config{}, configErrorf("%s %q: %v", from("log-level"), *logLevel, err)
	}
	cfg.LogLevel = lvl
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return config{}, configErrorf("%s %q: must be text or json", from("log-format"), *logFormat)
	}
	if cfg.ShutdownTimeout <= 0 {
		return config{}, configErrorf("%s %s: must be more than 0", from("shutdown-timeout"), cfg.ShutdownTimeout)
	}
	if cfg.SessionIdleTimeout < 0 {
		return config{}, configErrorf("%s %s: must not be negative (0 turns the idle timeout off)", from("session-idle-timeout"), cfg.SessionIdleTimeout)
	}
	if cfg.SessionIdleTimeout > sessionLifetime {
		return config{}, configErrorf("%s %s: must not be more than the session lifetime, %s (0 turns the idle timeout off)",
			from("session-idle-timeout"), cfg.SessionIdleTimeout, icc.HumanDuration(sessionLifetime))
	}
	if cfg.ClassifierModel != "" {
		if cfg.classifierModel, err = readClassifierModel(cfg.ClassifierModel); err != nil {
			return config{}, configErrorf("%s %q: %v", from("classifier-model"), cfg.ClassifierModel, err)
		}
	}
	if cfg.TrustedProxies, err = parseTrustedProxies(*proxies); err != nil {
		return config{}, configErrorf("%s %q: %v", from("trusted-proxies"), *proxies, err)
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		return config{}, configErrorf("%s and %s must be set together", from("admin-email"), envAdminPassword)
	}
	if cfg.ChatOrigins, err = parseOrigins(*chatOrigins); err != nil {
		return config{}, configErrorf("%s %q: %v", from("chat-origins"), *chatOrigins, err)
	}
	if cfg.AdminEmail != "" {
		if err := checkPassword("password", cfg.AdminPassword); err != nil {
			return config{}, configErrorf("%s: %s", envAdminPassword, icc.ErrorMessage(err))
		}
		if !strings.Contains(cfg.AdminEmail, "@") {
			return config{}, configErrorf("%s %q: must be an email address", from("admin-email"), cfg.AdminEmail)
		}
	}
	return cfg, nil
}

// checkAddr accepts host:port with a numeric port; an empty host means
// every interface.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port, e.g. 127.0.0.1:8080 or :8080")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("port must be a number from 0 to 65535")
	}
	return nil
}

// parseOrigins reads a comma-separated list of origin patterns, such as
// "shop.example.com,*.example.org" (path.Match syntax, matched against the
// Origin's host, or against scheme://host for a pattern with a scheme, as
// in "https://shop.example.com"); blanks between commas are ignored.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		host := p
		if _, h, ok := strings.Cut(p, "://"); ok {
			host = h
		}
		if _, err := path.Match(p, ""); err != nil || host == "" || strings.Contains(host, "/") {
			return nil, fmt.Errorf("%q is not a host pattern such as shop.example.com, *.example.org or https://shop.example.com", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseTrustedProxies reads a comma-separated list of proxy addresses:
// CIDRs such as 10.0.0.0/8 or fd00::/8, and single IPs such as 192.0.2.10
// or 2001:db8::1; blanks between commas are ignored. IPv4-mapped IPv6
// entries are turned into IPv4 ones, as clientIP compares unmapped
// addresses.
func parseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for e := range strings.SplitSeq(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(e, "/") {
			var err error
			if p, err = netip.ParsePrefix(e); err != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", e)
			}
		} else {
			a, err := netip.ParseAddr(e)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address such as 192.0.2.10 or 2001:db8::1, nor a CIDR", e)
			}
			a = a.WithZone("")
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, unmapPrefix(p).Masked())
	}
	return out, nil
}

// unmapPrefix turns an IPv4-mapped IPv6 prefix of at least 96 bits, such as
// ::ffff:10.0.0.0/104, into its IPv4 form, 10.0.0.0/8.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
}

// parseLevel reads a log level name.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, errors.New("must be debug, info, warn or error")
}

// envValueErr explains why the value of a flag's environment variable was
// rejected; the flag package only says "parse error".
func envValueErr(name string, err error) string {
	switch name {
	case "shutdown-timeout":
		return "must be a duration such as 15s or 1m"
	case "session-idle-timeout":
		return "must be a duration such as 30m or 2h (0 turns it off)"
	case "demo", "secure-cookies":
		return "must be true or false"
	}
	return err.Error()
}

// printUsage writes the help text: every flag, its default and its
// environment variable.
func printUsage(w io.Writer, fs *flag.FlagSet, env map[string]string) {
	fmt.Fprint(w, `Usage: server [flags]

The Integration Command Center reference server. With no flags it listens on
127.0.0.1:8080 with in-memory storage. Each flag falls back to the environment
variable named beside it; a flag given on the command line wins.

Flags:
`)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "    \t%s", usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
		if v, ok := env[f.Name]; ok {
			fmt.Fprintf(w, "    \tenvironment: %s\n", v)
		}
	})
	fmt.Fprintf(w, `
Environment only (secrets, never flags):
  %s
    	password of the -admin-email admin (at least %d characters)
  %s
    	Google Gemini API key: classify with Gemini first and the offline
    	classifier as fallback (default: offline classifier only)
`, envAdminPassword, minPasswordLen, envGeminiAPIKey)
}

// readClassifierModel reads an offline model file and checks that the
// classify package can load it, so that a wrong file stops the server at
// once with a clear message.
func readClassifierModel(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := classify.NewOffline(classify.OfflineConfig{Model: bytes.NewReader(b)}); err != nil {
		return nil, err
	}
	return b, nil
}
