package main

import (
	_ "embed"
	"io"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route the server
// registers; openapi_test.go checks it against the mux, the Go types it
// describes and the handlers' answers.
//
//go:embed openapi.json
var openAPIDocument string

// handleOpenAPI serves the OpenAPI document to anyone.
func (s *server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	_, _ = io.WriteString(w, openAPIDocument)
	return nil
}
