package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// requestIDHeader carries the request id in both directions.
const requestIDHeader = "X-Request-ID"

// maxRequestIDLen bounds an incoming request id that is kept.
const maxRequestIDLen = 128

type requestIDKey struct{}

// requestIDFrom returns the request id that withRequestID stored in ctx.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives every request an id: the incoming X-Request-ID when
// it is sane (1 to 128 letters, digits and ".-_:"), a new random one
// otherwise. The id goes into the context and the response header.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// responseRecorder remembers the status and size of a response for the
// access log and for panic recovery. It passes Flush and Hijack through, so
// streaming and WebSocket handlers keep working behind it.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rw *responseRecorder) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *responseRecorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *responseRecorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Flush sends buffered data to the client.
func (rw *responseRecorder) Flush() {
	_ = http.NewResponseController(rw.ResponseWriter).Flush()
}

// Hijack hands the connection over to the handler, as WebSocket needs.
func (rw *responseRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if rw.status == 0 {
		rw.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(rw.ResponseWriter).Hijack()
}

// withAccessLog logs one line per request: method, path, status, bytes,
// duration, request id and the client IP (clientIP: the connection's
// address, or the one a trusted proxy forwarded). The query string is left
// out on purpose: it can carry secrets, such as the conversation token of
// GET /ws?token=…. So that probes do not flood the log, successful health
// checks and scrapes of /metrics are logged at debug level, and so is every
// request to the mock CRM and ERP under /mock/ whatever its status (the
// monitor probes them every few seconds, and their failures are the
// simulated ones their mode asks for, seen in the integrations' statuses
// and logs); other server errors at error level, the rest at info.
func withAccessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &responseRecorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			switch {
			case strings.HasPrefix(r.URL.Path, "/mock/"):
				level = slog.LevelDebug
			case status >= 500:
				level = slog.LevelError
			case status < 400 && (r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics"):
				level = slog.LevelDebug
			}
			logger.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", requestIDFrom(r.Context())),
				slog.String("remote", clientIP(r)),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// withRecovery turns a panic in a handler into a logged error and, when
// nothing has been sent yet, a 500 JSON error. http.ErrAbortHandler is let
// through: it is how a handler deliberately aborts a response.
func withRecovery(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, ok := w.(*responseRecorder)
		if !ok {
			rec = &responseRecorder{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			logger.ErrorContext(r.Context(), "panic in handler",
				"panic", fmt.Sprint(v),
				"method", r.Method,
				"path", r.URL.Path,
				"request_id", requestIDFrom(r.Context()),
				"stack", string(debug.Stack()),
			)
			if rec.status != 0 {
				// Too late for an error response; end the connection so
				// the client sees that the response is incomplete.
				panic(http.ErrAbortHandler)
			}
			writeJSON(rec, logger, http.StatusInternalServerError,
				icc.ErrorBody{Error: icc.ErrorDetail{Code: icc.EINTERNAL, Message: "internal error"}})
		}()
		next.ServeHTTP(rec, r)
	})
}
