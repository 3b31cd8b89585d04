package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage"
)

func TestHealthz(t *testing.T) {
	s, b, _ := newTestServer(t)
	b.pingErr = errors.New("storage down") // liveness does not look at storage
	w := serveOnce(s, httptest.NewRequest("GET", "/healthz", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"ok"}`, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
}

func TestReadyz(t *testing.T) {
	s, _, _ := newTestServer(t)
	w := serveOnce(s, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"ok"}`, w.Body.String())
}

func TestReadyzFailing(t *testing.T) {
	s, b, logs := newTestServer(t)
	b.pingErr = errors.New("dial tcp 10.0.0.7:5432: connection refused")
	w := serveOnce(s, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, icc.ErrorDetail{Code: "unavailable", Message: "storage is not reachable"}, readErrorBody(t, w.Body.Bytes()))
	assert.NotContains(t, w.Body.String(), "10.0.0.7", "the cause stays in the log")
	assert.Contains(t, logs.String(), "10.0.0.7")
}

func TestReadyzClosedBackend(t *testing.T) {
	s, b, _ := newTestServer(t)
	require.NoError(t, b.Close())
	w := serveOnce(s, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
}

func TestReadyzMemory(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "memory://")
	require.NoError(t, err)
	s := newServer(b, newLogger(config{LogFormat: "text"}, io.Discard))
	w := serveOnce(s, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	require.NoError(t, b.Close())
}

func TestUnknownRoutes(t *testing.T) {
	s, _, _ := newTestServer(t)
	w := serveOnce(s, httptest.NewRequest("GET", "/nope", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "not_found", readErrorBody(t, w.Body.Bytes()).Code)

	w = serveOnce(s, httptest.NewRequest("POST", "/healthz", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Contains(t, w.Header().Get("Allow"), "GET")
	assert.Equal(t, "method_not_allowed", readErrorBody(t, w.Body.Bytes()).Code)

	// HEAD is served by GET routes.
	w = serveOnce(s, httptest.NewRequest("HEAD", "/healthz", nil))
	assert.Equal(t, http.StatusOK, w.Code)
}

// startServe runs s.serve on a local port and returns its URL, a function
// that stops it, and a channel that is closed when serve has returned, after
// which *result holds its error.
func startServe(t *testing.T, s *server, timeout time.Duration) (url string, stop context.CancelFunc, done <-chan struct{}, result *error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	result = new(error)
	go func() {
		defer close(finished)
		*result = s.serve(ctx, ln, timeout)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Error("serve did not return")
		}
	})
	return "http://" + ln.Addr().String(), cancel, finished, result
}

func TestServeDrainsInFlightRequests(t *testing.T) {
	s, b, _ := newTestServer(t)
	started, release := make(chan struct{}), make(chan struct{})
	s.handle("GET /slow", func(w http.ResponseWriter, r *http.Request) error {
		close(started)
		<-release
		writeJSON(w, s.logger, http.StatusOK, statusBody{Status: "done"})
		return nil
	})
	hookRan := make(chan struct{})
	s.onShutdown(func(ctx context.Context) error {
		close(hookRan)
		return nil
	})
	// The drain must not hit the shutdown timeout, so it is far longer than
	// the waits below can take on a busy machine. The waits are deadlines
	// for a failure, generous because CI runs this beside Chromium and the
	// PostgreSQL suites under -race on two cores.
	url, stop, done, result := startServe(t, s, time.Minute)

	type response struct {
		status int
		body   string
		err    error
	}
	got := make(chan response, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			got <- response{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		got <- response{resp.StatusCode, string(body), err}
	}()
	<-started
	stop()

	select {
	case <-hookRan:
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown hook did not run")
	}
	// New connections are refused while the slow request drains.
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", url[len("http://"):], 100*time.Millisecond)
		return err != nil
	}, 30*time.Second, 10*time.Millisecond)
	assert.Zero(t, b.closed.Load(), "storage stays open while requests drain")

	close(release)
	r := <-got
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"status":"done"}`, r.body)

	select {
	case <-done:
		require.NoError(t, *result)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return")
	}
	assert.EqualValues(t, 1, b.closed.Load(), "storage is closed once")
}

func TestServeShutdownTimeout(t *testing.T) {
	s, b, _ := newTestServer(t)
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	s.handle("GET /stuck", func(w http.ResponseWriter, r *http.Request) error {
		close(started)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return nil
	})
	url, stop, done, result := startServe(t, s, 200*time.Millisecond)
	go func() {
		resp, err := http.Get(url + "/stuck")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	stop()
	select {
	case <-done:
		require.Error(t, *result)
		assert.ErrorIs(t, *result, context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not give up after the shutdown timeout")
	}
	assert.EqualValues(t, 1, b.closed.Load(), "storage is closed even after a timeout")
}

func TestServeShutdownHookError(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.onShutdown(func(ctx context.Context) error { return errors.New("hub: 3 clients did not close") })
	_, stop, done, result := startServe(t, s, time.Second)
	stop()
	<-done
	require.Error(t, *result)
	assert.Contains(t, (*result).Error(), "3 clients did not close")
}
