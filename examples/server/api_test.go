package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		want   icc.ErrorDetail
	}{
		{"validation", icc.Invalid("subject", "is required"), 422,
			icc.ErrorDetail{Code: "invalid", Message: "is required", Field: "subject"}},
		{"malformed", icc.Errorf(icc.EINVALID, "request body is not valid JSON"), 400,
			icc.ErrorDetail{Code: "invalid", Message: "request body is not valid JSON"}},
		{"not found", icc.NotFound("ticket", "t1"), 404,
			icc.ErrorDetail{Code: "not_found", Message: `ticket "t1" not found`}},
		{"conflict", icc.Errorf(icc.ECONFLICT, "ticket changed meanwhile"), 409,
			icc.ErrorDetail{Code: "conflict", Message: "ticket changed meanwhile"}},
		{"unauthorized", icc.Errorf(icc.EUNAUTHORIZED, "log in first"), 401,
			icc.ErrorDetail{Code: "unauthorized", Message: "log in first"}},
		{"forbidden", icc.Errorf(icc.EFORBIDDEN, "admins only"), 403,
			icc.ErrorDetail{Code: "forbidden", Message: "admins only"}},
		{"unavailable", icc.Unavailable(errors.New("dial tcp: refused"), "storage is not reachable"), 503,
			icc.ErrorDetail{Code: "unavailable", Message: "storage is not reachable"}},
		{"internal icc error", icc.Errorf(icc.EINTERNAL, "row 17 of table x is corrupt"), 500,
			icc.ErrorDetail{Code: "internal", Message: "internal error"}},
		{"plain error", errors.New("pq: password authentication failed for secret"), 500,
			icc.ErrorDetail{Code: "internal", Message: "internal error"}},
		{"wrapped", fmt.Errorf("load ticket: %w", icc.NotFound("ticket", "t2")), 404,
			icc.ErrorDetail{Code: "not_found", Message: `ticket "t2" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &syncBuffer{}
			logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/x", nil), logger, tt.err)

			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Equal(t, tt.want, readErrorBody(t, w.Body.Bytes()))
			if tt.status == 500 {
				// The real error is in the log, never in the response.
				assert.Contains(t, logs.String(), tt.err.Error())
				assert.NotContains(t, w.Body.String(), tt.err.Error())
			}
		})
	}
}

func TestErrorBodyShape(t *testing.T) {
	w := httptest.NewRecorder()
	writeError(w, httptest.NewRequest("GET", "/", nil), slog.New(slog.DiscardHandler), icc.Invalid("email", "is not an email address"))
	assert.JSONEq(t, `{"error":{"code":"invalid","message":"is not an email address","field":"email"}}`, w.Body.String())

	w = httptest.NewRecorder()
	writeError(w, httptest.NewRequest("GET", "/", nil), slog.New(slog.DiscardHandler), icc.NotFound("agent", "a1"))
	assert.JSONEq(t, `{"error":{"code":"not_found","message":"agent \"a1\" not found"}}`, w.Body.String())
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	writeJSON(w, slog.New(slog.DiscardHandler), http.StatusCreated, map[string]int{"n": 1})
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.JSONEq(t, `{"n":1}`, w.Body.String())
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))

	// A value that cannot be encoded becomes a 500, not half a body.
	w = httptest.NewRecorder()
	writeJSON(w, slog.New(slog.DiscardHandler), http.StatusOK, map[string]any{"f": func() {}})
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, "internal", readErrorBody(t, w.Body.Bytes()).Code)
}

type decodeTarget struct {
	Subject  string    `json:"subject"`
	Priority int       `json:"priority"`
	Due      time.Time `json:"due"`
	Tags     []string  `json:"tags"`
	Nested   struct {
		Name string `json:"name"`
	} `json:"nested"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    string // "" for success, else part of the message
	}{
		{"ok", "application/json", `{"subject":"hi","priority":2}`, ""},
		{"ok with charset", "application/json; charset=utf-8", `{"subject":"hi"}`, ""},
		{"ok without content type", "", ` {"subject":"hi"} ` + "\n", ""},
		{"empty", "application/json", ``, "request body is empty"},
		{"blank", "application/json", "  \n", "request body is empty"},
		{"syntax", "application/json", `{"subject": hi}`, "not valid JSON (at byte"},
		{"truncated", "application/json", `{"subject":"hi"`, "ends too early"},
		{"trailing value", "application/json", `{"subject":"hi"}{"subject":"again"}`, "single JSON value"},
		{"trailing garbage", "application/json", `{"subject":"hi"} x`, "single JSON value"},
		{"unknown field", "application/json", `{"subject":"hi","sbuject":"typo"}`, `unknown field "sbuject"`},
		{"wrong type", "application/json", `{"priority":"high"}`, `field "priority" must be an integer, not string`},
		{"wrong nested type", "application/json", `{"nested":{"name":5}}`, `field "nested.name" must be a string, not number`},
		{"wrong array", "application/json", `{"tags":"a"}`, `field "tags" must be an array, not string`},
		{"not an object", "application/json", `[1,2]`, "request body must be an object, not array"},
		{"bad time", "application/json", `{"due":"tomorrow"}`, "a time that is not in RFC 3339 form, such as 2026-01-02T15:04:05Z"},
		{"form", "application/x-www-form-urlencoded", `subject=hi`, "Content-Type must be application/json"},
		{"bad content type", ";;", `{}`, "Content-Type must be application/json"},
		{"too large", "application/json", `{"subject":"` + strings.Repeat("a", maxBodyBytes) + `"}`, "larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var dst decodeTarget
			err := decodeJSON(httptest.NewRecorder(), r, &dst)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "hi", dst.Subject)
				return
			}
			require.Error(t, err)
			assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
			assert.Empty(t, icc.ErrorField(err), "decode errors are 400s, without a field")
			assert.Equal(t, http.StatusBadRequest, icc.HTTPStatus(icc.ErrorCode(err), icc.ErrorField(err)))
			assert.Contains(t, icc.ErrorMessage(err), tt.want)
			assert.NotContains(t, icc.ErrorMessage(err), "Z07:00", "never Go's time layout")
		})
	}
}

func TestDecodeJSONProgrammingError(t *testing.T) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{}`))
	var dst decodeTarget
	err := decodeJSON(httptest.NewRecorder(), r, dst) // not a pointer
	require.Error(t, err)
	assert.Equal(t, icc.EINTERNAL, icc.ErrorCode(err))
}

func TestDecodeJSONThroughHandler(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.handle("POST /echo", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Subject string `json:"subject"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		if in.Subject == "" {
			return icc.Invalid("subject", "is required")
		}
		writeJSON(w, s.logger, http.StatusOK, in)
		return nil
	})

	w := serveOnce(s, httptest.NewRequest("POST", "/echo", strings.NewReader(`{"subject":"hi"}`)))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"subject":"hi"}`, w.Body.String())

	w = serveOnce(s, httptest.NewRequest("POST", "/echo", strings.NewReader(`{"subject":`)))
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, "invalid", readErrorBody(t, w.Body.Bytes()).Code)

	w = serveOnce(s, httptest.NewRequest("POST", "/echo", strings.NewReader(`{"subject":""}`)))
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	var body icc.ErrorBody
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	assert.Equal(t, icc.ErrorDetail{Code: "invalid", Message: "is required", Field: "subject"}, body.Error)
}
