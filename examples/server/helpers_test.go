package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeBackend is a backend whose Ping fails on demand and whose Close is
// recorded. Its other methods are not implemented.
type fakeBackend struct {
	icc.Backend
	pingErr error
	closed  atomic.Int32
}

func (f *fakeBackend) Ping(ctx context.Context) error {
	if f.closed.Load() > 0 {
		return errors.New("fake backend: closed")
	}
	return f.pingErr
}

func (f *fakeBackend) Close() error {
	f.closed.Add(1)
	return nil
}

// newTestServer returns a server on a fake backend whose logs go to the
// returned buffer, at debug level.
func newTestServer(t *testing.T) (*server, *fakeBackend, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := &fakeBackend{}
	return newServer(b, logger), b, logs
}

// serveOnce runs one request through the server's full handler.
func serveOnce(s *server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.handler().ServeHTTP(w, r)
	return w
}

// decodeError reads an error response body.
func readErrorBody(t *testing.T, body []byte) errorDetail {
	t.Helper()
	var e errorBody
	require.NoError(t, json.Unmarshal(body, &e), "body: %s", body)
	return e.Error
}

// mapEnv returns a getenv function over m.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
