package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icclabs/commandcenter/classify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := parseConfig(nil, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr:               "127.0.0.1:8080",
		DatabaseURL:        "",
		LogLevel:           slog.LevelInfo,
		LogFormat:          "text",
		ShutdownTimeout:    15 * time.Second,
		SessionIdleTimeout: 2 * time.Hour,
	}, cfg)
}

func TestParseConfigEnvBeatsDefaults(t *testing.T) {
	cfg, err := parseConfig(nil, mapEnv(map[string]string{
		"ICC_ADDR":                 ":9090",
		"DATABASE_URL":             "postgres://db/icc",
		"ICC_LOG_LEVEL":            "DEBUG",
		"ICC_LOG_FORMAT":           "json",
		"ICC_SHUTDOWN_TIMEOUT":     "3s",
		"ICC_SESSION_IDLE_TIMEOUT": "30m",
		"ICC_TRUSTED_PROXIES":      "10.0.0.0/8, 2001:db8::1",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr:               ":9090",
		DatabaseURL:        "postgres://db/icc",
		LogLevel:           slog.LevelDebug,
		LogFormat:          "json",
		ShutdownTimeout:    3 * time.Second,
		SessionIdleTimeout: 30 * time.Minute,
		TrustedProxies:     []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::1/128")},
	}, cfg)
}

func TestParseConfigFlagsBeatEnv(t *testing.T) {
	env := mapEnv(map[string]string{
		"ICC_ADDR":                 ":9090",
		"DATABASE_URL":             "postgres://db/icc",
		"ICC_LOG_LEVEL":            "nonsense", // ignored: the flag is given
		"ICC_LOG_FORMAT":           "json",
		"ICC_SHUTDOWN_TIMEOUT":     "3s",
		"ICC_SESSION_IDLE_TIMEOUT": "nonsense", // ignored: the flag is given
		"ICC_TRUSTED_PROXIES":      "nonsense", // ignored: the flag is given
	})
	cfg, err := parseConfig([]string{
		"-addr", "127.0.0.1:0",
		"-database-url", "memory://",
		"-log-level", "warn",
		"-log-format=text",
		"-shutdown-timeout", "1m",
		"-migrate-only",
		"-session-idle-timeout", "0",
		"-trusted-proxies", "192.0.2.10",
	}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr:            "127.0.0.1:0",
		DatabaseURL:     "memory://",
		LogLevel:        slog.LevelWarn,
		LogFormat:       "text",
		MigrateOnly:     true,
		ShutdownTimeout: time.Minute,
		TrustedProxies:  []netip.Prefix{netip.MustParsePrefix("192.0.2.10/32")},
	}, cfg)
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad log level flag", []string{"-log-level", "loud"}, nil, `-log-level "loud": must be debug, info, warn or error`},
		{"bad log level env", nil, map[string]string{"ICC_LOG_LEVEL": "verbose"}, `ICC_LOG_LEVEL "verbose": must be debug, info, warn or error`},
		{"bad log format", []string{"-log-format", "xml"}, nil, `-log-format "xml": must be text or json`},
		{"bad log format env", nil, map[string]string{"ICC_LOG_FORMAT": "logfmt"}, `ICC_LOG_FORMAT "logfmt": must be text or json`},
		{"addr without port", []string{"-addr", "localhost"}, nil, `-addr "localhost": must be host:port`},
		{"addr with bad port", nil, map[string]string{"ICC_ADDR": "localhost:http"}, `ICC_ADDR "localhost:http": port must be a number`},
		{"addr with big port", []string{"-addr", ":70000"}, nil, "port must be a number from 0 to 65535"},
		{"bad timeout flag", []string{"-shutdown-timeout", "soon"}, nil, `invalid value "soon" for flag -shutdown-timeout`},
		{"bad timeout env", nil, map[string]string{"ICC_SHUTDOWN_TIMEOUT": "soon"}, `ICC_SHUTDOWN_TIMEOUT="soon": must be a duration such as 15s or 1m`},
		{"zero timeout", []string{"-shutdown-timeout", "0s"}, nil, "-shutdown-timeout 0s: must be more than 0"},
		{"bad idle timeout flag", []string{"-session-idle-timeout", "a while"}, nil, `invalid value "a while" for flag -session-idle-timeout`},
		{"bad idle timeout env", nil, map[string]string{"ICC_SESSION_IDLE_TIMEOUT": "2"}, `ICC_SESSION_IDLE_TIMEOUT="2": must be a duration such as 30m or 2h`},
		{"negative idle timeout", []string{"-session-idle-timeout", "-1m"}, nil, "-session-idle-timeout -1m0s: must not be negative"},
		{"idle timeout beyond lifetime", nil, map[string]string{"ICC_SESSION_IDLE_TIMEOUT": "13h"}, "ICC_SESSION_IDLE_TIMEOUT 13h0m0s: must not be more than the session lifetime, 12 hours"},
		{"bad trusted proxy flag", []string{"-trusted-proxies", "10.0.0.1,proxy.internal"}, nil, `-trusted-proxies "10.0.0.1,proxy.internal": "proxy.internal" is not an IP address`},
		{"bad trusted proxy env", nil, map[string]string{"ICC_TRUSTED_PROXIES": "10.0.0.0/33"}, `ICC_TRUSTED_PROXIES "10.0.0.0/33": "10.0.0.0/33" is not a CIDR`},
		{"unknown flag", []string{"-port", "80"}, nil, "flag provided but not defined: -port"},
		{"extra argument", []string{"serve"}, nil, `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, mapEnv(tt.env), io.Discard)
			require.Error(t, err)
			var cerr *configError
			require.True(t, errors.As(err, &cerr), "%T is not a *configError", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig([]string{"-h"}, mapEnv(nil), &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	help := out.String()
	assert.Equal(t, 1, strings.Count(help, "Usage:"), "the usage is printed once")
	assert.NotContains(t, help, `\t`, "no escaped tab in the text")
	for _, s := range []string{
		"-addr", "ICC_ADDR", "127.0.0.1:8080",
		"-database-url", "DATABASE_URL",
		"-log-level", "ICC_LOG_LEVEL",
		"-log-format", "ICC_LOG_FORMAT",
		"-shutdown-timeout", "ICC_SHUTDOWN_TIMEOUT", "15s",
		"-migrate-only",
		"-session-idle-timeout", "ICC_SESSION_IDLE_TIMEOUT", "2h0m0s",
		"-trusted-proxies", "ICC_TRUSTED_PROXIES",
	} {
		assert.Contains(t, help, s)
	}
}

func TestParseConfigIdleTimeoutLimits(t *testing.T) {
	for _, v := range []string{"0", "0s", "1ms", "12h"} {
		cfg, err := parseConfig([]string{"-session-idle-timeout", v}, mapEnv(nil), io.Discard)
		require.NoError(t, err, v)
		d, _ := time.ParseDuration(v)
		assert.Equal(t, d, cfg.SessionIdleTimeout, v)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		name, in string
		want     []netip.Prefix
		err      string
	}{
		{name: "empty", in: ""},
		{name: "blanks only", in: " , ,"},
		{name: "single IPv4", in: "192.0.2.10", want: []netip.Prefix{p("192.0.2.10/32")}},
		{name: "single IPv6", in: "2001:db8::1", want: []netip.Prefix{p("2001:db8::1/128")}},
		{name: "list with blanks", in: " 10.0.0.0/8 ,, fd00::/8,127.0.0.1 ",
			want: []netip.Prefix{p("10.0.0.0/8"), p("fd00::/8"), p("127.0.0.1/32")}},
		{name: "host bits are masked", in: "10.1.2.3/8", want: []netip.Prefix{p("10.0.0.0/8")}},
		{name: "IPv4-mapped CIDR", in: "::ffff:10.0.0.0/104", want: []netip.Prefix{p("10.0.0.0/8")}},
		{name: "IPv4-mapped IP", in: "::ffff:192.0.2.1", want: []netip.Prefix{p("192.0.2.1/32")}},
		{name: "zone dropped", in: "fe80::1%eth0", want: []netip.Prefix{p("fe80::1/128")}},
		{name: "host name", in: "proxy.internal", err: `"proxy.internal" is not an IP address`},
		{name: "range", in: "10.0.0.1-10.0.0.9", err: `"10.0.0.1-10.0.0.9" is not an IP address`},
		{name: "IP with port", in: "10.0.0.1:80", err: `"10.0.0.1:80" is not an IP address`},
		{name: "prefix too long", in: "10.0.0.0/33", err: `"10.0.0.0/33" is not a CIDR`},
		{name: "bad CIDR address", in: "10.0.0/8", err: `"10.0.0/8" is not a CIDR`},
		{name: "bad entry among good", in: "10.0.0.0/8,*", err: `"*" is not an IP address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTrustedProxies(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExitCode(t *testing.T) {
	var out bytes.Buffer
	assert.Equal(t, 0, exitCode(nil, &out))
	assert.Equal(t, 0, exitCode(flag.ErrHelp, &out))
	assert.Empty(t, out.String())
	assert.Equal(t, 2, exitCode(configErrorf("bad"), &out))
	assert.Equal(t, 1, exitCode(errors.New("listen: address in use"), &out))
	assert.Contains(t, out.String(), "server: listen: address in use")
}

// TestParseConfigClassifierModel: -classifier-model reads a model file and
// checks it at once; a missing or foreign file is a configuration error.
func TestParseConfigClassifierModel(t *testing.T) {
	dir := t.TempDir()
	model := writeTinyModel(t, dir)
	cfg, err := parseConfig([]string{"-classifier-model", model}, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, model, cfg.ClassifierModel)
	assert.NotEmpty(t, cfg.classifierModel)
	cfg, err = parseConfig(nil, mapEnv(map[string]string{"ICC_CLASSIFIER_MODEL": model}), io.Discard)
	require.NoError(t, err)
	assert.NotEmpty(t, cfg.classifierModel)

	foreign := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(foreign, []byte("not a model"), 0o600))
	for name, path := range map[string]string{"missing": filepath.Join(dir, "nope.iccm"), "foreign": foreign} {
		_, err := parseConfig([]string{"-classifier-model", path}, mapEnv(nil), io.Discard)
		var cerr *configError
		require.True(t, errors.As(err, &cerr), "%s: %v", name, err)
		assert.Contains(t, err.Error(), "-classifier-model", name)
	}
	_, err = parseConfig([]string{"-classifier-model", foreign}, mapEnv(nil), io.Discard)
	assert.ErrorContains(t, err, "not an offline classifier model")
}

// writeTinyModel trains a small offline model named "tiny" and saves it in
// dir, returning its path.
func writeTinyModel(t *testing.T, dir string) string {
	t.Helper()
	var exs []classify.Example
	for _, text := range []string{"refund me", "I want my money back", "refund my order"} {
		exs = append(exs, classify.Example{Text: text, Category: classify.CategoryBilling, Intent: "get_refund"})
	}
	for _, text := range []string{"I forgot my password", "reset my password", "cannot log in"} {
		exs = append(exs, classify.Example{Text: text, Category: classify.CategoryTechnical, Intent: "recover_password"})
	}
	m, err := classify.Train(context.Background(), exs, classify.TrainConfig{Name: "tiny", Seed: 1})
	require.NoError(t, err)
	path := filepath.Join(dir, "tiny.iccm")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, m.Save(f))
	require.NoError(t, f.Close())
	return path
}
