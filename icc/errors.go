package icc

import (
	"errors"
	"fmt"
	"net/http"
)

// Application error codes. The HTTP edge maps each to one status code.
const (
	ECONFLICT     = "conflict"     // a stale version or a duplicate
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // bad input; Field names the culprit
	ENOTFOUND     = "not_found"    // no such record
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, action not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency cannot answer now
)

// Error is an application error: a code, a message safe to show a client,
// the input field at fault (for EINVALID) and an optional cause.
//
// errors.Is(err, icc.ErrNotFound) is true for any *Error with code
// ENOTFOUND, so callers can test codes with the standard library.
type Error struct {
	// Code is one of the E* constants.
	Code string
	// Message is a human-readable explanation, safe to return to clients.
	Message string
	// Field names the offending input field, e.g. "subject", when Code is EINVALID.
	Field string
	// Err is the underlying cause, if any. It is not shown to clients.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code and, when the
// target names one, the same field.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Field == "" || t.Field == e.Field)
}

// Sentinel errors for errors.Is; each matches any *Error with its code.
var (
	ErrConflict     = &Error{Code: ECONFLICT}
	ErrInternal     = &Error{Code: EINTERNAL}
	ErrInvalid      = &Error{Code: EINVALID}
	ErrNotFound     = &Error{Code: ENOTFOUND}
	ErrUnauthorized = &Error{Code: EUNAUTHORIZED}
	ErrForbidden    = &Error{Code: EFORBIDDEN}
	ErrUnavailable  = &Error{Code: EUNAVAILABLE}
)

// Errorf returns an *Error with the given code and a formatted message.
// A %w verb in format becomes the error's cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Invalid returns an EINVALID error for one input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error naming the kind of record and its id.
func NotFound(kind, id string) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// Unavailable wraps err as EUNAVAILABLE with a message.
func Unavailable(err error, format string, args ...any) *Error {
	return &Error{Code: EUNAVAILABLE, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of the first *Error in err's
// chain, and a generic message for any other error, so internal details never
// reach a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		return e.Code
	}
	return "internal error"
}

// ErrorField returns the offending input field of the first *Error in err's
// chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// HTTPStatus is the one table from error codes to HTTP statuses, for the
// HTTP layers built on this package. EINVALID is 422 when the error names
// a field (a well-formed request whose content is invalid) and 400
// otherwise (a malformed request, such as a body that is not JSON);
// EINTERNAL and unknown codes are 500.
func HTTPStatus(code, field string) int {
	switch code {
	case EINVALID:
		if field != "" {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case ENOTFOUND:
		return http.StatusNotFound
	case ECONFLICT:
		return http.StatusConflict
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EFORBIDDEN:
		return http.StatusForbidden
	case EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// ErrorBody is the JSON body of an HTTP error response built on this
// package: {"error":{"code":"...","message":"...","field":"..."}}, with
// the status HTTPStatus gives the code.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error inside an ErrorBody: an error's code, its
// client-safe message (ErrorMessage) and the input field it names, if any.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}
