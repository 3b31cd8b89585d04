package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// maxBodyBytes bounds a JSON request body.
const maxBodyBytes = 1 << 20

// writeError writes err as a JSON error response with the status its code
// maps to. Internal errors are logged in full and shown to the client only
// as "internal error"; the other codes carry messages that are safe to show.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code, field := icc.ErrorCode(err), icc.ErrorField(err)
	status := icc.HTTPStatus(code, field)
	msg := icc.ErrorMessage(err)
	attrs := []any{"status", status, "code", code, "request_id", requestIDFrom(r.Context()), "err", err}
	switch {
	case status == http.StatusInternalServerError:
		code, field, msg = icc.EINTERNAL, "", "internal error"
		logger.ErrorContext(r.Context(), "request failed", attrs...)
	case status == http.StatusServiceUnavailable:
		logger.WarnContext(r.Context(), "request failed", attrs...)
	default:
		logger.DebugContext(r.Context(), "request rejected", attrs...)
	}
	writeJSON(w, logger, status, icc.ErrorBody{Error: icc.ErrorDetail{Code: code, Message: msg, Field: field}})
}

// writeJSON writes v as a JSON response with the given status. The value is
// encoded before anything is sent, so an encoding failure becomes a 500.
func writeJSON(w http.ResponseWriter, logger *slog.Logger, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		logger.Error("encode JSON response", "err", err)
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON reads one JSON value from the request body into dst. The body
// must be at most maxBodyBytes, hold exactly one value and name no field
// that dst lacks; a Content-Type, when given, must be application/json.
// Every failure is an EINVALID *icc.Error without a field (so a 400) whose
// message says what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return icc.Errorf(icc.EINVALID, "Content-Type must be application/json")
		}
	}
	if r.Body == nil {
		return icc.Errorf(icc.EINVALID, "request body is empty")
	}
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// Anything after the value other than white space is an error.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return icc.Errorf(icc.EINVALID, "request body must hold a single JSON value")
	}
	return nil
}

// decodeError turns an encoding/json or body-reading error into a message a
// client can act on.
func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		invalid *json.InvalidUnmarshalError
		badTime *time.ParseError
	)
	switch {
	case errors.Is(err, io.EOF):
		return icc.Errorf(icc.EINVALID, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return icc.Errorf(icc.EINVALID, "request body is not valid JSON: it ends too early")
	case errors.As(err, &syntax):
		return icc.Errorf(icc.EINVALID, "request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return icc.Errorf(icc.EINVALID, "field %q must be %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
		}
		return icc.Errorf(icc.EINVALID, "request body must be %s, not %s", jsonKind(typ.Type), typ.Value)
	case errors.As(err, &tooBig):
		return icc.Errorf(icc.EINVALID, "request body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &badTime):
		// Go's message would show its layout string; the field is not
		// known here, so request types whose fields a client fills with
		// times parse them with bodyTime instead, for a 422 naming it.
		return icc.Errorf(icc.EINVALID, "request body holds a time that is not in RFC 3339 form, such as 2026-01-02T15:04:05Z")
	case errors.As(err, &invalid):
		// A programming error: dst is not a non-nil pointer.
		return fmt.Errorf("decode JSON: %w", err)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return icc.Errorf(icc.EINVALID, "unknown field %s", name)
	}
	// Errors from a type's own UnmarshalJSON, e.g. a badly written time,
	// describe only the client's input.
	return icc.Errorf(icc.EINVALID, "request body does not match the expected JSON: %s",
		strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}
