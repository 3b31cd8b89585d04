package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestRequestID(t *testing.T) {
	s, _, logs := newTestServer(t)
	tests := []struct {
		name, in string
		kept     bool
	}{
		{"sane id is echoed", "req-42_a.b:c", true},
		{"uuid is echoed", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"missing", "", false},
		{"too long", strings.Repeat("a", maxRequestIDLen+1), false},
		{"spaces", "a b", false},
		{"log injection", "x\" level=ERROR msg=\"forged", false},
		{"non-ASCII", "idé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/healthz", nil)
			if tt.in != "" {
				r.Header.Set(requestIDHeader, tt.in)
			}
			w := serveOnce(s, r)
			got := w.Header().Get(requestIDHeader)
			if tt.kept {
				assert.Equal(t, tt.in, got)
			} else {
				assert.Len(t, got, 32, "a new id is 16 random bytes in hex")
				assert.NotEqual(t, tt.in, got)
			}
			assert.Contains(t, logs.String(), `"request_id":"`+got+`"`)
		})
	}

	a := serveOnce(s, httptest.NewRequest("GET", "/healthz", nil)).Header().Get(requestIDHeader)
	b := serveOnce(s, httptest.NewRequest("GET", "/healthz", nil)).Header().Get(requestIDHeader)
	assert.NotEqual(t, a, b, "generated ids are unique")
}

func TestRequestIDInContext(t *testing.T) {
	s, _, _ := newTestServer(t)
	var seen string
	s.handle("GET /id", func(w http.ResponseWriter, r *http.Request) error {
		seen = requestIDFrom(r.Context())
		return nil
	})
	r := httptest.NewRequest("GET", "/id", nil)
	r.Header.Set(requestIDHeader, "abc123")
	serveOnce(s, r)
	assert.Equal(t, "abc123", seen)
}

// logLines returns the JSON log records whose msg is msg.
func logLines(t *testing.T, logs string, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func TestAccessLog(t *testing.T) {
	s, _, logs := newTestServer(t)
	s.handle("GET /teapot", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, s.logger, http.StatusTeapot, statusBody{Status: "short and stout"})
		return nil
	})
	r := httptest.NewRequest("GET", "/teapot?x=1", nil)
	r.Header.Set(requestIDHeader, "log-me")
	serveOnce(s, r)
	serveOnce(s, httptest.NewRequest("GET", "/healthz", nil))

	recs := logLines(t, logs.String(), "http request")
	require.Len(t, recs, 2)
	teapot := recs[0]
	assert.Equal(t, "INFO", teapot["level"])
	assert.Equal(t, "GET", teapot["method"])
	assert.Equal(t, "/teapot", teapot["path"])
	assert.EqualValues(t, 418, teapot["status"])
	assert.Equal(t, "log-me", teapot["request_id"])
	assert.Contains(t, teapot, "duration")
	assert.Positive(t, teapot["bytes"])
	assert.Equal(t, "DEBUG", recs[1]["level"], "successful health checks are logged at debug level")
}

// TestAccessLogMocks: the monitor's probes of the mock systems under
// /mock/ are logged at debug level whatever they answer; other server
// errors stay at error level.
func TestAccessLogMocks(t *testing.T) {
	s, _, logs := newTestServer(t)
	down := false
	answer := func(w http.ResponseWriter, r *http.Request) error {
		if down {
			return icc.Errorf(icc.EUNAVAILABLE, "mock down")
		}
		writeJSON(w, s.logger, http.StatusOK, statusBody{Status: "ok"})
		return nil
	}
	s.handle("GET /mock/erp/health", answer)
	s.handle("GET /erp/health", answer)
	serveOnce(s, httptest.NewRequest("GET", "/mock/erp/health", nil))
	down = true
	serveOnce(s, httptest.NewRequest("GET", "/mock/erp/health", nil))
	serveOnce(s, httptest.NewRequest("GET", "/erp/health", nil))

	recs := logLines(t, logs.String(), "http request")
	require.Len(t, recs, 3)
	assert.Equal(t, "DEBUG", recs[0]["level"], "a mock's answer")
	assert.Equal(t, "DEBUG", recs[1]["level"], "a mock's simulated failure")
	assert.EqualValues(t, 503, recs[1]["status"])
	assert.Equal(t, "ERROR", recs[2]["level"], "a real server error")
}

func TestPanicRecovery(t *testing.T) {
	s, _, logs := newTestServer(t)
	s.handle("GET /boom", func(w http.ResponseWriter, r *http.Request) error {
		panic("secret detail")
	})
	r := httptest.NewRequest("GET", "/boom", nil)
	r.Header.Set(requestIDHeader, "boom-1")
	w := serveOnce(s, r)

	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, icc.ErrorDetail{Code: "internal", Message: "internal error"}, readErrorBody(t, w.Body.Bytes()))
	assert.NotContains(t, w.Body.String(), "secret detail")
	assert.Equal(t, "boom-1", w.Header().Get(requestIDHeader))

	panics := logLines(t, logs.String(), "panic in handler")
	require.Len(t, panics, 1)
	assert.Equal(t, "secret detail", panics[0]["panic"])
	assert.Equal(t, "boom-1", panics[0]["request_id"])
	assert.Contains(t, panics[0]["stack"], "TestPanicRecovery")

	access := logLines(t, logs.String(), "http request")
	require.Len(t, access, 1)
	assert.EqualValues(t, 500, access[0]["status"])
	assert.Equal(t, "ERROR", access[0]["level"])

	// The server goes on serving.
	assert.Equal(t, http.StatusOK, serveOnce(s, httptest.NewRequest("GET", "/healthz", nil)).Code)
}

func TestPanicAfterWriteAbortsResponse(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.handle("GET /half", func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		panic("late")
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		serveOnce(s, httptest.NewRequest("GET", "/half", nil))
	})
}

func TestAbortHandlerPassesThrough(t *testing.T) {
	s, _, logs := newTestServer(t)
	s.handle("GET /abort", func(w http.ResponseWriter, r *http.Request) error {
		panic(http.ErrAbortHandler)
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		serveOnce(s, httptest.NewRequest("GET", "/abort", nil))
	})
	assert.Empty(t, logLines(t, logs.String(), "panic in handler"))
}

// hijackRecorder is an httptest.ResponseRecorder that can be hijacked.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	hijacked bool
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return nil, nil, nil
}

func TestRecorderPassesThroughHijackAndFlush(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.handle("GET /ws", func(w http.ResponseWriter, r *http.Request) error {
		rc := http.NewResponseController(w)
		require.NoError(t, rc.Flush())
		_, _, err := rc.Hijack()
		return err
	})
	w := &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
	s.handler().ServeHTTP(w, httptest.NewRequest("GET", "/ws", nil))
	assert.True(t, w.hijacked)
	assert.True(t, w.Flushed)
}
