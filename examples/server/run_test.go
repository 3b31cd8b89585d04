package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

var listeningLine = regexp.MustCompile(`ICC server listening on (http://\S+) \(storage: ([^)]*)\)`)

// running is a run() in progress.
type running struct {
	url, storage   string
	stdout, stderr *syncBuffer
	stop           context.CancelFunc
	done           chan struct{} // closed when run has returned
	err            error         // run's result, once done is closed
}

// startRun starts run with args and env and waits until it listens.
func startRun(t *testing.T, args []string, env map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = run(ctx, args, mapEnv(env), r.stdout, r.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
		}
	})

	deadline := time.After(30 * time.Second)
	for {
		if m := listeningLine.FindStringSubmatch(r.stdout.String()); m != nil {
			r.url, r.storage = m[1], m[2]
			return r
		}
		select {
		case <-r.done:
			t.Fatalf("run returned before listening: %v\nstderr:\n%s", r.err, r.stderr.String())
		case <-deadline:
			t.Fatalf("run did not start listening\nstderr:\n%s", r.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitFor waits for a line matching re on the run's stdout (the run
// prints some lines after the one startRun waits for) and returns the
// match, or fails the test after 30 s.
func (r *running) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	require.Eventually(t, func() bool {
		m = re.FindStringSubmatch(r.stdout.String())
		return m != nil
	}, 30*time.Second, 10*time.Millisecond, "no line matching %s on stdout", re)
	return m
}

// wait stops the run and returns its result.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case <-r.done:
		return r.err
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
		return nil
	}
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body), resp.Header
}

func TestRunServesAndShutsDown(t *testing.T) {
	r := startRun(t, []string{"-addr", "127.0.0.1:0"}, nil)
	assert.Equal(t, "memory", r.storage)
	assert.NotContains(t, r.url, ":0", "the real port is printed")

	status, body, h := get(t, r.url+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok"}`, body)
	assert.NotEmpty(t, h.Get(requestIDHeader))

	status, body, _ = get(t, r.url+"/readyz")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok"}`, body)

	require.NoError(t, r.wait(t))
	logs := r.stderr.String()
	assert.Contains(t, logs, "server listening")
	assert.Contains(t, logs, "shutdown complete")

	_, err := net.DialTimeout("tcp", strings.TrimPrefix(r.url, "http://"), time.Second)
	assert.Error(t, err, "the port is closed after shutdown")
}

func TestRunEnvironment(t *testing.T) {
	r := startRun(t, nil, map[string]string{
		"ICC_ADDR":       "127.0.0.1:0",
		"ICC_LOG_FORMAT": "json",
		"ICC_LOG_LEVEL":  "debug",
		"DATABASE_URL":   "memory://",
	})
	get(t, r.url+"/healthz")
	require.NoError(t, r.wait(t))

	var sawAccess bool
	for line := range strings.Lines(r.stderr.String()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "not a JSON log line: %q", line)
		if rec["msg"] == "http request" && rec["path"] == "/healthz" {
			sawAccess = true
		}
	}
	assert.True(t, sawAccess, "debug level logs health checks")
}

// TestRunWarnsWithoutAdmin: a server whose store holds no admin (no demo
// data, no -admin-email) says at start how to create one.
func TestRunWarnsWithoutAdmin(t *testing.T) {
	const warning = "no admin agent exists"
	r := startRun(t, []string{"-addr", "127.0.0.1:0", "-demo=false"}, nil)
	require.NoError(t, r.wait(t))
	var line string
	for l := range strings.Lines(r.stderr.String()) {
		if strings.Contains(l, warning) {
			line = l
		}
	}
	require.NotEmpty(t, line, "no warning in:\n%s", r.stderr.String())
	assert.Contains(t, line, "level=WARN")
	assert.Contains(t, line, "-admin-email")
	assert.Contains(t, line, "ICC_ADMIN_PASSWORD")

	r = startRun(t, []string{"-addr", "127.0.0.1:0", "-demo=false", "-admin-email", "boss@test.example"},
		map[string]string{"ICC_ADMIN_PASSWORD": "a-long-password"})
	require.NoError(t, r.wait(t))
	assert.Contains(t, r.stderr.String(), "admin created")
	assert.NotContains(t, r.stderr.String(), warning)

	r = startRun(t, []string{"-addr", "127.0.0.1:0"}, nil) // demo data: admin@example.com
	require.NoError(t, r.wait(t))
	assert.NotContains(t, r.stderr.String(), warning)
}

func TestRunMigrateOnlyMemory(t *testing.T) {
	var stdout, stderr syncBuffer
	err := run(context.Background(), []string{"-migrate-only"}, mapEnv(nil), &stdout, &stderr)
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "migrations applied (storage: memory)")
}

// TestRunBadDatabaseURL: a database URL that storage.Open rejects as
// invalid (unsupported scheme, malformed URL) is a bad setting, exit
// status 2, and its password never shows.
func TestRunBadDatabaseURL(t *testing.T) {
	for _, u := range []string{"mysql://root:hunter2@db/icc", "x", "postgres://root:hunter2@db:notaport/icc"} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-database-url", u},
			mapEnv(nil), io.Discard, io.Discard)
		require.Error(t, err, u)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), u)
		assert.Equal(t, "database_url", icc.ErrorField(err), u)
		var cerr *configError
		assert.ErrorAs(t, err, &cerr, u)
		var stderr bytes.Buffer
		assert.Equal(t, 2, exitCode(err, &stderr), u)
		assert.Contains(t, stderr.String(), "database_url", u)
		assert.NotContains(t, err.Error()+stderr.String(), "hunter2", u)
	}
}

// TestRunDatabaseUnreachable: a valid PostgreSQL URL whose server does not
// answer is not a settings error: exit status 1.
func TestRunDatabaseUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-database-url", "postgres://icc@" + addr + "/icc?sslmode=disable&connect_timeout=5"},
		mapEnv(nil), io.Discard, io.Discard)
	require.Error(t, err)
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(err))
	var cerr *configError
	assert.False(t, errors.As(err, &cerr), "not a settings error: %v", err)
	assert.Equal(t, 1, exitCode(err, io.Discard))
}

func TestRunBadConfig(t *testing.T) {
	err := run(context.Background(), []string{"-log-level", "loud"}, mapEnv(nil), io.Discard, io.Discard)
	var cerr *configError
	require.True(t, errors.As(err, &cerr), "got %v", err)
}

func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = run(context.Background(), []string{"-addr", ln.Addr().String()}, mapEnv(nil), io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen on "+ln.Addr().String())
}

// testDatabaseURL returns the PostgreSQL URL for tests, or skips the test.
func testDatabaseURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ICC_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("set ICC_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/icc_test?sslmode=disable) to run the PostgreSQL tests")
	}
	return u
}

func TestRunPostgres(t *testing.T) {
	dbURL := testDatabaseURL(t)

	var stdout syncBuffer
	require.NoError(t, run(context.Background(), []string{"-migrate-only", "-database-url", dbURL},
		mapEnv(nil), &stdout, io.Discard))
	assert.Contains(t, stdout.String(), "migrations applied")

	r := startRun(t, []string{"-addr", "127.0.0.1:0"}, map[string]string{"DATABASE_URL": dbURL})
	assert.True(t, strings.HasPrefix(r.storage, "postgres"), "storage %q", r.storage)
	status, _, _ := get(t, r.url+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	status, body, _ := get(t, r.url+"/readyz")
	assert.Equal(t, http.StatusOK, status, body)
	require.NoError(t, r.wait(t))
}
