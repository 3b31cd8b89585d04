package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := parseConfig(nil, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr:            "127.0.0.1:8080",
		DatabaseURL:     "",
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
		ShutdownTimeout: 15 * time.Second,
	}, cfg)
}

func TestParseConfigEnvBeatsDefaults(t *testing.T) {
	cfg, err := parseConfig(nil, mapEnv(map[string]string{
		"ICC_ADDR":             ":9090",
		"DATABASE_URL":         "postgres://db/icc",
		"ICC_LOG_LEVEL":        "DEBUG",
		"ICC_LOG_FORMAT":       "json",
		"ICC_SHUTDOWN_TIMEOUT": "3s",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr:            ":9090",
		DatabaseURL:     "postgres://db/icc",
		LogLevel:        slog.LevelDebug,
		LogFormat:       "json",
		ShutdownTimeout: 3 * time.Second,
	}, cfg)
}

func TestParseConfigFlagsBeatEnv(t *testing.T) {
	env := mapEnv(map[string]string{
		"ICC_ADDR":             ":9090",
		"DATABASE_URL":         "postgres://db/icc",
		"ICC_LOG_LEVEL":        "nonsense", // ignored: the flag is given
		"ICC_LOG_FORMAT":       "json",
		"ICC_SHUTDOWN_TIMEOUT": "3s",
	})
	cfg, err := parseConfig([]string{
		"-addr", "127.0.0.1:0",
		"-database-url", "memory://",
		"-log-level", "warn",
		"-log-format=text",
		"-shutdown-timeout", "1m",
		"-migrate-only",
	}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr:            "127.0.0.1:0",
		DatabaseURL:     "memory://",
		LogLevel:        slog.LevelWarn,
		LogFormat:       "text",
		MigrateOnly:     true,
		ShutdownTimeout: time.Minute,
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
	} {
		assert.Contains(t, help, s)
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
